#include "controller/audit/log.hpp"

#include "controller/audit/canonical.hpp"

namespace ward::audit {

Result<std::int64_t> Log::append(store::Tx& tx, const Event& event, store::Time now) const {
  WARD_RETURN_IF_ERROR(validate_event(event));
  WARD_ASSIGN_OR_RETURN(std::optional<store::AuditRow> head, tx.audit_head());
  std::int64_t seq = 1;
  store::Bytes prev = genesis_hash();
  if (head) {
    if (head->entry_hash.size() != kHashSize) {
      return Error::corruption("audit log head " + std::to_string(head->seq) +
                               " has a malformed hash; run audit verify");
    }
    seq = head->seq + 1;
    prev = head->entry_hash;
  }
  WARD_ASSIGN_OR_RETURN(std::string canonical, canonical_json(seq, now, event));
  store::AuditRow row;
  row.seq = seq;
  row.time = now;
  row.actor_kind = std::string(actor_kind_name(event.actor.kind));
  row.actor_id = event.actor.id;
  row.actor_name = event.actor.name;
  row.source = event.source;
  row.action = event.action;
  row.target = event.target;
  row.outcome = std::string(outcome_name(event.outcome));
  row.details_json = event.details.dump();  // validated above: cannot throw
  row.entry_hash = chain_hash(prev, canonical);
  WARD_RETURN_IF_ERROR(tx.insert_audit_row(row));
  if (options_.checkpoint_every > 0 && seq % options_.checkpoint_every == 0) {
    WARD_RETURN_IF_ERROR(sign_checkpoint(tx, seq, row.entry_hash, now));
  }
  return seq;
}

Result<store::AuditCheckpoint> Log::checkpoint(store::Tx& tx, store::Time now) const {
  WARD_ASSIGN_OR_RETURN(std::optional<store::AuditRow> head, tx.audit_head());
  if (!head) return Error::not_found("the audit log is empty; nothing to checkpoint");
  WARD_ASSIGN_OR_RETURN(std::optional<store::AuditCheckpoint> last, tx.latest_audit_checkpoint());
  if (last && last->seq == head->seq) return *last;
  return sign_checkpoint(tx, head->seq, head->entry_hash, now);
}

Result<store::AuditCheckpoint> Log::sign_checkpoint(store::Tx& tx, std::int64_t seq,
                                                    const store::Bytes& hash,
                                                    store::Time now) const {
  store::AuditCheckpoint cp;
  cp.seq = seq;
  cp.entry_hash = hash;
  cp.time = now;
  WARD_ASSIGN_OR_RETURN(std::string sig, key_.sign(checkpoint_message(seq, hash, now)));
  cp.signature.assign(sig.begin(), sig.end());
  WARD_RETURN_IF_ERROR(tx.insert_audit_checkpoint(cp));
  return cp;
}

}  // namespace ward::audit
