// Reads a whole file the caller named, refusing files larger than max_bytes.
#pragma once

#include <cstddef>
#include <string>

#include "common/base/result.hpp"

namespace ward::policy {

Result<std::string> read_small_file(const std::string& path, std::size_t max_bytes);

}  // namespace ward::policy
