#include <algorithm>
#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/base/error.hpp"
#include "node/posture/posture.hpp"

namespace ward::node::posture {

std::string HostView::path(std::string_view rel) const {
  std::string out = root_;
  while (!out.empty() && out.back() == '/')
    out.pop_back();
  if (rel.empty() || rel.front() != '/') out.push_back('/');
  out.append(rel);
  return out;
}

Result<std::string> HostView::read(std::string_view rel, std::size_t max_bytes) const {
  const std::string p = path(rel);
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return Error::not_found(p + " does not exist");
    return Error::from_errno("open " + p, errno);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return Error::from_errno("read " + p, e);
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > max_bytes) {
      ::close(fd);
      return Error::invalid_argument(p + " is larger than " + std::to_string(max_bytes) + " bytes");
    }
  }
  ::close(fd);
  return out;
}

bool HostView::exists(std::string_view rel) const {
  struct stat st {};
  return ::stat(path(rel).c_str(), &st) == 0;
}

Result<std::vector<std::string>> HostView::list_dir(std::string_view rel) const {
  const std::string p = path(rel);
  DIR* d = ::opendir(p.c_str());
  if (d == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return Error::not_found(p + " does not exist");
    return Error::from_errno("opendir " + p, errno);
  }
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n == "." || n == "..") continue;
    names.emplace_back(n);
    if (names.size() > 4096) break;
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace ward::node::posture
