#include "controller/wardctl/table.hpp"

#include <catch2/catch.hpp>

#include "controller/wardctl/api_error.hpp"
#include "controller/wardctl/output.hpp"

namespace ward::wardctl {

TEST_CASE("tables align columns, pad short rows and leave no trailing spaces", "[unit]") {
  Table t({"ID", "NAME", "STATUS"});
  t.add_row({"1", "clin1-laptop", "active"});
  t.add_row({"22", "ehr"});  // short row: padded
  t.add_row({"333", "x", "pending", "extra"});
  CHECK(t.rows() == 3);
  CHECK(t.render() ==
        "ID   NAME          STATUS\n"
        "1    clin1-laptop  active\n"
        "22   ehr\n"
        "333  x             pending\n");
}

TEST_CASE("an empty table is its header", "[unit]") {
  CHECK(Table({"A", "BB"}).render() == "A  BB\n");
}

TEST_CASE("tables count UTF-8 code points as one column each", "[unit]") {
  Table t({"N", "V"});
  t.add_row({"Zoë", "1"});
  t.add_row({"abcd", "2"});
  CHECK(t.render() == "N     V\nZoë   1\nabcd  2\n");
  CHECK(display_width("Zoë") == 3);
}

TEST_CASE("cells cannot drive the terminal", "[unit]") {
  Table t({"NAME"});
  t.add_row({"evil\x1b[2J\x07name\n"});
  const std::string out = t.render();
  CHECK(out.find('\x1b') == std::string::npos);
  CHECK(out.find('\x07') == std::string::npos);
  CHECK(out == "NAME\nevil\\x1B[2J\\x07name\\x0A\n");
  // C1 controls (U+009B is CSI) and invalid UTF-8 are escaped too; valid UTF-8 stays.
  CHECK(terminal_safe("a\xc2\x9b"
                      "b") == "a\\xC2\\x9Bb");
  CHECK(terminal_safe("\xff\xfe") == "\\xFF\\xFE");
  CHECK(terminal_safe("caf\xc3\xa9") == "caf\xc3\xa9");
  CHECK(terminal_safe("abcdef", 3) == "abc...");
}

TEST_CASE("field lists align values", "[unit]") {
  CHECK(render_fields({{"ID", "7"}, {"Name", "x"}, {"Empty", ""}}) ==
        "ID:     7\nName:   x\nEmpty:\n");
}

TEST_CASE("JSON fields render for people", "[unit]") {
  const nlohmann::json j = {{"s", "text"},  {"n", 42},         {"b", true},
                            {"z", nullptr}, {"a", {"x", "y"}}, {"e", nlohmann::json::array()}};
  CHECK(field(j, "s") == "text");
  CHECK(field(j, "n") == "42");
  CHECK(field(j, "b") == "yes");
  CHECK(field(j, "z") == "-");
  CHECK(field(j, "missing") == "-");
  CHECK(field(j, "a") == "x, y");
  CHECK(field(j, "e") == "-");
  CHECK(field(nlohmann::json("notobj"), "s") == "-");
}

}  // namespace ward::wardctl
