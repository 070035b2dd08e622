#include "controller/wardctl/table.hpp"

#include <algorithm>

#include "controller/wardctl/api_error.hpp"

namespace ward::wardctl {

std::size_t display_width(std::string_view text) {
  std::size_t w = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++w;
  }
  return w;
}

Table::Table(std::vector<std::string> headers) {
  for (auto& h : headers)
    headers_.push_back(terminal_safe(h));
}

void Table::add_row(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  for (auto& c : cells)
    c = terminal_safe(c);
  rows_.push_back(std::move(cells));
}

std::string Table::render() const {
  std::vector<std::size_t> width(headers_.size(), 0);
  for (std::size_t i = 0; i < headers_.size(); ++i)
    width[i] = display_width(headers_[i]);
  for (const auto& r : rows_) {
    for (std::size_t i = 0; i < r.size(); ++i)
      width[i] = std::max(width[i], display_width(r[i]));
  }
  std::string out;
  const auto line = [&](const std::vector<std::string>& cells) {
    std::string l;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      l += cells[i];
      if (i + 1 < cells.size()) l.append(width[i] - display_width(cells[i]) + 2, ' ');
    }
    while (!l.empty() && l.back() == ' ')
      l.pop_back();
    out += l;
    out += '\n';
  };
  line(headers_);
  for (const auto& r : rows_)
    line(r);
  return out;
}

std::string render_fields(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::size_t w = 0;
  for (const auto& [k, v] : fields)
    w = std::max(w, display_width(terminal_safe(k)) + 1);
  std::string out;
  for (const auto& [k, v] : fields) {
    const std::string key = terminal_safe(k) + ":";
    out += key;
    const std::string val = terminal_safe(v);
    if (!val.empty()) {
      out.append(w - display_width(key) + 2, ' ');
      out += val;
    }
    out += '\n';
  }
  return out;
}

}  // namespace ward::wardctl
