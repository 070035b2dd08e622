// ward-node: the node daemon and its local commands. One file per noun:
//   up      cmd_up.cpp      run the daemon in the foreground (enrolls on first run)
//   status  cmd_status.cpp  ask the running daemon over its control socket
//   down    cmd_status.cpp  ask the daemon to stop and tear down; clean leftovers if none runs
#include <cstdio>

#include <CLI/CLI.hpp>

#include "node/daemon/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"ward-node: Ward's Zero Trust node daemon"};
  app.require_subcommand(1);
  app.set_version_flag("--version", WARD_VERSION);
  ward::node::daemon::UpArgs up;
  ward::node::daemon::StatusArgs status;
  ward::node::daemon::DownArgs down;
  ward::node::daemon::add_up_command(app, up);
  ward::node::daemon::add_status_command(app, status);
  ward::node::daemon::add_down_command(app, down);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (app.got_subcommand("up")) return ward::node::daemon::run_up(up);
  if (app.got_subcommand("status")) return ward::node::daemon::run_status(status);
  return ward::node::daemon::run_down(down);
}
