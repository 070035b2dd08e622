// Plain-text tables and field lists for wardctl's human output (pure).
//
// Every cell passes through terminal_safe() first: names and messages come from the
// controller and must not be able to drive the terminal. Columns are aligned by display
// width (UTF-8 code points, one column each), separated by two spaces; the last column is
// not padded and no line has trailing spaces. Rows with fewer cells than headers are
// padded with empty cells; extra cells are dropped.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace ward::wardctl {

class Table {
 public:
  explicit Table(std::vector<std::string> headers);
  void add_row(std::vector<std::string> cells);
  std::size_t rows() const { return rows_.size(); }
  // Header line, then one line per row, each ending in '\n'.
  std::string render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// "Label:  value" lines with the values aligned.
std::string render_fields(const std::vector<std::pair<std::string, std::string>>& fields);

// Display width of UTF-8 text (code points).
std::size_t display_width(std::string_view text);

}  // namespace ward::wardctl
