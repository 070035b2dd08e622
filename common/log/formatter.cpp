#include "common/log/formatter.hpp"

#include <ctime>
#include <string>

#include <nlohmann/json.hpp>

namespace ward::log {
namespace {

thread_local std::span<const Field> t_fields;

std::string_view level_of(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "critical";
    default:
      return "off";
  }
}

std::string timestamp(spdlog::log_clock::time_point tp) {
  using namespace std::chrono;
  const auto ms_total = duration_cast<milliseconds>(tp.time_since_epoch()).count();
  auto secs = static_cast<std::time_t>(ms_total / 1000);
  auto ms = static_cast<int>(ms_total % 1000);
  if (ms < 0) {  // before 1970: floor, not truncate
    ms += 1000;
    secs -= 1;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

std::string json_string(std::string_view s) {
  return nlohmann::json(std::string(s))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Control characters escaped so that one message stays one line.
void append_escaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
}

bool needs_quotes(std::string_view s) {
  if (s.empty()) return true;
  for (unsigned char c : s) {
    if (c <= 0x20 || c == 0x7f || c == '"' || c == '=' || c == '\\') return true;
  }
  return false;
}

nlohmann::ordered_json field_json(const Field::Value& v) {
  return std::visit(
      [](const auto& x) -> nlohmann::ordered_json {
        if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::string_view>) {
          return std::string(x);
        } else {
          return x;
        }
      },
      v);
}

std::string field_text(const Field::Value& v) {
  if (const auto* s = std::get_if<std::string_view>(&v)) {
    return needs_quotes(*s) ? json_string(*s) : std::string(*s);
  }
  return field_json(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

class LineFormatter final : public spdlog::formatter {
 public:
  explicit LineFormatter(Format format) : format_(format) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    const std::string_view name(msg.logger_name.data(), msg.logger_name.size());
    std::string line;
    if (format_ == Format::kJson) {
      nlohmann::ordered_json j;
      j["ts"] = timestamp(msg.time);
      j["level"] = level_of(msg.level);
      j["logger"] = std::string(name);
      j["msg"] = std::string(payload);
      for (const Field& f : t_fields) {
        std::string key(f.key());
        if (key == "ts" || key == "level" || key == "logger" || key == "msg") key = "field_" + key;
        j[key] = field_json(f.value());
      }
      line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else {
      line = timestamp(msg.time);
      line += ' ';
      for (char c : level_of(msg.level))
        line += static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
      line += " [";
      append_escaped(line, name);
      line += "] ";
      append_escaped(line, payload);
      for (const Field& f : t_fields) {
        line += ' ';
        append_escaped(line, f.key());
        line += '=';
        line += field_text(f.value());
      }
    }
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<LineFormatter>(format_);
  }

 private:
  Format format_;
};

}  // namespace

std::unique_ptr<spdlog::formatter> make_formatter(Format format) {
  return std::make_unique<LineFormatter>(format);
}

namespace detail {
ScopedFields::ScopedFields(std::span<const Field> fields) : previous_(t_fields) {
  t_fields = fields;
}
ScopedFields::~ScopedFields() {
  t_fields = previous_;
}
}  // namespace detail

}  // namespace ward::log
