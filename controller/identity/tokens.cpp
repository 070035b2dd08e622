#include "controller/identity/tokens.hpp"

#include "common/crypto/hash.hpp"
#include "common/crypto/random.hpp"

namespace ward::identity {
namespace {

std::string_view kind_name(TokenKind kind) {
  switch (kind) {
    case TokenKind::kEnrollmentKey:
      return "enrollment key";
    case TokenKind::kSession:
      return "session token";
    case TokenKind::kBootstrap:
      return "bootstrap token";
  }
  return "token";
}

}  // namespace

std::string_view token_prefix(TokenKind kind) {
  switch (kind) {
    case TokenKind::kEnrollmentKey:
      return "wek_";
    case TokenKind::kSession:
      return "wst_";
    case TokenKind::kBootstrap:
      return "wbt_";
  }
  return "";
}

Result<SecretString> generate_token(TokenKind kind) {
  WARD_ASSIGN_OR_RETURN(std::string body, crypto::random_token(kTokenRandomBytes));
  std::string token;
  token.reserve(kTokenLength);
  token += token_prefix(kind);
  token += body;
  secure_wipe(body.data(), body.size());
  if (token.size() != kTokenLength)
    return Error::internal("random_token returned an unexpected length");
  return SecretString(std::move(token));
}

Status check_token_format(TokenKind kind, std::string_view text) {
  bool good = text.size() == kTokenLength && text.substr(0, 4) == token_prefix(kind);
  for (std::size_t i = 4; good && i < text.size(); ++i) {
    char c = text[i];
    good = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  }
  if (!good) return Error::unauthenticated("malformed " + std::string(kind_name(kind)));
  return ok();
}

store::Bytes token_hash(std::string_view token) {
  crypto::Sha256Digest d = crypto::sha256(token);
  return store::Bytes(d.begin(), d.end());
}

bool token_matches(std::string_view token, const store::Bytes& stored_hash) {
  return ct_equal(token_hash(token), stored_hash);
}

}  // namespace ward::identity
