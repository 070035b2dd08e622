// tests/support/files: temporary directories and whole-file reads (no root).
#include "tests/support/files.hpp"

#include <fstream>
#include <sys/stat.h>

#include <catch2/catch.hpp>

using namespace ward::testing;
namespace fs = std::filesystem;

TEST_CASE("TempDir is private, unique, and removed with its contents", "[unit]") {
  fs::path kept;
  {
    auto a = TempDir::create("ward_files_test");
    auto b = TempDir::create("ward_files_test");
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->path() != b->path());
    CHECK(a->path().filename().string().starts_with("ward_files_test-"));
    struct stat st {};
    REQUIRE(::stat(a->path().c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0700);
    fs::create_directories(a->path() / "sub");
    std::ofstream(a->file("sub/x.bin"), std::ios::binary) << std::string("a\0b", 3);
    CHECK(read_file(a->file("sub/x.bin")) == std::string("a\0b", 3));
    kept = a->path();
    // Moving hands the directory over; the moved-from object removes nothing.
    TempDir moved = std::move(*a);
    CHECK(moved.path() == kept);
    CHECK(a->path().empty());
  }
  CHECK_FALSE(fs::exists(kept));
}

TEST_CASE("TempDir rejects prefixes that are not plain names", "[unit]") {
  CHECK_FALSE(TempDir::create("").ok());
  auto bad = TempDir::create("../escape");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message().find("../escape") != std::string::npos);
}

TEST_CASE("read_file of a missing file is empty", "[unit]") {
  CHECK(read_file("/nonexistent/ward/file").empty());
}
