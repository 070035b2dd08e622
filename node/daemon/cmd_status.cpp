#include <cstdio>

#include "node/daemon/commands.hpp"
#include "node/daemon/control_socket.hpp"
#include "node/daemon/daemon.hpp"
#include "node/daemon/state_dir.hpp"
#include "node/daemon/status_text.hpp"

namespace ward::node::daemon {

void add_status_command(CLI::App& app, StatusArgs& a) {
  auto* c = app.add_subcommand("status", "show the running daemon's state");
  c->add_option("--state-dir", a.state_dir, "the daemon's state directory")->required();
  c->add_flag("--json", a.json, "print JSON");
}

void add_down_command(CLI::App& app, DownArgs& a) {
  auto* c =
      app.add_subcommand("down", "stop the daemon; remove its interface, filter table and socket");
  c->add_option("--state-dir", a.state_dir, "the daemon's state directory")->required();
  c->add_option(
      "--iface", a.iface,
      "interface to clean up when no daemon runs (default: the one `up` used, else ward0)");
}

int run_status(const StatusArgs& a) {
  auto r = send_command(a.state_dir + "/" + std::string(kSocketFile), "status");
  if (!r) {
    std::fprintf(stderr, "ward-node: %s\n", r.error().message().c_str());
    return 1;
  }
  if (r->contains("error")) {
    std::fprintf(stderr, "ward-node: %s\n", (*r)["error"].dump().c_str());
    return 1;
  }
  std::fputs(a.json ? (r->dump(2) + "\n").c_str() : render_status_text(*r).c_str(), stdout);
  return 0;
}

int run_down(const DownArgs& a) {
  const std::string sock = a.state_dir + "/" + std::string(kSocketFile);
  std::string iface = a.iface;
  if (iface.empty()) iface = recorded_iface(a.state_dir).value_or("ward0");
  if (auto r = send_command(sock, "down"); r) {
    // Wait for the daemon to finish tearing down (it removes its socket last).
    for (int i = 0; i < 200 && socket_answers(sock); ++i)
      ::usleep(50'000);
    if (socket_answers(sock)) {
      std::fprintf(stderr, "ward-node: the daemon did not stop within 10 s\n");
      return 1;
    }
  }
  if (Status s = cleanup_leftovers(a.state_dir, iface); !s) {
    std::fprintf(stderr, "ward-node: cleanup: %s\n", s.error().message().c_str());
    return 1;
  }
  return 0;
}

}  // namespace ward::node::daemon
