// Test support: running commands and owning child processes.
//
//   auto r = ward::testing::run_command("ip -n ns1 link show");   // r.exit_code, r.output
//   auto child = ward::testing::ChildProcess::spawn({.argv = {"/bin/sleep", "5"},
//                                                    .log_path = dir + "/sleep.log"});
//   REQUIRE(child);  ...  child->signal(SIGTERM); auto code = child->wait_exit(5s);
//
// Contracts: a ChildProcess is its child's only owner (move-only); its destructor SIGKILLs
// a child that still runs and reaps it, so a test that fails midway leaves no process
// behind (processes the child started itself are not touched: put them in a network
// namespace that ward::testing::Netns owns). Not thread-safe; use from one thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <thread>
#include <utility>
#include <vector>

#include "common/base/result.hpp"

namespace ward::testing {

struct CommandResult {
  int exit_code = -1;  // the exit status; 128 + signal if killed; -1 if it could not run
  std::string output;  // stdout (and stderr when merge_stderr)
  bool ok() const { return exit_code == 0; }
  // output without trailing newlines, carriage returns and spaces (a one-line answer).
  std::string trimmed() const;
};

// Runs `sh -c command` and waits for it. stderr (of every part of a list or pipeline) goes
// to /dev/null unless merge_stderr.
CommandResult run_command(const std::string& command, bool merge_stderr = false);

// 'text' quoted for sh (single quotes, embedded quotes escaped).
std::string shell_quote(std::string_view text);

class ChildProcess {
 public:
  struct Options {
    std::vector<std::string> argv;  // argv[0] is looked up in PATH when it has no '/'
    // Environment: the parent's, with these set and these removed.
    std::vector<std::pair<std::string, std::string>> env_set;
    std::vector<std::string> env_unset;
    std::string log_path;  // stdout and stderr are appended here (created 0600); empty: /dev/null
  };

  // Forks and execs; an exec failure shows as exit code 127 (and a line in the log).
  static Result<ChildProcess> spawn(const Options& options);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  // True while the child has not exited (reaps it, and records its code, if it has).
  bool running();
  // The exit code (as CommandResult::exit_code) once the child has exited within limit,
  // else nullopt (the child keeps running). Returns the recorded code again later.
  std::optional<int> wait_exit(std::chrono::milliseconds limit);
  // Sends sig if the child still runs.
  void signal(int sig);
  // SIGKILL and reap (no-op once exited). Returns the exit code.
  int kill_and_reap();
  // Gives up ownership without touching the child: the caller must reap it.
  pid_t release() { return std::exchange(pid_, -1); }

 private:
  ChildProcess() = default;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

// Polls cond every step until it holds or limit passes. Returns the time it took to
// hold, or nullopt on timeout.
template <class F>
std::optional<std::chrono::milliseconds> eventually(
    F&& cond, std::chrono::milliseconds limit,
    std::chrono::milliseconds step = std::chrono::milliseconds(50)) {
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    if (cond())
      return std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
    if (std::chrono::steady_clock::now() - start >= limit) return std::nullopt;
    std::this_thread::sleep_for(step);
  }
}

// Whether the process pid still exists (kill(pid, 0)); a zombie counts as existing.
bool process_exists(pid_t pid);
// Whether pid is gone or a zombie all of whose threads have exited: its files (sockets,
// listening UAPI sockets included) are closed. A multi-threaded process (Go) can show a
// zombie leader while other threads still run, which this does not count as finished.
bool process_finished(pid_t pid);

// The pids of processes whose argv contains every one of these words.
std::vector<pid_t> processes_with_args(const std::vector<std::string>& words);

}  // namespace ward::testing
