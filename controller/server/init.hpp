// `ward-controller init`: creates a controller's data directory (see data_dir.hpp).
#pragma once

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "common/base/result.hpp"

namespace ward::controller {

struct InitOptions {
  std::string data_dir;
  std::string listen = "0.0.0.0:8443";
  std::vector<std::string> names;  // DNS names or IP literals; default localhost, 127.0.0.1
  std::string overlay_v4 = "100.64.0.0/10";
  std::string overlay_v6;  // default: a random fd00::/8 /48 (RFC 4193)
  std::chrono::seconds device_cert_lifetime{24 * 3600};
};

// "90s", "30m", "24h", "7d" or a bare number of seconds; 1 s .. 10 years.
Result<std::chrono::seconds> parse_duration(std::string_view text);

// Creates the data directory; refuses (AlreadyExists) a directory that holds a controller
// or anything else that is not a leftover of an interrupted init. Prints the one-time
// bootstrap token to `out` (and nothing secret anywhere else).
Status run_init(const InitOptions& options, std::ostream& out);

}  // namespace ward::controller
