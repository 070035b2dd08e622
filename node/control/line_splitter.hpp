// Splits the stream's de-chunked body into newline-delimited lines, whatever the chunk
// boundaries. A line longer than max_line_bytes (without its '\n') is an error: the
// stream must be dropped (a controller never sends such a line; buffering it would let a
// hostile peer exhaust memory). A trailing '\r' is removed; empty lines are skipped.
// Not thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/result.hpp"

namespace ward::node::control {

class LineSplitter {
 public:
  explicit LineSplitter(std::size_t max_line_bytes) : max_(max_line_bytes) {}
  // Complete lines from `chunk` (with earlier partial data). After an error the splitter
  // stays failed: every later feed() returns the error again until reset().
  Result<std::vector<std::string>> feed(std::string_view chunk);
  // Bytes of an unfinished line held.
  std::size_t pending() const { return partial_.size(); }
  void reset();

 private:
  std::size_t max_;
  std::string partial_;
  bool failed_ = false;
};

}  // namespace ward::node::control
