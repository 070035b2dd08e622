// Internal to common/http: the per-connection state machine behind Server.
//
// States: kReading (parsing the next request) -> kWriting (a full response is being
// handed to the kernel), kStreaming (a chunked response is open) or kDeferred (the
// handler answers later, through a DeferredResponse) -> back to kReading (keep-alive) or
// closed. Bytes that arrive while not kReading wait in pending_. Each dispatched request
// is a new exchange (exchange_), so a late DeferredResponse can never answer a later one.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/http/parser.hpp"
#include "common/http/router.hpp"
#include "common/http/server.hpp"
#include "common/uv/byte_stream.hpp"
#include "common/uv/loop.hpp"
#include "common/uv/timer.hpp"

namespace ward::http::detail {

struct ServerCore {
  ServerCore(uv::Loop& l, ServerOptions o) : loop(l), options(std::move(o)) {}
  void log(std::string_view message) const;
  // The server's own answer for an error status (options.error_response, or plain text).
  Response error_response(int status) const;

  uv::Loop& loop;
  ServerOptions options;
  Router router;
  std::vector<Server::Handler> handlers;  // indexed by route id
  std::unordered_map<Connection*, std::shared_ptr<Connection>> connections;
  bool closing = false;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<ServerCore> core, uv::ByteStreamPtr stream);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Starts reading; the core must already hold this connection.
  void start();
  // Graceful close requested by the server (flushes what is queued).
  void shutdown();

  // For RequestContext / ResponseStream.
  std::shared_ptr<ResponseStream> start_stream(RequestContext& ctx, int status, Headers headers);
  bool stream_send(std::string chunk);
  void stream_end();
  // For RequestContext / DeferredResponse.
  std::shared_ptr<DeferredResponse> defer(RequestContext& ctx);
  bool deferred_open(std::uint64_t exchange) const {
    return state_ == State::kDeferred && exchange == exchange_;
  }
  void deferred_respond(std::uint64_t exchange, Response response, bool head_only);
  void deferred_dropped(std::uint64_t exchange);
  std::size_t write_queue_bytes() const { return stream_->write_queue_bytes(); }

 private:
  enum class State { kReading, kWriting, kStreaming, kDeferred, kClosed };
  enum class TimerKind { kNone, kIdle, kRequest, kWrite, kDeferred };

  void on_read(std::string_view data);
  void on_close(const Status& why);
  void on_timeout();
  void process();
  void dispatch(Request request);
  void send_response(Response response, bool head_only);
  void send_error(int status);
  void write_response(std::string wire);
  void response_written(const Status& result);
  void set_timer(TimerKind kind);
  void abort_connection(Error why);

  std::shared_ptr<ServerCore> core_;
  uv::ByteStreamPtr stream_;
  RequestParser parser_;
  uv::Timer timer_;
  TimerKind timer_kind_ = TimerKind::kNone;
  State state_ = State::kReading;
  std::string pending_;
  bool paused_ = false;
  bool keep_alive_ = true;  // whether the connection continues after this response
  bool http10_ = false;     // the current request is HTTP/1.0
  bool continue_sent_ = false;
  std::size_t served_ = 0;
  std::uint64_t exchange_ = 0;
  std::shared_ptr<ResponseStream> active_stream_;
  std::optional<Error> close_reason_;
};

}  // namespace ward::http::detail
