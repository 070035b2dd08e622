#include "common/uv/udp.hpp"

#include <memory>

#include "common/uv/handle_box.hpp"

namespace ward::uv {

namespace {
constexpr std::size_t kMaxDatagram = 65536;
}

struct Udp::Box final : detail::HandleBox {
  Box(Loop& l) : loop(l) {
    uv_udp_init(loop.raw(), &udp);
    attach(reinterpret_cast<uv_handle_t*>(&udp));
  }
  Loop& loop;
  uv_udp_t udp{};
  detail::CallbackSlot<void(std::string_view, const SocketAddress&)> on_recv;
  std::unique_ptr<char[]> buf = std::make_unique<char[]>(kMaxDatagram);
};

Result<Udp> Udp::bind(Loop& loop, const SocketAddress& local, RecvCallback on_recv) {
  auto* box = new Box(loop);
  Udp owner(box);  // releases the box on every error path
  box->on_recv.set(std::move(on_recv));
  int rc = uv_udp_bind(&box->udp, local.get(), 0);
  if (rc != 0) {
    return Error::io("cannot bind UDP " + local.to_string() + ": " + uv_strerror(rc));
  }
  rc = uv_udp_recv_start(
      &box->udp,
      [](uv_handle_t* h, std::size_t, uv_buf_t* buf) {
        auto* b = static_cast<Box*>(static_cast<detail::HandleBase*>(h->data));
        *buf = uv_buf_init(b->buf.get(), kMaxDatagram);
      },
      [](uv_udp_t* u, ssize_t nread, const uv_buf_t* buf, const sockaddr* addr, unsigned) {
        auto* b = static_cast<Box*>(static_cast<detail::HandleBase*>(u->data));
        if (nread < 0 || addr == nullptr) return;  // transient errors (ICMP) are dropped
        auto from = SocketAddress::from_sockaddr(addr);
        if (!from) return;
        b->on_recv(std::string_view(buf->base, static_cast<std::size_t>(nread)), *from);
      });
  if (rc != 0) return Error::io(std::string("cannot receive on UDP socket: ") + uv_strerror(rc));
  return owner;
}

Udp::~Udp() {
  detail::HandleBox::release(box_);
}

Udp::Udp(Udp&& other) noexcept : box_(other.box_) {
  other.box_ = nullptr;
}

Udp& Udp::operator=(Udp&& other) noexcept {
  if (this != &other) {
    detail::HandleBox::release(box_);
    box_ = other.box_;
    other.box_ = nullptr;
  }
  return *this;
}

Result<SocketAddress> Udp::local_address() const {
  if (box_ == nullptr || !box_->usable()) return Error::unavailable("UDP socket is closed");
  sockaddr_storage ss{};
  int len = sizeof ss;
  int rc = uv_udp_getsockname(&box_->udp, reinterpret_cast<sockaddr*>(&ss), &len);
  if (rc != 0) return Error::io(std::string("getsockname: ") + uv_strerror(rc));
  auto addr = SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss));
  if (!addr) return Error::internal("UDP socket has no IP address");
  return *addr;
}

namespace {
struct SendReq {
  uv_udp_send_t req{};
  std::string data;
  Udp::SendCallback done;
};
}  // namespace

void Udp::send(const SocketAddress& to, std::string data, SendCallback done) {
  if (box_ == nullptr || !box_->usable()) {
    if (done && box_ != nullptr) {
      box_->loop.defer(
          [done = std::move(done)] { done(Error::unavailable("UDP socket is closed")); });
    }
    return;
  }
  auto* req = new SendReq{{}, std::move(data), std::move(done)};
  uv_buf_t buf = uv_buf_init(req->data.data(), static_cast<unsigned>(req->data.size()));
  req->req.data = req;
  int rc = uv_udp_send(&req->req, &box_->udp, &buf, 1, to.get(), [](uv_udp_send_t* r, int status) {
    std::unique_ptr<SendReq> owned(static_cast<SendReq*>(r->data));
    if (!owned->done) return;
    if (status == 0) {
      owned->done(ok());
    } else {
      owned->done(Error::io(std::string("UDP send: ") + uv_strerror(status)));
    }
  });
  if (rc != 0) {
    std::unique_ptr<SendReq> owned(req);
    if (owned->done) {
      box_->loop.defer([done = std::move(owned->done), rc] {
        done(Error::io(std::string("UDP send: ") + uv_strerror(rc)));
      });
    }
  }
}

}  // namespace ward::uv
