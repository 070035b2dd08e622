#include "common/log/log.hpp"

#include <cerrno>
#include <fcntl.h>
#include <map>
#include <mutex>
#include <unistd.h>
#include <vector>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "common/log/formatter.hpp"

namespace ward::log {
namespace {

struct Registry {
  std::mutex mu;
  spdlog::sink_ptr sink;
  Level level = Level::kInfo;
  std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> loggers;
};

spdlog::sink_ptr make_stderr_sink(Format format) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  sink->set_formatter(make_formatter(format));
  return sink;
}

// Leaked on purpose: loggers stay usable from static destructors.
Registry& registry() {
  static Registry* r = [] {
    auto* reg = new Registry;
    reg->sink = make_stderr_sink(Format::kText);
    return reg;
  }();
  return *r;
}

void configure(spdlog::logger& lg, const spdlog::sink_ptr& sink, Level level) {
  lg.sinks().assign(1, sink);
  lg.set_level(to_spdlog(level));
  lg.flush_on(spdlog::level::trace);
}

std::shared_ptr<spdlog::logger> get_locked(Registry& reg, std::string_view component) {
  auto it = reg.loggers.find(component);
  if (it != reg.loggers.end()) return it->second;
  auto lg = std::make_shared<spdlog::logger>(std::string(component));
  configure(*lg, reg.sink, reg.level);
  reg.loggers.emplace(std::string(component), lg);
  return lg;
}

}  // namespace

spdlog::level::level_enum to_spdlog(Level level) {
  switch (level) {
    case Level::kTrace:
      return spdlog::level::trace;
    case Level::kDebug:
      return spdlog::level::debug;
    case Level::kInfo:
      return spdlog::level::info;
    case Level::kWarn:
      return spdlog::level::warn;
    case Level::kError:
      return spdlog::level::err;
    case Level::kCritical:
      return spdlog::level::critical;
    case Level::kOff:
      return spdlog::level::off;
  }
  return spdlog::level::off;
}

Status init(const LogOptions& options) {
  spdlog::sink_ptr sink;
  if (options.file.empty()) {
    sink = make_stderr_sink(options.format);
  } else {
    // Create with 0600 before spdlog opens it: logs can name devices and users.
    const int fd = ::open(options.file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return Error::from_errno("opening log file " + quote(options.file, 256), errno);
    ::close(fd);
    try {
      sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file, false);
    } catch (const spdlog::spdlog_ex& e) {
      return Error::io("opening log file " + quote(options.file, 256) + ": " + e.what());
    }
    sink->set_formatter(make_formatter(options.format));
  }
  Registry& reg = registry();
  std::lock_guard lock(reg.mu);
  reg.sink = sink;
  reg.level = options.level;
  for (auto& [name, lg] : reg.loggers)
    configure(*lg, sink, options.level);
  spdlog::set_default_logger(get_locked(reg, "ward"));
  return ok();
}

std::shared_ptr<spdlog::logger> logger(std::string_view component) {
  Registry& reg = registry();
  std::lock_guard lock(reg.mu);
  return get_locked(reg, component);
}

void write(spdlog::logger& lg, Level level, std::string_view msg,
           std::initializer_list<Field> fields) {
  const auto l = to_spdlog(level);
  if (!lg.should_log(l)) return;
  detail::ScopedFields scope(std::span<const Field>(fields.begin(), fields.size()));
  lg.log(l, spdlog::string_view_t(msg.data(), msg.size()));
}

}  // namespace ward::log
