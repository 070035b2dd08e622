// Reading the audit log out: listing for wardctl, JSON lines for SIEMs.
//
// Export format (one JSON object per line, "\n"-terminated, UTF-8): the entry's
// canonical object (canonical.hpp) plus "hash", the lowercase hex entry hash. Removing
// "hash" and re-encoding canonically gives the bytes the chain hashes, so a SIEM can
// re-verify the chain on its own copy. Checkpoint lines (export_checkpoints_jsonl) are
// {"seq":N,"hash":"hex","time":"...Z","signature":"base64"}.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/base/result.hpp"
#include "controller/audit/entry.hpp"
#include "controller/store/store.hpp"

namespace ward::audit {

// The export object of one entry (canonical fields plus "hash").
nlohmann::json entry_to_json(const Entry& entry);
nlohmann::json checkpoint_to_json(const store::AuditCheckpoint& checkpoint);

// Entries with seq > after_seq in seq order, at most limit. Corruption for a row that
// does not decode (run verify).
Result<std::vector<Entry>> list_entries(store::Tx& tx, std::int64_t after_seq, std::int64_t limit);

// Calls sink once per line (including its trailing "\n") for every entry with
// seq > after_seq. Pages through the store in short read transactions. Stops at, and
// returns, the first sink error.
using LineSink = std::function<Status(std::string_view line)>;
Status export_jsonl(store::Store& store, std::int64_t after_seq, const LineSink& sink);
Status export_checkpoints_jsonl(store::Store& store, const LineSink& sink);

}  // namespace ward::audit
