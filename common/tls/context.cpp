#include "common/tls/context.hpp"

#include <vector>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace ward::tls {

namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

constexpr std::size_t kMaxPemBytes = 256 * 1024;

// Every PEM certificate in `pem`, in order. kInvalidArgument naming `field` if there is
// none or one is malformed.
Result<std::vector<X509Ptr>> read_certs(std::string_view pem, const char* field) {
  if (pem.size() > kMaxPemBytes) {
    return Error::invalid_argument(std::string(field) + " is larger than 256 KiB");
  }
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return Error::internal("out of memory");
  std::vector<X509Ptr> certs;
  for (;;) {
    ERR_clear_error();
    X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (x == nullptr) {
      unsigned long err = ERR_peek_last_error();
      ERR_clear_error();
      // End of input is PEM_R_NO_START_LINE after at least one certificate.
      if (!certs.empty() && ERR_GET_LIB(err) == ERR_LIB_PEM &&
          ERR_GET_REASON(err) == PEM_R_NO_START_LINE) {
        break;
      }
      return Error::invalid_argument(std::string(field) +
                                     " is not a PEM certificate (or list of them)");
    }
    certs.emplace_back(x);
    if (certs.size() > 16) {
      return Error::invalid_argument(std::string(field) + " holds more than 16 certificates");
    }
  }
  return certs;
}

}  // namespace

TlsContext::~TlsContext() {
  SSL_CTX_free(ctx_);
}

Result<std::shared_ptr<TlsContext>> TlsContext::create(const TlsConfig& config) {
  const bool server = config.role == Role::kServer;
  const bool has_cert = !config.cert_pem.empty();
  const bool has_key = !config.key_pem.empty();
  if (has_cert != has_key) {
    return Error::invalid_argument("cert_pem and key_pem must be given together");
  }
  if (server && !has_cert) {
    return Error::invalid_argument("a TLS server needs cert_pem and key_pem");
  }
  const bool verify_peer = !server || config.client_auth != ClientAuth::kNone;
  if (verify_peer && config.ca_pem.empty()) {
    return Error::invalid_argument(server ? "client_auth needs ca_pem (the pinned client CA)"
                                          : "a TLS client needs ca_pem (the pinned server CA)");
  }
  if (server && !config.server_name.empty()) {
    return Error::invalid_argument("server_name applies to a TLS client only");
  }
  if (!server && config.client_auth != ClientAuth::kNone) {
    return Error::invalid_argument("client_auth applies to a TLS server only");
  }

  std::unique_ptr<SSL_CTX, CtxFree> ctx(
      SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
  if (!ctx) return Error::internal("SSL_CTX_new failed");
  if (SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx.get(), TLS1_3_VERSION) != 1) {
    return Error::internal("cannot restrict the context to TLS 1.3");
  }
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(ctx.get(), 0);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);

  if (has_cert) {
    WARD_ASSIGN_OR_RETURN(auto chain, read_certs(config.cert_pem, "cert_pem"));
    if (SSL_CTX_use_certificate(ctx.get(), chain[0].get()) != 1) {
      ERR_clear_error();
      return Error::invalid_argument("cert_pem: the certificate's key type is not usable");
    }
    for (std::size_t i = 1; i < chain.size(); ++i) {
      if (SSL_CTX_add1_chain_cert(ctx.get(), chain[i].get()) != 1) {
        ERR_clear_error();
        return Error::invalid_argument("cert_pem: cannot add intermediate certificate");
      }
    }
    std::string_view key = config.key_pem.reveal();
    if (key.size() > kMaxPemBytes) return Error::invalid_argument("key_pem is too large");
    std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(key.data(), static_cast<int>(key.size())));
    if (!bio) return Error::internal("out of memory");
    ERR_clear_error();
    // A null passphrase callback with an empty user data refuses encrypted keys instead of
    // prompting on the terminal.
    std::unique_ptr<EVP_PKEY, PkeyFree> pkey(PEM_read_bio_PrivateKey(
        bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr));
    ERR_clear_error();
    if (!pkey) return Error::invalid_argument("key_pem is not an unencrypted PEM private key");
    if (SSL_CTX_use_PrivateKey(ctx.get(), pkey.get()) != 1 ||
        SSL_CTX_check_private_key(ctx.get()) != 1) {
      ERR_clear_error();
      return Error::invalid_argument("key_pem does not belong to the certificate in cert_pem");
    }
  }

  if (!config.ca_pem.empty()) {
    WARD_ASSIGN_OR_RETURN(auto cas, read_certs(config.ca_pem, "ca_pem"));
    X509_STORE* store = X509_STORE_new();
    if (store == nullptr) return Error::internal("out of memory");
    SSL_CTX_set_cert_store(ctx.get(), store);  // ctx owns it now; replaces the default one
    X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
    for (const auto& ca : cas) {
      if (X509_STORE_add_cert(store, ca.get()) != 1) {
        ERR_clear_error();
        return Error::invalid_argument("ca_pem: cannot add certificate to the trust store");
      }
      if (server && SSL_CTX_add_client_CA(ctx.get(), ca.get()) != 1) {
        ERR_clear_error();
        return Error::internal("cannot add the client CA name");
      }
    }
  }

  int mode = SSL_VERIFY_NONE;
  if (!server) {
    mode = SSL_VERIFY_PEER;
  } else if (config.client_auth == ClientAuth::kOptional) {
    mode = SSL_VERIFY_PEER;
  } else if (config.client_auth == ClientAuth::kRequired) {
    mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  }
  SSL_CTX_set_verify(ctx.get(), mode, nullptr);
  SSL_CTX_set_verify_depth(ctx.get(), 4);

  return std::shared_ptr<TlsContext>(
      new TlsContext(ctx.release(), config.role, config.server_name));
}

}  // namespace ward::tls
