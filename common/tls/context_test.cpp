#include "common/tls/context.hpp"

#include <catch2/catch.hpp>

#include "common/tls/test_pki.hpp"

namespace ward::tls {
namespace {

using testing::TestPki;

TEST_CASE("TlsContext accepts the configurations Ward uses", "[unit]") {
  TestPki pki("Ward Test CA");
  auto server_leaf = pki.server();
  auto client_leaf = pki.client();
  auto server = TlsContext::create(testing::server_config(server_leaf));
  REQUIRE(server.ok());
  CHECK((*server)->role() == Role::kServer);
  CHECK(TlsContext::create(testing::server_config(server_leaf, pki.ca_pem(), ClientAuth::kRequired))
            .ok());
  auto client = TlsContext::create(testing::client_config(pki.ca_pem(), "controller.ward.test"));
  REQUIRE(client.ok());
  CHECK((*client)->server_name() == "controller.ward.test");
  CHECK(TlsContext::create(testing::client_config(pki.ca_pem(), "", &client_leaf)).ok());
  // A server certificate followed by the CA as a chain is accepted.
  auto chained = testing::server_config(server_leaf);
  chained.cert_pem += pki.ca_pem();
  CHECK(TlsContext::create(chained).ok());
}

TEST_CASE("TlsContext refuses incomplete or inconsistent configurations", "[unit]") {
  TestPki pki("Ward Test CA");
  TestPki other("Other CA");
  auto leaf = pki.server();
  auto other_leaf = other.server();

  auto expect_invalid = [](const TlsConfig& c, const std::string& needle) {
    auto r = TlsContext::create(c);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == ErrorCode::kInvalidArgument);
    INFO(r.error().message());
    CHECK(r.error().message().find(needle) != std::string::npos);
    return r.error().message();
  };

  TlsConfig no_cert;
  no_cert.role = Role::kServer;
  expect_invalid(no_cert, "needs cert_pem");

  expect_invalid(testing::client_config("", "x"), "ca_pem");
  expect_invalid(testing::server_config(leaf, "", ClientAuth::kRequired), "ca_pem");

  auto half = testing::server_config(leaf);
  half.key_pem = SecretString();
  expect_invalid(half, "together");

  auto mismatched = testing::server_config(leaf);
  mismatched.key_pem = other_leaf.key_pem;
  std::string msg = expect_invalid(mismatched, "does not belong");
  // The key never appears in an error message.
  CHECK(msg.find("PRIVATE KEY") == std::string::npos);

  auto garbage = testing::server_config(leaf);
  garbage.cert_pem = "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n";
  expect_invalid(garbage, "cert_pem");

  auto bad_key = testing::server_config(leaf);
  bad_key.key_pem = SecretString("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  msg = expect_invalid(bad_key, "key_pem");
  CHECK(msg.find("AAAA") == std::string::npos);

  expect_invalid(testing::client_config("not a pem", "x"), "ca_pem");

  auto server_with_name = testing::server_config(leaf);
  server_with_name.server_name = "x";
  expect_invalid(server_with_name, "client only");

  auto client_with_auth = testing::client_config(pki.ca_pem(), "x");
  client_with_auth.client_auth = ClientAuth::kRequired;
  expect_invalid(client_with_auth, "server only");
}

}  // namespace
}  // namespace ward::tls
