#include "controller/identity/password.hpp"

#include <charconv>
#include <mutex>
#include <vector>

#include <argon2.h>

#include "common/crypto/random.hpp"

namespace ward::identity {
namespace {

constexpr std::uint32_t kMaxMemoryKib = 1024 * 1024;
constexpr std::uint32_t kMaxTCost = 16;
constexpr std::uint32_t kMaxParallelism = 16;

struct Parsed {
  std::uint32_t m = 0, t = 0, p = 0;
};

// Parses the parameter block of "$argon2id$v=19$m=..,t=..,p=..$salt$hash".
Result<Parsed> parse_encoded(std::string_view e) {
  auto bad = [] {
    return Error::invalid_argument("stored password hash is not an argon2id v19 hash");
  };
  constexpr std::string_view kPrefix = "$argon2id$v=19$m=";
  if (e.substr(0, kPrefix.size()) != kPrefix) return bad();
  std::string_view rest = e.substr(kPrefix.size());
  Parsed p;
  auto num = [&](std::uint32_t& out, char stop) -> bool {
    auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), out);
    if (ec != std::errc() || ptr == rest.data() || ptr == rest.data() + rest.size() ||
        *ptr != stop) {
      return false;
    }
    rest.remove_prefix(static_cast<std::size_t>(ptr - rest.data()) + 1);
    return true;
  };
  if (!num(p.m, ',') || rest.substr(0, 2) != "t=") return bad();
  rest.remove_prefix(2);
  if (!num(p.t, ',') || rest.substr(0, 2) != "p=") return bad();
  rest.remove_prefix(2);
  if (!num(p.p, '$')) return bad();
  if (p.m > kMaxMemoryKib || p.t > kMaxTCost || p.p > kMaxParallelism || p.t == 0 || p.p == 0) {
    return Error::invalid_argument("stored password hash has out-of-range argon2 parameters");
  }
  return p;
}

}  // namespace

Status check_password_policy(const SecretString& password) {
  std::string_view pw = password.reveal();
  if (pw.size() < kMinPasswordLength) {
    return Error::invalid_argument("password must be at least " +
                                   std::to_string(kMinPasswordLength) + " characters");
  }
  if (pw.size() > kMaxPasswordLength) {
    return Error::invalid_argument("password must be at most " +
                                   std::to_string(kMaxPasswordLength) + " bytes");
  }
  for (unsigned char c : pw) {
    if (c < 0x20 || c == 0x7f) {
      return Error::invalid_argument("password must not contain control characters");
    }
  }
  return ok();
}

Result<std::string> hash_password(const SecretString& password, const PasswordParams& params) {
  WARD_RETURN_IF_ERROR(check_password_policy(password));
  if (params.salt_len < 16 || params.hash_len < 16 || params.m_cost_kib > kMaxMemoryKib ||
      params.t_cost > kMaxTCost || params.parallelism > kMaxParallelism) {
    return Error::invalid_argument("argon2 parameters out of range");
  }
  std::vector<std::uint8_t> salt(params.salt_len);
  WARD_RETURN_IF_ERROR(crypto::random_bytes(salt));
  std::size_t len = argon2_encodedlen(params.t_cost, params.m_cost_kib, params.parallelism,
                                      params.salt_len, params.hash_len, Argon2_id);
  std::string encoded(len, '\0');
  std::string_view pw = password.reveal();
  int rc = argon2id_hash_encoded(params.t_cost, params.m_cost_kib, params.parallelism, pw.data(),
                                 pw.size(), salt.data(), salt.size(), params.hash_len,
                                 encoded.data(), encoded.size());
  if (rc != ARGON2_OK) {
    return Error::internal(std::string("argon2id hashing failed: ") + argon2_error_message(rc));
  }
  encoded.resize(std::char_traits<char>::length(encoded.c_str()));
  return encoded;
}

Status verify_password(const SecretString& password, std::string_view encoded) {
  WARD_RETURN_IF_ERROR(parse_encoded(encoded));
  std::string_view pw = password.reveal();
  if (pw.size() > kMaxPasswordLength) return Error::unauthenticated("wrong password");
  std::string enc(encoded);  // argon2 needs a NUL-terminated string
  int rc = argon2id_verify(enc.c_str(), pw.data(), pw.size());
  if (rc == ARGON2_OK) return ok();
  if (rc == ARGON2_VERIFY_MISMATCH) return Error::unauthenticated("wrong password");
  if (rc == ARGON2_MEMORY_ALLOCATION_ERROR) {
    return Error::unavailable("argon2id verification could not allocate memory");
  }
  if (rc == ARGON2_DECODING_FAIL || rc == ARGON2_INCORRECT_TYPE) {
    return Error::invalid_argument("stored password hash is malformed");
  }
  return Error::internal(std::string("argon2id verification failed: ") + argon2_error_message(rc));
}

void verify_password_dummy(const SecretString& password) {
  static std::once_flag once;
  static std::string dummy;
  std::call_once(once, [] {
    auto h = hash_password(SecretString(std::string("ward-dummy-password-for-timing")));
    dummy = h ? *h : std::string();
  });
  if (!dummy.empty()) (void)verify_password(password, dummy);
}

bool needs_rehash(std::string_view encoded, const PasswordParams& params) {
  auto p = parse_encoded(encoded);
  if (!p) return true;
  return p->m < params.m_cost_kib || p->t < params.t_cost || p->p < params.parallelism;
}

}  // namespace ward::identity
