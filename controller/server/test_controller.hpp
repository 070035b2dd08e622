// Test support: a real `ward-controller` child process on loopback in a temporary data
// directory, and a small synchronous HTTPS client for it (its own libuv loop).
//
//   auto c = TestController::start();          // init + serve on 127.0.0.1:<free port>
//   ApiClient owner(*c);                        // TLS pinned to the controller's CA
//   auto r = owner.post("/v1/admin/bootstrap", {{"bootstrap_token", c->bootstrap_token}, ...});
//
// Every child is killed and every temporary directory removed when the owner goes away.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/base/secret.hpp"
#include "common/http/client.hpp"
#include "common/tls/context.hpp"
#include "common/uv/loop.hpp"

namespace ward::controller::testing {

class TestController {
 public:
  // init (with extra init flags) + serve (with extra serve arguments); REQUIREs success.
  static std::unique_ptr<TestController> start(const std::string& extra_init_args = "",
                                               std::vector<std::string> serve_args = {});
  ~TestController();

  void serve();              // (re)starts the child on a fresh port
  int stop_gracefully();     // SIGTERM; returns the exit status
  void kill9();              // SIGKILL, waits
  std::string logs() const;  // everything the children wrote to stderr so far
  std::string db_path() const { return data_dir + "/ward.db"; }

  std::string root;
  std::vector<std::string> serve_args;  // appended to every `serve` command line
  std::string data_dir;
  std::string log_path;
  std::string bootstrap_token;
  std::string init_output;
  std::string ca_pem;
  std::uint16_t port = 0;
  pid_t pid = -1;
};

struct Reply {
  int status = 0;     // 0: no HTTP answer (connection or TLS failure)
  std::string error;  // transport error when status == 0
  std::string body;
  nlohmann::json json;
};

struct ClientCert {
  std::string cert_pem;
  SecretString key_pem;
};

class ApiClient {
 public:
  explicit ApiClient(const TestController& c, const ClientCert* cert = nullptr,
                     const std::string& ca_pem_override = "");
  ~ApiClient();
  Reply call(const std::string& method, const std::string& target, const std::string& body = "");
  Reply get(const std::string& target) { return call("GET", target); }
  Reply post(const std::string& target, const nlohmann::json& body = nlohmann::json::object()) {
    return call("POST", target, body.dump());
  }
  std::string token;  // sent as Authorization: Bearer when set

 private:
  uv::Loop loop_;
  std::unique_ptr<http::Client> client_;
};

// A device's netmap stream (GET /v1/stream) read line by line on its own loop.
//
//   StreamClient a(*c, cert);                  // or (..., "/v1/stream?serial=42")
//   REQUIRE(a.status() == 200);
//   auto first = a.next(std::chrono::seconds(5));   // {"type":"netmap",...}
//   CHECK_FALSE(a.next(std::chrono::milliseconds(500)));  // nothing else was sent
class StreamClient {
 public:
  StreamClient(const TestController& c, const ClientCert& cert,
               const std::string& target = "/v1/stream");
  ~StreamClient();
  // Waits (up to 30 s) for the response head; 0 when there was none (transport error).
  int status();
  // The next line as JSON, waiting up to timeout; nullopt when none arrived (or the
  // stream ended with nothing left to read).
  std::optional<nlohmann::json> next(std::chrono::milliseconds timeout);
  // Waits up to timeout for the server to end the stream; true if it did.
  bool wait_end(std::chrono::milliseconds timeout);
  bool ended() const { return ended_; }
  std::string body;  // the whole body of a non-2xx answer

 private:
  uv::Loop loop_;
  std::unique_ptr<http::Client> client_;
  int status_ = 0;
  bool head_ = false;
  bool ended_ = false;
  std::string buffer_;
  std::deque<std::string> lines_;
};

// A fresh device identity: its TLS key and CSR, and a WireGuard public key.
struct DeviceKeys {
  SecretString key_pem;
  std::string csr;
  std::string wg_public_key;
};
DeviceKeys make_device_keys(const std::string& cn = "device");

// An enrollment request body for these keys.
nlohmann::json enroll_body(const DeviceKeys& keys, const std::string& hostname);

// TOTP for a user from the otpauth URI the API returned: a code for a time step after
// last_step (waiting for the clock when needed); updates last_step.
struct TotpUser {
  std::string email;
  std::string password;
  std::string uri;
  std::int64_t last_step = 0;
  std::string next_code();
};

// Logs in (REQUIREs 200) and returns the session token.
std::string login(const TestController& c, TotpUser& user);

// Bootstraps `owner` (its email and password) as the owner of a fresh controller, keeps the
// TOTP URI the API returned in owner.uri, and logs in with password + TOTP. Returns the
// session token; REQUIREs every step.
std::string bootstrap_owner(const TestController& c, TotpUser& owner);

// Enrolls a new device through a fresh single-use, pre-approved enrollment key with `tag`
// that `admin` (an owner or admin session) creates. REQUIREs every step.
struct EnrolledDevice {
  DeviceKeys keys;
  nlohmann::json answer;  // the enrollment answer: device_id, name, certificate, ...
  ClientCert cert() const;
};
EnrolledDevice enroll_tagged(const TestController& c, ApiClient& admin, const std::string& tag,
                             const std::string& hostname);

}  // namespace ward::controller::testing
