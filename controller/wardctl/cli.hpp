// The frame every wardctl command runs in: global options, output streams, input, the
// connection to the controller, and the exit-code rules.
//
// Commands are registered on a CLI11 App by one add_<noun>_commands() per noun file (the
// table lives in main.cpp). Parsing only records which command was chosen
// (Context::action); run_cli() then runs it. Exit codes: 0 ok, 1 refused or failed (the
// error is printed as "wardctl: <message>"), 2 usage (CLI11 parse errors).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include <CLI/CLI.hpp>

#include "common/base/result.hpp"
#include "controller/wardctl/api_client.hpp"
#include "controller/wardctl/config.hpp"
#include "controller/wardctl/prompt.hpp"

namespace ward::wardctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

struct GlobalOptions {
  std::string controller;  // --controller
  std::string ca;          // --ca
  std::string config;      // --config (default: default_config_path)
  bool json = false;       // --json
  bool password_stdin = false;
  int timeout_s = 30;
};

class Context {
 public:
  Context(std::ostream& out, std::ostream& err, EnvFn env, std::unique_ptr<Input> input);

  GlobalOptions options;
  std::ostream& out;
  std::ostream& err;
  EnvFn env;
  std::function<int()> action;  // set by the command CLI11 selected

  Input& input();
  Result<std::string> config_path() const;
  // Sources as the flags, environment and config file give them (reads the file).
  Result<SettingSources> sources() const;
  Result<Settings> settings() const;
  // A client for the resolved settings; require_session: fail (unauthenticated, with the
  // hint to log in) when there is no saved session for this controller.
  Result<std::unique_ptr<ApiClient>> connect(bool require_session = true) const;

  // Prints "wardctl: <message>" to err; returns kExitFailed.
  int fail(const Error& e) const;

 private:
  std::unique_ptr<Input> input_;
};

// Registers --controller, --ca, --config, --json, --timeout on the root App.
void add_global_options(CLI::App& app, Context& ctx);

// Makes `sub` set ctx.action to fn when it is selected.
void on_run(CLI::App* sub, Context& ctx, std::function<int()> fn);

// Parses argv and runs the chosen command (see the header comment for exit codes).
int run_cli(CLI::App& app, Context& ctx, int argc, const char* const* argv);

// Each noun file's registration function (one per file).
void add_login_commands(CLI::App& app, Context& ctx);
void add_logout_commands(CLI::App& app, Context& ctx);
void add_status_commands(CLI::App& app, Context& ctx);
void add_bootstrap_commands(CLI::App& app, Context& ctx);
void add_user_commands(CLI::App& app, Context& ctx);
void add_key_commands(CLI::App& app, Context& ctx);
void add_device_commands(CLI::App& app, Context& ctx);
void add_audit_commands(CLI::App& app, Context& ctx);
void add_policy_commands(CLI::App& app, Context& ctx);
void add_netmap_commands(CLI::App& app, Context& ctx);
void add_inventory_commands(CLI::App& app, Context& ctx);

}  // namespace ward::wardctl
