// ByteStream: an ordered, reliable, bidirectional byte stream driven by a libuv loop.
//
// The seam between transports (plain TCP in common/uv, TLS in common/tls) and protocols
// (HTTP in common/http). A protocol never knows which transport it runs on, except
// through peer_certificate_der(), which a TLS stream with a verified client certificate
// fills in.
//
// Contract (every implementation):
// - Single-threaded: every method is called, and every callback runs, on the loop thread.
// - No callback runs inside the call that caused it (h2o's rule): write() never invokes its
//   completion, and close() never invokes on_close, before returning.
// - Ownership: streams are held by std::shared_ptr. An implementation keeps itself alive
//   (shared_from_this) until its underlying handles are closed and on_close has run, so a
//   user may drop its pointer at any time after close().
// - on_close runs exactly once, after which no other callback runs. Its Status says why:
//   ok() for an orderly end (peer EOF or local close()), an error otherwise.
// - Writes are queued in order; write_queue_bytes() lets a producer apply backpressure.
//   Writing after close() is ignored and its completion (if any) gets kUnavailable.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/base/result.hpp"

namespace ward::uv {

class ByteStream {
 public:
  using ReadCallback = std::function<void(std::string_view data)>;
  using CloseCallback = std::function<void(const Status& why)>;
  using WriteCallback = std::function<void(const Status& result)>;

  virtual ~ByteStream() = default;

  // Sets the callbacks and starts reading. Call once, before or after the stream is open.
  virtual void start(ReadCallback on_read, CloseCallback on_close) = 0;
  // Stops/resumes delivering reads (flow control); data stays in the kernel meanwhile.
  virtual void pause_reading() = 0;
  virtual void resume_reading() = 0;

  // Queues data for sending; done (optional) runs once it is handed to the kernel or fails.
  virtual void write(std::string data, WriteCallback done = {}) = 0;
  // Bytes queued but not yet handed to the kernel.
  virtual std::size_t write_queue_bytes() const = 0;

  // Flushes queued writes, then ends the stream (TLS close_notify / TCP shutdown + close).
  virtual void close() = 0;
  // Closes at once, discarding queued writes.
  virtual void abort() = 0;
  virtual bool is_closed() const = 0;

  // "192.0.2.7:51820" / "[2001:db8::1]:443" for the remote end, or "" if unknown.
  virtual std::string peer_address() const = 0;
  // The DER of the peer's certificate, when the transport authenticated one (TLS with a
  // client certificate verified against the pinned CA); nullopt otherwise.
  virtual std::optional<std::string> peer_certificate_der() const { return std::nullopt; }
};

using ByteStreamPtr = std::shared_ptr<ByteStream>;

}  // namespace ward::uv
