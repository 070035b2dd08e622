// Shared<T>: an immutable T behind a reference count, for the parts of a netmap that many
// netmaps, or the versions of one, hold unchanged (a device's own record, a rule's port
// set): copying one is a pointer copy, not an allocation.
//
// Contracts: reads as a const T (converts to one; -> and, for containers, begin/end/size/
// empty/[] forward to it); equal when the values are (the same pointer short-cuts the
// comparison). A value equal to T{} holds no allocation and reads as a static T{}. Safe to
// read from any thread; never modified after construction.
#pragma once

#include <cstddef>
#include <memory>
#include <ranges>
#include <utility>

namespace ward::policy {

template <class T>
class Shared {
 public:
  Shared() = default;
  Shared(T value)  // NOLINT(google-explicit-constructor): reads like a T
      : p_(value == T{} ? nullptr : std::make_shared<const T>(std::move(value))) {}

  const T& get() const { return p_ ? *p_ : empty_value(); }
  operator const T&() const { return get(); }  // NOLINT(google-explicit-constructor)
  const T* operator->() const { return &get(); }

  auto begin() const requires std::ranges::range<const T> { return get().begin(); }
  auto end() const requires std::ranges::range<const T> { return get().end(); }
  std::size_t size() const requires std::ranges::sized_range<const T> { return get().size(); }
  bool empty() const requires std::ranges::range<const T> { return get().empty(); }
  decltype(auto) operator[](
      std::size_t i) const requires std::ranges::random_access_range<const T> {
    return get()[i];
  }

  friend bool operator==(const Shared& a, const Shared& b) {
    return a.p_ == b.p_ || a.get() == b.get();
  }
  friend bool operator==(const Shared& a, const T& b) { return a.get() == b; }

 private:
  static const T& empty_value() {
    static const T kEmpty{};
    return kEmpty;
  }
  std::shared_ptr<const T> p_;  // null: T{}
};

}  // namespace ward::policy
