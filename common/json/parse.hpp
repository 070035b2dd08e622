// Strict JSON parsing on nlohmann-json for untrusted input (API bodies, config files).
//
// Contracts:
// - Never throws. Input larger than limits.max_bytes is refused before parsing; nesting
//   deeper than limits.max_depth is refused while parsing (so a hostile document cannot
//   exhaust memory or stack); duplicate object keys are refused (two readers of the same
//   document must never see different values); input must be exactly one JSON value with
//   only whitespace around it; strings must be valid UTF-8.
// - Syntax errors name the line and column (1-based, in bytes) and never echo the input
//   (a document may carry secrets): "invalid JSON at line 3, column 4: syntax error while
//   parsing array - invalid literal; expected ']'". Duplicate-key and depth errors name
//   the JSON path instead ($.device.name), with keys from the input quoted.
// - Integers are kept exactly as nlohmann does: non-negative ones as unsigned 64-bit,
//   negative ones as signed 64-bit, anything else (fractions, exponents, integers beyond
//   64 bits) as double; numbers that overflow a double are refused.
#pragma once

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/base/result.hpp"

namespace ward::json {

struct ParseLimits {
  std::size_t max_bytes = std::size_t{1} << 20;  // 1 MiB
  int max_depth = 64;                            // nested objects/arrays; 0 = scalars only
};

Result<nlohmann::json> parse(std::string_view text, const ParseLimits& limits = {});

}  // namespace ward::json
