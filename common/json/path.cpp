#include "common/json/path.hpp"

#include "common/base/error.hpp"

namespace ward::json {
namespace {

bool is_plain_key(std::string_view key) {
  if (key.empty() || key.size() > 64) return false;
  for (std::size_t i = 0; i < key.size(); ++i) {
    const char c = key[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = (c >= '0' && c <= '9') || c == '-';
    if (!alpha && !(i > 0 && digit)) return false;
  }
  return true;
}

}  // namespace

std::string path_key(std::string_view path, std::string_view key) {
  std::string out(path);
  if (is_plain_key(key)) {
    out += '.';
    out += key;
  } else {
    out += '[';
    out += quote(key);
    out += ']';
  }
  return out;
}

std::string path_index(std::string_view path, std::size_t index) {
  std::string out(path);
  out += '[';
  out += std::to_string(index);
  out += ']';
  return out;
}

}  // namespace ward::json
