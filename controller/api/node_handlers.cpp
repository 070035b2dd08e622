// The node API (docs/protocol.md): enrollment, certificate renewal, posture reports.
#include <algorithm>
#include <charconv>
#include <string>
#include <vector>

#include "common/crypto/wg_key.hpp"
#include "common/crypto/x509.hpp"
#include "common/log/log.hpp"
#include "common/uv/address.hpp"
#include "controller/api/errors.hpp"
#include "controller/api/handlers.hpp"
#include "controller/api/netmap_hub.hpp"
#include "controller/api/password_check.hpp"
#include "controller/api/views.hpp"
#include "controller/identity/tokens.hpp"
#include "controller/store/settings.hpp"

namespace ward::controller {
namespace {

constexpr std::uint16_t kDefaultWgPort = 51820;

Result<std::string> allocate(store::Tx& tx, net::AddressAllocator& alloc) {
  // The allocator never repeats itself; the store is the authority on "ever handed out"
  // (a rolled-back enrollment leaves a gap, which is harmless).
  for (int i = 0; i < 4096; ++i) {
    WARD_ASSIGN_OR_RETURN(net::IpAddress ip, alloc.allocate());
    std::string text = ip.to_string();
    WARD_ASSIGN_OR_RETURN(bool used, tx.address_allocated(text));
    if (!used) return text;
  }
  return Error::unavailable("no free overlay address found in " + alloc.prefix().to_string());
}

Result<std::string> unique_device_name(store::Tx& tx, const std::string& base) {
  for (int i = 1; i <= 200; ++i) {
    std::string name = i == 1 ? base : base + "-" + std::to_string(i);
    auto d = tx.device_by_name(name);
    if (!d) {
      if (d.error().code() == ErrorCode::kNotFound) return name;
      return d.error();
    }
  }
  return Error::already_exists("too many devices named " + quote(base));
}

// The reported endpoints plus the one the controller sees: the client's source address
// with the device's WireGuard port.
std::string endpoints_json(const std::vector<std::string>& reported, const std::string& source,
                           std::optional<std::uint16_t> listen_port) {
  nlohmann::json list = nlohmann::json::array();
  for (const std::string& e : reported)
    list.push_back(e);
  std::uint16_t port = kDefaultWgPort;
  if (listen_port) {
    port = *listen_port;
  } else if (!reported.empty()) {
    if (auto a = uv::SocketAddress::parse(reported.front())) port = a->port();
  }
  if (auto seen = uv::SocketAddress::parse(source, port)) {
    const std::string text = seen->to_string();
    if (std::find(reported.begin(), reported.end(), text) == reported.end()) list.push_back(text);
  }
  return list.dump();
}

Result<crypto::Certificate> issue_device_cert(ApiContext& ctx, store::Tx& tx, std::int64_t id,
                                              const std::string& csr, store::Time now) {
  WARD_ASSIGN_OR_RETURN(
      std::chrono::seconds lifetime,
      store::seconds_setting(tx, store::kDeviceCertLifetime, ctx.config.device_cert_lifetime));
  crypto::IssueOptions opts;
  opts.common_name = device_public_id(id);
  opts.lifetime = lifetime;
  opts.usage = crypto::IssueOptions::Usage::kClient;
  opts.now = now;
  return crypto::issue_from_csr(ctx.ca, ctx.ca_key, csr, opts);
}

Status check_csr(const std::string& csr) {
  auto info = crypto::inspect_csr(csr);
  if (!info) return Error::invalid_argument("$.csr: " + info.error().message());
  return ok();
}

nlohmann::json overlay_json(const ApiContext& ctx) {
  return {{"v4", ctx.config.overlay_v4.to_string()}, {"v6", ctx.config.overlay_v6.to_string()}};
}

}  // namespace

namespace {

// The enrollment once the credential is known good or bad: consumes the key, or finishes
// the login (start != null), and creates the device, all in one transaction.
Result<http::Response> enroll_device(ApiContext& ctx, CallInfo& call, const EnrollRequest& req,
                                     const std::string& wg, const store::Bytes& key_hash,
                                     const LoginStart* start, bool password_matched) {
  const bool by_key = req.enroll_key.has_value();
  const std::string method = by_key ? "key" : "login";
  const Error bad_key =
      Error::unauthenticated("invalid, expired, revoked or used-up enrollment key");
  std::optional<http::Response> refusal;
  nlohmann::json answer;
  Status s = ctx.store.transaction([&](store::Tx& tx) -> Status {
    store::Device d;
    nlohmann::json details = {{"method", method}};
    if (by_key) {
      auto key = tx.consume_enrollment_key(key_hash, call.now);
      if (!key) {
        if (key.error().code() != ErrorCode::kUnauthenticated) return key.error();
        refusal = error_response(bad_key);
        details["reason"] = key.error().message();
        return audit_in(ctx, tx, call, "device.enroll", "key:unknown", audit::Outcome::kFailure,
                        details);
      }
      d.tags = key->tags;
      if (d.tags.empty()) d.user_id = key->created_by;
      if (!d.user_id && d.tags.empty()) {
        return Error::invalid_argument("this enrollment key has neither tags nor an owner");
      }
      d.status = key->preapproved ? store::DeviceStatus::kActive : store::DeviceStatus::kPending;
      details["key"] = key->id;
    } else {
      WARD_ASSIGN_OR_RETURN(
          LoginCheck check,
          finish_login(ctx, tx, call, *req.login, "device.enroll.login", *start, password_matched));
      if (!check.user) {
        refusal = login_refusal(check);
        return ok();  // commit the recorded failure
      }
      d.user_id = check.user->id;
      WARD_ASSIGN_OR_RETURN(bool approval,
                            store::bool_setting(tx, store::kRequireDeviceApproval, true));
      d.status = approval ? store::DeviceStatus::kPending : store::DeviceStatus::kActive;
      details["user"] = check.user->email;
    }
    auto existing = tx.device_by_public_key(wg);
    if (existing) return Error::already_exists("this WireGuard public key is already enrolled");
    if (existing.error().code() != ErrorCode::kNotFound) return existing.error();

    WARD_ASSIGN_OR_RETURN(d.name, unique_device_name(tx, device_name_from_hostname(req.hostname)));
    WARD_ASSIGN_OR_RETURN(d.overlay_v4, allocate(tx, ctx.alloc_v4));
    WARD_ASSIGN_OR_RETURN(d.overlay_v6, allocate(tx, ctx.alloc_v6));
    d.wg_public_key = wg;
    d.hostname = req.hostname;
    d.os = req.os_name;
    if (!req.os_version.empty()) d.os += " " + req.os_version;
    d.endpoints_json = endpoints_json(req.endpoints, call.source, req.listen_port);
    if (!req.os_kernel.empty())
      d.posture_json = nlohmann::json{{"node:kernel", req.os_kernel}}.dump();
    d.last_seen = call.now;
    WARD_ASSIGN_OR_RETURN(d.id, tx.create_device(d, call.now));
    WARD_ASSIGN_OR_RETURN(crypto::Certificate cert,
                          issue_device_cert(ctx, tx, d.id, req.csr, call.now));
    d.cert_serial = cert.serial_hex();
    d.cert_not_after = store::to_time(cert.not_after());
    WARD_RETURN_IF_ERROR(tx.update_device(d));
    call.device = d;
    call.changed_devices = {d.id};
    call.target = "device:" + device_public_id(d.id);
    details["name"] = d.name;
    details["status"] = std::string(store::device_status_name(d.status));
    details["addresses"] = device_addresses(d);
    details["cert_serial"] = d.cert_serial;
    WARD_RETURN_IF_ERROR(
        audit_in(ctx, tx, call, "device.enroll", call.target, audit::Outcome::kSuccess, details));
    answer = {{"device_id", device_public_id(d.id)},
              {"name", d.name},
              {"status", std::string(store::device_status_name(d.status))},
              {"addresses", device_addresses(d)},
              {"overlay", overlay_json(ctx)},
              {"certificate", cert.to_pem()},
              {"ca", ctx.ca.to_pem()},
              {"cert_not_after", format_time(*d.cert_not_after)}};
    return ok();
  });
  if (!s) {
    call.device.reset();
    if (!is_server_error(s.error().code())) {
      audit_alone(ctx, call, "device.enroll", "host:" + device_name_from_hostname(req.hostname),
                  audit::Outcome::kFailure,
                  {{"method", method}, {"error", std::string(error_code_name(s.error().code()))}});
    }
    return s.error();
  }
  if (refusal) return std::move(*refusal);
  return json_response(200, answer);
}

}  // namespace

Result<http::Response> handle_enroll(ApiContext& ctx, Call& call) {
  std::string body = call.body();
  auto parsed = parse_enroll(body);
  secure_wipe(body.data(), body.size());
  if (!parsed) return std::move(parsed).error();
  auto req = std::make_shared<EnrollRequest>(std::move(*parsed));
  WARD_RETURN_IF_ERROR(check_csr(req->csr));
  WARD_ASSIGN_OR_RETURN(crypto::WgPublicKey wg_key,
                        crypto::WgPublicKey::from_base64(req->wg_public_key));
  const std::string wg = wg_key.to_base64();
  if (req->enroll_key) {
    if (!identity::check_token_format(identity::TokenKind::kEnrollmentKey,
                                      req->enroll_key->reveal())) {
      audit_alone(ctx, call, "device.enroll", "key:unknown", audit::Outcome::kFailure,
                  {{"method", "key"}, {"reason", "malformed enrollment key"}});
      return Error::unauthenticated("invalid, expired, revoked or used-up enrollment key");
    }
    const store::Bytes key_hash = identity::token_hash(req->enroll_key->reveal());
    return enroll_device(ctx, call, *req, wg, key_hash, nullptr, false);
  }
  auto start = std::make_shared<LoginStart>();
  Status begun = ctx.store.transaction([&](store::Tx& tx) -> Status {
    WARD_ASSIGN_OR_RETURN(*start, begin_login(ctx, tx, call, *req->login, "device.enroll.login"));
    return ok();  // commit an audited refusal
  });
  if (!begun) return begun.error();
  if (!start->admitted()) return login_refusal(refused_login(*start));
  SecretString password = std::move(req->login->password);
  std::string encoded = start->password_hash;
  return check_password_then(ctx, call, std::move(password), std::move(encoded),
                             [req, start, wg](ApiContext& c, CallInfo& info, bool matched) {
                               return enroll_device(c, info, *req, wg, {}, start.get(), matched);
                             });
}

Result<http::Response> handle_renew(ApiContext& ctx, Call& call) {
  WARD_ASSIGN_OR_RETURN(RenewRequest req, parse_renew(call.body()));
  WARD_RETURN_IF_ERROR(check_csr(req.csr));
  call.target = "device:" + device_public_id(call.device->id);
  nlohmann::json answer;
  if (Status tx_status = ctx.store.transaction([&](store::Tx& tx) -> Status {
        WARD_ASSIGN_OR_RETURN(store::Device d, tx.device_by_id(call.device->id));
        if (d.cert_serial != call.device->cert_serial) {
          return Error::unauthenticated("client certificate was superseded by a newer one");
        }
        if (d.status != store::DeviceStatus::kActive) {
          return Error::permission_denied("device is " +
                                          std::string(store::device_status_name(d.status)) +
                                          "; only active devices may renew");
        }
        const std::string old_serial = d.cert_serial;
        WARD_ASSIGN_OR_RETURN(crypto::Certificate cert,
                              issue_device_cert(ctx, tx, d.id, req.csr, call.now));
        d.cert_serial = cert.serial_hex();
        d.cert_not_after = store::to_time(cert.not_after());
        d.last_seen = call.now;
        WARD_RETURN_IF_ERROR(tx.update_device(d));
        WARD_RETURN_IF_ERROR(
            audit_in(ctx, tx, call, "device.renew", call.target, audit::Outcome::kSuccess,
                     {{"old_serial", old_serial}, {"cert_serial", d.cert_serial}}));
        answer = {{"certificate", cert.to_pem()},
                  {"cert_not_after", format_time(*d.cert_not_after)}};
        return ok();
      });
      !tx_status)
    return tx_status.error();
  return json_response(200, answer);
}

Result<http::Response> handle_posture(ApiContext& ctx, Call& call) {
  WARD_ASSIGN_OR_RETURN(PostureRequest req, parse_posture(call.body()));
  call.target = "device:" + device_public_id(call.device->id);
  if (Status tx_status = ctx.store.transaction([&](store::Tx& tx) -> Status {
        WARD_ASSIGN_OR_RETURN(store::Device d, tx.device_by_id(call.device->id));
        if (d.status == store::DeviceStatus::kRevoked ||
            d.status == store::DeviceStatus::kExpired) {
          return Error::permission_denied("device is " +
                                          std::string(store::device_status_name(d.status)));
        }
        d.posture_json = req.facts.dump();
        d.endpoints_json = endpoints_json(req.endpoints, call.source, req.listen_port);
        d.last_seen = call.now;
        WARD_RETURN_IF_ERROR(tx.update_device(d));
        call.changed_devices = {d.id};
        return audit_in(
            ctx, tx, call, "device.posture", call.target, audit::Outcome::kSuccess,
            {{"facts", req.facts.size()}, {"endpoints", nlohmann::json::parse(d.endpoints_json)}});
      });
      !tx_status)
    return tx_status.error();
  return no_content();
}

namespace {

// One device's stream as the publisher sees it.
class StreamSink final : public publish::Sink {
 public:
  explicit StreamSink(std::shared_ptr<http::ResponseStream> stream) : stream_(std::move(stream)) {}
  bool send(std::string line) override { return stream_->send(std::move(line)); }
  void close() override { stream_->close(); }

 private:
  std::shared_ptr<http::ResponseStream> stream_;
};

Result<std::optional<std::uint64_t>> stream_serial(const Call& call) {
  auto text = call.http.request().query_param("serial");
  if (!text) return std::optional<std::uint64_t>();
  std::uint64_t n = 0;
  const char* end = text->data() + text->size();
  auto [ptr, ec] = std::from_chars(text->data(), end, n);
  if (text->empty() || ec != std::errc() || ptr != end || n < 1 || n > publish::kMaxSerial) {
    return Error::invalid_argument("query parameter serial: expected an integer 1.." +
                                   std::to_string(publish::kMaxSerial) + ", got " + quote(*text));
  }
  return std::optional<std::uint64_t>(n);
}

}  // namespace

// The device's netmap stream (docs/protocol.md, "The stream"): newline-delimited JSON,
// first the full map (or what the node missed since ?serial=N), then a message whenever
// the map changes, keepalives in between; a terminal message then the end for a revoked,
// quarantined or expired device.
Result<http::Response> handle_stream(ApiContext& ctx, Call& call) {
  if (ctx.netmaps == nullptr) return Error::unavailable("the netmap service is not running");
  WARD_ASSIGN_OR_RETURN(std::optional<std::uint64_t> serial, stream_serial(call));
  const std::string id = device_public_id(call.device->id);
  // Changes reported within the coalescing window are applied first, so the first
  // message is never older than what the store says.
  ctx.netmaps->flush(ctx.now());
  if (ctx.netmaps->compiler().device(id) == nullptr) {
    return Error::unavailable("this device is not in the policy inventory; see the controller log");
  }
  auto stream = call.http.start_stream(
      200, {{"Content-Type", "application/x-ndjson"}, {"Cache-Control", "no-store"}});
  auto sub = ctx.netmaps->subscribe(id, serial, std::make_shared<StreamSink>(stream), ctx.now());
  if (!sub) {
    ctx.log->error("stream for {} could not start: {}", id, sub.error().to_string());
    stream->close();
    return http::Response{};
  }
  if (*sub != publish::kClosedSubscription) {
    NetmapHub* hub = ctx.netmaps;
    const publish::SubscriptionId sid = *sub;
    stream->set_on_closed([hub, sid](const Status&) { hub->unsubscribe(sid); });
  }
  log::info(*ctx.log, "stream opened",
            {{"device", id}, {"serial", serial ? std::to_string(*serial) : std::string("none")}});
  return http::Response{};
}

}  // namespace ward::controller
