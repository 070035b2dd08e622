// Deferred responses over real loopback TCP: a handler answers after it returned, in
// order with pipelined requests; a dropped, timed-out, abandoned or failed deferral ends
// cleanly, and a late answer never reaches a later exchange.
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "common/http/http_test_support.hpp"

using namespace ward;
using namespace ward::http;
using namespace ward::http::testing;
using namespace std::chrono_literals;
using uv::testing::run_until;

namespace {

// GET /later keeps its DeferredResponse in `held`; GET /now answers at once;
// GET /drop defers and drops it; GET /inline defers and answers before returning;
// GET /throw defers and then throws.
void add_routes(Server& server, std::vector<std::shared_ptr<DeferredResponse>>& held) {
  REQUIRE(server
              .route("GET", "/later",
                     [&held](RequestContext& ctx) {
                       auto d = ctx.defer();
                       REQUIRE(d != nullptr);
                       REQUIRE(ctx.defer() == d);
                       REQUIRE(d->is_open());
                       held.push_back(d);
                       return Response::text(299, "ignored");
                     })
              .ok());
  REQUIRE(
      server.route("GET", "/now", [](RequestContext&) { return Response::text(200, "now"); }).ok());
  REQUIRE(server
              .route("GET", "/drop",
                     [](RequestContext& ctx) {
                       (void)ctx.defer();
                       return Response::text(200, "ignored");
                     })
              .ok());
  REQUIRE(server
              .route("GET", "/inline",
                     [](RequestContext& ctx) {
                       auto d = ctx.defer();
                       d->respond(Response::text(202, "inline"));
                       CHECK_FALSE(d->is_open());
                       return Response::text(200, "ignored");
                     })
              .ok());
  REQUIRE(server
              .route("GET", "/throw",
                     [&held](RequestContext& ctx) -> Response {
                       held.push_back(ctx.defer());
                       throw std::runtime_error("boom");
                     })
              .ok());
}

}  // namespace

TEST_CASE("deferred: answered later, in order with pipelined requests", "[unit]") {
  uv::Loop loop;
  {
    std::vector<std::shared_ptr<DeferredResponse>> held;
    ServerFixture fx(loop);
    add_routes(*fx.server, held);
    RawClient raw(loop, fx.port);
    raw.write(
        "GET /later HTTP/1.1\r\nHost: h\r\n\r\n"
        "GET /now HTTP/1.1\r\nHost: h\r\n\r\n"
        "GET /inline HTTP/1.1\r\nHost: h\r\n\r\n"
        "GET /later HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
    REQUIRE(run_until(loop, [&] { return held.size() == 1; }));
    // The pipelined requests wait behind the deferred one.
    loop.run_nowait();
    CHECK(raw.received.empty());
    held[0]->respond(Response::text(201, "first"));
    CHECK_FALSE(held[0]->is_open());
    held[0]->respond(Response::text(500, "twice"));  // no effect
    REQUIRE(run_until(loop, [&] { return held.size() == 2; }));
    held[1]->respond(Response::text(200, "last"));
    REQUIRE(run_until(loop, [&] { return raw.closed; }));
    auto rs = raw.responses();
    REQUIRE(rs.size() == 4);
    CHECK(rs[0].status == 201);
    CHECK(rs[0].body == "first\n");
    CHECK(rs[1].body == "now\n");
    CHECK(rs[2].status == 202);
    CHECK(rs[2].body == "inline\n");
    CHECK(rs[3].body == "last\n");
    CHECK(rs[3].headers.get("Connection") == std::optional<std::string_view>("close"));
  }
  finish(loop);
}

TEST_CASE(
    "deferred: a dropped deferral answers 500 and closes; a handler throwing after deferring "
    "answers 500",
    "[unit]") {
  uv::Loop loop;
  {
    std::vector<std::shared_ptr<DeferredResponse>> held;
    ServerFixture fx(loop);
    add_routes(*fx.server, held);
    RawClient dropped(loop, fx.port);
    dropped.write("GET /drop HTTP/1.1\r\nHost: h\r\n\r\nGET /now HTTP/1.1\r\nHost: h\r\n\r\n");
    RawClient thrown(loop, fx.port);
    // Like any throwing handler's, the connection survives the 500: the client ends it.
    thrown.write("GET /throw HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
    REQUIRE(run_until(loop, [&] { return dropped.closed && thrown.closed; }));
    auto d = dropped.responses();
    REQUIRE(d.size() == 1);  // the pipelined request is not served after the failure
    CHECK(d[0].status == 500);
    auto t = thrown.responses();
    REQUIRE(t.size() == 1);
    CHECK(t[0].status == 500);
    REQUIRE(held.size() == 1);
    CHECK_FALSE(held[0]->is_open());
    held[0]->respond(Response::text(200, "too late"));  // no effect, no crash
  }
  finish(loop);
}

TEST_CASE("deferred: unanswered within the request timeout gets 503; a late answer goes nowhere",
          "[unit]") {
  uv::Loop loop;
  {
    std::vector<std::shared_ptr<DeferredResponse>> held;
    ServerOptions opts;
    opts.request_timeout = 200ms;
    opts.log_error = [](std::string_view) {};
    ServerFixture fx(loop, opts);
    add_routes(*fx.server, held);
    RawClient raw(loop, fx.port);
    raw.write("GET /later HTTP/1.1\r\nHost: h\r\n\r\n");
    REQUIRE(run_until(
        loop, [&] { return raw.closed; }, 5s));
    auto rs = raw.responses();
    REQUIRE(rs.size() == 1);
    CHECK(rs[0].status == 503);
    REQUIRE(held.size() == 1);
    CHECK_FALSE(held[0]->is_open());
    held[0]->respond(Response::text(200, "late"));

    // A client that hangs up while deferred: the answer is dropped quietly.
    RawClient gone(loop, fx.port);
    gone.write("GET /later HTTP/1.1\r\nHost: h\r\n\r\n");
    REQUIRE(run_until(loop, [&] { return held.size() == 2; }));
    gone.stream->close();
    REQUIRE(run_until(loop, [&] { return !held[1]->is_open(); }));
    held[1]->respond(Response::text(200, "nobody"));
    CHECK(run_until(loop, [&] { return fx.server->connection_count() == 0; }));
  }
  finish(loop);
}
