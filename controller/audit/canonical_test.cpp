#include "controller/audit/canonical.hpp"

#include <catch2/catch.hpp>

#include "common/crypto/encoding.hpp"
#include "controller/audit/entry.hpp"

namespace ward::audit {
namespace {

const store::Time kT = store::time_from_ms(1'800'000'000'123);

Event sample_event() {
  Event e;
  e.actor = Actor::user(7, "alice@example.org");
  e.source = "192.0.2.7";
  e.action = "user.login";
  e.target = "user:7";
  e.outcome = Outcome::kSuccess;
  e.details = {{"method", "password+totp"}, {"n", 3}, {"note", "caf\xc3\xa9 \"q\"\n"}};
  return e;
}

TEST_CASE("audit: times are RFC 3339 UTC with milliseconds", "[unit]") {
  CHECK(format_time(kT) == "2027-01-15T08:00:00.123Z");
  CHECK(format_time(store::time_from_ms(0)) == "1970-01-01T00:00:00.000Z");
  CHECK(format_time(store::time_from_ms(951'782'400'007)) == "2000-02-29T00:00:00.007Z");
  CHECK(parse_time("2027-01-15T08:00:00.123Z").value() == kT);
  CHECK(parse_time(format_time(store::time_from_ms(1'234'567'890'999))).value() ==
        store::time_from_ms(1'234'567'890'999));
  CHECK_FALSE(parse_time("2027-01-15T08:00:00Z").ok());
  CHECK_FALSE(parse_time("2027-02-30T08:00:00.000Z").ok());
  CHECK_FALSE(parse_time("2027-01-15 08:00:00.000Z").ok());
  CHECK_FALSE(parse_time("2027-01-15T24:00:00.000Z").ok());
}

TEST_CASE("audit: canonical JSON is sorted, compact and stable (known answer)", "[unit]") {
  auto c = canonical_json(1, kT, sample_event());
  REQUIRE(c.ok());
  // Produced independently with Python: json.dumps(obj, sort_keys=True,
  // separators=(",", ":"), ensure_ascii=False).
  CHECK(*c ==
        "{\"action\":\"user.login\",\"actor\":{\"id\":\"7\",\"kind\":\"user\",\"name\":"
        "\"alice@example.org\"},\"details\":{\"method\":\"password+totp\",\"n\":3,\"note\":"
        "\"caf\xc3\xa9 \\\"q\\\"\\n\"},\"outcome\":\"success\",\"seq\":1,\"source\":\"192.0.2.7\","
        "\"target\":\"user:7\",\"time\":\"2027-01-15T08:00:00.123Z\",\"v\":1}");
  CHECK(crypto::hex_encode(chain_hash(genesis_hash(), *c)) ==
        "0276999c72d8760569ee365ee742efd1ff8cb9e90ef82619ad531166807011da");
  // Insertion order of details keys does not matter.
  Event e = sample_event();
  e.details = nlohmann::json::object();
  e.details["note"] = "caf\xc3\xa9 \"q\"\n";
  e.details["n"] = 3;
  e.details["method"] = "password+totp";
  CHECK(canonical_json(1, kT, e).value() == *c);
  // Every field is covered.
  Event f = sample_event();
  f.outcome = Outcome::kDenied;
  CHECK(canonical_json(1, kT, f).value() != *c);
  CHECK(canonical_json(2, kT, sample_event()).value() != *c);
}

TEST_CASE("audit: the checkpoint message is exact", "[unit]") {
  store::Bytes h(32, 0xab);
  std::string hex;
  for (int i = 0; i < 32; ++i)
    hex += "ab";
  CHECK(checkpoint_message(40, h, kT) ==
        "ward-audit-checkpoint-v1\n40\n" + hex + "\n2027-01-15T08:00:00.123Z\n");
}

TEST_CASE("audit: events with secrets, floats or malformed fields are refused", "[unit]") {
  CHECK(validate_event(sample_event()).ok());
  Event e = sample_event();
  e.details = {{"Password", "hunter2"}};
  auto s = validate_event(e);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message().find("hunter2") == std::string::npos);
  e.details = {{"nested", {{"session-token", "x"}}}};
  CHECK_FALSE(validate_event(e).ok());
  e.details = {{"ratio", 0.5}};
  CHECK_FALSE(validate_event(e).ok());
  e.details = nlohmann::json::array();
  CHECK_FALSE(validate_event(e).ok());
  e = sample_event();
  e.action = "User Login";
  CHECK_FALSE(validate_event(e).ok());
  e.action = "";
  CHECK_FALSE(validate_event(e).ok());
  e = sample_event();
  e.target = "a\nb";
  CHECK_FALSE(validate_event(e).ok());
  e = sample_event();
  e.details = {{"s", "\xff\xfe"}};
  CHECK_FALSE(validate_event(e).ok());
  e = sample_event();
  e.details = {{"big", std::string(9000, 'a')}};
  CHECK_FALSE(validate_event(e).ok());
}

}  // namespace
}  // namespace ward::audit
