#include <cstdio>
#include <cstdlib>
#include <unistd.h>

#include "common/base/error.hpp"
#include "common/log/log.hpp"
#include "node/daemon/commands.hpp"
#include "node/daemon/daemon.hpp"
#include "node/daemon/prompt.hpp"
#include "node/netmap/netmap.hpp"

namespace ward::node::daemon {

void add_up_command(CLI::App& app, UpArgs& a) {
  auto* up =
      app.add_subcommand("up", "run the node daemon in the foreground (enrolls on first run)");
  up->add_option("--controller", a.controller, "controller URL, https://HOST[:PORT]")->required();
  up->add_option("--ca-file", a.ca_file, "the controller's CA certificate (PEM) to pin")
      ->required();
  up->add_option("--state-dir", a.state_dir, "state directory (keys, certificate, socket)")
      ->required();
  auto* key = up->add_option(
      "--enroll-key", a.enroll_key,
      "enrollment key (prefer the WARD_ENROLL_KEY environment variable: argv is visible in ps)");
  auto* login =
      up->add_option("--login", a.login,
                     "enroll as this user; password and TOTP are read from the terminal or stdin");
  key->excludes(login);
  up->add_option("--iface", a.iface, "tunnel interface name (at most 15 characters)");
  up->add_option("--wg-backend", a.wg_backend,
                 "WireGuard backend: auto (the kernel module if present, else a userspace "
                 "WireGuard already serving the interface, else builtin), kernel, builtin "
                 "(Ward's engine in this process), uapi (wireguard-go)")
      ->check(CLI::IsMember({"auto", "kernel", "uapi", "builtin"}));
  up->add_option("--listen-port", a.listen_port, "WireGuard UDP port")->check(CLI::Range(1, 65535));
  up->add_option("--hostname", a.hostname, "name to enroll with (default: the host name)");
  up->add_option("--endpoint", a.endpoints,
                 "an extra IP:PORT where peers can reach this node (repeatable)");
  up->add_option("--wireguard-go", a.wireguard_go, "userspace WireGuard for the uapi backend");
  up->add_option("--log-level", a.log_level, "trace|debug|info|warn|error");
  up->add_option("--log-format", a.log_format, "text|json")->check(CLI::IsMember({"text", "json"}));
}

int run_up(UpArgs& a) {
  auto lg = log::logger("node");
  if (auto level = log::parse_level(a.log_level)) {
    (void)log::init({.level = *level,
                     .format = a.log_format == "json" ? log::Format::kJson : log::Format::kText});
  } else {
    std::fprintf(stderr, "ward-node: bad --log-level %s\n", quote(a.log_level).c_str());
    return 2;
  }
  DaemonOptions o;
  o.controller_url = a.controller;
  o.ca_file = a.ca_file;
  o.state_dir = a.state_dir;
  o.iface = a.iface;
  o.listen_port = static_cast<std::uint16_t>(a.listen_port);
  o.hostname = a.hostname;
  o.wireguard_go = a.wireguard_go;
  o.wg_backend = a.wg_backend == "kernel"    ? WgBackendKind::kKernel
                 : a.wg_backend == "uapi"    ? WgBackendKind::kUapi
                 : a.wg_backend == "builtin" ? WgBackendKind::kBuiltin
                                             : WgBackendKind::kAuto;
  for (const auto& e : a.endpoints) {
    auto ep = Endpoint::parse(e);
    if (!ep) {
      std::fprintf(stderr, "ward-node: --endpoint: %s\n", ep.error().message().c_str());
      return 2;
    }
    o.extra_endpoints.push_back(ep->to_string());
  }
  // The enrollment key: --enroll-key, else WARD_ENROLL_KEY (kept out of argv and ps).
  if (!a.enroll_key.empty()) {
    o.enroll_key.emplace(a.enroll_key);
    secure_wipe(a.enroll_key.data(), a.enroll_key.size());
  } else if (const char* env = std::getenv("WARD_ENROLL_KEY"); env != nullptr && *env != 0) {
    o.enroll_key.emplace(std::string(env));
    ::unsetenv("WARD_ENROLL_KEY");
  }
  if (!a.login.empty()) {
    // Only needed when not enrolled yet; asking anyway is harmless and keeps this simple
    // to reason about: the credentials are wiped as soon as enrollment is over.
    auto pw = read_secret_line("Password for " + a.login + ": ");
    if (!pw) {
      std::fprintf(stderr, "ward-node: %s\n", pw.error().message().c_str());
      return 2;
    }
    auto totp = read_secret_line("TOTP code: ");
    if (!totp) {
      std::fprintf(stderr, "ward-node: %s\n", totp.error().message().c_str());
      return 2;
    }
    o.login.emplace(control::LoginCredential{a.login, std::move(*pw), std::move(*totp)});
  }
  if (Status s = run_daemon(std::move(o)); !s) {
    log::error(*lg, "ward-node failed", {{"error", s.error().to_string()}});
    return 1;
  }
  return 0;
}

}  // namespace ward::node::daemon
