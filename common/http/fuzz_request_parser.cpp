// libFuzzer entry point for the HTTP request parser (and the serializer round trip).
//
// The first input byte picks the feed size (1..256 bytes per feed()), exercising the
// incremental paths; the rest is the wire. Invariants checked (a violation aborts):
// - feed() never claims more bytes than it was given, and makes progress or stops;
// - every parsed request serializes, and the serialization parses back to the same
//   method, path, query and body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/http/parser.hpp"
#include "common/http/serialize.hpp"

namespace {

void check(bool cond) {
  if (!cond) std::abort();
}

void round_trip(ward::http::Request r) {
  // The serializer writes HTTP/1.1, which needs a Host (an HTTP/1.0 request may lack one).
  if (!r.headers.contains("Host")) r.headers.set("Host", "fuzz");
  auto wire = ward::http::serialize_request(r);
  check(wire.ok());
  ward::http::Limits roomy{
      .max_header_bytes = 1 << 20, .max_headers = 1 << 16, .max_body_bytes = 1 << 24};
  ward::http::RequestParser p(roomy);
  const std::size_t used = p.feed(*wire);
  check(p.state() == ward::http::ParseState::kComplete);
  check(used == wire->size());
  ward::http::Request back = p.take();
  check(back.method == r.method);
  check(back.path == r.path);
  check(back.query == r.query);
  check(back.body == r.body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t step = static_cast<std::size_t>(data[0]) + 1;
  std::string_view wire(reinterpret_cast<const char*>(data + 1), size - 1);

  ward::http::Limits limits{.max_header_bytes = 4096, .max_headers = 32, .max_body_bytes = 65536};
  ward::http::RequestParser parser(limits);
  std::size_t pos = 0;
  int messages = 0;
  while (pos < wire.size() && messages < 64) {
    const std::string_view piece = wire.substr(pos, step);
    const std::size_t used = parser.feed(piece);
    check(used <= piece.size());
    pos += used;
    const auto state = parser.state();
    if (state == ward::http::ParseState::kError) {
      const int status = parser.error().status;
      check(status == 400 || status == 413 || status == 414 || status == 431 || status == 501 ||
            status == 505);
      break;
    }
    if (state == ward::http::ParseState::kComplete) {
      round_trip(parser.take());
      ++messages;
      continue;
    }
    check(used == piece.size());  // not complete, not failed: it took everything
  }
  return 0;
}
