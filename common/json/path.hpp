// JSON paths for error messages: $, $.device, $.peers[3].key, $["odd key"].
// Keys that are not plain identifiers (or are long) are rendered with ward::quote, so
// input-controlled keys cannot inject text into a message or log line.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ward::json {

// path + "." + key, or path + "[" + quote(key) + "]" for keys that are not
// [A-Za-z_][A-Za-z0-9_-]* of at most 64 bytes.
std::string path_key(std::string_view path, std::string_view key);
// path + "[" + index + "]".
std::string path_index(std::string_view path, std::size_t index);

}  // namespace ward::json
