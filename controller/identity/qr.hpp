// QR codes for the terminal (libqrencode), used to show the otpauth:// URI when a user
// enrolls TOTP.
//
// qr_matrix() is the only call into libqrencode; render_qr() is a pure function of the
// matrix. Renderings include a quiet zone and draw LIGHT modules with ink (the way
// `qrencode -t UTF8` does), because terminals are usually light text on a dark
// background and scanners need dark modules on a light field. Pass invert=true for a
// dark-on-light terminal.
//
// The rendering of a TOTP URI contains the TOTP secret: treat it like the secret (show
// once, never log). Thread-safe (libqrencode is reentrant).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/base/result.hpp"

namespace ward::identity {

struct QrMatrix {
  int size = 0;            // modules per side
  std::vector<bool> dark;  // row-major, size*size; true = dark module
  bool at(int row, int col) const { return dark[static_cast<std::size_t>(row * size + col)]; }
};

// Encodes text (8-bit mode, error correction level M). InvalidArgument for empty text,
// text with a NUL byte, or text longer than 2048 bytes.
Result<QrMatrix> qr_matrix(std::string_view text);

enum class QrStyle {
  kHalfBlocks,  // Unicode ▀ ▄ █: one character per module column, two module rows per line
  kAscii,       // "##" / "  ": two characters per module, one line per module row
};

struct QrRenderOptions {
  QrStyle style = QrStyle::kHalfBlocks;
  int quiet_zone = 2;   // modules of light border on each side
  bool invert = false;  // ink = dark modules
};

// Lines end with '\n'. Every line has the same width.
std::string render_qr(const QrMatrix& m, const QrRenderOptions& options = {});

}  // namespace ward::identity
