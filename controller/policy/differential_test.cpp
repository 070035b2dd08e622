// Differential tests: the compiled netmaps against a deliberately naive evaluator that
// walks the parsed policy rule by rule for every question, and the incremental compiler
// against a full recompile after random changes.
#include <map>
#include <random>
#include <set>

#include <catch2/catch.hpp>

#include "controller/policy/query.hpp"
#include "controller/policy/test_util.hpp"

namespace ward::policy {
namespace {

using testing::at;

// ---- the naive evaluator: no indexes, no caches, no shared code with the compiler ----

struct Naive {
  const Policy& p;
  const Inventory& inv;
  Time now;

  const User* user(const std::string& email) const {
    for (const User& u : inv.users) {
      if (u.email == email) return &u;
    }
    return nullptr;
  }
  bool in_group(const std::string& email, const std::string& g) const {
    auto it = p.groups.find(g);
    if (it != p.groups.end()) {
      for (const std::string& m : it->second) {
        if (m == email) return true;
      }
    }
    const User* u = user(email);
    if (u) {
      for (const std::string& ug : u->groups) {
        if (ug == g) return true;
      }
    }
    return false;
  }
  bool matches(const Alias& a, const Device& d) const {
    bool owned = d.tags.empty() && !d.user.empty();
    switch (a.kind) {
      case AliasKind::kAll:
        return true;
      case AliasKind::kUser:
        return owned && d.user == a.name;
      case AliasKind::kGroup:
        return owned && in_group(d.user, a.name);
      case AliasKind::kTag:
        for (const std::string& t : d.tags) {
          if (t == a.name) return true;
        }
        return false;
      case AliasKind::kPrefix:
        for (const auto& ip : {d.overlay_v4, d.overlay_v6}) {
          if (ip && a.prefix.contains(*ip)) return true;
        }
        return false;
      case AliasKind::kMember:
        return owned;
      case AliasKind::kTagged:
        return !d.tags.empty();
      case AliasKind::kSelf:
        return false;
      case AliasKind::kDeviceName:
        return d.name == a.name;
    }
    return false;
  }
  bool posture_ok(const Rule& r, const Device& d) const {
    if (r.src_posture.empty()) return true;
    for (const std::string& name : r.src_posture) {
      bool all = true;
      for (const PostureCondition& c : p.postures.at(name).conditions) {
        all = all && condition_holds(c, d.posture);
      }
      if (all) return true;
    }
    return false;
  }
  static bool port_proto_ok(const DstEntry& e, int proto, int port) {
    if (!e.protos.test(static_cast<std::size_t>(proto))) return false;
    if (proto != 6 && proto != 17 && proto != 132) return true;
    for (const PortRange& r : e.ports) {
      if (port >= r.first && port <= r.last) return true;
    }
    return false;
  }
  bool dst_matches(const DstEntry& e, const Device& s, const Device& d) const {
    if (e.alias.kind == AliasKind::kSelf) {
      return s.tags.empty() && d.tags.empty() && !s.user.empty() && s.user == d.user;
    }
    return matches(e.alias, d);
  }
  // proto < 0: any protocol and port.
  bool allows(const Device& s, const Device& d, int proto, int port) const {
    if (s.id == d.id || s.status != DeviceStatus::kActive || d.status != DeviceStatus::kActive) {
      return false;
    }
    for (const Rule& r : p.rules) {
      if (r.expires && !(now < *r.expires)) continue;
      if (!posture_ok(r, s)) continue;
      bool src = false;
      for (const Alias& a : r.src)
        src = src || matches(a, s);
      if (!src) continue;
      for (const DstEntry& e : r.dst) {
        if (dst_matches(e, s, d) && (proto < 0 || port_proto_ok(e, proto, port))) return true;
      }
    }
    return false;
  }
};

// ---- random worlds ----

struct World {
  std::mt19937_64 rng;
  explicit World(std::uint64_t seed) : rng(seed) {}
  int pick(int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); }
  bool chance(int percent) { return pick(100) < percent; }

  static constexpr int kUsers = 5, kGroups = 4, kTags = 3;

  std::string user(int i) { return "u" + std::to_string(i) + "@x.org"; }

  std::string alias(bool dst) {
    switch (pick(dst ? 10 : 9)) {
      case 0:
        return "*";
      case 1:
        return user(pick(kUsers));
      case 2:
        return "group:g" + std::to_string(pick(kGroups));
      case 3:
        return "tag:t" + std::to_string(pick(kTags));
      case 4:
        return "autogroup:member";
      case 5:
        return "autogroup:tagged";
      case 6:
        return "100.64.0." + std::to_string(pick(4) * 4) + "/30";
      case 7:
        return "h0";
      case 8:
        return "100.64.0." + std::to_string(1 + pick(14));
      default:
        return "autogroup:self";
    }
  }
  std::string ports() {
    static const char* kPorts[] = {"*", "22", "80-90", "22,443", "443", "0-100,8080"};
    return kPorts[pick(6)];
  }
  std::string list(std::vector<std::string> v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i)
      s += (i ? ", \"" : "\"") + v[i] + "\"";
    return s + "]";
  }

  std::string policy_text() {
    std::string t = "{\n\"groups\": {\n";
    for (int g = 0; g < kGroups; ++g) {
      std::vector<std::string> m;
      for (int u = 0; u < kUsers; ++u) {
        if (chance(30)) m.push_back(user(u));
      }
      if (g > 0 && chance(30)) m.push_back("group:g" + std::to_string(pick(g)));
      t += "\"group:g" + std::to_string(g) + "\": " + list(m) + ",\n";
    }
    t += "},\n\"tagOwners\": {\"tag:t0\": [], \"tag:t1\": [], \"tag:t2\": []},\n";
    t += "\"hosts\": {\"h0\": \"100.64.0.4/30\"},\n";
    t += "\"postures\": {\"posture:p0\": [\"node:os IN ['linux', 'macos']\"],"
         " \"posture:p1\": [\"node:osVersion >= '13.4'\", \"disk:encrypted == true\"]},\n";
    t += "\"acls\": [\n";
    int n = pick(6);
    for (int i = 0; i < n; ++i) {
      std::vector<std::string> src, dst;
      for (int k = 0, m = 1 + pick(2); k < m; ++k)
        src.push_back(alias(false));
      std::string proto;
      switch (pick(5)) {
        case 0:
          proto = ", \"proto\": \"tcp\"";
          break;
        case 1:
          proto = ", \"proto\": \"udp\"";
          break;
        default:
          break;
      }
      for (int k = 0, m = 1 + pick(3); k < m; ++k)
        dst.push_back(alias(true) + ":" + ports());
      t += "{\"action\": \"accept\", \"src\": " + list(src) + ", \"dst\": " + list(dst) + proto;
      if (chance(25)) t += ", \"srcPosture\": [\"posture:p" + std::to_string(pick(2)) + "\"]";
      if (chance(20))
        t += std::string(", \"expires\": \"") +
             (chance(50) ? "2026-01-01T00:00:00Z" : "2026-06-01T00:00:00Z") + "\"";
      t += "},\n";
    }
    t += "],\n\"grants\": [\n";
    n = pick(3);
    for (int i = 0; i < n; ++i) {
      std::vector<std::string> src, dst, ip;
      for (int k = 0, m = 1 + pick(2); k < m; ++k)
        src.push_back(alias(false));
      for (int k = 0, m = 1 + pick(2); k < m; ++k)
        dst.push_back(alias(true));
      static const char* kIp[] = {"*", "tcp:443", "udp:53", "icmp:*", "22", "tcp:80-90"};
      for (int k = 0, m = 1 + pick(2); k < m; ++k)
        ip.push_back(kIp[pick(6)]);
      t += "{\"src\": " + list(src) + ", \"dst\": " + list(dst) + ", \"ip\": " + list(ip) + "},\n";
    }
    t += "]}\n";
    return t;
  }

  Device device(int i) {
    Device d;
    d.id = "d" + std::to_string(i);
    d.name = "n" + std::to_string(i);
    if (chance(30)) {
      d.tags.push_back("tag:t" + std::to_string(pick(kTags)));
      if (chance(30)) d.tags.push_back("tag:t" + std::to_string(pick(kTags)));
      if (chance(30)) d.user = user(pick(kUsers));  // informational only
    } else {
      d.user = user(pick(kUsers));
    }
    d.overlay_v4 = net::IpAddress::v4(0x64400000u + static_cast<std::uint32_t>(i) + 1);
    if (chance(50)) {
      std::array<std::uint8_t, 16> b{0xfd, 0x7a, 0x11, 0x5c};
      b[15] = static_cast<std::uint8_t>(i + 1);
      d.overlay_v6 = net::IpAddress::v6(b);
    }
    static const DeviceStatus kStatus[] = {DeviceStatus::kActive,      DeviceStatus::kActive,
                                           DeviceStatus::kActive,      DeviceStatus::kActive,
                                           DeviceStatus::kPending,     DeviceStatus::kRevoked,
                                           DeviceStatus::kQuarantined, DeviceStatus::kExpired};
    d.status = kStatus[pick(8)];
    static const char* kOs[] = {"linux", "macos", "windows"};
    if (chance(80)) d.posture["node:os"] = kOs[pick(3)];
    if (chance(80)) d.posture["node:osVersion"] = chance(50) ? "13.10" : "13.2.1";
    if (chance(80)) d.posture["disk:encrypted"] = chance(50) ? "true" : "false";
    d.public_key =
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" + std::string(chance(50) ? "A=" : "E=");
    if (chance(30)) d.endpoints.push_back("192.0.2." + std::to_string(pick(200)) + ":41641");
    return d;
  }

  Inventory inventory(int devices) {
    Inventory inv;
    for (int u = 0; u < kUsers; ++u) {
      User user_rec{user(u), "member", {}};
      if (chance(30)) user_rec.groups.push_back("group:g" + std::to_string(pick(kGroups)));
      inv.users.push_back(user_rec);
    }
    for (int i = 0; i < devices; ++i)
      inv.devices.push_back(device(i));
    return inv;
  }
};

struct Tally {
  long accepts = 0;
  long denies = 0;
  long peers = 0;
};

void check_against_naive(const Compiler& c, const Inventory& inv, Time now,
                         Tally* tally = nullptr) {
  Naive naive{c.policy(), inv, now};
  static const int kPorts[] = {0, 22, 53, 80, 85, 91, 443, 8080, 65535};
  static const int kProtos[] = {kProtoTcp, kProtoUdp, kProtoIcmp, kProtoIcmpV6, 47};
  for (const Device& s : inv.devices) {
    for (const Device& d : inv.devices) {
      if (s.id == d.id) continue;
      for (int proto : kProtos) {
        for (int port : kPorts) {
          bool want = naive.allows(s, d, proto, port);
          bool got = evaluate(c, s.id, d.id, static_cast<std::uint16_t>(port), proto).accept;
          if (tally) (want ? tally->accepts : tally->denies)++;
          if (want != got) {
            FAIL("mismatch " << s.id << " -> " << d.id << " proto " << proto << " port " << port
                             << ": naive " << want << ", compiled " << got);
          }
        }
      }
      // Peers: exactly the devices either side may reach at all.
      bool want_peer = naive.allows(s, d, -1, 0) || naive.allows(d, s, -1, 0);
      bool got_peer = c.netmap(d.id)->find_peer(s.id) != nullptr;
      if (tally && want_peer) tally->peers++;
      if (want_peer != got_peer) {
        FAIL("peer mismatch " << s.id << " in netmap of " << d.id << ": naive " << want_peer
                              << ", compiled " << got_peer);
      }
    }
  }
}

TEST_CASE("differential: compiled netmaps answer like the naive evaluator", "[unit]") {
  const Time now = at("2026-03-01T00:00:00Z");
  Tally tally;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    World w(seed);
    std::string text = w.policy_text();
    auto parsed = parse_policy(text, "random.hujson");
    if (!parsed) FAIL("seed " << seed << ": " << parsed.error().message() << "\n" << text);
    auto policy = std::make_shared<const Policy>(std::move(parsed->policy));
    Inventory inv = w.inventory(4 + w.pick(12));
    auto c = Compiler::create(policy, inv, now);
    REQUIRE(c.ok());
    INFO("seed " << seed << "\n" << text);
    check_against_naive(**c, (*c)->inventory(), now, &tally);
  }
  // The random worlds must exercise both answers, or the comparison proves little.
  CHECK(tally.accepts > 10000);
  CHECK(tally.denies > 10000);
  CHECK(tally.peers > 1000);
  WARN("differential: " << tally.accepts << " accepts, " << tally.denies << " denies, "
                        << tally.peers << " peer pairs");
}

std::map<std::string, std::shared_ptr<const Netmap>> snapshot(const Compiler& c) {
  std::map<std::string, std::shared_ptr<const Netmap>> out;
  for (const std::string& id : c.device_ids())
    out[id] = c.netmap(id);
  return out;
}

TEST_CASE("differential: incremental changes equal a full recompile", "[unit]") {
  Time now = at("2026-03-01T00:00:00Z");
  for (std::uint64_t seed = 1000; seed < 1200; ++seed) {
    World w(seed);
    std::string text = w.policy_text();
    auto parsed = parse_policy(text, "random.hujson");
    REQUIRE(parsed.ok());
    auto policy = std::make_shared<const Policy>(std::move(parsed->policy));
    int next_id = 4 + w.pick(10);
    auto created = Compiler::create(policy, w.inventory(next_id), now);
    REQUIRE(created.ok());
    Compiler& c = **created;
    Time t = now;
    for (int step = 0; step < 12; ++step) {
      auto before = snapshot(c);
      std::vector<std::string> ids = c.device_ids();
      std::vector<std::string> changed;
      std::string what;
      int kind = w.pick(10);
      if (kind <= 4 && !ids.empty()) {
        // Modify an existing device: a fresh random device with the same id and slot.
        std::string id = ids[static_cast<std::size_t>(w.pick(static_cast<int>(ids.size())))];
        Device d = w.device(std::stoi(id.substr(1)));
        Device old = *c.device(id);
        switch (w.pick(4)) {
          case 0:
            old.status = d.status;
            what = "status";
            break;
          case 1:
            old.tags = d.tags;
            old.user = d.user;
            what = "owner";
            break;
          case 2:
            old.posture = d.posture;
            what = "posture";
            break;
          default:
            old.endpoints = d.endpoints;
            old.public_key = d.public_key;
            old.overlay_v6 = d.overlay_v6;
            what = "key/addr";
            break;
        }
        auto r = c.upsert_device(old);
        REQUIRE(r.ok());
        changed = *r;
      } else if (kind == 5 && !ids.empty()) {
        std::string id = ids[static_cast<std::size_t>(w.pick(static_cast<int>(ids.size())))];
        auto r = c.remove_device(id);
        REQUIRE(r.ok());
        changed = *r;
        what = "remove";
      } else if (kind == 6) {
        User u{w.user(w.pick(World::kUsers)), "member", {}};
        if (w.chance(70)) u.groups.push_back("group:g" + std::to_string(w.pick(World::kGroups)));
        auto r = c.upsert_user(u);
        REQUIRE(r.ok());
        changed = *r;
        what = "user";
      } else if (kind == 7) {
        t += std::chrono::days(40 + w.pick(80));
        changed = c.advance_time(t);
        what = "time";
      } else {
        auto r = c.upsert_device(w.device(next_id++));
        REQUIRE(r.ok());
        changed = *r;
        what = "join";
      }
      INFO("seed " << seed << " step " << step << " (" << what << ")\n" << text);
      // The incremental state equals a full recompile of the same inventory.
      Inventory inv = c.inventory();
      auto full = Compiler::create(policy, inv, t);
      REQUIRE(full.ok());
      REQUIRE(c.device_ids() == (*full)->device_ids());
      for (const std::string& id : c.device_ids()) {
        INFO("device " << id);
        CHECK(same_content(*c.netmap(id), *(*full)->netmap(id)));
      }
      // The reported change set is exact.
      auto after = snapshot(c);
      std::set<std::string> expect;
      for (const auto& [id, m] : before) {
        auto it = after.find(id);
        if (it == after.end() || !same_content(*m, *it->second)) expect.insert(id);
      }
      for (const auto& [id, m] : after) {
        if (!before.contains(id)) expect.insert(id);
      }
      CHECK(std::vector<std::string>(expect.begin(), expect.end()) == changed);
      check_against_naive(c, inv, t);
    }
  }
}

}  // namespace
}  // namespace ward::policy
