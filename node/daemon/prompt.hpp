// Reading credentials for `ward-node up --login`: from the terminal without echo, or, when
// stdin is not a terminal, one line each from stdin (for automation).
#pragma once

#include <string>

#include "common/base/result.hpp"
#include "common/base/secret.hpp"

namespace ward::node::daemon {

// Prints `prompt` to stderr (terminal only) and reads one line without echo. The line
// (without its newline) is returned; a closed stdin is invalid_argument.
Result<SecretString> read_secret_line(const std::string& prompt);

}  // namespace ward::node::daemon
