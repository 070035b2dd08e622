// Two connections race to use one single-use enrollment key: exactly one may win.
#include <atomic>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "controller/store/sqlite_store.hpp"
#include "controller/store/testing/temp_dir.hpp"

namespace ward::store {
namespace {

const Time kNow = time_from_ms(1'800'000'000'000);

TEST_CASE("store: two concurrent enrollments with one single-use key yield one device", "[unit]") {
  testing::TempDir dir;
  std::string path = dir.file("race.db");
  auto a = open_sqlite_store(path);
  auto b = open_sqlite_store(path);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  constexpr int kRounds = 60;
  int total_wins = 0;
  for (int round = 0; round < kRounds; ++round) {
    Bytes hash(32, 0);
    hash[0] = static_cast<std::uint8_t>(round);
    hash[1] = 0xAB;
    EnrollmentKey key;
    key.key_hash = hash;
    key.expires_at = kNow + std::chrono::hours(1);
    key.tags = {"tag:race"};
    REQUIRE((*a)->transaction([&](Tx& tx) -> Status {
                  return tx.create_enrollment_key(key, kNow).ok() ? ok()
                                                                  : Error::internal("create");
                })
                .ok());

    std::atomic<int> ready{0};
    std::atomic<int> wins{0};
    std::atomic<int> refusals{0};
    std::atomic<int> other{0};
    auto enroll = [&](Store& store, int who) {
      ready.fetch_add(1);
      while (ready.load() < 2) {
      }
      // Check, consume and create the device in one transaction, as /v1/enroll does.
      Status s = store.transaction([&](Tx& tx) -> Status {
        WARD_ASSIGN_OR_RETURN(EnrollmentKey k, tx.consume_enrollment_key(hash, kNow));
        Device d;
        d.name = "r" + std::to_string(round) + "-" + std::to_string(who);
        d.tags = k.tags;
        d.wg_public_key = d.name;
        d.overlay_v4 = "100.64." + std::to_string(round) + "." + std::to_string(who + 1);
        d.overlay_v6 = "fd00::" + std::to_string(round) + ":" + std::to_string(who + 1);
        return tx.create_device(d, kNow).ok() ? ok() : Error::internal("device");
      });
      if (s) {
        wins.fetch_add(1);
      } else if (s.error().code() == ErrorCode::kUnauthenticated) {
        refusals.fetch_add(1);
      } else {
        other.fetch_add(1);
      }
    };
    std::thread t1(enroll, std::ref(**a), 0);
    std::thread t2(enroll, std::ref(**b), 1);
    t1.join();
    t2.join();
    INFO("round " << round);
    REQUIRE(wins.load() == 1);
    REQUIRE(refusals.load() == 1);
    REQUIRE(other.load() == 0);
    total_wins += wins.load();
  }
  auto devices =
      (*a)->read_value<std::vector<Device>>([](Tx& tx) { return tx.list_devices(std::nullopt); });
  REQUIRE(devices.ok());
  CHECK(static_cast<int>(devices->size()) == total_wins);
  CHECK(total_wins == kRounds);
}

}  // namespace
}  // namespace ward::store
