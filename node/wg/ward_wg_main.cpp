// ward-wg [-f] IFACE: Ward's userspace WireGuard daemon, a drop-in for `wireguard-go
// IFACE`. Creates the TUN interface and serves /var/run/wireguard/IFACE.sock for `wg`.
// Without -f it detaches after the interface and sockets exist.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>
#include <utility>

#include "node/wg/daemon.hpp"

namespace {

ward::wg::Daemon* g_daemon = nullptr;

void on_signal(int) {
  if (g_daemon) g_daemon->stop();
}

int usage() {
  std::fprintf(stderr, "Usage: ward-wg [-f/--foreground] INTERFACE-NAME\n");
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  bool foreground = false;
  std::string name;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-f" || arg == "--foreground") {
      foreground = true;
    } else if (arg == "--version") {
      std::printf("ward-wg %s\n", WARD_VERSION);
      return 0;
    } else if (!arg.empty() && arg[0] != '-' && name.empty()) {
      name = arg;
    } else {
      return usage();
    }
  }
  if (name.empty()) return usage();
  const char* dir = std::getenv("WARD_WG_SOCKET_DIR");
  const char* no_offload = std::getenv("WARD_WG_NO_OFFLOAD");
  ward::wg::DaemonOptions options;
  if (dir) options.socket_dir = dir;
  options.offload = !(no_offload && std::strcmp(no_offload, "1") == 0);
  auto daemon = ward::wg::Daemon::create(name, std::move(options));
  if (!daemon) {
    std::fprintf(stderr, "ward-wg: %s\n", daemon.error().to_string().c_str());
    return 1;
  }
  // Test hook for interop scripts: a short REKEY_AFTER_TIME forces rekeys quickly.
  if (const char* rekey = std::getenv("WARD_WG_TEST_REKEY_AFTER_SECONDS")) {
    const long s = std::strtol(rekey, nullptr, 10);
    if (s > 0) (*daemon)->device().set_rekey_after_time(s * ward::wg::kSecond);
  }
  if (!foreground) {
    const pid_t pid = ::fork();
    if (pid < 0) {
      std::perror("ward-wg: fork");
      return 1;
    }
    if (pid > 0) {
      // The parent exits without tearing down what the child now owns.
      (void)daemon->release();
      ::_exit(0);
    }
    ::setsid();
  }
  g_daemon = daemon->get();
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  std::fprintf(stderr, "ward-wg: serving %s\n", (*daemon)->socket_path().c_str());
  auto st = (*daemon)->run();
  g_daemon = nullptr;
  if (!st) {
    std::fprintf(stderr, "ward-wg: %s\n", st.error().to_string().c_str());
    return 1;
  }
  return 0;
}
