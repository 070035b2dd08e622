// Policy compiler benchmark: a synthetic hospital.
//
//   cmake -S . -B build/policy-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DWARD_BUILD_BENCH=ON
//   cmake --build build/policy-bench --target ward_bench_policy -j2
//   cd build/policy-bench/tests/bench/policy
//   ./ward_bench_policy --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// On a shared machine read the CPU column: it is this process's own time; wall time
// includes waiting for the CPU. Report medians; peak_rss_MiB is the process's peak so far.
// The revoke and join benchmarks drop the previous netmaps inside the timed region (no
// publisher holds them here), so freeing them is part of the figure.
//
// The hospital: 4,000 staff in 200 department groups (20 each, two devices each = 8,000
// user devices), 20 IT staff (40 devices), and 1,960 tagged devices: 20 EHR servers,
// 10 PACS, 500 modalities, 1,000 servers across 100 service tags, 430 IoT devices.
// 500 rules: IT -> *:22, clinicians (100 departments, nested group) -> EHR:443 with a
// posture, PACS -> modalities, radiology -> PACS, every department to two services (one
// with a posture), service-to-service rules, autogroup:self, and time-bound vendor access.
//
// Targets (issue 4): full compile <= 1 s, one revoke or join <= 20 ms, peak <= 1 GiB.
// BM_RevokeItDevice / BM_JoinItDevice are the worst single changes: an IT device is a
// peer of all 10,000 devices, so every netmap changes (one peer entry, and rule 0's
// filter sources) and is re-created; BM_SetPolicy is a new policy version.
#include <memory>
#include <random>
#include <string>
#include <sys/resource.h>

#include <benchmark/benchmark.h>

#include "controller/policy/compiler.hpp"
#include "controller/policy/policy_parser.hpp"
#include "controller/policy/syntax.hpp"

namespace ward::policy {
namespace {

constexpr int kDepartments = 200;
constexpr int kStaffPerDept = 20;
constexpr int kServiceTags = 100;

std::string staff(int dept, int i) {
  return "s" + std::to_string(dept) + "-" + std::to_string(i) + "@hospital.example";
}
std::string it_staff(int i) {
  return "it" + std::to_string(i) + "@hospital.example";
}

std::string hospital_policy() {
  std::string t = "{\n\"groups\": {\n";
  for (int d = 0; d < kDepartments; ++d) {
    t += "\"group:dept" + std::to_string(d) + "\": [";
    for (int i = 0; i < kStaffPerDept; ++i)
      t += (i ? ", \"" : "\"") + staff(d, i) + "\"";
    t += "],\n";
  }
  t += "\"group:it\": [";
  for (int i = 0; i < 20; ++i)
    t += (i ? ", \"" : "\"") + it_staff(i) + "\"";
  t += "],\n\"group:clinicians\": [";
  for (int d = 0; d < 100; ++d)
    t += (d ? ", \"group:dept" : "\"group:dept") + std::to_string(d) + "\"";
  t += "],\n\"group:radiology\": [\"group:dept100\", \"group:dept101\"],\n},\n";
  t += "\"tagOwners\": {\"tag:ehr\": [\"group:it\"], \"tag:pacs\": [\"group:it\"], "
       "\"tag:modality\": [\"group:it\"], \"tag:iot\": [\"group:it\"], \"tag:vendor\": "
       "[\"group:it\"]";
  for (int s = 0; s < kServiceTags; ++s)
    t += ", \"tag:svc" + std::to_string(s) + "\": [\"group:it\"]";
  t += "},\n";
  t += "\"postures\": {\"posture:managed\": [\"disk:encrypted == true\", \"node:osVersion >= "
       "'13.4'\"]},\n";
  t += "\"acls\": [\n";
  int rules = 0;
  auto rule = [&](const std::string& body) {
    t += "{\"action\": \"accept\", " + body + "},\n";
    ++rules;
  };
  rule("\"src\": [\"group:it\"], \"dst\": [\"*:22\"], \"proto\": \"tcp\"");
  rule(
      "\"src\": [\"group:clinicians\"], \"dst\": [\"tag:ehr:443\"], \"proto\": \"tcp\", "
      "\"srcPosture\": [\"posture:managed\"]");
  rule("\"src\": [\"tag:pacs\"], \"dst\": [\"tag:modality:104,11112\"]");
  rule("\"src\": [\"group:radiology\"], \"dst\": [\"tag:pacs:443\"]");
  rule("\"src\": [\"autogroup:member\"], \"dst\": [\"autogroup:self:*\"]");
  for (int d = 0; d < kDepartments; ++d) {
    rule("\"src\": [\"group:dept" + std::to_string(d) + "\"], \"dst\": [\"tag:svc" +
         std::to_string(d % kServiceTags) + ":443,8443\"]");
    rule("\"src\": [\"group:dept" + std::to_string(d) + "\"], \"dst\": [\"tag:svc" +
         std::to_string((d + 37) % kServiceTags) +
         ":22,3389\"], \"srcPosture\": [\"posture:managed\"]");
  }
  for (int v = 0; v < 5; ++v) {
    rule("\"src\": [\"tag:vendor\"], \"dst\": [\"tag:modality:22,443\"], \"expires\": \"2026-12-0" +
         std::to_string(v + 1) + "T18:00:00Z\"");
  }
  while (rules < 500) {
    int a = rules % kServiceTags, b = (rules * 7 + 3) % kServiceTags;
    rule("\"src\": [\"tag:svc" + std::to_string(a) + "\"], \"dst\": [\"tag:svc" +
         std::to_string(b) + ":5432,6379\"]");
  }
  t += "]}\n";
  return t;
}

Device make_device(int n, std::string name, std::string user, std::vector<std::string> tags,
                   std::mt19937& rng) {
  Device d;
  d.id = "dev-" + std::to_string(n);
  d.name = std::move(name);
  d.user = std::move(user);
  d.tags = std::move(tags);
  d.overlay_v4 = net::IpAddress::v4(0x64400000u + static_cast<std::uint32_t>(n) + 1);
  std::array<std::uint8_t, 16> v6{0xfd, 0x7a, 0x11, 0x5c, 0xa1, 0xe0};
  v6[14] = static_cast<std::uint8_t>((n + 1) >> 8);
  v6[15] = static_cast<std::uint8_t>(n + 1);
  d.overlay_v6 = net::IpAddress::v6(v6);
  d.status = DeviceStatus::kActive;
  d.public_key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE=";
  d.endpoints = {"192.0.2." + std::to_string(n % 250) + ":41641"};
  d.posture["disk:encrypted"] = rng() % 10 ? "true" : "false";
  d.posture["node:osVersion"] = rng() % 2 ? "14.1" : "13.2.1";
  d.posture["node:os"] = "macos";
  return d;
}

Inventory hospital_inventory() {
  std::mt19937 rng(42);
  Inventory inv;
  int n = 0;
  for (int d = 0; d < kDepartments; ++d) {
    for (int i = 0; i < kStaffPerDept; ++i) {
      inv.users.push_back({staff(d, i), "member", {}});
      for (int k = 0; k < 2; ++k) {
        inv.devices.push_back(make_device(n, "staff-" + std::to_string(n), staff(d, i), {}, rng));
        ++n;
      }
    }
  }
  for (int i = 0; i < 20; ++i) {
    inv.users.push_back({it_staff(i), "admin", {}});
    for (int k = 0; k < 2; ++k) {
      inv.devices.push_back(make_device(n, "it-" + std::to_string(n), it_staff(i), {}, rng));
      ++n;
    }
  }
  auto tagged = [&](int count, const std::string& prefix, auto tag_of) {
    for (int i = 0; i < count; ++i) {
      inv.devices.push_back(make_device(n, prefix + std::to_string(i), "", {tag_of(i)}, rng));
      ++n;
    }
  };
  tagged(20, "ehr-", [](int) { return std::string("tag:ehr"); });
  tagged(10, "pacs-", [](int) { return std::string("tag:pacs"); });
  tagged(500, "modality-", [](int) { return std::string("tag:modality"); });
  tagged(1000, "svc-", [](int i) { return "tag:svc" + std::to_string(i % kServiceTags); });
  tagged(425, "iot-", [](int) { return std::string("tag:iot"); });
  tagged(5, "vendor-", [](int) { return std::string("tag:vendor"); });
  return inv;
}

const Time kNow = *parse_rfc3339("2026-11-28T12:00:00Z");

std::shared_ptr<const Policy> parsed_policy() {
  static std::shared_ptr<const Policy> p = [] {
    auto r = parse_policy(hospital_policy(), "hospital-bench.hujson");
    if (!r) {
      std::fprintf(stderr, "%s\n", r.error().message().c_str());
      std::abort();
    }
    return std::make_shared<const Policy>(std::move(r->policy));
  }();
  return p;
}

Compiler& shared_compiler() {
  static std::unique_ptr<Compiler> c =
      std::move(*Compiler::create(parsed_policy(), hospital_inventory(), kNow));
  return *c;
}

double peak_rss_mib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

void BM_ParsePolicy(benchmark::State& state) {
  std::string text = hospital_policy();
  for (auto _ : state) {
    auto r = parse_policy(text, "hospital-bench.hujson");
    benchmark::DoNotOptimize(r);
  }
  state.counters["bytes"] = static_cast<double>(text.size());
}

void BM_FullCompile(benchmark::State& state) {
  auto policy = parsed_policy();
  Inventory inv = hospital_inventory();
  std::size_t peers = 0, filters = 0;
  for (auto _ : state) {
    auto c = Compiler::create(policy, inv, kNow);
    state.PauseTiming();
    peers = filters = 0;
    for (const std::string& id : (*c)->device_ids()) {
      auto m = (*c)->netmap(id);
      peers += m->peers.size();
      filters += m->filters.size();
    }
    c = Error::internal("release outside the timed region");
    state.ResumeTiming();
  }
  state.counters["devices"] = static_cast<double>(inv.devices.size());
  state.counters["rules"] = static_cast<double>(policy->rules.size());
  state.counters["peer_entries"] = static_cast<double>(peers);
  state.counters["filter_rules"] = static_cast<double>(filters);
  state.counters["peak_rss_MiB"] = peak_rss_mib();
}

// Revokes one device and reports how many netmaps changed; the device is reactivated
// outside the timed region.
void revoke_bench(benchmark::State& state, const std::string& id) {
  Compiler& c = shared_compiler();
  Device active = *c.device(id);
  Device revoked = active;
  revoked.status = DeviceStatus::kRevoked;
  std::size_t changed = 0;
  for (auto _ : state) {
    auto r = c.upsert_device(revoked);
    state.PauseTiming();
    changed = r->size();
    (void)c.upsert_device(active);
    state.ResumeTiming();
  }
  state.counters["netmaps_changed"] = static_cast<double>(changed);
  state.counters["peak_rss_MiB"] = peak_rss_mib();
}

void BM_RevokeClinicianDevice(benchmark::State& state) {
  revoke_bench(state, "dev-0");
}
void BM_RevokeServer(benchmark::State& state) {
  revoke_bench(state, "dev-8600");
}  // a tag:svc server
// Worst case: an IT device is a peer of every device.
void BM_RevokeItDevice(benchmark::State& state) {
  revoke_bench(state, "dev-8000");
}

void join_bench(benchmark::State& state, const std::string& user, std::vector<std::string> tags) {
  Compiler& c = shared_compiler();
  std::mt19937 rng(7);
  Device d = make_device(20000, "new-device", user, std::move(tags), rng);
  d.posture["disk:encrypted"] = "true";
  d.posture["node:osVersion"] = "14.1";
  std::size_t changed = 0;
  for (auto _ : state) {
    auto r = c.upsert_device(d);
    state.PauseTiming();
    changed = r->size();
    (void)c.remove_device(d.id);
    state.ResumeTiming();
  }
  state.counters["netmaps_changed"] = static_cast<double>(changed);
  state.counters["peak_rss_MiB"] = peak_rss_mib();
}

void BM_JoinClinicianDevice(benchmark::State& state) {
  join_bench(state, staff(3, 4), {});
}
void BM_JoinServer(benchmark::State& state) {
  join_bench(state, "", {"tag:svc5"});
}
// Worst case: a new IT device becomes a peer of every device.
void BM_JoinItDevice(benchmark::State& state) {
  join_bench(state, it_staff(3), {});
}

// A new policy version (IT's rule widened to 22 and 2222: every netmap's filter changes)
// through set_policy: a full recompile plus the diff against the previous netmaps. The
// previous version is restored outside the timed region.
void BM_SetPolicy(benchmark::State& state) {
  Compiler& c = shared_compiler();
  std::string text = hospital_policy();
  const std::string from = "\"dst\": [\"*:22\"], \"proto\": \"tcp\"";
  text.replace(text.find(from), from.size(), "\"dst\": [\"*:22,2222\"], \"proto\": \"tcp\"");
  auto parsed = parse_policy(text, "hospital-bench-2.hujson");
  if (!parsed) {
    state.SkipWithError(parsed.error().message().c_str());
    return;
  }
  auto widened = std::make_shared<const Policy>(std::move(parsed->policy));
  std::size_t changed = 0;
  for (auto _ : state) {
    auto r = c.set_policy(widened);
    state.PauseTiming();
    changed = r.size();
    (void)c.set_policy(parsed_policy());
    state.ResumeTiming();
  }
  state.counters["netmaps_changed"] = static_cast<double>(changed);
  state.counters["peak_rss_MiB"] = peak_rss_mib();
}

BENCHMARK(BM_ParsePolicy)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FullCompile)->Unit(benchmark::kMillisecond)->Iterations(5);
BENCHMARK(BM_RevokeClinicianDevice)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RevokeServer)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RevokeItDevice)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_JoinClinicianDevice)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_JoinServer)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_JoinItDevice)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SetPolicy)->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace
}  // namespace ward::policy

BENCHMARK_MAIN();
