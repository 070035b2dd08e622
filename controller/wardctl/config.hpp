// Connection settings for wardctl: which controller, which pinned CA, which session.
//
// Resolution (pure; resolve_settings): each of controller URL and CA file comes from the
// first of flag (--controller / --ca), environment (WARD_CONTROLLER / WARD_CA) and the
// config file (~/.config/ward/config.json) that sets it. Empty values count as unset.
// The saved session token is used only when the config file's controller is the
// resolved controller: a token is never sent to a controller that did not issue it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/base/result.hpp"
#include "common/base/secret.hpp"

namespace ward::wardctl {

// Environment lookup (getenv in production, a map in tests); nullopt when unset.
using EnvFn = std::function<std::optional<std::string>(std::string_view name)>;
EnvFn process_env();

// The controller's address, parsed from "https://HOST[:PORT][/]" (HOST a DNS name, an
// IPv4 literal or a bracketed IPv6 literal; PORT defaults to 8443). Plain http and any
// path, query, fragment or user-info are refused: wardctl speaks only TLS to a pinned CA.
struct ControllerUrl {
  std::string host;  // without brackets
  std::uint16_t port = 8443;
  std::string canonical;  // "https://host:port", used to compare URLs
};
Result<ControllerUrl> parse_controller_url(std::string_view text);

// What ~/.config/ward/config.json holds. Every field is optional.
struct ConfigFile {
  std::optional<std::string> controller;  // as given at login
  std::optional<std::string> ca;          // absolute path of the CA certificate file
  std::optional<std::string> email;       // who logged in (informational)
  std::optional<SecretString> token;      // the session token ("wst_...")
};

// Strict decode of the file's JSON (unknown fields and wrong types are errors naming the
// field; the token is never quoted). Encode writes only the fields that are set.
Result<ConfigFile> decode_config(std::string_view text);
std::string encode_config(const ConfigFile& config);

enum class Source { kFlag, kEnv, kFile };
std::string_view source_name(Source s);  // "--controller flag", "environment", "config file"

struct SettingSources {
  std::optional<std::string> flag_controller, flag_ca;
  std::optional<std::string> env_controller, env_ca;
  std::optional<ConfigFile> file;
  std::string file_path;  // for messages
};

struct Settings {
  ControllerUrl controller;
  Source controller_source = Source::kFlag;
  std::string ca_file;
  Source ca_source = Source::kFlag;
  std::optional<SecretString> token;  // set only when the file's controller matches
  std::optional<std::string> email;   // the logged-in user, with the token
};

// InvalidArgument when no controller or no CA is configured anywhere (saying how to set
// one) or the URL is malformed (naming where it came from).
Result<Settings> resolve_settings(const SettingSources& sources);

// $XDG_CONFIG_HOME/ward/config.json, else $HOME/.config/ward/config.json.
Result<std::string> default_config_path(const EnvFn& env);

}  // namespace ward::wardctl
