// TLS servers and clients in a few lines: TlsListener accepts TCP connections and hands
// out streams only after their TLS handshake (and client-certificate check) succeeded;
// connect_tls() connects and handshakes.
//
//   auto server_ctx = tls::TlsContext::create({.role = tls::Role::kServer,
//       .cert_pem = cert, .key_pem = key, .ca_pem = device_ca,
//       .client_auth = tls::ClientAuth::kRequired});
//   auto listener = tls::TlsListener::listen(loop, "127.0.0.1", 0, *server_ctx,
//       [](uv::ByteStreamPtr s) { /* s->peer_certificate_der() is the verified client */ },
//       [](const Error& e, const std::string& peer) { /* audit: failed handshake */ });
//
//   auto client_ctx = tls::TlsContext::create({.role = tls::Role::kClient,
//       .cert_pem = dev_cert, .key_pem = dev_key, .ca_pem = device_ca,
//       .server_name = "controller.ward.test"});
//   tls::connect_tls(loop, "127.0.0.1", port, *client_ctx,
//       [](Result<uv::ByteStreamPtr> r) { ... });
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/base/result.hpp"
#include "common/tls/context.hpp"
#include "common/tls/tls_stream.hpp"
#include "common/uv/byte_stream.hpp"
#include "common/uv/loop.hpp"
#include "common/uv/tcp.hpp"

namespace ward::tls {

struct TlsListenerOptions {
  std::chrono::milliseconds handshake_timeout = kDefaultHandshakeTimeout;
  // Connections still handshaking beyond this many are refused at once (reset), so slow
  // or silent clients cannot pin unbounded memory.
  std::size_t max_pending_handshakes = 512;
};

class TlsListener {
 public:
  // A verified stream, not yet started. Never runs after the listener is destroyed.
  using AcceptCallback = std::function<void(uv::ByteStreamPtr stream)>;
  // A connection whose handshake failed: the reason (kUnauthenticated: refused
  // credentials or protocol; kUnavailable: timeout, peer went away, too many pending)
  // and the peer's address. For audit logs; optional.
  using ErrorCallback = std::function<void(const Error& error, const std::string& peer)>;

  // ctx must be a server context. Same host/port rules as uv::TcpListener::listen.
  static Result<TlsListener> listen(uv::Loop& loop, std::string_view host, std::uint16_t port,
                                    std::shared_ptr<TlsContext> ctx, AcceptCallback on_accept,
                                    ErrorCallback on_error = {}, TlsListenerOptions options = {});

  // Stops accepting; handshakes still in progress are aborted and report nothing.
  ~TlsListener();
  TlsListener(TlsListener&&) noexcept;
  TlsListener& operator=(TlsListener&&) noexcept;
  TlsListener(const TlsListener&) = delete;
  TlsListener& operator=(const TlsListener&) = delete;

  // Replaces the server context for connections accepted from now on (e.g. a renewed
  // server certificate); connections already accepted or handshaking keep the context
  // they started with (each TlsStream holds its own reference). Loop thread only.
  // kInvalidArgument (and no change) for a null or client context.
  Status set_context(std::shared_ptr<TlsContext> ctx);

  std::uint16_t local_port() const { return tcp_ ? tcp_->local_port() : 0; }
  std::size_t pending_handshakes() const;

 private:
  struct State;
  TlsListener(std::shared_ptr<State> state, std::unique_ptr<uv::TcpListener> tcp)
      : state_(std::move(state)), tcp_(std::move(tcp)) {}
  void shut();

  std::shared_ptr<State> state_;
  std::unique_ptr<uv::TcpListener> tcp_;
};

struct ConnectTlsOptions {
  std::chrono::milliseconds connect_timeout = uv::kDefaultConnectTimeout;
  std::chrono::milliseconds handshake_timeout = kDefaultHandshakeTimeout;
  // The name to verify in the server certificate; empty: the context's server_name, and
  // if that is empty too, `host`.
  std::string server_name;
};

// Connects to host:port over TCP and runs the TLS handshake (ctx must be a client
// context). cb runs exactly once, never inside this call, with a verified stream (not yet
// started) or the error: connect errors as uv::connect_tcp, handshake errors as
// tls::handshake.
void connect_tls(uv::Loop& loop, std::string host, std::uint16_t port,
                 std::shared_ptr<TlsContext> ctx, uv::ConnectCallback cb,
                 ConnectTlsOptions options = {});

}  // namespace ward::tls
