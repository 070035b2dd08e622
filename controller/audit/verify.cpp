#include "controller/audit/verify.hpp"

#include <map>

#include "common/base/secret.hpp"
#include "common/crypto/signing_key.hpp"
#include "controller/audit/canonical.hpp"
#include "controller/audit/entry.hpp"

namespace ward::audit {
namespace {

constexpr std::int64_t kPage = 512;

using Kind = Problem::Kind;

std::string str(std::int64_t v) {
  return std::to_string(v);
}

struct ChainWalk {
  std::map<std::int64_t, store::Bytes> checkpoint_hashes;  // seq -> computed hash
  store::Bytes prev = genesis_hash();
  std::int64_t expected = 1;
  std::int64_t max_seq = 0;
  std::optional<Problem> problem;
};

// Checks one row against the chain so far; records the first problem.
Status check_row(store::Store& store, ChainWalk& w, const store::AuditRow& row) {
  if (w.problem) return ok();
  if (row.seq != w.expected) {
    // Is the expected entry somewhere else in the log (reordered) or gone (deleted)?
    store::AuditQuery q;
    q.after_seq = w.expected - 1;
    q.limit = 1;
    WARD_ASSIGN_OR_RETURN(auto next, store.read_value<std::vector<store::AuditRow>>(
                                         [&](store::Tx& tx) { return tx.list_audit_rows(q); }));
    bool present = !next.empty() && next[0].seq == w.expected;
    if (present || row.seq < w.expected) {
      w.problem =
          Problem{Kind::kOutOfOrder, w.expected, "entries out of order at " + str(w.expected)};
    } else {
      w.problem = Problem{Kind::kMissing, w.expected,
                          "entry " + str(w.expected) + " is missing (sequence jumps from " +
                              str(w.expected - 1) + " to " + str(row.seq) + ")"};
    }
    return ok();
  }
  auto modified = [&](const std::string& why) {
    w.problem =
        Problem{Kind::kModified, row.seq, "entry " + str(row.seq) + " was modified (" + why + ")"};
  };
  Result<Entry> entry = entry_from_row(row);
  if (!entry) {
    modified(entry.error().message());
    return ok();
  }
  Result<std::string> canonical = canonical_json(entry->seq, entry->time, entry->event);
  if (!canonical) {
    modified(canonical.error().message());
    return ok();
  }
  store::Bytes computed = chain_hash(w.prev, *canonical);
  if (!ct_equal(computed, row.entry_hash)) {
    modified("its content does not match the hash chain");
    return ok();
  }
  if (w.checkpoint_hashes.contains(row.seq)) w.checkpoint_hashes[row.seq] = computed;
  w.prev = std::move(computed);
  ++w.expected;
  return ok();
}

}  // namespace

std::string VerifyReport::summary() const {
  if (!ok()) {
    std::string s = problems.front().message;
    if (problems.size() > 1)
      s += " (and " + str(static_cast<std::int64_t>(problems.size() - 1)) + " more)";
    return s;
  }
  std::string s =
      "ok: " + str(entries) + " entries, " + str(checkpoints_valid) + " checkpoints verified";
  if (last_valid_checkpoint) {
    s += " (last at " + str(*last_valid_checkpoint) + "; " + str(entries - *last_valid_checkpoint) +
         " newer entries not yet checkpointed)";
  }
  return s;
}

Result<VerifyReport> verify(store::Store& store, std::string_view public_key_pem) {
  VerifyReport report;
  WARD_ASSIGN_OR_RETURN(auto checkpoints,
                        store.read_value<std::vector<store::AuditCheckpoint>>(
                            [](store::Tx& tx) { return tx.audit_checkpoints(); }));
  ChainWalk w;
  for (const auto& cp : checkpoints)
    w.checkpoint_hashes[cp.seq] = {};

  std::int64_t position = 0;
  for (;;) {
    WARD_ASSIGN_OR_RETURN(
        auto rows, store.read_value<std::vector<store::AuditRow>>(
                       [&](store::Tx& tx) { return tx.audit_rows_by_position(position, kPage); }));
    if (rows.empty()) break;
    for (const auto& row : rows) {
      ++report.entries;
      w.max_seq = std::max(w.max_seq, row.seq);
      WARD_RETURN_IF_ERROR(check_row(store, w, row));
      position = row.position;
    }
  }
  report.verified_through = w.expected - 1;
  if (w.problem) report.problems.push_back(*w.problem);

  report.checkpoints = static_cast<std::int64_t>(checkpoints.size());
  for (const auto& cp : checkpoints) {
    std::string msg = checkpoint_message(cp.seq, cp.entry_hash, cp.time);
    std::string_view sig(reinterpret_cast<const char*>(cp.signature.data()), cp.signature.size());
    Status good = crypto::verify_signature(public_key_pem, msg, sig);
    if (!good) {
      if (good.error().code() != ErrorCode::kUnauthenticated) return std::move(good).error();
      report.problems.push_back({Kind::kBadCheckpointSignature, cp.seq,
                                 "checkpoint at " + str(cp.seq) + " has a bad signature"});
      continue;
    }
    if (cp.seq > w.max_seq) {
      report.problems.push_back({Kind::kTruncated, cp.seq,
                                 "log truncated after the last checkpoint (checkpoint at " +
                                     str(cp.seq) + ", but the log ends at entry " + str(w.max_seq) +
                                     ")"});
      continue;
    }
    if (cp.seq > report.verified_through) continue;  // past the chain problem: unknown
    if (!ct_equal(w.checkpoint_hashes[cp.seq], cp.entry_hash)) {
      report.problems.push_back({Kind::kCheckpointMismatch, cp.seq,
                                 "checkpoint at " + str(cp.seq) + " does not match entry " +
                                     str(cp.seq) + " (the log was rewritten at or before entry " +
                                     str(cp.seq) + ")"});
      continue;
    }
    ++report.checkpoints_valid;
    report.last_valid_checkpoint = cp.seq;
  }
  return report;
}

}  // namespace ward::audit
