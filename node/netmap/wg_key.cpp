#include "node/netmap/wg_key.hpp"

#include <cstring>

namespace ward::node {
namespace {

constexpr char kHex[] = "0123456789abcdef";

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes canonical padded base64 of exactly out.size() bytes. False on any deviation.
bool decode_b64(std::string_view text, std::span<std::uint8_t> out) {
  const std::size_t n = out.size();
  const std::size_t want = (n + 2) / 3 * 4;
  if (text.size() != want) return false;
  const std::size_t pad = (3 - n % 3) % 3;
  for (std::size_t i = 0; i < pad; ++i) {
    if (text[want - 1 - i] != '=') return false;
  }
  std::uint32_t acc = 0;
  int bits = 0;
  std::size_t o = 0;
  for (std::size_t i = 0; i < want - pad; ++i) {
    const int v = b64_value(text[i]);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (o >= n) return false;
      out[o++] = static_cast<std::uint8_t>(acc >> bits);
      acc &= (1u << bits) - 1;
    }
  }
  // Leftover bits must be zero for the encoding to be canonical.
  return o == n && acc == 0;
}

bool decode_hex(std::string_view text, std::span<std::uint8_t> out) {
  if (text.size() != out.size() * 2) return false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_value(text[2 * i]);
    const int lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return true;
}

}  // namespace

std::string hex_encode(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (auto b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

Result<SecretBytes> secret_from_hex(std::string_view text, std::size_t expected_len) {
  SecretBytes out(expected_len);
  if (!decode_hex(text, out.span())) {
    return Error::invalid_argument("expected " + std::to_string(expected_len * 2) +
                                   " hex digits (secret not shown), got " +
                                   std::to_string(text.size()) + " characters");
  }
  return out;
}

Result<SecretBytes> secret_from_base64(std::string_view text, std::size_t expected_len) {
  SecretBytes out(expected_len);
  if (!decode_b64(text, out.span())) {
    return Error::invalid_argument("expected " + std::to_string(expected_len) +
                                   " bytes of canonical base64 (secret not shown), got " +
                                   std::to_string(text.size()) + " characters");
  }
  return out;
}

}  // namespace ward::node
