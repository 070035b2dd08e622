#include "common/crypto/ossl_ptr.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

#include <climits>
#include <openssl/err.h>

namespace ward::crypto::detail {

Error ossl_error(ErrorCode code, std::string_view what) {
  // The most recent entry is the most specific; older ones are usually context.
  unsigned long last = 0;
  while (unsigned long e = ERR_get_error())
    last = e;
  std::string msg(what);
  if (last != 0) {
    const char* reason = ERR_reason_error_string(last);
    msg += " (openssl: ";
    msg += reason != nullptr ? reason : "unknown reason";
    msg += ")";
  }
  return Error(code, std::move(msg));
}

int refuse_passphrase(char*, int, int, void*) {
  return -1;
}

void clear_ossl_errors() {
  ERR_clear_error();
}

void ossl_fatal(std::string_view what) {
  std::fprintf(stderr, "ward: fatal OpenSSL failure: %.*s\n", static_cast<int>(what.size()),
               what.data());
  ERR_print_errors_fp(stderr);
  std::abort();
}

BioPtr read_bio(std::string_view data) {
  if (data.size() > kMaxEncodedObjectBytes) ossl_fatal("read_bio: input over the size limit");
  BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  if (!bio) ossl_fatal("BIO_new_mem_buf");
  return bio;
}

std::string bio_to_string(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  if (n < 0 || (n > 0 && data == nullptr)) ossl_fatal("BIO_get_mem_data");
  return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace ward::crypto::detail
