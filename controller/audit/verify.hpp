// Verifying the audit log from genesis: the hash chain, sequence continuity, physical
// order, and every signed checkpoint.
//
// Verification stops walking the chain at the first broken entry (everything after it
// is unverifiable: it chains to something that is not there) and names that entry;
// checkpoints are always all checked. Reads the store in pages, each in its own read
// transaction, so a long verify does not block writers for long; entries appended
// while it runs are either included or not, never half-seen.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/result.hpp"
#include "controller/store/store.hpp"

namespace ward::audit {

struct Problem {
  enum class Kind {
    kModified,                // "entry 17 was modified"
    kMissing,                 // "entry 23 is missing (sequence jumps from 22 to 24)"
    kOutOfOrder,              // "entries out of order at 30"
    kBadCheckpointSignature,  // "checkpoint at 40 has a bad signature"
    kCheckpointMismatch,      // "checkpoint at 40 does not match entry 40 ..."
    kTruncated,               // "log truncated after the last checkpoint ..."
  };
  Kind kind;
  std::int64_t seq;     // the entry or checkpoint the problem is about
  std::string message;  // one line for humans, as quoted above
};

struct VerifyReport {
  std::int64_t entries = 0;            // rows in the log
  std::int64_t verified_through = 0;   // last seq whose chain verified (0: none)
  std::int64_t checkpoints = 0;        // checkpoints stored
  std::int64_t checkpoints_valid = 0;  // with a good signature that matches the chain
  std::optional<std::int64_t> last_valid_checkpoint;
  std::vector<Problem> problems;  // chain problem first (at most one), then checkpoints

  bool ok() const { return problems.empty(); }
  // "ok: 120 entries, 2 checkpoints verified (last at 100)" or the first problem.
  std::string summary() const;
};

// Re-checks the whole log against the controller's public key (SubjectPublicKeyInfo
// PEM). The Result is an error only when the check could not run (store failure);
// tampering is reported in VerifyReport::problems.
Result<VerifyReport> verify(store::Store& store, std::string_view public_key_pem);

}  // namespace ward::audit
