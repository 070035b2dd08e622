// Server: HTTP/1.1 over connections it is handed (TCP or TLS), with routing, keep-alive,
// pipelining, streaming responses, limits and timeouts.
//
//   uv::Loop loop;
//   http::Server server(loop);
//   server.route("GET", "/v1/admin/devices/{id}", [](http::RequestContext& ctx) {
//     return http::Response::json(200, lookup(*ctx.param("id")));
//   });
//   server.route("GET", "/v1/stream", [&](http::RequestContext& ctx) {
//     auto stream = ctx.start_stream(200, {{"Content-Type", "application/x-ndjson"}});
//     stream->set_on_closed([](const ward::Status&) { /* client gone */ });
//     subscribers.push_back(stream);        // later: stream->send(line + "\n")
//     return http::Response{};              // ignored once a stream is started
//   });
//   auto listener = uv::TcpListener::listen(loop, "127.0.0.1", 8443,
//                                           [&](uv::ByteStreamPtr c) { server.serve(c); });
//
// Behaviour a client may rely on:
// - One request at a time per connection; pipelined bytes wait for the previous response
//   to be written. HTTP/1.1 keeps the connection open unless "Connection: close"; 1.0
//   only with "Connection: keep-alive".
// - Unknown path: 404. Known path, other method: 405 with Allow. Malformed or over-limit
//   request: its 4xx/5xx status from the parser (400, 413, 414, 431, 501, 505) with
//   "Connection: close", then the connection closes. A handler exception: 500, logged.
// - Timeouts: a request must be fully received within request_timeout of its first byte
//   (or of the connection opening), else 408 and close; a keep-alive connection idle for
//   idle_timeout is closed; a response that cannot be written within request_timeout is
//   aborted. Streaming responses have no timeout (the producer sends keepalives).
// - Beyond max_connections, a new connection gets 503 and is closed.
// - While a response is in progress (including a stream), up to max_pipeline_bytes of
//   further input is buffered for the next request; beyond that reading pauses.
//
// Threading: everything on the loop thread; handlers must not block. Lifetime: the Server
// may be destroyed at any time, even from a handler; that closes its connections as
// close() does (open ResponseStreams then report on_closed while the loop keeps running).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/base/result.hpp"
#include "common/http/deferred_response.hpp"
#include "common/http/message.hpp"
#include "common/http/response_stream.hpp"
#include "common/http/router.hpp"
#include "common/uv/byte_stream.hpp"
#include "common/uv/loop.hpp"

namespace ward::http {

struct ServerOptions {
  Limits limits;
  std::chrono::milliseconds request_timeout{10000};
  std::chrono::milliseconds idle_timeout{60000};
  std::size_t max_connections = 1024;
  // Unsent bytes a streaming response may accumulate before the client counts as too
  // slow and is dropped.
  std::size_t max_stream_queue_bytes = 4 * 1024 * 1024;
  // Bytes a client may send ahead (pipelining) while its previous request is answered;
  // beyond it, reading pauses.
  std::size_t max_pipeline_bytes = 64 * 1024;
  // Receives one line per server-side problem (handler exception, unserializable
  // response). Default: stderr. Never given request bodies or header values.
  std::function<void(std::string_view message)> log_error;
  // Builds the answers the server itself sends for an error status: 404 and 405 (with
  // Allow added after), 400/413/414/431/501/505 for malformed input, 408, 500 and 503. An
  // API uses it to give them its own error shape. Default: text/plain reason phrase.
  // Called on the loop thread; must not throw.
  std::function<Response(int status)> error_response;
};

namespace detail {
class Connection;
struct ServerCore;
}  // namespace detail

// What a handler sees of one exchange. Valid only during the handler call; copy what
// must outlive it.
class RequestContext {
 public:
  const Request& request() const { return request_; }
  // The decoded value of the route's {name} segment.
  std::optional<std::string_view> param(std::string_view name) const { return params_.get(name); }
  const PathParams& params() const { return params_; }
  // "ip:port" of the client, or "" if unknown.
  const std::string& peer_address() const { return peer_address_; }
  // DER of the client certificate the transport verified (mTLS), nullopt otherwise.
  const std::optional<std::string>& peer_certificate_der() const { return peer_cert_der_; }

  // Turns this exchange into a chunked streaming response with the given status (2xx-5xx
  // except 204/304) and headers; the handler's returned Response is then ignored. Calling
  // it again returns the same stream. If the head cannot be serialized (bad header), the
  // client gets 500 and the returned stream is already closed. For a HEAD request only
  // the head is sent and the returned stream is closed.
  std::shared_ptr<ResponseStream> start_stream(int status = 200, Headers headers = {});
  bool stream_started() const { return stream_ != nullptr; }

  // Answers this exchange later, through the returned DeferredResponse; the handler's
  // returned Response is then ignored (if the handler throws after deferring, the client
  // gets 500 at once). Calling it again returns the same object. Null after
  // start_stream(); start_stream() after defer() returns a closed stream.
  std::shared_ptr<DeferredResponse> defer();
  bool deferred() const { return deferred_ != nullptr; }

 private:
  friend class detail::Connection;
  RequestContext(const Request& request, PathParams params, std::string peer_address,
                 std::optional<std::string> peer_cert_der, detail::Connection* conn)
      : request_(request),
        params_(std::move(params)),
        peer_address_(std::move(peer_address)),
        peer_cert_der_(std::move(peer_cert_der)),
        conn_(conn) {}

  const Request& request_;
  PathParams params_;
  std::string peer_address_;
  std::optional<std::string> peer_cert_der_;
  detail::Connection* conn_;
  bool head_only_ = false;
  std::shared_ptr<ResponseStream> stream_;
  std::shared_ptr<DeferredResponse> deferred_;
};

class Server {
 public:
  using Handler = std::function<Response(RequestContext& ctx)>;

  explicit Server(uv::Loop& loop, ServerOptions options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Registers a handler; errors as Router::add. Routes may be added while serving.
  Status route(std::string_view method, std::string_view pattern, Handler handler);

  // Takes over an open, not yet started connection and serves HTTP on it until it closes.
  void serve(uv::ByteStreamPtr conn);

  // Connections currently open.
  std::size_t connection_count() const;
  // Closes every connection (queued bytes are flushed first) and refuses new ones.
  // Streams report on_closed later. Idempotent.
  void close();

 private:
  std::shared_ptr<detail::ServerCore> core_;
};

}  // namespace ward::http
