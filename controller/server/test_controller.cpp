#include "controller/server/test_controller.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <regex>
#include <signal.h>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "common/crypto/signing_key.hpp"
#include "common/crypto/wg_key.hpp"
#include "common/crypto/x509.hpp"
#include "common/tls/listener.hpp"
#include "common/uv/testing.hpp"
#include "controller/identity/totp.hpp"
#include "controller/store/sqlite_store.hpp"

namespace ward::controller::testing {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string run_capture(const std::string& cmd, int& rc) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
    out.append(buf, n);
  rc = ::pclose(p);
  return out;
}

}  // namespace

std::unique_ptr<TestController> TestController::start(const std::string& extra_init_args,
                                                      std::vector<std::string> serve_args) {
  auto c = std::make_unique<TestController>();
  c->serve_args = std::move(serve_args);
  char tmpl[] = "/tmp/ward-ctl-test-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  c->root = tmpl;
  c->data_dir = c->root + "/data";
  c->log_path = c->root + "/controller.log";
  int rc = 0;
  c->init_output = run_capture(std::string(WARD_CONTROLLER_BIN) + " init --data-dir " +
                                   c->data_dir + " --name localhost --name 127.0.0.1 " +
                                   extra_init_args + " 2>>" + c->log_path,
                               rc);
  INFO(c->init_output);
  REQUIRE(rc == 0);
  std::smatch m;
  static const std::regex token_re("wbt_[A-Za-z0-9_-]{43}");
  REQUIRE(std::regex_search(c->init_output, m, token_re));
  c->bootstrap_token = m.str();
  {
    auto store = store::open_sqlite_store(c->db_path(), {.create = false});
    REQUIRE(store.ok());
    Status s = (*store)->read([&](store::Tx& tx) -> Status {
      auto v = tx.setting("ca_cert_pem");
      if (!v || !*v) return Error::not_found("ca_cert_pem");
      c->ca_pem = **v;
      return ok();
    });
    REQUIRE(s.ok());
  }
  c->serve();
  return c;
}

void TestController::serve() {
  const std::size_t log_offset = read_file(log_path).size();
  std::vector<std::string> args = {WARD_CONTROLLER_BIN, "serve",       "--data-dir",   data_dir,
                                   "--listen",          "127.0.0.1:0", "--log-format", "json",
                                   "--log-level",       "info"};
  args.insert(args.end(), serve_args.begin(), serve_args.end());
  std::vector<char*> argv;
  for (std::string& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0600);
    if (fd >= 0) {
      ::dup2(fd, 2);
      ::close(fd);
    }
    ::execv(WARD_CONTROLLER_BIN, argv.data());
    ::_exit(127);
  }
  static const std::regex port_re("\"msg\":\"listening\".*\"port\":([0-9]+)");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string text = read_file(log_path).substr(log_offset);
    std::smatch m;
    if (std::regex_search(text, m, port_re)) {
      port = static_cast<std::uint16_t>(std::stoi(m[1].str()));
      return;
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      pid = -1;
      FAIL("ward-controller serve exited early: " << text);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  FAIL("ward-controller serve did not report its port");
}

int TestController::stop_gracefully() {
  if (pid <= 0) return -1;
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  pid = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void TestController::kill9() {
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  pid = -1;
}

std::string TestController::logs() const {
  return read_file(log_path);
}

TestController::~TestController() {
  kill9();
  std::error_code ec;
  if (!root.empty()) std::filesystem::remove_all(root, ec);
}

namespace {

std::unique_ptr<http::Client> make_client(uv::Loop& loop, const TestController& c,
                                          const ClientCert* cert, const std::string& ca_pem,
                                          http::ClientOptions options = {.host = "localhost"}) {
  tls::TlsConfig config;
  config.role = tls::Role::kClient;
  config.ca_pem = ca_pem.empty() ? c.ca_pem : ca_pem;
  config.server_name = "127.0.0.1";
  if (cert != nullptr) {
    config.cert_pem = cert->cert_pem;
    config.key_pem = cert->key_pem;
  }
  auto ctx = tls::TlsContext::create(config);
  REQUIRE(ctx.ok());
  std::shared_ptr<tls::TlsContext> shared = *ctx;
  const std::uint16_t port = c.port;
  uv::Loop* lp = &loop;
  return std::make_unique<http::Client>(
      loop,
      [lp, port, shared](http::Client::ConnectDone done) {
        tls::connect_tls(*lp, "127.0.0.1", port, shared, std::move(done));
      },
      options);
}

}  // namespace

ApiClient::ApiClient(const TestController& c, const ClientCert* cert,
                     const std::string& ca_pem_override)
    : client_(make_client(loop_, c, cert, ca_pem_override)) {}

StreamClient::StreamClient(const TestController& c, const ClientCert& cert,
                           const std::string& target)
    : client_(make_client(loop_, c, &cert, "")) {
  http::Request req;
  req.method = "GET";
  req.target = target;
  req.headers.set("Host", "localhost");
  client_->stream(std::move(req), {.on_response =
                                       [this](const http::Response& head) {
                                         head_ = true;
                                         status_ = head.status;
                                       },
                                   .on_data =
                                       [this](std::string_view bytes) {
                                         if (status_ < 200 || status_ >= 300) {
                                           body.append(bytes);
                                           return;
                                         }
                                         buffer_.append(bytes);
                                         for (std::size_t nl;
                                              (nl = buffer_.find('\n')) != std::string::npos;) {
                                           lines_.push_back(buffer_.substr(0, nl));
                                           buffer_.erase(0, nl + 1);
                                         }
                                       },
                                   .on_end =
                                       [this](const Status&) {
                                         head_ = true;
                                         ended_ = true;
                                       }});
}

StreamClient::~StreamClient() {
  client_.reset();
  uv::testing::run_to_completion(loop_, std::chrono::seconds(10));
  (void)loop_.close();
}

int StreamClient::status() {
  uv::testing::run_until(
      loop_, [&] { return head_; }, std::chrono::seconds(30));
  return status_;
}

std::optional<nlohmann::json> StreamClient::next(std::chrono::milliseconds timeout) {
  uv::testing::run_until(
      loop_, [&] { return !lines_.empty() || ended_; }, timeout);
  if (lines_.empty()) return std::nullopt;
  std::string line = std::move(lines_.front());
  lines_.pop_front();
  auto j = nlohmann::json::parse(line, nullptr, false);
  INFO(line);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

bool StreamClient::wait_end(std::chrono::milliseconds timeout) {
  return uv::testing::run_until(
      loop_, [&] { return ended_; }, timeout);
}

ApiClient::~ApiClient() {
  client_.reset();
  uv::testing::run_to_completion(loop_, std::chrono::seconds(10));
  (void)loop_.close();
}

Reply ApiClient::call(const std::string& method, const std::string& target,
                      const std::string& body) {
  http::Request req;
  req.method = method;
  req.target = target;
  req.headers.set("Host", "localhost");
  if (!body.empty() || method == "POST") {
    req.headers.set("Content-Type", "application/json");
    req.body = body;
  }
  if (!token.empty()) req.headers.set("Authorization", "Bearer " + token);
  std::optional<Result<http::Response>> got;
  client_->send(std::move(req), [&](Result<http::Response> r) { got.emplace(std::move(r)); });
  REQUIRE(uv::testing::run_until(
      loop_, [&] { return got.has_value(); }, std::chrono::seconds(60)));
  Reply out;
  if (!got->ok()) {
    out.error = got->error().to_string();
    client_->close();
    return out;
  }
  out.status = (*got)->status;
  out.body = (*got)->body;
  out.json = nlohmann::json::parse(out.body, nullptr, false);
  return out;
}

DeviceKeys make_device_keys(const std::string& cn) {
  auto key = crypto::SigningKey::generate(crypto::KeyType::kEcdsaP256);
  REQUIRE(key.ok());
  auto csr = crypto::make_csr(*key, cn);
  REQUIRE(csr.ok());
  auto wg = crypto::WgPrivateKey::generate();
  REQUIRE(wg.ok());
  return {key->to_pem(), *csr, wg->public_key().to_base64()};
}

nlohmann::json enroll_body(const DeviceKeys& keys, const std::string& hostname) {
  return {{"wg_public_key", keys.wg_public_key},
          {"csr", keys.csr},
          {"hostname", hostname},
          {"os", {{"name", "debian"}, {"version", "12"}, {"kernel", "6.1.0"}}},
          {"endpoints", {"192.0.2.10:51820"}},
          {"listen_port", 51820}};
}

std::string TotpUser::next_code() {
  static const std::regex secret_re("secret=([A-Z2-7]+)");
  std::smatch m;
  REQUIRE(std::regex_search(uri, m, secret_re));
  auto secret = identity::base32_decode(m[1].str());
  REQUIRE(secret.ok());
  for (;;) {
    const auto now =
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    const std::int64_t step = identity::totp_step(now);
    const std::int64_t candidate = std::max(step - 1, last_step + 1);
    if (candidate <= step + 1) {
      auto code = identity::hotp_code(*secret, candidate);
      REQUIRE(code.ok());
      last_step = candidate;
      return std::string(code->reveal());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

std::string login(const TestController& c, TotpUser& user) {
  ApiClient client(c);
  auto r =
      client.post("/v1/admin/login",
                  {{"email", user.email}, {"password", user.password}, {"totp", user.next_code()}});
  INFO(r.body);
  REQUIRE(r.status == 200);
  return r.json["token"].get<std::string>();
}

std::string bootstrap_owner(const TestController& c, TotpUser& owner) {
  ApiClient client(c);
  auto r = client.post("/v1/admin/bootstrap", {{"bootstrap_token", c.bootstrap_token},
                                               {"email", owner.email},
                                               {"display_name", "Owner"},
                                               {"password", owner.password}});
  INFO(r.body);
  REQUIRE(r.status == 200);
  owner.uri = r.json["totp_uri"].get<std::string>();
  return login(c, owner);
}

ClientCert EnrolledDevice::cert() const {
  return ClientCert{answer["certificate"].get<std::string>(), keys.key_pem};
}

EnrolledDevice enroll_tagged(const TestController& c, ApiClient& admin, const std::string& tag,
                             const std::string& hostname) {
  auto key = admin.post("/v1/admin/keys", {{"tags", {tag}}, {"preapproved", true}});
  INFO(key.body);
  REQUIRE(key.status == 201);
  EnrolledDevice d{make_device_keys(), {}};
  auto body = enroll_body(d.keys, hostname);
  body["enroll_key"] = key.json["key"];
  ApiClient anon(c);
  auto r = anon.post("/v1/enroll", body);
  INFO(r.body);
  REQUIRE(r.status == 200);
  d.answer = r.json;
  return d;
}

}  // namespace ward::controller::testing
