// Log levels and output formats, with strict parsing from configuration text.
#pragma once

#include <string_view>

#include "common/base/result.hpp"

namespace ward::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError, kCritical, kOff };

// "trace", "debug", "info", "warn", "error", "critical", "off".
std::string_view level_name(Level level);
// Accepts the names above (lower case only) and "warning" for kWarn. Error:
// unknown log level "verbose"; expected one of trace, debug, info, warn, error, critical, off
Result<Level> parse_level(std::string_view text);

enum class Format {
  kText,  // one human-readable line: 2026-01-02T03:04:05.678Z INFO [net] msg key=value
  kJson,  // JSON lines: {"ts":"...","level":"info","logger":"net","msg":"...",key:value}
};

// "text" or "json".
Result<Format> parse_format(std::string_view text);

}  // namespace ward::log
