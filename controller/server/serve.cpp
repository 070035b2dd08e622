#include "controller/server/serve.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <csignal>
#include <memory>
#include <optional>

#include "common/http/server.hpp"
#include "common/log/log.hpp"
#include "common/tls/context.hpp"
#include "common/tls/listener.hpp"
#include "common/uv/address.hpp"
#include "common/uv/loop.hpp"
#include "common/uv/signal.hpp"
#include "common/uv/timer.hpp"
#include "common/uv/work_queue.hpp"
#include "controller/api/api.hpp"
#include "controller/api/errors.hpp"
#include "controller/api/models.hpp"
#include "controller/api/netmap_hub.hpp"
#include "controller/api/views.hpp"
#include "controller/server/data_dir.hpp"
#include "controller/server/server_cert.hpp"

namespace ward::controller {
namespace {

void audit_system(ApiContext& ctx, std::string_view action, nlohmann::json details,
                  bool checkpoint) {
  Status s = ctx.store.transaction([&](store::Tx& tx) -> Status {
    audit::Event e{audit::Actor::system(),   "",
                   std::string(action),      "controller",
                   audit::Outcome::kSuccess, std::move(details)};
    WARD_RETURN_IF_ERROR(ctx.audit.append(tx, e, ctx.now()));
    if (checkpoint) WARD_RETURN_IF_ERROR(ctx.audit.checkpoint(tx, ctx.now()));
    return ok();
  });
  if (!s) ctx.log->error("could not audit {}: {}", action, s.error().to_string());
}

// The serial floor for this run (publisher.hpp, "Serials"): above every serial a node may
// hold from an earlier run, even if the clock was stepped back.
Result<std::uint64_t> serial_floor(store::Store& store, store::Time now) {
  std::uint64_t persisted = 0;
  WARD_RETURN_IF_ERROR(store.read([&](store::Tx& tx) -> Status {
    WARD_ASSIGN_OR_RETURN(std::optional<std::string> v, tx.setting(setting::kStreamHighWater));
    if (v) {
      auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), persisted);
      if (ec != std::errc() || ptr != v->data() + v->size()) {
        return Error::corruption("setting " + std::string(setting::kStreamHighWater) +
                                 " is not a number: " + quote(*v));
      }
    }
    return ok();
  }));
  const auto ms = static_cast<std::uint64_t>(std::max<std::int64_t>(0, store::time_to_ms(now)));
  return std::max(persisted, ms);
}

void persist_high_water(ApiContext& ctx, const NetmapHub& hub) {
  Status s = ctx.store.transaction([&](store::Tx& tx) -> Status {
    return tx.set_setting(setting::kStreamHighWater, std::to_string(hub.high_water()), ctx.now());
  });
  if (!s) ctx.log->warn("could not persist the stream serial: {}", s.error().to_string());
}

Result<std::shared_ptr<tls::TlsContext>> server_tls_context(const std::string& cert_pem,
                                                            const SecretString& key_pem,
                                                            const std::string& ca_pem) {
  tls::TlsConfig tls_config;
  tls_config.role = tls::Role::kServer;
  tls_config.cert_pem = cert_pem;
  tls_config.key_pem = key_pem;
  tls_config.ca_pem = ca_pem;
  // One port for both APIs: a client certificate is asked for but optional, and each
  // route decides (authz.hpp). A presented certificate that does not chain to the
  // controller CA fails the handshake.
  tls_config.client_auth = tls::ClientAuth::kOptional;
  return tls::TlsContext::create(tls_config);
}

void log_renewal(spdlog::logger& lg, const RenewedServerCert& r) {
  log::info(lg, "server certificate renewed",
            {{"serial", r.serial},
             {"not_after", format_time(store::to_time(r.not_after))},
             {"reason", r.reason}});
}

// Password checks: two at a time (argon2id uses 64 MiB and one core each); a backlog
// beyond 32 is refused with 503 so that no queued login outlives the HTTP request
// timeout (32 x ~0.2 s / 2 = ~3 s).
constexpr uv::WorkQueueOptions kPasswordWork{.max_running = 2, .max_queued = 32};

}  // namespace

Status run_serve(const ServeOptions& options) {
  WARD_ASSIGN_OR_RETURN(log::Level level, log::parse_level(options.log_level));
  WARD_ASSIGN_OR_RETURN(log::Format format, log::parse_format(options.log_format));
  WARD_RETURN_IF_ERROR(log::init({.level = level, .format = format}));
  auto lg = log::logger("controller");

  WARD_ASSIGN_OR_RETURN(LoadedController loaded, load_controller(options.data_dir));
  const std::string listen = options.listen.empty() ? loaded.listen : options.listen;
  WARD_ASSIGN_OR_RETURN(uv::SocketAddress addr, uv::SocketAddress::parse(listen));

  auto clock = [] { return store::to_time(std::chrono::system_clock::now()); };
  WARD_ASSIGN_OR_RETURN(std::unique_ptr<ApiContext> ctx,
                        ApiContext::create(*loaded.store, *loaded.audit, *loaded.ca, *loaded.ca_key,
                                           loaded.master_key, loaded.config, clock));

  // The live policy: compiled from the store before the first request is served.
  WARD_ASSIGN_OR_RETURN(std::uint64_t floor, serial_floor(*loaded.store, ctx->now()));
  NetmapHubOptions hub_options;
  hub_options.overlay = {loaded.config.overlay_v4, loaded.config.overlay_v6};
  hub_options.serial_floor = floor;
  WARD_ASSIGN_OR_RETURN(std::unique_ptr<NetmapHub> hub,
                        NetmapHub::create(*loaded.store, hub_options, ctx->now(), lg));
  ctx->netmaps = hub.get();

  RenewPolicy renew_policy;
  renew_policy.names = options.names;
  LoadedController* ld = &loaded;
  auto renew_if_due = [ld, &renew_policy] {
    return renew_server_cert_if_due(*ld->store, *ld->audit, *ld->ca, *ld->ca_key, ld->master_key,
                                    renew_policy, std::chrono::system_clock::now());
  };
  std::string server_cert_pem = loaded.server_cert_pem;
  SecretString server_key_pem = loaded.server_key_pem;
  {
    auto renewed = renew_if_due();
    if (!renewed) return renewed.error().context("renewing the server certificate");
    if (*renewed) {
      log_renewal(*lg, **renewed);
      server_cert_pem = (*renewed)->cert_pem;
      server_key_pem = (*renewed)->key_pem;
    }
  }
  const std::string ca_pem = loaded.ca->to_pem();
  WARD_ASSIGN_OR_RETURN(std::shared_ptr<tls::TlsContext> tls_ctx,
                        server_tls_context(server_cert_pem, server_key_pem, ca_pem));
  server_key_pem.clear();

  uv::Loop loop;
  std::optional<uv::WorkQueue> password_work(std::in_place, loop, kPasswordWork);
  ctx->password_work = &*password_work;
  http::ServerOptions server_options;
  server_options.limits.max_body_bytes = kMaxServerBodyBytes;
  server_options.log_error = [lg](std::string_view m) {
    log::error(*lg, "http server", {{"problem", m}});
  };
  // Answers the HTTP layer gives by itself (unknown path, wrong method, malformed or
  // oversized request, timeout, overload) keep the API's JSON error shape too.
  server_options.error_response = [](int status) {
    std::string what(http::reason_phrase(status));
    for (char& c : what)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    ErrorCode code = ErrorCode::kInvalidArgument;
    if (status == 404) code = ErrorCode::kNotFound;
    if (status == 408 || status == 503) code = ErrorCode::kUnavailable;
    if (status >= 500 && status != 503) code = ErrorCode::kInternal;
    return error_response(Error(code, what), status);
  };
  auto server = std::make_unique<http::Server>(loop, server_options);
  Api api(*ctx);
  WARD_RETURN_IF_ERROR(api.install(*server));

  auto listener = tls::TlsListener::listen(
      loop, addr.ip(), addr.port(), tls_ctx,
      [&server](uv::ByteStreamPtr s) {
        if (server) server->serve(std::move(s));
      },
      [lg](const Error& e, const std::string& peer) {
        log::info(*lg, "tls handshake refused", {{"peer", peer}, {"reason", e.message()}});
      });
  if (!listener) return listener.error().context("listening on " + listen);
  std::optional<tls::TlsListener> tls_listener(std::move(*listener));
  const std::uint16_t port = tls_listener->local_port();
  log::info(*lg, "listening", {{"address", addr.ip()}, {"port", port}});
  audit_system(*ctx, "controller.start", {{"listen", addr.ip() + ":" + std::to_string(port)}},
               false);

  // Expired and revoked sessions are deleted after a day (kept that long for forensics).
  std::optional<uv::Timer> sweeper(std::in_place, loop);
  sweeper->set_keeps_loop_alive(false);
  sweeper->start(std::chrono::minutes(1), std::chrono::minutes(30), [&ctx, lg] {
    Status s = ctx->store.transaction([&](store::Tx& tx) -> Status {
      return tx.delete_stale_sessions(ctx->now() - std::chrono::hours(24)).ok()
                 ? ok()
                 : Status(Error::unavailable("could not delete stale sessions"));
    });
    if (!s) log::warn(*lg, "session sweep failed", {{"problem", s.error().message()}});
  });
  // The server certificate is renewed before it expires; new connections get the new one.
  std::optional<uv::Timer> cert_timer(std::in_place, loop);
  cert_timer->set_keeps_loop_alive(false);
  cert_timer->start(options.server_cert_check_interval, options.server_cert_check_interval, [&] {
    auto renewed = renew_if_due();
    if (!renewed) {
      log::warn(*lg, "server certificate renewal failed; will retry",
                {{"problem", renewed.error().message()}});
      return;
    }
    if (!*renewed || !tls_listener) return;
    auto fresh = server_tls_context((*renewed)->cert_pem, (*renewed)->key_pem, ca_pem);
    if (!fresh) {
      log::error(*lg, "renewed server certificate unusable; keeping the old one",
                 {{"problem", fresh.error().message()}});
      return;
    }
    if (Status swapped = tls_listener->set_context(*fresh); !swapped) {
      log::error(*lg, "could not switch to the renewed server certificate",
                 {{"problem", swapped.error().message()}});
      return;
    }
    log_renewal(*lg, **renewed);
  });
  // One timer drives the netmap publisher: coalesced flushes, rule expiry, keepalives.
  std::optional<uv::Timer> publish_timer(std::in_place, loop);
  publish_timer->set_keeps_loop_alive(false);
  hub->set_scheduler([&](std::optional<NetmapHub::Time> when) {
    if (!publish_timer) return;
    if (!when) {
      publish_timer->stop();
      return;
    }
    const auto delay = std::max(std::chrono::milliseconds(0), *when - ctx->now());
    publish_timer->start(delay, [&] { hub->tick(ctx->now()); });
  });
  // The serial high-water mark is persisted every minute and at shutdown.
  std::optional<uv::Timer> high_water_timer(std::in_place, loop);
  high_water_timer->set_keeps_loop_alive(false);
  high_water_timer->start(std::chrono::minutes(1), std::chrono::minutes(1),
                          [&] { persist_high_water(*ctx, *hub); });

  std::optional<uv::Signal> sigterm(std::in_place, loop);
  std::optional<uv::Signal> sigint(std::in_place, loop);
  bool stopping = false;
  auto stop = [&](int signum) {
    if (stopping) return;
    stopping = true;
    log::info(*lg, "stopping", {{"signal", signum}});
    tls_listener.reset();  // stop accepting
    server->close();       // close connections after their queued bytes
    sigterm->stop();
    sigint->stop();
    sweeper->stop();
    high_water_timer->stop();
    cert_timer->stop();
  };
  WARD_RETURN_IF_ERROR(sigterm->start(SIGTERM, stop));
  WARD_RETURN_IF_ERROR(sigint->start(SIGINT, stop));
  loop.run();  // returns once in-flight password checks have finished too
  server.reset();
  ctx->password_work = nullptr;
  password_work.reset();
  cert_timer.reset();
  persist_high_water(*ctx, *hub);
  hub->set_scheduler(nullptr);
  publish_timer.reset();
  high_water_timer.reset();
  sigterm.reset();
  sigint.reset();
  sweeper.reset();
  audit_system(*ctx, "controller.stop", nlohmann::json::object(), true);
  if (Status s = loop.close(); !s)
    log::warn(*lg, "loop closed with open handles", {{"problem", s.error().message()}});
  ctx.reset();
  hub.reset();
  loaded.store.reset();  // closes the database cleanly
  log::info(*lg, "stopped");
  return ok();
}

}  // namespace ward::controller
