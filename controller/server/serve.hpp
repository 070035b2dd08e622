// `ward-controller serve`: runs the HTTPS API (TLS 1.3; node API with mTLS, admin API
// with session tokens) on one libuv loop until SIGTERM or SIGINT, then stops gracefully:
// stops accepting, closes open connections (flushing what is queued), writes a signed
// audit checkpoint and closes the database.
//
// The TLS server certificate is checked at startup and every server_cert_check_interval;
// when it expires within 30 days or its names differ from `names`, a new one is issued
// from the controller CA, stored (audited) and used for new connections at once;
// connections already open keep theirs. Password checks run on a small worker pool, never
// on the loop thread.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/base/result.hpp"

namespace ward::controller {

struct ServeOptions {
  std::string data_dir;
  std::string listen;  // overrides the stored listen address when set ("127.0.0.1:0")
  std::string log_format = "text";
  std::string log_level = "info";
  // The names the TLS server certificate must carry; empty: whatever it carries now.
  // When they differ, the certificate is renewed at once (see server_cert.hpp).
  std::vector<std::string> names;
  // How often the server certificate is checked for renewal (and at startup).
  std::chrono::seconds server_cert_check_interval{24 * 3600};
};

// Returns when the server has stopped; an error if it could not start.
Status run_serve(const ServeOptions& options);

}  // namespace ward::controller
