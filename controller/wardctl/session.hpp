// Helpers shared by login, bootstrap and user: logging in and saving the session, and
// showing a TOTP enrollment (otpauth URI + terminal QR) exactly once.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/base/result.hpp"
#include "common/base/secret.hpp"
#include "controller/wardctl/cli.hpp"

namespace ward::wardctl {

// POST /v1/admin/login with the email and password, asking for TOTP codes (up to
// `attempts` on a terminal, one otherwise); on success saves controller, CA (absolute
// path), email and token in the config file and returns the API's answer (without the
// token). The password is wiped by the caller.
Result<nlohmann::json> login_and_save(Context& ctx, const std::string& email,
                                      const SecretString& password, int attempts = 3);

// Prints the otpauth URI and its QR code to ctx.out (once; the caller must not log it).
void show_totp_enrollment(Context& ctx, std::string_view totp_uri, bool qr);

// One-line description of a User object: "alice@h.org (admin)".
std::string describe_user(const nlohmann::json& user);

}  // namespace ward::wardctl
