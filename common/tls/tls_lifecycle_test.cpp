#include <catch2/catch.hpp>

#include "common/tls/test_harness.hpp"

namespace ward::tls {
namespace {

using namespace std::chrono_literals;
using namespace ward::tls::testing;
using uv::ByteStreamPtr;
using uv::Loop;

TEST_CASE("garbage instead of a ClientHello closes cleanly", "[unit]") {
  TestPki pki("Ward Device CA");
  Loop loop;
  {
    Server server(loop, must_context(testing::server_config(pki.server())));
    for (std::string garbage :
         {std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), std::string(300000, '\0'),
          std::string("\x16\x03\x01\xff\xff", 5) + std::string(70000, 'A')}) {
      std::size_t errors_before = server.errors.size();
      std::optional<Result<ByteStreamPtr>> tcp;
      uv::connect_tcp(loop, "127.0.0.1", server.port,
                      [&](Result<ByteStreamPtr> r) { tcp.emplace(std::move(r)); });
      REQUIRE(uv::testing::run_until(loop, [&] { return tcp.has_value(); }));
      WARD_REQUIRE_OK(*tcp);
      Client raw(**tcp);
      raw.stream->write(garbage);
      REQUIRE(uv::testing::run_until(
          loop, [&] { return raw.closed.has_value() && server.errors.size() > errors_before; }));
      const Error& e = server.errors.back().first;
      INFO(e.to_string());
      CHECK(e.code() == ErrorCode::kUnauthenticated);
      CHECK(raw.received.size() < 100);  // at most an alert
    }
    CHECK(server.streams.empty());
  }
  finish(loop);
}

TEST_CASE("a silent client hits the handshake timeout", "[unit]") {
  TestPki pki("Ward Device CA");
  Loop loop;
  {
    TlsListenerOptions options;
    options.handshake_timeout = 200ms;
    Server server(loop, must_context(testing::server_config(pki.server())), options);
    std::optional<Result<ByteStreamPtr>> tcp;
    uv::connect_tcp(loop, "127.0.0.1", server.port,
                    [&](Result<ByteStreamPtr> r) { tcp.emplace(std::move(r)); });
    REQUIRE(uv::testing::run_until(loop, [&] { return tcp.has_value(); }));
    WARD_REQUIRE_OK(*tcp);
    Client raw(**tcp);
    REQUIRE(uv::testing::run_until(loop, [&] { return !server.errors.empty(); }));
    CHECK(server.errors[0].first.code() == ErrorCode::kUnavailable);
    CHECK(server.errors[0].first.message().find("timed out after 200 ms") != std::string::npos);
    REQUIRE(uv::testing::run_until(loop, [&] { return raw.closed.has_value(); }));
    CHECK(server.listener->pending_handshakes() == 0);
  }
  finish(loop);
}

TEST_CASE("several MB cross intact in both directions", "[unit]") {
  TestPki pki("Ward Device CA");
  Loop loop;
  {
    Server server(loop, must_context(testing::server_config(pki.server())));
    auto r = connect_and_wait(
        loop, server.port,
        must_context(testing::client_config(pki.ca_pem(), "controller.ward.test")));
    WARD_REQUIRE_OK(r);
    Client client(*r);
    std::string payload(6 << 20, '\0');
    for (std::size_t i = 0; i < payload.size(); ++i) {
      payload[i] = static_cast<char>((i * 7919) ^ (i >> 11));
    }
    std::optional<Status> written;
    client.stream->write(payload, [&](const Status& st) { written = st; });
    CHECK_FALSE(written.has_value());
    REQUIRE(uv::testing::run_until(loop, [&] { return client.received.size() >= payload.size(); }));
    CHECK(server.received == payload);  // client -> server
    CHECK(client.received == payload);  // and back
    REQUIRE(written.has_value());
    WARD_REQUIRE_OK(*written);
    client.stream->close();
    REQUIRE(uv::testing::run_until(loop, [&] { return server.close_statuses.size() == 1; }));
    WARD_REQUIRE_OK(server.close_statuses[0]);
  }
  finish(loop);
}

TEST_CASE("pause_reading holds TLS data back until resume_reading", "[unit]") {
  TestPki pki("Ward Device CA");
  Loop loop;
  {
    Server server(loop, must_context(testing::server_config(pki.server())), {}, /*echo=*/false);
    auto r = connect_and_wait(
        loop, server.port,
        must_context(testing::client_config(pki.ca_pem(), "controller.ward.test")));
    WARD_REQUIRE_OK(r);
    Client client(*r);
    REQUIRE(uv::testing::run_until(loop, [&] { return server.streams.size() == 1; }));
    server.streams[0]->pause_reading();
    bool written = false;
    client.stream->write(std::string(200000, 'p'), [&](const Status&) { written = true; });
    REQUIRE(uv::testing::run_until(loop, [&] { return written; }));
    for (int i = 0; i < 5; ++i)
      loop.run_nowait();
    CHECK(server.received.empty());
    server.streams[0]->resume_reading();
    REQUIRE(uv::testing::run_until(loop, [&] { return server.received.size() == 200000; }));
    client.stream->close();
    REQUIRE(uv::testing::run_until(loop, [&] { return server.close_statuses.size() == 1; }));
  }
  finish(loop);
}

TEST_CASE("abort skips close_notify and the peer reports an error", "[unit]") {
  TestPki pki("Ward Device CA");
  Loop loop;
  {
    Server server(loop, must_context(testing::server_config(pki.server())));
    auto r = connect_and_wait(
        loop, server.port,
        must_context(testing::client_config(pki.ca_pem(), "controller.ward.test")));
    WARD_REQUIRE_OK(r);
    Client client(*r);
    REQUIRE(uv::testing::run_until(loop, [&] { return server.streams.size() == 1; }));
    client.stream->abort();
    REQUIRE(uv::testing::run_until(
        loop, [&] { return client.closed.has_value() && server.close_statuses.size() == 1; }));
    REQUIRE_FALSE(client.closed->ok());
    REQUIRE_FALSE(server.close_statuses[0].ok());
    CHECK(server.close_statuses[0].error().code() == ErrorCode::kUnavailable);

    // Writing after close completes with kUnavailable, later.
    std::optional<Status> late;
    server.streams[0]->write("x", [&](const Status& st) { late = st; });
    uv::testing::run_until(
        loop, [&] { return late.has_value(); }, 200ms);
    CHECK_FALSE(late.has_value());  // dropped: on_close has already run
  }
  finish(loop);
}

TEST_CASE("destroying a listener aborts handshakes in progress silently", "[unit]") {
  TestPki pki("Ward Device CA");
  Loop loop;
  std::optional<Result<ByteStreamPtr>> tcp;
  {
    Server server(loop, must_context(testing::server_config(pki.server())));
    uv::connect_tcp(loop, "127.0.0.1", server.port,
                    [&](Result<ByteStreamPtr> r) { tcp.emplace(std::move(r)); });
    REQUIRE(uv::testing::run_until(
        loop, [&] { return tcp.has_value() && server.listener->pending_handshakes() == 1; }));
    server.listener.reset();
    REQUIRE(uv::testing::run_to_completion(loop));
    CHECK(server.errors.empty());
    CHECK(server.streams.empty());
  }
  WARD_REQUIRE_OK(*tcp);
  Client raw(**tcp);
  REQUIRE(uv::testing::run_until(loop, [&] { return raw.closed.has_value(); }));
  raw.stream.reset();
  tcp.reset();
  finish(loop);
}

TEST_CASE("a handshake over a closed loop does not leak", "[unit]") {
  TestPki pki("Ward Device CA");
  std::weak_ptr<uv::ByteStream> watch;
  {
    Loop loop;
    Server server(loop, must_context(testing::server_config(pki.server())));
    std::optional<Result<ByteStreamPtr>> result;
    connect_tls(loop, "127.0.0.1", server.port,
                must_context(testing::client_config(pki.ca_pem(), "controller.ward.test")),
                [&](Result<ByteStreamPtr> r) { result.emplace(std::move(r)); });
    REQUIRE(uv::testing::run_until(loop, [&] { return result.has_value(); }));
    WARD_REQUIRE_OK(*result);
    watch = **result;
    result.reset();
    server.listener.reset();
    server.streams.clear();
    CHECK_FALSE(uv::close_and_check(loop).ok());  // the client stream was left open
  }
  CHECK(watch.expired());
}

TEST_CASE("a connection cut without close_notify is reported as an error", "[unit]") {
  TestPki pki("Ward Device CA");
  Loop loop;
  {
    RawServer server(loop, must_context(testing::server_config(pki.server())));
    auto r = connect_and_wait(
        loop, server.tcp_listener->local_port(),
        must_context(testing::client_config(pki.ca_pem(), "controller.ward.test")));
    WARD_REQUIRE_OK(r);
    Client client(*r);
    REQUIRE(uv::testing::run_until(loop, [&] { return server.tls.has_value(); }));
    WARD_REQUIRE_OK(*server.tls);
    std::optional<Status> server_closed;
    ByteStreamPtr server_tls = **server.tls;
    server_tls->start([](std::string_view) {}, [&](const Status& st) { server_closed = st; });
    server.tcp->close();  // TCP FIN with no TLS close_notify: a truncation
    REQUIRE(uv::testing::run_until(
        loop, [&] { return client.closed.has_value() && server_closed.has_value(); }));
    REQUIRE_FALSE(client.closed->ok());
    CHECK(client.closed->error().code() == ErrorCode::kUnavailable);
    CHECK(client.closed->error().message().find("close_notify") != std::string::npos);
    server.tls.reset();
  }
  finish(loop);
}

TEST_CASE("closing a TLS stream from inside its read callback flushes the reply", "[unit]") {
  TestPki pki("Ward Device CA");
  Loop loop;
  {
    RawServer server(loop, must_context(testing::server_config(pki.server())));
    auto r = connect_and_wait(
        loop, server.tcp_listener->local_port(),
        must_context(testing::client_config(pki.ca_pem(), "controller.ward.test")));
    WARD_REQUIRE_OK(r);
    REQUIRE(uv::testing::run_until(loop, [&] { return server.tls.has_value(); }));
    WARD_REQUIRE_OK(*server.tls);
    ByteStreamPtr held = **server.tls;
    std::weak_ptr<uv::ByteStream> watch = held;
    server.tls.reset();
    std::optional<Status> server_closed;
    held->start(
        [&](std::string_view) {
          held->write("reply");
          held->close();
          held.reset();  // the last user reference, dropped inside the callback
        },
        [&](const Status& st) { server_closed = st; });
    Client client(*r);
    client.stream->write("request");
    REQUIRE(uv::testing::run_until(loop, [&] { return client.closed.has_value(); }));
    CHECK(client.received == "reply");
    WARD_REQUIRE_OK(*client.closed);  // the server's close_notify arrived
    REQUIRE(uv::testing::run_until(loop, [&] { return server_closed.has_value(); }));
    WARD_REQUIRE_OK(*server_closed);
    client.stream.reset();
    server.tcp.reset();
    // Once the inner stream has closed, nothing holds the TLS stream any more.
    CHECK(uv::testing::run_until(loop, [&] { return watch.expired(); }));
  }
  finish(loop);
}

TEST_CASE("handshake() over a started or closed inner stream fails cleanly", "[unit]") {
  TestPki pki("Ward Device CA");
  Loop loop;
  {
    RawServer server(loop, must_context(testing::server_config(pki.server())));
    std::optional<Result<ByteStreamPtr>> tcp;
    uv::connect_tcp(loop, "127.0.0.1", server.tcp_listener->local_port(),
                    [&](Result<ByteStreamPtr> x) { tcp.emplace(std::move(x)); });
    REQUIRE(uv::testing::run_until(loop, [&] { return tcp.has_value(); }));
    WARD_REQUIRE_OK(*tcp);
    ByteStreamPtr inner = **tcp;
    inner->close();
    std::optional<Result<ByteStreamPtr>> result;
    handshake(loop, inner,
              must_context(testing::client_config(pki.ca_pem(), "controller.ward.test")),
              [&](Result<ByteStreamPtr> x) { result.emplace(std::move(x)); });
    CHECK_FALSE(result.has_value());
    REQUIRE(uv::testing::run_until(loop, [&] { return result.has_value(); }));
    REQUIRE_FALSE(result->ok());
    CHECK(result->error().code() == ErrorCode::kUnavailable);
    // A client without any name to verify refuses to start.
    std::optional<Result<ByteStreamPtr>> unnamed;
    std::optional<Result<ByteStreamPtr>> tcp2;
    uv::connect_tcp(loop, "127.0.0.1", server.tcp_listener->local_port(),
                    [&](Result<ByteStreamPtr> x) { tcp2.emplace(std::move(x)); });
    REQUIRE(uv::testing::run_until(loop, [&] { return tcp2.has_value(); }));
    WARD_REQUIRE_OK(*tcp2);
    handshake(loop, **tcp2, must_context(testing::client_config(pki.ca_pem(), "")),
              [&](Result<ByteStreamPtr> x) { unnamed.emplace(std::move(x)); });
    REQUIRE(uv::testing::run_until(loop, [&] { return unnamed.has_value(); }));
    REQUIRE_FALSE(unnamed->ok());
    CHECK(unnamed->error().code() == ErrorCode::kInvalidArgument);
    // Both server-side handshakes end (peer gone) before `server` may go.
    REQUIRE(uv::testing::run_until(loop, [&] { return server.handshakes_finished == 2; }));
    CHECK_FALSE(server.tls->ok());
    server.tls.reset();
    server.tcp.reset();
  }
  finish(loop);
}

TEST_CASE("handshakes beyond max_pending_handshakes are refused at once", "[unit]") {
  TestPki pki("Ward Device CA");
  Loop loop;
  {
    TlsListenerOptions options;
    options.max_pending_handshakes = 1;
    Server server(loop, must_context(testing::server_config(pki.server())), options);
    auto connect = [&] {
      std::optional<Result<ByteStreamPtr>> tcp;
      uv::connect_tcp(loop, "127.0.0.1", server.port,
                      [&](Result<ByteStreamPtr> r) { tcp.emplace(std::move(r)); });
      REQUIRE(uv::testing::run_until(loop, [&] { return tcp.has_value(); }));
      return std::move(*tcp);
    };
    auto first = connect();
    WARD_REQUIRE_OK(first);
    Client silent(*first);
    REQUIRE(
        uv::testing::run_until(loop, [&] { return server.listener->pending_handshakes() == 1; }));
    // The second is reset at once: its connect fails, or it closes right after.
    auto second = connect();
    std::optional<Client> refused;
    if (second.ok()) refused.emplace(*second);
    REQUIRE(uv::testing::run_until(
        loop, [&] { return !server.errors.empty() && (!refused || refused->closed.has_value()); }));
    CHECK(server.errors[0].first.code() == ErrorCode::kUnavailable);
    CHECK(server.errors[0].first.message().find("too many") != std::string::npos);
    if (refused) CHECK_FALSE(refused->closed->ok());
    CHECK(server.listener->pending_handshakes() == 1);
    CHECK_FALSE(silent.closed.has_value());  // still waiting for its ClientHello
    silent.stream->abort();
    REQUIRE(uv::testing::run_until(loop, [&] { return server.errors.size() == 2; }));
    CHECK(server.listener->pending_handshakes() == 0);
  }
  finish(loop);
}

// An inner stream the test drives by hand: it can deliver any amount in one read, which a
// socket never does (libuv reads at most 64 KiB at a time).
class HandFedStream final : public uv::ByteStream {
 public:
  explicit HandFedStream(Loop& loop) : loop_(loop) {}
  void start(ReadCallback on_read, CloseCallback on_close) override {
    on_read_ = std::move(on_read);
    on_close_ = std::move(on_close);
  }
  void pause_reading() override {}
  void resume_reading() override {}
  void write(std::string data, WriteCallback done) override {
    written += data;
    if (done) loop_.defer([done] { done(ok()); });
  }
  std::size_t write_queue_bytes() const override { return 0; }
  void close() override { end(); }
  void abort() override {
    aborted = true;
    end();
  }
  bool is_closed() const override { return closed_; }
  std::string peer_address() const override { return "hand-fed"; }

  void feed(std::string_view data) { on_read_(data); }

  std::string written;
  bool aborted = false;

 private:
  void end() {
    if (closed_) return;
    closed_ = true;
    auto cb = std::move(on_close_);
    loop_.defer([cb] { cb(ok()); });
  }
  Loop& loop_;
  ReadCallback on_read_;
  CloseCallback on_close_;
  bool closed_ = false;
};

TEST_CASE("more buffered ciphertext than kMaxBufferedCiphertext ends the connection", "[unit]") {
  TestPki pki("Ward Device CA");
  Loop loop;
  auto inner = std::make_shared<HandFedStream>(loop);
  std::optional<Result<ByteStreamPtr>> result;
  handshake(loop, inner, must_context(testing::server_config(pki.server())),
            [&](Result<ByteStreamPtr> r) { result.emplace(std::move(r)); });
  inner->feed(std::string(kMaxBufferedCiphertext + 1, '\x16'));
  CHECK_FALSE(result.has_value());  // reported later, never inside the read
  REQUIRE(uv::testing::run_until(loop, [&] { return result.has_value(); }));
  REQUIRE_FALSE(result->ok());
  CHECK(result->error().message().find("more than 1 MiB") != std::string::npos);
  CHECK(inner->aborted);
  CHECK(inner->written.empty());
  finish(loop);
}

}  // namespace
}  // namespace ward::tls

namespace ward::tls {
namespace {

using namespace std::chrono_literals;
using namespace ward::tls::testing;

TEST_CASE("set_context swaps the certificate for new connections only", "[unit]") {
  TestPki pki("Ward Device CA");
  const Leaf first = pki.server();
  const Leaf second = pki.server();
  uv::Loop loop;
  {
    Server server(loop, must_context(testing::server_config(first)));
    auto client_ctx = must_context(testing::client_config(pki.ca_pem(), "controller.ward.test"));
    auto r1 = connect_and_wait(loop, server.port, client_ctx);
    WARD_REQUIRE_OK(r1);
    Client old_client(*r1);
    CHECK(old_client.stream->peer_certificate_der() == first.der);

    CHECK_FALSE(server.listener->set_context(nullptr).ok());
    CHECK_FALSE(server.listener->set_context(client_ctx).ok());  // not a server context
    WARD_REQUIRE_OK(server.listener->set_context(must_context(testing::server_config(second))));

    auto r2 = connect_and_wait(loop, server.port, client_ctx);
    WARD_REQUIRE_OK(r2);
    Client new_client(*r2);
    CHECK(new_client.stream->peer_certificate_der() == second.der);

    // The connection made before the swap still works, on its original context.
    old_client.stream->write("still here");
    REQUIRE(uv::testing::run_until(loop, [&] { return old_client.received == "still here"; }));
    new_client.stream->write("new");
    REQUIRE(uv::testing::run_until(loop, [&] { return new_client.received == "new"; }));
    old_client.stream->close();
    new_client.stream->close();
    REQUIRE(uv::testing::run_until(
        loop, [&] { return old_client.closed.has_value() && new_client.closed.has_value(); }));
    for (auto& s : server.streams)
      s->close();
    server.listener.reset();
  }
  finish(loop);
}

}  // namespace
}  // namespace ward::tls
