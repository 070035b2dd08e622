// The incremental compiler's worst case: a device that is a peer of every device (an IT
// workstation allowed to reach everything on 22). Revoking, removing, re-adding or
// re-addressing it patches every netmap; each step is checked against a fresh full
// compile, with the reported change set exact. Also the compact ProvenanceList.
#include <map>
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "controller/policy/test_util.hpp"

namespace ward::policy {
namespace {

using testing::at;
using testing::compile;
using testing::policy_from;

TEST_CASE("ProvenanceList: inline and heap storage, copies, moves, equality", "[unit]") {
  for (std::uint32_t n = 0; n <= 9; ++n) {
    INFO("size " << n);
    ProvenanceList a;
    for (std::uint32_t i = 0; i < n; ++i)
      a.push_back({i * 3, i % 2 ? Direction::kOutbound : Direction::kInbound});
    REQUIRE(a.size() == n);
    CHECK(a.empty() == (n == 0));
    for (std::uint32_t i = 0; i < n; ++i) {
      CHECK(a[i].rule == i * 3);
      CHECK(a[i].direction == (i % 2 ? Direction::kOutbound : Direction::kInbound));
    }
    ProvenanceList b(a);
    CHECK(b == a);
    ProvenanceList c;
    c.push_back({99, Direction::kInbound});
    c.push_back({98, Direction::kInbound});
    c.push_back({97, Direction::kInbound});
    c = b;  // copy-assign over heap storage
    CHECK(c == a);
    c = c;  // self-assignment keeps the content
    CHECK(c == a);
    ProvenanceList d(std::move(c));
    CHECK(d == a);
    CHECK(c.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
    ProvenanceList e;
    e.push_back({1, Direction::kOutbound});
    e = std::move(d);
    CHECK(e == a);
    // Growing a copy leaves the original alone.
    b.push_back({1000, Direction::kOutbound});
    CHECK(b.size() == n + 1);
    CHECK(a.size() == n);
    CHECK_FALSE(b == a);
    if (n > 0) {
      ProvenanceList f(a);
      ProvenanceList g;
      for (std::uint32_t i = 0; i + 1 < n; ++i)
        g.push_back(a[i]);
      g.push_back({a[n - 1].rule + 1, a[n - 1].direction});
      CHECK_FALSE(f == g);  // same size, last entry differs
    }
  }
}

constexpr const char* kPolicy = R"({
  "groups": {
    "group:it": ["it0@h.org", "it1@h.org"],
    "group:clin": ["c0@h.org", "c1@h.org", "c2@h.org", "c3@h.org", "c4@h.org", "c5@h.org"],
  },
  "tagOwners": {"tag:ehr": [], "tag:svc": []},
  "postures": {"posture:managed": ["disk:encrypted == true"]},
  "acls": [
    {"action": "accept", "src": ["group:it"], "dst": ["*:22"], "proto": "tcp"},
    {"action": "accept", "src": ["group:clin"], "dst": ["tag:ehr:443"],
     "srcPosture": ["posture:managed"]},
    {"action": "accept", "src": ["autogroup:member"], "dst": ["autogroup:self:*"]},
    {"action": "accept", "src": ["group:it"], "dst": ["tag:svc:443,8443", "tag:ehr:5432"]},
    {"action": "accept", "src": ["tag:svc"], "dst": ["*:9100"]},
    {"action": "accept", "src": ["*"], "dst": ["group:it:3389", "autogroup:self:22"]},
  ],
})";

// The same with IT's rule widened: a policy change between incremental steps.
constexpr const char* kPolicy2 = R"({
  "groups": {
    "group:it": ["it0@h.org", "it1@h.org"],
    "group:clin": ["c0@h.org", "c1@h.org", "c2@h.org", "c3@h.org", "c4@h.org", "c5@h.org"],
  },
  "tagOwners": {"tag:ehr": [], "tag:svc": []},
  "postures": {"posture:managed": ["disk:encrypted == true"]},
  "acls": [
    {"action": "accept", "src": ["group:it"], "dst": ["*:22,2222"], "proto": "tcp"},
    {"action": "accept", "src": ["group:clin"], "dst": ["tag:ehr:443"],
     "srcPosture": ["posture:managed"]},
    {"action": "accept", "src": ["autogroup:member"], "dst": ["autogroup:self:*"]},
    {"action": "accept", "src": ["tag:svc"], "dst": ["*:9100"]},
  ],
})";

Device device(int n, std::string user, std::vector<std::string> tags) {
  Device d;
  d.id = "dev-" + std::to_string(100 + n);
  d.name = "n" + std::to_string(n);
  d.user = std::move(user);
  d.tags = std::move(tags);
  d.overlay_v4 = net::IpAddress::v4(0x64400000u + static_cast<std::uint32_t>(n) + 1);
  if (n % 3 != 0) {
    std::array<std::uint8_t, 16> v6{0xfd, 0x7a, 0x11, 0x5c};
    v6[15] = static_cast<std::uint8_t>(n + 1);
    d.overlay_v6 = net::IpAddress::v6(v6);
  }
  d.status = DeviceStatus::kActive;
  d.public_key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE=";
  d.posture["disk:encrypted"] = n % 4 ? "true" : "false";
  return d;
}

Inventory inventory() {
  Inventory inv;
  int n = 0;
  for (const char* u : {"it0@h.org", "it1@h.org", "c0@h.org", "c1@h.org", "c2@h.org", "c3@h.org",
                        "c4@h.org", "c5@h.org", "x0@h.org"}) {
    inv.users.push_back({u, "member", {}});
    for (int k = 0; k < 2; ++k)
      inv.devices.push_back(device(n++, u, {}));
  }
  for (int i = 0; i < 3; ++i)
    inv.devices.push_back(device(n++, "", {"tag:ehr"}));
  for (int i = 0; i < 4; ++i)
    inv.devices.push_back(device(n++, "it1@h.org", {"tag:svc"}));
  return inv;
}

// Applies `step` to c and checks c against a fresh full compile of its inventory, and the
// reported change set against the netmaps' hashes before and after. With hold, the old
// netmaps stay referenced (as the publisher holds them) while the step runs.
template <typename Step>
void check_step(Compiler& c, bool hold, const std::string& what, Step step) {
  INFO(what << (hold ? " (old netmaps held)" : ""));
  std::map<std::string, std::uint64_t> before;
  std::map<std::string, std::shared_ptr<const Netmap>> held;
  for (const std::string& id : c.device_ids()) {
    before[id] = c.netmap(id)->hash;
    if (hold) held[id] = c.netmap(id);
  }
  std::vector<std::string> changed = step();
  auto full = Compiler::create(c.policy_ptr(), c.inventory(), c.now());
  REQUIRE(full.ok());
  REQUIRE(c.device_ids() == (*full)->device_ids());
  std::vector<std::string> expect;
  std::set<std::string> all;
  for (const auto& [id, h] : before)
    all.insert(id);
  for (const std::string& id : c.device_ids())
    all.insert(id);
  for (const std::string& id : all) {
    auto m = c.netmap(id);
    if (m) {
      INFO("device " << id);
      CHECK(same_content(*m, *(*full)->netmap(id)));
    }
    auto b = before.find(id);
    if (!m || b == before.end() || b->second != m->hash) expect.push_back(id);
  }
  CHECK(changed == expect);
}

TEST_CASE("incremental: a device every device peers with, against full compiles", "[unit]") {
  for (bool hold : {true, false}) {
    auto c = compile(policy_from(kPolicy), inventory(), at("2026-11-28T12:00:00Z"));
    const std::string it = "dev-100";  // it0's first device
    const std::size_t n = c->device_ids().size();
    // It is a peer of every other active device.
    for (const std::string& id : c->device_ids()) {
      if (id != it) CHECK(c->netmap(id)->find_peer(it) != nullptr);
    }
    Device active = *c->device(it);

    check_step(*c, hold, "revoke", [&] {
      Device d = active;
      d.status = DeviceStatus::kRevoked;
      auto r = c->upsert_device(d);
      REQUIRE(r.ok());
      CHECK(r->size() == n);  // it and every peer of it
      return *r;
    });
    for (const std::string& id : c->device_ids())
      CHECK(c->netmap(id)->find_peer(it) == nullptr);
    check_step(*c, hold, "reactivate", [&] { return *c->upsert_device(active); });
    check_step(*c, hold, "quarantine the other IT user's device", [&] {
      Device d = *c->device("dev-102");
      d.status = DeviceStatus::kQuarantined;
      return *c->upsert_device(d);
    });
    check_step(*c, hold, "remove", [&] { return *c->remove_device(it); });
    check_step(*c, hold, "join", [&] { return *c->upsert_device(active); });
    check_step(*c, hold, "re-address", [&] {
      Device d = active;
      d.overlay_v6.reset();
      d.overlay_v4 = net::IpAddress::v4(0x64400000u + 200);
      return *c->upsert_device(d);
    });
    check_step(*c, hold, "new key and endpoint", [&] {
      Device d = *c->device(it);
      d.public_key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
      d.endpoints = {"192.0.2.7:41641"};
      return *c->upsert_device(d);
    });
    check_step(*c, hold, "tagged: leaves group:it and autogroup:member", [&] {
      Device d = *c->device(it);
      d.tags = {"tag:svc"};
      return *c->upsert_device(d);
    });
    check_step(*c, hold, "untagged again", [&] {
      Device d = *c->device(it);
      d.tags.clear();
      return *c->upsert_device(d);
    });
    check_step(*c, hold, "its user leaves group:it (policy groups stay)", [&] {
      return *c->upsert_user({"it0@h.org", "member", {"group:clin"}});
    });
    check_step(*c, hold, "an outsider joins group:it through the inventory", [&] {
      return *c->upsert_user({"x0@h.org", "member", {"group:it"}});
    });
    // After a policy change the compiler keeps unchanged netmaps, whose filters point at
    // the previous compile's source lists; patching must not depend on pointer identity.
    check_step(*c, hold, "policy change", [&] { return c->set_policy(policy_from(kPolicy2)); });
    check_step(*c, hold, "revoke after the policy change", [&] {
      Device d = *c->device(it);
      d.status = DeviceStatus::kRevoked;
      return *c->upsert_device(d);
    });
    check_step(*c, hold, "reactivate after the policy change", [&] {
      Device d = *c->device(it);
      d.status = DeviceStatus::kActive;
      return *c->upsert_device(d);
    });
    check_step(*c, hold, "policy back", [&] { return c->set_policy(policy_from(kPolicy)); });
    check_step(*c, hold, "remove the outsider's device",
               [&] { return *c->remove_device("dev-116"); });
    check_step(*c, hold, "posture lost by a clinician", [&] {
      Device d = *c->device("dev-104");
      d.posture["disk:encrypted"] = "false";
      return *c->upsert_device(d);
    });
  }
}

}  // namespace
}  // namespace ward::policy
