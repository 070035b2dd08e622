#include "controller/server/data_dir.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/crypto/aead.hpp"
#include "controller/store/settings.hpp"
#include "controller/store/sqlite_store.hpp"

namespace ward::controller {
namespace {

Status write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::from_errno("write " + path, errno);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return ok();
}

std::string parent_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Result<std::string> required_setting(store::Tx& tx, std::string_view key) {
  WARD_ASSIGN_OR_RETURN(std::optional<std::string> v, tx.setting(key));
  if (!v) return Error::corruption("the database has no setting " + std::string(key));
  return *v;
}

}  // namespace

std::string join_path(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (!out.empty() && out.back() != '/') out.push_back('/');
  out.append(name);
  return out;
}

Status fsync_path(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error::from_errno("open " + path, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Error::from_errno("fsync " + path, err);
  return ok();
}

Status write_file_atomic(const std::string& path, std::string_view data, unsigned mode) {
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                        static_cast<mode_t>(mode));
  if (fd < 0) return Error::from_errno("create " + tmp, errno);
  Status s = write_all(fd, data, tmp);
  if (s && ::fchmod(fd, static_cast<mode_t>(mode)) != 0)
    s = Error::from_errno("chmod " + tmp, errno);
  if (s && ::fsync(fd) != 0) s = Error::from_errno("fsync " + tmp, errno);
  ::close(fd);
  if (s && ::rename(tmp.c_str(), path.c_str()) != 0) s = Error::from_errno("rename " + tmp, errno);
  if (!s) {
    ::unlink(tmp.c_str());
    return s;
  }
  return fsync_path(parent_of(path));
}

Result<SecretBytes> read_master_key(const std::string& data_dir) {
  const std::string path = join_path(data_dir, kMasterKeyFile);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return Error::from_errno("open " + path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Error::from_errno("stat " + path, err);
  }
  if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
    ::close(fd);
    return Error::permission_denied(path + " must be a regular file with mode 0600");
  }
  SecretBytes key(kMasterKeySize);
  std::uint8_t extra = 0;
  const ssize_t n = ::read(fd, key.data(), key.size());
  const ssize_t more = ::read(fd, &extra, 1);
  ::close(fd);
  if (n != static_cast<ssize_t>(kMasterKeySize) || more != 0) {
    return Error::corruption(path + " must hold exactly 32 bytes");
  }
  return key;
}

Result<LoadedController> load_controller(const std::string& data_dir) {
  LoadedController out;
  WARD_ASSIGN_OR_RETURN(out.master_key, read_master_key(data_dir));
  const std::string db = join_path(data_dir, kDatabaseFile);
  WARD_ASSIGN_OR_RETURN(out.store, store::open_sqlite_store(db, {.create = false}));
  const SecretBytes& mk = out.master_key;
  std::string ca_pem, ca_key_sealed, server_key_sealed, audit_key_sealed, v4, v6;
  std::chrono::seconds cert_lifetime{0}, session_lifetime{0}, idle{0};
  if (Status tx_status = out.store->read([&](store::Tx& tx) -> Status {
        WARD_ASSIGN_OR_RETURN(ca_pem, required_setting(tx, setting::kCaCertPem));
        WARD_ASSIGN_OR_RETURN(ca_key_sealed, required_setting(tx, setting::kCaKeySealed));
        WARD_ASSIGN_OR_RETURN(out.server_cert_pem, required_setting(tx, setting::kServerCertPem));
        WARD_ASSIGN_OR_RETURN(server_key_sealed, required_setting(tx, setting::kServerKeySealed));
        WARD_ASSIGN_OR_RETURN(audit_key_sealed, required_setting(tx, setting::kAuditKeySealed));
        WARD_ASSIGN_OR_RETURN(out.listen, required_setting(tx, setting::kListen));
        WARD_ASSIGN_OR_RETURN(v4, required_setting(tx, setting::kOverlayV4));
        WARD_ASSIGN_OR_RETURN(v6, required_setting(tx, setting::kOverlayV6));
        WARD_ASSIGN_OR_RETURN(cert_lifetime, store::seconds_setting(tx, store::kDeviceCertLifetime,
                                                                    std::chrono::hours(24)));
        WARD_ASSIGN_OR_RETURN(session_lifetime, store::seconds_setting(tx, store::kSessionLifetime,
                                                                       std::chrono::hours(12)));
        WARD_ASSIGN_OR_RETURN(
            idle, store::seconds_setting(tx, store::kSessionIdleTimeout, std::chrono::minutes(30)));
        return ok();
      });
      !tx_status)
    return tx_status.error();
  WARD_ASSIGN_OR_RETURN(out.ca, crypto::Certificate::from_pem(ca_pem));
  auto pem_of = [&](const std::string& sealed, std::string_view aad) -> Result<crypto::SigningKey> {
    WARD_ASSIGN_OR_RETURN(SecretBytes pem, open_from_text(mk, sealed, aad));
    return crypto::SigningKey::from_pem(
        std::string_view(reinterpret_cast<const char*>(pem.data()), pem.size()));
  };
  WARD_ASSIGN_OR_RETURN(out.ca_key, pem_of(ca_key_sealed, kCaKeyAad));
  WARD_ASSIGN_OR_RETURN(crypto::SigningKey server_key, pem_of(server_key_sealed, kServerKeyAad));
  out.server_key_pem = server_key.to_pem();
  WARD_ASSIGN_OR_RETURN(crypto::SigningKey audit_key, pem_of(audit_key_sealed, kAuditKeyAad));
  out.audit = std::make_unique<audit::Log>(std::move(audit_key));
  WARD_ASSIGN_OR_RETURN(out.config.overlay_v4, net::Prefix::parse(v4));
  WARD_ASSIGN_OR_RETURN(out.config.overlay_v6, net::Prefix::parse(v6));
  out.config.device_cert_lifetime = cert_lifetime;
  out.config.session_policy.lifetime = session_lifetime;
  out.config.session_policy.idle_timeout = idle;
  return out;
}

}  // namespace ward::controller
