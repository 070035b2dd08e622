#include <arpa/inet.h>
#include <array>
#include <cctype>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/crypto/ossl_ptr.hpp"
#include "common/crypto/pkey_util.hpp"
#include "common/crypto/random.hpp"
#include "common/crypto/x509.hpp"
#include "common/crypto/x509_util.hpp"

// CSRs, the CA certificate and end-entity issuing (declared in x509.hpp).

namespace ward::crypto {
namespace {

using detail::format_time;
using detail::name_common_name;
using std::chrono::system_clock;

// Longest certificate lifetime accepted (also keeps time_t arithmetic far from overflow).
constexpr std::chrono::seconds kMaxLifetime = std::chrono::hours(24 * 366 * 100);

Status check_common_name(std::string_view cn) {
  if (cn.empty() || cn.size() > 64) {
    return Error::invalid_argument("common name " + quote(cn) + " must be 1 to 64 bytes");
  }
  for (unsigned char c : cn) {
    if (c < 0x20 || c == 0x7f) {
      return Error::invalid_argument("common name " + quote(cn) + " contains a control character");
    }
  }
  return ok();
}

Status check_dns_name(std::string_view name) {
  bool ok_chars = !name.empty() && name.size() <= 253 && name.front() != '.' &&
                  name.back() != '.' && name.find("..") == std::string_view::npos;
  for (unsigned char c : name) {
    if (!(std::isalnum(c) || c == '-' || c == '.' || c == '*')) ok_chars = false;
  }
  if (!ok_chars) {
    return Error::invalid_argument("DNS name " + quote(name) +
                                   " is not a host name (letters, digits, '-', '.', '*')");
  }
  return ok();
}

Result<detail::X509NamePtr> make_name(std::string_view cn) {
  WARD_RETURN_IF_ERROR(check_common_name(cn));
  detail::X509NamePtr name(X509_NAME_new());
  if (!name || X509_NAME_add_entry_by_NID(name.get(), NID_commonName, MBSTRING_UTF8,
                                          reinterpret_cast<const unsigned char*>(cn.data()),
                                          static_cast<int>(cn.size()), -1, 0) != 1) {
    return detail::ossl_error(ErrorCode::kInvalidArgument, "common name " + quote(cn));
  }
  return name;
}

// A random positive 128-bit serial. The first byte is at least 0x10 so every serial has
// the same length (32 hex digits); the DER INTEGER is at most 17 octets with its sign byte,
// under RFC 5280's 20.
Result<detail::Asn1IntegerPtr> random_serial() {
  std::array<std::uint8_t, 16> bytes{};
  do {
    WARD_RETURN_IF_ERROR(random_bytes(bytes));
  } while (bytes[0] < 0x10);
  detail::BignumPtr bn(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
  detail::Asn1IntegerPtr serial(bn ? BN_to_ASN1_INTEGER(bn.get(), nullptr) : nullptr);
  if (!serial) return detail::ossl_error(ErrorCode::kInternal, "building a serial number");
  return serial;
}

Status add_ext(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  detail::X509ExtensionPtr ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return detail::ossl_error(ErrorCode::kInternal,
                              std::string("adding certificate extension ") + OBJ_nid2sn(nid));
  }
  return ok();
}

Status set_validity(X509* cert, system_clock::time_point not_before,
                    system_clock::time_point not_after) {
  if (ASN1_TIME_set(X509_getm_notBefore(cert), system_clock::to_time_t(not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert), system_clock::to_time_t(not_after)) == nullptr) {
    return detail::ossl_error(ErrorCode::kInternal, "setting certificate validity");
  }
  return ok();
}

Status check_lifetime(std::chrono::seconds lifetime) {
  if (lifetime <= std::chrono::seconds(0) || lifetime > kMaxLifetime) {
    return Error::invalid_argument("certificate lifetime of " + std::to_string(lifetime.count()) +
                                   " s is out of range, expected 1 s to 100 years");
  }
  return ok();
}

Result<detail::GeneralNamesPtr> make_sans(const IssueOptions& o) {
  detail::GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  if (!names) detail::ossl_fatal("sk_GENERAL_NAME_new_null");
  for (const std::string& dns : o.dns_names) {
    WARD_RETURN_IF_ERROR(check_dns_name(dns));
    detail::GeneralNamePtr gn(GENERAL_NAME_new());
    ASN1_IA5STRING* ia5 = ASN1_IA5STRING_new();
    if (!gn || ia5 == nullptr ||
        ASN1_STRING_set(ia5, dns.data(), static_cast<int>(dns.size())) != 1) {
      ASN1_IA5STRING_free(ia5);
      detail::ossl_fatal("building a dNSName");
    }
    GENERAL_NAME_set0_value(gn.get(), GEN_DNS, ia5);
    if (sk_GENERAL_NAME_push(names.get(), gn.get()) == 0) detail::ossl_fatal("push SAN");
    gn.release();
  }
  for (const std::string& ip : o.ip_addresses) {
    std::array<unsigned char, 16> buf{};
    int len = 0;
    if (inet_pton(AF_INET, ip.c_str(), buf.data()) == 1) {
      len = 4;
    } else if (inet_pton(AF_INET6, ip.c_str(), buf.data()) == 1) {
      len = 16;
    } else {
      return Error::invalid_argument("IP address " + quote(ip) + " is not an IPv4 or IPv6 literal");
    }
    detail::GeneralNamePtr gn(GENERAL_NAME_new());
    ASN1_OCTET_STRING* os = ASN1_OCTET_STRING_new();
    if (!gn || os == nullptr || ASN1_OCTET_STRING_set(os, buf.data(), len) != 1) {
      ASN1_OCTET_STRING_free(os);
      detail::ossl_fatal("building an iPAddress");
    }
    GENERAL_NAME_set0_value(gn.get(), GEN_IPADD, os);
    if (sk_GENERAL_NAME_push(names.get(), gn.get()) == 0) detail::ossl_fatal("push SAN");
    gn.release();
  }
  return names;
}

// The common part of issue_from_csr and issue_for_key: subject_key is a checked public key.
Result<Certificate> issue(const Certificate& ca, const SigningKey& ca_key, EVP_PKEY* subject_key,
                          const IssueOptions& o) {
  WARD_RETURN_IF_ERROR(check_lifetime(o.lifetime));
  WARD_ASSIGN_OR_RETURN(detail::X509NamePtr subject, make_name(o.common_name));
  WARD_ASSIGN_OR_RETURN(detail::GeneralNamesPtr sans, make_sans(o));
  if (!ca.is_ca()) {
    return Error::invalid_argument("issuer certificate " + quote(ca.common_name()) +
                                   " is not a CA certificate");
  }
  detail::clear_ossl_errors();
  if (X509_check_private_key(ca.native(), ca_key.native()) != 1) {
    detail::clear_ossl_errors();
    return Error::invalid_argument("the CA key does not match CA certificate " +
                                   quote(ca.common_name()));
  }
  const system_clock::time_point not_before = o.now - kNotBeforeSkew;
  system_clock::time_point not_after = o.now + o.lifetime;
  if (not_after > ca.not_after()) not_after = ca.not_after();
  if (not_after <= o.now) {
    return Error::invalid_argument("CA certificate " + quote(ca.common_name()) + " expired at " +
                                   format_time(ca.not_after()) + "; cannot issue at " +
                                   format_time(o.now));
  }

  detail::X509Ptr cert(X509_new());
  if (!cert) detail::ossl_fatal("X509_new");
  WARD_ASSIGN_OR_RETURN(detail::Asn1IntegerPtr serial, random_serial());
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      X509_set_serialNumber(cert.get(), serial.get()) != 1 ||
      X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.native())) != 1 ||
      X509_set_subject_name(cert.get(), subject.get()) != 1 ||
      X509_set_pubkey(cert.get(), subject_key) != 1) {
    return detail::ossl_error(ErrorCode::kInternal, "building certificate");
  }
  WARD_RETURN_IF_ERROR(set_validity(cert.get(), not_before, not_after));

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, ca.native(), cert.get(), nullptr, nullptr, 0);
  const char* eku = o.usage == IssueOptions::Usage::kServer   ? "serverAuth"
                    : o.usage == IssueOptions::Usage::kClient ? "clientAuth"
                                                              : "serverAuth,clientAuth";
  WARD_RETURN_IF_ERROR(add_ext(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE"));
  WARD_RETURN_IF_ERROR(add_ext(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature"));
  WARD_RETURN_IF_ERROR(add_ext(cert.get(), &ctx, NID_ext_key_usage, eku));
  WARD_RETURN_IF_ERROR(add_ext(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  WARD_RETURN_IF_ERROR(add_ext(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always"));
  if (sk_GENERAL_NAME_num(sans.get()) > 0 &&
      X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, sans.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return detail::ossl_error(ErrorCode::kInternal, "adding subjectAltName");
  }
  if (X509_sign(cert.get(), ca_key.native(), detail::x509_sign_md(ca_key.type())) <= 0) {
    return detail::ossl_error(ErrorCode::kInternal, "signing certificate");
  }
  return Certificate::adopt(cert.release());
}

}  // namespace

// ---- CSRs ---------------------------------------------------------------------------------

Result<std::string> make_csr(const SigningKey& key, std::string_view common_name) {
  WARD_ASSIGN_OR_RETURN(detail::X509NamePtr subject, make_name(common_name));
  detail::clear_ossl_errors();
  detail::X509ReqPtr req(X509_REQ_new());
  if (!req || X509_REQ_set_version(req.get(), X509_REQ_VERSION_1) != 1 ||
      X509_REQ_set_subject_name(req.get(), subject.get()) != 1 ||
      X509_REQ_set_pubkey(req.get(), key.native()) != 1 ||
      X509_REQ_sign(req.get(), key.native(), detail::x509_sign_md(key.type())) <= 0) {
    return detail::ossl_error(ErrorCode::kInternal, "building CSR");
  }
  detail::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509_REQ(bio.get(), req.get()) != 1) {
    detail::ossl_fatal("PEM_write_bio_X509_REQ");
  }
  return detail::bio_to_string(bio.get());
}

namespace {

// Parses and verifies a CSR; on success *key_out holds a new reference to its key.
Result<CsrInfo> parse_csr(std::string_view csr_pem, detail::EvpPkeyPtr* key_out) {
  if (csr_pem.size() > detail::kMaxEncodedObjectBytes) {
    return Error::invalid_argument("CSR is " + std::to_string(csr_pem.size()) +
                                   " bytes, more than the 64 KiB limit");
  }
  detail::clear_ossl_errors();
  detail::BioPtr bio = detail::read_bio(csr_pem);
  detail::X509ReqPtr req(
      PEM_read_bio_X509_REQ(bio.get(), nullptr, detail::refuse_passphrase, nullptr));
  if (!req) {
    return detail::ossl_error(ErrorCode::kInvalidArgument,
                              "malformed CSR " + quote(csr_pem, 40) +
                                  ": expected a \"BEGIN CERTIFICATE REQUEST\" PEM block");
  }
  EVP_PKEY* pkey = X509_REQ_get0_pubkey(req.get());
  if (pkey == nullptr) {
    return detail::ossl_error(ErrorCode::kInvalidArgument, "CSR has an unreadable public key");
  }
  auto type = detail::classify_key(pkey);
  if (!type) return type.error().context("CSR public key");
  if (X509_REQ_verify(req.get(), pkey) != 1) {
    detail::clear_ossl_errors();
    return Error::unauthenticated("CSR signature does not verify with its own public key");
  }
  if (key_out != nullptr) {
    if (EVP_PKEY_up_ref(pkey) != 1) detail::ossl_fatal("EVP_PKEY_up_ref");
    key_out->reset(pkey);
  }
  return CsrInfo{name_common_name(X509_REQ_get_subject_name(req.get())),
                 detail::public_key_pem(pkey)};
}

}  // namespace

Result<CsrInfo> inspect_csr(std::string_view csr_pem) {
  return parse_csr(csr_pem, nullptr);
}

// ---- Issuing --------------------------------------------------------------------------------

Result<Certificate> create_ca(const SigningKey& ca_key, std::string_view name,
                              std::chrono::seconds lifetime, system_clock::time_point now) {
  WARD_RETURN_IF_ERROR(check_lifetime(lifetime));
  WARD_ASSIGN_OR_RETURN(detail::X509NamePtr subject, make_name(name));
  WARD_ASSIGN_OR_RETURN(detail::Asn1IntegerPtr serial, random_serial());
  detail::clear_ossl_errors();
  detail::X509Ptr cert(X509_new());
  if (!cert) detail::ossl_fatal("X509_new");
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      X509_set_serialNumber(cert.get(), serial.get()) != 1 ||
      X509_set_issuer_name(cert.get(), subject.get()) != 1 ||
      X509_set_subject_name(cert.get(), subject.get()) != 1 ||
      X509_set_pubkey(cert.get(), ca_key.native()) != 1) {
    return detail::ossl_error(ErrorCode::kInternal, "building CA certificate");
  }
  WARD_RETURN_IF_ERROR(set_validity(cert.get(), now - kNotBeforeSkew, now + lifetime));
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  WARD_RETURN_IF_ERROR(
      add_ext(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
  WARD_RETURN_IF_ERROR(add_ext(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign"));
  WARD_RETURN_IF_ERROR(add_ext(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  if (X509_sign(cert.get(), ca_key.native(), detail::x509_sign_md(ca_key.type())) <= 0) {
    return detail::ossl_error(ErrorCode::kInternal, "signing CA certificate");
  }
  return Certificate::adopt(cert.release());
}

Result<Certificate> issue_from_csr(const Certificate& ca, const SigningKey& ca_key,
                                   std::string_view csr_pem, const IssueOptions& options) {
  detail::EvpPkeyPtr key;
  WARD_RETURN_IF_ERROR(parse_csr(csr_pem, &key));
  return issue(ca, ca_key, key.get(), options);
}

Result<Certificate> issue_for_key(const Certificate& ca, const SigningKey& ca_key,
                                  const SigningKey& subject_key, const IssueOptions& options) {
  return issue(ca, ca_key, subject_key.native(), options);
}

}  // namespace ward::crypto
