// ApiClient against a real HTTPS server on loopback (a fake controller on its own thread).
#include "controller/wardctl/api_client.hpp"

#include <future>
#include <mutex>
#include <thread>

#include <catch2/catch.hpp>

#include "common/http/server.hpp"
#include "common/tls/listener.hpp"
#include "common/tls/test_pki.hpp"
#include "common/uv/async.hpp"

namespace ward::wardctl {
namespace {

using tls::testing::TestPki;

class FakeController {
 public:
  explicit FakeController(const tls::testing::Leaf& leaf) : leaf_(leaf) {
    std::promise<std::uint16_t> ready;
    auto port = ready.get_future();
    thread_ = std::thread([this, &ready] { run(ready); });
    port_ = port.get();
  }
  ~FakeController() {
    stop_->send();
    thread_.join();
  }
  std::uint16_t port() const { return port_; }
  std::string last_authorization() {
    std::lock_guard<std::mutex> g(mu_);
    return authorization_;
  }

 private:
  void run(std::promise<std::uint16_t>& ready) {
    uv::Loop loop;
    {
      http::Server server(loop);
      const auto json = [](int status, std::string body) {
        return http::Response::json(status, body);
      };
      (void)server.route("GET", "/v1/admin/status", [this, json](http::RequestContext& c) {
        auto auth = c.request().headers.get("Authorization");
        {
          std::lock_guard<std::mutex> g(mu_);
          authorization_ = auth ? std::string(*auth) : "";
        }
        if (!auth || *auth != "Bearer wst_good") {
          return json(401, R"({"error":{"code":"unauthenticated","message":"invalid session"}})");
        }
        return json(200, R"({"version":"0.1.0","users":3})");
      });
      (void)server.route("POST", "/v1/admin/echo", [json](http::RequestContext& c) {
        return json(200, c.request().body.empty() ? "{}" : c.request().body);
      });
      (void)server.route("POST", "/v1/admin/logout", [](http::RequestContext&) {
        http::Response r;
        r.status = 204;
        return r;
      });
      (void)server.route("GET", "/v1/admin/users/{email}", [json](http::RequestContext& c) {
        return json(200, nlohmann::json{{"email", std::string(*c.param("email"))}}.dump());
      });
      (void)server.route("GET", "/v1/admin/conflict", [json](http::RequestContext&) {
        return json(409, R"({"error":{"code":"already_exists","message":"user \"a@h\" exists"}})");
      });
      (void)server.route("GET", "/v1/admin/locked", [json](http::RequestContext&) {
        auto r = json(429, R"({"error":{"code":"unavailable","message":"locked out"}})");
        r.headers.set("Retry-After", "60");
        return r;
      });
      (void)server.route("GET", "/v1/admin/html",
                         [](http::RequestContext&) { return http::Response::text(200, "<html>"); });
      (void)server.route("GET", "/v1/admin/export", [](http::RequestContext& c) {
        auto s = c.start_stream(200, {{"Content-Type", "application/x-ndjson"}});
        s->send("{\"seq\":1}\n");
        s->send("{\"seq\":2}\n");
        s->close();
        return http::Response{};
      });
      (void)server.route("GET", "/v1/admin/hang", [this](http::RequestContext& c) {
        hanging_.push_back(c.start_stream(200));
        return http::Response{};
      });
      tls::TlsConfig cfg = tls::testing::server_config(leaf_);
      auto ctx = tls::TlsContext::create(cfg);
      REQUIRE(ctx);
      auto listener = tls::TlsListener::listen(loop, "127.0.0.1", 0, *ctx,
                                               [&server](uv::ByteStreamPtr s) { server.serve(s); });
      REQUIRE(listener);
      uv::Async stop(loop, [&] {
        hanging_.clear();
        server.close();
        loop.stop();
      });
      stop_ = &stop;
      ready.set_value(listener->local_port());
      loop.run();
    }
    loop.run();
    (void)loop.close();
  }

  tls::testing::Leaf leaf_;
  std::thread thread_;
  std::uint16_t port_ = 0;
  uv::Async* stop_ = nullptr;
  std::mutex mu_;
  std::string authorization_;
  std::vector<std::shared_ptr<http::ResponseStream>> hanging_;
};

ControllerUrl url(const std::string& host, std::uint16_t port) {
  auto u = parse_controller_url("https://" + host + ":" + std::to_string(port));
  REQUIRE(u);
  return *u;
}

std::unique_ptr<ApiClient> client(const TestPki& pki, const std::string& host, std::uint16_t port,
                                  std::optional<std::string> token = std::nullopt,
                                  ApiOptions options = {}) {
  std::optional<SecretString> t;
  if (token) t = SecretString(*token);
  auto c = ApiClient::create(url(host, port), pki.ca_pem(), std::move(t), options);
  REQUIRE(c);
  return std::move(*c);
}

}  // namespace

TEST_CASE("ApiClient: JSON answers, bearer token, keep-alive calls, 204", "[unit]") {
  TestPki pki("wardctl-test-ca");
  FakeController server(pki.server());
  auto c = client(pki, "127.0.0.1", server.port(), "wst_good");
  auto status = c->call("GET", "/v1/admin/status");
  REQUIRE(status);
  CHECK((*status)["users"] == 3);
  CHECK(server.last_authorization() == "Bearer wst_good");

  const nlohmann::json body = {{"email", "a@h.example"}, {"n", 1}};
  auto echo = c->call("POST", "/v1/admin/echo", body);
  REQUIRE(echo);
  CHECK(*echo == body);

  auto user = c->call("GET", "/v1/admin/users/" + path_segment("a b%c@h.example"));
  REQUIRE(user);
  CHECK((*user)["email"] == "a b%c@h.example");

  CHECK(path_segment("a/b?c#d") == "a%2Fb%3Fc%23d");
  CHECK(path_segment("..") == "%2E%2E");
  CHECK(path_segment("ehr-1.tag_x@h") == "ehr-1.tag_x@h");

  auto out = c->call("POST", "/v1/admin/logout");
  REQUIRE(out);
  CHECK(out->is_null());
}

TEST_CASE("ApiClient: API errors become ward::Errors with the API's message", "[unit]") {
  TestPki pki("wardctl-test-ca");
  FakeController server(pki.server());
  auto with_token = client(pki, "127.0.0.1", server.port(), "wst_expired");
  auto r = with_token->call("GET", "/v1/admin/status");
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == ErrorCode::kUnauthenticated);
  CHECK(r.error().message().find("invalid session") != std::string::npos);
  CHECK(r.error().message().find("wardctl login") != std::string::npos);
  CHECK(r.error().message().find("wst_expired") == std::string::npos);

  auto c = client(pki, "127.0.0.1", server.port());
  auto conflict = c->call("GET", "/v1/admin/conflict");
  REQUIRE_FALSE(conflict);
  CHECK(conflict.error().code() == ErrorCode::kAlreadyExists);
  CHECK(conflict.error().message() == "user \"a@h\" exists");

  auto locked = c->call("GET", "/v1/admin/locked");
  REQUIRE_FALSE(locked);
  CHECK(locked.error().message() == "locked out (try again in 60 s)");

  auto html = c->call("GET", "/v1/admin/html");
  REQUIRE_FALSE(html);
  CHECK(html.error().code() == ErrorCode::kCorruption);

  auto missing = c->call("GET", "/v1/admin/nothing-here");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code() == ErrorCode::kNotFound);

  auto raw = c->call_raw("GET", "/v1/admin/conflict");
  REQUIRE(raw);
  CHECK(raw->status == 409);
  CHECK(raw->body["error"]["code"] == "already_exists");
}

TEST_CASE("ApiClient: downloads stream the body", "[unit]") {
  TestPki pki("wardctl-test-ca");
  FakeController server(pki.server());
  auto c = client(pki, "127.0.0.1", server.port());
  std::string got;
  auto s = c->download("/v1/admin/export", [&](std::string_view d) -> Status {
    got += d;
    return ok();
  });
  REQUIRE(s);
  CHECK(got == "{\"seq\":1}\n{\"seq\":2}\n");
  auto e = c->download("/v1/admin/conflict", [&](std::string_view) -> Status { return ok(); });
  REQUIRE_FALSE(e);
  CHECK(e.error().code() == ErrorCode::kAlreadyExists);
}

TEST_CASE("ApiClient: only the pinned CA and the right name are trusted", "[unit]") {
  TestPki pki("wardctl-test-ca");
  TestPki other("some-other-ca");
  FakeController server(pki.server());
  auto wrong_ca = client(other, "127.0.0.1", server.port());
  auto r = wrong_ca->call("GET", "/v1/admin/status");
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == ErrorCode::kUnauthenticated);
  CHECK(r.error().message().find("https://127.0.0.1:") != std::string::npos);

  // A certificate from the pinned CA for another name (here only ::1) is refused when the
  // client asked for 127.0.0.1. No host names: they depend on the machine's /etc/hosts.
  FakeController elsewhere(
      pki.issue("controller.ward.test", crypto::IssueOptions::Usage::kServer, {}, {"::1"}));
  auto wrong_name = client(pki, "127.0.0.1", elsewhere.port());
  auto n = wrong_name->call("GET", "/v1/admin/status");
  REQUIRE_FALSE(n);
  CHECK(n.error().code() == ErrorCode::kUnauthenticated);

  auto bad_pem = ApiClient::create(url("127.0.0.1", 1), "not a certificate", std::nullopt);
  CHECK_FALSE(bad_pem);
}

TEST_CASE("ApiClient: refused connections and silent servers fail as unavailable", "[unit]") {
  TestPki pki("wardctl-test-ca");
  std::uint16_t dead_port = 0;
  {
    FakeController server(pki.server());
    dead_port = server.port();
    auto c = client(pki, "127.0.0.1", server.port(), std::nullopt,
                    ApiOptions{.timeout = std::chrono::milliseconds(500)});
    auto r = c->call("GET", "/v1/admin/hang");
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == ErrorCode::kUnavailable);
  }
  auto c = client(pki, "127.0.0.1", dead_port);
  auto r = c->call("GET", "/v1/admin/status");
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == ErrorCode::kUnavailable);
}

}  // namespace ward::wardctl
