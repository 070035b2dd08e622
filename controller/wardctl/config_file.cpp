#include "controller/wardctl/config_file.hpp"

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "common/crypto/random.hpp"

namespace ward::wardctl {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }

 private:
  int fd_;
};

std::string mode_string(mode_t m) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m & 07777));
  return buf;
}

Result<std::string> read_all(int fd, std::size_t max_bytes, const std::string& path) {
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno("reading " + quote(path, 200), errno);
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
      secure_wipe(out.data(), out.size());
      return Error::invalid_argument(quote(path, 200) + " is larger than " +
                                     std::to_string(max_bytes) + " bytes");
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  secure_wipe(buf, sizeof buf);
  return out;
}

Status write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno("write", errno);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return ok();
}

std::string parent_dir(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// mkdir -p for the parents; the last directory gets 0700.
Status ensure_private_dir(const std::string& dir) {
  if (dir.empty() || dir == "/" || dir == ".") return ok();
  struct stat st {};
  if (::lstat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      return Error::invalid_argument(quote(dir, 200) + " exists and is not a directory");
    }
    if (st.st_uid != ::geteuid()) {
      return Error::permission_denied("config directory " + quote(dir, 200) +
                                      " belongs to another user");
    }
    if ((st.st_mode & 077) != 0 && ::chmod(dir.c_str(), 0700) != 0) {
      return Error::from_errno("chmod 0700 " + quote(dir, 200), errno);
    }
    return ok();
  }
  if (errno != ENOENT) return Error::from_errno("stat " + quote(dir, 200), errno);
  const std::string parent = parent_dir(dir);
  struct stat pst {};
  if (::stat(parent.c_str(), &pst) != 0) {
    if (errno != ENOENT) return Error::from_errno("stat " + quote(parent, 200), errno);
    if (::mkdir(parent.c_str(), 0700) != 0 && errno != EEXIST) {
      WARD_RETURN_IF_ERROR(ensure_private_dir(parent));
    }
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Error::from_errno("mkdir " + quote(dir, 200), errno);
  }
  return ok();
}

}  // namespace

Result<std::optional<ConfigFile>> load_config_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::optional<ConfigFile>{};
    if (errno == ELOOP) {
      return Error::permission_denied("refusing to read config file " + quote(path, 200) +
                                      ": it is a symbolic link");
    }
    return Error::from_errno("opening config file " + quote(path, 200), errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Error::from_errno("stat " + quote(path, 200), errno);
  if (!S_ISREG(st.st_mode)) {
    return Error::permission_denied("refusing to read config file " + quote(path, 200) +
                                    ": not a regular file");
  }
  if (st.st_uid != ::geteuid()) {
    return Error::permission_denied("refusing to read config file " + quote(path, 200) +
                                    ": it belongs to uid " + std::to_string(st.st_uid) +
                                    ", not to you");
  }
  if ((st.st_mode & 077) != 0) {
    return Error::permission_denied("refusing to read config file " + quote(path, 200) +
                                    ": it holds a session token but "
                                    "its mode " +
                                    mode_string(st.st_mode) +
                                    " lets group or others access it; run: chmod 600 " + path);
  }
  auto text = read_all(fd.get(), kMaxConfigBytes, path);
  if (!text) return std::move(text).error();
  auto config = decode_config(*text);
  secure_wipe(text->data(), text->size());
  if (!config) return config.error().context("config file " + quote(path, 200));
  return std::optional<ConfigFile>(std::move(*config));
}

Status save_config_file(const std::string& path, const ConfigFile& config) {
  const std::string dir = parent_dir(path);
  WARD_RETURN_IF_ERROR(ensure_private_dir(dir));
  std::uint8_t suffix[8] = {};
  std::string tmp = path + ".tmp-";
  if (crypto::random_bytes(suffix)) {
    for (std::uint8_t b : suffix) {
      static constexpr char kHex[] = "0123456789abcdef";
      tmp += kHex[b >> 4];
      tmp += kHex[b & 15];
    }
  } else {
    tmp += std::to_string(::getpid());
  }
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd.get() < 0) return Error::from_errno("creating " + quote(tmp, 200), errno);
  std::string text = encode_config(config);
  Status st = [&]() -> Status {
    if (::fchmod(fd.get(), 0600) != 0) return Error::from_errno("fchmod", errno);
    WARD_RETURN_IF_ERROR(write_all(fd.get(), text));
    if (::fsync(fd.get()) != 0) return Error::from_errno("fsync", errno);
    if (::close(fd.release()) != 0) return Error::from_errno("close", errno);
    if (::rename(tmp.c_str(), path.c_str()) != 0) return Error::from_errno("rename", errno);
    return ok();
  }();
  secure_wipe(text.data(), text.size());
  if (!st) {
    ::unlink(tmp.c_str());
    return st.error().context("saving config file " + quote(path, 200));
  }
  Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() >= 0) (void)::fsync(dfd.get());
  return ok();
}

Result<std::string> read_text_file(const std::string& path, std::size_t max_bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Error::from_errno("opening " + quote(path, 200), errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Error::from_errno("stat " + quote(path, 200), errno);
  if (!S_ISREG(st.st_mode))
    return Error::invalid_argument(quote(path, 200) + " is not a regular file");
  return read_all(fd.get(), max_bytes, path);
}

}  // namespace ward::wardctl
