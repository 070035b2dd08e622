#include "tests/support/process.hpp"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace ward::testing {
namespace {

int decode_wait_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Builds "NAME=value" strings: environ minus the removed and overridden names, plus the set ones.
std::vector<std::string> child_environment(const ChildProcess::Options& o) {
  auto dropped = [&](std::string_view entry) {
    const auto eq = entry.find('=');
    const std::string_view name = entry.substr(0, eq);
    for (const auto& n : o.env_unset)
      if (n == name) return true;
    for (const auto& kv : o.env_set)
      if (kv.first == name) return true;
    return false;
  };
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e)
    if (!dropped(*e)) env.emplace_back(*e);
  for (const auto& kv : o.env_set)
    env.push_back(kv.first + "=" + kv.second);
  return env;
}

}  // namespace

std::string CommandResult::trimmed() const {
  std::string out = output;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' '))
    out.pop_back();
  return out;
}

CommandResult run_command(const std::string& command, bool merge_stderr) {
  CommandResult r;
  // Grouped, so the redirection covers every part of a list or pipeline.
  const std::string full = "{ " + command + "\n}" + (merge_stderr ? " 2>&1" : " 2>/dev/null");
  FILE* p = ::popen(full.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
    r.output.append(buf, n);
  r.exit_code = decode_wait_status(::pclose(p));
  return r;
}

std::string shell_quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  out += "'";
  return out;
}

Result<ChildProcess> ChildProcess::spawn(const Options& o) {
  if (o.argv.empty()) return Error::invalid_argument("ChildProcess::spawn: empty argv");
  // Everything the child needs is prepared before fork: after fork in a threaded process
  // only async-signal-safe calls are allowed.
  std::vector<char*> argv;
  for (const auto& a : o.argv)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const std::vector<std::string> env_strings = child_environment(o);
  std::vector<char*> envp;
  for (const auto& e : env_strings)
    envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const std::string log = o.log_path.empty() ? "/dev/null" : o.log_path;
  const std::string exec_failed = "ChildProcess: exec " + o.argv[0] + " failed\n";

  const pid_t pid = ::fork();
  if (pid < 0) return Error::from_errno("fork", errno);
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || devnull < 0) ::_exit(127);
    ::dup2(devnull, 0);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    // Default signal dispositions and mask for the child, whatever the test runner set.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (o.argv[0].find('/') == std::string::npos)
      ::execvpe(argv[0], argv.data(), envp.data());
    else
      ::execve(argv[0], argv.data(), envp.data());
    (void)!::write(2, exec_failed.data(), exec_failed.size());
    ::_exit(127);
  }
  ChildProcess c;
  c.pid_ = pid;
  return c;
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), exit_code_(std::exchange(other.exit_code_, {})) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    kill_and_reap();
    pid_ = std::exchange(other.pid_, -1);
    exit_code_ = std::exchange(other.exit_code_, {});
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  kill_and_reap();
}

bool ChildProcess::running() {
  if (pid_ <= 0 || exit_code_) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_code_ = decode_wait_status(status);
    return false;
  }
  return r == 0;
}

std::optional<int> ChildProcess::wait_exit(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return exit_code_;
}

void ChildProcess::signal(int sig) {
  if (running()) ::kill(pid_, sig);
}

int ChildProcess::kill_and_reap() {
  if (pid_ <= 0) return -1;
  if (!exit_code_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    exit_code_ = decode_wait_status(status);
  }
  return *exit_code_;
}

bool process_exists(pid_t pid) {
  return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
}

bool process_finished(pid_t pid) {
  const std::string task_dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(task_dir.c_str());
  if (d == nullptr) return !process_exists(pid);
  bool finished = true;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream stat(task_dir + "/" + e->d_name + "/stat");
    std::string line;
    std::getline(stat, line);
    // "pid (comm) S ...": comm may hold spaces and parentheses; the state follows the last ')'.
    const std::size_t close = line.rfind(')');
    if (close == std::string::npos || close + 2 >= line.size()) continue;  // the task went away
    const char state = line[close + 2];
    if (state != 'Z' && state != 'X') finished = false;
  }
  ::closedir(d);
  return finished;
}

std::vector<pid_t> processes_with_args(const std::vector<std::string>& words) {
  std::vector<pid_t> found;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return found;
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != 0) continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/cmdline", std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::vector<std::string> args;
    std::string arg;
    for (char c : ss.str()) {
      if (c == 0) {
        args.push_back(arg);
        arg.clear();
      } else {
        arg += c;
      }
    }
    bool all = !args.empty();
    for (const auto& w : words) {
      bool any = false;
      for (const auto& a : args)
        any = any || a == w || (a.size() > w.size() && a.ends_with("/" + w));
      all = all && any;
    }
    if (all) found.push_back(static_cast<pid_t>(pid));
  }
  ::closedir(d);
  return found;
}

}  // namespace ward::testing
