// Appending to the tamper-evident audit log.
//
//   audit::Log log(controller_key);  // the controller's signing key (Ed25519)
//   store.transaction([&](store::Tx& tx) -> Status {
//     WARD_RETURN_IF_ERROR(tx.update_device(device));  // the change...
//     WARD_RETURN_IF_ERROR(log.append(tx, event, now));  // ...and its record
//     return ok();
//   });
//
// Contracts:
// - append() must run inside a write transaction (Store::transaction); the entry then
//   commits or rolls back together with the change it records. Appends are serialised
//   by the store's write lock, so seq numbers are gap-free across processes.
// - Every `checkpoint_every` entries append() also stores a signed checkpoint of the new
//   head in the same transaction; checkpoint() does so on demand (e.g. at shutdown or
//   before an export).
// - A Log is immutable after construction and safe to use from several threads.
#pragma once

#include <cstdint>
#include <optional>

#include "common/base/result.hpp"
#include "common/crypto/signing_key.hpp"
#include "controller/audit/entry.hpp"
#include "controller/store/store.hpp"

namespace ward::audit {

struct LogOptions {
  // Sign a checkpoint whenever seq is a multiple of this (0: only on demand).
  std::int64_t checkpoint_every = 256;
};

class Log {
 public:
  explicit Log(crypto::SigningKey key, LogOptions options = {})
      : key_(std::move(key)), options_(options) {}

  // Validates event (validate_event), assigns seq = head + 1 and time = now, chains and
  // stores it. Returns the new entry's seq. InvalidArgument for a malformed event,
  // Corruption if the stored head is unreadable.
  Result<std::int64_t> append(store::Tx& tx, const Event& event, store::Time now) const;

  // Signs and stores a checkpoint of the current head, unless the head already has one
  // (then returns that). NotFound for an empty log.
  Result<store::AuditCheckpoint> checkpoint(store::Tx& tx, store::Time now) const;

  // The public key (SubjectPublicKeyInfo PEM) that verify() needs.
  std::string public_key_pem() const { return key_.public_key_pem(); }

 private:
  Result<store::AuditCheckpoint> sign_checkpoint(store::Tx& tx, std::int64_t seq,
                                                 const store::Bytes& hash, store::Time now) const;

  crypto::SigningKey key_;
  LogOptions options_;
};

}  // namespace ward::audit
