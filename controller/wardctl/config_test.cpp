#include "controller/wardctl/config.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "controller/wardctl/config_file.hpp"

namespace ward::wardctl {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/wardctl-test-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string path;
};

ConfigFile file_with(std::string controller, std::string ca, std::string token) {
  ConfigFile f;
  f.controller = std::move(controller);
  f.ca = std::move(ca);
  f.token = SecretString(std::move(token));
  f.email = "owner@h.example";
  return f;
}

}  // namespace

TEST_CASE("controller URLs: https only, host and port parsed, canonical form", "[unit]") {
  auto u = parse_controller_url("https://Controller.Example:9443/");
  REQUIRE(u);
  CHECK(u->host == "controller.example");
  CHECK(u->port == 9443);
  CHECK(u->canonical == "https://controller.example:9443");
  auto d = parse_controller_url("https://127.0.0.1");
  REQUIRE(d);
  CHECK(d->port == 8443);
  auto v6 = parse_controller_url("https://[::1]:8443");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->canonical == "https://[::1]:8443");
  for (const char* bad : {"http://controller:8443", "controller:8443", "https://", "https://h:0",
                          "https://h:65536", "https://h:x", "https://h/path", "https://u@h",
                          "https://h?x=1", "https://[::1", "https://h h", "https://h:"}) {
    INFO(bad);
    auto r = parse_controller_url(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == ErrorCode::kInvalidArgument);
  }
  CHECK(parse_controller_url("http://h").error().message().find("plain http") != std::string::npos);
}

TEST_CASE("settings: flags beat the environment, which beats the config file", "[unit]") {
  SettingSources s;
  s.file = file_with("https://file.example:1", "/file/ca.pem", "wst_file");
  s.env_controller = "https://env.example:2";
  s.env_ca = "/env/ca.pem";
  s.flag_controller = "https://flag.example:3";
  s.flag_ca = "/flag/ca.pem";

  auto r = resolve_settings(s);
  REQUIRE(r);
  CHECK(r->controller.canonical == "https://flag.example:3");
  CHECK(r->controller_source == Source::kFlag);
  CHECK(r->ca_file == "/flag/ca.pem");
  CHECK(r->ca_source == Source::kFlag);

  s.flag_controller.reset();
  s.flag_ca = "";  // empty counts as unset
  r = resolve_settings(s);
  REQUIRE(r);
  CHECK(r->controller.canonical == "https://env.example:2");
  CHECK(r->controller_source == Source::kEnv);
  CHECK(r->ca_file == "/env/ca.pem");

  s.env_controller.reset();
  s.env_ca.reset();
  r = resolve_settings(s);
  REQUIRE(r);
  CHECK(r->controller.canonical == "https://file.example:1");
  CHECK(r->controller_source == Source::kFile);
  CHECK(r->ca_file == "/file/ca.pem");
  CHECK(r->ca_source == Source::kFile);
  REQUIRE(r->token);
  CHECK(r->token->reveal() == "wst_file");
  CHECK(r->email == std::optional<std::string>("owner@h.example"));
}

TEST_CASE("settings: the saved token goes only to the controller that issued it", "[unit]") {
  SettingSources s;
  s.file = file_with("https://ctl.example:8443", "/ca.pem", "wst_secret");
  s.flag_controller = "https://CTL.example:8443/";  // same controller, other spelling
  auto same = resolve_settings(s);
  REQUIRE(same);
  CHECK(same->token.has_value());

  s.flag_controller = "https://evil.example:8443";
  auto other = resolve_settings(s);
  REQUIRE(other);
  CHECK_FALSE(other->token.has_value());
  s.flag_controller.reset();
  s.env_controller = "https://ctl.example:9999";
  auto other_port = resolve_settings(s);
  REQUIRE(other_port);
  CHECK_FALSE(other_port->token.has_value());
}

TEST_CASE("settings: missing controller or CA is a clear error; bad URLs name their source",
          "[unit]") {
  SettingSources s;
  auto none = resolve_settings(s);
  REQUIRE_FALSE(none);
  CHECK(none.error().message().find("--controller") != std::string::npos);
  s.env_controller = "https://ctl:1";
  auto no_ca = resolve_settings(s);
  REQUIRE_FALSE(no_ca);
  CHECK(no_ca.error().message().find("--ca") != std::string::npos);
  s.env_ca = "/ca.pem";
  s.env_controller = "http://ctl:1";
  auto bad = resolve_settings(s);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message().find("environment") != std::string::npos);
}

TEST_CASE("config path: XDG_CONFIG_HOME, else HOME/.config", "[unit]") {
  std::map<std::string, std::string> env = {{"HOME", "/home/a"}};
  EnvFn fn = [&env](std::string_view k) -> std::optional<std::string> {
    auto it = env.find(std::string(k));
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  CHECK(*default_config_path(fn) == "/home/a/.config/ward/config.json");
  env["XDG_CONFIG_HOME"] = "/xdg";
  CHECK(*default_config_path(fn) == "/xdg/ward/config.json");
  env.clear();
  CHECK_FALSE(default_config_path(fn));
}

TEST_CASE("config encoding round-trips and decoding is strict", "[unit]") {
  ConfigFile f = file_with("https://c:1", "/ca \"x\".pem", "wst_abc");
  auto back = decode_config(encode_config(f));
  REQUIRE(back);
  CHECK(back->controller == f.controller);
  CHECK(back->ca == f.ca);
  CHECK(back->email == f.email);
  REQUIRE(back->token);
  CHECK(back->token->reveal() == "wst_abc");
  auto empty = decode_config(encode_config(ConfigFile{}));
  REQUIRE(empty);
  CHECK_FALSE(empty->token);

  auto unknown = decode_config(R"({"controller":"https://c:1","tokne":"x"})");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().message().find("tokne") != std::string::npos);
  auto wrong = decode_config(R"({"token": 12345})");
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().message().find("$.token") != std::string::npos);
  CHECK(wrong.error().message().find("12345") == std::string::npos);
  CHECK_FALSE(decode_config("[1]"));
  CHECK_FALSE(decode_config("{"));
}

TEST_CASE("config file: saved 0600 in a 0700 directory, atomically replaced", "[unit]") {
  TempDir tmp;
  const std::string path = tmp.path + "/cfg/ward/config.json";
  REQUIRE(save_config_file(path, file_with("https://c:1", "/ca.pem", "wst_one")));
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::stat((tmp.path + "/cfg/ward").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);

  REQUIRE(save_config_file(path, file_with("https://c:1", "/ca.pem", "wst_two")));
  auto loaded = load_config_file(path);
  REQUIRE(loaded);
  REQUIRE(loaded->has_value());
  CHECK((*loaded)->token->reveal() == "wst_two");
  // No temporary file is left behind.
  int files = 0;
  for (const auto& e : fs::directory_iterator(tmp.path + "/cfg/ward")) {
    (void)e;
    ++files;
  }
  CHECK(files == 1);

  // A missing file is "no config", not an error.
  auto missing = load_config_file(tmp.path + "/nope.json");
  REQUIRE(missing);
  CHECK_FALSE(missing->has_value());
}

TEST_CASE("config file: refused when group or others can read it, or it is a symlink", "[unit]") {
  TempDir tmp;
  const std::string path = tmp.path + "/config.json";
  REQUIRE(save_config_file(path, file_with("https://c:1", "/ca.pem", "wst_tok")));
  for (mode_t mode : {0640, 0604, 0660, 0644}) {
    REQUIRE(::chmod(path.c_str(), mode) == 0);
    auto r = load_config_file(path);
    INFO(mode);
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == ErrorCode::kPermissionDenied);
    CHECK(r.error().message().find("chmod 600") != std::string::npos);
    CHECK(r.error().message().find("wst_tok") == std::string::npos);
  }
  REQUIRE(::chmod(path.c_str(), 0600) == 0);
  CHECK(load_config_file(path));

  const std::string link = tmp.path + "/link.json";
  REQUIRE(::symlink(path.c_str(), link.c_str()) == 0);
  auto l = load_config_file(link);
  REQUIRE_FALSE(l);
  CHECK(l.error().code() == ErrorCode::kPermissionDenied);

  REQUIRE(::mkdir((tmp.path + "/dir.json").c_str(), 0700) == 0);
  CHECK_FALSE(load_config_file(tmp.path + "/dir.json"));
}

TEST_CASE("config file: an existing loose directory is tightened to 0700", "[unit]") {
  TempDir tmp;
  const std::string dir = tmp.path + "/ward";
  REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
  REQUIRE(save_config_file(dir + "/config.json", ConfigFile{}));
  struct stat st {};
  REQUIRE(::stat(dir.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
}

}  // namespace ward::wardctl
