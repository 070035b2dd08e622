// The config file on disk: ~/.config/ward/config.json holds the session token, so it is
// private to its owner.
//
// - load_config_file refuses (PermissionDenied, saying how to fix it) a file that is not
//   a regular file, is a symlink, belongs to another user, or is readable or writable by
//   group or others; a missing file is nullopt, not an error.
// - save_config_file creates the directory (mode 0700; an existing directory owned by us
//   is tightened to 0700) and replaces the file atomically: a temporary file (0600,
//   O_EXCL) in the same directory, written, fsync'd, renamed over the old one, then the
//   directory fsync'd. A crash leaves either the old or the new file, never a mix.
#pragma once

#include <optional>
#include <string>

#include "common/base/result.hpp"
#include "controller/wardctl/config.hpp"

namespace ward::wardctl {

inline constexpr std::size_t kMaxConfigBytes = 64 * 1024;

Result<std::optional<ConfigFile>> load_config_file(const std::string& path);
Status save_config_file(const std::string& path, const ConfigFile& config);

// Reads a small non-secret file (a CA certificate, a policy, an inventory); InvalidArgument
// when it is larger than max_bytes.
Result<std::string> read_text_file(const std::string& path, std::size_t max_bytes);

}  // namespace ward::wardctl
