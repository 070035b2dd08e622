#include <atomic>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <openssl/ssl.h>

#include "common/tls/test_harness.hpp"
#include "common/uv/async.hpp"

namespace ward::tls {
namespace {

using namespace std::chrono_literals;
using namespace ward::tls::testing;
using uv::ByteStreamPtr;
using uv::Loop;

int tls12_client(std::uint16_t port) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  int rc = -100;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    rc = SSL_connect(ssl);
    SSL_free(ssl);
  }
  ::close(fd);
  SSL_CTX_free(ctx);
  return rc;
}

TEST_CASE("TLS 1.3 handshake and echo in both directions", "[unit]") {
  TestPki pki("Ward Test CA");
  Leaf server_leaf = pki.server();
  Loop loop;
  std::weak_ptr<uv::ByteStream> client_watch;
  {
    Server server(loop, must_context(testing::server_config(server_leaf)));
    auto r = connect_and_wait(
        loop, server.port,
        must_context(testing::client_config(pki.ca_pem(), "controller.ward.test")));
    WARD_REQUIRE_OK(r);
    Client client(*r);
    auto* tls = dynamic_cast<TlsStream*>(client.stream.get());
    REQUIRE(tls != nullptr);
    CHECK(tls->protocol() == "TLSv1.3");
    CHECK_FALSE(tls->cipher().empty());
    // The client sees the server's verified certificate.
    REQUIRE(client.stream->peer_certificate_der().has_value());
    CHECK(*client.stream->peer_certificate_der() == server_leaf.der);
    CHECK(client.stream->peer_address() == "127.0.0.1:" + std::to_string(server.port));

    client.stream->write("ping from client");
    REQUIRE(uv::testing::run_until(loop, [&] { return client.received == "ping from client"; }));
    CHECK(server.received == "ping from client");
    REQUIRE(server.streams.size() == 1);
    CHECK_FALSE(server.peer_ders[0].has_value());  // no client certificate requested

    server.streams[0]->write("push from server");
    REQUIRE(uv::testing::run_until(
        loop, [&] { return client.received == "ping from clientpush from server"; }));
    // Server echoes are not expected for data it pushed itself.
    CHECK(server.received == "ping from client");

    // Orderly close: close_notify, both sides report ok().
    client.stream->close();
    REQUIRE(uv::testing::run_until(
        loop, [&] { return client.closed.has_value() && server.close_statuses.size() == 1; }));
    WARD_REQUIRE_OK(*client.closed);
    WARD_REQUIRE_OK(server.close_statuses[0]);
    client_watch = client.stream;
    client.stream.reset();
    server.streams.clear();
  }
  finish(loop);
  CHECK(client_watch.expired());
}

TEST_CASE("mutual TLS: the server sees the verified client certificate", "[unit]") {
  TestPki pki("Ward Device CA");
  Leaf server_leaf = pki.server();
  Leaf device = pki.client("device-42");
  Loop loop;
  {
    Server server(loop, must_context(testing::server_config(server_leaf, pki.ca_pem(),
                                                            ClientAuth::kRequired)));
    auto r = connect_and_wait(
        loop, server.port,
        must_context(testing::client_config(pki.ca_pem(), "controller.ward.test", &device)));
    WARD_REQUIRE_OK(r);
    Client client(*r);
    client.stream->write("hello");
    REQUIRE(uv::testing::run_until(loop, [&] { return client.received == "hello"; }));
    REQUIRE(server.peer_ders.size() == 1);
    REQUIRE(server.peer_ders[0].has_value());
    CHECK(*server.peer_ders[0] == device.der);
    CHECK(server.errors.empty());
    client.stream->close();
    REQUIRE(uv::testing::run_until(loop, [&] { return server.close_statuses.size() == 1; }));
  }
  finish(loop);
}

TEST_CASE("optional client auth admits a client without a certificate", "[unit]") {
  TestPki pki("Ward Device CA");
  Loop loop;
  {
    Server server(loop, must_context(testing::server_config(pki.server(), pki.ca_pem(),
                                                            ClientAuth::kOptional)));
    auto r = connect_and_wait(
        loop, server.port,
        must_context(testing::client_config(pki.ca_pem(), "controller.ward.test")));
    WARD_REQUIRE_OK(r);
    Client client(*r);
    client.stream->write("anon");
    REQUIRE(uv::testing::run_until(loop, [&] { return client.received == "anon"; }));
    REQUIRE(server.peer_ders.size() == 1);
    CHECK_FALSE(server.peer_ders[0].has_value());
    client.stream->close();
    REQUIRE(uv::testing::run_until(loop, [&] { return server.close_statuses.size() == 1; }));
  }
  finish(loop);
}

// Connects a client the server must refuse; checks nobody got a usable connection and the
// server reported kUnauthenticated containing `server_reason`.
TEST_CASE("a client without a certificate is refused when one is required", "[unit]") {
  TestPki pki("Ward Device CA");
  Loop loop;
  {
    Server server(loop, must_context(testing::server_config(pki.server(), pki.ca_pem(),
                                                            ClientAuth::kRequired)));
    expect_client_refused(
        loop, server, must_context(testing::client_config(pki.ca_pem(), "controller.ward.test")),
        "did not return a certificate");
  }
  finish(loop);
}

TEST_CASE("a client certificate from another CA is refused", "[unit]") {
  TestPki pki("Ward Device CA");
  TestPki rogue("Rogue CA");
  Leaf rogue_device = rogue.client("device-42");
  Loop loop;
  {
    // kOptional too: a presented certificate that does not verify always fails.
    for (ClientAuth auth : {ClientAuth::kRequired, ClientAuth::kOptional}) {
      Server server(loop, must_context(testing::server_config(pki.server(), pki.ca_pem(), auth)));
      expect_client_refused(
          loop, server,
          must_context(testing::client_config(pki.ca_pem(), "controller.ward.test", &rogue_device)),
          "certificate verify failed");
    }
  }
  finish(loop);
}

// Connects with client_ctx to a server using server_leaf; expects the client to refuse
// with a message containing `reason`.
TEST_CASE("the client refuses a server certificate from another CA", "[unit]") {
  TestPki pki("Ward Device CA");
  TestPki rogue("Rogue CA");
  expect_server_refused(rogue.server(),
                        must_context(testing::client_config(pki.ca_pem(), "controller.ward.test")),
                        "certificate verify failed");
}

TEST_CASE("the client refuses a server certificate for another name", "[unit]") {
  TestPki pki("Ward Device CA");
  expect_server_refused(pki.server("other.ward.test"),
                        must_context(testing::client_config(pki.ca_pem(), "controller.ward.test")),
                        "mismatch");
  // Only SANs count: a matching common name without a dNSName is not enough.
  expect_server_refused(pki.issue("controller.ward.test", crypto::IssueOptions::Usage::kServer),
                        must_context(testing::client_config(pki.ca_pem(), "controller.ward.test")),
                        "mismatch");
  // The per-connection name overrides the context's; IP literals check iPAddress SANs.
  expect_server_refused(pki.server("other.ward.test"),
                        must_context(testing::client_config(pki.ca_pem(), "")), "mismatch",
                        ConnectTlsOptions{.server_name = "192.0.2.1"});
}

TEST_CASE("the client refuses an expired server certificate", "[unit]") {
  TestPki pki("Ward Device CA", std::chrono::system_clock::now() - 2h);
  Leaf expired = pki.issue("controller.ward.test", crypto::IssueOptions::Usage::kServer,
                           {"controller.ward.test"}, {}, std::chrono::system_clock::now() - 2h, 1h);
  expect_server_refused(expired,
                        must_context(testing::client_config(pki.ca_pem(), "controller.ward.test")),
                        "expired");
}

TEST_CASE("a client certificate cannot serve as a server certificate", "[unit]") {
  TestPki pki("Ward Device CA");
  Leaf client_only = pki.issue("controller.ward.test", crypto::IssueOptions::Usage::kClient,
                               {"controller.ward.test"});
  expect_server_refused(client_only,
                        must_context(testing::client_config(pki.ca_pem(), "controller.ward.test")),
                        "certificate verify failed");
}

TEST_CASE("a client verifies an IP address SAN when connecting by address", "[unit]") {
  TestPki pki("Ward Device CA");
  Loop loop;
  {
    Server server(loop, must_context(testing::server_config(pki.server())));
    auto r =
        connect_and_wait(loop, server.port, must_context(testing::client_config(pki.ca_pem(), "")));
    WARD_REQUIRE_OK(r);  // server_name defaults to the host, 127.0.0.1, which the cert names
    (*r)->abort();
  }
  finish(loop);
}

// Blocking TLS 1.2-only client (own thread, own socket): returns SSL_connect's result.
TEST_CASE("a TLS 1.2-only client is refused", "[unit]") {
  TestPki pki("Ward Device CA");
  Loop loop;
  {
    Server server(loop, must_context(testing::server_config(pki.server())));
    std::atomic<int> result{0};
    std::atomic<bool> finished{false};
    uv::Async wake(loop, [] {});
    std::thread t([&] {
      result = tls12_client(server.port);
      finished = true;
      wake.send();
    });
    REQUIRE(uv::testing::run_until(loop, [&] { return finished && !server.errors.empty(); }));
    t.join();
    CHECK(result != 1);
    CHECK(server.streams.empty());
    const Error& e = server.errors[0].first;
    INFO(e.to_string());
    CHECK(e.code() == ErrorCode::kUnauthenticated);
    CHECK(e.message().find("unsupported protocol") != std::string::npos);
  }
  finish(loop);
}

TEST_CASE("client certificates that are expired or not for client auth are refused", "[unit]") {
  TestPki pki("Ward Device CA", std::chrono::system_clock::now() - 3h);
  Leaf expired = pki.issue("device-1", crypto::IssueOptions::Usage::kClient, {}, {},
                           std::chrono::system_clock::now() - 3h, 1h);
  Leaf server_only = pki.issue("device-2", crypto::IssueOptions::Usage::kServer);
  Loop loop;
  {
    Server server(loop, must_context(testing::server_config(pki.server(), pki.ca_pem(),
                                                            ClientAuth::kRequired)));
    expect_client_refused(
        loop, server,
        must_context(testing::client_config(pki.ca_pem(), "controller.ward.test", &expired)),
        "certificate has expired");
  }
  {
    Server server(loop, must_context(testing::server_config(pki.server(), pki.ca_pem(),
                                                            ClientAuth::kRequired)));
    expect_client_refused(
        loop, server,
        must_context(testing::client_config(pki.ca_pem(), "controller.ward.test", &server_only)),
        "unsuitable certificate purpose");
  }
  finish(loop);
}

}  // namespace
}  // namespace ward::tls
