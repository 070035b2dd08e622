#include "node/uapi/protocol.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>
#include <unordered_set>

#include "common/crypto/encoding.hpp"

namespace ward::node::uapi {
namespace {

void append(std::string& out, std::string_view key, std::string_view value) {
  out.append(key).push_back('=');
  out.append(value).push_back('\n');
}

template <class T>
bool parse_int(std::string_view s, T& out) {
  if (s.empty() || s.size() > 20) return false;
  if (s.size() > 1 && s[0] == '0') return false;
  if (s[0] == '+') return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

Error proto_error(std::size_t line_no, std::string msg) {
  return Error::corruption("UAPI response line " + std::to_string(line_no) + ": " + std::move(msg));
}

}  // namespace

SecretString encode_set_request(const WgChange& c) {
  std::string out;
  out.reserve(64 + c.peers.size() * 200);
  out += "set=1\n";
  if (c.private_key) {
    std::string hex = crypto::hex_encode(c.private_key->span());
    append(out, "private_key", hex);
    secure_wipe(hex.data(), hex.size());
  }
  if (c.listen_port) append(out, "listen_port", std::to_string(*c.listen_port));
  if (c.replace_peers) append(out, "replace_peers", "true");
  for (const WgPeerChange& p : c.peers) {
    append(out, "public_key", p.public_key.to_hex());
    if (p.remove) {
      append(out, "remove", "true");
      continue;
    }
    if (p.update_only) append(out, "update_only", "true");
    if (p.preshared_key) {
      std::string hex = crypto::hex_encode(p.preshared_key->span());
      append(out, "preshared_key", hex);
      secure_wipe(hex.data(), hex.size());
    }
    if (p.endpoint) append(out, "endpoint", p.endpoint->to_string());
    if (p.persistent_keepalive)
      append(out, "persistent_keepalive_interval", std::to_string(*p.persistent_keepalive));
    if (p.replace_allowed_ips) {
      append(out, "replace_allowed_ips", "true");
      for (const auto& ip : *p.replace_allowed_ips)
        append(out, "allowed_ip", ip.to_string());
    }
  }
  out.push_back('\n');
  SecretString s(std::move(out));
  return s;
}

Error errno_error(long long value) {
  const long long n = value < 0 ? -value : value;
  std::string msg = "WireGuard UAPI returned errno " + std::to_string(n);
  if (n > 0 && n < 4096) {
    msg += " (";
    msg += std::strerror(static_cast<int>(n));
    msg += ")";
  }
  if (n == EINVAL) return Error::invalid_argument(std::move(msg));
  return Error::io(std::move(msg));
}

namespace {

// Splits off the final "errno=N\n\n"; returns the body before it (ending in '\n' or
// empty) or an error.
Result<std::string_view> split_errno(std::string_view text, long long& err) {
  if (text.size() < 2 || text.substr(text.size() - 2) != "\n\n")
    return Error::corruption("UAPI response is truncated (no terminating empty line)");
  std::string_view body = text.substr(0, text.size() - 1);  // keep the last line's '\n'
  if (body.size() < 2) return Error::corruption("UAPI response has no errno line");
  const auto start = body.rfind('\n', body.size() - 2);
  const std::string_view last = body.substr(start == std::string_view::npos ? 0 : start + 1);
  const std::string_view line = last.substr(0, last.size() - 1);
  if (line.substr(0, 6) != "errno=")
    return Error::corruption("UAPI response does not end with errno=N, got " + quote(line));
  std::string_view num = line.substr(6);
  std::string_view digits = num;
  if (!digits.empty() && digits[0] == '-') digits.remove_prefix(1);
  long long v = 0;
  if (!parse_int(digits, v) || v > 4095)
    return Error::corruption("UAPI errno is not a small integer: " + quote(num));
  err = num[0] == '-' ? -v : v;
  return body.substr(0, start == std::string_view::npos ? 0 : start + 1);
}

}  // namespace

Status parse_set_response(std::string_view text) {
  if (text.size() > 64) return Error::corruption("UAPI set response too long");
  long long err = 0;
  WARD_ASSIGN_OR_RETURN(std::string_view body, split_errno(text, err));
  if (!body.empty()) return Error::corruption("UAPI set response has lines before errno");
  if (err != 0) return errno_error(err);
  return ok();
}

Result<WgState> parse_get_response(std::string_view text, const ParseLimits& lim) {
  if (text.size() > lim.max_response_bytes)
    return Error::corruption("UAPI get response larger than " +
                             std::to_string(lim.max_response_bytes) + " bytes");
  long long err = 0;
  WARD_ASSIGN_OR_RETURN(std::string_view body, split_errno(text, err));
  if (err != 0) return errno_error(err);

  WgState st;
  WgPeerState* peer = nullptr;
  std::size_t total_ips = 0;
  std::size_t line_no = 0;
  std::unordered_set<WgKey> seen;
  auto finish_peer = [&] {
    if (peer) normalize_prefixes(peer->allowed_ips);
  };
  while (!body.empty()) {
    ++line_no;
    const auto nl = body.find('\n');  // body ends in '\n', so nl exists
    const std::string_view line = body.substr(0, nl);
    body.remove_prefix(nl + 1);
    if (line.size() > lim.max_line_bytes)
      return proto_error(line_no, "line longer than " + std::to_string(lim.max_line_bytes));
    const auto eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return proto_error(line_no, "expected key=value, got " + quote(line));
    const std::string_view key = line.substr(0, eq);
    const std::string_view value = line.substr(eq + 1);
    auto bad_value = [&](std::string_view what) {
      return proto_error(
          line_no, std::string(key) + ": expected " + std::string(what) + ", got " + quote(value));
    };

    if (key == "public_key") {
      finish_peer();
      if (st.peers.size() >= lim.max_peers)
        return proto_error(line_no, "more than " + std::to_string(lim.max_peers) + " peers");
      auto k = WgKey::from_hex(value);
      if (!k) return bad_value("64 hex digits");
      if (!seen.insert(*k).second) return proto_error(line_no, "duplicate peer " + quote(value));
      st.peers.emplace_back();
      peer = &st.peers.back();
      peer->public_key = *k;
      continue;
    }
    if (!peer) {
      if (key == "private_key") {
        auto k = secret_from_hex(value, 32);
        if (!k) return proto_error(line_no, "private_key: expected 64 hex digits");
        bool zero = true;
        for (auto b : k->span())
          zero = zero && b == 0;
        if (!zero) st.private_key = std::move(*k);
      } else if (key == "listen_port") {
        unsigned v = 0;
        if (!parse_int(value, v) || v > 65535) return bad_value("a port 0..65535");
        st.listen_port = static_cast<std::uint16_t>(v);
      } else if (key == "fwmark") {
        std::uint32_t v = 0;
        if (!parse_int(value, v)) return bad_value("a 32-bit integer");
        st.fwmark = v;
      } else {
        return proto_error(line_no, "unknown device key " + quote(key));
      }
      continue;
    }
    if (key == "preshared_key") {
      auto k = secret_from_hex(value, 32);
      if (!k) return proto_error(line_no, "preshared_key: expected 64 hex digits");
      bool zero = true;
      for (auto b : k->span())
        zero = zero && b == 0;
      peer->has_preshared_key = !zero;
    } else if (key == "endpoint") {
      auto e = Endpoint::parse(value);
      if (!e) return bad_value("IP:PORT or [IPv6]:PORT");
      peer->endpoint = *e;
    } else if (key == "persistent_keepalive_interval") {
      unsigned v = 0;
      if (!parse_int(value, v) || v > 65535) return bad_value("0..65535");
      peer->persistent_keepalive = static_cast<std::uint16_t>(v);
    } else if (key == "last_handshake_time_sec" || key == "last_handshake_time_nsec") {
      std::int64_t v = 0;
      if (!parse_int(value, v) || v < 0) return bad_value("a non-negative integer");
      if (key == "last_handshake_time_nsec" && v >= 1'000'000'000)
        return bad_value("nanoseconds below 1e9");
      (key == "last_handshake_time_sec" ? peer->last_handshake_sec : peer->last_handshake_nsec) = v;
    } else if (key == "rx_bytes" || key == "tx_bytes") {
      std::uint64_t v = 0;
      if (!parse_int(value, v)) return bad_value("a non-negative integer");
      (key == "rx_bytes" ? peer->rx_bytes : peer->tx_bytes) = v;
    } else if (key == "protocol_version") {
      std::uint32_t v = 0;
      if (!parse_int(value, v) || v != 1) return bad_value("protocol version 1");
      peer->protocol_version = v;
    } else if (key == "allowed_ip") {
      if (++total_ips > lim.max_allowed_ips)
        return proto_error(line_no,
                           "more than " + std::to_string(lim.max_allowed_ips) + " allowed IPs");
      auto p = net::Prefix::parse(value);
      if (!p) return bad_value("a prefix");
      peer->allowed_ips.push_back(*p);
    } else {
      return proto_error(line_no, "unknown peer key " + quote(key));
    }
  }
  finish_peer();
  return st;
}

}  // namespace ward::node::uapi
