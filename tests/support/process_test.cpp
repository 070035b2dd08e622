// tests/support/process: shell quoting, one-line answers, commands and child processes
// (no root, no network).
#include "tests/support/process.hpp"

#include <csignal>

#include <catch2/catch.hpp>

using namespace ward::testing;
using namespace std::chrono_literals;

TEST_CASE("shell_quote survives sh for any text", "[unit]") {
  CHECK(shell_quote("") == "''");
  CHECK(shell_quote("a b") == "'a b'");
  CHECK(shell_quote("it's") == "'it'\\''s'");
  for (const std::string text :
       {"plain", "with space", "it's", "$(rm -rf /)", "a;b|c&d", "'\"`\\"}) {
    const CommandResult r = run_command("printf %s " + shell_quote(text));
    REQUIRE(r.ok());
    CHECK(r.output == text);
  }
}

TEST_CASE("CommandResult: exit codes and trimmed one-line answers", "[unit]") {
  const CommandResult hello = run_command("echo hello");
  CHECK(hello.ok());
  CHECK(hello.output == "hello\n");
  CHECK(hello.trimmed() == "hello");
  CHECK(CommandResult{0, "a b \r\n\n"}.trimmed() == "a b");
  CHECK(CommandResult{0, " lead\n"}.trimmed() == " lead");
  CHECK(CommandResult{0, ""}.trimmed().empty());
  const CommandResult failed = run_command("exit 3");
  CHECK_FALSE(failed.ok());
  CHECK(failed.exit_code == 3);
  // stderr only with merge_stderr, for every part of a list or pipeline.
  CHECK(run_command("echo oops >&2").output.empty());
  CHECK(run_command("echo oops >&2", true).output == "oops\n");
  CHECK(run_command("echo one >&2; echo two >&2", true).output == "one\ntwo\n");
  CHECK(run_command("echo one >&2 | cat", true).output == "one\n");
  CHECK(run_command("echo one >&2; echo two >&2").output.empty());
}

TEST_CASE("ChildProcess reports exit codes and kills what still runs", "[unit]") {
  auto quick = ChildProcess::spawn({.argv = {"sh", "-c", "exit 7"}});
  REQUIRE(quick);
  CHECK(quick->wait_exit(5s) == 7);
  CHECK_FALSE(quick->running());

  auto missing = ChildProcess::spawn({.argv = {"/nonexistent/ward-binary"}});
  REQUIRE(missing);
  CHECK(missing->wait_exit(5s) == 127);

  pid_t pid = -1;
  {
    auto sleeper = ChildProcess::spawn({.argv = {"sleep", "30"}});
    REQUIRE(sleeper);
    pid = sleeper->pid();
    CHECK(sleeper->running());
    CHECK_FALSE(sleeper->wait_exit(50ms).has_value());
  }  // destroyed while running: killed and reaped
  CHECK_FALSE(process_exists(pid));

  auto term = ChildProcess::spawn({.argv = {"sleep", "30"}});
  REQUIRE(term);
  term->signal(SIGTERM);
  CHECK(term->wait_exit(5s) == 128 + SIGTERM);
  CHECK_FALSE(ChildProcess::spawn({}).ok());
}

TEST_CASE("eventually polls until the condition holds or time runs out", "[unit]") {
  int calls = 0;
  CHECK(eventually([&] { return ++calls >= 3; }, 2s, 1ms).has_value());
  CHECK(calls == 3);
  CHECK_FALSE(eventually([] { return false; }, 30ms, 5ms).has_value());
}
