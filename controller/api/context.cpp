#include "controller/api/context.hpp"

#include <vector>

#include "common/crypto/aead.hpp"
#include "common/crypto/encoding.hpp"
#include "common/log/log.hpp"

namespace ward::controller {

std::string totp_aad(std::int64_t user_id) {
  return "ward:totp:" + std::to_string(user_id);
}

Result<std::string> seal_to_text(const SecretBytes& master_key, std::string_view plaintext,
                                 std::string_view aad) {
  WARD_ASSIGN_OR_RETURN(std::string blob, crypto::seal(master_key, plaintext, aad));
  return crypto::base64_encode(blob);
}

Result<SecretBytes> open_from_text(const SecretBytes& master_key, std::string_view text,
                                   std::string_view aad) {
  auto blob = crypto::base64_decode(text);
  if (!blob) return Error::corruption("sealed value " + std::string(aad) + " is not base64");
  auto opened = crypto::open(
      master_key, std::string_view(reinterpret_cast<const char*>(blob->data()), blob->size()), aad);
  if (!opened) {
    return Error::corruption("sealed value " + std::string(aad) +
                             " does not open with this master key");
  }
  return std::move(opened).value();
}

ApiContext::ApiContext(store::Store& s, const audit::Log& a, crypto::Certificate c,
                       crypto::SigningKey k, SecretBytes m, ControllerConfig cfg, Clock clk,
                       net::AddressAllocator v4, net::AddressAllocator v6)
    : store(s),
      audit(a),
      ca(std::move(c)),
      ca_key(std::move(k)),
      master_key(std::move(m)),
      config(std::move(cfg)),
      throttle(),
      clock(std::move(clk)),
      started_at(clock()),
      alloc_v4(std::move(v4)),
      alloc_v6(std::move(v6)),
      log(log::logger("api")) {}

Result<std::unique_ptr<ApiContext>> ApiContext::create(store::Store& store, const audit::Log& audit,
                                                       crypto::Certificate ca,
                                                       crypto::SigningKey ca_key,
                                                       SecretBytes master_key,
                                                       ControllerConfig config, Clock clock) {
  std::vector<net::IpAddress> used;
  WARD_RETURN_IF_ERROR(store.read([&](store::Tx& tx) -> Status {
    WARD_ASSIGN_OR_RETURN(std::vector<store::Device> devices, tx.list_devices(std::nullopt));
    for (const store::Device& d : devices) {
      for (const std::string* text : {&d.overlay_v4, &d.overlay_v6}) {
        auto ip = net::IpAddress::parse(*text);
        if (!ip) return Error::corruption("device " + std::to_string(d.id) + " has a bad address");
        used.push_back(*ip);
      }
    }
    return ok();
  }));
  net::AddressAllocator v4(config.overlay_v4, used);
  net::AddressAllocator v6(config.overlay_v6, used);
  return std::unique_ptr<ApiContext>(
      new ApiContext(store, audit, std::move(ca), std::move(ca_key), std::move(master_key),
                     std::move(config), std::move(clock), std::move(v4), std::move(v6)));
}

}  // namespace ward::controller
