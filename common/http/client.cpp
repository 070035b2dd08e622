#include "common/http/client.hpp"

#include <deque>
#include <optional>
#include <utility>

#include "common/base/error.hpp"
#include "common/http/parser.hpp"
#include "common/http/serialize.hpp"
#include "common/uv/timer.hpp"

namespace ward::http {

namespace {

bool is_idempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS";
}

}  // namespace

class Client::Core : public std::enable_shared_from_this<Core> {
 public:
  Core(uv::Loop& loop, ConnectFn connect, ClientOptions options)
      : loop_(loop),
        connect_(std::move(connect)),
        options_(std::move(options)),
        parser_(options_.limits),
        timer_(loop) {}

  struct Exchange {
    std::string wire;
    std::string method;
    bool streaming = false;
    bool retried = false;
    ResponseCallback cb;
    StreamCallbacks scb;
  };

  void enqueue(Request request, Exchange ex);
  void close(Error why);
  void shutdown();
  bool connected() const { return conn_ && !conn_->is_closed(); }
  std::size_t opened() const { return opened_; }

 private:
  void schedule_pump();
  void pump();
  void on_connected(Result<uv::ByteStreamPtr> result);
  void start_exchange();
  void on_read(std::string_view data);
  void on_close(const Status& why);
  void on_timeout();
  void arm_timer(std::chrono::milliseconds timeout);
  // Completes the current exchange successfully.
  void finish(Response response);
  void fail_current(Error error);
  void drop_connection(bool abort);
  // Runs ex's completion; returns false if the Client died meanwhile.
  bool deliver(Exchange& ex, Result<Response> result);

  uv::Loop& loop_;
  ConnectFn connect_;
  ClientOptions options_;
  std::deque<Exchange> queue_;
  std::optional<Exchange> current_;
  uv::ByteStreamPtr conn_;
  std::uint64_t conn_gen_ = 0;  // callbacks of earlier connections are ignored
  bool connecting_ = false;
  bool conn_reused_ = false;  // the connection completed an exchange before the current one
  bool got_bytes_ = false;    // any response byte arrived for the current exchange
  bool headers_delivered_ = false;
  bool pump_scheduled_ = false;
  bool dead_ = false;
  std::size_t opened_ = 0;
  ResponseParser parser_;
  uv::Timer timer_;
};

void Client::Core::enqueue(Request request, Exchange ex) {
  if (!request.headers.contains("Host")) request.headers.set("Host", options_.host);
  auto wire = serialize_request(request);
  if (!wire) {
    std::weak_ptr<Core> weak = weak_from_this();
    auto shared_ex = std::make_shared<Exchange>(std::move(ex));
    Error error = wire.error();
    loop_.defer([weak, shared_ex, error] {
      auto self = weak.lock();
      if (self && !self->dead_) self->deliver(*shared_ex, error);
    });
    return;
  }
  ex.wire = std::move(*wire);
  ex.method = request.method;
  queue_.push_back(std::move(ex));
  schedule_pump();
}

void Client::Core::schedule_pump() {
  if (pump_scheduled_) return;
  pump_scheduled_ = true;
  std::weak_ptr<Core> weak = weak_from_this();
  loop_.defer([weak] {
    if (auto self = weak.lock()) {
      self->pump_scheduled_ = false;
      self->pump();
    }
  });
}

void Client::Core::pump() {
  if (dead_ || current_ || queue_.empty()) return;
  if (conn_ && conn_->is_closed()) drop_connection(false);
  if (!conn_) {
    if (connecting_) return;
    connecting_ = true;
    std::weak_ptr<Core> weak = weak_from_this();
    connect_([weak](Result<uv::ByteStreamPtr> result) {
      if (auto self = weak.lock()) {
        self->on_connected(std::move(result));
      } else if (result) {
        (*result)->close();
      }
    });
    return;
  }
  start_exchange();
}

void Client::Core::on_connected(Result<uv::ByteStreamPtr> result) {
  auto self = shared_from_this();
  connecting_ = false;
  if (dead_) {
    if (result) (*result)->close();
    return;
  }
  if (!result) {
    // The connection cannot be made: every waiting exchange fails the same way.
    Error error = std::move(result).error();
    while (!queue_.empty() && !dead_) {
      Exchange ex = std::move(queue_.front());
      queue_.pop_front();
      if (!deliver(ex, error)) return;
    }
    return;
  }
  conn_ = std::move(*result);
  ++opened_;
  const std::uint64_t gen = ++conn_gen_;
  conn_reused_ = false;
  parser_ = ResponseParser(options_.limits);
  std::weak_ptr<Core> weak = weak_from_this();
  conn_->start(
      [weak, gen](std::string_view data) {
        auto s = weak.lock();
        if (s && s->conn_gen_ == gen) s->on_read(data);
      },
      [weak, gen](const Status& why) {
        auto s = weak.lock();
        if (s && s->conn_gen_ == gen) s->on_close(why);
      });
  pump();
}

void Client::Core::start_exchange() {
  current_ = std::move(queue_.front());
  queue_.pop_front();
  got_bytes_ = false;
  headers_delivered_ = false;
  if (current_->method == "HEAD") parser_.expect_no_body();
  conn_->write(current_->wire);
  arm_timer(options_.response_timeout);
}

void Client::Core::arm_timer(std::chrono::milliseconds timeout) {
  std::weak_ptr<Core> weak = weak_from_this();
  timer_.start(timeout, [weak] {
    if (auto self = weak.lock()) self->on_timeout();
  });
}

void Client::Core::on_timeout() {
  if (!current_ || dead_) return;
  auto self = shared_from_this();
  Error error = Error::unavailable(
      headers_delivered_
          ? "stream silent for more than " + std::to_string(options_.stream_idle_timeout.count()) +
                " ms"
          : "no response within " + std::to_string(options_.response_timeout.count()) + " ms");
  drop_connection(true);
  fail_current(std::move(error));
  if (!dead_) pump();
}

void Client::Core::on_read(std::string_view data) {
  auto self = shared_from_this();
  if (!current_) {
    // Bytes nobody asked for: the connection is out of step; drop it.
    drop_connection(true);
    return;
  }
  got_bytes_ = true;
  const std::uint64_t gen = conn_gen_;
  while (true) {
    const std::size_t used = parser_.feed(data);
    data.remove_prefix(used);
    const ParseState st = parser_.state();
    if (st == ParseState::kError) {
      Error error = Error::corruption("malformed HTTP response: " + parser_.error().message);
      drop_connection(true);
      fail_current(std::move(error));
      if (!dead_) pump();
      return;
    }
    if (current_->streaming && (st == ParseState::kBody || st == ParseState::kComplete)) {
      if (!headers_delivered_) {
        headers_delivered_ = true;
        if (options_.stream_idle_timeout.count() > 0) {
          arm_timer(options_.stream_idle_timeout);
        } else {
          timer_.stop();
        }
        if (current_->scb.on_response) current_->scb.on_response(parser_.partial());
        if (dead_ || gen != conn_gen_ || !current_) return;
      }
      std::string body = parser_.drain_body();
      if (!body.empty()) {
        if (options_.stream_idle_timeout.count() > 0) arm_timer(options_.stream_idle_timeout);
        if (current_->scb.on_data) current_->scb.on_data(body);
        if (dead_ || gen != conn_gen_ || !current_) return;
      }
    }
    if (st == ParseState::kComplete) {
      const bool keep = parser_.keep_alive() && data.empty();
      Response response = parser_.take();
      if (!keep) drop_connection(!data.empty());
      finish(std::move(response));
      return;
    }
    if (used == 0 || data.empty()) return;
  }
}

void Client::Core::on_close(const Status& why) {
  auto self = shared_from_this();
  conn_ = nullptr;
  ++conn_gen_;
  if (!current_) return;
  if (got_bytes_) {
    parser_.feed_eof();
    if (parser_.state() == ParseState::kComplete) {
      finish(parser_.take());
      return;
    }
  }
  if (!got_bytes_ && conn_reused_ && !current_->retried && is_idempotent(current_->method)) {
    // The server closed an idle keep-alive connection as we reused it: try once more.
    current_->retried = true;
    queue_.push_front(std::move(*current_));
    current_.reset();
    timer_.stop();
    pump();
    return;
  }
  std::string msg = "connection closed before the response was complete";
  if (!why.ok()) msg += ": " + why.error().message();
  fail_current(Error::unavailable(std::move(msg)));
  if (!dead_) pump();
}

void Client::Core::finish(Response response) {
  timer_.stop();
  Exchange ex = std::move(*current_);
  current_.reset();
  conn_reused_ = true;
  if (!deliver(ex, std::move(response))) return;
  pump();
}

void Client::Core::fail_current(Error error) {
  if (!current_) return;
  timer_.stop();
  Exchange ex = std::move(*current_);
  current_.reset();
  deliver(ex, std::move(error));
}

bool Client::Core::deliver(Exchange& ex, Result<Response> result) {
  if (dead_) return false;
  if (ex.streaming) {
    if (ex.scb.on_end) ex.scb.on_end(result ? ok() : Status(result.error()));
  } else if (ex.cb) {
    ex.cb(std::move(result));
  }
  return !dead_;
}

void Client::Core::drop_connection(bool abort) {
  ++conn_gen_;
  parser_ = ResponseParser(options_.limits);
  conn_reused_ = false;
  if (auto c = std::move(conn_)) {
    if (abort) {
      c->abort();
    } else {
      c->close();
    }
  }
}

void Client::Core::close(Error why) {
  auto victims = std::make_shared<std::deque<Exchange>>(std::move(queue_));
  queue_.clear();
  if (current_) {
    victims->push_front(std::move(*current_));
    current_.reset();
  }
  timer_.stop();
  drop_connection(false);
  if (victims->empty()) return;
  std::weak_ptr<Core> weak = weak_from_this();
  loop_.defer([weak, victims, why] {
    auto self = weak.lock();
    if (!self) return;
    for (Exchange& ex : *victims) {
      if (!self->deliver(ex, why)) return;
    }
  });
}

void Client::Core::shutdown() {
  dead_ = true;
  queue_.clear();
  current_.reset();
  timer_.stop();
  drop_connection(false);
  connect_ = nullptr;
}

Client::Client(uv::Loop& loop, ConnectFn connect, ClientOptions options)
    : core_(std::make_shared<Core>(loop, std::move(connect), std::move(options))) {}

Client::~Client() {
  core_->shutdown();
}

void Client::send(Request request, ResponseCallback cb) {
  Core::Exchange ex;
  ex.cb = std::move(cb);
  core_->enqueue(std::move(request), std::move(ex));
}

void Client::stream(Request request, StreamCallbacks callbacks) {
  Core::Exchange ex;
  ex.streaming = true;
  ex.scb = std::move(callbacks);
  core_->enqueue(std::move(request), std::move(ex));
}

void Client::close() {
  core_->close(Error::unavailable("client closed"));
}

bool Client::connected() const {
  return core_->connected();
}
std::size_t Client::connections_opened() const {
  return core_->opened();
}

}  // namespace ward::http
