// The audit log's canonical encoding, hash chain and checkpoint message. Pure functions;
// docs/audit-log.md is the normative description and must change with this file.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/base/result.hpp"
#include "controller/audit/entry.hpp"
#include "controller/store/types.hpp"

namespace ward::audit {

inline constexpr int kFormatVersion = 1;
inline constexpr std::size_t kHashSize = 32;

// RFC 3339 UTC with milliseconds: "2026-11-28T17:31:10.123Z".
std::string format_time(store::Time t);
// Parses exactly the format_time() form; InvalidArgument otherwise.
Result<store::Time> parse_time(std::string_view text);

// The canonical JSON text of an entry: one object, keys sorted bytewise, no whitespace,
// strings UTF-8 with JSON escapes only where required, integers only:
//   {"action":..,"actor":{"id":..,"kind":..,"name":..},"details":{..},"outcome":..,
//    "seq":N,"source":..,"target":..,"time":"...Z","v":1}
// InvalidArgument if the event cannot be encoded (invalid UTF-8).
Result<std::string> canonical_json(std::int64_t seq, store::Time time, const Event& event);

// The hash of seq 0 (the genesis "previous hash"): 32 zero bytes.
store::Bytes genesis_hash();

// entry_hash = SHA-256(prev_hash || canonical).
store::Bytes chain_hash(std::span<const std::uint8_t> prev_hash, std::string_view canonical);

// The exact bytes a checkpoint signature covers:
//   "ward-audit-checkpoint-v1\n" <seq> "\n" <hex entry_hash> "\n" <format_time(time)> "\n"
std::string checkpoint_message(std::int64_t seq, std::span<const std::uint8_t> entry_hash,
                               store::Time time);

}  // namespace ward::audit
