// ResponseStream: the open end of a chunked streaming response (e.g. the node's netmap
// stream: newline-delimited JSON pushed as things happen).
//
// Obtained from RequestContext::start_stream(). Used on the loop thread only. The handler
// (or whoever it hands the pointer to) may keep it as long as it likes; once the
// connection is gone it is simply closed (send() returns false).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "common/base/result.hpp"

namespace ward::http {

namespace detail {
class Connection;
}

class ResponseStream {
 public:
  using ClosedCallback = std::function<void(const Status& why)>;

  // Sends one chunk; it reaches the client in order with the others. An empty chunk is a
  // no-op. Returns false (and drops the chunk) when the stream is closed. If bytes are
  // still queued for this client and they plus the chunk would exceed
  // ServerOptions::max_stream_queue_bytes, the client is too slow: the connection is
  // aborted, send() returns false and on_closed follows.
  bool send(std::string chunk);
  // Ends the response (last chunk); the connection then serves its next request or
  // closes. on_closed does not run for a close() the handler asked for.
  void close();
  bool is_open() const { return open_; }
  // Bytes written to this client but not yet handed to the kernel (backpressure).
  std::size_t write_queue_bytes() const;
  // Runs once, later, when the stream ends other than by close(): the client went away
  // (why is ok() for an orderly EOF), a write failed, the client was too slow, or the
  // server shut down. Never runs inside send() or close(). Replaces an earlier callback.
  // Must not throw (it runs from a libuv callback).
  void set_on_closed(ClosedCallback cb) { on_closed_ = std::move(cb); }

  // Constructed by the server only.
  explicit ResponseStream(std::weak_ptr<detail::Connection> conn, bool open)
      : conn_(std::move(conn)), open_(open) {}

 private:
  friend class detail::Connection;
  // The connection ended underneath the stream.
  void connection_closed(const Status& why);

  std::weak_ptr<detail::Connection> conn_;
  bool open_ = false;
  ClosedCallback on_closed_;
};

}  // namespace ward::http
