#include "tests/support/netns.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <sched.h>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace ward::testing {
namespace {

constexpr const char* kNetnsDir = "/var/run/netns";

Status run_checked(const std::string& command) {
  CommandResult r = run_command(command, true);
  if (!r.ok())
    return Error::internal(quote(command) + " failed with " + std::to_string(r.exit_code) + ": " +
                           r.output);
  return ok();
}

std::vector<pid_t> parse_pids(const std::string& text) {
  std::vector<pid_t> pids;
  std::istringstream in(text);
  long pid = 0;
  while (in >> pid)
    if (pid > 0) pids.push_back(static_cast<pid_t>(pid));
  return pids;
}

void kill_and_delete(const std::string& name) {
  const std::vector<pid_t> pids = parse_pids(run_command("ip netns pids " + name).output);
  for (pid_t p : pids)
    ::kill(p, SIGKILL);
  (void)run_command("ip netns del " + name);
}

}  // namespace

Result<std::unique_ptr<Netns>> Netns::create(const std::string& name) {
  WARD_RETURN_IF_ERROR(run_checked("ip netns add " + shell_quote(name)));
  std::unique_ptr<Netns> ns(new Netns(name));  // from here on, the destructor deletes it
  WARD_RETURN_IF_ERROR(run_checked("ip -n " + shell_quote(name) + " link set lo up"));
  return ns;
}

Netns::~Netns() {
  kill_all();
  (void)run_command("ip netns del " + shell_quote(name_));
}

CommandResult Netns::exec(const std::string& command, bool merge_stderr) const {
  return run_command("ip netns exec " + shell_quote(name_) + " sh -c " + shell_quote(command),
                     merge_stderr);
}

std::vector<std::string> Netns::exec_argv(std::vector<std::string> argv) const {
  std::vector<std::string> full = {"ip", "netns", "exec", name_};
  full.insert(full.end(), argv.begin(), argv.end());
  return full;
}

std::vector<pid_t> Netns::pids() const {
  return parse_pids(run_command("ip netns pids " + shell_quote(name_)).output);
}

void Netns::kill_all() const {
  std::vector<pid_t> pids = this->pids();
  for (pid_t p : pids)
    ::kill(p, SIGKILL);
  // Reap our own children among them (others are reaped by their parents or init).
  for (pid_t p : pids)
    (void)::waitpid(p, nullptr, WNOHANG);
  (void)eventually(
      [&] {
        for (pid_t p : pids) {
          (void)::waitpid(p, nullptr, WNOHANG);
          if (!process_finished(p)) return false;
        }
        return true;
      },
      std::chrono::seconds(5), std::chrono::milliseconds(20));
}

bool Netns::can_connect_tcp(const std::string& ip, std::uint16_t port,
                            std::chrono::milliseconds limit) const {
  auto r = run_in([&] { return connect_tcp(ip, port, limit); });
  return r && r->fd.valid();
}

bool Netns::can_ping(const std::string& ip, std::chrono::seconds wait) const {
  const long seconds = wait.count() < 1 ? 1 : static_cast<long>(wait.count());
  return exec("ping -c 1 -W " + std::to_string(seconds) + " " + shell_quote(ip)).ok();
}

Result<UniqueFd> Netns::listen_tcp(std::uint16_t port, bool v6) const {
  return call([&] { return ward::testing::listen_tcp(port, v6); });
}

bool Netns::has_nft_table(const std::string& family, const std::string& table) const {
  return exec("nft list table " + shell_quote(family) + " " + shell_quote(table)).ok();
}

Status Netns::enter_this_thread() const {
  const std::string path = std::string(kNetnsDir) + "/" + name_;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error::from_errno("open " + path, errno);
  const int rc = ::setns(fd, CLONE_NEWNET);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Error::from_errno("setns " + path, err);
  return ok();
}

Topology::Topology(std::string prefix)
    : prefix_(std::move(prefix)),
      tag_(std::to_string(::getpid())),
      short_tag_(std::to_string(::getpid() % 100000)) {
  sweep_stale(prefix_);
}

Topology::~Topology() {
  while (!namespaces_.empty())
    namespaces_.pop_back();
  if (original_netns_fd_ >= 0) {
    // Back to where the thread came from; the hub goes away with its last process.
    if (::setns(original_netns_fd_, CLONE_NEWNET) != 0) std::abort();  // cannot continue safely
    ::close(original_netns_fd_);
    original_netns_fd_ = -1;
  }
}

Status Topology::enter_private() {
  if (original_netns_fd_ >= 0) return Error::already_exists("Topology: the thread already left");
  const int fd = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error::from_errno("open /proc/thread-self/ns/net", errno);
  if (::unshare(CLONE_NEWNET) != 0) {
    const int err = errno;
    ::close(fd);
    return Error::from_errno("unshare(CLONE_NEWNET)", err);
  }
  original_netns_fd_ = fd;
  return run_checked("ip link set lo up");
}

Status Topology::enter_hub(const std::string& bridge_cidr) {
  WARD_RETURN_IF_ERROR(enter_private());
  WARD_RETURN_IF_ERROR(run_checked("ip link add br0 type bridge"));
  WARD_RETURN_IF_ERROR(run_checked("ip addr add " + shell_quote(bridge_cidr) + " dev br0"));
  WARD_RETURN_IF_ERROR(run_checked("ip link set br0 up"));
  has_bridge_ = true;
  return ok();
}

Status Topology::link_here(const LinkEnd& a, const LinkEnd& b) {
  if (!in_private()) return Error::invalid_argument("Topology::link_here needs enter_private()");
  const std::string ia = shell_quote(a.ifname), ib = shell_quote(b.ifname);
  WARD_RETURN_IF_ERROR(run_checked("ip link add " + ia + " type veth peer name " + ib));
  for (const LinkEnd* end : {&a, &b}) {
    const std::string i = shell_quote(end->ifname);
    if (!end->cidr.empty())
      WARD_RETURN_IF_ERROR(run_checked("ip addr add " + shell_quote(end->cidr) + " dev " + i));
    WARD_RETURN_IF_ERROR(run_checked("ip link set " + i + " up"));
  }
  return ok();
}

Result<Netns*> Topology::add_namespace(const std::string& name) {
  const std::string full =
      prefix_ + "-" + tag_ + "-" + std::to_string(namespaces_.size()) + "-" + name;
  WARD_ASSIGN_OR_RETURN(auto ns, Netns::create(full));
  namespaces_.push_back(std::move(ns));
  return namespaces_.back().get();
}

Status Topology::join_hub(const Netns& ns, const std::string& ifname, const std::string& cidr) {
  if (!has_bridge_) return Error::invalid_argument("Topology::join_hub needs enter_hub() first");
  const std::string hub_end = "h" + std::to_string(hub_links_++);
  const std::string n = shell_quote(ns.name());
  const std::string i = shell_quote(ifname);
  WARD_RETURN_IF_ERROR(
      run_checked("ip link add " + hub_end + " type veth peer name " + i + " netns " + n));
  WARD_RETURN_IF_ERROR(run_checked("ip link set " + hub_end + " master br0"));
  WARD_RETURN_IF_ERROR(run_checked("ip link set " + hub_end + " up"));
  WARD_RETURN_IF_ERROR(run_checked("ip -n " + n + " addr add " + shell_quote(cidr) + " dev " + i));
  return run_checked("ip -n " + n + " link set " + i + " up");
}

Status Topology::link(const Netns& a, const LinkEnd& end_a, const Netns& b, const LinkEnd& end_b) {
  const std::string na = shell_quote(a.name()), nb = shell_quote(b.name());
  const std::string ia = shell_quote(end_a.ifname), ib = shell_quote(end_b.ifname);
  WARD_RETURN_IF_ERROR(run_checked("ip link add " + ia + " netns " + na + " type veth peer name " +
                                   ib + " netns " + nb));
  if (!end_a.cidr.empty())
    WARD_RETURN_IF_ERROR(
        run_checked("ip -n " + na + " addr add " + shell_quote(end_a.cidr) + " dev " + ia));
  if (!end_b.cidr.empty())
    WARD_RETURN_IF_ERROR(
        run_checked("ip -n " + nb + " addr add " + shell_quote(end_b.cidr) + " dev " + ib));
  WARD_RETURN_IF_ERROR(run_checked("ip -n " + na + " link set " + ia + " up"));
  return run_checked("ip -n " + nb + " link set " + ib + " up");
}

void Topology::sweep_stale(const std::string& prefix) {
  DIR* d = ::opendir(kNetnsDir);
  if (d == nullptr) return;
  std::vector<std::string> stale;
  const std::string head = prefix + "-";
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (!name.starts_with(head)) continue;
    char* end = nullptr;
    const long pid = std::strtol(name.c_str() + head.size(), &end, 10);
    if (pid <= 0 || end == nullptr || *end != '-') continue;
    if (!process_exists(static_cast<pid_t>(pid))) stale.push_back(name);
  }
  ::closedir(d);
  for (const auto& name : stale)
    kill_and_delete(shell_quote(name));
}

}  // namespace ward::testing
