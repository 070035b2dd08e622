// Differential check of the stream: for random sequences of inventory and policy changes,
// every node that follows its stream (full maps, deltas, reconnects with old serials)
// holds exactly the full netmap the controller would send it now.
#include <random>

#include <catch2/catch.hpp>

#include "controller/publish/test_support.hpp"

namespace ward::publish {
namespace {

using namespace testing;

const char* const kPolicies[] = {
    "{}",
    R"({"groups": {"group:clin": ["c@h.org"]}, "tagOwners": {"tag:srv": ["a@h.org"], "tag:db": ["a@h.org"]},
        "acls": [{"action": "accept", "src": ["group:clin"], "dst": ["tag:srv:443"]},
                 {"action": "accept", "src": ["tag:srv"], "dst": ["tag:db:5432"]}]})",
    R"({"groups": {"group:clin": ["c@h.org"]}, "tagOwners": {"tag:srv": ["a@h.org"], "tag:db": ["a@h.org"]},
        "acls": [{"action": "accept", "src": ["group:clin"], "dst": ["tag:srv:443,8443"]},
                 {"action": "accept", "src": ["b@h.org"], "dst": ["*:22"]},
                 {"action": "accept", "src": ["autogroup:member"], "dst": ["autogroup:self:*"]}]})",
    R"({"groups": {"group:clin": ["c@h.org"]}, "tagOwners": {"tag:srv": ["a@h.org"], "tag:db": ["a@h.org"]},
        "acls": [{"action": "accept", "src": ["*"], "dst": ["*:*"]}]})",
    R"({"groups": {"group:clin": ["c@h.org"]}, "tagOwners": {"tag:srv": ["a@h.org"], "tag:db": ["a@h.org"]},
        "acls": [{"action": "accept", "src": ["tag:db", "c@h.org"], "dst": ["tag:srv:80-90"],
                  "proto": "tcp"},
                 {"action": "accept", "src": ["group:clin"], "dst": ["c@h.org:*"], "proto": "icmp"}]})",
};
constexpr unsigned kDevices = 14;
const char* const kUsers[] = {"a@h.org", "b@h.org", "c@h.org"};

policy::Device random_device(unsigned n, std::mt19937& rng) {
  auto pick = [&rng](unsigned k) { return static_cast<unsigned>(rng() % k); };
  policy::Device d;
  unsigned owner = pick(5);
  if (owner < 3) {
    d = device(n, kUsers[owner]);
  } else {
    d = device(n, "", {owner == 3 ? "tag:srv" : "tag:db"});
  }
  unsigned s = pick(12);
  d.status = s < 8     ? policy::DeviceStatus::kActive
             : s == 8  ? policy::DeviceStatus::kPending
             : s == 9  ? policy::DeviceStatus::kQuarantined
             : s == 10 ? policy::DeviceStatus::kRevoked
                       : policy::DeviceStatus::kExpired;
  if (pick(4) == 0) d.public_key = test_key(n + 1000 * (1 + pick(3)));  // key rotation
  if (pick(3) == 0) d.endpoints = {"198.51.100." + std::to_string(pick(200) + 1) + ":41641"};
  return d;
}

struct Client {
  std::shared_ptr<RecordingSink> sink;
  std::unique_ptr<NodeModel> node;
  SubscriptionId id = 0;
};

TEST_CASE("differential: streams always converge to the full netmap", "[unit]") {
  std::map<std::string, int> seen;  // message types over all runs: each path is exercised
  auto tally = [&seen](const NodeModel& m) {
    for (const std::string& t : m.types)
      ++seen[t];
  };
  for (unsigned seed = 1; seed <= 40; ++seed) {
    std::mt19937 rng(seed);
    auto pick = [&rng](unsigned k) { return static_cast<unsigned>(rng() % k); };
    policy::Inventory inv;
    inv.users = {{"a@h.org", "member", {"group:clin"}},
                 {"b@h.org", "member", {}},
                 {"c@h.org", "member", {"group:clin"}}};
    for (unsigned n = 1; n <= kDevices; ++n) {
      if (pick(4) != 0) inv.devices.push_back(random_device(n, rng));
    }
    auto pub = make_publisher(policy_text(kPolicies[pick(5)]), inv, 1000 * seed);
    std::map<unsigned, Client> clients;
    // Serials a node once held, to reconnect with later.
    std::map<unsigned, std::vector<node::Netmap>> held;
    std::int64_t t = kT0;
    std::uint64_t changes = 0;

    auto connect = [&](unsigned n) {
      Client c;
      c.sink = std::make_shared<RecordingSink>();
      c.node = std::make_unique<NodeModel>(n);
      std::optional<std::uint64_t> serial;
      auto& h = held[n];
      if (!h.empty() && pick(3) != 0) {
        c.node->map = h[pick(static_cast<unsigned>(h.size()))];
        serial = c.node->map->serial;
        c.node->last_serial = serial;
      }
      auto r = pub->subscribe("d" + std::to_string(n), serial, c.sink, ms(t));
      if (!r) {
        CHECK_FALSE(pub->compiler().device("d" + std::to_string(n)));
        return;
      }
      c.id = *r;
      c.node->consume(*c.sink);
      if (*r == kClosedSubscription) {
        CHECK(c.sink->closed);
        tally(*c.node);
        return;
      }
      clients[n] = std::move(c);
    };

    for (int round = 0; round < 30; ++round) {
      // Connect and disconnect some clients.
      for (unsigned n = 1; n <= kDevices; ++n) {
        bool on = clients.contains(n);
        if (!on && pick(3) == 0) {
          connect(n);
        } else if (on && pick(6) == 0) {
          pub->unsubscribe(clients[n].id);
          tally(*clients[n].node);
          clients.erase(n);
        }
      }
      // A burst of changes inside one window.
      unsigned burst = 1 + pick(4);
      for (unsigned i = 0; i < burst; ++i) {
        unsigned what = pick(10);
        if (what < 6) {
          unsigned n = 1 + pick(kDevices);
          pub->note_change(DeviceChange{random_device(n, rng), {}}, ms(t));
        } else if (what == 6) {
          pub->note_change(DeviceRemoval{"d" + std::to_string(1 + pick(kDevices)), {}}, ms(t));
        } else if (what == 7) {
          policy::User u{kUsers[pick(3)], "member", {}};
          if (pick(2)) u.groups.push_back("group:clin");
          pub->note_change(UserChange{u}, ms(t));
        } else {
          pub->note_change(PolicyChange{policy_text(kPolicies[pick(5)])}, ms(t));
        }
        ++changes;
        t += pick(10);
      }
      t += 50;
      pub->tick(ms(t));
      REQUIRE_FALSE(pub->has_pending_changes());
      // Every live client holds exactly the current full map.
      for (auto it = clients.begin(); it != clients.end();) {
        auto& [n, c] = *it;
        c.node->consume(*c.sink);
        std::string id = "d" + std::to_string(n);
        if (c.sink->closed) {
          CHECK_FALSE(c.node->map);
          tally(*c.node);
          it = clients.erase(it);
          continue;
        }
        REQUIRE(c.node->map);
        INFO("seed " << seed << " round " << round << " device " << id);
        CHECK(*c.node->map == fresh_map(*pub, id));
        held[n].push_back(*c.node->map);
        ++it;
      }
      t += 100 + pick(30000);
    }
    CHECK(changes > 0);
    for (auto& [n, c] : clients)
      tally(*c.node);
  }
  for (const char* type : {"netmap", "delta", "keepalive", "revoked", "quarantined", "expired"}) {
    INFO(type);
    CHECK(seen[type] > 10);
  }
}

TEST_CASE("differential: every serial in history reconnects to the full netmap", "[unit]") {
  std::mt19937 rng(7);
  auto pick = [&rng](unsigned k) { return static_cast<unsigned>(rng() % k); };
  policy::Inventory inv;
  inv.users = {{"a@h.org", "member", {"group:clin"}},
               {"b@h.org", "member", {}},
               {"c@h.org", "member", {"group:clin"}}};
  for (unsigned n = 1; n <= kDevices; ++n)
    inv.devices.push_back(device(n, kUsers[n % 3]));
  auto pub = make_publisher(policy_text(kPolicies[3]), inv, 50);
  // Device d1 stays active and owned by a@h.org; record every map it is published.
  std::vector<node::Netmap> versions{fresh_map(*pub, "d1")};
  std::int64_t t = kT0;
  for (int step = 0; step < 40; ++step) {
    unsigned n = 2 + pick(kDevices - 1);
    if (pick(5) == 0)
      pub->note_change(PolicyChange{policy_text(kPolicies[1 + pick(4)])}, ms(t));
    else
      pub->note_change(DeviceChange{random_device(n, rng), {}}, ms(t));
    t += 60;
    pub->tick(ms(t));
    node::Netmap now = fresh_map(*pub, "d1");
    if (now.serial != versions.back().serial) versions.push_back(now);
  }
  REQUIRE(versions.size() > 10);
  std::size_t deltas = 0;
  for (const node::Netmap& old : versions) {
    NodeModel node(1);
    node.map = old;
    node.last_serial = old.serial;
    auto sink = std::make_shared<RecordingSink>();
    auto r = pub->subscribe("d1", old.serial, sink, ms(t));
    REQUIRE(r);
    node.consume(*sink);
    REQUIRE(node.map);
    CHECK(*node.map == versions.back());
    if (node.types[0] == "delta") ++deltas;
    // Only the last history_depth (8) serials can be answered with a delta.
    if (old.serial + 8 < versions.back().serial) CHECK(node.types[0] == "netmap");
    pub->unsubscribe(*r);
  }
  CHECK(deltas >= 3);
}

}  // namespace
}  // namespace ward::publish
