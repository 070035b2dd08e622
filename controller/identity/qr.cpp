#include "controller/identity/qr.hpp"

#include <memory>

#include <qrencode.h>

namespace ward::identity {

Result<QrMatrix> qr_matrix(std::string_view text) {
  if (text.empty()) return Error::invalid_argument("nothing to encode in a QR code");
  if (text.size() > 2048) return Error::invalid_argument("text too long for a terminal QR code");
  if (text.find('\0') != std::string_view::npos) {
    return Error::invalid_argument("QR text must not contain NUL bytes");
  }
  std::string z(text);
  std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
      QRcode_encodeString8bit(z.c_str(), 0, QR_ECLEVEL_M), &QRcode_free);
  if (!code) return Error::internal("libqrencode could not encode the text");
  QrMatrix m;
  m.size = code->width;
  m.dark.resize(static_cast<std::size_t>(m.size) * static_cast<std::size_t>(m.size));
  for (std::size_t i = 0; i < m.dark.size(); ++i)
    m.dark[i] = (code->data[i] & 1) != 0;
  return m;
}

std::string render_qr(const QrMatrix& m, const QrRenderOptions& options) {
  int q = options.quiet_zone < 0 ? 0 : options.quiet_zone;
  int n = m.size + 2 * q;
  // ink(r, c): whether the character cell draws this module in the foreground colour.
  auto ink = [&](int r, int c) {
    int rr = r - q, cc = c - q;
    bool dark = rr >= 0 && cc >= 0 && rr < m.size && cc < m.size && m.at(rr, cc);
    return options.invert ? dark : !dark;
  };
  std::string out;
  if (options.style == QrStyle::kAscii) {
    for (int r = 0; r < n; ++r) {
      for (int c = 0; c < n; ++c)
        out += ink(r, c) ? "##" : "  ";
      out += '\n';
    }
    return out;
  }
  for (int r = 0; r < n; r += 2) {
    for (int c = 0; c < n; ++c) {
      bool top = ink(r, c);
      bool bottom = ink(r + 1, c);  // past the last row: outside the symbol, light
      if (top && bottom) {
        out += "\u2588";
      } else if (top) {
        out += "\u2580";
      } else if (bottom) {
        out += "\u2584";
      } else {
        out += ' ';
      }
    }
    out += '\n';
  }
  return out;
}

}  // namespace ward::identity
