// Internal: the ByteStream implementation shared by TcpStream and UnixStream (any
// uv_stream_t). Use those classes, or just ByteStreamPtr.
//
// Beyond byte_stream.hpp's contract, this implementation promises:
// - A stream keeps itself alive (self-reference) from creation until its handle's close
//   callback has run, so dropping every pointer to an open stream does not close it: it
//   stays open until close()/abort(), the peer ends it, or the Loop is closed.
// - close() stops delivering reads, flushes queued writes, sends FIN (shutdown), then
//   waits for the peer's EOF for at most kLingerTimeout before closing the socket, so the
//   kernel does not reset a connection whose last bytes the peer has not read yet.
// - Peer EOF closes the stream the same way (queued writes are still flushed) with ok().
// - abort() discards queued writes (their completions get kUnavailable) and, for TCP,
//   resets the connection; on_close then gets kUnavailable "aborted".
// - Write completions for writes issued after close() get kUnavailable. A completion that
//   would run after on_close is dropped (destroyed, never called): nothing runs after
//   on_close.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <uv.h>

#include "common/uv/byte_stream.hpp"
#include "common/uv/loop.hpp"

namespace ward::uv::detail {

inline constexpr std::chrono::milliseconds kLingerTimeout{2000};

class StreamBase : public ByteStream,
                   public HandleBase,
                   public std::enable_shared_from_this<StreamBase> {
 public:
  ~StreamBase() override;

  void start(ReadCallback on_read, CloseCallback on_close) override;
  void pause_reading() override;
  void resume_reading() override;
  void write(std::string data, WriteCallback done = {}) override;
  std::size_t write_queue_bytes() const override;
  void close() override;
  void abort() override;
  bool is_closed() const override { return state_ != State::kOpen; }
  std::string peer_address() const override { return peer_address_; }

  void force_close() override;

 protected:
  explicit StreamBase(Loop& loop);

  // Called by the factory once the handle union member is initialised (uv_*_init
  // succeeded): from here on the stream keeps itself alive until the close callback.
  void handle_initialised();
  // Called once the stream is connected; caches the peer address.
  void set_peer_address(std::string address) { peer_address_ = std::move(address); }
  // Closes the handle now (no flush). reset: send a TCP RST instead of FIN.
  void close_handle(Status why, bool reset = false);

  Loop& loop_;
  union {
    uv_handle_t handle_;
    uv_stream_t stream_;
    uv_tcp_t tcp_;
    uv_pipe_t pipe_;
  };
  bool is_tcp_ = false;

 private:
  enum class State { kOpen, kClosing, kHandleClosing, kClosed };

  static void on_alloc(uv_handle_t* h, std::size_t suggested, uv_buf_t* buf);
  static void on_read_cb(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  static void on_handle_closed(uv_handle_t* h);
  static StreamBase* from(uv_handle_t* h);

  void begin_graceful_close(Status why);
  void shutdown_done(int status);
  void update_reading();
  void one_handle_closed();
  void deliver_close();
  void write_failed_later(WriteCallback done, Error error);

  std::shared_ptr<StreamBase> self_;
  State state_ = State::kOpen;
  ReadCallback on_read_;
  CloseCallback on_close_;
  std::optional<Status> close_status_;
  bool started_ = false;
  bool paused_ = false;
  bool reading_ = false;
  bool peer_eof_ = false;
  bool shutdown_done_ = false;
  bool close_delivered_ = false;
  bool initialised_ = false;
  uv_timer_t linger_{};
  bool linger_initialised_ = false;
  int handles_closing_ = 0;
  uv_shutdown_t shutdown_req_{};
  std::unique_ptr<char[]> read_buf_;
  std::string peer_address_;
};

}  // namespace ward::uv::detail
