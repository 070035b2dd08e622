// `ward-controller serve`: runs the HTTPS API (TLS 1.3; node API with mTLS, admin API
// with session tokens) on one libuv loop until SIGTERM or SIGINT, then stops gracefully:
// stops accepting, closes open connections (flushing what is queued), writes a signed
// audit checkpoint and closes the database.
#pragma once

#include <string>

#include "common/base/result.hpp"

namespace ward::controller {

struct ServeOptions {
  std::string data_dir;
  std::string listen;  // overrides the stored listen address when set ("127.0.0.1:0")
  std::string log_format = "text";
  std::string log_level = "info";
};

// Returns when the server has stopped; an error if it could not start.
Status run_serve(const ServeOptions& options);

}  // namespace ward::controller
