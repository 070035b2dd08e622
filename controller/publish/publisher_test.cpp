#include <catch2/catch.hpp>

#include "controller/publish/test_support.hpp"

namespace ward::publish {
namespace {

using namespace testing;

constexpr const char* kPolicyV1 = R"({
  "tagOwners": {"tag:srv": ["a@h.org"], "tag:db": ["a@h.org"], "tag:web": ["a@h.org"]},
  "acls": [
    {"action": "accept", "src": ["a@h.org"], "dst": ["tag:srv:443"]},
    {"action": "accept", "src": ["b@h.org"], "dst": ["tag:db:5432"]},
  ],
})";
constexpr const char* kPolicyV2 = R"({
  "tagOwners": {"tag:srv": ["a@h.org"], "tag:db": ["a@h.org"], "tag:web": ["a@h.org"]},
  "acls": [
    {"action": "accept", "src": ["a@h.org"], "dst": ["tag:srv:443"]},
    {"action": "accept", "src": ["b@h.org"], "dst": ["tag:db:5432"]},
    {"action": "accept", "src": ["a@h.org"], "dst": ["tag:web:80"]},
  ],
})";

policy::Inventory small_inventory() {
  policy::Inventory inv;
  inv.users = {{"a@h.org", "member", {}}, {"b@h.org", "member", {}}};
  inv.devices = {device(1, "", {"tag:srv"}), device(2, "a@h.org"), device(3, "", {"tag:db"}),
                 device(4, "b@h.org"), device(5, "", {"tag:web"})};
  return inv;
}

struct Stream {
  std::shared_ptr<RecordingSink> sink = std::make_shared<RecordingSink>();
  NodeModel node;
  SubscriptionId id = 0;
  // held: the map the node still has when it reconnects with `serial`.
  Stream(Publisher& pub, unsigned n, std::optional<std::uint64_t> serial, Time now,
         std::optional<node::Netmap> held = std::nullopt)
      : node(n) {
    node.map = std::move(held);
    if (node.map) node.last_serial = node.map->serial;
    auto r = pub.subscribe("d" + std::to_string(n), serial, sink, now);
    REQUIRE(r);
    id = *r;
    node.consume(*sink);
  }
};

TEST_CASE("stream: the first message is the full netmap with a serial", "[unit]") {
  auto pub = make_publisher(policy_text(kPolicyV1), small_inventory(), 1000);
  Stream s(*pub, 1, std::nullopt, ms(kT0));
  REQUIRE(s.node.types == std::vector<std::string>{"netmap"});
  CHECK(s.node.map->serial == 1001);
  CHECK(*s.node.map == fresh_map(*pub, "d1"));
  REQUIRE(s.node.map->peers.size() == 1);
  CHECK(s.node.map->peers[0].id == "d2");
  CHECK(pub->subscription_count() == 1);
  CHECK_FALSE(pub->subscribe("nope", std::nullopt, std::make_shared<RecordingSink>(), ms(kT0)));
}

TEST_CASE("stream: only affected devices get a message, with larger serials", "[unit]") {
  auto pub = make_publisher(policy_text(kPolicyV1), small_inventory(), 1000);
  std::vector<std::unique_ptr<Stream>> s;
  for (unsigned n = 1; n <= 5; ++n)
    s.push_back(std::make_unique<Stream>(*pub, n, std::nullopt, ms(kT0)));
  // A rule change touching only d2 (a's laptop) and d5 (tag:web).
  pub->note_change(PolicyChange{policy_text(kPolicyV2)}, ms(kT0 + 1));
  auto r = pub->flush(ms(kT0 + 51));
  CHECK(r.errors.empty());
  CHECK(r.published == std::vector<std::string>{"d2", "d5"});
  for (auto& st : s)
    st->node.consume(*st->sink);
  CHECK(s[0]->sink->lines.size() == 1);
  CHECK(s[2]->sink->lines.size() == 1);
  CHECK(s[3]->sink->lines.size() == 1);
  REQUIRE(s[1]->sink->lines.size() == 2);
  REQUIRE(s[4]->sink->lines.size() == 2);
  CHECK(s[1]->node.types.back() == "delta");
  CHECK(s[1]->node.map->serial == 1002);
  CHECK(*s[1]->node.map == fresh_map(*pub, "d2"));
  CHECK(*s[4]->node.map == fresh_map(*pub, "d5"));
  // The same policy again (a new version with equal content) sends nothing to anyone.
  pub->note_change(PolicyChange{policy_text(kPolicyV2)}, ms(kT0 + 100));
  CHECK(pub->flush(ms(kT0 + 150)).published.empty());
  for (auto& st : s)
    CHECK(st->sink->lines.size() == st->sink->taken);
}

TEST_CASE("stream: provenance-only changes are not sent", "[unit]") {
  auto pub = make_publisher(policy_text(kPolicyV1), small_inventory(), 1000);
  Stream s1(*pub, 1, std::nullopt, ms(kT0));
  // A second, redundant rule for the same access changes "why" but not the wire map.
  std::string v = kPolicyV1;
  v.insert(v.find("  ],\n}"),
           "  {\"action\": \"accept\", \"src\": [\"a@h.org\"], \"dst\": [\"tag:srv:443\"]},\n");
  pub->note_change(PolicyChange{policy_text(v)}, ms(kT0));
  pub->flush(ms(kT0 + 50));
  CHECK(s1.sink->lines.size() == 1);
  CHECK(*pub->serial("d1") == 1001);
}

TEST_CASE("stream: reconnect gets exactly what it missed", "[unit]") {
  auto pub = make_publisher(policy_text(kPolicyV1), small_inventory(), 1000);
  auto old = std::make_unique<Stream>(*pub, 2, std::nullopt, ms(kT0));
  node::Netmap before = *old->node.map;
  pub->unsubscribe(old->id);
  // Two changes while d2 is away: a new peer, then that peer's endpoint moves.
  pub->note_change(PolicyChange{policy_text(kPolicyV2)}, ms(kT0));
  pub->flush(ms(kT0 + 50));
  policy::Device web = device(5, "", {"tag:web"});
  web.endpoints = {"198.51.100.5:41641"};
  pub->note_change(DeviceChange{web, {}}, ms(kT0 + 100));
  pub->flush(ms(kT0 + 150));
  CHECK(*pub->serial("d2") == 1003);
  CHECK(old->sink->lines.size() == 1);  // unsubscribed: nothing sent

  SECTION("a serial in history: one delta from it") {
    Stream again(*pub, 2, before.serial, ms(kT0 + 200), before);
    REQUIRE(again.sink->lines.size() == 1);
    auto msg = node::decode_stream_message(again.sink->lines[0]);
    REQUIRE(msg);
    auto& d = std::get<node::Delta>(*msg);
    CHECK(d.base_serial == 1001);
    CHECK(d.serial == 1003);
    REQUIRE(d.peers_upsert.size() == 1);
    CHECK(d.peers_upsert[0].id == "d5");
    CHECK(d.peers_upsert[0].endpoints[0].to_string() == "198.51.100.5:41641");
    CHECK(d.peers_remove.empty());
    CHECK_FALSE(d.filter);
    auto applied = node::apply_delta(before, d, again.node.own);
    REQUIRE(applied);
    CHECK(sorted(*applied) == fresh_map(*pub, "d2"));
  }
  SECTION("the current serial: a keepalive, then nothing until a change") {
    Stream first(*pub, 2, std::nullopt, ms(kT0 + 200));
    Stream again(*pub, 2, 1003, ms(kT0 + 300), fresh_map(*pub, "d2"));
    CHECK(first.sink->closed);  // one stream per device: the older one is closed
    REQUIRE(again.sink->lines.size() == 1);
    CHECK(again.sink->lines[0] == "{\"type\":\"keepalive\",\"serial\":1003}\n");
    pub->tick(ms(kT0 + 400));
    CHECK(again.sink->lines.size() == 1);
  }
  SECTION("an unknown serial: the full map") {
    Stream again(*pub, 2, 5, ms(kT0 + 200));
    CHECK(again.node.types == std::vector<std::string>{"netmap"});
    CHECK(*again.node.map == fresh_map(*pub, "d2"));
  }
  SECTION("a serial from the future: the full map with a larger serial") {
    Stream again(*pub, 2, 900000, ms(kT0 + 200));
    CHECK(again.node.types == std::vector<std::string>{"netmap"});
    CHECK(again.node.map->serial == 900001);
    CHECK(pub->high_water() >= 900001);
  }
}

TEST_CASE("stream: revocation is sent at once, then the stream closes", "[unit]") {
  auto pub = make_publisher(policy_text(kPolicyV1), small_inventory(), 1000);
  Stream lap(*pub, 2, std::nullopt, ms(kT0));
  Stream srv(*pub, 1, std::nullopt, ms(kT0));
  policy::Device d2 = device(2, "a@h.org", {}, policy::DeviceStatus::kRevoked);
  pub->note_change(DeviceChange{d2, "revoked by admin@h.org"}, ms(kT0 + 10));
  // Before any flush: the terminal message is out and the stream closed.
  REQUIRE(lap.sink->lines.size() == 2);
  CHECK(lap.sink->lines[1] == "{\"type\":\"revoked\",\"reason\":\"revoked by admin@h.org\"}\n");
  CHECK(lap.sink->closed);
  CHECK(srv.sink->lines.size() == 1);
  pub->flush(ms(kT0 + 60));
  CHECK(lap.sink->lines.size() == 2);  // nothing after the terminal message
  srv.node.consume(*srv.sink);
  CHECK(srv.node.types.back() == "delta");
  CHECK(srv.node.map->peers.empty());
  // Reconnecting while revoked: the terminal message again, closed at once.
  auto sink = std::make_shared<RecordingSink>();
  auto r = pub->subscribe("d2", 1001, sink, ms(kT0 + 100));
  REQUIRE(r);
  CHECK(*r == kClosedSubscription);
  REQUIRE(sink->lines.size() == 1);
  CHECK(sink->lines[0].find("\"type\":\"revoked\"") != std::string::npos);
  CHECK(sink->closed);

  SECTION("quarantine and expiry have their own types") {
    Stream s3(*pub, 3, std::nullopt, ms(kT0));
    Stream s4(*pub, 4, std::nullopt, ms(kT0));
    pub->note_change(
        DeviceChange{device(3, "", {"tag:db"}, policy::DeviceStatus::kQuarantined), {}},
        ms(kT0 + 200));
    pub->note_change(DeviceChange{device(4, "b@h.org", {}, policy::DeviceStatus::kExpired), {}},
                     ms(kT0 + 200));
    CHECK(s3.sink->lines.back() ==
          "{\"type\":\"quarantined\",\"reason\":\"device quarantined\"}\n");
    CHECK(s4.sink->lines.back() == "{\"type\":\"expired\",\"reason\":\"device expired\"}\n");
    CHECK(s3.sink->closed);
    CHECK(s4.sink->closed);
  }
  SECTION("removal is a revocation") {
    Stream s3(*pub, 3, std::nullopt, ms(kT0));
    pub->note_change(DeviceRemoval{"d3", {}}, ms(kT0 + 200));
    CHECK(s3.sink->lines.back() == "{\"type\":\"revoked\",\"reason\":\"device removed\"}\n");
    pub->flush(ms(kT0 + 250));
    CHECK_FALSE(pub->serial("d3"));
  }
}

TEST_CASE("coalescing: a burst within 50 ms is one recompute and one message", "[unit]") {
  auto pub = make_publisher(policy_text(kPolicyV1), small_inventory(), 1000);
  Stream srv(*pub, 1, std::nullopt, ms(kT0));
  auto t = kT0 + 1000;
  CHECK(pub->note_change(DeviceChange{device(6, "a@h.org"), {}}, ms(t)) == ms(t + 50));
  CHECK(pub->note_change(DeviceChange{device(7, "a@h.org"), {}}, ms(t + 20)) == ms(t + 50));
  policy::Device moved = device(2, "a@h.org");
  moved.endpoints = {"203.0.113.9:51820"};
  CHECK(pub->note_change(DeviceChange{moved, {}}, ms(t + 40)) == ms(t + 50));
  CHECK(pub->next_wakeup() == ms(t + 50));
  pub->tick(ms(t + 49));
  CHECK(srv.sink->lines.size() == 1);
  CHECK(pub->has_pending_changes());
  pub->tick(ms(t + 50));
  CHECK_FALSE(pub->has_pending_changes());
  REQUIRE(srv.sink->lines.size() == 2);
  srv.node.consume(*srv.sink);
  CHECK(srv.node.map->serial == 1002);
  CHECK(srv.node.map->peers.size() == 3);
  CHECK(*srv.node.map == fresh_map(*pub, "d1"));
  // The next change starts a new window.
  CHECK(pub->note_change(DeviceChange{device(8, "a@h.org"), {}}, ms(t + 60)) == ms(t + 110));
}

TEST_CASE("subscribe flushes a queued change of the device itself", "[unit]") {
  auto pub = make_publisher(policy_text(kPolicyV1), small_inventory(), 1000);
  pub->note_change(DeviceChange{device(9, "a@h.org"), {}}, ms(kT0));
  Stream s(*pub, 9, std::nullopt, ms(kT0 + 5));
  CHECK(s.node.types == std::vector<std::string>{"netmap"});
  CHECK(s.node.map->peers.size() == 1);  // the server
  CHECK(s.node.map->serial > 1001);      // newer than any serial issued before
}

TEST_CASE("keepalives every 25 s on idle streams; messages reset the timer", "[unit]") {
  auto pub = make_publisher(policy_text(kPolicyV1), small_inventory(), 1000);
  Stream s1(*pub, 1, std::nullopt, ms(kT0));
  Stream s2(*pub, 2, std::nullopt, ms(kT0 + 5000));
  CHECK(pub->next_wakeup() == ms(kT0 + 25000));
  pub->tick(ms(kT0 + 23000));
  CHECK(s1.sink->lines.size() == 1);
  pub->tick(ms(kT0 + 24500));  // within the 1 s slack: sent
  REQUIRE(s1.sink->lines.size() == 2);
  CHECK(s1.sink->lines[1] == "{\"type\":\"keepalive\",\"serial\":1001}\n");
  CHECK(s2.sink->lines.size() == 1);
  CHECK(pub->next_wakeup() == ms(kT0 + 30000));
  pub->tick(ms(kT0 + 30000));
  CHECK(s2.sink->lines.size() == 2);
  // A gone stream is dropped when a send fails.
  s2.sink->alive = false;
  pub->tick(ms(kT0 + 60000));
  CHECK(pub->subscription_count() == 1);
  // A clock stepped back does not postpone keepalives beyond one interval.
  pub->tick(ms(kT0 - 3'600'000));
  CHECK(pub->next_wakeup() <= ms(kT0 - 3'600'000 + 25000));
}

TEST_CASE("a time-bound rule expiring is published at its expiry", "[unit]") {
  std::string v = kPolicyV1;
  const std::string dst = "\"dst\": [\"tag:db:5432\"]";
  v.replace(v.find(dst), dst.size(), dst + ", \"expires\": \"2026-11-28T18:00:00Z\"");
  auto pub = make_publisher(policy_text(v), small_inventory(), 1000);
  Stream db(*pub, 3, std::nullopt, ms(kT0));
  REQUIRE(db.node.map->peers.size() == 1);
  auto expiry = ms(kT0 + 3'600'000);
  CHECK(pub->next_wakeup() == ms(kT0 + 25000));
  pub->tick(ms(kT0 + 25000));
  pub->tick(ms(kT0 + 3'599'000));
  db.node.consume(*db.sink);
  CHECK(db.node.map->peers.size() == 1);
  pub->tick(expiry);
  db.node.consume(*db.sink);
  CHECK(db.node.map->peers.empty());
  CHECK(db.node.map->filter.inbound.empty());
}

TEST_CASE("fail closed: a device change the compiler refuses removes its access", "[unit]") {
  auto pub = make_publisher(policy_text(kPolicyV1), small_inventory(), 1000);
  Stream srv(*pub, 1, std::nullopt, ms(kT0));
  policy::Device bad = device(2, "a@h.org");
  bad.overlay_v4 = device(3, "").overlay_v4;  // d3's address: refused
  pub->note_change(DeviceChange{bad, {}}, ms(kT0));
  FlushResult r = pub->flush(ms(kT0 + 50));
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].message().find("d2") != std::string::npos);
  srv.node.consume(*srv.sink);
  CHECK(srv.node.map->peers.empty());
  CHECK_FALSE(pub->compiler().device("d2"));
}

TEST_CASE("a large netmap change is a small delta, not a full map", "[unit]") {
  policy::Inventory inv;
  inv.users = {{"a@h.org", "member", {}}};
  inv.devices.push_back(device(1, "", {"tag:srv"}));
  for (unsigned n = 2; n < 3002; ++n)
    inv.devices.push_back(device(n, "a@h.org"));
  // The server reaches every laptop: its peers change, its own inbound filter does not.
  auto pub = make_publisher(policy_text(R"({
    "tagOwners": {"tag:srv": ["a@h.org"]},
    "acls": [{"action": "accept", "src": ["tag:srv"], "dst": ["a@h.org:22"]}],
  })"),
                            inv, 1000);
  Stream srv(*pub, 1, std::nullopt, ms(kT0));
  REQUIRE(srv.node.map->peers.size() == 3000);
  std::size_t full_size = srv.sink->lines[0].size();
  pub->note_change(DeviceChange{device(3002, "a@h.org"), {}}, ms(kT0));
  pub->note_change(DeviceRemoval{"d17", {}}, ms(kT0 + 1));
  pub->flush(ms(kT0 + 50));
  REQUIRE(srv.sink->lines.size() == 2);
  CHECK(srv.sink->lines[1].size() * 20 < full_size);
  srv.node.consume(*srv.sink);
  CHECK(srv.node.types.back() == "delta");
  CHECK(srv.node.map->peers.size() == 3000);
  CHECK(*srv.node.map == fresh_map(*pub, "d1"));
  // A change that empties the map is smaller as a full map.
  pub->note_change(PolicyChange{policy_text("{}")}, ms(kT0 + 100));
  pub->flush(ms(kT0 + 150));
  srv.node.consume(*srv.sink);
  CHECK(srv.node.types.back() == "netmap");
  CHECK(srv.node.map->peers.empty());
}

}  // namespace
}  // namespace ward::publish
