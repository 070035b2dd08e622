// Per-packet CPU cost of Ward's WireGuard core, no I/O:
//   build/<dir>/tests/bench/wg/ward_bench_wg
// BM_Encrypt: one inner IPv4 packet of the given size through Device::send_ip_packet.
// BM_Decrypt: one transport datagram through Device::receive_datagram (replay window,
// source check, padding trim) into the coalescer. Bytes/s are inner bytes.
// BM_SealBatch/W: a batch of 64 deferred 1420-byte messages (what one TSO super-packet
// and a bit becomes) sealed by a CryptoPool with W workers plus the calling thread, as
// the daemon does; wall-clock time, so it shows the parallel speed-up when cores are free.
#include <cstring>
#include <vector>

#include <benchmark/benchmark.h>

#include "node/wg/crypto_pool.hpp"
#include "node/wg/device.hpp"
#include "node/wg/offload.hpp"

namespace {

using namespace ward::wg;

std::vector<std::uint8_t> ipv4(std::uint8_t src, std::uint8_t dst, std::size_t total) {
  std::vector<std::uint8_t> p(total, 0x5a);
  p[0] = 0x45;
  p[2] = static_cast<std::uint8_t>(total >> 8);
  p[3] = static_cast<std::uint8_t>(total);
  p[9] = 17;
  const std::uint8_t a[8] = {100, 64, 0, src, 100, 64, 0, dst};
  std::memcpy(&p[12], a, 8);
  return p;
}

// Two devices with an established session a <-> b.
struct Pair {
  Device a{[] { return Nanos{0}; }};
  Device b{[] { return Nanos{0}; }};
  Endpoint ea = Endpoint::v4({192, 0, 2, 1}, 1);
  Endpoint eb = Endpoint::v4({192, 0, 2, 2}, 2);
  Time now{kSecond, 1'700'000'000LL * kSecond};
  Pair() {
    a.set_private_key(generate_private_key());
    b.set_private_key(generate_private_key());
    IpPrefix pa{4, {100, 64, 0, 1}, 32}, pb{4, {100, 64, 0, 2}, 32};
    (void)a.add_peer(b.identity().public_key());
    (void)a.set_endpoint(b.identity().public_key(), eb);
    (void)a.add_allowed_ip(b.identity().public_key(), pb);
    (void)b.add_peer(a.identity().public_key());
    (void)b.set_endpoint(a.identity().public_key(), ea);
    (void)b.add_allowed_ip(a.identity().public_key(), pa);
    // Handshake: a -> init -> b -> resp -> a -> data -> b.
    Output o1, o2;
    a.send_ip_packet(ipv4(1, 2, 100), now, o1);
    b.receive_datagram(o1.datagrams()[0].bytes, ea, now, o2);
    o1.clear();
    a.receive_datagram(o2.datagrams()[0].bytes, eb, now, o1);
    o2.clear();
    b.receive_datagram(o1.datagrams()[0].bytes, ea, now, o2);
  }
};

void BM_Encrypt(benchmark::State& state) {
  Pair p;
  Output out;
  const auto pkt = ipv4(1, 2, static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    p.a.send_ip_packet(pkt, p.now, out);
    benchmark::DoNotOptimize(out.datagrams().data());
    out.clear();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Encrypt)->Arg(64)->Arg(1420);

void BM_DecryptCoalesce(benchmark::State& state) {
  Pair p;
  Output enc, dec;
  const auto pkt = ipv4(1, 2, static_cast<std::size_t>(state.range(0)));
  // Pre-encrypt a pool of datagrams with increasing counters.
  std::vector<std::vector<std::uint8_t>> wire;
  for (int i = 0; i < 1 << 16; ++i) {
    p.a.send_ip_packet(pkt, p.now, enc);
    wire.push_back(enc.datagrams()[0].bytes);
    enc.clear();
  }
  TcpCoalescer coalescer;
  std::size_t i = 0;
  for (auto _ : state) {
    if (i == wire.size()) {
      state.PauseTiming();
      for (auto& w : wire) {
        p.a.send_ip_packet(pkt, p.now, enc);
        w = enc.datagrams()[0].bytes;
        enc.clear();
      }
      i = 0;
      state.ResumeTiming();
    }
    p.b.receive_datagram(wire[i++], p.ea, p.now, dec);
    coalescer.clear();
    for (const auto& t : dec.tun_packets())
      coalescer.add(t.bytes);
    coalescer.finish_batch();
    dec.clear();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_DecryptCoalesce)->Arg(64)->Arg(1420);

void BM_SealBatch(benchmark::State& state) {
  Pair p;
  Output out;
  out.set_defer_seal(true);
  const auto pkt = ipv4(1, 2, 1420);
  ward::wg::CryptoPool pool(static_cast<unsigned>(state.range(0)));
  for (auto _ : state) {
    state.PauseTiming();
    out.clear();
    for (int i = 0; i < 64; ++i)
      p.a.send_ip_packet(pkt, p.now, out);
    state.ResumeTiming();
    const auto jobs = out.seal_jobs();
    pool.run(jobs.size(),
             [&](std::size_t i) { seal_datagram(jobs[i], out.datagram_bytes(jobs[i].datagram)); });
    benchmark::DoNotOptimize(out.datagrams().data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * 64 * 1420);
}
BENCHMARK(BM_SealBatch)->Arg(0)->Arg(1)->UseRealTime();

void BM_TsoSplit(benchmark::State& state) {
  // A 64 KiB TCP/IPv4 super-packet cut into 1368-byte segments (checksums included).
  std::vector<std::uint8_t> super(40 + 46 * 1368, 0x33);
  super[0] = 0x45;
  super[2] = static_cast<std::uint8_t>(super.size() >> 8);
  super[3] = static_cast<std::uint8_t>(super.size());
  super[9] = 6;
  super[32] = 5 << 4;
  super[33] = 0x10;
  const VnetHdr h = VnetHdr::tcp_gso(4, 20, 0, 1368);
  std::vector<std::uint8_t> scratch;
  std::size_t n = 0;
  // The split works in place; what it leaves is again a valid super-packet of the same
  // size and segmentation (its payload bytes no longer matter), so it is split again.
  for (auto _ : state) {
    benchmark::DoNotOptimize(gso_split(super, h, scratch, [&n](Bytes s) { n += s.size(); }));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(super.size()));
}
BENCHMARK(BM_TsoSplit);

}  // namespace

BENCHMARK_MAIN();
