// wardctl end to end against a real ward-controller on loopback:
// init -> serve -> bootstrap (TOTP from the printed otpauth URI) -> login -> user add ->
// key create -> key list (the key never appears) -> device list -> audit verify/export ->
// logout -> a command now fails with exit 1.
#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <poll.h>
#include <regex>
#include <signal.h>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <catch2/catch.hpp>

#include "controller/identity/totp.hpp"
#include "controller/store/sqlite_store.hpp"

namespace {

namespace fs = std::filesystem;

// A child process with pipes on stdin, stdout and stderr.
class Child {
 public:
  explicit Child(std::vector<std::string> argv) {
    int in[2], out[2], err[2];
    REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(err, O_CLOEXEC) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      ::dup2(err[1], 2);
      std::vector<char*> args;
      for (auto& a : argv)
        args.push_back(a.data());
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    in_ = in[1];
    out_ = out[0];
    err_ = err[0];
  }
  ~Child() {
    close_stdin();
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
    if (err_ >= 0) ::close(err_);
  }

  void write(const std::string& s) {
    std::size_t done = 0;
    while (done < s.size()) {
      const ssize_t n = ::write(in_, s.data() + done, s.size() - done);
      REQUIRE(n > 0);
      done += static_cast<std::size_t>(n);
    }
  }
  void close_stdin() {
    if (in_ >= 0) ::close(in_);
    in_ = -1;
  }
  // Reads until pred(stdout) holds, both pipes close, or the timeout passes.
  bool read_until(const std::function<bool(const std::string&)>& pred,
                  std::chrono::seconds timeout = std::chrono::seconds(60)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred(out) && (out_ >= 0 || err_ >= 0)) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      pollfd fds[2];
      int n = 0;
      if (out_ >= 0) fds[n++] = {out_, POLLIN, 0};
      if (err_ >= 0) fds[n++] = {err_, POLLIN, 0};
      if (::poll(fds, static_cast<nfds_t>(n), 200) <= 0) continue;
      for (int i = 0; i < n; ++i) {
        if (fds[i].revents == 0) continue;
        char buf[4096];
        const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
        const bool is_out = fds[i].fd == out_;
        if (got <= 0) {
          ::close(fds[i].fd);
          (is_out ? out_ : err_) = -1;
        } else {
          (is_out ? out : err).append(buf, static_cast<std::size_t>(got));
        }
      }
    }
    return pred(out);
  }
  int wait() {
    close_stdin();
    read_until([](const std::string&) { return false; });
    int status = 0;
    REQUIRE(::waitpid(pid_, &status, 0) == pid_);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  std::string out, err;

 private:
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1, err_ = -1;
};

struct Result {
  int code;
  std::string out, err;
};

Result wardctl(const std::vector<std::string>& args, const std::string& input = {}) {
  std::vector<std::string> argv = {WARDCTL_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  Child c(argv);
  c.write(input);
  const int code = c.wait();
  return {code, c.out, c.err};
}

// The controller binary: $WARD_CONTROLLER_BIN if set (to test against another build), else
// the one this build made.
std::string controller_bin() {
  const char* env = std::getenv("WARD_CONTROLLER_BIN");
  return env != nullptr && *env != '\0' ? env : WARD_CONTROLLER_BIN;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string totp_code(const std::string& uri, int step_offset) {
  static const std::regex secret_re("[?&]secret=([A-Z2-7]+)");
  std::smatch m;
  REQUIRE(std::regex_search(uri, m, secret_re));
  auto secret = ward::identity::base32_decode(m[1].str());
  REQUIRE(secret);
  const auto now =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  auto code = ward::identity::hotp_code(*secret, ward::identity::totp_step(now) + step_offset);
  REQUIRE(code);
  return std::string(code->reveal());
}

// A temporary directory, removed even when a constructor after it fails.
struct TempRoot {
  TempRoot() {
    char tmpl[] = "/tmp/wardctl-it-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempRoot() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string path;
};

struct Controller {
  Controller() : root(tmp.path) {
    data = root + "/data";
    log = root + "/controller.log";
    if (::access(controller_bin().c_str(), X_OK) != 0) {
      FAIL("ward-controller is not built at " << controller_bin()
                                              << " (build it, or set WARD_CONTROLLER_BIN)");
    }
    Child init({controller_bin(), "init", "--data-dir", data, "--listen", "127.0.0.1:0", "--name",
                "127.0.0.1"});
    const int rc = init.wait();
    INFO(init.out << init.err);
    REQUIRE(rc == 0);
    static const std::regex token_re("wbt_[A-Za-z0-9_-]+");
    std::smatch m;
    REQUIRE(std::regex_search(init.out, m, token_re));
    bootstrap_token = m.str();
    // ward-controller has no command that writes its CA certificate out yet; read it from
    // the database the way the server's own tests do.
    {
      auto store = ward::store::open_sqlite_store(data + "/ward.db", {.create = false});
      REQUIRE(store);
      auto ca = (*store)->read([&](ward::store::Tx& tx) -> ward::Status {
        auto v = tx.setting("ca_cert_pem");
        if (!v || !*v) return ward::Error::not_found("ca_cert_pem");
        std::ofstream(root + "/ca.pem") << **v;
        return ward::ok();
      });
      REQUIRE(ca);
    }
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0600);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      const std::string bin = controller_bin();
      ::execl(bin.c_str(), bin.c_str(), "serve", "--data-dir", data.c_str(), "--listen",
              "127.0.0.1:0", "--log-format", "json", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    static const std::regex port_re("\"msg\":\"listening\".*\"port\":([0-9]+)");
    for (int i = 0; i < 300 && port == 0; ++i) {
      std::smatch pm;
      const std::string text = read_file(log);
      if (std::regex_search(text, pm, port_re)) port = std::stoi(pm[1].str());
      if (port == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    INFO(read_file(log));
    if (port == 0) {  // the destructor will not run: stop the server here
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      pid = -1;
    }
    REQUIRE(port != 0);
  }
  ~Controller() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
  }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port); }

  TempRoot tmp;
  std::string root, data, log, bootstrap_token;
  pid_t pid = -1;
  int port = 0;
};

}  // namespace

TEST_CASE("wardctl drives a real controller end to end", "[integration]") {
  Controller ctl;
  const std::string home = ctl.root + "/home";
  REQUIRE(::mkdir(home.c_str(), 0700) == 0);
  ::setenv("HOME", home.c_str(), 1);
  ::unsetenv("XDG_CONFIG_HOME");
  ::unsetenv("WARD_CONTROLLER");
  ::unsetenv("WARD_CA");
  const std::string config = home + "/.config/ward/config.json";
  const std::string owner_password = "correct horse battery staple";

  // Bootstrap: token and password on stdin, then a code computed from the printed URI.
  std::string uri;
  {
    Child c({WARDCTL_BIN, "--controller", ctl.url(), "--ca", ctl.root + "/ca.pem", "bootstrap",
             "--email", "owner@h.example", "--name", "Owner", "--password-stdin"});
    c.write(ctl.bootstrap_token + "\n" + owner_password + "\n");
    static const std::regex uri_re("otpauth://[^\\s]+");
    REQUIRE(c.read_until([](const std::string& o) {
      std::smatch m;
      return std::regex_search(o, m, uri_re) && o.find('\n', m.position(0)) != std::string::npos;
    }));
    std::smatch m;
    REQUIRE(std::regex_search(c.out, m, uri_re));
    uri = m.str();
    c.write(totp_code(uri, 0) + "\n");
    const int code = c.wait();
    INFO(c.out << c.err);
    REQUIRE(code == 0);
    CHECK(c.out.find("TOTP confirmed") != std::string::npos);
    // The QR code of the URI is drawn too.
    CHECK(c.out.find("\xe2\x96") != std::string::npos);
  }
  struct stat st {};
  REQUIRE(::stat(config.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::stat((home + "/.config/ward").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  CHECK(read_file(config).find("\"token\": \"wst_") != std::string::npos);

  // The bootstrap token works once only.
  {
    auto again = wardctl({"bootstrap", "--email", "x@h.example", "--name", "X"},
                         ctl.bootstrap_token + "\npw\n");
    CHECK(again.code == 1);
  }

  // A fresh login; the code of the next step (the current one was used by bootstrap).
  {
    auto r = wardctl({"login", "--email", "owner@h.example"},
                     owner_password + "\n" + totp_code(uri, 1) + "\n");
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    CHECK(r.out.find("Logged in as owner@h.example (owner)") != std::string::npos);
  }
  // A wrong code is refused with exit 1.
  {
    auto r = wardctl({"login", "--email", "owner@h.example"}, owner_password + "\n000000\n");
    CHECK(r.code == 1);
    CHECK(r.err.find("wardctl: ") == 0);
  }

  {
    auto r = wardctl({"status"});
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    CHECK(r.out.find("owner@h.example (owner)") != std::string::npos);
  }

  {
    auto r = wardctl({"user", "add", "nurse@h.example", "--name", "Nurse Joy", "--role", "member",
                      "--group", "group:nurses", "--no-qr"},
                     "nurse password 1\n");
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    CHECK(r.out.find("otpauth://") != std::string::npos);
    auto list = wardctl({"user", "list"});
    REQUIRE(list.code == 0);
    CHECK(list.out.find("nurse@h.example") != std::string::npos);
    CHECK(list.out.find("otpauth") == std::string::npos);
    auto json = wardctl({"user", "show", "nurse@h.example", "--json"});
    REQUIRE(json.code == 0);
    CHECK(json.out.find("\"role\": \"member\"") != std::string::npos);
    auto dup = wardctl({"user", "add", "nurse@h.example", "--name", "Again"}, "pw\n");
    CHECK(dup.code == 1);
  }

  std::string key;
  {
    auto r = wardctl({"key", "create", "--tag", "tag:ehr", "--expires-in", "2h"});
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    static const std::regex key_re("wek_[A-Za-z0-9_-]+");
    std::smatch m;
    REQUIRE(std::regex_search(r.out, m, key_re));
    key = m.str();
    auto list = wardctl({"key", "list"});
    INFO(list.out << list.err);
    REQUIRE(list.code == 0);
    CHECK(list.out.find("tag:ehr") != std::string::npos);
    CHECK(list.out.find(key) == std::string::npos);
    auto json = wardctl({"key", "list", "--json"});
    REQUIRE(json.code == 0);
    CHECK(json.out.find(key) == std::string::npos);
    CHECK(json.out.find(key.substr(0, 8)) != std::string::npos);  // the prefix is shown
  }

  {
    auto r = wardctl({"device", "list"});
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    CHECK(r.out.rfind("ID", 0) == 0);
    auto missing = wardctl({"device", "approve", "no-such-device"});
    CHECK(missing.code == 1);
  }

  // Policy against the live controller: check, a refused set, set, get, history,
  // rollback, test, inventory export and an offline check with the exported inventory.
  {
    const std::string good = ctl.root + "/policy.hujson";
    const std::string other = ctl.root + "/policy-8443.hujson";
    const std::string failing = ctl.root + "/policy-failing.hujson";
    const std::string body = R"(
  "tagOwners": {"tag:ehr": ["owner@h.example"]},
  "acls": [{"action": "accept", "src": ["owner@h.example"], "dst": ["tag:ehr:PORT"]}],
)";
    const auto with_port = [&](const std::string& port) {
      std::string b = body;
      b.replace(b.find("PORT"), 4, port);
      return "{" + b + "}\n";
    };
    std::ofstream(good) << with_port("443");
    std::ofstream(other) << with_port("8443");
    // No device is enrolled, so an accept assertion cannot hold.
    {
      std::string text = with_port("443");
      text.erase(text.rfind('}'));
      std::ofstream(failing)
          << text << R"(  "tests": [{"src": "owner@h.example", "accept": ["tag:ehr:443"]}],
})";
    }
    auto check = wardctl({"policy", "check", good});
    INFO(check.out << check.err);
    CHECK(check.code == 0);
    auto refused = wardctl({"policy", "set", failing});
    INFO(refused.out << refused.err);
    CHECK(refused.code == 1);
    CHECK(refused.err.find("its tests fail") != std::string::npos);
    CHECK(refused.err.find("FAIL") != std::string::npos);
    CHECK(wardctl({"policy", "get"}).code == 1);  // nothing stored

    auto set = wardctl({"policy", "set", good});
    INFO(set.out << set.err);
    REQUIRE(set.code == 0);
    CHECK(set.out.find("Stored policy version 1") != std::string::npos);
    REQUIRE(wardctl({"policy", "set", other}).code == 0);
    auto rollback = wardctl({"policy", "rollback", "1"});
    INFO(rollback.out << rollback.err);
    REQUIRE(rollback.code == 0);
    CHECK(rollback.out.find("as version 3") != std::string::npos);
    auto got = wardctl({"policy", "get"});
    REQUIRE(got.code == 0);
    CHECK(got.out.find("tag:ehr:443") != std::string::npos);
    INFO(got.out);
    CHECK(got.out.find("\n  \"acls\"") != std::string::npos);  // printed as written
    auto v2 = wardctl({"policy", "get", "--version", "2"});
    CHECK(v2.out.find("tag:ehr:8443") != std::string::npos);
    auto history = wardctl({"policy", "history"});
    INFO(history.out);
    REQUIRE(history.code == 0);
    CHECK(history.out.find("owner@h.example") != std::string::npos);
    auto test = wardctl({"policy", "test", "owner@h.example", "tag:ehr:443"});
    INFO(test.out << test.err);
    REQUIRE(test.code == 0);
    CHECK(test.out.rfind("deny", 0) == 0);  // no device takes part yet
    CHECK(wardctl({"netmap", "no-such-device"}).code == 1);

    const std::string inventory = ctl.root + "/inventory.json";
    auto exported = wardctl({"inventory", "export", "--output", inventory});
    INFO(exported.out << exported.err);
    REQUIRE(exported.code == 0);
    CHECK(read_file(inventory).find("owner@h.example") != std::string::npos);
    auto offline = wardctl({"policy", "check", good, "--inventory", inventory});
    INFO(offline.out << offline.err);
    CHECK(offline.code == 0);
    auto offline_failing = wardctl({"policy", "check", failing, "--inventory", inventory});
    CHECK(offline_failing.code == 1);
  }

  {
    auto r = wardctl({"audit", "verify"});
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    CHECK(r.out.find("Audit log verified") != std::string::npos);
    auto list = wardctl({"audit", "list", "--all"});
    REQUIRE(list.code == 0);
    CHECK(list.out.find("user.login") != std::string::npos);
    CHECK(list.out.find("policy.set") != std::string::npos);
    CHECK(list.out.find("policy.rollback") != std::string::npos);
    auto exp = wardctl({"audit", "export", "--format", "jsonl"});
    REQUIRE(exp.code == 0);
    CHECK(exp.out.find("\"hash\"") != std::string::npos);
    // No secret reaches the audit log or wardctl's output of it.
    for (const std::string& secret : {key, owner_password, ctl.bootstrap_token}) {
      CHECK(exp.out.find(secret) == std::string::npos);
      CHECK(list.out.find(secret) == std::string::npos);
    }
  }

  // Usage errors are exit 2.
  CHECK(wardctl({"user", "set-role", "nurse@h.example", "root"}).code == 2);

  // A config file others can read is refused, with the fix in the message.
  REQUIRE(::chmod(config.c_str(), 0644) == 0);
  {
    auto r = wardctl({"status"});
    CHECK(r.code == 1);
    CHECK(r.err.find("chmod 600") != std::string::npos);
  }
  REQUIRE(::chmod(config.c_str(), 0600) == 0);

  {
    auto r = wardctl({"logout"});
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    CHECK(read_file(config).find("token") == std::string::npos);
    auto after = wardctl({"user", "list"});
    CHECK(after.code == 1);
    CHECK(after.err.find("not logged in") != std::string::npos);
  }

  // No secret in the controller's log either.
  const std::string log = read_file(ctl.log);
  for (const std::string& secret : {key, owner_password, ctl.bootstrap_token}) {
    CHECK(log.find(secret) == std::string::npos);
  }
}
