#include "node/control/controller_client.hpp"

#include <charconv>

#include "common/base/error.hpp"
#include "common/tls/listener.hpp"

namespace ward::node::control {

Result<ControllerUrl> ControllerUrl::parse(std::string_view text) {
  auto bad = [&](std::string why) {
    return Error::invalid_argument("controller URL " + quote(text) + ": " + why +
                                   "; expected https://HOST[:PORT]");
  };
  constexpr std::string_view kScheme = "https://";
  if (!text.starts_with(kScheme)) return bad("not https");
  std::string_view rest = text.substr(kScheme.size());
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.empty()) return bad("no host");
  if (rest.find_first_of("/?#@ ") != std::string_view::npos) return bad("unexpected path or user");
  ControllerUrl url;
  std::string_view port_text;
  bool has_port = false;
  if (rest.front() == '[') {
    std::size_t close = rest.find(']');
    if (close == std::string_view::npos) return bad("unterminated IPv6 literal");
    url.host = std::string(rest.substr(1, close - 1));
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("junk after IPv6 literal");
      port_text = after.substr(1);
      has_port = true;
    }
  } else {
    std::size_t colon = rest.find(':');
    url.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = rest.substr(colon + 1);
      has_port = true;
    }
  }
  if (url.host.empty() || url.host.size() > 253) return bad("bad host");
  if (has_port) {
    unsigned port = 0;
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc{} || p != port_text.data() + port_text.size() ||
        port == 0 || port > 65535)
      return bad("bad port");
    url.port = static_cast<std::uint16_t>(port);
  }
  return url;
}

std::string ControllerUrl::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return "https://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<std::unique_ptr<ControllerClient>> ControllerClient::create(uv::Loop& loop,
                                                                   ControllerUrl url,
                                                                   const std::string& ca_pem,
                                                                   const std::string& cert_pem,
                                                                   const SecretString& key_pem) {
  tls::TlsConfig cfg;
  cfg.role = tls::Role::kClient;
  cfg.ca_pem = ca_pem;
  cfg.cert_pem = cert_pem;
  cfg.key_pem = key_pem;
  cfg.server_name = url.host;
  WARD_ASSIGN_OR_RETURN(auto ctx, tls::TlsContext::create(cfg));
  return std::unique_ptr<ControllerClient>(
      new ControllerClient(loop, std::move(url), std::move(ctx)));
}

ControllerClient::ControllerClient(uv::Loop& loop, ControllerUrl url,
                                   std::shared_ptr<tls::TlsContext> ctx)
    : loop_(loop), url_(std::move(url)), ctx_(std::move(ctx)) {
  http::ClientOptions opts;
  opts.host = url_.host;
  opts.response_timeout = std::chrono::seconds(30);
  requests_ = std::make_unique<http::Client>(loop_, connector(), opts);
  http::ClientOptions sopts = opts;
  // Keepalives come every 25 s on an idle stream; 75 s of silence means it is dead.
  sopts.stream_idle_timeout = std::chrono::seconds(75);
  stream_ = std::make_unique<http::Client>(loop_, connector(), sopts);
}

ControllerClient::~ControllerClient() = default;

http::Client::ConnectFn ControllerClient::connector() {
  return [loop = &loop_, host = url_.host, port = url_.port, ctx = ctx_](auto done) {
    tls::connect_tls(*loop, host, port, ctx, std::move(done));
  };
}

void ControllerClient::post(std::string target, std::string body, ResponseCallback cb) {
  http::Request req;
  req.method = "POST";
  req.target = std::move(target);
  req.headers.set("Content-Type", "application/json");
  req.body = std::move(body);
  requests_->send(std::move(req), std::move(cb));
}

void ControllerClient::post_secret(std::string target, const SecretString& body,
                                   ResponseCallback cb) {
  post(std::move(target), std::string(body.reveal()), std::move(cb));
}

void ControllerClient::stream(std::string target, http::Client::StreamCallbacks callbacks) {
  http::Request req;
  req.method = "GET";
  req.target = std::move(target);
  stream_->stream(std::move(req), std::move(callbacks));
}

void ControllerClient::close_stream() {
  stream_->close();
}

}  // namespace ward::node::control
