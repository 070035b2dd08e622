// HTTP over TLS 1.3 on loopback: round trips with and without a client certificate, the
// verified client certificate visible to handlers, an untrusted one refused.
#include <memory>
#include <optional>
#include <string>

#include <catch2/catch.hpp>

#include "common/http/http_test_support.hpp"
#include "common/tls/listener.hpp"
#include "common/tls/test_pki.hpp"

using namespace ward;
using namespace ward::http;
using namespace ward::http::testing;
using uv::testing::run_until;
using ward::tls::testing::TestPki;

namespace {

constexpr const char* kServerName = "controller.ward.test";

struct TlsServer {
  TlsServer(uv::Loop& loop, const TestPki& pki, tls::ClientAuth auth)
      : server(std::make_unique<Server>(loop)) {
    auto tls_ctx = tls::TlsContext::create(
        tls::testing::server_config(pki.server(kServerName), pki.ca_pem(), auth));
    REQUIRE(tls_ctx.ok());
    REQUIRE(server
                ->route("GET", "/v1/whoami",
                        [this](RequestContext& ctx) {
                          ++handled;
                          seen_cert = ctx.peer_certificate_der();
                          return Response::text(
                              200, ctx.peer_certificate_der() ? "device" : "anonymous");
                        })
                .ok());
    auto l = tls::TlsListener::listen(
        loop, "127.0.0.1", 0, *tls_ctx,
        [this](uv::ByteStreamPtr s) { server->serve(std::move(s)); },
        [this](const Error& e, const std::string&) { handshake_errors.push_back(e); });
    REQUIRE(l.ok());
    port = l->local_port();
    listener.emplace(std::move(*l));
  }

  Client::ConnectFn connector(uv::Loop& loop, std::shared_ptr<tls::TlsContext> ctx) const {
    const std::uint16_t p = port;
    return [&loop, p, ctx](Client::ConnectDone done) {
      tls::connect_tls(loop, "127.0.0.1", p, ctx, std::move(done));
    };
  }

  std::unique_ptr<Server> server;
  std::optional<tls::TlsListener> listener;
  std::uint16_t port = 0;
  int handled = 0;
  std::optional<std::string> seen_cert;
  std::vector<Error> handshake_errors;
};

std::shared_ptr<tls::TlsContext> client_ctx(const TestPki& trust,
                                            const tls::testing::Leaf* leaf = nullptr) {
  auto ctx =
      tls::TlsContext::create(tls::testing::client_config(trust.ca_pem(), kServerName, leaf));
  REQUIRE(ctx.ok());
  return *ctx;
}

}  // namespace

TEST_CASE("tls+http: round trip without and with a client certificate", "[unit]") {
  TestPki pki("ward test ca");
  const auto device = pki.client("device-7");
  uv::Loop loop;
  {
    TlsServer srv(loop, pki, tls::ClientAuth::kOptional);

    Client anonymous(loop, srv.connector(loop, client_ctx(pki)));
    std::optional<Result<Response>> a;
    anonymous.send(make_request("GET", "/v1/whoami"),
                   [&](Result<Response> r) { a.emplace(std::move(r)); });
    REQUIRE(run_until(loop, [&] { return a.has_value(); }));
    REQUIRE(a->ok());
    CHECK((*a)->body == "anonymous\n");
    CHECK_FALSE(srv.seen_cert.has_value());

    Client mtls(loop, srv.connector(loop, client_ctx(pki, &device)));
    std::vector<Result<Response>> b;
    auto collect = [&](Result<Response> r) { b.push_back(std::move(r)); };
    mtls.send(make_request("GET", "/v1/whoami"), collect);
    mtls.send(make_request("GET", "/v1/whoami"), collect);  // kept alive over TLS
    REQUIRE(run_until(loop, [&] { return b.size() == 2; }));
    REQUIRE(b[0].ok());
    CHECK((*b[0]).body == "device\n");
    REQUIRE(b[1].ok());
    REQUIRE(srv.seen_cert.has_value());
    CHECK(*srv.seen_cert == device.der);  // the exact certificate the device presented
    CHECK(mtls.connections_opened() == 1);
    CHECK(srv.handshake_errors.empty());
  }
  finish(loop);
}

TEST_CASE("tls+http: an untrusted client certificate is refused at the handshake", "[unit]") {
  TestPki pki("ward test ca");
  TestPki rogue("rogue ca");
  const auto impostor = rogue.client("device-7");
  uv::Loop loop;
  {
    TlsServer srv(loop, pki, tls::ClientAuth::kRequired);
    Client client(loop, srv.connector(loop, client_ctx(pki, &impostor)));
    std::optional<Result<Response>> got;
    client.send(make_request("GET", "/v1/whoami"),
                [&](Result<Response> r) { got.emplace(std::move(r)); });
    REQUIRE(run_until(loop, [&] { return got.has_value() && !srv.handshake_errors.empty(); }));
    REQUIRE_FALSE(got->ok());
    CHECK(srv.handled == 0);  // no HTTP request ever reached a handler
    CHECK(srv.handshake_errors[0].code() == ErrorCode::kUnauthenticated);

    // And without any certificate where one is required.
    Client bare(loop, srv.connector(loop, client_ctx(pki)));
    std::optional<Result<Response>> none;
    bare.send(make_request("GET", "/v1/whoami"),
              [&](Result<Response> r) { none.emplace(std::move(r)); });
    REQUIRE(run_until(loop, [&] { return none.has_value(); }));
    REQUIRE_FALSE(none->ok());
    CHECK(srv.handled == 0);
  }
  finish(loop);
}
