#include "controller/wardctl/api_client.hpp"

#include <utility>

#include "common/http/client.hpp"
#include "common/json/parse.hpp"
#include "common/tls/context.hpp"
#include "common/tls/listener.hpp"
#include "common/uv/loop.hpp"
#include "controller/wardctl/api_error.hpp"

namespace ward::wardctl {

struct ApiClient::Impl {
  uv::Loop loop;
  std::shared_ptr<tls::TlsContext> ctx;
  std::unique_ptr<http::Client> client;
  ApiOptions options;

  // Runs the loop until done() or nothing is left to run.
  void run_until(const std::function<bool()>& done) {
    while (!done()) {
      if (!loop.run_once() && !done()) break;
    }
  }

  ~Impl() {
    client.reset();
    loop.run();
    (void)loop.close();
  }
};

ApiClient::ApiClient(ControllerUrl url, std::optional<SecretString> token,
                     std::unique_ptr<Impl> impl)
    : url_(std::move(url)), token_(std::move(token)), impl_(std::move(impl)) {}

ApiClient::~ApiClient() = default;

Result<std::unique_ptr<ApiClient>> ApiClient::create(ControllerUrl url, std::string ca_pem,
                                                     std::optional<SecretString> token,
                                                     ApiOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  tls::TlsConfig cfg;
  cfg.role = tls::Role::kClient;
  cfg.ca_pem = std::move(ca_pem);
  cfg.server_name = url.host;
  auto ctx = tls::TlsContext::create(cfg);
  if (!ctx) return ctx.error().context("CA certificate");
  impl->ctx = std::move(*ctx);
  uv::Loop* loop = &impl->loop;
  auto tls_ctx = impl->ctx;
  const std::string host = url.host;
  const std::uint16_t port = url.port;
  const auto timeout = options.timeout;
  http::ClientOptions copts;
  copts.host = url.host.find(':') != std::string::npos
                   ? "[" + url.host + "]:" + std::to_string(url.port)
                   : url.host + ":" + std::to_string(url.port);
  copts.response_timeout = options.timeout;
  impl->client = std::make_unique<http::Client>(
      impl->loop,
      [loop, tls_ctx, host, port, timeout](http::Client::ConnectDone done) {
        tls::ConnectTlsOptions o;
        o.connect_timeout = timeout;
        o.handshake_timeout = timeout;
        o.server_name = host;
        tls::connect_tls(*loop, host, port, tls_ctx, std::move(done), o);
      },
      copts);
  return std::unique_ptr<ApiClient>(
      new ApiClient(std::move(url), std::move(token), std::move(impl)));
}

namespace {

http::Request make_request(std::string_view method, std::string_view path,
                           const std::optional<SecretString>& token, const std::string* body) {
  http::Request req;
  req.method = std::string(method);
  req.target = std::string(path);
  req.headers.set("Accept", "application/json");
  req.headers.set("User-Agent", "wardctl/" WARD_VERSION);
  if (token) req.headers.set("Authorization", "Bearer " + std::string(token->reveal()));
  if (body != nullptr) {
    req.headers.set("Content-Type", "application/json");
    req.body = *body;
  } else if (method == "POST" || method == "PUT") {
    req.headers.set("Content-Type", "application/json");
  }
  return req;
}

}  // namespace

Result<ApiResponse> ApiClient::call_raw(std::string_view method, std::string_view path,
                                        const std::string* body) {
  std::optional<Result<http::Response>> result;
  impl_->client->send(make_request(method, path, token_, body),
                      [&result](Result<http::Response> r) { result.emplace(std::move(r)); });
  impl_->run_until([&] { return result.has_value(); });
  if (!result) return Error::internal("the request to " + url_.canonical + " never completed");
  if (!*result) {
    return result->error().context("talking to the controller at " + url_.canonical);
  }
  http::Response& resp = **result;
  ApiResponse out;
  out.status = resp.status;
  out.raw = std::move(resp.body);
  if (auto ra = resp.headers.get("Retry-After")) out.retry_after = std::string(*ra);
  if (!out.raw.empty()) {
    auto doc = json::parse(out.raw, {.max_bytes = 16 * 1024 * 1024, .max_depth = 64});
    if (doc) {
      out.body = std::move(*doc);
    } else if (resp.status >= 200 && resp.status < 300) {
      return Error::corruption("the controller's answer to " + std::string(method) + " " +
                               terminal_safe(path, 200) + " is not JSON: " + doc.error().message());
    }
  }
  return out;
}

Result<nlohmann::json> ApiClient::call(std::string_view method, std::string_view path,
                                       const std::string* body) {
  auto r = call_raw(method, path, body);
  if (!r) return std::move(r).error();
  if (r->status >= 200 && r->status < 300) return std::move(r->body);
  Error e = error_from_response(
      r->status, r->raw,
      r->retry_after ? std::optional<std::string_view>(*r->retry_after) : std::nullopt);
  if (r->status == 401 && token_) {
    return Error(e.code(), e.message() +
                               "; the session has expired or was revoked: run "
                               "`wardctl login`");
  }
  return e;
}

Result<nlohmann::json> ApiClient::call(std::string_view method, std::string_view path,
                                       const nlohmann::json& body) {
  std::string text = body.dump();
  auto r = call(method, path, &text);
  secure_wipe(text.data(), text.size());
  return r;
}

Status ApiClient::download(std::string_view path,
                           const std::function<Status(std::string_view)>& sink) {
  std::optional<Status> end;
  int status = 0;
  std::string error_body;
  std::optional<Status> sink_error;
  impl_->client->stream(make_request("GET", path, token_, nullptr),
                        {.on_response = [&](const http::Response& head) { status = head.status; },
                         .on_data =
                             [&](std::string_view data) {
                               if (status >= 200 && status < 300) {
                                 if (sink_error) return;
                                 Status s = sink(data);
                                 if (!s) {
                                   sink_error = s;
                                   impl_->client->close();
                                 }
                               } else if (error_body.size() < 64 * 1024) {
                                 error_body.append(data.substr(0, 64 * 1024 - error_body.size()));
                               }
                             },
                         .on_end = [&](const Status& why) { end = why; }});
  impl_->run_until([&] { return end.has_value(); });
  if (sink_error) return *sink_error;
  if (!end) return Error::internal("the download from " + url_.canonical + " never completed");
  if (status != 0 && (status < 200 || status >= 300)) {
    return error_from_response(status, error_body);
  }
  if (!*end) return end->error().context("downloading from " + url_.canonical);
  return ok();
}

std::string path_segment(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~' || c == '@' || c == ':' || c == '+') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  if (out == "." || out == "..") return out == "." ? "%2E" : "%2E%2E";
  return out;
}

void wipe_json(nlohmann::json& j) {
  if (j.is_string()) {
    auto& s = j.get_ref<std::string&>();
    secure_wipe(s.data(), s.size());
  } else if (j.is_structured()) {
    for (auto& v : j)
      wipe_json(v);
  }
}

}  // namespace ward::wardctl
