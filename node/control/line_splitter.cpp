#include "node/control/line_splitter.hpp"

#include "common/base/error.hpp"

namespace ward::node::control {

Result<std::vector<std::string>> LineSplitter::feed(std::string_view chunk) {
  auto too_long = [this] {
    return Error::invalid_argument("stream line longer than " + std::to_string(max_) +
                                   " bytes; expected newline-delimited JSON");
  };
  if (failed_) return too_long();
  std::vector<std::string> lines;
  while (!chunk.empty()) {
    const std::size_t nl = chunk.find('\n');
    const std::string_view part = chunk.substr(0, nl);
    if (partial_.size() + part.size() > max_ + (nl == std::string_view::npos ? 0 : 1)) {
      // The +1 admits a line of exactly max_ bytes followed by "\r\n".
      failed_ = true;
      partial_.clear();
      return too_long();
    }
    partial_.append(part);
    if (nl == std::string_view::npos) break;
    chunk.remove_prefix(nl + 1);
    if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
    if (partial_.size() > max_) {
      failed_ = true;
      partial_.clear();
      return too_long();
    }
    if (!partial_.empty()) lines.push_back(std::move(partial_));
    partial_.clear();
  }
  return lines;
}

void LineSplitter::reset() {
  partial_.clear();
  failed_ = false;
}

}  // namespace ward::node::control
