#include "common/log/log.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <type_traits>
#include <unistd.h>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

// fmt's optional headers widen what is formattable (ranges, ostream); secrets must stay
// unformattable even with them included.
#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include "common/base/secret.hpp"
#include "common/log/formatter.hpp"

// Nobody may add a formatter for secrets: this is a compile-time test.
static_assert(!fmt::is_formattable<ward::SecretString>::value,
              "SecretString must not be formattable: it would let secrets reach logs");
static_assert(!fmt::is_formattable<ward::SecretBytes>::value,
              "SecretBytes must not be formattable: it would let secrets reach logs");
static_assert(
    !std::is_constructible_v<ward::log::Field, std::string_view, const ward::SecretString&>);
static_assert(
    !std::is_constructible_v<ward::log::Field, std::string_view, const ward::SecretBytes&>);
static_assert(!std::is_convertible_v<ward::SecretString, std::string_view>);
static_assert(std::is_constructible_v<ward::log::Field, std::string_view, const std::string&>);

namespace {

using ward::log::Field;
using ward::log::Format;
using ward::log::Level;

// A logger writing through Ward's formatter into a string stream.
struct Capture {
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> lg;

  Capture(Format format, Level level = Level::kTrace) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
    sink->set_formatter(ward::log::make_formatter(format));
    lg = std::make_shared<spdlog::logger>("net", sink);
    lg->set_level(ward::log::to_spdlog(level));
  }

  std::vector<std::string> lines() const {
    std::vector<std::string> v;
    std::istringstream in(out.str());
    for (std::string l; std::getline(in, l);)
      v.push_back(l);
    return v;
  }
};

std::string format_at(Format format, spdlog::log_clock::time_point tp, std::string_view msg,
                      spdlog::level::level_enum level = spdlog::level::info) {
  auto f = ward::log::make_formatter(format);
  spdlog::details::log_msg m(tp, spdlog::source_loc{}, "net", level,
                             spdlog::string_view_t(msg.data(), msg.size()));
  spdlog::memory_buf_t buf;
  f->format(m, buf);
  return std::string(buf.data(), buf.size());
}

spdlog::log_clock::time_point at_ms(std::int64_t ms) {
  return spdlog::log_clock::time_point(std::chrono::milliseconds(ms));
}

}  // namespace

TEST_CASE("Log level and format parsing", "[unit]") {
  CHECK(*ward::log::parse_level("trace") == Level::kTrace);
  CHECK(*ward::log::parse_level("debug") == Level::kDebug);
  CHECK(*ward::log::parse_level("info") == Level::kInfo);
  CHECK(*ward::log::parse_level("warn") == Level::kWarn);
  CHECK(*ward::log::parse_level("warning") == Level::kWarn);
  CHECK(*ward::log::parse_level("error") == Level::kError);
  CHECK(*ward::log::parse_level("critical") == Level::kCritical);
  CHECK(*ward::log::parse_level("off") == Level::kOff);
  for (Level l : {Level::kTrace, Level::kDebug, Level::kInfo, Level::kWarn, Level::kError,
                  Level::kCritical, Level::kOff}) {
    CHECK(*ward::log::parse_level(ward::log::level_name(l)) == l);
  }
  auto bad = ward::log::parse_level("verbose");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code() == ward::ErrorCode::kInvalidArgument);
  CHECK(bad.error().message() ==
        "unknown log level \"verbose\"; expected one of trace, debug, info, warn, error, "
        "critical, off");
  CHECK_FALSE(ward::log::parse_level("INFO"));
  CHECK_FALSE(ward::log::parse_level(""));
  CHECK_FALSE(ward::log::parse_level("info "));
  CHECK(*ward::log::parse_format("json") == Format::kJson);
  CHECK(*ward::log::parse_format("text") == Format::kText);
  CHECK(ward::log::parse_format("xml").error().message() ==
        "unknown log format \"xml\"; expected text or json");
}

TEST_CASE("Log timestamps are RFC 3339 UTC with milliseconds", "[unit]") {
  // 2026-01-02T03:04:05.678Z
  const std::int64_t t = 1767323045678;
  CHECK(format_at(Format::kText, at_ms(t), "hi") == "2026-01-02T03:04:05.678Z INFO [net] hi\n");
  CHECK(format_at(Format::kText, at_ms(0), "x", spdlog::level::warn) ==
        "1970-01-01T00:00:00.000Z WARN [net] x\n");
  CHECK(format_at(Format::kText, at_ms(-1), "x", spdlog::level::err) ==
        "1969-12-31T23:59:59.999Z ERROR [net] x\n");
  CHECK(format_at(Format::kJson, at_ms(t), "hi", spdlog::level::critical) ==
        R"({"ts":"2026-01-02T03:04:05.678Z","level":"critical","logger":"net","msg":"hi"})"
        "\n");
}

TEST_CASE("JSON lines are valid JSON for hostile messages", "[unit]") {
  Capture c(Format::kJson);
  const std::vector<std::string> messages = {
      "plain",
      "with \"quotes\" and \\backslashes\\",
      "multi\nline\r\nmessage",
      std::string("control \x01\x02\x1b[31m and nul \0 inside", 33),
      "tab\there",
      "unicode \xc3\xa9\xe2\x9c\x93",
      "{\"ts\":\"forged\"}",
      "",
  };
  for (const auto& m : messages)
    c.lg->info(spdlog::string_view_t(m.data(), m.size()));
  c.lg->info("invalid utf-8 \xff\xfe end");
  auto lines = c.lines();
  REQUIRE(lines.size() == messages.size() + 1);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    INFO(lines[i]);
    auto j = nlohmann::json::parse(lines[i]);  // throws (fails the test) if invalid
    CHECK(j.size() == 4);
    CHECK(j["level"] == "info");
    CHECK(j["logger"] == "net");
    CHECK(j["ts"].get<std::string>().size() == 24);
    if (i < messages.size()) CHECK(j["msg"] == messages[i]);
  }
  CHECK(nlohmann::json::parse(lines.back())["msg"] == "invalid utf-8 \xef\xbf\xbd\xef\xbf\xbd end");
}

TEST_CASE("Text lines escape control characters so one message is one line", "[unit]") {
  Capture c(Format::kText);
  c.lg->warn("line1\nFAKE 2026-01-01T00:00:00.000Z INFO [auth] login ok\r\t\x1b");
  auto lines = c.lines();
  REQUIRE(lines.size() == 1);
  const std::string& l = lines[0];
  const std::string tail =
      " WARN [net] line1\\nFAKE 2026-01-01T00:00:00.000Z INFO [auth] login ok\\r\\t\\x1b";
  REQUIRE(l.size() > tail.size());
  CHECK(l.substr(l.size() - tail.size()) == tail);
}

TEST_CASE("Structured fields in both modes", "[unit]") {
  {
    Capture c(Format::kJson);
    ward::log::info(*c.lg, "device enrolled",
                    {{"device", "ct-3"},
                     {"ip", std::string("100.64.0.2")},
                     {"port", 51820},
                     {"bytes", std::uint64_t{18446744073709551615ull}},
                     {"delta", -3},
                     {"ratio", 0.5},
                     {"ok", true},
                     {"msg", "collides"},
                     {"note", "a \"quoted\"\nvalue"}});
    auto lines = c.lines();
    REQUIRE(lines.size() == 1);
    auto j = nlohmann::json::parse(lines[0]);
    CHECK(j["msg"] == "device enrolled");
    CHECK(j["device"] == "ct-3");
    CHECK(j["ip"] == "100.64.0.2");
    CHECK(j["port"] == 51820);
    CHECK(j["bytes"].get<std::uint64_t>() == 18446744073709551615ull);
    CHECK(j["delta"] == -3);
    CHECK(j["ratio"] == 0.5);
    CHECK(j["ok"] == true);
    CHECK(j["field_msg"] == "collides");
    CHECK(j["note"] == "a \"quoted\"\nvalue");
    // Standard keys come first.
    CHECK(lines[0].rfind("{\"ts\":", 0) == 0);
  }
  {
    Capture c(Format::kText);
    ward::log::warn(*c.lg, "handshake failed",
                    {{"peer", "node-7"},
                     {"reason", "bad mac"},
                     {"tries", 3u},
                     {"empty", ""},
                     {"eq", "a=b"},
                     {"ok", false},
                     {"nl", "x\ny"}});
    auto lines = c.lines();
    REQUIRE(lines.size() == 1);
    const std::string tail =
        " WARN [net] handshake failed peer=node-7 reason=\"bad mac\" tries=3 empty=\"\" "
        "eq=\"a=b\" ok=false nl=\"x\\ny\"";
    REQUIRE(lines[0].size() > tail.size());
    CHECK(lines[0].substr(lines[0].size() - tail.size()) == tail);
  }
  {
    // Fields do not leak into later plain lines.
    Capture c(Format::kJson);
    ward::log::info(*c.lg, "with", {{"k", "v"}});
    c.lg->info("without");
    auto lines = c.lines();
    REQUIRE(lines.size() == 2);
    CHECK(nlohmann::json::parse(lines[0]).contains("k"));
    CHECK_FALSE(nlohmann::json::parse(lines[1]).contains("k"));
  }
  {
    // The message of a structured call is not a format string.
    Capture c(Format::kJson);
    ward::log::info(*c.lg, "literal {} braces {:x}", {});
    CHECK(nlohmann::json::parse(c.lines().at(0))["msg"] == "literal {} braces {:x}");
  }
}

TEST_CASE("Level filtering", "[unit]") {
  Capture c(Format::kJson, Level::kWarn);
  c.lg->trace("t");
  c.lg->debug("d");
  c.lg->info("i");
  ward::log::info(*c.lg, "i2", {{"k", 1}});
  c.lg->warn("w");
  ward::log::error(*c.lg, "e", {{"k", 1}});
  c.lg->critical("c");
  std::vector<std::string> got;
  for (const auto& l : c.lines()) {
    auto j = nlohmann::json::parse(l);
    got.push_back(j["level"].get<std::string>() + ":" + j["msg"].get<std::string>());
  }
  CHECK(got == std::vector<std::string>{"warn:w", "error:e", "critical:c"});

  Capture off(Format::kText, Level::kOff);
  off.lg->critical("nothing");
  CHECK(off.lines().empty());
}

TEST_CASE("init writes JSON lines to a file and re-points named loggers", "[unit]") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("ward_log_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "ward.log";
  std::filesystem::remove(file);

  auto early = ward::log::logger("policy");  // made before init: must follow init
  CHECK(ward::log::logger("policy") == early);

  ward::log::LogOptions opts;
  opts.level = Level::kDebug;
  opts.format = Format::kJson;
  opts.file = file.string();
  REQUIRE(ward::log::init(opts));
  early->trace("filtered");
  early->debug("compiled {} rules", 12);
  ward::log::info(*ward::log::logger("wg"), "peer up", {{"peer", "node-1"}});
  spdlog::info("via default logger");

  // A bad path fails with an io error and leaves the file logging in place.
  ward::log::LogOptions bad = opts;
  bad.file = (dir / "missing-dir" / "x.log").string();
  auto st = ward::log::init(bad);
  REQUIRE_FALSE(st);
  CHECK(st.error().code() == ward::ErrorCode::kIo);
  CHECK(st.error().message().find("opening log file") == 0);
  early->info("still here");

  std::ifstream in(file);
  std::vector<nlohmann::json> lines;
  for (std::string l; std::getline(in, l);)
    lines.push_back(nlohmann::json::parse(l));
  REQUIRE(lines.size() == 4);
  CHECK(lines[0]["logger"] == "policy");
  CHECK(lines[0]["level"] == "debug");
  CHECK(lines[0]["msg"] == "compiled 12 rules");
  CHECK(lines[1]["logger"] == "wg");
  CHECK(lines[1]["peer"] == "node-1");
  CHECK(lines[2]["logger"] == "ward");
  CHECK(lines[2]["msg"] == "via default logger");
  CHECK(lines[3]["msg"] == "still here");
  CHECK((std::filesystem::status(file).permissions() & std::filesystem::perms::others_read) ==
        std::filesystem::perms::none);

  // Back to stderr (text) so later tests and the process exit do not hold the file.
  REQUIRE(ward::log::init({}));
  early->info("to stderr now");
  std::ifstream again(file);
  std::size_t count = 0;
  for (std::string l; std::getline(again, l);)
    ++count;
  CHECK(count == 4);
  std::filesystem::remove_all(dir);
}
