#include "common/http/server.hpp"

#include <utility>
#include <vector>

#include "common/http/serialize.hpp"
#include "common/http/server_connection.hpp"

namespace ward::http {

std::shared_ptr<ResponseStream> RequestContext::start_stream(int status, Headers headers) {
  return conn_->start_stream(*this, status, std::move(headers));
}

std::shared_ptr<DeferredResponse> RequestContext::defer() {
  return conn_->defer(*this);
}

void DeferredResponse::respond(Response response) {
  if (std::exchange(done_, true)) return;
  if (auto conn = conn_.lock()) conn->deferred_respond(exchange_, std::move(response), head_only_);
}

bool DeferredResponse::is_open() const {
  if (done_) return false;
  auto conn = conn_.lock();
  return conn && conn->deferred_open(exchange_);
}

DeferredResponse::~DeferredResponse() {
  if (done_) return;
  if (auto conn = conn_.lock()) conn->deferred_dropped(exchange_);
}

bool ResponseStream::send(std::string chunk) {
  if (!open_) return false;
  if (chunk.empty()) return true;
  auto conn = conn_.lock();
  if (!conn) {
    open_ = false;
    return false;
  }
  if (!conn->stream_send(std::move(chunk))) {
    open_ = false;  // on_closed follows from the connection's close
    return false;
  }
  return true;
}

void ResponseStream::close() {
  if (!open_) return;
  open_ = false;
  on_closed_ = nullptr;
  if (auto conn = conn_.lock()) conn->stream_end();
}

std::size_t ResponseStream::write_queue_bytes() const {
  auto conn = conn_.lock();
  return conn ? conn->write_queue_bytes() : 0;
}

void ResponseStream::connection_closed(const Status& why) {
  open_ = false;
  if (auto cb = std::move(on_closed_)) {
    on_closed_ = nullptr;
    cb(why);
  }
}

Server::Server(uv::Loop& loop, ServerOptions options)
    : core_(std::make_shared<detail::ServerCore>(loop, std::move(options))) {}

Server::~Server() {
  close();
  // Handlers may capture objects that die with the Server's owner.
  core_->handlers.clear();
}

Status Server::route(std::string_view method, std::string_view pattern, Handler handler) {
  WARD_RETURN_IF_ERROR(core_->router.add(method, pattern, core_->handlers.size()));
  core_->handlers.push_back(std::move(handler));
  return ok();
}

void Server::serve(uv::ByteStreamPtr conn) {
  if (!conn) return;
  if (core_->closing || core_->connections.size() >= core_->options.max_connections) {
    // Refuse politely: drain what the client sends so the close is not a reset.
    conn->start([](std::string_view) {}, [](const Status&) {});
    Response busy = core_->error_response(503);
    busy.headers.set("Connection", "close");
    auto wire = serialize_response(busy);
    if (wire) conn->write(std::move(*wire));
    conn->close();
    return;
  }
  auto c = std::make_shared<detail::Connection>(core_, std::move(conn));
  core_->connections.emplace(c.get(), c);
  c->start();
}

std::size_t Server::connection_count() const {
  return core_->connections.size();
}

void Server::close() {
  core_->closing = true;
  std::vector<std::shared_ptr<detail::Connection>> all;
  all.reserve(core_->connections.size());
  for (auto& [ptr, conn] : core_->connections)
    all.push_back(conn);
  for (auto& conn : all)
    conn->shutdown();
}

}  // namespace ward::http
