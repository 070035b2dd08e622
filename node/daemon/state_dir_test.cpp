#include "node/daemon/state_dir.hpp"

#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "tests/support/files.hpp"
#include "tests/support/require.hpp"

namespace fs = std::filesystem;
using namespace ward;
using namespace ward::node::daemon;

namespace {

// A temporary directory for one test case, removed with its contents afterwards.
struct TempDir {
  ward::testing::TempDir dir =
      ward::testing::required(ward::testing::TempDir::create("ward_state"));
  const fs::path path = dir.path();
};

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("state dir is created 0700 and tightened if looser", "[unit]") {
  TempDir t;
  auto d = StateDir::open((t.path / "state").string() + "/");
  REQUIRE(d);
  REQUIRE(mode_of(t.path / "state") == 0700);
  REQUIRE(d->path() == (t.path / "state").string());
  ::chmod((t.path / "state").c_str(), 0755);
  REQUIRE(StateDir::open((t.path / "state").string()));
  REQUIRE(mode_of(t.path / "state") == 0700);
  std::ofstream(t.path / "file") << "x";
  REQUIRE_FALSE(StateDir::open((t.path / "file").string()));
  REQUIRE_FALSE(StateDir::open((t.path / "missing" / "deeper").string()));
}

TEST_CASE("identity is made once with 0600 keys and reused after", "[unit]") {
  TempDir t;
  auto d = StateDir::open((t.path / "s").string());
  REQUIRE(d);
  auto first = d->load_or_create_identity();
  REQUIRE(first);
  REQUIRE(first->created);
  REQUIRE(mode_of(t.path / "s" / "wg.key") == 0600);
  REQUIRE(mode_of(t.path / "s" / "tls.key") == 0600);
  auto second = d->load_or_create_identity();
  REQUIRE(second);
  REQUIRE_FALSE(second->created);
  REQUIRE(second->wg_key.public_key() == first->wg_key.public_key());
  REQUIRE(second->tls_key.public_key_pem() == first->tls_key.public_key_pem());
  // A loosened key file is tightened again on load.
  ::chmod((t.path / "s" / "wg.key").c_str(), 0644);
  REQUIRE(d->load_or_create_identity());
  REQUIRE(mode_of(t.path / "s" / "wg.key") == 0600);
  // Half an identity is not silently replaced.
  fs::remove(t.path / "s" / "tls.key");
  auto half = d->load_or_create_identity();
  REQUIRE_FALSE(half);
  REQUIRE(half.error().message().find("only one of") != std::string::npos);
  // A corrupt key is an error that does not echo the file.
  std::ofstream(t.path / "s" / "tls.key") << "garbage";
  std::ofstream(t.path / "s" / "wg.key") << "c2VjcmV0LWtleS1tYXRlcmlhbA==";
  auto bad = d->load_or_create_identity();
  REQUIRE_FALSE(bad);
  REQUIRE(bad.error().message().find("c2VjcmV0") == std::string::npos);
}

TEST_CASE("atomic writes replace whole files with the requested mode", "[unit]") {
  TempDir t;
  const std::string p = (t.path / "f").string();
  REQUIRE(write_file_atomic(p, "one", 0600));
  REQUIRE(read_file(p).value() == "one");
  REQUIRE(mode_of(p) == 0600);
  REQUIRE(write_file_atomic(p, "two-longer", 0644));
  REQUIRE(read_file(p).value() == "two-longer");
  REQUIRE(mode_of(p) == 0644);
  // No temp files left behind.
  std::size_t n = 0;
  for ([[maybe_unused]] auto& e : fs::directory_iterator(t.path))
    ++n;
  REQUIRE(n == 1);
  // A failed write (directory missing) leaves nothing.
  REQUIRE_FALSE(write_file_atomic((t.path / "no" / "f").string(), "x", 0600));
  // A symlink at the temp name cannot redirect the write: O_EXCL|O_NOFOLLOW on a fresh
  // random name; and read_file refuses to follow symlinks.
  fs::create_symlink(p, t.path / "link");
  REQUIRE_FALSE(read_file((t.path / "link").string()));
  REQUIRE(read_file(p, 3).error().code() == ErrorCode::kInvalidArgument);
  REQUIRE(read_file((t.path / "nope").string()).error().code() == ErrorCode::kNotFound);
}

TEST_CASE("enrollment record round trip", "[unit]") {
  TempDir t;
  auto d = StateDir::open((t.path / "s").string());
  REQUIRE(d);
  REQUIRE_FALSE(d->load_device().value().has_value());
  DeviceRecord rec{"dev_1",
                   "laptop",
                   "active",
                   "https://192.0.2.1:8443",
                   {*net::InterfaceAddress::parse("100.64.0.7/32")},
                   *net::Prefix::parse("100.64.0.0/10"),
                   *net::Prefix::parse("fd7a:115c:a1e0::/48")};
  REQUIRE(d->save_enrollment(rec, "CERT", "CA"));
  auto back = d->load_device();
  REQUIRE(back);
  REQUIRE(back->has_value());
  REQUIRE((*back)->device_id == "dev_1");
  REQUIRE((*back)->addresses == rec.addresses);
  REQUIRE((*back)->overlay_v6 == rec.overlay_v6);
  REQUIRE(mode_of(t.path / "s" / "device.json") == 0600);
  REQUIRE(read_file((t.path / "s" / "cert.pem").string()).value() == "CERT");
  std::ofstream(t.path / "s" / "device.json") << "{\"device_id\": 3}";
  REQUIRE_FALSE(d->load_device());
}
