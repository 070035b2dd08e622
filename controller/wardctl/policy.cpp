// wardctl policy check|set|get|history|rollback|test. check and test also run offline
// with --inventory FILE (and --policy FILE for test), using controller/policy directly.
#include <chrono>
#include <fstream>

#include "controller/policy/hujson.hpp"
#include "controller/wardctl/api_error.hpp"
#include "controller/wardctl/args.hpp"
#include "controller/wardctl/cli.hpp"
#include "controller/wardctl/config_file.hpp"
#include "controller/wardctl/offline.hpp"
#include "controller/wardctl/output.hpp"
#include "controller/wardctl/policy_render.hpp"
#include "controller/wardctl/table.hpp"

namespace ward::wardctl {
namespace {

constexpr std::size_t kMaxPolicyBytes = policy::hujson::kMaxInputBytes;
constexpr std::size_t kMaxInventoryBytes = 64 * 1024 * 1024;

Result<PolicyText> read_policy(const std::string& path) {
  auto text = read_text_file(path, kMaxPolicyBytes);
  if (!text) return std::move(text).error();
  const std::size_t slash = path.rfind('/');
  return PolicyText{std::move(*text), slash == std::string::npos ? path : path.substr(slash + 1)};
}

policy::Time now_seconds() {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

int print_check(Context& ctx, const nlohmann::json& r) {
  if (ctx.options.json) {
    print_json(ctx.out, r);
  } else {
    ctx.out << render_check(r);
  }
  return r.is_object() && r.value("ok", false) ? kExitOk : kExitFailed;
}

}  // namespace

void add_policy_commands(CLI::App& app, Context& ctx) {
  auto* pol = app.add_subcommand("policy", "check, apply and query the access policy");
  pol->require_subcommand(1);

  {
    struct Opts {
      std::string file, inventory, baseline;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = pol->add_subcommand(
        "check", "dry run: parse errors, the policy's tests, then what would change");
    sub->add_option("file", o->file, "the policy file (HuJSON)")
        ->required()
        ->check(CLI::ExistingFile);
    auto* inv = sub->add_option("--inventory", o->inventory,
                                "offline: check against this inventory file instead of a "
                                "controller")
                    ->check(CLI::ExistingFile);
    sub->add_option("--baseline", o->baseline,
                    "offline: compare with this policy (default: nothing allowed)")
        ->check(CLI::ExistingFile)
        ->needs(inv);
    on_run(sub, ctx, [&ctx, o]() -> int {
      auto text = read_policy(o->file);
      if (!text) return ctx.fail(text.error());
      if (!o->inventory.empty()) {
        auto inventory = policy::parse_inventory_file(o->inventory);
        if (!inventory) return ctx.fail(inventory.error());
        std::optional<PolicyText> base;
        if (!o->baseline.empty()) {
          auto b = read_policy(o->baseline);
          if (!b) return ctx.fail(b.error());
          base = std::move(*b);
        }
        auto r = offline_check(*text, *inventory, base, now_seconds());
        if (!r) return ctx.fail(r.error());
        return print_check(ctx, *r);
      }
      auto client = ctx.connect();
      if (!client) return ctx.fail(client.error());
      auto r =
          (*client)->call("POST", "/v1/admin/policy/check", nlohmann::json{{"text", text->text}});
      if (!r) return ctx.fail(r.error());
      return print_check(ctx, *r);
    });
  }

  {
    auto file = std::make_shared<std::string>();
    auto* sub =
        pol->add_subcommand("set", "store a new policy version (refused if its tests fail)");
    sub->add_option("file", *file, "the policy file (HuJSON)")
        ->required()
        ->check(CLI::ExistingFile);
    on_run(sub, ctx, [&ctx, file]() -> int {
      auto text = read_policy(*file);
      if (!text) return ctx.fail(text.error());
      auto client = ctx.connect();
      if (!client) return ctx.fail(client.error());
      const std::string body = nlohmann::json{{"text", text->text}}.dump();
      auto r = (*client)->call_raw("PUT", "/v1/admin/policy", &body);
      if (!r) return ctx.fail(r.error());
      if (r->status == 422) {
        if (ctx.options.json) print_json(ctx.out, r->body);
        ctx.err << "wardctl: policy refused: its tests fail\n" << render_failures(r->body);
        return kExitFailed;
      }
      if (r->status < 200 || r->status >= 300) {
        return ctx.fail(error_from_response(r->status, r->raw));
      }
      if (ctx.options.json) {
        print_json(ctx.out, r->body);
      } else {
        ctx.out << "Stored policy version " << field(r->body, "version") << " (sha256 "
                << terminal_safe(field(r->body, "sha256")) << ").\n";
      }
      return kExitOk;
    });
  }

  {
    struct Opts {
      std::int64_t version = 0;
      std::string output;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = pol->add_subcommand("get", "print a policy version's text (default: current)");
    sub->add_option("--version", o->version, "version number")->check(CLI::PositiveNumber);
    sub->add_option("--output,-o", o->output, "write the text to FILE");
    on_run(sub, ctx, [&ctx, o]() -> int {
      auto client = ctx.connect();
      if (!client) return ctx.fail(client.error());
      std::string path = "/v1/admin/policy";
      if (o->version > 0) path += "?version=" + std::to_string(o->version);
      auto r = (*client)->call("GET", path);
      if (!r) return ctx.fail(r.error());
      if (ctx.options.json) {
        print_json(ctx.out, *r);
        return kExitOk;
      }
      const std::string text = (*r)["text"].is_string() ? (*r)["text"].get<std::string>() : "";
      if (!o->output.empty()) {
        std::ofstream f(o->output, std::ios::binary | std::ios::trunc);
        f << text;
        if (!f) return ctx.fail(Error::io("cannot write " + quote(o->output, 200)));
        ctx.out << "Wrote policy version " << field(*r, "version") << " to " << o->output << ".\n";
      } else {
        // The text is the policy as stored; terminal_safe keeps it from driving the terminal.
        ctx.out << terminal_safe_text(text);
        if (!text.empty() && text.back() != '\n') ctx.out << '\n';
      }
      return kExitOk;
    });
  }

  {
    auto* sub = pol->add_subcommand("history", "list stored policy versions");
    on_run(sub, ctx, [&ctx]() -> int {
      auto client = ctx.connect();
      if (!client) return ctx.fail(client.error());
      auto r = (*client)->call("GET", "/v1/admin/policy/history");
      if (!r) return ctx.fail(r.error());
      if (ctx.options.json) {
        print_json(ctx.out, *r);
        return kExitOk;
      }
      Table t({"VERSION", "SHA256", "AUTHOR", "CREATED"});
      for (const auto& v :
           (*r)["versions"].is_array() ? (*r)["versions"] : nlohmann::json::array()) {
        t.add_row(
            {field(v, "version"), field(v, "sha256"), field(v, "author"), field(v, "created_at")});
      }
      ctx.out << t.render();
      return kExitOk;
    });
  }

  {
    auto version = std::make_shared<std::int64_t>(0);
    auto* sub = pol->add_subcommand("rollback", "store an old version's text as a new version");
    sub->add_option("version", *version, "the version to restore")
        ->required()
        ->check(CLI::PositiveNumber);
    on_run(sub, ctx, [&ctx, version]() -> int {
      auto client = ctx.connect();
      if (!client) return ctx.fail(client.error());
      auto r = (*client)->call("POST", "/v1/admin/policy/rollback",
                               nlohmann::json{{"version", *version}});
      if (!r) return ctx.fail(r.error());
      if (ctx.options.json) {
        print_json(ctx.out, *r);
      } else {
        ctx.out << "Restored version " << *version << " as version " << field(*r, "version")
                << " (sha256 " << terminal_safe(field(*r, "sha256")) << ").\n";
      }
      return kExitOk;
    });
  }

  {
    struct Opts {
      std::string src, dst, proto = "tcp", inventory, policy;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = pol->add_subcommand(
        "test", "may SRC reach DST:PORT? Names the deciding rule (exit 0 for either answer)");
    sub->add_option("src", o->src, "source: any policy alias or a device name")->required();
    sub->add_option("dst", o->dst,
                    "destination DST:PORT ([IPv6]:PORT); the port may be omitted "
                    "for icmp")
        ->required();
    sub->add_option("--proto", o->proto, "tcp, udp, icmp or a number")
        ->check(proto_validator())
        ->capture_default_str();
    auto* inv = sub->add_option("--inventory", o->inventory, "offline: this inventory file")
                    ->check(CLI::ExistingFile);
    auto* pf = sub->add_option("--policy", o->policy, "offline: this policy file")
                   ->check(CLI::ExistingFile);
    inv->needs(pf);
    pf->needs(inv);
    sub->callback([&ctx, o] {
      const int proto = parse_proto(o->proto).value_or(6);
      auto dp = parse_dst_port(o->dst, proto == 6 || proto == 17 || proto == 132);
      if (!dp) throw CLI::ValidationError("dst", dp.error().message());
      ctx.action = [&ctx, o, proto, dp = *dp]() -> int {
        nlohmann::json r;
        if (!o->inventory.empty()) {
          auto text = read_policy(o->policy);
          if (!text) return ctx.fail(text.error());
          auto inventory = policy::parse_inventory_file(o->inventory);
          if (!inventory) return ctx.fail(inventory.error());
          auto a = offline_test(*text, *inventory, o->src, dp.dst, dp.port, proto, now_seconds());
          if (!a) return ctx.fail(a.error());
          r = std::move(*a);
        } else {
          auto client = ctx.connect();
          if (!client) return ctx.fail(client.error());
          auto a = (*client)->call(
              "POST", "/v1/admin/policy/test",
              nlohmann::json{
                  {"src", o->src}, {"dst", dp.dst}, {"port", dp.port}, {"proto", o->proto}});
          if (!a) return ctx.fail(a.error());
          r = std::move(*a);
        }
        if (ctx.options.json) {
          print_json(ctx.out, r);
        } else {
          ctx.out << render_decision(r);
        }
        return kExitOk;
      };
    });
  }
}

}  // namespace ward::wardctl
