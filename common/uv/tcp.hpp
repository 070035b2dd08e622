// TCP on libuv: a listener that hands out accepted connections, an outgoing connect with
// a timeout, and TcpStream, the ByteStream over a TCP socket.
//
//   auto listener = uv::TcpListener::listen(loop, "127.0.0.1", 0, [](uv::ByteStreamPtr s) {
//     std::weak_ptr<uv::ByteStream> weak = s;  // the stream keeps itself alive until closed
//     s->start([weak](std::string_view data) {  // echo
//                if (auto p = weak.lock()) p->write(std::string(data));
//              },
//              [](const ward::Status& why) { /* ok(): orderly end */ });
//   });
//   uint16_t port = listener->local_port();
//   uv::connect_tcp(loop, "127.0.0.1", port, [](ward::Result<uv::ByteStreamPtr> r) { ... });
//
// See byte_stream.hpp and stream_base.hpp for the stream contract (self-owning until
// closed; no callback inside the call that caused it; on_close exactly once).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/base/result.hpp"
#include "common/uv/address.hpp"
#include "common/uv/byte_stream.hpp"
#include "common/uv/loop.hpp"
#include "common/uv/stream_base.hpp"

namespace ward::uv {

class TcpStream final : public detail::StreamBase {
 public:
  struct PassKey {
   private:
    PassKey() = default;
    friend class TcpListener;
    friend struct TcpConnectOp;
  };
  TcpStream(PassKey, Loop& loop) : StreamBase(loop) { is_tcp_ = true; }

  // The local end of the connection; kUnavailable once closed.
  Result<SocketAddress> local_address() const;
  // TCP_NODELAY (on by default for Ward's streams: protocols here are request/response).
  Status set_nodelay(bool enable);

 private:
  friend class TcpListener;
  friend struct TcpConnectOp;
  // Initialises the handle and keeps the stream alive; false if libuv refused.
  int init();
  void connected();
};

class TcpListener {
 public:
  // Runs for each accepted connection; the stream is open and not yet started. Never runs
  // after the listener is destroyed.
  using AcceptCallback = std::function<void(ByteStreamPtr stream)>;

  // Listens on host (an IP literal: "127.0.0.1", "::1", "0.0.0.0", "::") and port (0 picks
  // a free port, see local_port()). kInvalidArgument for a bad host, kIo when the address
  // cannot be bound (e.g. in use).
  static Result<TcpListener> listen(Loop& loop, std::string_view host, std::uint16_t port,
                                    AcceptCallback on_accept, int backlog = 511);

  ~TcpListener();
  TcpListener(TcpListener&& other) noexcept;
  TcpListener& operator=(TcpListener&& other) noexcept;
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  std::uint16_t local_port() const;
  Result<SocketAddress> local_address() const;
  // Stops accepting and closes the socket now (the destructor does the same).
  void close();

 private:
  struct Box;
  explicit TcpListener(Box* box) : box_(box) {}
  Box* box_ = nullptr;
};

using ConnectCallback = std::function<void(Result<ByteStreamPtr> stream)>;

inline constexpr std::chrono::milliseconds kDefaultConnectTimeout{10000};

// Connects to host:port. host is an IP literal or a name (resolved with getaddrinfo; each
// address is tried in turn). cb runs exactly once, never inside this call: with an open,
// not yet started stream, or kUnavailable (refused, unreachable, timed out after
// `timeout` overall) / kInvalidArgument (bad host) / kNotFound (name does not resolve).
// If the Loop is closed first, cb runs with kUnavailable during Loop::close().
void connect_tcp(Loop& loop, std::string host, std::uint16_t port, ConnectCallback cb,
                 std::chrono::milliseconds timeout = kDefaultConnectTimeout);

}  // namespace ward::uv
