// The daemon's local control socket (<state-dir>/ward-node.sock, mode 0600 in a 0700
// directory; peers must be root or the daemon's own uid, checked with SO_PEERCRED).
// Protocol: the client sends one line {"command": "status"|"down"}, the daemon answers
// one JSON line and closes. Requests are bounded (4 KiB); a malformed one gets
// {"error": "..."}.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/base/result.hpp"
#include "common/uv/loop.hpp"
#include "common/uv/pipe.hpp"

namespace ward::node::daemon {

class ControlSocketServer {
 public:
  // Answers a command; runs on the loop thread.
  using Handler = std::function<nlohmann::json(const std::string& command)>;

  // A stale socket file at `path` (left by a crashed daemon) is removed first, but only
  // if nothing answers on it: a live daemon is already_exists.
  static Result<std::unique_ptr<ControlSocketServer>> listen(uv::Loop& loop, std::string path,
                                                             Handler handler);

 private:
  ControlSocketServer() = default;
  std::optional<uv::PipeListener> listener_;
  std::shared_ptr<Handler> handler_;
};

// Blocking client for the CLI. unavailable when no daemon listens.
Result<nlohmann::json> send_command(const std::string& socket_path, const std::string& command,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Whether something accepts connections on the socket path.
bool socket_answers(const std::string& path);

}  // namespace ward::node::daemon
