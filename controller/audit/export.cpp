#include "controller/audit/export.hpp"

#include "common/crypto/encoding.hpp"
#include "controller/audit/canonical.hpp"

namespace ward::audit {
namespace {
constexpr std::int64_t kPage = 512;
}

nlohmann::json entry_to_json(const Entry& entry) {
  nlohmann::json j = {
      {"v", kFormatVersion},
      {"seq", entry.seq},
      {"time", format_time(entry.time)},
      {"actor",
       {{"kind", std::string(actor_kind_name(entry.event.actor.kind))},
        {"id", entry.event.actor.id},
        {"name", entry.event.actor.name}}},
      {"source", entry.event.source},
      {"action", entry.event.action},
      {"target", entry.event.target},
      {"outcome", std::string(outcome_name(entry.event.outcome))},
      {"details", entry.event.details},
      {"hash", crypto::hex_encode(entry.entry_hash)},
  };
  return j;
}

nlohmann::json checkpoint_to_json(const store::AuditCheckpoint& checkpoint) {
  return {
      {"seq", checkpoint.seq},
      {"hash", crypto::hex_encode(checkpoint.entry_hash)},
      {"time", format_time(checkpoint.time)},
      {"signature", crypto::base64_encode(checkpoint.signature)},
  };
}

Result<std::vector<Entry>> list_entries(store::Tx& tx, std::int64_t after_seq, std::int64_t limit) {
  store::AuditQuery q;
  q.after_seq = after_seq;
  q.limit = limit;
  WARD_ASSIGN_OR_RETURN(auto rows, tx.list_audit_rows(q));
  std::vector<Entry> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    WARD_ASSIGN_OR_RETURN(Entry e, entry_from_row(row));
    out.push_back(std::move(e));
  }
  return out;
}

Status export_jsonl(store::Store& store, std::int64_t after_seq, const LineSink& sink) {
  for (;;) {
    WARD_ASSIGN_OR_RETURN(auto entries, store.read_value<std::vector<Entry>>([&](store::Tx& tx) {
      return list_entries(tx, after_seq, kPage);
    }));
    if (entries.empty()) return ok();
    for (const auto& e : entries) {
      std::string line;
      try {
        line = entry_to_json(e).dump();
      } catch (const nlohmann::json::exception&) {
        return Error::corruption("audit entry " + std::to_string(e.seq) + " is not valid UTF-8");
      }
      line += '\n';
      WARD_RETURN_IF_ERROR(sink(line));
      after_seq = e.seq;
    }
  }
}

Status export_checkpoints_jsonl(store::Store& store, const LineSink& sink) {
  WARD_ASSIGN_OR_RETURN(auto cps, store.read_value<std::vector<store::AuditCheckpoint>>(
                                      [](store::Tx& tx) { return tx.audit_checkpoints(); }));
  for (const auto& cp : cps) {
    std::string line = checkpoint_to_json(cp).dump() + "\n";
    WARD_RETURN_IF_ERROR(sink(line));
  }
  return ok();
}

}  // namespace ward::audit
