// DeferredResponse: the answer to an exchange that a handler finishes after it returned
// (its work runs elsewhere, e.g. a password check on a worker thread).
//
// Obtained from RequestContext::defer(). Loop thread only. While an exchange is deferred
// its connection reads no further request (pipelined bytes are buffered as while a
// response is written), and the server's request_timeout applies: an exchange not answered
// within it gets 503 and its connection closes.
#pragma once

#include <cstdint>
#include <memory>

#include "common/http/message.hpp"

namespace ward::http {

namespace detail {
class Connection;
}

class DeferredResponse {
 public:
  // Sends the answer, with the Connection header the server would have set. Effective
  // once: later calls, and calls after the exchange ended otherwise (client gone, timed
  // out, server closed), do nothing. May also be called before the handler returns.
  void respond(Response response);
  // True until respond() or until the exchange ended otherwise.
  bool is_open() const;
  // Dropped while still open: the client gets 500 and the connection closes, so a lost
  // continuation never leaves a client waiting.
  ~DeferredResponse();

  DeferredResponse(const DeferredResponse&) = delete;
  DeferredResponse& operator=(const DeferredResponse&) = delete;

  // Constructed by the server only.
  DeferredResponse(std::weak_ptr<detail::Connection> conn, std::uint64_t exchange, bool head_only)
      : conn_(std::move(conn)), exchange_(exchange), head_only_(head_only) {}

 private:
  std::weak_ptr<detail::Connection> conn_;
  std::uint64_t exchange_;  // which of the connection's exchanges this answers
  bool head_only_;
  bool done_ = false;
};

}  // namespace ward::http
