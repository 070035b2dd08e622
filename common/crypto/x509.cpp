#include "common/crypto/x509.hpp"

#include <arpa/inet.h>
#include <array>
#include <cctype>
#include <ctime>
#include <utility>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/crypto/encoding.hpp"
#include "common/crypto/ossl_ptr.hpp"
#include "common/crypto/pkey_util.hpp"
#include "common/crypto/x509_util.hpp"

namespace ward::crypto {

using std::chrono::system_clock;

namespace detail {

std::string format_time(system_clock::time_point tp) {
  std::time_t t = system_clock::to_time_t(tp);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

system_clock::time_point from_asn1_time(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return system_clock::time_point{};
  return system_clock::from_time_t(timegm(&tm));
}

std::string name_common_name(const X509_NAME* name) {
  if (name == nullptr) return {};
  int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (idx < 0) return {};
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) {
    detail::clear_ossl_errors();
    return {};
  }
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

}  // namespace detail

// ---- Certificate ------------------------------------------------------------------------

Result<Certificate> Certificate::from_pem(std::string_view pem) {
  if (pem.size() > detail::kMaxEncodedObjectBytes) {
    return Error::invalid_argument("certificate PEM is " + std::to_string(pem.size()) +
                                   " bytes, more than the 64 KiB limit");
  }
  detail::clear_ossl_errors();
  detail::BioPtr bio = detail::read_bio(pem);
  X509* x = PEM_read_bio_X509(bio.get(), nullptr, detail::refuse_passphrase, nullptr);
  if (x == nullptr) {
    return detail::ossl_error(
        ErrorCode::kInvalidArgument,
        "malformed certificate " + quote(pem, 40) + ": expected a \"BEGIN CERTIFICATE\" PEM block");
  }
  return Certificate(x);
}

Result<Certificate> Certificate::from_der(std::string_view der) {
  if (der.size() > detail::kMaxEncodedObjectBytes) {
    return Error::invalid_argument("certificate DER is " + std::to_string(der.size()) +
                                   " bytes, more than the 64 KiB limit");
  }
  detail::clear_ossl_errors();
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const auto* end = p + der.size();
  detail::X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x) {
    return detail::ossl_error(
        ErrorCode::kInvalidArgument,
        "malformed DER certificate of " + std::to_string(der.size()) + " bytes");
  }
  if (p != end) {
    return Error::invalid_argument("DER certificate followed by " + std::to_string(end - p) +
                                   " trailing bytes");
  }
  return Certificate(x.release());
}

Certificate Certificate::adopt(X509* x) {
  if (x == nullptr) detail::ossl_fatal("Certificate::adopt(nullptr)");
  return Certificate(x);
}

Certificate::Certificate(const Certificate& other) : x509_(other.x509_) {
  if (x509_ != nullptr) X509_up_ref(x509_);
}

Certificate& Certificate::operator=(const Certificate& other) {
  if (this != &other) {
    if (other.x509_ != nullptr) X509_up_ref(other.x509_);
    X509_free(x509_);
    x509_ = other.x509_;
  }
  return *this;
}

Certificate::Certificate(Certificate&& other) noexcept
    : x509_(std::exchange(other.x509_, nullptr)) {}

Certificate& Certificate::operator=(Certificate&& other) noexcept {
  if (this != &other) {
    X509_free(x509_);
    x509_ = std::exchange(other.x509_, nullptr);
  }
  return *this;
}

Certificate::~Certificate() {
  X509_free(x509_);
}

std::string Certificate::to_pem() const {
  detail::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), x509_) != 1) detail::ossl_fatal("PEM_write_bio_X509");
  return detail::bio_to_string(bio.get());
}

std::string Certificate::to_der() const {
  unsigned char* der = nullptr;
  int len = i2d_X509(x509_, &der);
  if (len < 0) detail::ossl_fatal("i2d_X509");
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string Certificate::serial_hex() const {
  detail::BignumPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(x509_), nullptr));
  if (!bn) detail::ossl_fatal("ASN1_INTEGER_to_BN");
  if (BN_is_zero(bn.get())) return "0";
  char* hex = BN_bn2hex(bn.get());
  if (hex == nullptr) detail::ossl_fatal("BN_bn2hex");
  std::string out(hex);
  OPENSSL_free(hex);
  std::string result;
  std::size_t i = 0;
  if (!out.empty() && out[0] == '-') {
    result += '-';
    i = 1;
  }
  while (i + 1 < out.size() && out[i] == '0')
    ++i;
  for (; i < out.size(); ++i)
    result += static_cast<char>(std::tolower(static_cast<unsigned char>(out[i])));
  return result;
}

std::string Certificate::fingerprint_sha256_hex() const {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (X509_digest(x509_, EVP_sha256(), md.data(), &len) != 1) detail::ossl_fatal("X509_digest");
  return hex_encode(std::span<const std::uint8_t>(md.data(), len));
}

system_clock::time_point Certificate::not_before() const {
  return detail::from_asn1_time(X509_get0_notBefore(x509_));
}

system_clock::time_point Certificate::not_after() const {
  return detail::from_asn1_time(X509_get0_notAfter(x509_));
}

std::string Certificate::common_name() const {
  return detail::name_common_name(X509_get_subject_name(x509_));
}

namespace {

template <class Fn>
void for_each_san(X509* x, Fn&& fn) {
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) {
    detail::clear_ossl_errors();
    return;
  }
  detail::GeneralNamesPtr owner(names);
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i)
    fn(sk_GENERAL_NAME_value(names, i));
}

}  // namespace

std::vector<std::string> Certificate::dns_names() const {
  std::vector<std::string> out;
  for_each_san(x509_, [&](const GENERAL_NAME* gn) {
    if (gn->type != GEN_DNS) return;
    const ASN1_IA5STRING* s = gn->d.dNSName;
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<std::size_t>(ASN1_STRING_length(s)));
  });
  return out;
}

std::vector<std::string> Certificate::ip_addresses() const {
  std::vector<std::string> out;
  for_each_san(x509_, [&](const GENERAL_NAME* gn) {
    if (gn->type != GEN_IPADD) return;
    const ASN1_OCTET_STRING* s = gn->d.iPAddress;
    const int len = ASN1_STRING_length(s);
    char text[INET6_ADDRSTRLEN] = {};
    const int family = len == 4 ? AF_INET : len == 16 ? AF_INET6 : 0;
    if (family == 0 || inet_ntop(family, ASN1_STRING_get0_data(s), text, sizeof(text)) == nullptr) {
      out.emplace_back("<malformed>");
      return;
    }
    out.emplace_back(text);
  });
  return out;
}

std::string Certificate::public_key_pem() const {
  EVP_PKEY* pkey = X509_get0_pubkey(x509_);
  if (pkey == nullptr) detail::ossl_fatal("X509_get0_pubkey");
  return detail::public_key_pem(pkey);
}

bool Certificate::is_ca() const {
  return (X509_get_extension_flags(x509_) & EXFLAG_CA) != 0;
}

}  // namespace ward::crypto
