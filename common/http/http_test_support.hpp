// Test support for common/http loopback tests (include from tests only).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "common/http/client.hpp"
#include "common/http/parser.hpp"
#include "common/http/server.hpp"
#include "common/uv/loop.hpp"
#include "common/uv/tcp.hpp"
#include "common/uv/testing.hpp"

namespace ward::http::testing {

// A Server listening on 127.0.0.1:<ephemeral>.
struct ServerFixture {
  explicit ServerFixture(uv::Loop& loop, ServerOptions options = {})
      : server(std::make_unique<Server>(loop, std::move(options))) {
    auto l = uv::TcpListener::listen(loop, "127.0.0.1", 0, [this](uv::ByteStreamPtr c) {
      ++accepted;
      if (server) server->serve(std::move(c));
    });
    REQUIRE(l.ok());
    port = l->local_port();
    listener.emplace(std::move(*l));
  }

  Client::ConnectFn connector(uv::Loop& loop) const {
    const std::uint16_t p = port;
    return [&loop, p](Client::ConnectDone done) {
      uv::connect_tcp(loop, "127.0.0.1", p, std::move(done));
    };
  }

  std::unique_ptr<Server> server;
  std::optional<uv::TcpListener> listener;
  std::uint16_t port = 0;
  int accepted = 0;
};

// A bare TCP client that writes raw bytes and records everything it reads.
struct RawClient {
  RawClient(uv::Loop& loop, std::uint16_t port) {
    uv::connect_tcp(loop, "127.0.0.1", port, [this](Result<uv::ByteStreamPtr> r) {
      REQUIRE(r.ok());
      stream = *r;
      stream->start([this](std::string_view d) { received.append(d); },
                    [this](const Status& why) {
                      closed = true;
                      close_ok = why.ok();
                    });
      for (auto& w : backlog)
        stream->write(std::move(w));
      backlog.clear();
    });
  }
  void write(std::string data) {
    if (stream) {
      stream->write(std::move(data));
    } else {
      backlog.push_back(std::move(data));
    }
  }
  // Parses every complete response received so far.
  std::vector<Response> responses() const {
    std::vector<Response> out;
    ResponseParser p;
    std::string_view rest = received;
    while (!rest.empty()) {
      const std::size_t used = p.feed(rest);
      rest.remove_prefix(used);
      if (p.state() != ParseState::kComplete) break;
      out.push_back(p.take());
    }
    return out;
  }

  uv::ByteStreamPtr stream;
  std::vector<std::string> backlog;
  std::string received;
  bool closed = false;
  bool close_ok = false;
};

inline Request make_request(std::string method, std::string target, std::string body = {}) {
  Request r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.body = std::move(body);
  return r;
}

// Runs `loop` until nothing is left to do, then closes it, REQUIRing both: every test
// ends with no handle or request left behind.
inline void finish(uv::Loop& loop) {
  REQUIRE(uv::testing::run_to_completion(loop));
  WARD_REQUIRE_OK(uv::close_and_check(loop));
}

}  // namespace ward::http::testing
