// Client: HTTP/1.1 requests over one reusable connection obtained from an injected
// connect function (plain TCP, TLS with a client certificate, ... the Client does not
// know).
//
//   http::Client client(loop, [&loop](auto done) {
//     uv::connect_tcp(loop, "127.0.0.1", port, std::move(done));
//   }, {.host = "controller.example"});
//   http::Request req;
//   req.method = "POST";
//   req.target = "/v1/posture";
//   req.body = json;
//   client.send(std::move(req), [](ward::Result<http::Response> r) { ... });
//
//   client.stream(get("/v1/stream"), {
//     .on_response = [](const http::Response& head) { /* status, headers */ },
//     .on_data = [](std::string_view bytes) { /* de-chunked body bytes as they arrive */ },
//     .on_end = [](const ward::Status& why) { /* ok(): body ended; else the error */ }});
//
// Contract:
// - Requests are sent one at a time, in order, over one connection that is kept open
//   while the server allows (keep-alive) and reopened when needed. A streaming exchange
//   holds the connection until it ends, so give a long-lived stream its own Client.
// - Every callback runs on the loop thread, never inside the call that started the
//   exchange, and a send() callback / a stream's on_end runs exactly once (unless the
//   Client is destroyed first: then none runs). Callbacks may destroy the Client; they
//   must not throw (they run from libuv callbacks).
// - Errors: kInvalidArgument (request cannot be serialized), the connect function's error,
//   kUnavailable (connection lost, timeout, client closed), kCorruption (malformed or
//   over-limit response). An HTTP error status is a Response, not an Error.
// - If a reused keep-alive connection turns out to be closed before any response byte
//   arrives, an idempotent request (GET, HEAD, PUT, DELETE, OPTIONS) is retried once on a
//   fresh connection.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/base/result.hpp"
#include "common/http/message.hpp"
#include "common/uv/byte_stream.hpp"
#include "common/uv/loop.hpp"

namespace ward::http {

struct ClientOptions {
  // Host header for requests that do not carry one.
  std::string host = "localhost";
  // Bounds on responses (max_body_bytes applies to whole bodies; streamed bodies are
  // delivered as they arrive and are not bounded in total).
  Limits limits{
      .max_header_bytes = 16 * 1024, .max_headers = 100, .max_body_bytes = 8 * 1024 * 1024};
  // From sending a request until its response is complete (for a stream: until its
  // headers arrive).
  std::chrono::milliseconds response_timeout{30000};
  // For a stream: the longest silence allowed between body bytes; 0 disables it.
  std::chrono::milliseconds stream_idle_timeout{0};
};

class Client {
 public:
  using ConnectDone = std::function<void(Result<uv::ByteStreamPtr>)>;
  // Must call done exactly once, not inside the call, with an open unstarted stream or an
  // error (uv::connect_tcp and the TLS connect have this shape).
  using ConnectFn = std::function<void(ConnectDone done)>;
  using ResponseCallback = std::function<void(Result<Response> response)>;

  struct StreamCallbacks {
    std::function<void(const Response& head)> on_response;  // once; body empty
    std::function<void(std::string_view data)> on_data;
    std::function<void(const Status& end)> on_end;  // exactly once
  };

  Client(uv::Loop& loop, ConnectFn connect, ClientOptions options = {});
  // Closes the connection; no callback runs afterwards.
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Queues a request; cb gets the whole response.
  void send(Request request, ResponseCallback cb);
  // Queues a request whose response body is delivered incrementally.
  void stream(Request request, StreamCallbacks callbacks);
  // Closes the connection and fails every queued or in-flight exchange with kUnavailable
  // (callbacks run later). The Client stays usable: a later send() reconnects.
  void close();

  // Whether a connection is currently open (for tests of keep-alive reuse).
  bool connected() const;
  // How many connections the Client has opened so far.
  std::size_t connections_opened() const;

 private:
  class Core;
  std::shared_ptr<Core> core_;
};

}  // namespace ward::http
