#include "controller/wardctl/config.hpp"

#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "common/json/parse.hpp"

namespace ward::wardctl {
namespace {

bool host_char_ok(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.';
}

std::optional<std::string> non_empty(const std::optional<std::string>& v) {
  if (v && !v->empty()) return v;
  return std::nullopt;
}

}  // namespace

EnvFn process_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

Result<ControllerUrl> parse_controller_url(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return Error::invalid_argument("controller URL " + quote(text) + ": " + std::string(why) +
                                   "; expected https://HOST[:PORT]");
  };
  constexpr std::string_view kScheme = "https://";
  if (text.size() < kScheme.size() || text.substr(0, kScheme.size()) != kScheme) {
    if (text.starts_with("http://")) return bad("plain http is refused (TLS only)");
    return bad("missing https:// scheme");
  }
  std::string_view rest = text.substr(kScheme.size());
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.find_first_of("/?#@") != std::string_view::npos) {
    return bad("a path, query, fragment or user name is not allowed");
  }
  ControllerUrl url;
  std::string_view port_text;
  if (rest.starts_with('[')) {
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos) return bad("unterminated [IPv6 address]");
    url.host = std::string(rest.substr(1, close - 1));
    for (char c : url.host) {
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') {
        return bad("malformed IPv6 address");
      }
    }
    rest.remove_prefix(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return bad("unexpected text after ]");
      port_text = rest.substr(1);
      if (port_text.empty()) return bad("empty port");
    }
  } else {
    const std::size_t colon = rest.find(':');
    url.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = rest.substr(colon + 1);
      if (port_text.empty()) return bad("empty port");
    }
    for (char c : url.host) {
      if (!host_char_ok(c)) return bad("host has a character other than letters, digits, '-', '.'");
    }
  }
  if (url.host.empty() || url.host.size() > 253) return bad("empty or overlong host");
  if (!port_text.empty()) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), v);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || v == 0 || v > 65535) {
      return bad("port must be 1..65535");
    }
    url.port = static_cast<std::uint16_t>(v);
  }
  for (char& c : url.host)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const bool v6 = url.host.find(':') != std::string::npos;
  url.canonical =
      "https://" + (v6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
  return url;
}

Result<ConfigFile> decode_config(std::string_view text) {
  auto doc = json::parse(text, {.max_bytes = 64 * 1024, .max_depth = 2});
  if (!doc) return std::move(doc).error();
  if (!doc->is_object()) return Error::invalid_argument("$: expected a JSON object");
  ConfigFile c;
  for (auto& [key, value] : doc->items()) {
    if (!value.is_string()) {
      // Never echo the value: it may be the token.
      return Error::invalid_argument("$." + key + ": expected a string");
    }
    std::string& s = value.get_ref<std::string&>();
    if (key == "controller") {
      c.controller = s;
    } else if (key == "ca") {
      c.ca = s;
    } else if (key == "email") {
      c.email = s;
    } else if (key == "token") {
      c.token = SecretString(s);
    } else {
      return Error::invalid_argument("$." + quote(key, 40) +
                                     ": unknown field; expected controller, ca, email, token");
    }
    secure_wipe(s.data(), s.size());
  }
  return c;
}

std::string encode_config(const ConfigFile& c) {
  // Written by hand (not through a json object) so the token is copied only into `out`.
  std::string out = "{";
  bool first = true;
  const auto field = [&](std::string_view key, std::string_view value) {
    out += first ? "\n  \"" : ",\n  \"";
    first = false;
    out += key;
    out += "\": \"";
    for (char ch : value) {
      const auto u = static_cast<unsigned char>(ch);
      if (ch == '"' || ch == '\\') {
        out += '\\';
        out += ch;
      } else if (u < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", u);
        out += buf;
      } else {
        out += ch;
      }
    }
    out += '"';
  };
  if (c.controller) field("controller", *c.controller);
  if (c.ca) field("ca", *c.ca);
  if (c.email) field("email", *c.email);
  if (c.token) field("token", c.token->reveal());
  out += first ? "}\n" : "\n}\n";
  return out;
}

std::string_view source_name(Source s) {
  switch (s) {
    case Source::kFlag:
      return "command line";
    case Source::kEnv:
      return "environment";
    case Source::kFile:
      return "config file";
  }
  return "?";
}

Result<Settings> resolve_settings(const SettingSources& src) {
  Settings s;
  std::optional<std::string> url_text;
  if (auto v = non_empty(src.flag_controller)) {
    url_text = v;
    s.controller_source = Source::kFlag;
  } else if (auto e = non_empty(src.env_controller)) {
    url_text = e;
    s.controller_source = Source::kEnv;
  } else if (src.file && non_empty(src.file->controller)) {
    url_text = src.file->controller;
    s.controller_source = Source::kFile;
  }
  if (!url_text) {
    return Error::invalid_argument(
        "no controller configured; pass --controller https://HOST:PORT, set WARD_CONTROLLER, "
        "or log in once with both");
  }
  auto url = parse_controller_url(*url_text);
  if (!url)
    return url.error().context(std::string("from the ") +
                               std::string(source_name(s.controller_source)));
  s.controller = std::move(*url);

  if (auto v = non_empty(src.flag_ca)) {
    s.ca_file = *v;
    s.ca_source = Source::kFlag;
  } else if (auto e = non_empty(src.env_ca)) {
    s.ca_file = *e;
    s.ca_source = Source::kEnv;
  } else if (src.file && non_empty(src.file->ca)) {
    s.ca_file = *src.file->ca;
    s.ca_source = Source::kFile;
  } else {
    return Error::invalid_argument(
        "no CA certificate configured (wardctl trusts only a pinned CA); pass --ca FILE or "
        "set WARD_CA");
  }

  if (src.file && src.file->token && !src.file->token->empty() && src.file->controller) {
    auto saved = parse_controller_url(*src.file->controller);
    if (saved && saved->canonical == s.controller.canonical) {
      s.token = *src.file->token;
      s.email = src.file->email;
    }
  }
  return s;
}

Result<std::string> default_config_path(const EnvFn& env) {
  if (auto x = env("XDG_CONFIG_HOME"); x && !x->empty() && (*x)[0] == '/') {
    return *x + "/ward/config.json";
  }
  if (auto h = env("HOME"); h && !h->empty()) return *h + "/.config/ward/config.json";
  return Error::invalid_argument("cannot find the config directory: HOME is not set");
}

}  // namespace ward::wardctl
