// ApiClient: a blocking client of the controller's admin API (docs/admin-api.md) for one
// wardctl command.
//
// It owns a private uv::Loop and runs it only inside its own calls, so a command reads as
// straight-line code. One HTTPS connection (TLS 1.3, the server verified against the
// pinned CA only, its name checked against the URL's host) is kept open between calls.
//
// Contract:
// - call() sends one request and returns the parsed JSON body of a 2xx answer (null for
//   an empty body such as 204), or the API's error mapped by error_from_response(); a 401
//   to a request that carried the session token says that the session has ended.
//   Transport failures are kUnavailable (connect, handshake, timeout), naming the URL.
// - call_raw() returns any HTTP status with its parsed body (for answers whose 4xx body
//   carries data, such as 422 from `policy set`).
// - download() streams a 2xx body to sink as it arrives (no size bound; for exports).
// - The session token is sent as "Authorization: Bearer ..." on every request when set,
//   and never appears in an error.
// Not thread-safe; one command, one thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/base/result.hpp"
#include "common/base/secret.hpp"
#include "controller/wardctl/config.hpp"

namespace ward::wardctl {

struct ApiOptions {
  std::chrono::milliseconds timeout{30000};  // connect, handshake and each response
};

struct ApiResponse {
  int status = 0;
  nlohmann::json body;  // null when the body was empty
  std::string raw;      // the body as received
  std::optional<std::string> retry_after;
};

class ApiClient {
 public:
  // ca_pem: the pinned CA certificate(s). kInvalidArgument for unusable PEM.
  static Result<std::unique_ptr<ApiClient>> create(ControllerUrl url, std::string ca_pem,
                                                   std::optional<SecretString> token,
                                                   ApiOptions options = {});
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  Result<nlohmann::json> call(std::string_view method, std::string_view path,
                              const std::string* body = nullptr);
  Result<nlohmann::json> call(std::string_view method, std::string_view path,
                              const nlohmann::json& body);
  Result<ApiResponse> call_raw(std::string_view method, std::string_view path,
                               const std::string* body = nullptr);
  Status download(std::string_view path, const std::function<Status(std::string_view)>& sink);

  bool has_token() const { return token_.has_value(); }
  const ControllerUrl& url() const { return url_; }

 private:
  struct Impl;
  ApiClient(ControllerUrl url, std::optional<SecretString> token, std::unique_ptr<Impl> impl);

  ControllerUrl url_;
  std::optional<SecretString> token_;
  std::unique_ptr<Impl> impl_;
};

// Percent-encodes one path segment (everything but unreserved characters and '@').
std::string path_segment(std::string_view text);

// Overwrites every string in j (for request bodies that carried a password or code).
void wipe_json(nlohmann::json& j);

}  // namespace ward::wardctl
