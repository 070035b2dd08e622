#include "node/posture/posture.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "node/posture/nft_tables.hpp"
#include "node/posture/schedule.hpp"
#include "tests/support/files.hpp"
#include "tests/support/require.hpp"

namespace fs = std::filesystem;
using namespace ward::node::posture;
using Tables = std::vector<std::pair<std::string, std::string>>;

namespace {

// A fixture root under /tmp, removed on destruction.
struct Fixture {
  ward::testing::TempDir dir =
      ward::testing::required(ward::testing::TempDir::create("ward_posture"));
  fs::path root = dir.path();
  void write(const std::string& rel, const std::string& data) {
    fs::path p = root / rel.substr(1);
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << data;
  }
  void mkdir(const std::string& rel) { fs::create_directories(root / rel.substr(1)); }
  HostView view() const { return HostView(root.string()); }
};

constexpr const char* kSecureBootVar =
    "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c";

void root_on(Fixture& f, const std::string& majmin, const std::string& dev) {
  f.write("/proc/self/mountinfo",
          "22 1 0:21 / /proc rw - proc proc rw\n"
          "25 1 " +
              majmin + " / / rw,relatime - ext4 /dev/" + dev +
              " rw\n"
              "30 25 8:1 / /boot rw - ext4 /dev/sda1 rw\n");
  f.write("/sys/dev/block/" + majmin + "/uevent",
          "MAJOR=1\nMINOR=2\nDEVNAME=" + dev + "\nDEVTYPE=disk\n");
}

}  // namespace

TEST_CASE("os-release parsing handles quotes, comments and junk", "[unit]") {
  auto r = parse_os_release(
      "# comment\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n"
      "VERSION_ID=\"12\"\nBROKEN\n");
  REQUIRE(r.id == "debian");
  REQUIRE(r.version_id == "12");
  auto q = parse_os_release("ID='ubuntu'\nVERSION_ID=22.04\n");
  REQUIRE(q.id == "ubuntu");
  REQUIRE(q.version_id == "22.04");
  auto bad = parse_os_release(
      "ID=\"de\x01"
      "bian\"\n");
  REQUIRE_FALSE(bad.id.has_value());
  REQUIRE_FALSE(parse_os_release("").id.has_value());
}

TEST_CASE("os and kernel come from the fixture root", "[unit]") {
  Fixture f;
  SECTION("etc first") {
    f.write("/etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n");
    f.write("/usr/lib/os-release", "ID=other\n");
  }
  SECTION("usr/lib fallback") {
    f.write("/usr/lib/os-release", "ID=debian\nVERSION_ID=12\n");
  }
  f.write("/proc/sys/kernel/osrelease", "6.1.0-18-amd64\n");
  auto os = collect_os(f.view());
  REQUIRE(os.id == "debian");
  REQUIRE(os.version_id == "12");
  REQUIRE(collect_kernel(f.view()) == "6.1.0-18-amd64");
}

TEST_CASE("missing files leave facts absent, never guessed", "[unit]") {
  Fixture f;
  auto facts = collect_facts(f.view(), {.ward_version = "0.1.0", .nft_lister = {}});
  REQUIRE(facts == nlohmann::json{{"ward:version", "0.1.0"}, {"secureboot:enabled", false}});
}

TEST_CASE("disk encryption: LUKS directly under root", "[unit]") {
  Fixture f;
  root_on(f, "254:0", "dm-0");
  f.write("/sys/class/block/dm-0/dm/uuid", "CRYPT-LUKS2-0123456789abcdef-root\n");
  f.mkdir("/sys/class/block/dm-0/slaves/sda2");
  f.mkdir("/sys/class/block/sda2");
  REQUIRE(collect_disk_encrypted(f.view()) == true);
}

TEST_CASE("disk encryption: LVM on LUKS found through slaves", "[unit]") {
  Fixture f;
  root_on(f, "254:1", "dm-1");
  f.write("/sys/class/block/dm-1/dm/uuid", "LVM-abcdef\n");
  f.mkdir("/sys/class/block/dm-1/slaves/dm-0");
  f.write("/sys/class/block/dm-0/dm/uuid", "CRYPT-LUKS2-aaaa-sda3_crypt\n");
  f.mkdir("/sys/class/block/dm-0/slaves/sda3");
  f.mkdir("/sys/class/block/sda3");
  REQUIRE(collect_disk_encrypted(f.view()) == true);
}

TEST_CASE("disk encryption: plain LVM and plain partitions are false", "[unit]") {
  Fixture f;
  SECTION("lvm") {
    root_on(f, "254:1", "dm-1");
    f.write("/sys/class/block/dm-1/dm/uuid", "LVM-abcdef\n");
    f.mkdir("/sys/class/block/dm-1/slaves/sda3");
    f.mkdir("/sys/class/block/sda3");
  }
  SECTION("partition") {
    root_on(f, "8:2", "sda2");
    f.mkdir("/sys/class/block/sda2");
  }
  REQUIRE(collect_disk_encrypted(f.view()) == false);
}

TEST_CASE("disk encryption: unresolvable roots are unknown", "[unit]") {
  Fixture f;
  SECTION("overlay / anonymous device") {
    f.write("/proc/self/mountinfo", "25 1 0:45 / / rw - overlay overlay rw\n");
  }
  SECTION("no sys entry") {
    root_on(f, "8:2", "sda2");  // /sys/class/block/sda2 missing
  }
  SECTION("hostile device name") {
    root_on(f, "8:2", "../../etc");
  }
  SECTION("slave that cannot be resolved") {
    root_on(f, "254:1", "dm-1");
    f.write("/sys/class/block/dm-1/dm/uuid", "LVM-x\n");
    f.mkdir("/sys/class/block/dm-1/slaves/sdz9");
  }
  SECTION("no mountinfo") {}
  REQUIRE_FALSE(collect_disk_encrypted(f.view()).has_value());
}

TEST_CASE("disk encryption: the last mount on / wins", "[unit]") {
  Fixture f;
  f.write("/proc/self/mountinfo",
          "1 0 8:2 / / rw - ext4 /dev/sda2 rw\n2 1 254:0 / / rw - ext4 /dev/dm-0 rw\n");
  f.write("/sys/dev/block/254:0/uevent", "DEVNAME=dm-0\n");
  f.write("/sys/class/block/dm-0/dm/uuid", "CRYPT-PLAIN-x\n");
  f.mkdir("/sys/class/block/sda2");
  REQUIRE(collect_disk_encrypted(f.view()) == true);
}

TEST_CASE("firewall rule: other nft tables or legacy iptables count, Ward's own do not", "[unit]") {
  Fixture f;
  auto only_ward = [] { return ward::Result<Tables>(Tables{{"inet", "ward_wg0"}}); };
  auto with_other = [] {
    return ward::Result<Tables>(Tables{{"inet", "ward_wg0"}, {"inet", "filter"}});
  };
  auto ward_name_other_family = [] { return ward::Result<Tables>(Tables{{"ip", "ward_x"}}); };
  auto failing = [] { return ward::Result<Tables>(ward::Error::permission_denied("no")); };
  REQUIRE(collect_firewall(f.view(), only_ward) == false);
  REQUIRE(collect_firewall(f.view(), with_other) == true);
  REQUIRE(collect_firewall(f.view(), ward_name_other_family) == true);
  REQUIRE_FALSE(collect_firewall(f.view(), failing).has_value());
  REQUIRE_FALSE(collect_firewall(f.view(), {}).has_value());
  f.write("/proc/net/ip_tables_names", "");
  REQUIRE(collect_firewall(f.view(), only_ward) == false);
  f.write("/proc/net/ip6_tables_names", "filter\n");
  REQUIRE(collect_firewall(f.view(), failing) == true);
  REQUIRE(collect_firewall(f.view(), only_ward) == true);
}

TEST_CASE("nft table listing parses libnftables JSON", "[unit]") {
  auto t = parse_nft_tables(
      R"({"nftables":[{"metainfo":{"version":"1.0.6"}},{"table":{"family":"inet","name":"ward_wg0","handle":3}},{"table":{"family":"ip","name":"nat","handle":4}}]})");
  REQUIRE(t);
  REQUIRE(*t == Tables{{"inet", "ward_wg0"}, {"ip", "nat"}});
  REQUIRE_FALSE(parse_nft_tables("[]"));
  REQUIRE_FALSE(parse_nft_tables(R"({"nftables":[{"table":{"family":1}}]})"));
}

TEST_CASE("secure boot reads the fifth byte of the EFI variable", "[unit]") {
  Fixture f;
  REQUIRE(collect_secure_boot(f.view()) == false);  // legacy boot
  f.mkdir("/sys/firmware/efi/efivars");
  REQUIRE_FALSE(collect_secure_boot(f.view()).has_value());
  f.write(kSecureBootVar, std::string("\x06\x00\x00\x00\x01", 5));
  REQUIRE(collect_secure_boot(f.view()) == true);
  f.write(kSecureBootVar, std::string("\x06\x00\x00\x00\x00", 5));
  REQUIRE(collect_secure_boot(f.view()) == false);
  f.write(kSecureBootVar, std::string("\x06\x00\x00\x00\x02", 5));
  REQUIRE_FALSE(collect_secure_boot(f.view()).has_value());
  f.write(kSecureBootVar, std::string("\x06\x00\x00\x01", 4));
  REQUIRE_FALSE(collect_secure_boot(f.view()).has_value());
}

TEST_CASE("collect_facts keys every fact as the policy language names it", "[unit]") {
  Fixture f;
  f.write("/etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n");
  f.write("/proc/sys/kernel/osrelease", "6.1.0-18-amd64\n");
  root_on(f, "254:0", "dm-0");
  f.write("/sys/class/block/dm-0/dm/uuid", "CRYPT-LUKS2-x\n");
  f.write(kSecureBootVar, std::string("\x06\x00\x00\x00\x01", 5));
  auto facts = collect_facts(f.view(), {.ward_version = "0.3.1", .nft_lister = [] {
                                          return ward::Result<Tables>(Tables{{"inet", "fw"}});
                                        }});
  REQUIRE(facts == nlohmann::json{{"node:os", "debian"},
                                  {"node:osVersion", "12"},
                                  {"node:kernel", "6.1.0-18-amd64"},
                                  {"ward:version", "0.3.1"},
                                  {"disk:encrypted", true},
                                  {"firewall:enabled", true},
                                  {"secureboot:enabled", true}});
  REQUIRE(facts["disk:encrypted"].is_boolean());
}

TEST_CASE("report schedule: start, change, and every ten minutes", "[unit]") {
  using namespace std::chrono;
  ReportSchedule s;
  const auto t0 = steady_clock::time_point{} + hours(1);
  nlohmann::json a = {{"node:os", "debian"}};
  nlohmann::json b = {{"node:os", "debian"}, {"disk:encrypted", true}};
  REQUIRE(s.due(t0, a));
  REQUIRE_FALSE(s.next_periodic().has_value());
  s.reported(t0, a);
  REQUIRE_FALSE(s.due(t0 + seconds(1), a));
  REQUIRE_FALSE(s.due(t0 + minutes(10) - milliseconds(1), a));
  REQUIRE(s.due(t0 + minutes(10), a));
  REQUIRE(s.due(t0 + seconds(5), b));
  REQUIRE(s.next_periodic() == t0 + minutes(10));
  // A failed report is not recorded: still due.
  REQUIRE(s.due(t0 + seconds(6), b));
  s.reported(t0 + seconds(7), b);
  REQUIRE_FALSE(s.due(t0 + seconds(8), b));
  REQUIRE(s.due(t0 + seconds(8), a));
}
