#include "controller/identity/totp.hpp"

#include <array>

#include "common/crypto/hash.hpp"
#include "common/crypto/random.hpp"

namespace ward::identity {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

// Constant-time alphabet lookup: -1 for a character outside the alphabet.
int base32_value(unsigned char c) {
  int v = -1;
  // Compare against every symbol; no data-dependent branch or index.
  for (int i = 0; i < 32; ++i) {
    int upper = static_cast<unsigned char>(kAlphabet[i]);
    int lower = (upper >= 'A' && upper <= 'Z') ? upper + 32 : upper;
    int eq = static_cast<int>(c == upper) | static_cast<int>(c == lower);
    v = eq ? i : v;
  }
  return v;
}

std::string percent_encode(std::string_view s, bool keep_at) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~' || (keep_at && c == '@');
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string base32_encode(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve((bytes.size() * 8 + 4) / 5);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (std::uint8_t b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += kAlphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (5 - bits)) & 31];
  secure_wipe(&buffer, sizeof buffer);
  return out;
}

Result<SecretBytes> base32_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=')
    text.remove_suffix(1);
  std::size_t rem = text.size() % 8;
  if (rem == 1 || rem == 3 || rem == 6) {
    return Error::invalid_argument("base32 text has an impossible length");
  }
  SecretBytes out(text.size() * 5 / 8);
  std::uint32_t buffer = 0;
  int bits = 0;
  std::size_t n = 0;
  bool bad = false;
  for (char ch : text) {
    int v = base32_value(static_cast<unsigned char>(ch));
    bad |= v < 0;
    buffer = (buffer << 5) | static_cast<std::uint32_t>(v & 31);
    bits += 5;
    if (bits >= 8) {
      out.data()[n++] = static_cast<std::uint8_t>(buffer >> (bits - 8));
      bits -= 8;
    }
  }
  // Canonical: unused trailing bits must be zero.
  bad |= (buffer & ((1u << bits) - 1)) != 0;
  secure_wipe(&buffer, sizeof buffer);
  if (bad) return Error::invalid_argument("base32 text contains characters outside A-Z and 2-7");
  return out;
}

Result<SecretBytes> generate_totp_secret() {
  return crypto::random_secret(kTotpSecretBytes);
}

std::int64_t totp_step(SysTime now) {
  auto secs = std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count();
  // Floor division, so times before 1970 (never legitimate here) still step monotonically.
  std::int64_t q = secs / kTotpPeriodSeconds;
  if (secs % kTotpPeriodSeconds < 0) --q;
  return q;
}

Result<std::uint32_t> hotp(const SecretBytes& secret, std::int64_t step, int digits) {
  if (digits < 6 || digits > 8) return Error::invalid_argument("HOTP digits must be 6, 7 or 8");
  if (step < 0) return Error::invalid_argument("TOTP step before 1970");
  std::array<std::uint8_t, 8> counter{};
  auto c = static_cast<std::uint64_t>(step);
  for (int i = 7; i >= 0; --i) {
    counter[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(c & 0xff);
    c >>= 8;
  }
  WARD_ASSIGN_OR_RETURN(auto mac, crypto::hmac(crypto::HashAlg::kSha1, secret.span(),
                                               std::span<const std::uint8_t>(counter)));
  if (mac.size() != 20) return Error::internal("HMAC-SHA1 returned a wrong length");
  // RFC 4226 §5.3 dynamic truncation.
  unsigned offset = mac[19] & 0x0f;
  std::uint32_t bin = (static_cast<std::uint32_t>(mac[offset] & 0x7f) << 24) |
                      (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                      (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
                      static_cast<std::uint32_t>(mac[offset + 3]);
  secure_wipe(mac.data(), mac.size());
  std::uint32_t mod = 1;
  for (int i = 0; i < digits; ++i)
    mod *= 10;
  return bin % mod;
}

Result<SecretString> hotp_code(const SecretBytes& secret, std::int64_t step, int digits) {
  WARD_ASSIGN_OR_RETURN(std::uint32_t v, hotp(secret, step, digits));
  std::string s(static_cast<std::size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i) {
    s[static_cast<std::size_t>(i)] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return SecretString(std::move(s));
}

Result<std::int64_t> verify_totp(const SecretBytes& secret, std::string_view code, SysTime now,
                                 std::optional<std::int64_t> last_used_step) {
  bool well_formed = code.size() == static_cast<std::size_t>(kTotpDigits);
  for (char ch : code)
    well_formed &= ch >= '0' && ch <= '9';
  if (!well_formed) return Error::unauthenticated("invalid TOTP code");
  if (secret.empty()) return Error::unauthenticated("invalid TOTP code");
  std::int64_t current = totp_step(now);
  std::optional<std::int64_t> accepted;
  bool replayed = false;
  // Always compute all window steps; record the newest match not yet used.
  for (std::int64_t step = current - kTotpWindow; step <= current + kTotpWindow; ++step) {
    WARD_ASSIGN_OR_RETURN(SecretString expected, hotp_code(secret, step));
    bool match = ct_equal(expected.reveal(), code);
    bool fresh = !last_used_step || step > *last_used_step;
    if (match && fresh) accepted = step;
    if (match && !fresh) replayed = true;
  }
  if (accepted) return *accepted;
  if (replayed) return Error::unauthenticated("TOTP code already used");
  return Error::unauthenticated("invalid TOTP code");
}

SecretString otpauth_uri(std::string_view issuer, std::string_view account,
                         const SecretBytes& secret) {
  std::string uri;
  // Reserve up front so no reallocation leaves a copy of the secret in freed memory.
  uri.reserve(128 + 3 * (2 * issuer.size() + account.size()) + 2 * secret.size());
  uri += "otpauth://totp/";
  uri += percent_encode(issuer, false);
  uri += ':';
  uri += percent_encode(account, true);
  uri += "?secret=";
  std::string b32 = base32_encode(secret.span());
  uri += b32;
  secure_wipe(b32.data(), b32.size());
  uri += "&issuer=";
  uri += percent_encode(issuer, false);
  uri += "&algorithm=SHA1&digits=" + std::to_string(kTotpDigits) +
         "&period=" + std::to_string(kTotpPeriodSeconds);
  return SecretString(std::move(uri));
}

}  // namespace ward::identity
