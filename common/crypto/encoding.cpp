#include "common/crypto/encoding.hpp"

#include <cstddef>
#include <optional>

namespace ward::crypto {
namespace {

enum class Alphabet { kStandard, kUrl };

// All-ones (-1) when lo <= c <= hi, else 0, without branches. c, lo, hi in 0..255.
constexpr int in_range(int c, int lo, int hi) {
  return ((lo - 1 - c) & (c - (hi + 1))) >> 8;
}

// The 6-bit value of a base64 character, or -1. Constant time in c.
constexpr int b64_value(unsigned char uc, Alphabet a) {
  const int c = uc;
  const int c62 = a == Alphabet::kStandard ? '+' : '-';
  const int c63 = a == Alphabet::kStandard ? '/' : '_';
  return -1 + (in_range(c, 'A', 'Z') & (c - 'A' + 1)) + (in_range(c, 'a', 'z') & (c - 'a' + 27)) +
         (in_range(c, '0', '9') & (c - '0' + 53)) + (in_range(c, c62, c62) & 63) +
         (in_range(c, c63, c63) & 64);
}

// The base64 character for a 6-bit value. Constant time in v.
constexpr char b64_char(int v, Alphabet a) {
  const int c62 = a == Alphabet::kStandard ? '+' : '-';
  const int c63 = a == Alphabet::kStandard ? '/' : '_';
  // v + 'A' for 0..25; shifted into 'a'..'z' for 26..51 and '0'..'9' for 52..61.
  int c = v + 'A' + (((25 - v) >> 8) & 6) - (((51 - v) >> 8) & 75);
  // For 62 and 63 that formula gives 58 and 59; move them onto the alphabet's symbols.
  c += ((61 - v) >> 8) & (c62 - 58);
  c += ((62 - v) >> 8) & ((c63 - 59) - (c62 - 58));
  return static_cast<char>(c);
}

constexpr bool check_b64_tables() {
  const char* std_alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const char* url_alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (int v = 0; v < 64; ++v) {
    if (b64_char(v, Alphabet::kStandard) != std_alpha[v]) return false;
    if (b64_char(v, Alphabet::kUrl) != url_alpha[v]) return false;
    if (b64_value(static_cast<unsigned char>(std_alpha[v]), Alphabet::kStandard) != v) return false;
    if (b64_value(static_cast<unsigned char>(url_alpha[v]), Alphabet::kUrl) != v) return false;
  }
  int valid = 0;
  for (int c = 0; c < 256; ++c)
    valid += b64_value(static_cast<unsigned char>(c), Alphabet::kUrl) >= 0;
  return valid == 64;
}
static_assert(check_b64_tables());

std::string b64_encode(std::span<const std::uint8_t> in, Alphabet a, bool pad) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const int v = (in[i] << 16) | (in[i + 1] << 8) | in[i + 2];
    out += b64_char((v >> 18) & 63, a);
    out += b64_char((v >> 12) & 63, a);
    out += b64_char((v >> 6) & 63, a);
    out += b64_char(v & 63, a);
  }
  const std::size_t rest = in.size() - i;
  if (rest == 1) {
    const int v = in[i] << 16;
    out += b64_char((v >> 18) & 63, a);
    out += b64_char((v >> 12) & 63, a);
    if (pad) out += "==";
  } else if (rest == 2) {
    const int v = (in[i] << 16) | (in[i + 1] << 8);
    out += b64_char((v >> 18) & 63, a);
    out += b64_char((v >> 12) & 63, a);
    out += b64_char((v >> 6) & 63, a);
    if (pad) out += '=';
  }
  return out;
}

// Why a decode failed, phrased for an error message (no input content).
using Problem = std::optional<std::string>;

// Checks the shape of a base64 text: sets *data_chars to the number of characters before
// the padding and *out_len to the decoded size.
Problem b64_shape(std::string_view text, Alphabet a, std::size_t* data_chars,
                  std::size_t* out_len) {
  std::size_t n = text.size();
  if (a == Alphabet::kStandard) {
    if (n % 4 != 0) {
      return "length " + std::to_string(n) + " is not a multiple of 4 (missing padding?)";
    }
    if (n >= 1 && text[n - 1] == '=') {
      --n;
      if (text[n - 1] == '=') --n;
    }
  } else if (n % 4 == 1) {
    return "length " + std::to_string(n) + " is impossible for base64url";
  }
  *data_chars = n;
  *out_len = n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
  return std::nullopt;
}

// Decodes the first `chars` characters of text (the data before any padding) into out,
// sized by b64_shape.
Problem b64_decode_into(std::string_view text, std::size_t chars, Alphabet a,
                        std::span<std::uint8_t> out) {
  int bad = 0;
  std::size_t first_bad = text.size();
  std::size_t o = 0;
  int acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < chars; ++i) {
    const int v = b64_value(static_cast<unsigned char>(text[i]), a);
    if (v < 0 && first_bad == text.size()) first_bad = i;
    bad |= v;
    acc = ((acc << 6) | (v & 63)) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (o < out.size()) out[o++] = static_cast<std::uint8_t>(acc >> bits);
    }
  }
  if (bad < 0) {
    const bool is_pad = text[first_bad] == '=';
    return std::string(is_pad ? "padding '=' " : "a character outside the alphabet ") +
           "at offset " + std::to_string(first_bad);
  }
  if ((acc & ((1 << bits) - 1)) != 0) return std::string("non-zero unused bits at the end");
  return std::nullopt;
}

// One hex digit's value or -1. Constant time in c.
constexpr int hex_value(unsigned char uc) {
  const int c = uc;
  return -1 + (in_range(c, '0', '9') & (c - '0' + 1)) + (in_range(c, 'a', 'f') & (c - 'a' + 11)) +
         (in_range(c, 'A', 'F') & (c - 'A' + 11));
}

constexpr char hex_char(int v) {
  return static_cast<char>(v + '0' + (((9 - v) >> 8) & 39));
}

Problem hex_decode_into(std::string_view text, std::span<std::uint8_t> out) {
  if (text.size() % 2 != 0) return "odd length " + std::to_string(text.size());
  int bad = 0;
  std::size_t first_bad = text.size();
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_value(static_cast<unsigned char>(text[2 * i]));
    const int lo = hex_value(static_cast<unsigned char>(text[2 * i + 1]));
    if ((hi | lo) < 0 && first_bad == text.size()) first_bad = 2 * i + (hi < 0 ? 0 : 1);
    bad |= hi | lo;
    out[i] = static_cast<std::uint8_t>(((hi & 15) << 4) | (lo & 15));
  }
  if (bad < 0) return "a non-hex character at offset " + std::to_string(first_bad);
  return std::nullopt;
}

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

Error public_error(std::string_view kind, std::string_view text, const std::string& problem) {
  return Error::invalid_argument("malformed " + std::string(kind) + " " + quote(text) + ": " +
                                 problem);
}

Error secret_error(std::string_view kind, const std::string& problem) {
  return Error::invalid_argument("malformed " + std::string(kind) + ": " + problem);
}

template <class Out>
Result<Out> decode_b64(std::string_view text, Alphabet a, bool secret) {
  std::string_view kind = a == Alphabet::kStandard ? "base64" : "base64url";
  std::size_t chars = 0;
  std::size_t len = 0;
  Problem p = b64_shape(text, a, &chars, &len);
  if (!p) {
    Out out(len);
    p = b64_decode_into(text, chars, a, std::span<std::uint8_t>(out.data(), out.size()));
    if (!p) return out;
  }
  return secret ? secret_error(kind, *p) : public_error(kind, text, *p);
}

template <class Out>
Result<Out> decode_hex(std::string_view text, bool secret) {
  Out out(text.size() / 2);
  Problem p = hex_decode_into(text, std::span<std::uint8_t>(out.data(), out.size()));
  if (!p) return out;
  return secret ? secret_error("hex", *p) : public_error("hex", text, *p);
}

}  // namespace

std::string base64_encode(std::span<const std::uint8_t> bytes) {
  return b64_encode(bytes, Alphabet::kStandard, true);
}
std::string base64_encode(std::string_view bytes) {
  return base64_encode(as_bytes(bytes));
}

Result<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
  return decode_b64<std::vector<std::uint8_t>>(text, Alphabet::kStandard, false);
}
Result<SecretBytes> base64_decode_secret(std::string_view text) {
  return decode_b64<SecretBytes>(text, Alphabet::kStandard, true);
}

std::string base64url_encode(std::span<const std::uint8_t> bytes) {
  return b64_encode(bytes, Alphabet::kUrl, false);
}
std::string base64url_encode(std::string_view bytes) {
  return base64url_encode(as_bytes(bytes));
}

Result<std::vector<std::uint8_t>> base64url_decode(std::string_view text) {
  return decode_b64<std::vector<std::uint8_t>>(text, Alphabet::kUrl, false);
}
Result<SecretBytes> base64url_decode_secret(std::string_view text) {
  return decode_b64<SecretBytes>(text, Alphabet::kUrl, true);
}

std::string hex_encode(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out += hex_char(b >> 4);
    out += hex_char(b & 15);
  }
  return out;
}
std::string hex_encode(std::string_view bytes) {
  return hex_encode(as_bytes(bytes));
}

Result<std::vector<std::uint8_t>> hex_decode(std::string_view text) {
  return decode_hex<std::vector<std::uint8_t>>(text, false);
}
Result<SecretBytes> hex_decode_secret(std::string_view text) {
  return decode_hex<SecretBytes>(text, true);
}

Status base64_decode_exact_secret(std::string_view text, std::span<std::uint8_t> out) {
  std::size_t chars = 0;
  std::size_t len = 0;
  Problem p = b64_shape(text, Alphabet::kStandard, &chars, &len);
  if (!p && len != out.size()) {
    p = "decodes to " + std::to_string(len) + " bytes, expected " + std::to_string(out.size());
  }
  if (!p) p = b64_decode_into(text, chars, Alphabet::kStandard, out);
  if (p) return secret_error("base64", *p);
  return ok();
}

}  // namespace ward::crypto
