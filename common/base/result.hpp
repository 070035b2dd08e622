// Result<T>: a value or an Error, in the shape of C++23 std::expected.
//
//   Result<Prefix> p = Prefix::parse(text);
//   if (!p) return p.error().context("overlay-v4");
//   use(*p);
//
// Result is [[nodiscard]]: ignoring one is a compile error under -Werror. Status is
// Result<void>; return ward::ok() for success. Accessing value() of an error, or error()
// of a value, is a programmer error and aborts (it is checked in every build type).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <type_traits>
#include <utility>
#include <variant>

#include "common/base/error.hpp"

namespace ward {

namespace detail {
[[noreturn]] inline void result_misuse(const char* what) {
  std::fprintf(stderr, "ward: Result misuse: %s\n", what);
  std::abort();
}
}  // namespace detail

template <class T>
class [[nodiscard]] Result {
  static_assert(!std::is_reference_v<T>, "Result<T&> is not supported");
  static_assert(!std::is_same_v<std::remove_cv_t<T>, Error>, "Result<Error> is ambiguous");

 public:
  using value_type = T;

  // Implicit from a value or an Error, so functions can `return value;` or `return error;`.
  template <class U = T>
    requires std::is_constructible_v<T, U&&> &&
             (!std::is_same_v<std::remove_cvref_t<U>, Result>) &&
             (!std::is_same_v<std::remove_cvref_t<U>, Error>)
  Result(U&& value) : v_(std::in_place_index<0>, std::forward<U>(value)) {}  // NOLINT
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}      // NOLINT

  bool has_value() const { return v_.index() == 0; }
  bool ok() const { return has_value(); }
  explicit operator bool() const { return has_value(); }

  T& value() & { check_value(); return std::get<0>(v_); }
  const T& value() const& { check_value(); return std::get<0>(v_); }
  T&& value() && { check_value(); return std::get<0>(std::move(v_)); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { check_error(); return std::get<1>(v_); }
  Error&& error() && { check_error(); return std::get<1>(std::move(v_)); }

  template <class U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(v_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  void check_value() const {
    if (!has_value()) detail::result_misuse("value() called on an error");
  }
  void check_error() const {
    if (has_value()) detail::result_misuse("error() called on a value");
  }

  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  using value_type = void;

  Result() = default;
  Result(Error error) : error_(std::move(error)), has_error_(true) {}  // NOLINT

  bool has_value() const { return !has_error_; }
  bool ok() const { return !has_error_; }
  explicit operator bool() const { return !has_error_; }
  void value() const {
    if (has_error_) detail::result_misuse("value() called on an error");
  }

  const Error& error() const& {
    if (!has_error_) detail::result_misuse("error() called on a value");
    return error_;
  }
  Error&& error() && {
    if (!has_error_) detail::result_misuse("error() called on a value");
    return std::move(error_);
  }

 private:
  Error error_{ErrorCode::kInternal, {}};
  bool has_error_ = false;
};

using Status = Result<void>;

inline Status ok() { return {}; }

}  // namespace ward

#define WARD_CONCAT_INNER(a, b) a##b
#define WARD_CONCAT(a, b) WARD_CONCAT_INNER(a, b)

// Returns the error of a Status/Result expression from the enclosing function.
#define WARD_RETURN_IF_ERROR(expr)                                  \
  do {                                                              \
    auto&& ward_status_ = (expr);                                   \
    if (!ward_status_) return std::move(ward_status_).error();      \
  } while (false)

// WARD_ASSIGN_OR_RETURN(auto x, f()); declares/assigns x from f(), or returns its error.
#define WARD_ASSIGN_OR_RETURN(lhs, expr) \
  WARD_ASSIGN_OR_RETURN_IMPL(WARD_CONCAT(ward_result_, __LINE__), lhs, expr)
#define WARD_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp) return std::move(tmp).error();         \
  lhs = std::move(tmp).value()
