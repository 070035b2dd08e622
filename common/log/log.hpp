// Logging for every Ward binary, on spdlog.
//
//   WARD_RETURN_IF_ERROR(ward::log::init({.level = *ward::log::parse_level(flag),
//                                        .format = ward::log::Format::kJson}));
//   auto lg = ward::log::logger("policy");
//   lg->info("compiled {} rules", n);                       // plain spdlog/fmt call
//   ward::log::info(*lg, "device enrolled", {{"device", id}, {"ip", ip.to_string()}});
//
// Contracts:
// - Before init() everything logs at info to stderr in text format, so early errors are
//   never lost. init() re-points every logger made so far (and spdlog's default logger)
//   at the new output, format and level; call it at startup before other threads log.
// - logger(name) returns the same logger for the same name for the life of the process;
//   loggers are synchronous (formatting happens in the calling thread) and thread-safe.
// - Each message is flushed as it is written: a crash loses no line.
// - Secrets cannot be logged by accident: SecretString/SecretBytes have no fmt formatter
//   (log_test asserts fmt::is_formattable is false) and cannot become Fields.
// - Structured helpers never interpret the message as a format string.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/logger.h>

#include "common/base/result.hpp"
#include "common/log/field.hpp"
#include "common/log/level.hpp"

namespace ward::log {

struct LogOptions {
  Level level = Level::kInfo;
  Format format = Format::kText;
  std::string file;  // empty: stderr; otherwise appended to (created 0600 if missing)
};

// Errors: kIo if the file cannot be opened (previous configuration stays in force).
Status init(const LogOptions& options);

// The logger for a component ("controller", "policy", "wg", ...).
std::shared_ptr<spdlog::logger> logger(std::string_view component);

spdlog::level::level_enum to_spdlog(Level level);

// One line at `level` with key/value fields, e.g. in JSON mode
// {"ts":"...","level":"info","logger":"policy","msg":"device enrolled","device":"ct-3"}.
void write(spdlog::logger& lg, Level level, std::string_view msg,
           std::initializer_list<Field> fields = {});

inline void trace(spdlog::logger& lg, std::string_view msg, std::initializer_list<Field> f = {}) {
  write(lg, Level::kTrace, msg, f);
}
inline void debug(spdlog::logger& lg, std::string_view msg, std::initializer_list<Field> f = {}) {
  write(lg, Level::kDebug, msg, f);
}
inline void info(spdlog::logger& lg, std::string_view msg, std::initializer_list<Field> f = {}) {
  write(lg, Level::kInfo, msg, f);
}
inline void warn(spdlog::logger& lg, std::string_view msg, std::initializer_list<Field> f = {}) {
  write(lg, Level::kWarn, msg, f);
}
inline void error(spdlog::logger& lg, std::string_view msg, std::initializer_list<Field> f = {}) {
  write(lg, Level::kError, msg, f);
}
inline void critical(spdlog::logger& lg, std::string_view msg,
                     std::initializer_list<Field> f = {}) {
  write(lg, Level::kCritical, msg, f);
}

}  // namespace ward::log
