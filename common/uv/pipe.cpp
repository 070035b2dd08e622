#include "common/uv/pipe.hpp"

#include <cerrno>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/uv/handle_box.hpp"

namespace ward::uv {

namespace {
constexpr std::size_t kMaxPathLength = 107;  // sizeof(sockaddr_un::sun_path) - 1
}

int UnixStream::init() {
  int rc = uv_pipe_init(loop_.raw(), &pipe_, 0);
  if (rc == 0) handle_initialised();
  return rc;
}

void UnixStream::connected(std::string peer) {
  set_peer_address(std::move(peer));
}

Result<PeerCredentials> UnixStream::peer_credentials() const {
  if (is_closed()) return Error::unavailable("stream is closed");
  uv_os_fd_t fd = -1;
  if (uv_fileno(&handle_, &fd) != 0) return Error::unavailable("stream has no socket");
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    return Error::from_errno("SO_PEERCRED", errno);
  }
  return PeerCredentials{cred.pid, cred.uid, cred.gid};
}

struct PipeListener::Box final : detail::HandleBox {
  explicit Box(Loop& l) : loop(l) {
    uv_pipe_init(loop.raw(), &pipe, 0);
    attach(reinterpret_cast<uv_handle_t*>(&pipe));
  }
  ~Box() override {
    if (bound) ::unlink(path.c_str());
  }
  Loop& loop;
  uv_pipe_t pipe{};
  std::string path;
  bool bound = false;
  detail::CallbackSlot<void(ByteStreamPtr)> on_accept;
};

Result<PipeListener> PipeListener::listen(Loop& loop, std::string path, AcceptCallback on_accept,
                                          unsigned mode, int backlog) {
  if (path.empty() || path.size() > kMaxPathLength || path.find('\0') != std::string::npos) {
    return Error::invalid_argument("expected a unix socket path of 1.." +
                                   std::to_string(kMaxPathLength) + " bytes, got " + quote(path));
  }
  auto* box = new Box(loop);
  PipeListener owner(box);
  box->path = path;
  box->on_accept.set(std::move(on_accept));
  int rc = uv_pipe_bind(&box->pipe, path.c_str());
  if (rc == UV_EADDRINUSE) {
    return Error::already_exists("unix socket path " + quote(path) + " already exists");
  }
  if (rc != 0) return Error::io("cannot bind unix socket " + quote(path) + ": " + uv_strerror(rc));
  box->bound = true;
  if (::chmod(path.c_str(), static_cast<mode_t>(mode)) != 0) {
    return Error::from_errno("chmod " + quote(path), errno);
  }
  rc = uv_listen(reinterpret_cast<uv_stream_t*>(&box->pipe), backlog,
                 [](uv_stream_t* server, int status) {
                   auto* b = static_cast<Box*>(static_cast<detail::HandleBase*>(server->data));
                   if (status != 0) return;
                   auto stream = std::make_shared<UnixStream>(UnixStream::PassKey{}, b->loop);
                   if (stream->init() != 0) return;
                   if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&stream->pipe_)) != 0) {
                     stream->close_handle(Error::io("accept failed"));
                     return;
                   }
                   stream->connected(b->path);
                   b->on_accept(std::move(stream));
                 });
  if (rc != 0) return Error::io("cannot listen on " + quote(path) + ": " + uv_strerror(rc));
  return owner;
}

PipeListener::~PipeListener() {
  detail::HandleBox::release(box_);
}

PipeListener::PipeListener(PipeListener&& other) noexcept : box_(other.box_) {
  other.box_ = nullptr;
}

PipeListener& PipeListener::operator=(PipeListener&& other) noexcept {
  if (this != &other) {
    detail::HandleBox::release(box_);
    box_ = other.box_;
    other.box_ = nullptr;
  }
  return *this;
}

const std::string& PipeListener::path() const {
  static const std::string kEmpty;
  return box_ != nullptr ? box_->path : kEmpty;
}

namespace {
struct PipeConnReq {
  uv_connect_t req{};
  std::shared_ptr<UnixStream> stream;
  ConnectCallback cb;
  std::string path;
};
}  // namespace

void connect_pipe(Loop& loop, std::string path, ConnectCallback cb) {
  if (path.empty() || path.size() > kMaxPathLength || path.find('\0') != std::string::npos) {
    loop.defer([cb = std::move(cb), path] {
      cb(Error::invalid_argument("expected a unix socket path of 1.." +
                                 std::to_string(kMaxPathLength) + " bytes, got " + quote(path)));
    });
    return;
  }
  auto stream = std::make_shared<UnixStream>(UnixStream::PassKey{}, loop);
  if (int rc = stream->init(); rc != 0) {
    loop.defer([cb = std::move(cb), rc] {
      cb(Error::io(std::string("cannot create unix socket: ") + uv_strerror(rc)));
    });
    return;
  }
  auto* req = new PipeConnReq{{}, stream, std::move(cb), path};
  req->req.data = req;
  // uv_pipe_connect reports every failure through the callback, which libuv defers.
  uv_pipe_connect(&req->req, &stream->pipe_, path.c_str(), [](uv_connect_t* r, int status) {
    std::unique_ptr<PipeConnReq> owned(static_cast<PipeConnReq*>(r->data));
    if (status != 0) {
      owned->stream->abort();
      owned->cb(Error::unavailable("cannot connect to " + quote(owned->path) + ": " +
                                   uv_strerror(status)));
      return;
    }
    owned->stream->connected(owned->path);
    owned->cb(ByteStreamPtr(owned->stream));
  });
}

}  // namespace ward::uv
