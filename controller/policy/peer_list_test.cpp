#include "controller/policy/peer_list.hpp"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace ward::policy {
namespace {

PeerEntry entry(const std::string& id, std::uint32_t rule = 0) {
  auto info = std::make_shared<PeerInfo>();
  info->id = id;
  PeerEntry e{std::move(info), {}};
  e.why.push_back({rule, Direction::kInbound});
  return e;
}

std::vector<std::string> ids(const PeerList& l) {
  std::vector<std::string> out;
  for (const PeerEntry& e : l)
    out.push_back(e.info->id);
  return out;
}

// Ids that share long prefixes (equal 8-byte keys) and differ in length.
std::string make_id(int n) {
  return n % 3 == 0 ? "device-" + std::to_string(n) : "dev-" + std::to_string(n);
}

TEST_CASE("peer list: build, index, iterate, search", "[unit]") {
  for (int n : {0, 1, 15, 16, 17, 100, 1000}) {
    std::vector<std::string> want;
    for (int i = 0; i < n; ++i)
      want.push_back(make_id(i));
    std::sort(want.begin(), want.end());
    std::vector<PeerEntry> entries;
    for (const auto& id : want)
      entries.push_back(entry(id));
    PeerList l(std::move(entries));
    REQUIRE(l.size() == want.size());
    CHECK(l.empty() == want.empty());
    CHECK(ids(l) == want);
    for (std::size_t i = 0; i < want.size(); ++i) {
      CHECK(l[i].info->id == want[i]);
      const PeerEntry* at = nullptr;
      CHECK(l.lower_bound(want[i], &at) == i);
      REQUIRE(at);
      CHECK(at->info->id == want[i]);
      CHECK(l.find(want[i]) == at);
    }
    // Ids absent from the list: before, between and after.
    for (const std::string& probe : {std::string(), std::string("dev-"), std::string("dev-5x"),
                                     std::string("device-"), std::string("zzz")}) {
      auto expect = std::lower_bound(want.begin(), want.end(), probe) - want.begin();
      CHECK(l.lower_bound(probe) == static_cast<std::size_t>(expect));
      CHECK(l.find(probe) == nullptr);
    }
  }
}

TEST_CASE("peer list: edits match a vector, old versions unchanged", "[unit]") {
  std::mt19937 rng(11);
  std::vector<std::string> model;
  PeerList list;
  std::vector<std::pair<PeerList, std::vector<std::string>>> versions;
  for (int step = 0; step < 3000; ++step) {
    // Grow to a few hundred, then shrink back to nothing: splits and merges happen.
    bool grow = step < 1500 ? rng() % 4 != 0 : rng() % 4 == 0;
    std::string id = make_id(static_cast<int>(rng() % 600));
    std::size_t pos =
        static_cast<std::size_t>(std::lower_bound(model.begin(), model.end(), id) - model.begin());
    bool present = pos < model.size() && model[pos] == id;
    if (grow && !present) {
      PeerEntry e = entry(id);
      list = list.spliced(pos, 0, &e);
      model.insert(model.begin() + static_cast<std::ptrdiff_t>(pos), id);
    } else if (present && (rng() % 2)) {
      PeerEntry e = entry(id, 7);  // replace in place
      list = list.spliced(pos, 1, &e);
      CHECK(list[pos].why[0].rule == 7);
    } else if (present) {
      list = list.spliced(pos, 1, nullptr);
      model.erase(model.begin() + static_cast<std::ptrdiff_t>(pos));
    }
    REQUIRE(list.size() == model.size());
    if (step % 97 == 0) {
      REQUIRE(ids(list) == model);
      versions.emplace_back(list, model);
    }
    if (!model.empty()) {
      const std::string& probe = model[rng() % model.size()];
      const PeerEntry* at = nullptr;
      std::size_t i = list.lower_bound(probe, &at);
      REQUIRE(at);
      CHECK(at->info->id == probe);
      CHECK(model[i] == probe);
    }
  }
  // Drain from random positions down to nothing (merges into either neighbour).
  while (!model.empty()) {
    std::size_t pos = rng() % model.size();
    list = list.spliced(pos, 1, nullptr);
    model.erase(model.begin() + static_cast<std::ptrdiff_t>(pos));
    REQUIRE(ids(list) == model);
  }
  CHECK(list.empty());
  CHECK(list.begin() == list.end());
  for (const auto& [old, want] : versions)
    CHECK(ids(old) == want);
}

TEST_CASE("peer list: an edit shares the untouched chunks", "[unit]") {
  std::vector<PeerEntry> entries;
  for (int i = 0; i < 400; ++i)
    entries.push_back(entry("d" + std::to_string(1000 + i)));
  PeerList a(std::move(entries));
  REQUIRE(a.chunk_count() > 4);
  PeerEntry e = entry("d1200", 3);
  PeerList b = a.spliced(a.lower_bound("d1200"), 1, &e);
  CHECK_FALSE(b.same_object(a));
  std::size_t shared = 0, walked = 0;
  for (auto x = a.begin(), y = b.begin(); x != a.end(); ++walked) {
    if (x.at_chunk_start() && y.at_chunk_start() && x.chunk() == y.chunk()) {
      ++shared;
      x.skip_chunk();
      y.skip_chunk();
      continue;
    }
    CHECK(x->info->id == y->info->id);
    ++x;
    ++y;
  }
  CHECK(shared == a.chunk_count() - 1);  // all but the edited chunk
  CHECK(walked < 400 / 2);
  PeerList c = b;
  CHECK(c.same_object(b));
}

}  // namespace
}  // namespace ward::policy
