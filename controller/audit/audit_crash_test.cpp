// Crash safety: a child process writes a burst of audited changes, each change and its
// audit entry in one transaction, and is SIGKILLed mid-burst. The database must open,
// pass integrity_check, pass audit verify, and hold every change together with its
// entry (never one without the other).
#include <chrono>
#include <signal.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "common/crypto/signing_key.hpp"
#include "controller/audit/export.hpp"
#include "controller/audit/log.hpp"
#include "controller/audit/verify.hpp"
#include "controller/store/sqlite_store.hpp"
#include "controller/store/testing/temp_dir.hpp"

namespace ward::audit {
namespace {

const store::Time kT0 = store::time_from_ms(1'800'000'000'000);

// Runs in the child: appends forever; never returns.
[[noreturn]] void writer(const std::string& path, const crypto::SigningKey& key) {
  auto s = store::open_sqlite_store(path);
  if (!s) ::_exit(10);
  Log log(key, LogOptions{7});
  for (std::int64_t i = 1;; ++i) {
    Status st = (*s)->transaction([&](store::Tx& tx) -> Status {
      WARD_ASSIGN_OR_RETURN(auto head, tx.audit_head());
      std::int64_t next = head ? head->seq + 1 : 1;
      WARD_RETURN_IF_ERROR(tx.set_setting("counter", std::to_string(next), kT0));
      Event e;
      e.actor = Actor::system();
      e.action = "setting.set";
      e.target = "setting:counter";
      e.details = {{"value", next}, {"pad", std::string(static_cast<std::size_t>(i % 300), 'p')}};
      WARD_RETURN_IF_ERROR(log.append(tx, e, kT0 + std::chrono::milliseconds(next)));
      return ok();
    });
    if (!st) ::_exit(11);
  }
}

std::int64_t head_seq(store::Store& s) {
  auto head =
      s.read_value<std::optional<store::AuditRow>>([](store::Tx& tx) { return tx.audit_head(); });
  REQUIRE(head.ok());
  return *head ? (*head)->seq : 0;
}

TEST_CASE("audit: SIGKILL during a burst of audited writes leaves a verifiable database",
          "[unit]") {
  store::testing::TempDir dir;
  std::string path = dir.file("crash.db");
  auto key = crypto::SigningKey::generate(crypto::KeyType::kEd25519).value();
  { REQUIRE(store::open_sqlite_store(path).ok()); }  // create and migrate once

  std::int64_t previous = 0;
  for (int round = 0; round < 4; ++round) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) writer(path, key);
    // Let the child get well into its burst; vary the moment of the kill.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    {
      auto observer = store::open_sqlite_store(path);
      REQUIRE(observer.ok());
      while (head_seq(**observer) < previous + 20 + round * 7 &&
             std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(3 * round));
    REQUIRE(::kill(pid, SIGKILL) == 0);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    INFO("round " << round);
    REQUIRE(WIFSIGNALED(status));  // it was still writing, not failed on its own
    CHECK(WTERMSIG(status) == SIGKILL);

    REQUIRE(store::sqlite_integrity_check(path).ok());
    auto s = store::open_sqlite_store(path);
    REQUIRE(s.ok());
    auto report = verify(**s, key.public_key_pem());
    REQUIRE(report.ok());
    INFO(report->summary());
    CHECK(report->ok());
    std::int64_t head = head_seq(**s);
    CHECK(head > previous);
    CHECK(report->entries == head);
    // The change and its audit entry committed together.
    auto counter = (*s)->read_value<std::optional<std::string>>(
        [](store::Tx& tx) { return tx.setting("counter"); });
    REQUIRE(counter.ok());
    REQUIRE(counter->has_value());
    CHECK(**counter == std::to_string(head));
    previous = head;
  }
}

}  // namespace
}  // namespace ward::audit
