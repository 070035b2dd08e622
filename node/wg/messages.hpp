// WireGuard wire formats (whitepaper section 5.4): fixed-size handshake messages and the
// transport data header. Integers are little-endian; the type is one byte followed by three
// reserved zero bytes.
//
// Parsing is strict: a message is recognised only with its exact length (or, for transport
// data, at least a header plus a tag), a known type and zero reserved bytes. Parsers do no
// I/O and never read past the span; they return std::nullopt for anything else, because a
// malformed datagram is dropped silently on the data path (no error text is built).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "node/wg/crypto.hpp"

namespace ward::wg {

enum class MessageType : std::uint8_t {
  kInitiation = 1,
  kResponse = 2,
  kCookieReply = 3,
  kTransport = 4,
};

inline constexpr std::size_t kInitiationLen = 148;
inline constexpr std::size_t kResponseLen = 92;
inline constexpr std::size_t kCookieReplyLen = 64;
inline constexpr std::size_t kTransportHeaderLen = 16;
inline constexpr std::size_t kTransportMinLen = kTransportHeaderLen + kTagLen;
inline constexpr std::size_t kPaddingMultiple = 16;
// Offsets of mac1 and mac2 inside the two handshake messages (mac1 covers [0, mac1 offset),
// mac2 covers [0, mac2 offset)).
inline constexpr std::size_t kInitiationMac1Offset = 116;
inline constexpr std::size_t kInitiationMac2Offset = 132;
inline constexpr std::size_t kResponseMac1Offset = 60;
inline constexpr std::size_t kResponseMac2Offset = 76;

struct Initiation {
  std::uint32_t sender = 0;
  PublicKey ephemeral{};
  std::array<std::uint8_t, kKeyLen + kTagLen> encrypted_static{};
  std::array<std::uint8_t, kTimestampLen + kTagLen> encrypted_timestamp{};
  Mac mac1{};
  Mac mac2{};
};

struct Response {
  std::uint32_t sender = 0;
  std::uint32_t receiver = 0;
  PublicKey ephemeral{};
  std::array<std::uint8_t, kTagLen> encrypted_nothing{};
  Mac mac1{};
  Mac mac2{};
};

struct CookieReply {
  std::uint32_t receiver = 0;
  std::array<std::uint8_t, kXNonceLen> nonce{};
  std::array<std::uint8_t, kMacLen + kTagLen> encrypted_cookie{};
};

struct TransportHeader {
  std::uint32_t receiver = 0;
  std::uint64_t counter = 0;
};

// The type of a well-formed message (type byte, reserved bytes and length all valid), or
// nullopt.
std::optional<MessageType> classify(Bytes packet);

std::optional<Initiation> parse_initiation(Bytes packet);
std::optional<Response> parse_response(Bytes packet);
std::optional<CookieReply> parse_cookie_reply(Bytes packet);
// The header of a transport message; the encrypted payload is packet[16:].
std::optional<TransportHeader> parse_transport_header(Bytes packet);

void serialize(const Initiation& m, std::span<std::uint8_t, kInitiationLen> out);
void serialize(const Response& m, std::span<std::uint8_t, kResponseLen> out);
void serialize(const CookieReply& m, std::span<std::uint8_t, kCookieReplyLen> out);
void serialize(const TransportHeader& h, std::span<std::uint8_t, kTransportHeaderLen> out);

// Plaintext length after padding to a multiple of 16, never beyond mtu (when the packet is
// already longer than the MTU it is not padded further). A zero-length keepalive stays 0.
constexpr std::size_t padded_length(std::size_t len, std::size_t mtu) {
  std::size_t padded = (len + kPaddingMultiple - 1) / kPaddingMultiple * kPaddingMultiple;
  if (padded > mtu) padded = len > mtu ? len : mtu;
  return padded;
}

// Little-endian helpers shared by the engine's parsers.
inline std::uint32_t load_le32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}
inline std::uint64_t load_le64(const std::uint8_t* p) {
  return static_cast<std::uint64_t>(load_le32(p)) | static_cast<std::uint64_t>(load_le32(p + 4))
                                                        << 32;
}
inline void store_le32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
inline void store_le64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i)
    p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

}  // namespace ward::wg
