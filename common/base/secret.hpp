// Containers for secret material: keys, tokens, passwords, TOTP seeds.
//
// Contract: the bytes are wiped (OPENSSL_cleanse, which the optimiser may not elide) on
// destruction, on assignment over them, and on clear(). There is deliberately no
// operator<<, no fmt formatter and no implicit conversion to std::string, so a secret
// cannot reach a log line or an error message by accident: to print it (e.g. a one-time
// token shown to an operator once) a caller must call reveal() and mean it.
// Comparison is constant-time in the length of the inputs (ct_equal).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ward {

// Wipes n bytes at p so the write cannot be optimised away.
void secure_wipe(void* p, std::size_t n);

// Constant-time equality: time depends only on the lengths, never on where bytes differ.
bool ct_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);
bool ct_equal(std::string_view a, std::string_view b);

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::size_t n) : bytes_(n, 0) {}
  explicit SecretBytes(std::span<const std::uint8_t> bytes) : bytes_(bytes.begin(), bytes.end()) {}
  SecretBytes(const SecretBytes& other) : bytes_(other.bytes_) {}
  SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) { other.clear(); }
  SecretBytes& operator=(const SecretBytes& other);
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  ~SecretBytes() { clear(); }

  std::uint8_t* data() { return bytes_.data(); }
  const std::uint8_t* data() const { return bytes_.data(); }
  std::size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  std::span<std::uint8_t> span() { return bytes_; }
  std::span<const std::uint8_t> span() const { return bytes_; }

  // Wipes and empties.
  void clear();

  friend bool operator==(const SecretBytes& a, const SecretBytes& b) {
    return ct_equal(a.span(), b.span());
  }

 private:
  std::vector<std::uint8_t> bytes_;
};

class SecretString {
 public:
  SecretString() = default;
  explicit SecretString(std::string s) : s_(std::move(s)) {}
  SecretString(const SecretString& other) : s_(other.s_) {}
  SecretString(SecretString&& other) noexcept : s_(std::move(other.s_)) { other.clear(); }
  SecretString& operator=(const SecretString& other);
  SecretString& operator=(SecretString&& other) noexcept;
  ~SecretString() { clear(); }

  // The only way to the characters; every call site is a place a secret leaves its box.
  std::string_view reveal() const { return s_; }
  std::size_t size() const { return s_.size(); }
  bool empty() const { return s_.empty(); }
  void clear();

  friend bool operator==(const SecretString& a, const SecretString& b) {
    return ct_equal(a.reveal(), b.reveal());
  }

 private:
  std::string s_;
};

}  // namespace ward
