// libFuzzer target: arbitrary datagrams into a Device that has a peer and a live session,
// so handshake, cookie and transport parsing and the state machine all see fuzz input,
// through both the serial calls and the daemon's split receive / deferred seal path.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "node/wg/device.hpp"

namespace {

struct Setup {
  ward::wg::Device a{[] { return ward::wg::Nanos{0}; }};
  ward::wg::Device b{[] { return ward::wg::Nanos{0}; }};
  ward::wg::Output out;
  ward::wg::Endpoint ea = ward::wg::Endpoint::v4({192, 0, 2, 1}, 1);
  ward::wg::Endpoint eb = ward::wg::Endpoint::v4({192, 0, 2, 2}, 2);
  Setup() {
    a.set_private_key(ward::wg::generate_private_key());
    b.set_private_key(ward::wg::generate_private_key());
    ward::wg::IpPrefix all;
    all.cidr = 0;
    for (auto [x, y, e] : {std::tuple{&a, &b, eb}, std::tuple{&b, &a, ea}}) {
      (void)x->add_peer(y->identity().public_key());
      (void)x->set_endpoint(y->identity().public_key(), e);
      (void)x->add_allowed_ip(y->identity().public_key(), all);
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Setup s;
  static std::int64_t t = 0;
  t += 1'000'000;
  ward::wg::Time now{t, t};
  s.b.receive_datagram({data, size}, s.ea, now, s.out);
  // The daemon's split receive path over the same bytes (decrypting a copy in place).
  std::vector<std::uint8_t> copy(data, data + size);
  ward::wg::OpenJob job;
  if (s.b.begin_open(copy, now, job)) {
    (void)ward::wg::open_datagram(job, copy);
    s.b.finish_open(job, copy, s.ea, now, s.out);
  }
  // Also feed it as an inner packet, and as a UAPI-free tick.
  s.a.send_ip_packet({data, size}, now, s.out);
  s.a.tick(now, s.out);
  s.out.clear();
  // And once more with deferred sealing, as the daemon encrypts.
  s.out.set_defer_seal(true);
  s.a.send_ip_packet({data, size}, now, s.out);
  s.out.seal_all();
  s.out.set_defer_seal(false);
  s.out.clear();
  return 0;
}
