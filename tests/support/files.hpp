// Test support: temporary directories and whole-file reads.
//
//   auto dir = ward::testing::required(TempDir::create("ward_state"));   // /tmp/ward_state-XXXXXX
//   std::ofstream(dir.file("a.txt")) << "x";
//   CHECK(read_file(dir.file("a.txt")) == "x");
//
// A TempDir is the only owner of its directory (move-only) and removes it, with
// everything in it, on destruction, also when a test fails midway. Not thread-safe.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/base/result.hpp"

namespace ward::testing {

class TempDir {
 public:
  // A fresh directory <TMPDIR or /tmp>/<prefix>-XXXXXX, mode 0700. The prefix is a plain
  // name: empty or holding '/' is invalid_argument.
  static Result<TempDir> create(std::string_view prefix = "ward-test");

  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }
  // path()/name as a string (name may hold subdirectories).
  std::string file(std::string_view name) const { return (path_ / name).string(); }

 private:
  explicit TempDir(std::filesystem::path path) : path_(std::move(path)) {}
  void remove();
  std::filesystem::path path_;
};

// The whole file, bytes as they are; empty when it is missing or unreadable.
std::string read_file(const std::string& path);

}  // namespace ward::testing
