#include "node/daemon/prompt.hpp"

#include <cstdio>
#include <termios.h>
#include <unistd.h>

#include "common/base/error.hpp"

namespace ward::node::daemon {

Result<SecretString> read_secret_line(const std::string& prompt) {
  const bool tty = ::isatty(STDIN_FILENO) == 1;
  termios old{};
  if (tty) {
    std::fprintf(stderr, "%s", prompt.c_str());
    std::fflush(stderr);
    if (::tcgetattr(STDIN_FILENO, &old) != 0) return Error::from_errno("tcgetattr", errno);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    if (::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0)
      return Error::from_errno("tcsetattr", errno);
  }
  std::string line;
  bool eof = true;
  for (;;) {
    char c = 0;
    ssize_t n = ::read(STDIN_FILENO, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    eof = false;
    if (c == '\n') break;
    if (line.size() < 4096) line.push_back(c);
  }
  if (tty) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  SecretString out(std::move(line));
  if (eof) return Error::invalid_argument("standard input ended before " + prompt);
  return out;
}

}  // namespace ward::node::daemon
