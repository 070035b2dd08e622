#include "controller/wardctl/prompt.hpp"

#include <cerrno>
#include <cstdio>
#include <termios.h>
#include <unistd.h>

namespace ward::wardctl {

Result<SecretString> read_line_fd(int fd, std::string_view what) {
  std::string buf;
  buf.reserve(kMaxInputLine + 1);
  bool got_any = false;
  for (;;) {
    char c = 0;
    const ssize_t n = ::read(fd, &c, 1);
    if (n < 0) {
      if (errno == EINTR) continue;
      secure_wipe(buf.data(), buf.size());
      return Error::from_errno("reading " + std::string(what), errno);
    }
    if (n == 0) {
      if (!got_any) {
        return Error::invalid_argument("input ended before the " + std::string(what) +
                                       " was given");
      }
      break;
    }
    got_any = true;
    if (c == '\n') break;
    if (buf.size() >= kMaxInputLine) {
      secure_wipe(buf.data(), buf.size());
      return Error::invalid_argument("the " + std::string(what) + " is longer than " +
                                     std::to_string(kMaxInputLine) + " bytes");
    }
    buf.push_back(c);
  }
  if (!buf.empty() && buf.back() == '\r') buf.pop_back();
  SecretString s(buf);
  secure_wipe(buf.data(), buf.size());
  return s;
}

TerminalInput::TerminalInput(bool force_stdin) {
  interactive_ = !force_stdin && ::isatty(STDIN_FILENO) == 1;
}

Result<SecretString> TerminalInput::secret(std::string_view prompt, std::string_view what) {
  if (!interactive_) return read_line_fd(STDIN_FILENO, what);
  std::fprintf(stderr, "%.*s", static_cast<int>(prompt.size()), prompt.data());
  std::fflush(stderr);
  termios old{};
  const bool have_tty = ::tcgetattr(STDIN_FILENO, &old) == 0;
  if (have_tty) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    (void)::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  auto r = read_line_fd(STDIN_FILENO, what);
  if (have_tty) (void)::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
  return r;
}

Result<std::string> TerminalInput::line(std::string_view prompt, std::string_view what) {
  if (interactive_) {
    std::fprintf(stderr, "%.*s", static_cast<int>(prompt.size()), prompt.data());
    std::fflush(stderr);
  }
  auto r = read_line_fd(STDIN_FILENO, what);
  if (!r) return std::move(r).error();
  return std::string(r->reveal());
}

Result<SecretString> read_new_password(Input& in, std::string_view prompt) {
  auto first = in.secret(prompt, "password");
  if (!first) return first;
  if (first->empty()) return Error::invalid_argument("the password is empty");
  if (in.interactive()) {
    auto again = in.secret("Repeat the password: ", "password");
    if (!again) return again;
    if (!(*again == *first)) return Error::invalid_argument("the passwords do not match");
  }
  return first;
}

}  // namespace ward::wardctl
