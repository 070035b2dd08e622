#include "node/wg/messages.hpp"

#include <cstring>

namespace ward::wg {
namespace {

bool header_ok(Bytes p, MessageType type) {
  return p.size() >= 4 && p[0] == static_cast<std::uint8_t>(type) && p[1] == 0 && p[2] == 0 &&
         p[3] == 0;
}

void put_header(std::uint8_t* p, MessageType type) {
  p[0] = static_cast<std::uint8_t>(type);
  p[1] = p[2] = p[3] = 0;
}

template <class Array>
void get(Array& a, const std::uint8_t* p) {
  std::memcpy(a.data(), p, a.size());
}

template <class Array>
void put(std::uint8_t* p, const Array& a) {
  std::memcpy(p, a.data(), a.size());
}

}  // namespace

std::optional<MessageType> classify(Bytes p) {
  if (p.size() < 4 || p[1] != 0 || p[2] != 0 || p[3] != 0) return std::nullopt;
  switch (p[0]) {
    case 1:
      if (p.size() == kInitiationLen) return MessageType::kInitiation;
      break;
    case 2:
      if (p.size() == kResponseLen) return MessageType::kResponse;
      break;
    case 3:
      if (p.size() == kCookieReplyLen) return MessageType::kCookieReply;
      break;
    case 4:
      if (p.size() >= kTransportMinLen) return MessageType::kTransport;
      break;
    default:
      break;
  }
  return std::nullopt;
}

std::optional<Initiation> parse_initiation(Bytes p) {
  if (p.size() != kInitiationLen || !header_ok(p, MessageType::kInitiation)) return std::nullopt;
  Initiation m;
  const std::uint8_t* d = p.data();
  m.sender = load_le32(d + 4);
  get(m.ephemeral, d + 8);
  get(m.encrypted_static, d + 40);
  get(m.encrypted_timestamp, d + 88);
  get(m.mac1, d + 116);
  get(m.mac2, d + 132);
  return m;
}

std::optional<Response> parse_response(Bytes p) {
  if (p.size() != kResponseLen || !header_ok(p, MessageType::kResponse)) return std::nullopt;
  Response m;
  const std::uint8_t* d = p.data();
  m.sender = load_le32(d + 4);
  m.receiver = load_le32(d + 8);
  get(m.ephemeral, d + 12);
  get(m.encrypted_nothing, d + 44);
  get(m.mac1, d + 60);
  get(m.mac2, d + 76);
  return m;
}

std::optional<CookieReply> parse_cookie_reply(Bytes p) {
  if (p.size() != kCookieReplyLen || !header_ok(p, MessageType::kCookieReply)) return std::nullopt;
  CookieReply m;
  const std::uint8_t* d = p.data();
  m.receiver = load_le32(d + 4);
  get(m.nonce, d + 8);
  get(m.encrypted_cookie, d + 32);
  return m;
}

std::optional<TransportHeader> parse_transport_header(Bytes p) {
  if (p.size() < kTransportMinLen || !header_ok(p, MessageType::kTransport)) return std::nullopt;
  return TransportHeader{load_le32(p.data() + 4), load_le64(p.data() + 8)};
}

void serialize(const Initiation& m, std::span<std::uint8_t, kInitiationLen> out) {
  std::uint8_t* d = out.data();
  put_header(d, MessageType::kInitiation);
  store_le32(d + 4, m.sender);
  put(d + 8, m.ephemeral);
  put(d + 40, m.encrypted_static);
  put(d + 88, m.encrypted_timestamp);
  put(d + 116, m.mac1);
  put(d + 132, m.mac2);
}

void serialize(const Response& m, std::span<std::uint8_t, kResponseLen> out) {
  std::uint8_t* d = out.data();
  put_header(d, MessageType::kResponse);
  store_le32(d + 4, m.sender);
  store_le32(d + 8, m.receiver);
  put(d + 12, m.ephemeral);
  put(d + 44, m.encrypted_nothing);
  put(d + 60, m.mac1);
  put(d + 76, m.mac2);
}

void serialize(const CookieReply& m, std::span<std::uint8_t, kCookieReplyLen> out) {
  std::uint8_t* d = out.data();
  put_header(d, MessageType::kCookieReply);
  store_le32(d + 4, m.receiver);
  put(d + 8, m.nonce);
  put(d + 32, m.encrypted_cookie);
}

void serialize(const TransportHeader& h, std::span<std::uint8_t, kTransportHeaderLen> out) {
  std::uint8_t* d = out.data();
  put_header(d, MessageType::kTransport);
  store_le32(d + 4, h.receiver);
  store_le64(d + 8, h.counter);
}

}  // namespace ward::wg
