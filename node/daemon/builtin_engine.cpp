#include "node/daemon/builtin_engine.hpp"

#include <algorithm>
#include <utility>

#include "node/wg/engine_thread.hpp"

namespace ward::node {

BuiltinEngine::BuiltinEngine(std::string iface, std::string socket_dir, Warn warn)
    : iface_(std::move(iface)), socket_dir_(std::move(socket_dir)), warn_(std::move(warn)) {}

BuiltinEngine::~BuiltinEngine() = default;

Result<uapi::SuperviseResult> BuiltinEngine::check() {
  if (engine_ && !engine_->exited()) return uapi::SuperviseResult::kServing;
  if (engine_) {
    const Status why = engine_->result();
    engine_.reset();
    warn_("Ward's WireGuard engine stopped (" +
          (why ? std::string("no error") : why.error().to_string()) + "); starting it again");
  }
  wg::DaemonOptions options;
  options.socket_dir = socket_dir_;
  options.warn = warn_;
  auto engine = wg::EngineThread::start(iface_, std::move(options));
  if (!engine) {
    ++failed_starts_;
    return std::move(engine).error().context("starting Ward's WireGuard engine");
  }
  failed_starts_ = 0;
  engine_ = std::move(*engine);
  const bool restarted = ever_started_;
  ever_started_ = true;
  return restarted ? uapi::SuperviseResult::kRestarted : uapi::SuperviseResult::kStarted;
}

std::chrono::milliseconds BuiltinEngine::check_every() const {
  using std::chrono::seconds;
  if (failed_starts_ == 0) return seconds(1);
  return std::min<std::chrono::milliseconds>(seconds(5) * (1u << std::min(failed_starts_ - 1, 4u)),
                                             seconds(60));
}

Status BuiltinEngine::stop() {
  engine_.reset();
  return ok();
}

}  // namespace ward::node
