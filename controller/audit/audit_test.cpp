// The audit log end to end: append, verify, and tampering done with raw SQL on the
// database file after the store is closed, the way an attacker with file access would.
#include <string>

#include <catch2/catch.hpp>

#include "common/crypto/encoding.hpp"
#include "common/crypto/signing_key.hpp"
#include "controller/audit/canonical.hpp"
#include "controller/audit/export.hpp"
#include "controller/audit/log.hpp"
#include "controller/audit/verify.hpp"
#include "controller/store/sqlite_db.hpp"
#include "controller/store/sqlite_store.hpp"
#include "controller/store/testing/temp_dir.hpp"

namespace ward::audit {
namespace {

using namespace std::chrono_literals;
using Kind = Problem::Kind;

const store::Time kT0 = store::time_from_ms(1'800'000'000'000);

crypto::SigningKey test_key() {
  static const crypto::SigningKey key =
      crypto::SigningKey::generate(crypto::KeyType::kEd25519).value();
  return key;
}

Event event_n(int i) {
  Event e;
  e.actor = i % 3 == 0 ? Actor::system()
                       : Actor::user(i % 5, "user" + std::to_string(i % 5) + "@example.org");
  e.source = "192.0.2." + std::to_string(i % 250);
  e.action = i % 2 == 0 ? "device.approve" : "user.login";
  e.target = "device:" + std::to_string(i);
  e.outcome = i % 7 == 0 ? Outcome::kDenied : Outcome::kSuccess;
  e.details = {{"i", i}, {"why", "test"}};
  return e;
}

// A database with `n` entries appended one per transaction, checkpoints every 10.
struct Fixture {
  store::testing::TempDir dir;
  std::string path = dir.file("audit.db");
  Log log{test_key(), LogOptions{10}};

  // per_tx entries share a transaction (fewer fsyncs for big logs).
  explicit Fixture(int n, int per_tx = 1) {
    auto s = open();
    for (int i = 1; i <= n;) {
      REQUIRE(s->transaction([&](store::Tx& tx) -> Status {
                 for (int k = 0; k < per_tx && i <= n; ++k, ++i) {
                   WARD_RETURN_IF_ERROR(tx.set_setting("counter", std::to_string(i), kT0));
                   WARD_RETURN_IF_ERROR(log.append(tx, event_n(i), kT0 + std::chrono::seconds(i)));
                 }
                 return ok();
               }).ok());
    }
  }
  std::unique_ptr<store::Store> open() {
    auto s = store::open_sqlite_store(path);
    REQUIRE(s.ok());
    return std::move(s).value();
  }
  void sql(const char* text) {
    auto conn = store::sqlite::Connection::open(path, {});
    REQUIRE(conn.ok());
    Status s = (*conn)->exec(text);
    INFO(text);
    REQUIRE(s.ok());
  }
  VerifyReport verify_now(std::string_view pem = {}) {
    auto s = open();
    std::string key = pem.empty() ? test_key().public_key_pem() : std::string(pem);
    auto r = verify(*s, key);
    REQUIRE(r.ok());
    return std::move(r).value();
  }
};

TEST_CASE("audit: an untouched log verifies with all its checkpoints", "[unit]") {
  Fixture f(50);
  VerifyReport r = f.verify_now();
  INFO(r.summary());
  CHECK(r.ok());
  CHECK(r.entries == 50);
  CHECK(r.verified_through == 50);
  CHECK(r.checkpoints == 5);
  CHECK(r.checkpoints_valid == 5);
  CHECK(r.last_valid_checkpoint == 50);
  CHECK(r.summary().rfind("ok: 50 entries, 5 checkpoints verified", 0) == 0);
}

TEST_CASE("audit: an empty log verifies", "[unit]") {
  Fixture f(0);
  VerifyReport r = f.verify_now();
  CHECK(r.ok());
  CHECK(r.entries == 0);
}

TEST_CASE("audit: a modified field names the entry", "[unit]") {
  Fixture f(50);
  const char* edits[] = {
      "UPDATE audit_entries SET target = 'device:999' WHERE seq = 17",
      "UPDATE audit_entries SET outcome = 'success' WHERE seq = 14",  // was denied
      "UPDATE audit_entries SET time = time + 1 WHERE seq = 17",
      "UPDATE audit_entries SET details = '{\"i\":17,\"why\":\"nothing to see\"}' WHERE seq = 17",
      "UPDATE audit_entries SET actor_name = 'mallory' WHERE seq = 17",
      "UPDATE audit_entries SET entry_hash = zeroblob(32) WHERE seq = 17",
      "UPDATE audit_entries SET actor_kind = 'wizard' WHERE seq = 17",
  };
  for (const char* edit : edits) {
    Fixture g(20);
    g.sql(edit);
    VerifyReport r = g.verify_now();
    INFO(edit << " -> " << r.summary());
    REQUIRE_FALSE(r.ok());
    CHECK(r.problems[0].kind == Kind::kModified);
    std::int64_t seq = std::string(edit).find("seq = 14") != std::string::npos ? 14 : 17;
    CHECK(r.problems[0].seq == seq);
    CHECK(r.problems[0].message.rfind("entry " + std::to_string(seq) + " was modified", 0) == 0);
    CHECK(r.verified_through == seq - 1);
  }
  // Reformatting details without changing their meaning is not a change.
  f.sql("UPDATE audit_entries SET details = '{ \"why\": \"test\", \"i\": 17 }' WHERE seq = 17");
  CHECK(f.verify_now().ok());
}

TEST_CASE("audit: a deleted entry is reported as missing", "[unit]") {
  Fixture f(50);
  f.sql("DELETE FROM audit_entries WHERE seq = 23");
  VerifyReport r = f.verify_now();
  REQUIRE_FALSE(r.ok());
  CHECK(r.problems[0].kind == Kind::kMissing);
  CHECK(r.problems[0].seq == 23);
  CHECK(r.problems[0].message == "entry 23 is missing (sequence jumps from 22 to 24)");
  CHECK(r.summary().rfind("entry 23 is missing", 0) == 0);

  Fixture g(5);
  g.sql("DELETE FROM audit_entries WHERE seq = 1");
  VerifyReport r1 = g.verify_now();
  REQUIRE_FALSE(r1.ok());
  CHECK(r1.problems[0].message == "entry 1 is missing (sequence jumps from 0 to 2)");
}

TEST_CASE("audit: swapped rows are reported as out of order", "[unit]") {
  SECTION("whole rows swapped (physical order changed)") {
    Fixture f(50);
    f.sql(
        "UPDATE audit_entries SET position = -1 WHERE seq = 30;"
        "UPDATE audit_entries SET position = 30 WHERE seq = 31;"
        "UPDATE audit_entries SET position = 31 WHERE seq = 30;");
    VerifyReport r = f.verify_now();
    REQUIRE_FALSE(r.ok());
    CHECK(r.problems[0].kind == Kind::kOutOfOrder);
    CHECK(r.problems[0].message == "entries out of order at 30");
    CHECK(r.verified_through == 29);
  }
  SECTION("contents swapped under the sequence numbers") {
    Fixture f(50);
    f.sql(
        "CREATE TEMP TABLE t AS SELECT * FROM audit_entries WHERE seq IN (30, 31);"
        "UPDATE audit_entries SET (time, actor_kind, actor_id, actor_name, source, action, "
        "target, outcome, details, entry_hash) = (SELECT time, actor_kind, actor_id, "
        "actor_name, source, action, target, outcome, details, entry_hash FROM t WHERE "
        "t.seq = 61 - audit_entries.seq) WHERE seq IN (30, 31);");
    VerifyReport r = f.verify_now();
    REQUIRE_FALSE(r.ok());
    CHECK(r.problems[0].kind == Kind::kModified);
    CHECK(r.problems[0].seq == 30);
  }
}

TEST_CASE("audit: rewriting history with recomputed hashes is caught by a checkpoint", "[unit]") {
  Fixture f(50);
  {
    // The attacker changes entry 17 and recomputes every later hash (no key needed).
    auto s = f.open();
    auto rows = s->read_value<std::vector<store::AuditRow>>(
        [](store::Tx& tx) { return tx.audit_rows_by_position(0, 1000); });
    REQUIRE(rows.ok());
    store::Bytes prev = genesis_hash();
    auto conn = store::sqlite::Connection::open(f.path, {});
    REQUIRE(conn.ok());
    for (auto& row : *rows) {
      if (row.seq == 17) row.target = "device:999";
      Entry e = entry_from_row(row).value();
      store::Bytes h = chain_hash(prev, canonical_json(e.seq, e.time, e.event).value());
      auto st =
          (*conn)->prepare("UPDATE audit_entries SET target = ?, entry_hash = ? WHERE seq = ?");
      REQUIRE(st.ok());
      REQUIRE(st->bind_all(row.target, h, row.seq).ok());
      REQUIRE(st->run().ok());
      prev = h;
    }
  }
  VerifyReport r = f.verify_now();
  REQUIRE_FALSE(r.ok());
  CHECK(r.verified_through == 50);  // the chain itself is consistent again...
  CHECK(r.problems[0].kind == Kind::kCheckpointMismatch);  // ...but not with checkpoint 20
  CHECK(r.problems[0].seq == 20);
  CHECK(r.problems[0].message.rfind("checkpoint at 20 does not match entry 20", 0) == 0);
  CHECK(r.checkpoints_valid == 1);  // only the checkpoint at 10 still matches
  CHECK(r.last_valid_checkpoint == 10);
}

TEST_CASE("audit: a checkpoint with a bad signature is named", "[unit]") {
  Fixture f(50);
  f.sql("UPDATE audit_checkpoints SET signature = zeroblob(64) WHERE seq = 40");
  VerifyReport r = f.verify_now();
  REQUIRE_FALSE(r.ok());
  REQUIRE(r.problems.size() == 1);
  CHECK(r.problems[0].kind == Kind::kBadCheckpointSignature);
  CHECK(r.problems[0].message == "checkpoint at 40 has a bad signature");
  CHECK(r.checkpoints_valid == 4);

  // A checkpoint whose time was changed no longer matches its signature either.
  Fixture g(20);
  g.sql("UPDATE audit_checkpoints SET time = time + 1000 WHERE seq = 10");
  CHECK(g.verify_now().problems.at(0).message == "checkpoint at 10 has a bad signature");

  // Verified with another controller's key, no checkpoint is trusted.
  auto other = crypto::SigningKey::generate(crypto::KeyType::kEd25519).value();
  VerifyReport wrong = f.verify_now(other.public_key_pem());
  CHECK(wrong.problems.size() == 5);
  CHECK(wrong.checkpoints_valid == 0);
}

TEST_CASE("audit: truncation behind a checkpoint is detected", "[unit]") {
  Fixture f(45);
  f.sql("DELETE FROM audit_entries WHERE seq > 35");
  VerifyReport r = f.verify_now();
  REQUIRE_FALSE(r.ok());
  CHECK(r.problems[0].kind == Kind::kTruncated);
  CHECK(r.problems[0].seq == 40);
  CHECK(r.problems[0].message ==
        "log truncated after the last checkpoint (checkpoint at 40, but the log ends at entry 35)");
  CHECK(r.checkpoints_valid == 3);
}

TEST_CASE("audit: appends share the fate of their transaction", "[unit]") {
  Fixture f(3);
  auto s = f.open();
  Status rolled_back = s->transaction([&](store::Tx& tx) -> Status {
    WARD_RETURN_IF_ERROR(tx.set_setting("x", "1", kT0));
    auto seq = f.log.append(tx, event_n(4), kT0);
    REQUIRE(seq.ok());
    CHECK(*seq == 4);
    return Error::invalid_argument("abort");
  });
  REQUIRE_FALSE(rolled_back.ok());
  auto seq = s->transaction_value<std::int64_t>(
      [&](store::Tx& tx) { return f.log.append(tx, event_n(5), kT0); });
  REQUIRE(seq.ok());
  CHECK(*seq == 4);  // the rolled-back entry left no gap
  // Appending needs a write transaction.
  CHECK_FALSE(s->read([&](store::Tx& tx) -> Status {
                 WARD_RETURN_IF_ERROR(f.log.append(tx, event_n(6), kT0));
                 return ok();
               }).ok());
  // A malformed event is refused and nothing is written.
  Event bad = event_n(7);
  bad.details = {{"password", "hunter2"}};
  CHECK_FALSE(s->transaction_value<std::int64_t>([&](store::Tx& tx) {
                 return f.log.append(tx, bad, kT0);
               }).ok());
  s.reset();
  VerifyReport r = f.verify_now();
  CHECK(r.ok());
  CHECK(r.entries == 4);
}

TEST_CASE("audit: on-demand checkpoints", "[unit]") {
  Fixture f(0);
  auto s = f.open();
  auto empty = s->transaction_value<store::AuditCheckpoint>(
      [&](store::Tx& tx) { return f.log.checkpoint(tx, kT0); });
  CHECK(empty.error().code() == ErrorCode::kNotFound);
  for (int i = 1; i <= 3; ++i) {
    REQUIRE(s->transaction_value<std::int64_t>([&](store::Tx& tx) {
               return f.log.append(tx, event_n(i), kT0);
             }).ok());
  }
  auto cp = s->transaction_value<store::AuditCheckpoint>(
      [&](store::Tx& tx) { return f.log.checkpoint(tx, kT0 + 1s); });
  REQUIRE(cp.ok());
  CHECK(cp->seq == 3);
  auto again = s->transaction_value<store::AuditCheckpoint>(
      [&](store::Tx& tx) { return f.log.checkpoint(tx, kT0 + 2s); });
  REQUIRE(again.ok());
  CHECK(again->time == kT0 + 1s);  // the head already had one: no second checkpoint
  s.reset();
  f.sql("DELETE FROM audit_entries WHERE seq = 3");
  VerifyReport r = f.verify_now();
  REQUIRE_FALSE(r.ok());
  CHECK(r.problems[0].kind == Kind::kTruncated);
}

TEST_CASE("audit: JSON-lines export carries every entry with its hash", "[unit]") {
  Fixture f(1100, 100);  // more than two export pages
  auto s = f.open();
  std::vector<std::string> lines;
  REQUIRE(export_jsonl(*s, 0, [&](std::string_view line) {
            lines.emplace_back(line);
            return ok();
          }).ok());
  REQUIRE(lines.size() == 1100);
  // A SIEM can re-verify the chain from the export alone.
  store::Bytes prev = genesis_hash();
  for (std::size_t i = 0; i < lines.size(); ++i) {
    REQUIRE(lines[i].back() == '\n');
    REQUIRE(std::count(lines[i].begin(), lines[i].end(), '\n') == 1);
    auto j = nlohmann::json::parse(lines[i]);
    CHECK(j["seq"] == static_cast<std::int64_t>(i + 1));
    std::string hash = j["hash"];
    j.erase("hash");
    store::Bytes h = chain_hash(prev, j.dump());
    REQUIRE(crypto::hex_encode(h) == hash);
    prev = h;
  }
  std::vector<std::string> tail;
  REQUIRE(export_jsonl(*s, 1098, [&](std::string_view line) {
            tail.emplace_back(line);
            return ok();
          }).ok());
  CHECK(tail.size() == 2);
  // A failing sink stops the export with its error.
  int calls = 0;
  Status stopped = export_jsonl(*s, 0, [&](std::string_view) -> Status {
    return ++calls == 3 ? Error::io("disk full") : ok();
  });
  CHECK(stopped.error().message() == "disk full");
  CHECK(calls == 3);

  std::vector<std::string> cps;
  REQUIRE(export_checkpoints_jsonl(*s, [&](std::string_view line) {
            cps.emplace_back(line);
            return ok();
          }).ok());
  REQUIRE(cps.size() == 110);
  auto cp = nlohmann::json::parse(cps[0]);
  CHECK(cp["seq"] == 10);
  auto sig = crypto::base64_decode(cp["signature"].get<std::string>()).value();
  auto hash = crypto::hex_decode(cp["hash"].get<std::string>()).value();
  std::string msg = checkpoint_message(10, hash, parse_time(cp["time"].get<std::string>()).value());
  CHECK(crypto::verify_signature(
            test_key().public_key_pem(), msg,
            std::string_view(reinterpret_cast<const char*>(sig.data()), sig.size()))
            .ok());

  auto listed =
      s->read_value<std::vector<Entry>>([](store::Tx& tx) { return list_entries(tx, 10, 5); });
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 5);
  CHECK((*listed)[0].seq == 11);
  CHECK((*listed)[0].event.details["i"] == 11);
  CHECK((*listed)[0].event.actor == Actor::user(1, "user1@example.org"));
}

}  // namespace
}  // namespace ward::audit
