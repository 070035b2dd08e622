// Client behaviour against scripted loopback servers: timeouts, connect failures, retry of
// a stale keep-alive connection, malformed responses, callback discipline.
#include <chrono>
#include <functional>
#include <memory>
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

// A TCP server whose behaviour per connection is scripted: on_data(conn_index, stream,
// all bytes received so far on that connection).
struct RawServer {
  using Script = std::function<void(int index, const uv::ByteStreamPtr& s, std::string& in)>;

  RawServer(uv::Loop& loop, Script s) : script(std::move(s)) {
    auto l = uv::TcpListener::listen(loop, "127.0.0.1", 0, [this](uv::ByteStreamPtr c) {
      const int index = static_cast<int>(conns.size());
      conns.push_back(c);
      inputs.emplace_back();
      c->start(
          [this, index](std::string_view d) {
            inputs[static_cast<std::size_t>(index)].append(d);
            script(index, conns[static_cast<std::size_t>(index)],
                   inputs[static_cast<std::size_t>(index)]);
          },
          [](const Status&) {});
    });
    REQUIRE(l.ok());
    port = l->local_port();
    listener.emplace(std::move(*l));
  }
  ~RawServer() {
    for (auto& c : conns)
      c->close();
  }
  Client::ConnectFn connector(uv::Loop& loop) const {
    const std::uint16_t p = port;
    return [&loop, p](Client::ConnectDone done) {
      uv::connect_tcp(loop, "127.0.0.1", p, std::move(done));
    };
  }

  Script script;
  std::optional<uv::TcpListener> listener;
  std::uint16_t port = 0;
  std::vector<uv::ByteStreamPtr> conns;
  std::vector<std::string> inputs;
};

std::string ok_response(std::string_view body, bool close = false) {
  Response r = Response::text(200, std::string(body));
  if (close) r.headers.set("Connection", "close");
  return *serialize_response(r);
}

// Counts complete requests in `in` (they are all bodiless GETs/HEADs or small POSTs).
std::size_t count_requests(std::string_view in) {
  RequestParser p;
  std::size_t n = 0;
  while (!in.empty()) {
    in.remove_prefix(p.feed(in));
    if (p.state() != ParseState::kComplete) break;
    p.take();
    ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("client: callbacks never run inside send(), bad requests fail cleanly", "[unit]") {
  uv::Loop loop;
  {
    RawServer srv(loop, [](int, const uv::ByteStreamPtr& s, std::string& in) {
      if (count_requests(in) == 1) s->write(ok_response("hi"));
    });
    Client client(loop, srv.connector(loop));
    bool in_call = true;
    std::optional<Result<Response>> bad;
    Request r = make_request("GET", "/x");
    r.headers.set("X-Evil", "a\r\nb");
    client.send(std::move(r), [&](Result<Response> res) {
      CHECK_FALSE(in_call);
      bad.emplace(std::move(res));
    });
    std::optional<Result<Response>> good;
    client.send(make_request("GET", "/y"), [&](Result<Response> res) {
      CHECK_FALSE(in_call);
      good.emplace(std::move(res));
    });
    in_call = false;
    REQUIRE(run_until(loop, [&] { return bad && good; }));
    REQUIRE_FALSE(bad->ok());
    CHECK(bad->error().code() == ErrorCode::kInvalidArgument);
    REQUIRE(good->ok());
    CHECK((*good)->body == "hi\n");
    // The client sent a Host header of its own.
    CHECK(srv.inputs[0].find("Host: localhost\r\n") != std::string::npos);
  }
  finish(loop);
}

TEST_CASE("client: no response within the timeout is kUnavailable", "[unit]") {
  uv::Loop loop;
  {
    RawServer silent(loop, [](int, const uv::ByteStreamPtr&, std::string&) {});
    ClientOptions opts;
    opts.response_timeout = 200ms;
    Client client(loop, silent.connector(loop), opts);
    std::optional<Result<Response>> got;
    client.send(make_request("GET", "/"), [&](Result<Response> r) { got.emplace(std::move(r)); });
    REQUIRE(run_until(
        loop, [&] { return got.has_value(); }, 5s));
    REQUIRE_FALSE(got->ok());
    CHECK(got->error().code() == ErrorCode::kUnavailable);
    CHECK(got->error().message().find("no response") != std::string::npos);
    CHECK_FALSE(client.connected());
  }
  finish(loop);
}

TEST_CASE("client: connect failure fails every queued request", "[unit]") {
  uv::Loop loop;
  {
    std::uint16_t dead_port = 0;
    {
      auto l = uv::TcpListener::listen(loop, "127.0.0.1", 0, [](uv::ByteStreamPtr) {});
      REQUIRE(l.ok());
      dead_port = l->local_port();
    }  // closed: nothing listens there now
    Client client(loop, [&loop, dead_port](Client::ConnectDone done) {
      uv::connect_tcp(loop, "127.0.0.1", dead_port, std::move(done));
    });
    std::vector<Result<Response>> got;
    client.send(make_request("GET", "/a"),
                [&](Result<Response> r) { got.push_back(std::move(r)); });
    client.send(make_request("GET", "/b"),
                [&](Result<Response> r) { got.push_back(std::move(r)); });
    REQUIRE(run_until(loop, [&] { return got.size() == 2; }));
    for (auto& r : got) {
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().code() == ErrorCode::kUnavailable);
    }
  }
  finish(loop);
}

TEST_CASE("client: a stale keep-alive connection is retried for GET, not for POST", "[unit]") {
  uv::Loop loop;
  {
    // Connection 0 answers its first request, then hangs up on the next one unanswered.
    // Later connections answer everything.
    RawServer srv(loop, [](int index, const uv::ByteStreamPtr& s, std::string& in) {
      const std::size_t n = count_requests(in);
      if (index == 0 && n == 1) s->write(ok_response("first"));
      if (index == 0 && n == 2) s->abort();
      if (index > 0 && n >= 1) {
        in.clear();
        s->write(ok_response("fresh"));
      }
    });
    Client client(loop, srv.connector(loop));
    std::vector<Result<Response>> got;
    auto collect = [&](Result<Response> r) { got.push_back(std::move(r)); };
    client.send(make_request("GET", "/1"), collect);
    REQUIRE(run_until(loop, [&] { return got.size() == 1; }));
    client.send(make_request("GET", "/2"), collect);
    REQUIRE(run_until(loop, [&] { return got.size() == 2; }));
    REQUIRE(got[1].ok());
    CHECK(got[1]->body == "fresh\n");
    CHECK(client.connections_opened() == 2);

    // Connection 1 is now the reused one; make it stale for a POST.
    srv.script = [](int index, const uv::ByteStreamPtr& s, std::string& in) {
      if (index == 1 && count_requests(in) >= 1) s->abort();
      if (index > 1 && count_requests(in) >= 1) s->write(ok_response("unused"));
    };
    client.send(make_request("POST", "/3", "x"), collect);
    REQUIRE(run_until(loop, [&] { return got.size() == 3; }));
    REQUIRE_FALSE(got[2].ok());
    CHECK(got[2].error().code() == ErrorCode::kUnavailable);
    CHECK(client.connections_opened() == 2);
  }
  finish(loop);
}

TEST_CASE("client: malformed and truncated responses are errors", "[unit]") {
  uv::Loop loop;
  {
    RawServer srv(loop, [](int, const uv::ByteStreamPtr& s, std::string& in) {
      if (in.find("/junk") != std::string::npos) s->write("HTTP/1.1 abc nonsense\r\n\r\n");
      if (in.find("/short") != std::string::npos) {
        s->write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this");
        s->close();
      }
      if (in.find("/eof") != std::string::npos) {
        s->write("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nbody until eof");
        s->close();
      }
    });
    Client client(loop, srv.connector(loop));
    std::vector<Result<Response>> got;
    auto collect = [&](Result<Response> r) { got.push_back(std::move(r)); };
    client.send(make_request("GET", "/junk"), collect);
    client.send(make_request("GET", "/short"), collect);
    client.send(make_request("GET", "/eof"), collect);
    REQUIRE(run_until(loop, [&] { return got.size() == 3; }));
    REQUIRE_FALSE(got[0].ok());
    CHECK(got[0].error().code() == ErrorCode::kCorruption);
    REQUIRE_FALSE(got[1].ok());
    CHECK(got[1].error().code() == ErrorCode::kUnavailable);
    REQUIRE(got[2].ok());
    CHECK(got[2]->body == "body until eof");
    CHECK(client.connections_opened() == 3);
  }
  finish(loop);
}

TEST_CASE("client: stream idle timeout and destroying the client from a callback", "[unit]") {
  uv::Loop loop;
  {
    RawServer srv(loop, [](int, const uv::ByteStreamPtr& s, std::string& in) {
      if (count_requests(in) == 1) {
        in.clear();
        s->write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + encode_chunk("one\n"));
      }
    });
    ClientOptions opts;
    opts.stream_idle_timeout = 200ms;
    auto client = std::make_unique<Client>(loop, srv.connector(loop), opts);
    std::string data;
    std::optional<Status> end;
    client->stream(make_request("GET", "/s"),
                   {.on_data = [&](std::string_view d) { data.append(d); },
                    .on_end = [&](const Status& s) { end = s; }});
    REQUIRE(run_until(
        loop, [&] { return end.has_value(); }, 5s));
    CHECK(data == "one\n");
    REQUIRE_FALSE(end->ok());
    CHECK(end->error().message().find("silent") != std::string::npos);

    // A callback may destroy the Client; nothing runs after that.
    bool second_ran = false;
    std::optional<Result<Response>> first;
    srv.script = [](int, const uv::ByteStreamPtr& s, std::string& in) {
      if (count_requests(in) == 1) s->write(ok_response("x"));
    };
    client->send(make_request("GET", "/a"), [&](Result<Response> r) {
      first.emplace(std::move(r));
      client.reset();
    });
    client->send(make_request("GET", "/b"), [&](Result<Response>) { second_ran = true; });
    REQUIRE(run_until(loop, [&] { return first.has_value(); }));
    CHECK(first->ok());
    loop.run_nowait();
    CHECK_FALSE(second_ran);
  }
  finish(loop);
}
