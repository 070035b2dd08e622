// Test-only: a TLS echo server, a recording client and refusal checks on a Loop, shared by
// the TLS tests (and usable by HTTP-over-TLS tests). Header-only; include from tests only.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "common/tls/listener.hpp"
#include "common/tls/test_pki.hpp"
#include "common/tls/tls_stream.hpp"
#include "common/uv/tcp.hpp"
#include "common/uv/testing.hpp"

namespace ward::tls::testing {

using uv::ByteStreamPtr;
using uv::Loop;

inline std::shared_ptr<TlsContext> must_context(const TlsConfig& config) {
  auto ctx = TlsContext::create(config);
  WARD_REQUIRE_OK(ctx);
  return std::move(ctx).value();
}

// A TLS server on 127.0.0.1 that echoes (unless told otherwise) and records everything.
struct Server {
  Server(Loop& loop, std::shared_ptr<TlsContext> ctx, TlsListenerOptions options = {},
         bool echo = true) {
    auto l = TlsListener::listen(
        loop, "127.0.0.1", 0, std::move(ctx),
        [this, echo](ByteStreamPtr s) {
          streams.push_back(s);
          peer_ders.push_back(s->peer_certificate_der());
          std::weak_ptr<uv::ByteStream> weak = s;
          s->start(
              [this, weak, echo](std::string_view d) {
                received += d;
                if (auto p = weak.lock(); p && echo) p->write(std::string(d));
              },
              [this](const Status& why) { close_statuses.push_back(why); });
        },
        [this](const Error& e, const std::string& peer) { errors.emplace_back(e, peer); }, options);
    WARD_REQUIRE_OK(l);
    listener.emplace(std::move(l).value());
    port = listener->local_port();
  }
  std::optional<TlsListener> listener;
  std::uint16_t port = 0;
  std::vector<ByteStreamPtr> streams;
  std::vector<std::optional<std::string>> peer_ders;
  std::vector<std::pair<Error, std::string>> errors;
  std::vector<Status> close_statuses;
  std::string received;
};

inline Result<ByteStreamPtr> connect_and_wait(Loop& loop, std::uint16_t port,
                                              std::shared_ptr<TlsContext> ctx,
                                              ConnectTlsOptions options = {}) {
  std::optional<Result<ByteStreamPtr>> result;
  connect_tls(
      loop, "127.0.0.1", port, std::move(ctx),
      [&](Result<ByteStreamPtr> r) { result.emplace(std::move(r)); }, options);
  REQUIRE_FALSE(result.has_value());  // never inside the call
  REQUIRE(uv::testing::run_until(loop, [&] { return result.has_value(); }));
  return std::move(*result);
}

// A started client that records what it reads and how it closed.
struct Client {
  explicit Client(ByteStreamPtr s) : stream(std::move(s)) {
    stream->start([this](std::string_view d) { received += d; },
                  [this](const Status& why) { closed.emplace(why); });
  }
  ByteStreamPtr stream;
  std::string received;
  std::optional<Status> closed;
};

inline void finish(Loop& loop) {
  REQUIRE(uv::testing::run_to_completion(loop));
  WARD_REQUIRE_OK(uv::close_and_check(loop));
}

inline void expect_client_refused(Loop& loop, Server& server,
                                  std::shared_ptr<TlsContext> client_ctx,
                                  const std::string& server_reason) {
  auto r = connect_and_wait(loop, server.port, std::move(client_ctx));
  if (r.ok()) {
    // TLS 1.3: the client finished first; the server's alert arrives afterwards.
    Client client(*r);
    client.stream->write("must not be delivered");
    REQUIRE(uv::testing::run_until(loop, [&] { return client.closed.has_value(); }));
    REQUIRE_FALSE(client.closed->ok());
    CHECK(client.closed->error().code() == ErrorCode::kUnauthenticated);
    CHECK(client.received.empty());
  } else {
    CHECK(r.error().code() == ErrorCode::kUnauthenticated);
  }
  REQUIRE(uv::testing::run_until(loop, [&] { return !server.errors.empty(); }));
  CHECK(server.streams.empty());
  CHECK(server.received.empty());
  const Error& e = server.errors[0].first;
  INFO(e.to_string());
  CHECK(e.code() == ErrorCode::kUnauthenticated);
  CHECK(e.message().find(server_reason) != std::string::npos);
  CHECK(server.errors[0].second.rfind("127.0.0.1:", 0) == 0);
}

inline void expect_server_refused(const Leaf& server_leaf, std::shared_ptr<TlsContext> client_ctx,
                                  const std::string& reason, ConnectTlsOptions options = {}) {
  Loop loop;
  {
    Server server(loop, must_context(testing::server_config(server_leaf)));
    auto r = connect_and_wait(loop, server.port, std::move(client_ctx), std::move(options));
    REQUIRE_FALSE(r.ok());
    INFO(r.error().to_string());
    CHECK(r.error().code() == ErrorCode::kUnauthenticated);
    CHECK(r.error().message().find(reason) != std::string::npos);
    // The server learns of it through the client's alert.
    REQUIRE(uv::testing::run_until(loop, [&] { return !server.errors.empty(); }));
    CHECK(server.streams.empty());
  }
  finish(loop);
}

// A server built from the pieces: a TcpListener whose streams go through tls::handshake(),
// keeping the TCP stream so a test can misbehave below TLS.
struct RawServer {
  RawServer(Loop& l, std::shared_ptr<TlsContext> c) : loop(l), ctx(std::move(c)) {
    auto listener = uv::TcpListener::listen(loop, "127.0.0.1", 0, [this](ByteStreamPtr s) {
      tcp = s;
      handshake(
          loop, s, ctx,
          [this](Result<ByteStreamPtr> r) {
            tls.emplace(std::move(r));
            ++handshakes_finished;
          },
          HandshakeOptions{std::chrono::seconds(5), {}});
    });
    WARD_REQUIRE_OK(listener);
    tcp_listener.emplace(std::move(listener).value());
  }
  Loop& loop;
  std::shared_ptr<TlsContext> ctx;
  std::optional<uv::TcpListener> tcp_listener;
  ByteStreamPtr tcp;
  std::optional<Result<ByteStreamPtr>> tls;
  int handshakes_finished = 0;  // its callbacks point here: wait for all before destroying
};

}  // namespace ward::tls::testing
