#include "common/uv/tcp.hpp"

#include <netdb.h>
#include <optional>
#include <vector>

#include "common/uv/handle_box.hpp"
#include "common/uv/timer.hpp"

namespace ward::uv {

namespace {
constexpr unsigned kKeepAliveSeconds = 60;

std::optional<SocketAddress> peer_of(const uv_tcp_t* tcp) {
  sockaddr_storage ss{};
  int len = sizeof ss;
  if (uv_tcp_getpeername(tcp, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return std::nullopt;
  return SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss));
}

Result<SocketAddress> sock_of(const uv_tcp_t* tcp) {
  sockaddr_storage ss{};
  int len = sizeof ss;
  int rc = uv_tcp_getsockname(tcp, reinterpret_cast<sockaddr*>(&ss), &len);
  if (rc != 0) return Error::io(std::string("getsockname: ") + uv_strerror(rc));
  auto addr = SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss));
  if (!addr) return Error::internal("TCP socket has no IP address");
  return *addr;
}
}  // namespace

// ---- TcpStream

int TcpStream::init() {
  int rc = uv_tcp_init(loop_.raw(), &tcp_);
  if (rc == 0) handle_initialised();
  return rc;
}

void TcpStream::connected() {
  if (auto peer = peer_of(&tcp_)) set_peer_address(peer->to_string());
  uv_tcp_nodelay(&tcp_, 1);
  uv_tcp_keepalive(&tcp_, 1, kKeepAliveSeconds);
}

Result<SocketAddress> TcpStream::local_address() const {
  if (is_closed()) return Error::unavailable("stream is closed");
  return sock_of(&tcp_);
}

Status TcpStream::set_nodelay(bool enable) {
  if (is_closed()) return Error::unavailable("stream is closed");
  int rc = uv_tcp_nodelay(&tcp_, enable ? 1 : 0);
  if (rc != 0) return Error::io(std::string("TCP_NODELAY: ") + uv_strerror(rc));
  return ok();
}

// ---- TcpListener

struct TcpListener::Box final : detail::HandleBox {
  explicit Box(Loop& l) : loop(l) {
    uv_tcp_init(loop.raw(), &tcp);
    attach(reinterpret_cast<uv_handle_t*>(&tcp));
  }
  Loop& loop;
  uv_tcp_t tcp{};
  detail::CallbackSlot<void(ByteStreamPtr)> on_accept;
};

Result<TcpListener> TcpListener::listen(Loop& loop, std::string_view host, std::uint16_t port,
                                        AcceptCallback on_accept, int backlog) {
  WARD_ASSIGN_OR_RETURN(SocketAddress addr, SocketAddress::parse(host, port));
  auto* box = new Box(loop);
  TcpListener owner(box);  // releases the box on every error path
  box->on_accept.set(std::move(on_accept));
  int rc = uv_tcp_bind(&box->tcp, addr.get(), 0);
  if (rc == 0) {
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(&box->tcp), backlog,
                   [](uv_stream_t* server, int status) {
                     auto* b = static_cast<Box*>(static_cast<detail::HandleBase*>(server->data));
                     if (status != 0)
                       return;  // e.g. EMFILE: the kernel keeps the connection queued
                     auto stream = std::make_shared<TcpStream>(TcpStream::PassKey{}, b->loop);
                     if (stream->init() != 0) return;
                     if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&stream->tcp_)) != 0) {
                       stream->close_handle(Error::io("accept failed"));
                       return;
                     }
                     stream->connected();
                     b->on_accept(std::move(stream));
                   });
  }
  if (rc != 0) {
    return Error::io("cannot listen on " + addr.to_string() + ": " + uv_strerror(rc));
  }
  return owner;
}

TcpListener::~TcpListener() {
  detail::HandleBox::release(box_);
}

TcpListener::TcpListener(TcpListener&& other) noexcept : box_(other.box_) {
  other.box_ = nullptr;
}

TcpListener& TcpListener::operator=(TcpListener&& other) noexcept {
  if (this != &other) {
    detail::HandleBox::release(box_);
    box_ = other.box_;
    other.box_ = nullptr;
  }
  return *this;
}

Result<SocketAddress> TcpListener::local_address() const {
  if (box_ == nullptr || !box_->usable()) return Error::unavailable("listener is closed");
  return sock_of(&box_->tcp);
}

std::uint16_t TcpListener::local_port() const {
  auto addr = local_address();
  return addr ? addr->port() : 0;
}

void TcpListener::close() {
  if (box_ != nullptr) box_->force_close();
}

// ---- connect_tcp

struct TcpConnectOp : std::enable_shared_from_this<TcpConnectOp> {
  TcpConnectOp(Loop& l, std::string h, std::uint16_t p, ConnectCallback c)
      : loop(l), host(std::move(h)), port(p), cb(std::move(c)) {}

  Loop& loop;
  std::string host;
  std::uint16_t port;
  ConnectCallback cb;
  std::optional<Timer> timer;
  std::vector<SocketAddress> addresses;
  std::size_t next = 0;
  std::shared_ptr<TcpStream> attempt;
  uv_getaddrinfo_t* resolving = nullptr;
  bool done = false;
  std::optional<Error> last_error;

  void begin(std::chrono::milliseconds timeout);
  void resolved(int status, addrinfo* res);
  void try_next();
  void attempt_done(const std::shared_ptr<TcpStream>& stream, int status);
  void finish(Result<ByteStreamPtr> result);
  std::string target() const {
    return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
           std::to_string(port);
  }
};

namespace {
struct GaiReq {
  uv_getaddrinfo_t req{};
  std::shared_ptr<TcpConnectOp> op;
};
struct ConnReq {
  uv_connect_t req{};
  std::shared_ptr<TcpConnectOp> op;
  std::shared_ptr<TcpStream> stream;
};
}  // namespace

void TcpConnectOp::begin(std::chrono::milliseconds timeout) {
  timer.emplace(loop);
  timer->start(timeout, [self = shared_from_this(), timeout] {
    if (self->resolving != nullptr) uv_cancel(reinterpret_cast<uv_req_t*>(self->resolving));
    if (self->attempt) self->attempt->abort();
    self->finish(Error::unavailable("connecting to " + self->target() + " timed out after " +
                                    std::to_string(timeout.count()) + " ms"));
  });
  if (auto literal = SocketAddress::parse(host, port)) {
    addresses.push_back(*literal);
    auto self = shared_from_this();
    loop.defer([self] { self->try_next(); });
    return;
  }
  if (host.empty() || host.size() > 253) {
    auto self = shared_from_this();
    loop.defer([self] {
      self->finish(
          Error::invalid_argument("expected a host name or IP address, got " + quote(self->host)));
    });
    return;
  }
  auto* req = new GaiReq{{}, shared_from_this()};
  req->req.data = req;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  std::string port_text = std::to_string(port);
  int rc = uv_getaddrinfo(
      loop.raw(), &req->req,
      [](uv_getaddrinfo_t* r, int status, addrinfo* res) {
        std::unique_ptr<GaiReq> owned(static_cast<GaiReq*>(r->data));
        owned->op->resolving = nullptr;
        owned->op->resolved(status, res);
        uv_freeaddrinfo(res);
      },
      host.c_str(), port_text.c_str(), &hints);
  if (rc != 0) {
    delete req;
    auto self = shared_from_this();
    loop.defer([self, rc] {
      self->finish(
          Error::not_found("cannot resolve " + quote(self->host) + ": " + uv_strerror(rc)));
    });
    return;
  }
  resolving = &req->req;
}

void TcpConnectOp::resolved(int status, addrinfo* res) {
  if (done) return;
  if (status != 0) {
    finish(Error::not_found("cannot resolve " + quote(host) + ": " + uv_strerror(status)));
    return;
  }
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    if (auto addr = SocketAddress::from_sockaddr(ai->ai_addr)) addresses.push_back(*addr);
  }
  if (addresses.empty()) {
    finish(Error::not_found("no IP address for " + quote(host)));
    return;
  }
  try_next();
}

void TcpConnectOp::try_next() {
  if (done) return;
  if (next >= addresses.size()) {
    finish(last_error ? *last_error : Error::unavailable("cannot connect to " + target()));
    return;
  }
  const SocketAddress& addr = addresses[next++];
  auto stream = std::make_shared<TcpStream>(TcpStream::PassKey{}, loop);
  if (int rc = stream->init(); rc != 0) {
    last_error = Error::io(std::string("cannot create TCP socket: ") + uv_strerror(rc));
    try_next();
    return;
  }
  auto* req = new ConnReq{{}, shared_from_this(), stream};
  req->req.data = req;
  int rc = uv_tcp_connect(&req->req, &stream->tcp_, addr.get(), [](uv_connect_t* r, int status) {
    std::unique_ptr<ConnReq> owned(static_cast<ConnReq*>(r->data));
    owned->op->attempt_done(owned->stream, status);
  });
  if (rc != 0) {
    delete req;
    stream->abort();
    last_error =
        Error::unavailable("cannot connect to " + addr.to_string() + ": " + uv_strerror(rc));
    auto self = shared_from_this();
    loop.defer([self] { self->try_next(); });
    return;
  }
  attempt = std::move(stream);
}

void TcpConnectOp::attempt_done(const std::shared_ptr<TcpStream>& stream, int status) {
  if (attempt == stream) attempt.reset();
  if (done) {
    stream->abort();
    return;
  }
  if (status == 0) {
    stream->connected();
    finish(ByteStreamPtr(stream));
    return;
  }
  stream->abort();
  std::string addr = next > 0 ? addresses[next - 1].to_string() : target();
  last_error = Error::unavailable("cannot connect to " + addr + ": " + uv_strerror(status));
  try_next();
}

void TcpConnectOp::finish(Result<ByteStreamPtr> result) {
  if (done) return;
  done = true;
  timer.reset();  // breaks the op <-> timer callback cycle once libuv closes it
  auto callback = std::move(cb);
  cb = nullptr;
  if (callback) callback(std::move(result));
}

void connect_tcp(Loop& loop, std::string host, std::uint16_t port, ConnectCallback cb,
                 std::chrono::milliseconds timeout) {
  auto op = std::make_shared<TcpConnectOp>(loop, std::move(host), port, std::move(cb));
  op->begin(timeout);
}

}  // namespace ward::uv
