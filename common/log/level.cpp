#include "common/log/level.hpp"

#include <string>

namespace ward::log {

std::string_view level_name(Level level) {
  switch (level) {
    case Level::kTrace:
      return "trace";
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
    case Level::kCritical:
      return "critical";
    case Level::kOff:
      return "off";
  }
  return "off";
}

Result<Level> parse_level(std::string_view text) {
  for (Level l : {Level::kTrace, Level::kDebug, Level::kInfo, Level::kWarn, Level::kError,
                  Level::kCritical, Level::kOff}) {
    if (text == level_name(l)) return l;
  }
  if (text == "warning") return Level::kWarn;
  return Error::invalid_argument("unknown log level " + quote(text) +
                                 "; expected one of trace, debug, info, warn, error, critical, "
                                 "off");
}

Result<Format> parse_format(std::string_view text) {
  if (text == "text") return Format::kText;
  if (text == "json") return Format::kJson;
  return Error::invalid_argument("unknown log format " + quote(text) + "; expected text or json");
}

}  // namespace ward::log
