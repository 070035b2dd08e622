#include "controller/audit/canonical.hpp"

#include <chrono>
#include <cstdio>

#include "common/crypto/encoding.hpp"
#include "common/crypto/hash.hpp"

namespace ward::audit {

std::string format_time(store::Time t) {
  using namespace std::chrono;
  auto day = floor<days>(t);
  year_month_day ymd{day};
  hh_mm_ss hms{t - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                static_cast<int>(hms.subseconds().count()));
  return buf;
}

Result<store::Time> parse_time(std::string_view text) {
  using namespace std::chrono;
  auto bad = [&] {
    return Error::invalid_argument("expected a time like 2026-01-31T23:59:59.000Z, got " +
                                   quote(text));
  };
  if (text.size() != 24) return bad();
  auto digits = [&](std::size_t pos, std::size_t n, int& out) {
    out = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      out = out * 10 + (text[i] - '0');
    }
    return true;
  };
  int y, mo, d, h, mi, s, ms;
  if (!digits(0, 4, y) || text[4] != '-' || !digits(5, 2, mo) || text[7] != '-' ||
      !digits(8, 2, d) || text[10] != 'T' || !digits(11, 2, h) || text[13] != ':' ||
      !digits(14, 2, mi) || text[16] != ':' || !digits(17, 2, s) || text[19] != '.' ||
      !digits(20, 3, ms) || text[23] != 'Z') {
    return bad();
  }
  year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 59) return bad();
  return store::Time(sys_days(ymd)) + hours(h) + minutes(mi) + seconds(s) + milliseconds(ms);
}

Result<std::string> canonical_json(std::int64_t seq, store::Time time, const Event& event) {
  // nlohmann::json objects are std::map-backed: keys come out sorted bytewise, and
  // dump() without indentation emits no whitespace.
  nlohmann::json j = {
      {"v", kFormatVersion},
      {"seq", seq},
      {"time", format_time(time)},
      {"actor",
       {{"kind", std::string(actor_kind_name(event.actor.kind))},
        {"id", event.actor.id},
        {"name", event.actor.name}}},
      {"source", event.source},
      {"action", event.action},
      {"target", event.target},
      {"outcome", std::string(outcome_name(event.outcome))},
      {"details", event.details},
  };
  try {
    return j.dump();
  } catch (const nlohmann::json::exception&) {
    return Error::invalid_argument("audit entry contains invalid UTF-8");
  }
}

store::Bytes genesis_hash() {
  return store::Bytes(kHashSize, 0);
}

store::Bytes chain_hash(std::span<const std::uint8_t> prev_hash, std::string_view canonical) {
  crypto::Sha256 h;
  h.update(prev_hash);
  h.update(canonical);
  crypto::Sha256Digest d = h.finish();
  return store::Bytes(d.begin(), d.end());
}

std::string checkpoint_message(std::int64_t seq, std::span<const std::uint8_t> entry_hash,
                               store::Time time) {
  std::string m = "ward-audit-checkpoint-v1\n";
  m += std::to_string(seq);
  m += '\n';
  m += crypto::hex_encode(entry_hash);
  m += '\n';
  m += format_time(time);
  m += '\n';
  return m;
}

}  // namespace ward::audit
