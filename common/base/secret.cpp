#include "common/base/secret.hpp"

#include <openssl/crypto.h>

namespace ward {

void secure_wipe(void* p, std::size_t n) {
  if (p != nullptr && n != 0) OPENSSL_cleanse(p, n);
}

bool ct_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool ct_equal(std::string_view a, std::string_view b) {
  return ct_equal(std::span(reinterpret_cast<const std::uint8_t*>(a.data()), a.size()),
                  std::span(reinterpret_cast<const std::uint8_t*>(b.data()), b.size()));
}

void SecretBytes::clear() {
  // Wipe the whole capacity: earlier, longer contents may linger past size().
  bytes_.resize(bytes_.capacity());
  secure_wipe(bytes_.data(), bytes_.size());
  bytes_.clear();
}

SecretBytes& SecretBytes::operator=(const SecretBytes& other) {
  if (this != &other) {
    clear();
    bytes_ = other.bytes_;
  }
  return *this;
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    clear();
    bytes_ = std::move(other.bytes_);
    other.clear();
  }
  return *this;
}

void SecretString::clear() {
  s_.resize(s_.capacity());
  secure_wipe(s_.data(), s_.size());
  s_.clear();
}

SecretString& SecretString::operator=(const SecretString& other) {
  if (this != &other) {
    clear();
    s_ = other.s_;
  }
  return *this;
}

SecretString& SecretString::operator=(SecretString&& other) noexcept {
  if (this != &other) {
    clear();
    s_ = std::move(other.s_);
    other.clear();
  }
  return *this;
}

}  // namespace ward
