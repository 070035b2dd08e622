// wardctl: Ward's admin CLI. One file per noun, wired through this table (as
// wireguard-tools' wg.c wires its subcommands).
#include <iostream>

#include "controller/wardctl/cli.hpp"

namespace {

using ward::wardctl::Context;

struct Noun {
  const char* name;
  void (*add)(CLI::App& app, Context& ctx);
};

constexpr Noun kNouns[] = {
    {"login", &ward::wardctl::add_login_commands},
    {"logout", &ward::wardctl::add_logout_commands},
    {"status", &ward::wardctl::add_status_commands},
    {"bootstrap", &ward::wardctl::add_bootstrap_commands},
    {"user", &ward::wardctl::add_user_commands},
    {"key", &ward::wardctl::add_key_commands},
    {"device", &ward::wardctl::add_device_commands},
    {"audit", &ward::wardctl::add_audit_commands},
    {"policy", &ward::wardctl::add_policy_commands},
    {"netmap", &ward::wardctl::add_netmap_commands},
    {"inventory", &ward::wardctl::add_inventory_commands},
};

}  // namespace

int main(int argc, char** argv) {
  Context ctx(std::cout, std::cerr, ward::wardctl::process_env(), nullptr);
  CLI::App app("wardctl: administer a Ward controller", "wardctl");
  app.set_version_flag("--version", WARD_VERSION);
  app.fallthrough();  // global options may follow the command (wardctl user list --json)
  ward::wardctl::add_global_options(app, ctx);
  for (const Noun& noun : kNouns)
    noun.add(app, ctx);
  app.require_subcommand(1);
  return ward::wardctl::run_cli(app, ctx, argc, argv);
}
