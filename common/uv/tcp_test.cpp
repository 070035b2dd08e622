#include "common/uv/tcp.hpp"

#include <memory>
#include <netdb.h>
#include <netinet/in.h>
#include <optional>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include <catch2/catch.hpp>

#include "common/uv/testing.hpp"

namespace ward::uv {
namespace {

using namespace std::chrono_literals;

// A server that echoes every byte back and records what it saw.
struct EchoServer {
  explicit EchoServer(Loop& loop, std::string_view host = "127.0.0.1") {
    auto l = TcpListener::listen(loop, host, 0, [this](ByteStreamPtr s) { accepted(s); });
    REQUIRE(l.ok());
    listener.emplace(std::move(l).value());
  }
  void accepted(const ByteStreamPtr& s) {
    ++accepts;
    streams.push_back(s);
    std::weak_ptr<ByteStream> weak = s;
    s->start(
        [this, weak](std::string_view data) {
          received += data;
          if (auto p = weak.lock()) p->write(std::string(data));
        },
        [this](const Status& why) {
          ++closes;
          if (!why) close_errors.push_back(why.error());
        });
  }
  std::optional<TcpListener> listener;
  std::vector<ByteStreamPtr> streams;
  std::string received;
  int accepts = 0;
  int closes = 0;
  std::vector<Error> close_errors;
};

// Connects and returns the stream (REQUIREs success).
ByteStreamPtr connect_or_fail(Loop& loop, const std::string& host, std::uint16_t port) {
  std::optional<Result<ByteStreamPtr>> result;
  connect_tcp(loop, host, port, [&](Result<ByteStreamPtr> r) { result.emplace(std::move(r)); });
  REQUIRE_FALSE(result.has_value());  // never inside the call
  REQUIRE(testing::run_until(loop, [&] { return result.has_value(); }));
  WARD_REQUIRE_OK(*result);
  return std::move(*result).value();
}

TEST_CASE("TCP echo over loopback, then an orderly close on both ends", "[unit]") {
  Loop loop;
  std::weak_ptr<ByteStream> client_watch;
  std::weak_ptr<ByteStream> server_watch;
  {
    EchoServer server(loop);
    std::uint16_t port = server.listener->local_port();
    REQUIRE(port != 0);
    ByteStreamPtr client = connect_or_fail(loop, "127.0.0.1", port);
    CHECK(client->peer_address() == "127.0.0.1:" + std::to_string(port));
    std::string echoed;
    int client_closes = 0;
    std::optional<Status> client_why;
    client->start([&](std::string_view d) { echoed += d; },
                  [&](const Status& why) {
                    ++client_closes;
                    client_why = why;
                  });
    client->write("hello, ");
    client->write("ward");
    REQUIRE(testing::run_until(loop, [&] { return echoed == "hello, ward"; }));
    CHECK(server.received == "hello, ward");
    REQUIRE(server.streams.size() == 1);
    CHECK(server.streams[0]->peer_address().rfind("127.0.0.1:", 0) == 0);
    client->close();
    CHECK(client->is_closed());
    CHECK(client_closes == 0);  // never inside close()
    REQUIRE(testing::run_until(loop, [&] { return client_closes == 1 && server.closes == 1; }));
    REQUIRE(client_why.has_value());
    WARD_REQUIRE_OK(*client_why);
    CHECK(server.close_errors.empty());
    client_watch = client;
    server_watch = server.streams[0];
    server.streams.clear();
  }
  REQUIRE(testing::run_to_completion(loop));
  // Dropping all pointers after close frees the streams (ASan checks the memory).
  CHECK(client_watch.expired());
  CHECK(server_watch.expired());
  WARD_REQUIRE_OK(close_and_check(loop));
}

TEST_CASE("TCP echo over IPv6 loopback", "[unit]") {
  Loop loop;
  auto probe = TcpListener::listen(loop, "::1", 0, [](ByteStreamPtr) {});
  if (!probe) {
    WARN("no IPv6 loopback here: " << probe.error().to_string());
    WARD_REQUIRE_OK(close_and_check(loop));
    return;
  }
  { auto drop = std::move(probe).value(); }
  {
    EchoServer server(loop, "::1");
    ByteStreamPtr client = connect_or_fail(loop, "::1", server.listener->local_port());
    CHECK(client->peer_address().rfind("[::1]:", 0) == 0);
    std::string echoed;
    client->start([&](std::string_view d) { echoed += d; }, [](const Status&) {});
    client->write("six");
    REQUIRE(testing::run_until(loop, [&] { return echoed == "six"; }));
    client->close();
    REQUIRE(testing::run_until(loop, [&] { return server.closes == 1; }));
  }
  REQUIRE(testing::run_to_completion(loop));
  WARD_REQUIRE_OK(close_and_check(loop));
}

// Whether "localhost" resolves is the host's configuration (a minimal debootstrap root has
// no /etc/hosts), so the test asks the system resolver first and checks that connect_tcp
// agrees with it: a connection when the name resolves to loopback, kNotFound when not.
bool system_resolves_localhost_v4() {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const bool ok = getaddrinfo("localhost", nullptr, &hints, &res) == 0;
  if (res != nullptr) freeaddrinfo(res);
  return ok;
}

TEST_CASE("connect_tcp resolves a host name as the system resolver does", "[unit]") {
  Loop loop;
  if (system_resolves_localhost_v4()) {
    EchoServer server(loop);
    ByteStreamPtr client = connect_or_fail(loop, "localhost", server.listener->local_port());
    client->abort();
    // The server's callbacks point into `server`: wait for its stream to finish.
    REQUIRE(testing::run_until(loop, [&] { return server.closes == 1; }));
  } else {
    std::optional<Result<ByteStreamPtr>> got;
    connect_tcp(loop, "localhost", 9, [&](Result<ByteStreamPtr> r) { got = std::move(r); });
    REQUIRE(testing::run_until(loop, [&] { return got.has_value(); }));
    REQUIRE_FALSE(got->ok());
    CHECK(got->error().code() == ErrorCode::kNotFound);
  }
  REQUIRE(testing::run_to_completion(loop));
  WARD_REQUIRE_OK(close_and_check(loop));
}

TEST_CASE("write completion is never synchronous, and comes in order", "[unit]") {
  Loop loop;
  {
    EchoServer server(loop);
    ByteStreamPtr client = connect_or_fail(loop, "127.0.0.1", server.listener->local_port());
    client->start([](std::string_view) {}, [](const Status&) {});
    std::vector<int> done;
    bool returned = false;
    client->write("a", [&](const Status& st) {
      CHECK(returned);
      CHECK(st.ok());
      done.push_back(1);
    });
    client->write("", [&](const Status& st) {  // empty writes complete too, later
      CHECK(returned);
      CHECK(st.ok());
      done.push_back(2);
    });
    returned = true;
    CHECK(done.empty());
    REQUIRE(testing::run_until(loop, [&] { return done.size() == 2; }));
    CHECK(done == std::vector<int>{1, 2});

    // After close(): completions report kUnavailable, still never inside the call.
    client->close();
    std::optional<Status> late;
    client->write("late", [&](const Status& st) { late = st; });
    CHECK_FALSE(late.has_value());
    REQUIRE(testing::run_until(loop, [&] { return late.has_value(); }));
    REQUIRE_FALSE(late->ok());
    CHECK(late->error().code() == ErrorCode::kUnavailable);
    REQUIRE(testing::run_until(loop, [&] { return server.closes == 1; }));
  }
  REQUIRE(testing::run_to_completion(loop));
  WARD_REQUIRE_OK(close_and_check(loop));
}

TEST_CASE("closing and dropping a stream from inside its read callback is safe", "[unit]") {
  Loop loop;
  std::weak_ptr<ByteStream> server_watch;
  int server_closes = 0;
  {
    ByteStreamPtr held;
    auto listener = TcpListener::listen(loop, "127.0.0.1", 0, [&](ByteStreamPtr s) {
      held = s;
      server_watch = s;
      s->start(
          [&](std::string_view) {
            held->write("bye");
            held->close();
            held->close();  // idempotent
            held.reset();   // drop the last user reference inside the callback
          },
          [&](const Status& why) {
            CHECK(why.ok());
            ++server_closes;
          });
    });
    WARD_REQUIRE_OK(listener);
    ByteStreamPtr client = connect_or_fail(loop, "127.0.0.1", listener->local_port());
    std::string got;
    std::optional<Status> client_why;
    client->start([&](std::string_view d) { got += d; },
                  [&](const Status& why) { client_why = why; });
    client->write("hi");
    REQUIRE(testing::run_until(loop, [&] { return client_why.has_value(); }));
    CHECK(got == "bye");  // the reply queued before close() was flushed
    WARD_REQUIRE_OK(*client_why);
  }
  REQUIRE(testing::run_to_completion(loop));
  CHECK(server_closes == 1);
  CHECK(server_watch.expired());
  WARD_REQUIRE_OK(close_and_check(loop));
}

TEST_CASE("abort resets the connection; the peer sees an error, on_close runs once", "[unit]") {
  Loop loop;
  {
    EchoServer server(loop);
    ByteStreamPtr client = connect_or_fail(loop, "127.0.0.1", server.listener->local_port());
    int closes = 0;
    std::optional<Status> why;
    client->start([](std::string_view) {},
                  [&](const Status& st) {
                    ++closes;
                    why = st;
                  });
    std::optional<Status> pending;
    REQUIRE(testing::run_until(loop, [&] { return server.accepts == 1; }));
    client->write(std::string(1 << 20, 'x'), [&](const Status& st) { pending = st; });
    client->abort();
    client->abort();
    client->close();  // no effect after abort
    REQUIRE(testing::run_until(loop, [&] { return closes == 1 && server.closes == 1; }));
    REQUIRE(why.has_value());
    REQUIRE_FALSE(why->ok());
    CHECK(why->error().code() == ErrorCode::kUnavailable);
    CHECK(pending.has_value());  // ok if the kernel took it all before abort, else an error
    REQUIRE(server.close_errors.size() == 1);  // ECONNRESET, not an orderly end
    CHECK(server.close_errors[0].code() == ErrorCode::kUnavailable);
  }
  REQUIRE(testing::run_to_completion(loop));
  WARD_REQUIRE_OK(close_and_check(loop));
}

TEST_CASE("pause_reading holds data back until resume_reading", "[unit]") {
  Loop loop;
  {
    std::string got;
    ByteStreamPtr server_side;
    auto listener = TcpListener::listen(loop, "127.0.0.1", 0, [&](ByteStreamPtr s) {
      server_side = s;
      s->start([&](std::string_view d) { got += d; }, [](const Status&) {});
      s->pause_reading();
    });
    WARD_REQUIRE_OK(listener);
    ByteStreamPtr client = connect_or_fail(loop, "127.0.0.1", listener->local_port());
    client->start([](std::string_view) {}, [](const Status&) {});
    bool written = false;
    client->write("held back", [&](const Status&) { written = true; });
    REQUIRE(testing::run_until(loop, [&] { return written && server_side != nullptr; }));
    // Give the loop a few more turns: nothing may be delivered while paused.
    for (int i = 0; i < 5; ++i)
      loop.run_nowait();
    CHECK(got.empty());
    server_side->resume_reading();
    REQUIRE(testing::run_until(loop, [&] { return got == "held back"; }));
    client->close();
    server_side->close();
  }
  REQUIRE(testing::run_to_completion(loop));
  WARD_REQUIRE_OK(close_and_check(loop));
}

TEST_CASE("a large transfer arrives intact and write_queue_bytes drains", "[unit]") {
  Loop loop;
  {
    EchoServer server(loop);
    ByteStreamPtr client = connect_or_fail(loop, "127.0.0.1", server.listener->local_port());
    std::string payload(8 << 20, '\0');
    for (std::size_t i = 0; i < payload.size(); ++i) {
      payload[i] = static_cast<char>((i * 131) ^ (i >> 9));
    }
    std::string echoed;
    client->start([&](std::string_view d) { echoed += d; }, [](const Status&) {});
    client->write(payload);
    CHECK(client->write_queue_bytes() > 0);  // 8 MiB cannot all fit in the socket buffer
    REQUIRE(testing::run_until(loop, [&] { return echoed.size() >= payload.size(); }));
    CHECK(echoed == payload);
    CHECK(client->write_queue_bytes() == 0);
    client->close();
    REQUIRE(testing::run_until(loop, [&] { return server.closes == 1; }));
  }
  REQUIRE(testing::run_to_completion(loop));
  WARD_REQUIRE_OK(close_and_check(loop));
}

TEST_CASE("connecting to a port that was bound and closed fails fast", "[unit]") {
  Loop loop;
  std::uint16_t port = 0;
  {
    auto l = TcpListener::listen(loop, "127.0.0.1", 0, [](ByteStreamPtr) {});
    WARD_REQUIRE_OK(l);
    port = l->local_port();
  }
  REQUIRE(testing::run_to_completion(loop));
  int calls = 0;
  std::optional<Result<ByteStreamPtr>> result;
  connect_tcp(
      loop, "127.0.0.1", port,
      [&](Result<ByteStreamPtr> r) {
        ++calls;
        result.emplace(std::move(r));
      },
      2s);
  REQUIRE(testing::run_to_completion(loop));
  CHECK(calls == 1);
  REQUIRE(result.has_value());
  REQUIRE_FALSE(result->ok());
  CHECK(result->error().code() == ErrorCode::kUnavailable);
  CHECK(result->error().message().find("refused") != std::string::npos);
  WARD_REQUIRE_OK(close_and_check(loop));
}

TEST_CASE("connect_tcp times out when the peer never answers the handshake", "[unit]") {
  // A listening socket with a full accept queue: Linux drops further SYNs, so a connect
  // hangs until our timeout. Loopback only.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 0) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  std::uint16_t port = ntohs(addr.sin_port);

  Loop loop;
  std::vector<ByteStreamPtr> fillers;
  std::optional<Result<ByteStreamPtr>> result;
  // Fill the queue, then the one that must time out.
  for (int i = 0; i < 3 && !result; ++i) {
    std::optional<Result<ByteStreamPtr>> r;
    connect_tcp(
        loop, "127.0.0.1", port, [&](Result<ByteStreamPtr> x) { r.emplace(std::move(x)); }, 400ms);
    REQUIRE(testing::run_until(loop, [&] { return r.has_value(); }));
    if (r->ok()) {
      fillers.push_back(std::move(*r).value());
    } else {
      result = std::move(r);
    }
  }
  REQUIRE(result.has_value());
  REQUIRE_FALSE(result->ok());
  CHECK(result->error().code() == ErrorCode::kUnavailable);
  CHECK(result->error().message().find("timed out after 400 ms") != std::string::npos);
  for (auto& s : fillers)
    s->abort();
  fillers.clear();
  REQUIRE(testing::run_to_completion(loop));
  WARD_REQUIRE_OK(close_and_check(loop));
  ::close(fd);
}

TEST_CASE("bad listen and connect arguments are errors, reported later", "[unit]") {
  Loop loop;
  auto bad = TcpListener::listen(loop, "not-an-ip", 0, [](ByteStreamPtr) {});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code() == ErrorCode::kInvalidArgument);
  {
    auto first = TcpListener::listen(loop, "127.0.0.1", 0, [](ByteStreamPtr) {});
    WARD_REQUIRE_OK(first);
    auto second = TcpListener::listen(loop, "127.0.0.1", first->local_port(), [](ByteStreamPtr) {});
    REQUIRE_FALSE(second.ok());
    CHECK(second.error().code() == ErrorCode::kIo);
  }
  std::optional<Result<ByteStreamPtr>> result;
  connect_tcp(loop, "", 1, [&](Result<ByteStreamPtr> r) { result.emplace(std::move(r)); });
  CHECK_FALSE(result.has_value());
  REQUIRE(testing::run_to_completion(loop));
  REQUIRE(result.has_value());
  CHECK(result->error().code() == ErrorCode::kInvalidArgument);
  WARD_REQUIRE_OK(close_and_check(loop));
}

TEST_CASE("closing the loop with a stream still open closes it and reports the leak", "[unit]") {
  std::weak_ptr<ByteStream> watch;
  std::optional<Status> why;
  {
    Loop loop;
    EchoServer server(loop);
    ByteStreamPtr client = connect_or_fail(loop, "127.0.0.1", server.listener->local_port());
    client->start([](std::string_view) {}, [&](const Status& st) { why = st; });
    REQUIRE(testing::run_until(loop, [&] { return server.accepts == 1; }));
    watch = client;
    client.reset();
    server.streams.clear();
    Status st = close_and_check(loop);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message().find("tcp") != std::string::npos);
  }
  REQUIRE(why.has_value());
  CHECK_FALSE(why->ok());
  CHECK(watch.expired());
}

}  // namespace
}  // namespace ward::uv
