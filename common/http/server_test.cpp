// Server behaviour over real loopback TCP: routing, keep-alive, pipelining, limits,
// timeouts, malformed input. Every test ends with the loop closing with no handle left.
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "common/http/http_test_support.hpp"
#include "common/http/serialize.hpp"

using namespace ward;
using namespace ward::http;
using namespace ward::http::testing;
using namespace std::chrono_literals;
using uv::testing::run_until;

namespace {

void add_echo_routes(Server& server) {
  REQUIRE(server
              .route("GET", "/v1/devices/{id}",
                     [](RequestContext& ctx) {
                       return Response::text(200, "device " + std::string(*ctx.param("id")));
                     })
              .ok());
  REQUIRE(server
              .route("POST", "/v1/echo",
                     [](RequestContext& ctx) {
                       Response r = Response::json(201, ctx.request().body);
                       r.headers.set("X-Peer", ctx.peer_address());
                       return r;
                     })
              .ok());
}

}  // namespace

TEST_CASE("server: routing, path params, 404 and 405 over loopback", "[unit]") {
  uv::Loop loop;
  {
    ServerFixture fx(loop);
    add_echo_routes(*fx.server);
    REQUIRE(fx.server
                ->route("GET", "/v1/whoami",
                        [](RequestContext& ctx) {
                          // Plain TCP: no client certificate.
                          return Response::text(200, ctx.peer_certificate_der() ? "cert" : "none");
                        })
                .ok());
    Client client(loop, fx.connector(loop));
    std::vector<Result<Response>> got;
    auto collect = [&](Result<Response> r) { got.push_back(std::move(r)); };
    client.send(make_request("GET", "/v1/devices/dev%2D7"), collect);
    client.send(make_request("POST", "/v1/echo", "{\"x\":1}"), collect);
    client.send(make_request("GET", "/v1/nope"), collect);
    client.send(make_request("DELETE", "/v1/echo"), collect);
    client.send(make_request("GET", "/v1/whoami"), collect);
    client.send(make_request("HEAD", "/v1/devices/d1"), collect);
    REQUIRE(run_until(loop, [&] { return got.size() == 6; }));
    for (auto& r : got)
      REQUIRE(r.ok());
    CHECK(got[0]->status == 200);
    CHECK(got[0]->body == "device dev-7\n");
    CHECK(got[1]->status == 201);
    CHECK(got[1]->body == "{\"x\":1}");
    CHECK(got[1]->headers.get("content-type") ==
          std::optional<std::string_view>("application/json"));
    CHECK(got[1]->headers.get("x-peer")->rfind("127.0.0.1:", 0) == 0);
    CHECK(got[2]->status == 404);
    CHECK(got[3]->status == 405);
    CHECK(got[3]->headers.get("Allow") == std::optional<std::string_view>("POST"));
    CHECK(got[4]->body == "none\n");
    CHECK(got[5]->status == 200);  // HEAD served by the GET route, without a body
    CHECK(got[5]->body.empty());
    CHECK(got[5]->headers.get("Content-Length") == std::optional<std::string_view>("10"));
    // All of it over one kept-alive connection.
    CHECK(client.connections_opened() == 1);
    CHECK(fx.accepted == 1);
  }
  finish(loop);
}

TEST_CASE("server: error_response shapes the server's own error answers", "[unit]") {
  uv::Loop loop;
  {
    ServerOptions options;
    std::vector<int> asked;
    options.error_response = [&asked](int status) {
      asked.push_back(status);
      return Response::json(status, "{\"error\":" + std::to_string(status) + "}");
    };
    ServerFixture fx(loop, std::move(options));
    add_echo_routes(*fx.server);
    Client client(loop, fx.connector(loop));
    std::vector<Result<Response>> got;
    auto collect = [&](Result<Response> r) { got.push_back(std::move(r)); };
    client.send(make_request("GET", "/v1/nope"), collect);
    client.send(make_request("DELETE", "/v1/echo"), collect);
    REQUIRE(run_until(loop, [&] { return got.size() == 2; }));
    REQUIRE(got[0].ok());
    CHECK(got[0]->status == 404);
    CHECK(got[0]->body == "{\"error\":404}");
    REQUIRE(got[1].ok());
    CHECK(got[1]->status == 405);
    CHECK(got[1]->body == "{\"error\":405}");
    CHECK(got[1]->headers.get("Allow") == std::optional<std::string_view>("POST"));
    CHECK(asked == std::vector<int>{404, 405});
  }
  finish(loop);
}

TEST_CASE("server: keep-alive reuses one connection, Connection: close ends it", "[unit]") {
  uv::Loop loop;
  {
    ServerFixture fx(loop);
    add_echo_routes(*fx.server);
    Client client(loop, fx.connector(loop));
    std::vector<Result<Response>> got;
    auto collect = [&](Result<Response> r) { got.push_back(std::move(r)); };

    client.send(make_request("POST", "/v1/echo", "one"), collect);
    REQUIRE(run_until(loop, [&] { return got.size() == 1; }));
    client.send(make_request("POST", "/v1/echo", "two"), collect);
    REQUIRE(run_until(loop, [&] { return got.size() == 2; }));
    REQUIRE(got[0].ok());
    REQUIRE(got[1].ok());
    CHECK(got[1]->body == "two");
    // Same connection: same client port seen by the server, one accept.
    CHECK(got[0]->headers.get("x-peer") == got[1]->headers.get("x-peer"));
    CHECK(fx.accepted == 1);
    CHECK(client.connected());
    CHECK(fx.server->connection_count() == 1);

    Request bye = make_request("POST", "/v1/echo", "bye");
    bye.headers.set("Connection", "close");
    client.send(std::move(bye), collect);
    REQUIRE(run_until(loop, [&] { return got.size() == 3 && fx.server->connection_count() == 0; }));
    REQUIRE(got[2].ok());
    CHECK(got[2]->headers.get("Connection") == std::optional<std::string_view>("close"));
    CHECK_FALSE(client.connected());

    // The client reconnects for the next request.
    client.send(make_request("POST", "/v1/echo", "again"), collect);
    REQUIRE(run_until(loop, [&] { return got.size() == 4; }));
    REQUIRE(got[3].ok());
    CHECK(got[3]->body == "again");
    CHECK(fx.accepted == 2);
    CHECK(client.connections_opened() == 2);
  }
  finish(loop);
}

TEST_CASE("server: pipelined requests are answered in order", "[unit]") {
  uv::Loop loop;
  {
    ServerFixture fx(loop);
    add_echo_routes(*fx.server);
    RawClient raw(loop, fx.port);
    raw.write(
        "GET /v1/devices/a HTTP/1.1\r\nHost: h\r\n\r\n"
        "POST /v1/echo HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz"
        "GET /v1/missing HTTP/1.1\r\nHost: h\r\n\r\n"
        "GET /v1/devices/b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
    REQUIRE(run_until(loop, [&] { return raw.closed; }));
    auto rs = raw.responses();
    REQUIRE(rs.size() == 4);
    CHECK(rs[0].body == "device a\n");
    CHECK(rs[1].body == "xyz");
    CHECK(rs[2].status == 404);
    CHECK(rs[3].body == "device b\n");
    CHECK(rs[3].headers.get("Connection") == std::optional<std::string_view>("close"));
  }
  finish(loop);
}

TEST_CASE("server: malformed input gets its 4xx/5xx, then close, others keep working", "[unit]") {
  uv::Loop loop;
  {
    ServerOptions opts;
    opts.limits.max_header_bytes = 2048;
    opts.limits.max_body_bytes = 1024;
    ServerFixture fx(loop, opts);
    add_echo_routes(*fx.server);

    struct Case {
      std::string wire;
      int status;
    };
    const std::vector<Case> cases = {
        {std::string("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03garbage", 17), 400},
        {"GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(4096, 'a') + "\r\n\r\n", 431},
        {"POST /v1/echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\n\r\n", 413},
        {"POST /v1/echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n", 400},
        {"POST /v1/echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
        {"GET / HTTP/3.0\r\nHost: h\r\n\r\n", 505},
        {"GET /v1/devices/x HTTP/1.1\r\n\r\n", 400},  // no Host
    };
    std::vector<std::unique_ptr<RawClient>> raws;
    for (const Case& c : cases) {
      raws.push_back(std::make_unique<RawClient>(loop, fx.port));
      // Pipelined after the bad request: must never be answered.
      raws.back()->write(c.wire + "GET /v1/devices/after HTTP/1.1\r\nHost: h\r\n\r\n");
    }
    REQUIRE(run_until(loop, [&] {
      for (auto& r : raws) {
        if (!r->closed) return false;
      }
      return true;
    }));
    for (std::size_t i = 0; i < cases.size(); ++i) {
      INFO("case " << i);
      auto rs = raws[i]->responses();
      REQUIRE(rs.size() == 1);
      CHECK(rs[0].status == cases[i].status);
      CHECK(rs[0].headers.get("Connection") == std::optional<std::string_view>("close"));
    }

    // The server still serves well-behaved clients.
    Client client(loop, fx.connector(loop));
    std::optional<Result<Response>> got;
    client.send(make_request("GET", "/v1/devices/ok"),
                [&](Result<Response> r) { got.emplace(std::move(r)); });
    REQUIRE(run_until(loop, [&] { return got.has_value(); }));
    REQUIRE(got->ok());
    CHECK((*got)->status == 200);
  }
  finish(loop);
}

TEST_CASE("server: handler exceptions become 500 and the connection survives", "[unit]") {
  uv::Loop loop;
  {
    std::vector<std::string> logged;
    ServerOptions opts;
    opts.log_error = [&](std::string_view m) { logged.emplace_back(m); };
    ServerFixture fx(loop, opts);
    add_echo_routes(*fx.server);
    REQUIRE(fx.server
                ->route("GET", "/boom",
                        [](RequestContext&) -> Response { throw std::runtime_error("kaput"); })
                .ok());
    REQUIRE(fx.server
                ->route("GET", "/badheader",
                        [](RequestContext&) {
                          Response r = Response::text(200, "x");
                          r.headers.set("X-Bad", "a\r\nInjected: 1");
                          return r;
                        })
                .ok());
    Client client(loop, fx.connector(loop));
    std::vector<Result<Response>> got;
    auto collect = [&](Result<Response> r) { got.push_back(std::move(r)); };
    client.send(make_request("GET", "/boom"), collect);
    client.send(make_request("GET", "/badheader"), collect);
    client.send(make_request("GET", "/v1/devices/z"), collect);
    REQUIRE(run_until(loop, [&] { return got.size() == 3; }));
    REQUIRE(got[0].ok());
    CHECK(got[0]->status == 500);
    REQUIRE(got[1].ok());
    CHECK(got[1]->status == 500);
    CHECK_FALSE(got[1]->headers.contains("Injected"));
    REQUIRE(got[2].ok());
    CHECK(got[2]->status == 200);
    CHECK(client.connections_opened() == 1);
    REQUIRE(logged.size() == 2);
    CHECK(logged[0].find("kaput") != std::string::npos);
  }
  finish(loop);
}

TEST_CASE("server: request timeout closes a slow client, idle timeout an idle one", "[unit]") {
  uv::Loop loop;
  {
    ServerOptions opts;
    opts.request_timeout = 200ms;
    opts.idle_timeout = 300ms;
    ServerFixture fx(loop, opts);
    add_echo_routes(*fx.server);

    // Sends half a header section, then nothing.
    RawClient slow(loop, fx.port);
    slow.write("GET /v1/devices/x HTTP/1.1\r\nHost: h\r\n");
    // Connects and never speaks.
    RawClient silent(loop, fx.port);
    // Completes one request, then idles.
    RawClient idle(loop, fx.port);
    idle.write("GET /v1/devices/y HTTP/1.1\r\nHost: h\r\n\r\n");

    const auto start = loop.now();
    REQUIRE(run_until(
        loop, [&] { return slow.closed && silent.closed && idle.closed; }, 5s));
    loop.update_time();
    CHECK(loop.now() - start < 3s);
    auto slow_rs = slow.responses();
    REQUIRE(slow_rs.size() == 1);
    CHECK(slow_rs[0].status == 408);
    CHECK(silent.received.empty());
    auto idle_rs = idle.responses();
    REQUIRE(idle_rs.size() == 1);
    CHECK(idle_rs[0].status == 200);
    CHECK(run_until(loop, [&] { return fx.server->connection_count() == 0; }));
  }
  finish(loop);
}

TEST_CASE("server: a trickling client cannot extend the request timeout", "[unit]") {
  uv::Loop loop;
  {
    ServerOptions opts;
    opts.request_timeout = 300ms;
    ServerFixture fx(loop, opts);
    add_echo_routes(*fx.server);
    RawClient trickle(loop, fx.port);
    trickle.write("GET /v1/devices/x HTTP/1.1\r\n");
    uv::Timer drip(loop);
    int drops = 0;
    drip.start(50ms, 50ms, [&] {
      if (!trickle.closed) trickle.write("X-Drip-" + std::to_string(drops++) + ": 1\r\n");
    });
    REQUIRE(run_until(
        loop, [&] { return trickle.closed; }, 5s));
    drip.stop();
    CHECK(drops < 20);  // closed near 300 ms, not kept alive by the drip
    auto rs = trickle.responses();
    REQUIRE(rs.size() == 1);
    CHECK(rs[0].status == 408);
  }
  finish(loop);
}

TEST_CASE("server: Expect 100-continue gets an interim response", "[unit]") {
  uv::Loop loop;
  {
    ServerFixture fx(loop);
    add_echo_routes(*fx.server);
    RawClient raw(loop, fx.port);
    raw.write(
        "POST /v1/echo HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n"
        "Expect: 100-continue\r\n\r\n");
    REQUIRE(
        run_until(loop, [&] { return raw.received.find("100 Continue") != std::string::npos; }));
    raw.write("body");
    REQUIRE(run_until(loop, [&] { return raw.responses().size() == 1; }));
    CHECK(raw.responses()[0].body == "body");  // the parser skips the interim 100
    raw.stream->close();
    REQUIRE(run_until(loop, [&] { return raw.closed; }));
  }
  finish(loop);
}

TEST_CASE("server: connections beyond max_connections get 503", "[unit]") {
  uv::Loop loop;
  {
    ServerOptions opts;
    opts.max_connections = 1;
    ServerFixture fx(loop, opts);
    add_echo_routes(*fx.server);
    RawClient first(loop, fx.port);
    first.write("GET /v1/devices/1 HTTP/1.1\r\nHost: h\r\n\r\n");
    REQUIRE(run_until(loop, [&] { return first.responses().size() == 1; }));
    RawClient second(loop, fx.port);
    second.write("GET /v1/devices/2 HTTP/1.1\r\nHost: h\r\n\r\n");
    REQUIRE(run_until(loop, [&] { return second.closed; }));
    auto rs = second.responses();
    REQUIRE(rs.size() == 1);
    CHECK(rs[0].status == 503);
    CHECK_FALSE(first.closed);
    first.stream->close();
    REQUIRE(run_until(loop, [&] { return first.closed && fx.server->connection_count() == 0; }));
  }
  finish(loop);
}

TEST_CASE("server: a handler may destroy the server", "[unit]") {
  uv::Loop loop;
  {
    ServerFixture fx(loop);
    REQUIRE(fx.server
                ->route("POST", "/v1/shutdown",
                        [&fx](RequestContext&) {
                          fx.server.reset();
                          return Response::text(200, "bye");
                        })
                .ok());
    Client client(loop, fx.connector(loop));
    std::optional<Result<Response>> got;
    client.send(make_request("POST", "/v1/shutdown"),
                [&](Result<Response> r) { got.emplace(std::move(r)); });
    REQUIRE(run_until(loop, [&] { return got.has_value(); }));
    CHECK(fx.server == nullptr);
    // The connection closed under the exchange: the client sees that, nothing crashes.
    REQUIRE_FALSE(got->ok());
    CHECK(got->error().code() == ErrorCode::kUnavailable);
  }
  finish(loop);
}
