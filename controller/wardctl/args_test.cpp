#include "controller/wardctl/args.hpp"

#include <map>
#include <sstream>
#include <vector>

#include <catch2/catch.hpp>

#include "controller/wardctl/cli.hpp"

namespace ward::wardctl {
namespace {

class ScriptedInput final : public Input {
 public:
  explicit ScriptedInput(std::vector<std::string> lines) : lines_(std::move(lines)) {}
  bool interactive() const override { return false; }
  Result<SecretString> secret(std::string_view, std::string_view what) override {
    auto l = line("", what);
    if (!l) return std::move(l).error();
    return SecretString(*l);
  }
  Result<std::string> line(std::string_view, std::string_view what) override {
    if (next_ >= lines_.size()) return Error::invalid_argument("no " + std::string(what));
    return lines_[next_++];
  }

 private:
  std::vector<std::string> lines_;
  std::size_t next_ = 0;
};

struct Run {
  int code = -1;
  std::string out, err;
};

// Runs wardctl's full command table with no config file and no environment.
Run run(std::vector<std::string> args) {
  std::ostringstream out, err;
  Context ctx(
      out, err, [](std::string_view) -> std::optional<std::string> { return std::nullopt; },
      std::make_unique<ScriptedInput>(std::vector<std::string>{}));
  ctx.options.config = "/nonexistent-wardctl-test/config.json";
  CLI::App app("wardctl", "wardctl");
  app.fallthrough();
  add_global_options(app, ctx);
  for (auto add :
       {&add_login_commands, &add_logout_commands, &add_status_commands, &add_bootstrap_commands,
        &add_user_commands, &add_key_commands, &add_device_commands, &add_audit_commands,
        &add_policy_commands, &add_netmap_commands, &add_inventory_commands}) {
    add(app, ctx);
  }
  app.require_subcommand(1);
  std::vector<const char*> argv = {"wardctl"};
  for (auto& a : args)
    argv.push_back(a.c_str());
  Run r;
  r.code = run_cli(app, ctx, static_cast<int>(argv.size()), argv.data());
  r.out = out.str();
  r.err = err.str();
  return r;
}

}  // namespace

TEST_CASE("durations", "[unit]") {
  CHECK(*parse_duration("90s") == 90);
  CHECK(*parse_duration("30m") == 1800);
  CHECK(*parse_duration("12h") == 43200);
  CHECK(*parse_duration("7d") == 604800);
  CHECK(*parse_duration("3600") == 3600);
  for (const char* bad : {"", "0", "-5m", "1w", "h", "1.5h", "366d", "99999999999999999999"}) {
    INFO(bad);
    CHECK_FALSE(parse_duration(bad));
  }
}

TEST_CASE("protocols", "[unit]") {
  CHECK(*parse_proto("tcp") == 6);
  CHECK(*parse_proto("udp") == 17);
  CHECK(*parse_proto("icmp") == 1);
  CHECK(*parse_proto("132") == 132);
  CHECK_FALSE(parse_proto("256"));
  CHECK_FALSE(parse_proto("TCP"));
  CHECK_FALSE(parse_proto(""));
}

TEST_CASE("DST:PORT", "[unit]") {
  auto a = parse_dst_port("tag:ehr:443", true);
  REQUIRE(a);
  CHECK(a->dst == "tag:ehr");
  CHECK(a->port == 443);
  auto b = parse_dst_port("100.64.0.0/10:22", true);
  REQUIRE(b);
  CHECK(b->dst == "100.64.0.0/10");
  auto c = parse_dst_port("[fd7a::1]:8080", true);
  REQUIRE(c);
  CHECK(c->dst == "fd7a::1");
  CHECK(c->port == 8080);
  auto d = parse_dst_port("ehr-1:443", true);
  REQUIRE(d);
  CHECK(d->dst == "ehr-1");
  auto icmp = parse_dst_port("tag:ehr", false);
  REQUIRE(icmp);
  CHECK(icmp->dst == "tag:ehr");
  CHECK(icmp->port == 0);
  CHECK_FALSE(parse_dst_port("tag:ehr", true));
  CHECK_FALSE(parse_dst_port("ehr:99999", true));
  CHECK_FALSE(parse_dst_port(":443", true));
  CHECK_FALSE(parse_dst_port("[fd7a::1", true));
  CHECK_FALSE(parse_dst_port("tag:ehr:http", true));
}

TEST_CASE("tags, groups, emails, roles", "[unit]") {
  CHECK(check_tag("tag:ehr-1"));
  CHECK_FALSE(check_tag("ehr"));
  CHECK_FALSE(check_tag("tag:"));
  CHECK_FALSE(check_tag("tag:EHR"));
  CHECK(check_group("group:nurses"));
  CHECK_FALSE(check_group("tag:nurses"));
  CHECK(check_email("a@h.example"));
  CHECK_FALSE(check_email("a h@x"));
  CHECK_FALSE(check_email("@x"));
  CHECK_FALSE(check_email("a@"));
  CHECK_FALSE(check_email("a@b@c"));
  CHECK_FALSE(check_email("a/b@c"));
  CHECK(check_role("auditor"));
  CHECK_FALSE(check_role("root"));
  CHECK(check_role("root").error().message().find("\"root\"") != std::string::npos);
}

TEST_CASE("usage errors exit 2 before anything is sent", "[unit]") {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {},
           {"frobnicate"},
           {"user"},
           {"user", "add", "not-an-email", "--name", "X"},
           {"user", "add", "a@h.example"},  // --name missing
           {"user", "add", "a@h.example", "--name", "A", "--role", "root"},
           {"user", "add", "a@h.example", "--name", "A", "--group", "nurses"},
           {"user", "set-role", "a@h.example", "superuser"},
           {"user", "set-groups", "a@h.example"},  // neither groups nor --clear
           {"user", "set-groups", "a@h.example", "group:x", "--clear"},
           {"key", "create", "--expires-in", "forever"},
           {"key", "create", "--tag", "ehr"},
           {"key", "create", "--max-uses", "5"},  // needs --reusable
           {"device", "tag", "ehr-1", "ehr"},
           {"device", "tag", "ehr-1"},
           {"device", "list", "--status", "sleeping"},
           {"audit", "export", "--format", "csv"},
           {"audit", "list", "--limit", "0"},
           {"policy", "test", "a@h.example", "tag:ehr"},  // tcp needs a port
           {"policy", "test", "a@h.example", "tag:ehr:443", "--proto", "sctpx"},
           {"policy", "rollback", "0"},
           {"netmap"},
           {"--timeout", "0", "status"},
           {"login", "--password", "hunter2"},  // passwords are never taken from argv
       }) {
    std::string joined;
    for (const auto& a : args)
      joined += a + " ";
    INFO(joined);
    Run r = run(args);
    CHECK(r.code == kExitUsage);
    CHECK_FALSE(r.err.empty());
  }
}

TEST_CASE("help exits 0", "[unit]") {
  Run r = run({"--help"});
  CHECK(r.code == kExitOk);
  CHECK(r.out.find("user") != std::string::npos);
  CHECK(r.out.find("policy") != std::string::npos);
}

TEST_CASE("a valid command with nothing configured fails with exit 1 and says why", "[unit]") {
  Run r = run({"user", "list"});
  CHECK(r.code == kExitFailed);
  CHECK(r.err.find("wardctl: no controller configured") == 0);
  Run j = run({"status", "--json", "--controller", "https://c.example:8443"});
  CHECK(j.code == kExitFailed);
  CHECK(j.err.find("--ca") != std::string::npos);
  Run l = run(
      {"--controller", "https://c.example:8443", "--ca", "/nonexistent/ca.pem", "user", "list"});
  CHECK(l.code == kExitFailed);
  CHECK(l.err.find("not logged in") != std::string::npos);
}

TEST_CASE("icmp tests need no port", "[unit]") {
  // Parses (exit is 1 only because no controller is configured, not 2).
  Run r = run({"policy", "test", "a@h.example", "tag:ehr", "--proto", "icmp"});
  CHECK(r.code == kExitFailed);
}

}  // namespace ward::wardctl
