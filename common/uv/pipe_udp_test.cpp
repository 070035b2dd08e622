#include <optional>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "common/uv/address.hpp"
#include "common/uv/pipe.hpp"
#include "common/uv/testing.hpp"
#include "common/uv/udp.hpp"

namespace ward::uv {
namespace {

using namespace std::chrono_literals;

std::string temp_socket_path(const char* tag) {
  return "/tmp/ward-uv-test-" + std::to_string(::getpid()) + "-" + tag + ".sock";
}

TEST_CASE("unix socket echo, peer credentials, mode, and path cleanup", "[unit]") {
  const std::string path = temp_socket_path("echo");
  ::unlink(path.c_str());
  Loop loop;
  {
    ByteStreamPtr server_side;
    std::optional<Result<PeerCredentials>> creds;
    auto listener = PipeListener::listen(loop, path, [&](ByteStreamPtr s) {
      server_side = s;
      creds.emplace(static_cast<UnixStream&>(*s).peer_credentials());
      std::weak_ptr<ByteStream> weak = s;
      s->start(
          [weak](std::string_view d) {
            if (auto p = weak.lock()) p->write(std::string(d));
          },
          [](const Status&) {});
    });
    WARD_REQUIRE_OK(listener);
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);

    auto again = PipeListener::listen(loop, path, [](ByteStreamPtr) {});
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().code() == ErrorCode::kAlreadyExists);

    std::optional<Result<ByteStreamPtr>> conn;
    connect_pipe(loop, path, [&](Result<ByteStreamPtr> r) { conn.emplace(std::move(r)); });
    CHECK_FALSE(conn.has_value());
    REQUIRE(testing::run_until(loop, [&] { return conn.has_value(); }));
    WARD_REQUIRE_OK(*conn);
    ByteStreamPtr client = std::move(*conn).value();
    std::string echoed;
    std::optional<Status> why;
    client->start([&](std::string_view d) { echoed += d; }, [&](const Status& s) { why = s; });
    client->write("status?");
    REQUIRE(testing::run_until(loop, [&] { return echoed == "status?"; }));
    REQUIRE(creds.has_value());
    WARD_REQUIRE_OK(*creds);
    CHECK((*creds)->uid == ::getuid());
    CHECK((*creds)->pid == ::getpid());
    client->close();
    REQUIRE(testing::run_until(loop, [&] { return why.has_value(); }));
    WARD_REQUIRE_OK(*why);
  }
  REQUIRE(testing::run_to_completion(loop));
  WARD_REQUIRE_OK(close_and_check(loop));
  struct stat st {};
  CHECK(::stat(path.c_str(), &st) != 0);  // removed by the listener
}

TEST_CASE("connecting to a unix socket nobody listens on fails later", "[unit]") {
  Loop loop;
  std::optional<Result<ByteStreamPtr>> conn;
  connect_pipe(loop, temp_socket_path("nobody"),
               [&](Result<ByteStreamPtr> r) { conn.emplace(std::move(r)); });
  CHECK_FALSE(conn.has_value());
  REQUIRE(testing::run_to_completion(loop));
  REQUIRE(conn.has_value());
  REQUIRE_FALSE(conn->ok());
  CHECK(conn->error().code() == ErrorCode::kUnavailable);
  std::optional<Result<ByteStreamPtr>> bad;
  connect_pipe(loop, std::string(200, 'x'),
               [&](Result<ByteStreamPtr> r) { bad.emplace(std::move(r)); });
  REQUIRE(testing::run_to_completion(loop));
  REQUIRE(bad.has_value());
  CHECK(bad->error().code() == ErrorCode::kInvalidArgument);
  WARD_REQUIRE_OK(close_and_check(loop));
}

TEST_CASE("UDP datagrams round-trip on loopback", "[unit]") {
  Loop loop;
  {
    auto any = SocketAddress::parse("127.0.0.1", 0);
    WARD_REQUIRE_OK(any);
    std::vector<std::string> got_a;
    std::optional<SocketAddress> from_a;
    std::optional<Udp> b;
    auto a = Udp::bind(loop, *any, [&](std::string_view d, const SocketAddress& from) {
      got_a.emplace_back(d);
      from_a = from;
    });
    WARD_REQUIRE_OK(a);
    auto b_bound = Udp::bind(loop, *any, [&](std::string_view d, const SocketAddress& from) {
      b->send(from, "pong:" + std::string(d));  // reply to the sender
    });
    WARD_REQUIRE_OK(b_bound);
    b.emplace(std::move(b_bound).value());
    auto b_addr = b->local_address();
    WARD_REQUIRE_OK(b_addr);
    CHECK(b_addr->port() != 0);
    std::optional<Status> sent;
    a->send(*b_addr, "ping", [&](const Status& st) { sent = st; });
    CHECK_FALSE(sent.has_value());
    REQUIRE(testing::run_until(loop, [&] { return !got_a.empty(); }));
    REQUIRE(sent.has_value());
    WARD_REQUIRE_OK(*sent);
    CHECK(got_a == std::vector<std::string>{"pong:ping"});
    REQUIRE(from_a.has_value());
    CHECK(from_a->to_string() == b_addr->to_string());
  }
  REQUIRE(testing::run_to_completion(loop));
  WARD_REQUIRE_OK(close_and_check(loop));
}

TEST_CASE("SocketAddress parses and prints IPv4 and IPv6", "[unit]") {
  auto v4 = SocketAddress::parse("192.0.2.7:51820");
  WARD_REQUIRE_OK(v4);
  CHECK(v4->to_string() == "192.0.2.7:51820");
  CHECK(v4->port() == 51820);
  CHECK_FALSE(v4->is_loopback());
  auto v6 = SocketAddress::parse("[2001:db8::1]:443");
  WARD_REQUIRE_OK(v6);
  CHECK(v6->to_string() == "[2001:db8::1]:443");
  CHECK(v6->ip() == "2001:db8::1");
  auto lo = SocketAddress::parse("::1", 1);
  WARD_REQUIRE_OK(lo);
  CHECK(lo->is_loopback());
  for (const char* bad : {"", "1.2.3.4", "1.2.3.4:", "1.2.3.4:65536", "1.2.3.4:x", "::1:80",
                          "[::1]80", "[::1]:", "example.org:80", "1.2.3.4:-1", "256.1.1.1:1"}) {
    INFO(bad);
    auto r = SocketAddress::parse(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == ErrorCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace ward::uv
