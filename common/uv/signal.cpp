#include "common/uv/signal.hpp"

#include "common/uv/handle_box.hpp"

namespace ward::uv {

struct Signal::Box final : detail::HandleBox {
  explicit Box(Loop& loop) {
    uv_signal_init(loop.raw(), &sig);
    attach(reinterpret_cast<uv_handle_t*>(&sig));
  }
  uv_signal_t sig{};
  detail::CallbackSlot<void(int)> cb;
};

Signal::Signal(Loop& loop) : box_(new Box(loop)) {}

Signal::~Signal() {
  detail::HandleBox::release(box_);
}

Signal::Signal(Signal&& other) noexcept : box_(other.box_) {
  other.box_ = nullptr;
}

Signal& Signal::operator=(Signal&& other) noexcept {
  if (this != &other) {
    detail::HandleBox::release(box_);
    box_ = other.box_;
    other.box_ = nullptr;
  }
  return *this;
}

Status Signal::start(int signum, Callback cb) {
  if (box_ == nullptr || !box_->usable()) return Error::unavailable("signal handle is closed");
  box_->cb.set(std::move(cb));
  int rc = uv_signal_start(
      &box_->sig,
      [](uv_signal_t* s, int num) {
        auto* box = static_cast<Box*>(static_cast<detail::HandleBase*>(s->data));
        box->cb(num);
      },
      signum);
  if (rc != 0) {
    return Error::invalid_argument("cannot watch signal " + std::to_string(signum) + ": " +
                                   uv_strerror(rc));
  }
  return ok();
}

void Signal::stop() {
  if (box_ != nullptr && box_->usable()) uv_signal_stop(&box_->sig);
}

}  // namespace ward::uv
