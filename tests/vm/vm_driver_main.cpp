// ward-vm-kernel-driver: see vm_driver.hpp. Subcommands: probe, tunnel, show, bulk.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "tests/vm/vm_driver.hpp"

int main(int argc, char** argv) {
  using namespace ward::vmtest;
  CLI::App app{"ward-vm-kernel-driver: exercise Ward's kernel WireGuard backend (VM test)"};
  app.require_subcommand(1);

  ProbeArgs probe;
  auto* p = app.add_subcommand("probe", "is the wireguard genl family there?");
  p->add_option("--expect", probe.expect, "present or absent")
      ->check(CLI::IsMember({"present", "absent"}));

  TunnelArgs t;
  auto* tc = app.add_subcommand("tunnel", "create IFACE and apply a one-peer netmap");
  tc->add_option("--iface", t.iface)->required();
  tc->add_option("--private-key-file", t.private_key_file)->required();
  tc->add_option("--listen-port", t.listen_port)->required();
  tc->add_option("--peer-public-key", t.peer_public_key)->required();
  tc->add_option("--peer-allowed-ip", t.peer_allowed_ips)->required();
  tc->add_option("--peer-endpoint", t.peer_endpoint)->required();
  tc->add_option("--keepalive", t.keepalive);
  tc->add_option("--address", t.addresses)->required();
  tc->add_option("--overlay-v4", t.overlay_v4)->required();
  tc->add_option("--overlay-v6", t.overlay_v6)->required();

  ShowArgs s;
  auto* sc = app.add_subcommand("show", "read IFACE back through the kernel backend");
  sc->add_option("--iface", s.iface)->required();
  sc->add_option("--peer", s.peer);
  sc->add_flag("--require-handshake", s.require_handshake);

  BulkArgs b;
  auto* bc = app.add_subcommand("bulk", "a configuration split across many netlink messages");
  bc->add_option("--iface", b.iface)->required();
  bc->add_option("--peers", b.peers);
  bc->add_option("--big-peer-ips", b.big_peer_ips);
  bc->add_option("--shrink-to", b.shrink_to);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  ward::Status st;
  const char* name = "";
  if (*p) {
    name = "probe";
    st = run_probe(probe);
  } else if (*tc) {
    name = "tunnel";
    st = run_tunnel(t);
  } else if (*sc) {
    name = "show";
    if (s.require_handshake && s.peer.empty()) {
      std::fprintf(stderr, "show: --require-handshake needs --peer\n");
      return 2;
    }
    st = run_show(s);
  } else {
    name = "bulk";
    st = run_bulk(b);
  }
  std::fflush(stdout);
  if (!st) {
    std::fprintf(stderr, "ward-vm-kernel-driver %s: FAILED: %s\n", name,
                 st.error().message().c_str());
    return 1;
  }
  std::printf("ward-vm-kernel-driver %s: ok\n", name);
  return 0;
}
