// The ward-node subcommands: option structs, CLI11 registration, and runners returning the
// process exit code.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace ward::node::daemon {

struct UpArgs {
  std::string controller, ca_file, state_dir, enroll_key, login, iface = "ward0";
  std::string wg_backend = "auto", hostname, log_level = "info", log_format = "text";
  int listen_port = 51820;
  std::vector<std::string> endpoints;
  std::string wireguard_go = "wireguard-go";
};
struct StatusArgs {
  std::string state_dir;
  bool json = false;
};
struct DownArgs {
  std::string state_dir;
  std::string iface;
};

void add_up_command(CLI::App& app, UpArgs& args);
void add_status_command(CLI::App& app, StatusArgs& args);
void add_down_command(CLI::App& app, DownArgs& args);
int run_up(UpArgs& args);
int run_status(const StatusArgs& args);
int run_down(const DownArgs& args);

}  // namespace ward::node::daemon
