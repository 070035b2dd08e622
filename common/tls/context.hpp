// TlsContext: Ward's TLS configuration, compiled once into an OpenSSL SSL_CTX and shared
// by every connection that uses it.
//
// Policy (not configurable, on purpose):
// - TLS 1.3 only; no session tickets, no resumption (every connection authenticates in
//   full, so a revoked certificate cannot ride an old session).
// - The peer is verified against the pinned CA(s) in ca_pem ONLY: the X509_STORE holds
//   exactly those certificates, never the system store. A pinned certificate is a trust
//   anchor even if it is not self-signed (X509_V_FLAG_PARTIAL_CHAIN).
// - A client always verifies the server, including its name (SAN dNSName, or iPAddress
//   when the name is an IP literal); a client without a name to check fails closed.
// - A server asks for a client certificate per client_auth; a presented certificate that
//   does not verify always fails the handshake, even with kOptional.
//
// Thread-safety: immutable after create(); share it freely (std::shared_ptr).
#pragma once

#include <memory>
#include <string>

#include <openssl/types.h>

#include "common/base/result.hpp"
#include "common/base/secret.hpp"

namespace ward::tls {

enum class Role { kServer, kClient };

enum class ClientAuth {
  kNone,      // no client certificate requested
  kOptional,  // requested; the connection proceeds without one (peer_certificate_der empty)
  kRequired,  // the handshake fails without a verified client certificate
};

struct TlsConfig {
  Role role = Role::kClient;
  // Our certificate (PEM, leaf first, then any intermediates) and its private key.
  // Required for a server; optional for a client (set both for mutual TLS).
  std::string cert_pem;
  SecretString key_pem;
  // The pinned CA certificate(s), PEM. Required for a client, and for a server whose
  // client_auth is not kNone.
  std::string ca_pem;
  // Server side only.
  ClientAuth client_auth = ClientAuth::kNone;
  // Client side only: the name the server certificate must carry (also sent as SNI unless
  // it is an IP literal). May be left empty and given per connection instead.
  std::string server_name;
};

class TlsContext {
 public:
  // kInvalidArgument naming the field for malformed or missing PEM, a key that does not
  // match the certificate, or a configuration the role forbids. Never quotes key material.
  static Result<std::shared_ptr<TlsContext>> create(const TlsConfig& config);

  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  Role role() const { return role_; }
  const std::string& server_name() const { return server_name_; }
  // Borrowed; valid while this context lives. For TlsStream.
  SSL_CTX* native() const { return ctx_; }

 private:
  TlsContext(SSL_CTX* ctx, Role role, std::string server_name)
      : ctx_(ctx), role_(role), server_name_(std::move(server_name)) {}

  SSL_CTX* ctx_ = nullptr;
  Role role_;
  std::string server_name_;
};

}  // namespace ward::tls
