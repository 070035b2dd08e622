#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "common/crypto/ossl_ptr.hpp"
#include "common/crypto/x509.hpp"
#include "common/crypto/x509_util.hpp"

// verify_certificate (declared in x509.hpp): a leaf against one pinned CA.

namespace ward::crypto {

using detail::format_time;
using std::chrono::system_clock;

// ---- Verification -------------------------------------------------------------------------

Status verify_certificate(const Certificate& leaf, const Certificate& pinned_ca,
                          system_clock::time_point now) {
  const std::string who =
      "certificate " + quote(leaf.common_name()) + " (serial " + leaf.serial_hex() + ")";
  if (!pinned_ca.is_ca()) {
    return Error::unauthenticated("pinned certificate " + quote(pinned_ca.common_name()) +
                                  " is not a CA certificate");
  }
  if (leaf.is_ca()) {
    return Error::unauthenticated(who + " is a CA certificate, expected an end-entity one");
  }
  detail::clear_ossl_errors();
  detail::X509StorePtr store(X509_STORE_new());
  detail::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!store || !ctx || X509_STORE_add_cert(store.get(), pinned_ca.native()) != 1 ||
      X509_STORE_CTX_init(ctx.get(), store.get(), leaf.native(), nullptr) != 1) {
    return detail::ossl_error(ErrorCode::kInternal, "setting up certificate verification");
  }
  X509_STORE_CTX_set_time(ctx.get(), 0, system_clock::to_time_t(now));
  X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx.get()), X509_V_FLAG_X509_STRICT);
  if (X509_verify_cert(ctx.get()) == 1) return ok();
  detail::clear_ossl_errors();

  const int err = X509_STORE_CTX_get_error(ctx.get());
  const bool at_ca = X509_STORE_CTX_get_error_depth(ctx.get()) > 0;
  const Certificate& subject = at_ca ? pinned_ca : leaf;
  const std::string subject_name = at_ca ? "pinned CA " + quote(pinned_ca.common_name()) : who;
  switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return Error::unauthenticated(subject_name + " expired at " +
                                    format_time(subject.not_after()) + " (now " + format_time(now) +
                                    ")");
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return Error::unauthenticated(subject_name + " is not valid until " +
                                    format_time(subject.not_before()) + " (now " +
                                    format_time(now) + ")");
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_AKID_SKID_MISMATCH:
    case X509_V_ERR_AKID_ISSUER_SERIAL_MISMATCH:
      return Error::unauthenticated(who + " was not issued by the pinned CA " +
                                    quote(pinned_ca.common_name()));
    default:
      return Error::unauthenticated(who + " failed verification against the pinned CA: " +
                                    X509_verify_cert_error_string(err));
  }
}

}  // namespace ward::crypto
