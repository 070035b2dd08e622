#include "node/wg/engine_thread.hpp"

#include <csignal>
#include <pthread.h>
#include <utility>

namespace ward::wg {

Result<std::unique_ptr<EngineThread>> EngineThread::start(const std::string& interface_name,
                                                          DaemonOptions options) {
  WARD_ASSIGN_OR_RETURN(auto daemon, Daemon::create(interface_name, std::move(options)));
  return std::unique_ptr<EngineThread>(new EngineThread(std::move(daemon)));
}

EngineThread::EngineThread(std::unique_ptr<Daemon> daemon) : daemon_(std::move(daemon)) {
  // The thread (and the crypto workers it starts) inherit this mask.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  thread_ = std::thread([this] {
    Status st = daemon_->run();
    {
      std::lock_guard<std::mutex> lock(mu_);
      result_ = std::move(st);
    }
    exited_.store(true, std::memory_order_release);
  });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

EngineThread::~EngineThread() {
  daemon_->stop();
  thread_.join();
  daemon_.reset();  // closes the TUN device and removes the socket file
}

Status EngineThread::result() const {
  std::lock_guard<std::mutex> lock(mu_);
  return result_;
}

}  // namespace ward::wg
