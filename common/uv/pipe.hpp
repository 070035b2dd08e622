// Unix domain stream sockets on libuv (the node's local status socket): a listener on a
// filesystem path, a connect, and UnixStream, the ByteStream over such a socket.
//
// Same stream contract as tcp.hpp. peer_address() is the listener path (or "" when the
// kernel reports none); peer_credentials() says who is on the other end, for
// authorisation of local clients.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <sys/types.h>

#include "common/base/result.hpp"
#include "common/uv/byte_stream.hpp"
#include "common/uv/loop.hpp"
#include "common/uv/stream_base.hpp"
#include "common/uv/tcp.hpp"

namespace ward::uv {

struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

class UnixStream final : public detail::StreamBase {
 public:
  struct PassKey {
   private:
    PassKey() = default;
    friend class PipeListener;
    friend void connect_pipe(Loop&, std::string, ConnectCallback);
  };
  UnixStream(PassKey, Loop& loop) : StreamBase(loop) {}

  // SO_PEERCRED of the connected peer (as it was when it connected); kUnavailable when
  // closed.
  Result<PeerCredentials> peer_credentials() const;

 private:
  friend class PipeListener;
  friend void connect_pipe(Loop&, std::string, ConnectCallback);
  int init();
  void connected(std::string peer);
};

class PipeListener {
 public:
  using AcceptCallback = std::function<void(ByteStreamPtr stream)>;

  // Listens on the socket path (at most 107 bytes). The path must not exist (kAlreadyExists
  // otherwise: callers remove a stale socket deliberately). The socket file gets `mode`
  // (e.g. 0600, 0660) before any connection is accepted. The destructor closes the socket
  // and removes the path.
  static Result<PipeListener> listen(Loop& loop, std::string path, AcceptCallback on_accept,
                                     unsigned mode = 0600, int backlog = 128);

  ~PipeListener();
  PipeListener(PipeListener&& other) noexcept;
  PipeListener& operator=(PipeListener&& other) noexcept;
  PipeListener(const PipeListener&) = delete;
  PipeListener& operator=(const PipeListener&) = delete;

  const std::string& path() const;

 private:
  struct Box;
  explicit PipeListener(Box* box) : box_(box) {}
  Box* box_ = nullptr;
};

// Connects to a unix socket path. cb runs exactly once, never inside this call: with an
// open, not yet started stream, or kUnavailable (nobody listening) / kInvalidArgument.
void connect_pipe(Loop& loop, std::string path, ConnectCallback cb);

}  // namespace ward::uv
