#include "node/uapi/supervisor.hpp"

#include <cerrno>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "node/uapi/client.hpp"

extern char** environ;

namespace ward::node::uapi {

Result<int> PosixProcessRunner::spawn(const std::vector<std::string>& argv) {
  if (argv.empty()) return Error::invalid_argument("spawn: empty argv");
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ);
  if (rc != 0) return Error::from_errno("spawning " + quote(argv[0]), rc);
  return static_cast<int>(pid);
}

Result<bool> PosixProcessRunner::exited(int pid) {
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return true;
    if (r == 0) return false;
    if (errno == EINTR) continue;
    if (errno == ECHILD) return true;  // not ours or already reaped
    return Error::from_errno("waitpid", errno);
  }
}

Status PosixProcessRunner::terminate(int pid, std::chrono::milliseconds grace) {
  WARD_ASSIGN_OR_RETURN(bool gone, exited(pid));
  if (gone) return ok();
  ::kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    WARD_ASSIGN_OR_RETURN(gone, exited(pid));
    if (gone) return ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return ok();
}

WireGuardGoSupervisor::WireGuardGoSupervisor(std::string iface, ProcessRunner& runner,
                                             Options options, Probe probe)
    : iface_(std::move(iface)),
      runner_(runner),
      options_(std::move(options)),
      probe_(std::move(probe)) {
  if (!probe_) {
    probe_ = [](const std::string& path) {
      UapiClient c(path, std::chrono::milliseconds(1000));
      auto r = c.exchange(kGetRequest);
      return r.ok();
    };
  }
}

Result<SuperviseResult> WireGuardGoSupervisor::check() {
  WARD_ASSIGN_OR_RETURN(std::string path, socket_path_for(iface_, options_.socket_dir));
  if (child_) {
    WARD_ASSIGN_OR_RETURN(bool gone, runner_.exited(*child_));
    if (gone) child_.reset();
  }
  if (probe_(path)) return SuperviseResult::kServing;

  if (child_) {
    // Our child lives but does not answer (hung): replace it.
    WARD_RETURN_IF_ERROR(runner_.terminate(*child_, options_.stop_grace));
    child_.reset();
  }
  WARD_ASSIGN_OR_RETURN(int pid, runner_.spawn({options_.binary, "-f", iface_}));
  child_ = pid;
  const bool restarted = ever_started_;
  ever_started_ = true;
  const auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  for (;;) {
    if (probe_(path)) return restarted ? SuperviseResult::kRestarted : SuperviseResult::kStarted;
    WARD_ASSIGN_OR_RETURN(bool gone, runner_.exited(pid));
    if (gone) {
      child_.reset();
      return Error::unavailable(options_.binary + " for " + iface_ + " exited during start");
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      (void)runner_.terminate(pid, options_.stop_grace);
      child_.reset();
      return Error::unavailable(options_.binary + " for " + iface_ +
                                " did not serve its UAPI socket in time");
    }
    std::this_thread::sleep_for(options_.poll_interval);
  }
}

Status WireGuardGoSupervisor::stop() {
  if (!child_) return ok();
  const int pid = *child_;
  child_.reset();
  return runner_.terminate(pid, options_.stop_grace);
}

}  // namespace ward::node::uapi
