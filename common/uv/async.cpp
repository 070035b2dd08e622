#include "common/uv/async.hpp"

#include "common/uv/handle_box.hpp"

namespace ward::uv {

struct Async::Box final : detail::HandleBox {
  Box(Loop& loop, Callback fn) {
    cb.set(std::move(fn));
    uv_async_init(loop.raw(), &async, [](uv_async_t* a) {
      auto* box = static_cast<Box*>(static_cast<detail::HandleBase*>(a->data));
      box->cb();
    });
    attach(reinterpret_cast<uv_handle_t*>(&async));
  }
  uv_async_t async{};
  detail::CallbackSlot<void()> cb;
};

Async::Async(Loop& loop, Callback cb) : box_(new Box(loop, std::move(cb))) {}

Async::~Async() {
  detail::HandleBox::release(box_);
}

Async::Async(Async&& other) noexcept : box_(other.box_) {
  other.box_ = nullptr;
}

Async& Async::operator=(Async&& other) noexcept {
  if (this != &other) {
    detail::HandleBox::release(box_);
    box_ = other.box_;
    other.box_ = nullptr;
  }
  return *this;
}

void Async::send() {
  if (box_ != nullptr) uv_async_send(&box_->async);
}

}  // namespace ward::uv
