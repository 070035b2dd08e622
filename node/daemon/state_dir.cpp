#include "node/daemon/state_dir.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/base/error.hpp"
#include "common/crypto/random.hpp"
#include "common/json/parse.hpp"

namespace ward::node::daemon {
namespace {

Status write_all(int fd, std::string_view data, const std::string& what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno("write " + what, errno);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return ok();
}

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

Status write_file_atomic(const std::string& path, std::string_view data, unsigned mode) {
  std::uint8_t rnd[8];
  WARD_RETURN_IF_ERROR(crypto::random_bytes(rnd));
  std::string tmp = path + ".tmp.";
  for (auto b : rnd) {
    static constexpr char kHex[] = "0123456789abcdef";
    tmp.push_back(kHex[b >> 4]);
    tmp.push_back(kHex[b & 15]);
  }
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return Error::from_errno("create " + tmp, errno);
  Status s = ::fchmod(fd, mode) == 0 ? ok() : Status(Error::from_errno("chmod " + tmp, errno));
  if (s) s = write_all(fd, data, tmp);
  if (s && ::fsync(fd) != 0) s = Error::from_errno("fsync " + tmp, errno);
  if (::close(fd) != 0 && s) s = Error::from_errno("close " + tmp, errno);
  if (s && ::rename(tmp.c_str(), path.c_str()) != 0)
    s = Error::from_errno("rename to " + path, errno);
  if (!s) {
    ::unlink(tmp.c_str());
    return s;
  }
  int dfd = ::open(dir_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return Error::from_errno("open directory of " + path, errno);
  int rc = ::fsync(dfd);
  int e = errno;
  ::close(dfd);
  if (rc != 0) return Error::from_errno("fsync directory of " + path, e);
  return ok();
}

Result<std::string> read_file(const std::string& path, std::size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return Error::not_found(path + " does not exist");
    return Error::from_errno("open " + path, errno);
  }
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      secure_wipe(out.data(), out.size());
      return Error::from_errno("read " + path, e);
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::size_t>(n) > max_bytes) {
      ::close(fd);
      secure_wipe(out.data(), out.size());
      secure_wipe(buf, sizeof buf);
      return Error::invalid_argument(path + " is larger than " + std::to_string(max_bytes) +
                                     " bytes");
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  secure_wipe(buf, sizeof buf);
  ::close(fd);
  return out;
}

std::string DeviceRecord::to_json() const {
  nlohmann::json addrs = nlohmann::json::array();
  for (const auto& a : addresses)
    addrs.push_back(a.to_string());
  return nlohmann::json{
             {"device_id", device_id},
             {"name", name},
             {"status", status},
             {"controller", controller},
             {"addresses", addrs},
             {"overlay", {{"v4", overlay_v4.to_string()}, {"v6", overlay_v6.to_string()}}}}
             .dump(2) +
         "\n";
}

Result<DeviceRecord> DeviceRecord::from_json(std::string_view text) {
  auto bad = [](std::string why) { return Error::corruption("device.json: " + why); };
  auto doc = json::parse(text, {.max_bytes = 64 * 1024});
  if (!doc) return bad(doc.error().message());
  try {
    DeviceRecord d;
    d.device_id = doc->at("device_id").get<std::string>();
    d.name = doc->at("name").get<std::string>();
    d.status = doc->at("status").get<std::string>();
    d.controller = doc->at("controller").get<std::string>();
    for (const auto& a : doc->at("addresses")) {
      auto ia = net::InterfaceAddress::parse(a.get<std::string>());
      if (!ia) return bad(ia.error().message());
      d.addresses.push_back(*ia);
    }
    auto v4 = net::Prefix::parse(doc->at("overlay").at("v4").get<std::string>());
    auto v6 = net::Prefix::parse(doc->at("overlay").at("v6").get<std::string>());
    if (!v4 || !v6) return bad("bad overlay prefix");
    d.overlay_v4 = *v4;
    d.overlay_v6 = *v6;
    if (d.device_id.empty()) return bad("empty device_id");
    return d;
  } catch (const nlohmann::json::exception& e) {
    return bad(std::string("missing or mistyped field (") + e.what() + ")");
  }
}

Result<StateDir> StateDir::open(std::string path) {
  while (path.size() > 1 && path.back() == '/')
    path.pop_back();
  if (path.empty()) return Error::invalid_argument("the state directory must not be empty");
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST)
    return Error::from_errno("create state directory " + path, errno);
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return Error::from_errno("stat " + path, errno);
  if (!S_ISDIR(st.st_mode)) return Error::invalid_argument(path + " is not a directory");
  if (st.st_uid != ::geteuid())
    return Error::permission_denied("state directory " + path + " belongs to uid " +
                                    std::to_string(st.st_uid) + ", not to us");
  if ((st.st_mode & 07777) != 0700 && ::chmod(path.c_str(), 0700) != 0)
    return Error::from_errno("chmod 0700 " + path, errno);
  return StateDir(std::move(path));
}

Result<Identity> StateDir::load_or_create_identity() const {
  auto wg_text = read_file(file(kWgKeyFile), 4096);
  auto tls_text = read_file(file(kTlsKeyFile), 16 * 1024);
  const bool wg_missing = !wg_text && wg_text.error().code() == ErrorCode::kNotFound;
  const bool tls_missing = !tls_text && tls_text.error().code() == ErrorCode::kNotFound;
  if (wg_missing && tls_missing) {
    WARD_ASSIGN_OR_RETURN(auto wg, crypto::WgPrivateKey::generate());
    WARD_ASSIGN_OR_RETURN(auto tls, crypto::SigningKey::generate(crypto::KeyType::kEcdsaP256));
    {
      SecretString b64 = wg.to_base64();
      std::string line = std::string(b64.reveal()) + "\n";
      Status s = write_file_atomic(file(kWgKeyFile), line, 0600);
      secure_wipe(line.data(), line.size());
      WARD_RETURN_IF_ERROR(s);
    }
    SecretString pem = tls.to_pem();
    WARD_RETURN_IF_ERROR(write_file_atomic(file(kTlsKeyFile), pem.reveal(), 0600));
    return Identity{std::move(wg), std::move(tls), true};
  }
  if (wg_missing || tls_missing)
    return Error::corruption("state directory " + path_ + " holds only one of " +
                             std::string(kWgKeyFile) + " and " + std::string(kTlsKeyFile) +
                             "; refusing to replace a device identity (remove both to re-enroll)");
  if (!wg_text) return wg_text.error();
  if (!tls_text) return tls_text.error();
  SecretString wg_secret(std::move(*wg_text));
  SecretString tls_secret(std::move(*tls_text));
  std::string_view w = wg_secret.reveal();
  while (!w.empty() && (w.back() == '\n' || w.back() == '\r' || w.back() == ' '))
    w.remove_suffix(1);
  auto wg = crypto::WgPrivateKey::from_base64(w);
  if (!wg) return Error::corruption(file(kWgKeyFile) + " does not hold a WireGuard private key");
  auto tls = crypto::SigningKey::from_pem(tls_secret.reveal());
  if (!tls) return Error::corruption(file(kTlsKeyFile) + " does not hold a PEM private key");
  for (auto name : {kWgKeyFile, kTlsKeyFile}) {
    struct stat st {};
    if (::stat(file(name).c_str(), &st) == 0 && (st.st_mode & 077) != 0 &&
        ::chmod(file(name).c_str(), 0600) != 0)
      return Error::from_errno("chmod 0600 " + file(name), errno);
  }
  return Identity{std::move(*wg), std::move(*tls), false};
}

Result<std::optional<DeviceRecord>> StateDir::load_device() const {
  auto text = read_file(file(kDeviceFile), 64 * 1024);
  if (!text) {
    if (text.error().code() == ErrorCode::kNotFound) return std::optional<DeviceRecord>{};
    return text.error();
  }
  WARD_ASSIGN_OR_RETURN(DeviceRecord d, DeviceRecord::from_json(*text));
  return std::optional<DeviceRecord>(std::move(d));
}

Status StateDir::save_enrollment(const DeviceRecord& device, std::string_view cert_pem,
                                 std::string_view ca_pem) const {
  // device.json last: its presence means "enrolled", so it must follow the certificate.
  WARD_RETURN_IF_ERROR(write_file_atomic(file(kCaFile), ca_pem, 0644));
  WARD_RETURN_IF_ERROR(write_file_atomic(file(kCertFile), cert_pem, 0644));
  return write_file_atomic(file(kDeviceFile), device.to_json(), 0600);
}

Status StateDir::save_certificate(std::string_view cert_pem) const {
  return write_file_atomic(file(kCertFile), cert_pem, 0644);
}

}  // namespace ward::node::daemon
