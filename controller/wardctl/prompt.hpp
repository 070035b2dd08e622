// Reading secrets and answers from the operator, never from argv (argv is visible to
// every user through ps and /proc).
//
// On a terminal the prompt goes to stderr and secrets are read with echo off (termios;
// the previous mode is restored even on error). When stdin is not a terminal (scripts,
// tests, --password-stdin), each answer is one line of stdin, with no prompt printed.
// Lines longer than kMaxInputLine are refused; a trailing "\r" is dropped.
#pragma once

#include <string>
#include <string_view>

#include "common/base/result.hpp"
#include "common/base/secret.hpp"

namespace ward::wardctl {

inline constexpr std::size_t kMaxInputLine = 1024;

class Input {
 public:
  virtual ~Input() = default;
  virtual bool interactive() const = 0;
  // `what` names the answer in errors ("password").
  virtual Result<SecretString> secret(std::string_view prompt, std::string_view what) = 0;
  virtual Result<std::string> line(std::string_view prompt, std::string_view what) = 0;
};

// The process's stdin/stderr. force_stdin: read lines even from a terminal.
class TerminalInput final : public Input {
 public:
  explicit TerminalInput(bool force_stdin = false);
  bool interactive() const override { return interactive_; }
  Result<SecretString> secret(std::string_view prompt, std::string_view what) override;
  Result<std::string> line(std::string_view prompt, std::string_view what) override;

 private:
  bool interactive_ = false;
};

// Reads one line from fd (without the newline), at most kMaxInputLine bytes.
Result<SecretString> read_line_fd(int fd, std::string_view what);

// A password twice on a terminal (must match), once from stdin. Refuses an empty one.
Result<SecretString> read_new_password(Input& in, std::string_view prompt);

}  // namespace ward::wardctl
