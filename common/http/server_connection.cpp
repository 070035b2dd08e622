#include "common/http/server_connection.hpp"

#include <cstdio>
#include <exception>
#include <utility>

#include "common/base/error.hpp"
#include "common/http/serialize.hpp"

namespace ward::http::detail {

namespace {

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

Response status_response(int status) {
  return Response::text(status, std::string(reason_phrase(status)));
}

}  // namespace

Response ServerCore::error_response(int status) const {
  if (options.error_response) return options.error_response(status);
  return status_response(status);
}

void ServerCore::log(std::string_view message) const {
  if (options.log_error) {
    options.log_error(message);
    return;
  }
  std::fprintf(stderr, "ward http server: %.*s\n", static_cast<int>(message.size()),
               message.data());
}

Connection::Connection(std::shared_ptr<ServerCore> core, uv::ByteStreamPtr stream)
    : core_(std::move(core)),
      stream_(std::move(stream)),
      parser_(core_->options.limits),
      timer_(core_->loop) {}

void Connection::start() {
  std::weak_ptr<Connection> weak = weak_from_this();
  stream_->start(
      [weak](std::string_view data) {
        if (auto self = weak.lock()) self->on_read(data);
      },
      [weak](const Status& why) {
        if (auto self = weak.lock()) self->on_close(why);
      });
  set_timer(TimerKind::kRequest);
}

void Connection::shutdown() {
  if (state_ == State::kClosed) return;
  set_timer(TimerKind::kNone);
  if (!close_reason_) close_reason_ = Error::unavailable("server shutting down");
  stream_->close();
}

void Connection::on_read(std::string_view data) {
  if (state_ == State::kClosed) return;
  // After a request that ends the connection, anything more the client sends is moot.
  if (!keep_alive_ && state_ != State::kReading) return;
  auto self = shared_from_this();
  pending_.append(data);
  if (state_ != State::kReading) {
    if (pending_.size() > core_->options.max_pipeline_bytes && !paused_) {
      paused_ = true;
      stream_->pause_reading();
    }
    return;
  }
  process();
}

void Connection::on_close(const Status& why) {
  auto self = shared_from_this();
  state_ = State::kClosed;
  set_timer(TimerKind::kNone);
  if (auto stream = std::move(active_stream_)) {
    if (close_reason_) {
      stream->connection_closed(*close_reason_);
    } else {
      stream->connection_closed(why);
    }
  }
  core_->connections.erase(this);
}

void Connection::set_timer(TimerKind kind) {
  if (kind == timer_kind_) return;
  timer_kind_ = kind;
  if (kind == TimerKind::kNone) {
    timer_.stop();
    return;
  }
  const auto& o = core_->options;
  const auto timeout = kind == TimerKind::kIdle ? o.idle_timeout : o.request_timeout;
  std::weak_ptr<Connection> weak = weak_from_this();
  timer_.start(timeout, [weak] {
    if (auto self = weak.lock()) self->on_timeout();
  });
}

void Connection::on_timeout() {
  const TimerKind kind = std::exchange(timer_kind_, TimerKind::kNone);
  if (state_ == State::kClosed) return;
  switch (kind) {
    case TimerKind::kNone:
      return;
    case TimerKind::kIdle:
      shutdown();
      return;
    case TimerKind::kRequest:
      if (state_ != State::kReading) return;
      if (parser_.state() == ParseState::kIdle && pending_.empty()) {
        shutdown();  // nothing was asked: close quietly
      } else {
        send_error(408);
      }
      return;
    case TimerKind::kWrite:
      abort_connection(Error::unavailable("timed out writing the response"));
      return;
    case TimerKind::kDeferred:
      if (state_ != State::kDeferred) return;
      core_->log("a deferred response was not given within the request timeout");
      send_error(503);
      return;
  }
}

void Connection::process() {
  while (state_ == State::kReading && !pending_.empty()) {
    if (core_->closing) {
      shutdown();
      return;
    }
    const std::size_t used = parser_.feed(pending_);
    pending_.erase(0, used);
    const ParseState ps = parser_.state();
    if (ps == ParseState::kError) {
      send_error(parser_.error().status);
      return;
    }
    if (ps == ParseState::kComplete) {
      dispatch(parser_.take());
      continue;
    }
    if (ps != ParseState::kIdle) set_timer(TimerKind::kRequest);
    if (ps == ParseState::kBody && !continue_sent_) {
      const Request& head = parser_.partial();
      auto expect = head.headers.get("Expect");
      if (expect && iequals(*expect, "100-continue") && head.version_minor >= 1) {
        continue_sent_ = true;
        stream_->write(std::string(kContinue));
      }
    }
    break;  // the parser took everything and wants more
  }
  if (state_ == State::kReading && paused_) {
    paused_ = false;
    stream_->resume_reading();
  }
}

void Connection::dispatch(Request request) {
  set_timer(TimerKind::kNone);
  ++exchange_;
  continue_sent_ = false;
  keep_alive_ = request.keep_alive && !core_->closing;
  http10_ = request.version_minor == 0;
  const bool head = request.method == "HEAD";

  RouteMatch match = core_->router.match(request.method, request.path);
  if (match.kind == RouteMatch::Kind::kNotFound) {
    send_response(core_->error_response(404), head);
    return;
  }
  if (match.kind == RouteMatch::Kind::kMethodNotAllowed) {
    Response r = core_->error_response(405);
    r.headers.set("Allow", match.allow);
    send_response(std::move(r), head);
    return;
  }

  Server::Handler handler = core_->handlers.at(match.id);  // a copy: routes may be added
  RequestContext ctx(request, std::move(match.params), stream_->peer_address(),
                     stream_->peer_certificate_der(), this);
  ctx.head_only_ = head;
  Response response;
  bool failed = false;
  try {
    response = handler(ctx);
  } catch (const std::exception& e) {
    failed = true;
    core_->log("handler for " + request.method + " " + quote(request.path) +
               " threw: " + quote(e.what(), 200));
  } catch (...) {
    failed = true;
    core_->log("handler for " + request.method + " " + quote(request.path) +
               " threw a non-standard exception");
  }
  if (state_ == State::kClosed || stream_->is_closed()) return;
  if (ctx.deferred()) {
    // The DeferredResponse answers; a handler that failed after deferring answers now.
    if (failed && deferred_open(exchange_)) send_response(core_->error_response(500), head);
    return;
  }
  if (ctx.stream_started()) {
    // The head is out: a failure can only be signalled by cutting the connection.
    if (failed && state_ == State::kStreaming) {
      abort_connection(Error::internal("stream handler failed"));
    }
    return;
  }
  if (failed) response = core_->error_response(500);
  send_response(std::move(response), head);
}

void Connection::send_response(Response response, bool head_only) {
  if (!keep_alive_) {
    response.headers.set("Connection", "close");
  } else if (http10_) {
    response.headers.set("Connection", "keep-alive");
  }
  auto wire = serialize_response(response, head_only);
  if (!wire) {
    core_->log("cannot serialize response: " + wire.error().to_string());
    Response fallback = status_response(500);
    if (!keep_alive_) fallback.headers.set("Connection", "close");
    wire = serialize_response(fallback, head_only);
  }
  write_response(std::move(*wire));
}

void Connection::send_error(int status) {
  keep_alive_ = false;
  pending_.clear();
  send_response(core_->error_response(status), false);
}

void Connection::write_response(std::string wire) {
  state_ = State::kWriting;
  set_timer(TimerKind::kWrite);
  std::weak_ptr<Connection> weak = weak_from_this();
  stream_->write(std::move(wire), [weak](const Status& result) {
    if (auto self = weak.lock()) self->response_written(result);
  });
}

void Connection::response_written(const Status& result) {
  if (state_ != State::kWriting) return;
  if (!result.ok()) return;  // the stream is closing; on_close follows
  set_timer(TimerKind::kNone);
  if (!keep_alive_ || core_->closing) {
    shutdown();
    return;
  }
  ++served_;
  state_ = State::kReading;
  set_timer(pending_.empty() ? TimerKind::kIdle : TimerKind::kRequest);
  process();
}

void Connection::abort_connection(Error why) {
  if (state_ == State::kClosed) return;
  set_timer(TimerKind::kNone);
  if (!close_reason_) close_reason_ = std::move(why);
  stream_->abort();
}

std::shared_ptr<ResponseStream> Connection::start_stream(RequestContext& ctx, int status,
                                                         Headers headers) {
  if (ctx.stream_) return ctx.stream_;
  if (ctx.deferred_) {
    core_->log("start_stream called on a deferred exchange");
    ctx.stream_ = std::make_shared<ResponseStream>(weak_from_this(), false);
    return ctx.stream_;
  }
  if (!keep_alive_) headers.set("Connection", "close");
  auto head = serialize_chunked_head(status, "", headers);
  if (!head) {
    core_->log("cannot start streaming response: " + head.error().to_string());
    ctx.stream_ = std::make_shared<ResponseStream>(weak_from_this(), false);
    send_response(core_->error_response(500), ctx.head_only_);
    return ctx.stream_;
  }
  if (ctx.head_only_) {
    ctx.stream_ = std::make_shared<ResponseStream>(weak_from_this(), false);
    write_response(std::move(*head));
    return ctx.stream_;
  }
  state_ = State::kStreaming;
  set_timer(TimerKind::kNone);
  stream_->write(std::move(*head));
  active_stream_ = std::make_shared<ResponseStream>(weak_from_this(), true);
  ctx.stream_ = active_stream_;
  return ctx.stream_;
}

bool Connection::stream_send(std::string chunk) {
  if (state_ != State::kStreaming || stream_->is_closed()) return false;
  const std::size_t queued = stream_->write_queue_bytes();
  // A single chunk may be larger than the bound; a backlog plus a chunk may not.
  if (queued > 0 && queued + chunk.size() > core_->options.max_stream_queue_bytes) {
    abort_connection(Error::unavailable("client too slow: " + std::to_string(queued) +
                                        " bytes of stream still unsent"));
    return false;
  }
  stream_->write(encode_chunk(chunk));
  return true;
}

void Connection::stream_end() {
  if (state_ != State::kStreaming) return;
  active_stream_.reset();
  write_response(std::string(kLastChunk));
}

}  // namespace ward::http::detail

namespace ward::http::detail {

std::shared_ptr<DeferredResponse> Connection::defer(RequestContext& ctx) {
  if (ctx.deferred_) return ctx.deferred_;
  if (ctx.stream_ || state_ != State::kReading) return nullptr;
  state_ = State::kDeferred;
  set_timer(TimerKind::kDeferred);
  ctx.deferred_ = std::make_shared<DeferredResponse>(weak_from_this(), exchange_, ctx.head_only_);
  return ctx.deferred_;
}

void Connection::deferred_respond(std::uint64_t exchange, Response response, bool head_only) {
  if (!deferred_open(exchange)) return;
  auto self = shared_from_this();
  send_response(std::move(response), head_only);
}

void Connection::deferred_dropped(std::uint64_t exchange) {
  if (!deferred_open(exchange)) return;
  core_->log("a deferred response was dropped without an answer");
  auto self = shared_from_this();
  send_error(500);
}

}  // namespace ward::http::detail
