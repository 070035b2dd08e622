#include "common/uv/timer.hpp"

#include "common/uv/handle_box.hpp"

namespace ward::uv {

struct Timer::Box final : detail::HandleBox {
  explicit Box(Loop& loop) {
    uv_timer_init(loop.raw(), &timer);  // cannot fail on Linux
    attach(reinterpret_cast<uv_handle_t*>(&timer));
  }
  uv_timer_t timer{};
  detail::CallbackSlot<void()> cb;
};

Timer::Timer(Loop& loop) : box_(new Box(loop)) {}

Timer::~Timer() {
  detail::HandleBox::release(box_);
}

Timer::Timer(Timer&& other) noexcept : box_(other.box_) {
  other.box_ = nullptr;
}

Timer& Timer::operator=(Timer&& other) noexcept {
  if (this != &other) {
    detail::HandleBox::release(box_);
    box_ = other.box_;
    other.box_ = nullptr;
  }
  return *this;
}

void Timer::start(std::chrono::milliseconds timeout, std::chrono::milliseconds repeat,
                  Callback cb) {
  if (box_ == nullptr || !box_->usable()) return;
  box_->cb.set(std::move(cb));
  uv_timer_start(
      &box_->timer,
      [](uv_timer_t* t) {
        auto* box = static_cast<Box*>(static_cast<detail::HandleBase*>(t->data));
        box->cb();
      },
      static_cast<std::uint64_t>(std::max<std::int64_t>(0, timeout.count())),
      static_cast<std::uint64_t>(std::max<std::int64_t>(0, repeat.count())));
}

void Timer::stop() {
  if (box_ != nullptr && box_->usable()) uv_timer_stop(&box_->timer);
}

bool Timer::is_active() const {
  return box_ != nullptr && box_->usable() &&
         uv_is_active(reinterpret_cast<const uv_handle_t*>(&box_->timer));
}

}  // namespace ward::uv

namespace ward::uv {
void Timer::set_keeps_loop_alive(bool keep) {
  if (box_ == nullptr || !box_->usable()) return;
  auto* h = reinterpret_cast<uv_handle_t*>(&box_->timer);
  if (keep) {
    uv_ref(h);
  } else {
    uv_unref(h);
  }
}
}  // namespace ward::uv
