#include "controller/identity/qr.hpp"

#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace ward::identity {
namespace {

const char* kUri =
    "otpauth://totp/Ward:alice@example.org?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    "&issuer=Ward&algorithm=SHA1&digits=6&period=30";

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

// Counts UTF-8 code points (each half-block glyph is one terminal column).
std::size_t columns(const std::string& line) {
  std::size_t n = 0;
  for (unsigned char c : line)
    n += (c & 0xC0) != 0x80;
  return n;
}

TEST_CASE("qr: the matrix is a QR symbol with finder patterns", "[unit]") {
  auto m = qr_matrix(kUri);
  REQUIRE(m.ok());
  CHECK(m->size >= 21);
  CHECK((m->size - 17) % 4 == 0);  // QR sizes are 17 + 4 * version
  // The top-left finder: a dark 7x7 ring, a light ring, a dark 3x3 core.
  for (int i = 0; i < 7; ++i) {
    CHECK(m->at(0, i));
    CHECK(m->at(6, i));
    CHECK(m->at(i, 0));
    CHECK(m->at(i, 6));
  }
  for (int i = 1; i < 6; ++i) {
    CHECK_FALSE(m->at(1, i));
    CHECK_FALSE(m->at(5, i));
  }
  for (int r = 2; r < 5; ++r)
    for (int c = 2; c < 5; ++c)
      CHECK(m->at(r, c));
  // The same text gives the same symbol.
  CHECK(qr_matrix(kUri)->dark == m->dark);
  CHECK_FALSE(qr_matrix("").ok());
  CHECK_FALSE(qr_matrix(std::string("a\0b", 3)).ok());
  CHECK_FALSE(qr_matrix(std::string(3000, 'a')).ok());
}

TEST_CASE("qr: half-block rendering is a non-empty square block", "[unit]") {
  auto m = qr_matrix(kUri);
  REQUIRE(m.ok());
  std::string out = render_qr(*m);
  auto lines = lines_of(out);
  int n = m->size + 4;  // quiet zone 2 on each side
  REQUIRE(static_cast<int>(lines.size()) == (n + 1) / 2);
  for (const auto& line : lines)
    CHECK(static_cast<int>(columns(line)) == n);
  // Square in modules: n columns, 2 rows per line.
  CHECK(static_cast<int>(lines.size()) * 2 - n <= 1);
  // Light quiet zone drawn with ink: the first line is all full blocks.
  std::string full;
  for (int i = 0; i < n; ++i)
    full += "\u2588";
  CHECK(lines[0] == full);
  // Both glyph kinds appear: it is not a blank or solid block.
  CHECK(out.find("\u2580") != std::string::npos);
  CHECK(out.find("\u2584") != std::string::npos);
  CHECK(out.find(' ') != std::string::npos);
}

TEST_CASE("qr: ASCII rendering draws two characters per module", "[unit]") {
  auto m = qr_matrix(kUri);
  REQUIRE(m.ok());
  QrRenderOptions o;
  o.style = QrStyle::kAscii;
  o.quiet_zone = 1;
  o.invert = true;  // ink = dark modules
  auto lines = lines_of(render_qr(*m, o));
  int n = m->size + 2;
  REQUIRE(static_cast<int>(lines.size()) == n);
  for (const auto& line : lines)
    CHECK(static_cast<int>(line.size()) == 2 * n);
  // Row 1 (first symbol row) starts after one light module with the finder's 7 dark ones.
  CHECK(lines[1].substr(0, 16) == "  ##############");
  CHECK(lines[0] == std::string(static_cast<std::size_t>(2 * n), ' '));
  // Every module is rendered faithfully.
  for (int r = 0; r < m->size; ++r)
    for (int c = 0; c < m->size; ++c)
      REQUIRE((lines[r + 1].substr(static_cast<std::size_t>(2 * (c + 1)), 2) == "##") ==
              m->at(r, c));
}

}  // namespace
}  // namespace ward::identity
