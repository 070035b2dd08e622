#include "node/daemon/daemon.hpp"

#include <chrono>
#include <ctime>
#include <random>
#include <signal.h>
#include <unistd.h>

#include "common/base/error.hpp"
#include "common/crypto/random.hpp"
#include "common/crypto/x509.hpp"
#include "common/log/log.hpp"
#include "common/uv/loop.hpp"
#include "common/uv/signal.hpp"
#include "common/uv/timer.hpp"
#include "node/control/backoff.hpp"
#include "node/control/control_core.hpp"
#include "node/control/controller_client.hpp"
#include "node/control/line_splitter.hpp"
#include "node/control/renewal.hpp"
#include "node/daemon/builtin_engine.hpp"
#include "node/daemon/control_socket.hpp"
#include "node/daemon/link.hpp"
#include "node/daemon/state_dir.hpp"
#include "node/filter/nft_backend.hpp"
#include "node/netlink/kernel_backend.hpp"
#include "node/netlink/rtnl.hpp"
#include "node/posture/nft_tables.hpp"
#include "node/posture/posture.hpp"
#include "node/posture/schedule.hpp"
#include "node/reconcile/desired.hpp"
#include "node/reconcile/keepalive_stagger.hpp"
#include "node/reconcile/reconciler.hpp"
#include "node/uapi/client.hpp"
#include "node/uapi/supervisor.hpp"

namespace ward::node::daemon {
namespace {

using SysClock = std::chrono::system_clock;
using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::string_view kIfaceFile = "iface";
// How often a quarantined device asks the controller whether it may come back.
constexpr std::chrono::milliseconds kQuarantinePoll = 5s;

std::uint64_t random_u64() {
  std::uint64_t v = 0;
  std::uint8_t b[8];
  if (crypto::random_bytes(b)) {
    for (auto x : b)
      v = (v << 8) | x;
  } else {
    v = std::random_device{}();
  }
  return v;
}

std::string format_time(SysClock::time_point t) {
  std::time_t tt = SysClock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

const char* backend_name(WgBackendKind kind) {
  switch (kind) {
    case WgBackendKind::kKernel:
      return "kernel";
    case WgBackendKind::kUapi:
      return "uapi";
    case WgBackendKind::kBuiltin:
      return "builtin";
    case WgBackendKind::kAuto:
      break;
  }
  return "auto";
}

// Whether some process answers `get` on the interface's UAPI socket.
bool uapi_served(const std::string& iface, const std::string& socket_dir) {
  auto path = uapi::socket_path_for(iface, socket_dir);
  return path &&
         uapi::UapiClient(*path, std::chrono::milliseconds(1000)).exchange(uapi::kGetRequest).ok();
}

std::string hostname_or(const std::string& given) {
  if (!given.empty()) return given;
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == 0) return "ward-node";
  return buf;
}

class Node {
 public:
  Node(uv::Loop& loop, DaemonOptions opts, StateDir dir, Identity id)
      : loop_(loop),
        opts_(std::move(opts)),
        dir_(std::move(dir)),
        id_(std::move(id)),
        log_(log::logger("node")),
        stream_backoff_({.base = 500ms, .cap = 60s, .healthy_after = 30s}, random_u64),
        splitter_(64u << 20),
        tick_(loop),
        reconnect_timer_(loop),
        keepalive_timer_(loop),
        signals_{uv::Signal(loop), uv::Signal(loop)} {}

  Status start();
  void shutdown(const std::string& why);

 private:
  Status enroll_blocking();
  Status setup_interface();
  Status load_certificate();
  Result<std::unique_ptr<control::ControllerClient>> make_client(bool with_cert);
  void connect_stream();
  void stream_ended(const std::string& why);
  void perform(const std::vector<control::Action>& actions);
  void apply_netmap(const Netmap& map);
  void apply_baseline();
  void on_tick();
  void renew();
  void collect_and_report_posture();
  std::vector<std::string> endpoints() const;
  nlohmann::json status_json();
  nlohmann::json handle_command(const std::string& command);
  void teardown();

  uv::Loop& loop_;
  DaemonOptions opts_;
  StateDir dir_;
  Identity id_;
  std::shared_ptr<spdlog::logger> log_;
  std::optional<DeviceRecord> device_;
  std::string ca_pem_;
  std::string cert_pem_;
  std::optional<crypto::Certificate> cert_;

  // Data plane.
  WgBackendKind backend_kind_ = WgBackendKind::kUapi;
  std::unique_ptr<WireGuardBackend> wg_;
  std::unique_ptr<uapi::PosixProcessRunner> runner_;
  std::unique_ptr<uapi::EngineSupervisor> supervisor_;  // uapi and builtin backends
  std::unique_ptr<netlink::RtnlAddressBackend> addrs_;
  std::unique_ptr<netlink::RtnlRouteBackend> routes_;
  std::unique_ptr<filter::NftFilterBackend> filter_;
  std::unique_ptr<Reconciler> reconciler_;
  std::optional<KeepaliveStagger> stagger_;  // new peers' first keepalives, see its header

  // Control plane.
  std::optional<control::ControlCore> core_;
  std::optional<control::RenewalSchedule> renewal_;
  control::Backoff stream_backoff_;
  control::LineSplitter splitter_;
  std::unique_ptr<control::ControllerClient> requests_;
  std::unique_ptr<control::ControllerClient> stream_client_;
  bool stream_connected_ = false;
  bool stream_open_ = false;
  bool renewing_ = false;
  bool posting_posture_ = false;
  std::string last_control_error_;
  std::string last_apply_error_;
  std::optional<std::uint64_t> applied_serial_;
  std::string state_ = "starting";

  posture::ReportSchedule posture_schedule_;
  nlohmann::json posture_facts_ = nlohmann::json::object();
  SteadyClock::time_point next_posture_collect_{};
  SteadyClock::time_point next_supervise_{};

  uv::Timer tick_;
  uv::Timer reconnect_timer_;
  uv::Timer keepalive_timer_;  // applies the current netmap again when a held keepalive is due
  uv::Signal signals_[2];
  std::unique_ptr<ControlSocketServer> socket_;
  bool stopping_ = false;
  bool interface_touched_ = false;  // teardown only undoes what this process set up
};

Status Node::load_certificate() {
  WARD_ASSIGN_OR_RETURN(cert_pem_, read_file(dir_.file(kCertFile), 64 * 1024));
  auto cert = crypto::Certificate::from_pem(cert_pem_);
  if (!cert) return Error::corruption(dir_.file(kCertFile) + ": " + cert.error().message());
  if (cert->public_key_pem() != id_.tls_key.public_key_pem())
    return Error::corruption(dir_.file(kCertFile) + " is not for the key in " +
                             dir_.file(kTlsKeyFile));
  cert_ = std::move(*cert);
  return ok();
}

Result<std::unique_ptr<control::ControllerClient>> Node::make_client(bool with_cert) {
  WARD_ASSIGN_OR_RETURN(auto url, control::ControllerUrl::parse(opts_.controller_url));
  if (!with_cert) return control::ControllerClient::create(loop_, url, ca_pem_, "", SecretString());
  return control::ControllerClient::create(loop_, url, ca_pem_, cert_pem_, id_.tls_key.to_pem());
}

std::vector<std::string> Node::endpoints() const {
  std::vector<net::IpAddress> local;
  if (auto all = control::local_addresses()) {
    for (const auto& ip : *all) {
      bool overlay =
          device_ && (device_->overlay_v4.contains(ip) || device_->overlay_v6.contains(ip));
      if (!overlay) local.push_back(ip);
    }
  }
  return control::endpoint_list(local, opts_.listen_port, opts_.extra_endpoints);
}

// Enrollment runs the loop until the single request finishes: nothing else is set up yet.
Status Node::enroll_blocking() {
  if (!opts_.enroll_key && !opts_.login)
    return Error::invalid_argument(
        "this device is not enrolled yet: give --enroll-key (or WARD_ENROLL_KEY) or --login");
  WARD_ASSIGN_OR_RETURN(ca_pem_, read_file(opts_.ca_file, 64 * 1024));
  const std::string host = hostname_or(opts_.hostname);
  control::EnrollRequest req;
  req.enroll_key = opts_.enroll_key;
  req.login = opts_.login;
  req.wg_public_key = id_.wg_key.public_key().to_base64();
  WARD_ASSIGN_OR_RETURN(req.csr, crypto::make_csr(id_.tls_key, host));
  req.hostname = host;
  auto facts = posture::collect_facts(posture::HostView("/"), {.ward_version = WARD_VERSION});
  if (facts.contains("node:os")) req.os_name = facts["node:os"];
  if (facts.contains("node:osVersion")) req.os_version = facts["node:osVersion"];
  if (facts.contains("node:kernel")) req.kernel = facts["node:kernel"];
  req.endpoints = endpoints();
  req.listen_port = opts_.listen_port;
  WARD_ASSIGN_OR_RETURN(SecretString body, control::build_enroll_body(req));
  WARD_ASSIGN_OR_RETURN(auto client, make_client(false));
  std::optional<Result<http::Response>> answer;
  client->post_secret("/v1/enroll", body,
                      [&](Result<http::Response> r) { answer.emplace(std::move(r)); });
  while (!answer && loop_.run_once()) {
  }
  client.reset();
  opts_.enroll_key.reset();  // no longer needed: wipe
  opts_.login.reset();
  if (!answer) return Error::internal("enrollment request never completed");
  if (!*answer) return answer->error().context("enrolling with " + opts_.controller_url);
  if ((*answer)->status != 200)
    return control::error_from_response((*answer)->status, (*answer)->body).context("enrolling");
  WARD_ASSIGN_OR_RETURN(auto resp, control::parse_enroll_response((*answer)->body));
  auto cert = crypto::Certificate::from_pem(resp.certificate_pem);
  if (!cert || cert->public_key_pem() != id_.tls_key.public_key_pem())
    return Error::corruption(
        "the controller returned a certificate that is not for this device's key");
  DeviceRecord d{resp.device_id, resp.name,       resp.status,    opts_.controller_url,
                 resp.addresses, resp.overlay_v4, resp.overlay_v6};
  // ca.pem is the CA we pinned for this request (--ca-file), not what the answer claims.
  WARD_RETURN_IF_ERROR(dir_.save_enrollment(d, resp.certificate_pem, ca_pem_));
  log::info(*log_, "enrolled", {{"device", d.device_id}, {"name", d.name}, {"status", d.status}});
  device_ = std::move(d);
  return ok();
}

Status Node::setup_interface() {
  const std::string& iface = opts_.iface;
  interface_touched_ = true;
  backend_kind_ = opts_.wg_backend;
  if (backend_kind_ == WgBackendKind::kAuto) {
    const bool kernel = netlink::kernel_has_wireguard();
    const bool served = !kernel && uapi_served(iface, opts_.uapi_socket_dir);
    backend_kind_ = resolve_auto_backend(kernel, served);
    if (served)
      log::warn(*log_,
                "another userspace WireGuard already serves this interface (left by an earlier "
                "--wg-backend uapi run?); using it instead of Ward's engine. `ward-node down` "
                "and start again to switch",
                {{"iface", iface}});
  }
  if (backend_kind_ == WgBackendKind::kKernel) {
    WARD_RETURN_IF_ERROR(create_wireguard_link(iface));
    wg_ = std::make_unique<netlink::KernelWgBackend>(iface);
  } else {
    std::string engine;
    if (backend_kind_ == WgBackendKind::kBuiltin) {
      engine = "Ward's engine (in-process)";
      supervisor_ = std::make_unique<BuiltinEngine>(
          iface, opts_.uapi_socket_dir, [lg = log_](const std::string& message) {
            log::warn(*lg, "WireGuard engine", {{"detail", message}});
          });
    } else {
      runner_ = std::make_unique<uapi::PosixProcessRunner>();
      uapi::WireGuardGoSupervisor::Options so;
      so.binary = engine = opts_.wireguard_go;
      so.socket_dir = opts_.uapi_socket_dir;
      supervisor_ = std::make_unique<uapi::WireGuardGoSupervisor>(iface, *runner_, so);
    }
    auto r = supervisor_->check();
    if (!r) {
      // Another process holds the interface (a wireguard-go of an earlier uapi run): it
      // and its tunnels are not ours to tear down on the way out.
      if (r.error().code() == ErrorCode::kAlreadyExists) interface_touched_ = false;
      return std::move(r).error();
    }
    log::info(*log_, "userspace WireGuard ready",
              {{"iface", iface},
               {"engine", engine},
               {"started", *r == uapi::SuperviseResult::kServing ? "no (already served)" : "yes"}});
    WARD_ASSIGN_OR_RETURN(auto path, uapi::socket_path_for(iface, opts_.uapi_socket_dir));
    wg_ = std::make_unique<uapi::UapiBackend>(uapi::UapiClient(path));
  }
  addrs_ = std::make_unique<netlink::RtnlAddressBackend>(iface);
  routes_ = std::make_unique<netlink::RtnlRouteBackend>(iface);
  filter_ = std::make_unique<filter::NftFilterBackend>(iface);
  reconciler_ =
      std::make_unique<Reconciler>(Backends{wg_.get(), addrs_.get(), routes_.get(), filter_.get()});
  return write_file_atomic(dir_.file(kIfaceFile), iface + "\n", 0600);
}

// Before any netmap (and after a restarted wireguard-go): our key, port, addresses and
// routes, NO peers and an empty filter (deny every new inbound flow).
void Node::apply_baseline() {
  Netmap empty;
  empty.self.id = device_->device_id;
  empty.self.addresses = device_->addresses;
  empty.overlay = {device_->overlay_v4, device_->overlay_v6};
  apply_netmap(empty);
  applied_serial_.reset();
}

void Node::apply_netmap(const Netmap& map) {
  SecretBytes key = id_.wg_key.to_bytes();
  DesiredState desired = desired_from_netmap(map, key, opts_.listen_port);
  const auto now = SteadyClock::now();
  if (auto due = stagger_->hold(desired.wg, now)) {
    keepalive_timer_.start(std::chrono::ceil<std::chrono::milliseconds>(*due - now), [this] {
      if (core_ && core_->netmap() && !stopping_) apply_netmap(*core_->netmap());
    });
  }
  if (Status s = reconciler_->apply(desired); !s) {
    last_apply_error_ = s.error().message();
    log::error(*log_, "applying netmap failed (will retry)",
               {{"serial", std::to_string(map.serial)}, {"error", s.error().message()}});
    return;
  }
  last_apply_error_.clear();
  applied_serial_ = map.serial;
  log::info(*log_, "netmap applied",
            {{"serial", std::to_string(map.serial)},
             {"peers", std::to_string(map.peers.size())},
             {"rules", std::to_string(map.filter.inbound.size())}});
}

void Node::perform(const std::vector<control::Action>& actions) {
  for (const auto& a : actions) {
    switch (a.kind) {
      case control::ActionKind::kDropAll:
        keepalive_timer_.stop();
        stagger_->forget();  // every peer (and its session) is gone
        if (Status s = reconciler_->drop_all(); !s)
          log::error(*log_, "drop-all failed", {{"error", s.error().message()}});
        applied_serial_.reset();
        log::warn(*log_, "dropped every peer and filter accept", {{"reason", a.reason}});
        if (core_ && core_->failed_closed()) state_ = "failed_closed";
        break;
      case control::ActionKind::kStop:
        state_ = "stopped: " + a.reason;
        log::error(*log_, "the controller stopped this device; run `ward-node down`",
                   {{"reason", a.reason}});
        reconnect_timer_.stop();
        if (stream_client_) stream_client_->close_stream();
        break;
      case control::ActionKind::kQuarantined:
        state_ = "quarantined: " + a.reason;
        log::error(*log_,
                   "the controller quarantined this device: no peers until it is "
                   "unquarantined; asking again every few seconds",
                   {{"reason", a.reason}});
        break;
      case control::ActionKind::kApply:
        state_ = "running";
        apply_netmap(*a.netmap);
        // Peers in a stream's first netmap are not new to the other ends (see
        // keepalive_stagger.hpp); peers that appear after it, live, are.
        stagger_->arm();
        break;
      case control::ActionKind::kReconnect:
        if (stream_client_) stream_client_->close_stream();  // on_end schedules the reconnect
        break;
      case control::ActionKind::kRejected:
        log::warn(*log_, "controller message rejected; keeping the last good netmap",
                  {{"reason", a.reason}});
        break;
    }
  }
}

void Node::connect_stream() {
  if (stopping_ || core_->stopped() || stream_open_) return;
  if (!stream_client_) {
    auto c = make_client(true);
    if (!c) {
      last_control_error_ = c.error().message();
      stream_ended(c.error().message());
      return;
    }
    stream_client_ = std::move(*c);
  }
  std::string target = "/v1/stream";
  if (auto s = core_->resume_serial()) target += "?serial=" + std::to_string(*s);
  splitter_.reset();
  stream_open_ = true;
  auto status = std::make_shared<int>(0);
  stream_client_->stream(
      target,
      {.on_response =
           [this, status](const http::Response& head) {
             *status = head.status;
             if (head.status == 200) {
               stream_connected_ = true;
               stagger_->disarm();  // until this stream's first netmap is applied
               last_control_error_.clear();
               stream_backoff_.connected(SteadyClock::now());
               log::info(*log_, "connected to the controller stream");
             }
           },
       .on_data =
           [this, status](std::string_view data) {
             if (*status != 200) return;
             auto lines = splitter_.feed(data);
             if (!lines) {
               log::error(*log_, "dropping the stream", {{"error", lines.error().message()}});
               stream_client_->close_stream();
               return;
             }
             for (const auto& line : *lines)
               perform(core_->on_line(line, SysClock::now()));
           },
       .on_end =
           [this, status](const Status& why) {
             stream_open_ = false;
             stream_connected_ = false;
             std::string reason = why ? "stream ended" : why.error().message();
             if (*status != 0 && *status != 200)
               reason = "stream refused with HTTP " + std::to_string(*status);
             stream_ended(reason);
           }});
}

void Node::stream_ended(const std::string& why) {
  if (stopping_ || core_->stopped()) return;
  last_control_error_ = why;
  auto delay = stream_backoff_.next_delay(SteadyClock::now());
  // A quarantined device asks again at least every kQuarantinePoll, so that
  // unquarantine restores access within seconds without touching the device.
  if (core_->quarantined()) delay = std::min(delay, kQuarantinePoll);
  log::warn(*log_, "controller stream down; reconnecting",
            {{"reason", why}, {"delay_ms", std::to_string(delay.count())}});
  reconnect_timer_.start(delay, [this] { connect_stream(); });
}

void Node::renew() {
  if (renewing_ || !requests_) return;
  renewing_ = true;
  auto csr = crypto::make_csr(id_.tls_key, device_->device_id);
  if (!csr) {
    renewing_ = false;
    renewal_->failed(SysClock::now());
    return;
  }
  requests_->post("/v1/renew", control::build_renew_body(*csr), [this](Result<http::Response> r) {
    renewing_ = false;
    auto now = SysClock::now();
    if (r && r->status == 403) {
      perform(core_->terminate("certificate renewal refused: " +
                               control::error_from_response(403, r->body).message()));
      return;
    }
    Status s = !r                 ? Status(r.error())
               : r->status != 200 ? Status(control::error_from_response(r->status, r->body))
                                  : ok();
    if (s) {
      auto pem = control::parse_renew_response(r->body);
      auto cert =
          pem ? crypto::Certificate::from_pem(*pem) : Result<crypto::Certificate>(pem.error());
      if (!cert)
        s = cert.error();
      else if (cert->public_key_pem() != id_.tls_key.public_key_pem())
        s = Error::corruption("renewed certificate is not for this device's key");
      else if (Status w = dir_.save_certificate(*pem); !w)
        s = w;
      else {
        cert_pem_ = *pem;
        cert_ = std::move(*cert);
        core_->renewed(cert_->not_after());
        renewal_->renewed(cert_->not_before(), cert_->not_after());
        if (auto c = make_client(true)) requests_ = std::move(*c);
        // Reconnect the stream with the new certificate (destroying the Client runs no
        // callback, so the flags are reset here). The applied netmap stays in force.
        stream_client_.reset();
        stream_open_ = false;
        stream_connected_ = false;
        reconnect_timer_.stop();
        log::info(*log_, "certificate renewed", {{"not_after", format_time(cert_->not_after())}});
        connect_stream();
        return;
      }
    }
    renewal_->failed(now);
    log::warn(*log_, "certificate renewal failed; retrying",
              {{"error", s.error().message()}, {"next", format_time(renewal_->next_attempt())}});
  });
}

void Node::collect_and_report_posture() {
  posture_facts_ = posture::collect_facts(
      posture::HostView("/"),
      {.ward_version = WARD_VERSION, .nft_lister = posture::system_nft_lister()});
  const auto now = SteadyClock::now();
  if (posting_posture_ || !requests_ || !posture_schedule_.due(now, posture_facts_)) return;
  posting_posture_ = true;
  auto facts = posture_facts_;
  requests_->post("/v1/posture", control::build_posture_body(facts, endpoints(), opts_.listen_port),
                  [this, facts](Result<http::Response> r) {
                    posting_posture_ = false;
                    if (r && (r->status == 204 || r->status == 200)) {
                      posture_schedule_.reported(SteadyClock::now(), facts);
                      return;
                    }
                    log::warn(
                        *log_, "posture report failed",
                        {{"error", r ? control::error_from_response(r->status, r->body).message()
                                     : r.error().message()}});
                  });
}

void Node::on_tick() {
  const auto now = SysClock::now();
  perform(core_->tick(now));
  if (core_->stopped()) return;
  if (renewal_->due(now)) renew();
  const auto steady = SteadyClock::now();
  if (supervisor_ && steady >= next_supervise_) {
    next_supervise_ = steady + supervisor_->check_every();
    auto r = supervisor_->check();
    if (!r) {
      log::error(*log_, "userspace WireGuard is not serving", {{"error", r.error().message()}});
    } else if (*r == uapi::SuperviseResult::kRestarted) {
      log::warn(*log_, "userspace WireGuard restarted; reconfiguring");
      if (core_->netmap())
        apply_netmap(*core_->netmap());
      else
        apply_baseline();
    }
  }
  if (steady >= next_posture_collect_) {
    next_posture_collect_ = steady + 60s;
    collect_and_report_posture();
  }
  // Retry a failed apply of the current map.
  if (!last_apply_error_.empty() && core_->netmap()) apply_netmap(*core_->netmap());
}

nlohmann::json Node::status_json() {
  nlohmann::json peers = nlohmann::json::array();
  if (wg_) {
    if (auto st = wg_->get()) {
      for (const auto& p : st->peers) {
        std::string name;
        if (core_->netmap())
          for (const auto& np : core_->netmap()->peers)
            if (np.public_key == p.public_key) name = np.name;
        nlohmann::json ips = nlohmann::json::array();
        for (const auto& ip : p.allowed_ips)
          ips.push_back(ip.to_string());
        peers.push_back({{"name", name},
                         {"public_key", p.public_key.to_base64()},
                         {"endpoint", p.endpoint ? nlohmann::json(p.endpoint->to_string())
                                                 : nlohmann::json(nullptr)},
                         {"allowed_ips", ips},
                         {"last_handshake", p.last_handshake_sec},
                         {"rx_bytes", p.rx_bytes},
                         {"tx_bytes", p.tx_bytes}});
      }
    }
  }
  nlohmann::json filter_j = {{"accept_rules", nullptr}};
  if (filter_) {
    if (auto fs = filter_->stats())
      filter_j = {{"accept_rules", fs->accept_rules}, {"dropped_packets", fs->dropped_packets}};
  }
  nlohmann::json addrs = nlohmann::json::array();
  for (const auto& a : device_->addresses)
    addrs.push_back(a.to_string());
  return {{"device",
           {{"id", device_->device_id},
            {"name", device_->name},
            {"interface", opts_.iface},
            {"wg_backend", backend_name(backend_kind_)},
            {"addresses", addrs},
            {"wg_public_key", id_.wg_key.public_key().to_base64()}}},
          {"state", state_},
          {"controller",
           {{"url", opts_.controller_url},
            {"connected", stream_connected_},
            {"last_serial",
             applied_serial_ ? nlohmann::json(*applied_serial_) : nlohmann::json(nullptr)},
            {"last_error", last_control_error_}}},
          {"apply_error", last_apply_error_},
          {"peers", peers},
          {"filter", filter_j},
          {"posture", posture_facts_},
          {"certificate",
           {{"not_after", format_time(cert_->not_after())},
            {"serial", cert_->serial_hex()},
            {"renew_at", format_time(renewal_->next_attempt())}}}};
}

nlohmann::json Node::handle_command(const std::string& command) {
  if (command == "status") return status_json();
  if (command == "down") {
    loop_.defer([this] { shutdown("ward-node down"); });
    return {{"ok", true}};
  }
  return {{"error", "unknown command " + quote(command) + "; expected status or down"}};
}

void Node::teardown() {
  if (!interface_touched_) return;
  if (reconciler_) {
    if (Status s = reconciler_->drop_all(); !s)
      log::warn(*log_, "drop-all during teardown", {{"error", s.error().message()}});
  }
  if (filter_) {
    if (Status s = filter_->remove(); !s)
      log::warn(*log_, "removing the filter table", {{"error", s.error().message()}});
  }
  if (supervisor_) {
    if (Status s = supervisor_->stop(); !s)
      log::warn(*log_, "stopping userspace WireGuard", {{"error", s.error().message()}});
  }
  if (Status s = delete_link(opts_.iface); !s)
    log::warn(*log_, "deleting the interface", {{"error", s.error().message()}});
  if (backend_kind_ != WgBackendKind::kKernel) {
    if (auto p = uapi::socket_path_for(opts_.iface, opts_.uapi_socket_dir);
        p && !socket_answers(*p))
      ::unlink(p->c_str());
  }
}

void Node::shutdown(const std::string& why) {
  if (stopping_) return;
  stopping_ = true;
  log::info(*log_, "stopping", {{"reason", why}});
  tick_.stop();
  reconnect_timer_.stop();
  keepalive_timer_.stop();
  for (auto& s : signals_)
    s.stop();
  stream_client_.reset();
  requests_.reset();
  teardown();
  socket_.reset();  // removes the socket file
  loop_.stop();
}

Status Node::start() {
  WARD_ASSIGN_OR_RETURN(device_, dir_.load_device());
  if (!device_) {
    WARD_RETURN_IF_ERROR(enroll_blocking());
  } else {
    log::info(*log_, "reusing enrolled identity", {{"device", device_->device_id}});
  }
  // The CA pinned at enrollment wins over --ca-file on later runs.
  WARD_ASSIGN_OR_RETURN(ca_pem_, read_file(dir_.file(kCaFile), 64 * 1024));
  WARD_RETURN_IF_ERROR(load_certificate());
  core_.emplace(WgKey(id_.wg_key.public_key().bytes()), cert_->not_after());
  stagger_.emplace(WgKey(id_.wg_key.public_key().bytes()));
  renewal_.emplace(cert_->not_before(), cert_->not_after(), random_u64);
  // The socket first: a second daemon on the same state directory stops here, before it
  // touches the interface.
  WARD_ASSIGN_OR_RETURN(socket_, ControlSocketServer::listen(
                                     loop_, dir_.file(kSocketFile),
                                     [this](const std::string& c) { return handle_command(c); }));
  WARD_RETURN_IF_ERROR(setup_interface());
  apply_baseline();
  state_ = "connecting";
  WARD_ASSIGN_OR_RETURN(requests_, make_client(true));
  WARD_RETURN_IF_ERROR(signals_[0].start(SIGTERM, [this](int) { shutdown("SIGTERM"); }));
  WARD_RETURN_IF_ERROR(signals_[1].start(SIGINT, [this](int) { shutdown("SIGINT"); }));
  tick_.start(0ms, 1s, [this] { on_tick(); });
  connect_stream();
  return ok();
}

}  // namespace

std::optional<std::string> recorded_iface(const std::string& state_dir) {
  auto text = read_file(state_dir + "/" + std::string(kIfaceFile), 64);
  if (!text) return std::nullopt;
  std::string s = *text;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  if (s.empty()) return std::nullopt;
  return s;
}

WgBackendKind resolve_auto_backend(bool kernel_has_wireguard, bool uapi_socket_served) {
  if (kernel_has_wireguard) return WgBackendKind::kKernel;
  return uapi_socket_served ? WgBackendKind::kUapi : WgBackendKind::kBuiltin;
}

Status run_daemon(DaemonOptions options) {
  WARD_ASSIGN_OR_RETURN(StateDir dir, StateDir::open(options.state_dir));
  WARD_ASSIGN_OR_RETURN(Identity id, dir.load_or_create_identity());
  if (id.created)
    log::info(*log::logger("node"), "made a new device identity", {{"state_dir", dir.path()}});
  uv::Loop loop;
  Status result = ok();
  {
    Node node(loop, std::move(options), std::move(dir), std::move(id));
    if (Status s = node.start(); !s) {
      node.shutdown("start failed");
      result = s;
    } else {
      loop.run();
    }
  }
  (void)loop.close();
  return result;
}

Status cleanup_leftovers(const std::string& state_dir, const std::string& iface,
                         const std::string& uapi_socket_dir) {
  Status first = ok();
  auto keep = [&](Status s) {
    if (!s && first) first = s;
  };
  filter::NftFilterBackend f(iface);
  keep(f.remove());
  keep(delete_link(iface));
  if (auto p = uapi::socket_path_for(iface, uapi_socket_dir); p && !socket_answers(*p))
    ::unlink(p->c_str());
  const std::string sock = state_dir + "/" + std::string(kSocketFile);
  if (!socket_answers(sock)) ::unlink(sock.c_str());
  return first;
}

}  // namespace ward::node::daemon
