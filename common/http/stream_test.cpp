// Streaming responses over loopback TCP: delivery as sent, client disconnect, server
// shutdown, slow consumers.
#include <chrono>
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "common/http/http_test_support.hpp"

using namespace ward;
using namespace ward::http;
using namespace ward::http::testing;
using namespace std::chrono_literals;
using uv::testing::run_until;

namespace {

// Routes GET /v1/stream to a handler that opens a stream and parks it in *live.
void add_stream_route(Server& server, std::shared_ptr<ResponseStream>* live,
                      std::optional<Status>* closed) {
  REQUIRE(server
              .route("GET", "/v1/stream",
                     [live, closed](RequestContext& ctx) {
                       auto s = ctx.start_stream(200, {{"Content-Type", "application/x-ndjson"}});
                       s->set_on_closed([closed](const Status& why) { closed->emplace(why); });
                       *live = s;
                       return Response{};
                     })
              .ok());
  REQUIRE(
      server.route("GET", "/v1/ping", [](RequestContext&) { return Response::text(200, "pong"); })
          .ok());
}

}  // namespace

TEST_CASE("stream: each message reaches the client before the next is sent", "[unit]") {
  uv::Loop loop;
  {
    ServerFixture fx(loop);
    std::shared_ptr<ResponseStream> live;
    std::optional<Status> closed;
    add_stream_route(*fx.server, &live, &closed);

    Client client(loop, fx.connector(loop));
    std::optional<Response> head;
    std::string data;
    std::optional<Status> end;
    client.stream(make_request("GET", "/v1/stream"),
                  {.on_response = [&](const Response& r) { head = r; },
                   .on_data = [&](std::string_view d) { data.append(d); },
                   .on_end = [&](const Status& s) { end = s; }});
    REQUIRE(run_until(loop, [&] { return live && head; }));
    CHECK(head->status == 200);
    CHECK(head->headers.get("content-type") ==
          std::optional<std::string_view>("application/x-ndjson"));
    CHECK(head->headers.get("transfer-encoding") == std::optional<std::string_view>("chunked"));

    REQUIRE(live->send("{\"type\":\"netmap\",\"serial\":1}\n"));
    REQUIRE(run_until(loop, [&] { return !data.empty(); }));
    CHECK(data == "{\"type\":\"netmap\",\"serial\":1}\n");
    REQUIRE(live->send("{\"type\":\"keepalive\"}\n"));
    CHECK(live->send(""));  // no-op, does not end the stream
    REQUIRE(run_until(loop, [&] { return data.size() > 30; }));
    CHECK(data == "{\"type\":\"netmap\",\"serial\":1}\n{\"type\":\"keepalive\"}\n");
    CHECK_FALSE(end.has_value());
    CHECK(live->is_open());

    // The handler ends the stream: the client sees a clean end, and the connection is
    // reused for the next request.
    live->close();
    CHECK_FALSE(live->is_open());
    CHECK_FALSE(live->send("late\n"));
    REQUIRE(run_until(loop, [&] { return end.has_value(); }));
    CHECK(end->ok());
    std::optional<Result<Response>> pong;
    client.send(make_request("GET", "/v1/ping"),
                [&](Result<Response> r) { pong.emplace(std::move(r)); });
    REQUIRE(run_until(loop, [&] { return pong.has_value(); }));
    REQUIRE(pong->ok());
    CHECK((*pong)->body == "pong\n");
    CHECK(client.connections_opened() == 1);
    CHECK_FALSE(closed.has_value());  // close() by the handler does not notify it
  }
  finish(loop);
}

TEST_CASE("stream: client disconnect mid-stream notifies the handler", "[unit]") {
  uv::Loop loop;
  {
    ServerFixture fx(loop);
    std::shared_ptr<ResponseStream> live;
    std::optional<Status> closed;
    add_stream_route(*fx.server, &live, &closed);

    Client client(loop, fx.connector(loop));
    std::string data;
    std::optional<Status> end;
    client.stream(make_request("GET", "/v1/stream"),
                  {.on_data = [&](std::string_view d) { data.append(d); },
                   .on_end = [&](const Status& s) { end = s; }});
    REQUIRE(run_until(loop, [&] { return live != nullptr; }));
    REQUIRE(live->send("hello\n"));
    REQUIRE(run_until(loop, [&] { return data == "hello\n"; }));

    client.close();
    CHECK_FALSE(end.has_value());  // never inside close()
    REQUIRE(run_until(loop, [&] { return closed.has_value() && end.has_value(); }));
    CHECK(closed->ok());  // an orderly end by the client
    CHECK_FALSE(end->ok());
    CHECK(end->error().code() == ErrorCode::kUnavailable);
    CHECK_FALSE(live->is_open());
    CHECK_FALSE(live->send("anyone?\n"));
    REQUIRE(run_until(loop, [&] { return fx.server->connection_count() == 0; }));
  }
  finish(loop);
}

TEST_CASE("stream: server shutdown ends open streams and notifies them", "[unit]") {
  uv::Loop loop;
  {
    ServerFixture fx(loop);
    std::shared_ptr<ResponseStream> live;
    std::optional<Status> closed;
    add_stream_route(*fx.server, &live, &closed);
    Client client(loop, fx.connector(loop));
    std::optional<Status> end;
    client.stream(make_request("GET", "/v1/stream"), {.on_end = [&](const Status& s) { end = s; }});
    REQUIRE(run_until(loop, [&] { return live != nullptr; }));
    fx.server.reset();  // destroying the Server closes its connections
    REQUIRE(run_until(loop, [&] { return closed.has_value() && end.has_value(); }));
    CHECK_FALSE(closed->ok());
    CHECK_FALSE(end->ok());  // the chunked body never ended
    CHECK_FALSE(live->send("x"));
  }
  finish(loop);
}

TEST_CASE("stream: a client that stops reading is dropped, not buffered without bound", "[unit]") {
  uv::Loop loop;
  {
    ServerOptions opts;
    opts.max_stream_queue_bytes = 256 * 1024;
    ServerFixture fx(loop, opts);
    std::shared_ptr<ResponseStream> live;
    std::optional<Status> closed;
    add_stream_route(*fx.server, &live, &closed);

    RawClient raw(loop, fx.port);
    raw.write("GET /v1/stream HTTP/1.1\r\nHost: h\r\n\r\n");
    REQUIRE(run_until(loop, [&] { return live != nullptr && !raw.received.empty(); }));
    raw.stream->pause_reading();

    const std::string chunk(128 * 1024, 'n');
    int sent = 0;
    bool refused = false;
    uv::Timer pump(loop);
    pump.start(1ms, 1ms, [&] {
      if (refused || sent > 2000) return;  // 2000 x 128 KiB would be 250 MiB
      if (live->send(chunk)) {
        ++sent;
        CHECK(live->write_queue_bytes() <= opts.max_stream_queue_bytes + chunk.size() + 64);
      } else {
        refused = true;
      }
    });
    REQUIRE(run_until(
        loop, [&] { return refused && closed.has_value(); }, 30s));
    pump.stop();
    CHECK_FALSE(closed->ok());
    CHECK(closed->error().message().find("too slow") != std::string::npos);
    CHECK(sent > 2);  // the kernel buffers took some before the queue grew
    // Once the client reads again it finds the connection cut short.
    raw.stream->resume_reading();
    REQUIRE(run_until(loop, [&] { return raw.closed; }));
    CHECK(raw.received.size() < static_cast<std::size_t>(sent) * chunk.size() + 4096);
  }
  finish(loop);
}

TEST_CASE("stream: a handler that throws after starting the stream cuts the connection", "[unit]") {
  uv::Loop loop;
  {
    std::string logged;
    ServerOptions opts;
    opts.log_error = [&](std::string_view m) { logged.append(m); };
    ServerFixture fx(loop, opts);
    REQUIRE(fx.server
                ->route("GET", "/v1/stream",
                        [](RequestContext& ctx) -> Response {
                          ctx.start_stream()->send("partial\n");
                          throw std::runtime_error("after start");
                        })
                .ok());
    Client client(loop, fx.connector(loop));
    std::string data;
    std::optional<Status> end;
    client.stream(make_request("GET", "/v1/stream"),
                  {.on_data = [&](std::string_view d) { data.append(d); },
                   .on_end = [&](const Status& s) { end = s; }});
    REQUIRE(run_until(loop, [&] { return end.has_value(); }));
    CHECK_FALSE(end->ok());
    CHECK(logged.find("after start") != std::string::npos);
  }
  finish(loop);
}

TEST_CASE("stream: HEAD on a streaming route sends only the head", "[unit]") {
  uv::Loop loop;
  {
    ServerFixture fx(loop);
    std::shared_ptr<ResponseStream> live;
    std::optional<Status> closed;
    add_stream_route(*fx.server, &live, &closed);
    Client client(loop, fx.connector(loop));
    std::vector<Result<Response>> got;
    client.send(make_request("HEAD", "/v1/stream"),
                [&](Result<Response> r) { got.push_back(std::move(r)); });
    client.send(make_request("GET", "/v1/ping"),
                [&](Result<Response> r) { got.push_back(std::move(r)); });
    REQUIRE(run_until(loop, [&] { return got.size() == 2; }));
    REQUIRE(got[0].ok());
    CHECK(got[0]->status == 200);
    CHECK(got[0]->body.empty());
    REQUIRE(live != nullptr);
    CHECK_FALSE(live->is_open());
    REQUIRE(got[1].ok());
    CHECK(got[1]->body == "pong\n");
    CHECK(client.connections_opened() == 1);
  }
  finish(loop);
}
