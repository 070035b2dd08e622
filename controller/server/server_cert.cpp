#include "controller/server/server_cert.hpp"

#include <algorithm>
#include <set>

#include "common/net/ip.hpp"
#include "controller/api/context.hpp"
#include "controller/api/views.hpp"

namespace ward::controller {
namespace {

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return s;
}

// A comparable form of a name list: lower-cased DNS names, canonical IP text.
std::set<std::string> canonical(const std::vector<std::string>& names) {
  std::set<std::string> out;
  for (const std::string& n : names) {
    auto ip = net::IpAddress::parse(n);
    out.insert(ip ? "ip:" + ip->to_string() : "dns:" + lower(n));
  }
  return out;
}

std::string format_utc(std::chrono::system_clock::time_point t) {
  return format_time(store::to_time(t));
}

}  // namespace

Result<ServerNames> split_server_names(const std::vector<std::string>& names) {
  if (names.empty()) return Error::invalid_argument("the controller needs at least one name");
  ServerNames out;
  out.common_name = names.front();
  for (const std::string& n : names) {
    if (net::IpAddress::parse(n)) {
      out.ips.push_back(n);
      continue;
    }
    bool good = !n.empty() && n.size() <= 253;
    for (char c : n) {
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.')) {
        good = false;
      }
    }
    if (!good) {
      return Error::invalid_argument("--name " + quote(n) +
                                     ": expected a DNS name or an IP address");
    }
    out.dns.push_back(n);
  }
  return out;
}

Result<ServerCert> issue_server_cert(const crypto::Certificate& ca,
                                     const crypto::SigningKey& ca_key,
                                     const std::vector<std::string>& names,
                                     std::chrono::seconds lifetime,
                                     std::chrono::system_clock::time_point now) {
  WARD_ASSIGN_OR_RETURN(ServerNames split, split_server_names(names));
  WARD_ASSIGN_OR_RETURN(auto key, crypto::SigningKey::generate(crypto::KeyType::kEcdsaP256));
  crypto::IssueOptions opts;
  opts.common_name = split.common_name;
  opts.dns_names = split.dns;
  opts.ip_addresses = split.ips;
  opts.lifetime = lifetime;
  opts.usage = crypto::IssueOptions::Usage::kServer;
  opts.now = now;
  WARD_ASSIGN_OR_RETURN(auto cert, crypto::issue_for_key(ca, ca_key, key, opts));
  return ServerCert{std::move(cert), std::move(key)};
}

std::vector<std::string> server_cert_names(const crypto::Certificate& cert) {
  std::vector<std::string> out = cert.dns_names();
  for (std::string& ip : cert.ip_addresses())
    out.push_back(std::move(ip));
  return out;
}

std::optional<std::string> server_cert_renewal_reason(const crypto::Certificate& cert,
                                                      const std::vector<std::string>& wanted,
                                                      std::chrono::system_clock::time_point now,
                                                      std::chrono::seconds renew_before) {
  const auto not_after = cert.not_after();
  if (not_after <= now) return "expired";
  if (not_after - now <= renew_before) return "expires soon";
  if (!wanted.empty() && canonical(wanted) != canonical(server_cert_names(cert))) {
    return "names changed";
  }
  return std::nullopt;
}

Result<std::optional<RenewedServerCert>> renew_server_cert_if_due(
    store::Store& store, const audit::Log& audit, const crypto::Certificate& ca,
    const crypto::SigningKey& ca_key, const SecretBytes& master_key, const RenewPolicy& policy,
    std::chrono::system_clock::time_point now) {
  std::optional<RenewedServerCert> out;
  const store::Time tnow = store::to_time(now);
  Status committed = store.transaction([&](store::Tx& tx) -> Status {
    out.reset();
    WARD_ASSIGN_OR_RETURN(std::optional<std::string> pem, tx.setting(setting::kServerCertPem));
    std::optional<crypto::Certificate> current;
    if (pem) {
      auto parsed = crypto::Certificate::from_pem(*pem);
      if (parsed) current = std::move(*parsed);
    }
    std::string reason;
    std::vector<std::string> names = policy.names;
    if (!current) {
      reason = "unreadable";
      if (names.empty()) {
        return Error::corruption(
            "the stored server certificate is unreadable and no --name was given to replace it");
      }
    } else {
      auto why = server_cert_renewal_reason(*current, policy.names, now, policy.renew_before);
      if (!why) return ok();
      reason = *why;
      if (names.empty()) names = server_cert_names(*current);
    }
    WARD_ASSIGN_OR_RETURN(ServerCert fresh,
                          issue_server_cert(ca, ca_key, names, policy.lifetime, now));
    SecretString key_pem = fresh.key.to_pem();
    WARD_ASSIGN_OR_RETURN(std::string sealed,
                          seal_to_text(master_key, key_pem.reveal(), kServerKeyAad));
    const std::string cert_pem = fresh.cert.to_pem();
    WARD_RETURN_IF_ERROR(tx.set_setting(setting::kServerCertPem, cert_pem, tnow));
    WARD_RETURN_IF_ERROR(tx.set_setting(setting::kServerKeySealed, sealed, tnow));
    nlohmann::json details = {{"reason", reason},
                              {"serial", fresh.cert.serial_hex()},
                              {"not_after", format_utc(fresh.cert.not_after())},
                              {"names", names}};
    if (current) {
      details["old_serial"] = current->serial_hex();
      details["old_not_after"] = format_utc(current->not_after());
    }
    audit::Event event{audit::Actor::system(),         "",
                       "controller.server_cert.renew", "controller",
                       audit::Outcome::kSuccess,       std::move(details)};
    WARD_RETURN_IF_ERROR(audit.append(tx, event, tnow));
    out = RenewedServerCert{cert_pem, std::move(key_pem), fresh.cert.serial_hex(),
                            fresh.cert.not_after(), reason};
    return ok();
  });
  if (!committed) return committed.error();
  return out;
}

}  // namespace ward::controller
