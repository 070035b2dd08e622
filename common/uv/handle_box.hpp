// Internal: the heap block behind every simple handle owner (Timer, Signal, Async, Udp,
// listeners). Not part of the public API.
//
// The owner holds a HandleBox* and calls release() from its destructor. The block is
// deleted when both have happened: the owner released it and libuv ran the close
// callback. So libuv never sees freed memory, and the owner never does either (a handle
// closed by Loop::close() stays allocated until its owner is destroyed).
#pragma once

#include <functional>
#include <memory>

#include <uv.h>

#include "common/uv/loop.hpp"

namespace ward::uv::detail {

class HandleBox : public HandleBase {
 public:
  // True while the handle is open: not closing and not closed.
  bool usable() const { return !closed_ && !uv_is_closing(handle_); }

  void force_close() override {
    if (!closed_ && !uv_is_closing(handle_)) uv_close(handle_, &HandleBox::on_closed);
  }

  // Called once by the owner; `box` may be deleted before this returns.
  static void release(HandleBox* box) {
    if (box == nullptr) return;
    box->owner_gone_ = true;
    if (box->closed_) {
      delete box;
    } else {
      box->force_close();
    }
  }

 protected:
  // `handle` is the uv handle embedded in the derived object, already initialised.
  void attach(uv_handle_t* handle) {
    handle_ = handle;
    handle_->data = static_cast<HandleBase*>(this);
  }
  // For handles whose init failed: nothing to close, free on release.
  void mark_closed() { closed_ = true; }

 private:
  static void on_closed(uv_handle_t* h) {
    auto* box = static_cast<HandleBox*>(static_cast<HandleBase*>(h->data));
    box->closed_ = true;
    if (box->owner_gone_) delete box;
  }

  uv_handle_t* handle_ = nullptr;
  bool closed_ = false;
  bool owner_gone_ = false;
};

// A callback slot that may be replaced, or its owner destroyed, from inside the callback:
// the invocation holds its own reference.
template <class Sig>
class CallbackSlot {
 public:
  void set(std::function<Sig> fn) {
    fn_ = fn ? std::make_shared<std::function<Sig>>(std::move(fn)) : nullptr;
  }
  void reset() { fn_.reset(); }
  template <class... Args>
  void operator()(Args&&... args) const {
    if (!fn_) return;
    auto keep = fn_;
    (*keep)(std::forward<Args>(args)...);
  }

 private:
  std::shared_ptr<std::function<Sig>> fn_;
};

}  // namespace ward::uv::detail
