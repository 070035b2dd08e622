#include "tests/support/files.hpp"

#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdlib.h>
#include <system_error>
#include <utility>

namespace ward::testing {

Result<TempDir> TempDir::create(std::string_view prefix) {
  if (prefix.empty() || prefix.find('/') != std::string_view::npos)
    return Error::invalid_argument("TempDir: expected a plain name as prefix, got " +
                                   quote(prefix));
  std::error_code ec;
  std::filesystem::path base = std::filesystem::temp_directory_path(ec);
  if (ec) base = "/tmp";
  std::string tmpl = (base / (std::string(prefix) + "-XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) return Error::from_errno("mkdtemp " + tmpl, errno);
  return TempDir(std::filesystem::path(tmpl));
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

TempDir::~TempDir() {
  remove();
}

void TempDir::remove() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
  path_.clear();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace ward::testing
