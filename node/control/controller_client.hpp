// Thin I/O to the controller: HTTPS requests and the long-lived stream over Ward's TLS
// (the controller's CA pinned; mutual TLS once the device has a certificate).
//
// Contracts: everything runs on the loop thread; callbacks never run inside the call that
// started them and not after the ControllerClient is destroyed. One Client carries
// requests (enroll/renew/posture), another the stream, so a stream never blocks a renew.
// Request bodies that hold credentials are copied into the HTTP layer's buffers for one
// exchange; nothing here logs a body.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/base/result.hpp"
#include "common/base/secret.hpp"
#include "common/http/client.hpp"
#include "common/tls/context.hpp"
#include "common/uv/loop.hpp"

namespace ward::node::control {

// "https://HOST[:PORT][/]"; PORT defaults to 8443. HOST is a name or an IP literal
// (IPv6 in brackets). Nothing else (no path, query or userinfo) is accepted.
struct ControllerUrl {
  std::string host;
  std::uint16_t port = 8443;
  static Result<ControllerUrl> parse(std::string_view text);
  std::string to_string() const;
};

class ControllerClient {
 public:
  using ResponseCallback = std::function<void(Result<http::Response>)>;

  // cert_pem/key_pem empty: no client certificate (enrollment only).
  static Result<std::unique_ptr<ControllerClient>> create(uv::Loop& loop, ControllerUrl url,
                                                          const std::string& ca_pem,
                                                          const std::string& cert_pem,
                                                          const SecretString& key_pem);
  ~ControllerClient();

  void post(std::string target, std::string body, ResponseCallback cb);
  void post_secret(std::string target, const SecretString& body, ResponseCallback cb);
  // GET target; the body is delivered as it arrives.
  void stream(std::string target, http::Client::StreamCallbacks callbacks);
  // Ends the stream (its on_end runs later with kUnavailable).
  void close_stream();

 private:
  ControllerClient(uv::Loop& loop, ControllerUrl url, std::shared_ptr<tls::TlsContext> ctx);
  http::Client::ConnectFn connector();

  uv::Loop& loop_;
  ControllerUrl url_;
  std::shared_ptr<tls::TlsContext> ctx_;
  std::unique_ptr<http::Client> requests_;
  std::unique_ptr<http::Client> stream_;
};

}  // namespace ward::node::control
