#include "node/wg/crypto_pool.hpp"

#include <algorithm>
#include <atomic>
#include <numeric>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "node/wg/crypto.hpp"
#include "node/wg/device.hpp"

namespace ward::wg {
namespace {

TEST_CASE("crypto pool: every index runs exactly once, for any size and worker count", "[unit]") {
  for (unsigned workers : {0u, 1u, 3u}) {
    CryptoPool pool(workers);
    CHECK(pool.workers() == workers);
    for (std::size_t n : {0, 1, 7, 8, 9, 64, 1000}) {
      for (int round = 0; round < 20; ++round) {
        std::vector<int> hits(n, 0);  // plain ints: each index written by one thread
        pool.run(n, [&](std::size_t i) { ++hits[i]; });
        CHECK(std::all_of(hits.begin(), hits.end(), [](int h) { return h == 1; }));
      }
    }
  }
}

TEST_CASE("crypto pool: work is shared with the workers and results are visible", "[unit]") {
  CryptoPool pool(1);
  const std::thread::id caller = std::this_thread::get_id();
  bool helped = false;
  for (int round = 0; round < 200 && !helped; ++round) {
    std::vector<std::thread::id> who(256);
    std::vector<std::uint64_t> value(256, 0);
    pool.run(who.size(), [&](std::size_t i) {
      who[i] = std::this_thread::get_id();
      std::uint64_t v = i;
      for (int k = 0; k < 2000; ++k)
        v = v * 6364136223846793005ULL + 1442695040888963407ULL;
      value[i] = v;
    });
    for (std::size_t i = 0; i < value.size(); ++i) {
      std::uint64_t v = i;
      for (int k = 0; k < 2000; ++k)
        v = v * 6364136223846793005ULL + 1442695040888963407ULL;
      REQUIRE(value[i] == v);
    }
    helped = std::any_of(who.begin(), who.end(), [&](auto id) { return id != caller; });
  }
  CHECK(helped);  // with 200 rounds of 256 slow items, the worker took some
}

TEST_CASE("crypto pool: sealing and opening in parallel equals doing it serially", "[unit]") {
  // Datagrams shaped as the Device defers them: 16-byte header, plaintext, room for a tag.
  Key key;
  random_bytes(key.span());
  std::vector<std::vector<std::uint8_t>> serial, parallel;
  Output out;
  for (std::size_t i = 0; i < 100; ++i) {
    std::vector<std::uint8_t> d(kTransportMinLen + 16 * (i % 90), static_cast<std::uint8_t>(i));
    d[0] = 4;
    for (int b = 0; b < 8; ++b)
      d[8 + static_cast<std::size_t>(b)] = static_cast<std::uint8_t>(i >> (8 * b));
    auto buf = out.add_datagram(Endpoint{}, d.size());
    std::copy(d.begin(), d.end(), buf.begin());
    out.add_seal_job(i, key, i);
    serial.push_back(d);
  }
  for (std::size_t i = 0; i < serial.size(); ++i)
    seal_datagram(out.seal_jobs()[i], serial[i]);
  CryptoPool pool(2);
  const auto jobs = out.seal_jobs();
  pool.run(jobs.size(),
           [&](std::size_t i) { seal_datagram(jobs[i], out.datagram_bytes(jobs[i].datagram)); });
  out.sealed_all();
  CHECK(out.seal_jobs().empty());
  for (std::size_t i = 0; i < serial.size(); ++i) {
    parallel.push_back(out.datagrams()[i].bytes);
    CHECK(parallel[i] == serial[i]);
  }
  std::vector<OpenJob> open(parallel.size());
  for (std::size_t i = 0; i < open.size(); ++i) {
    open[i].key = key;
    open[i].counter = i;
  }
  parallel[50][20] ^= 1;  // one forgery
  pool.run(open.size(), [&](std::size_t i) { (void)open_datagram(open[i], parallel[i]); });
  for (std::size_t i = 0; i < open.size(); ++i)
    CHECK(open[i].opened == (i != 50));
  out.clear();
  CHECK(out.seal_jobs().empty());
}

}  // namespace
}  // namespace ward::wg
