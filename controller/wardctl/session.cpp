#include "controller/wardctl/session.hpp"

#include <cstdlib>

#include <climits>

#include "controller/identity/qr.hpp"
#include "controller/wardctl/api_error.hpp"
#include "controller/wardctl/config_file.hpp"
#include "controller/wardctl/output.hpp"

namespace ward::wardctl {

std::string describe_user(const nlohmann::json& user) {
  return terminal_safe(field(user, "email")) + " (" + terminal_safe(field(user, "role")) + ")";
}

void show_totp_enrollment(Context& ctx, std::string_view totp_uri, bool qr) {
  ctx.out << "Add this to an authenticator app now; it is shown only once:\n  "
          << terminal_safe(totp_uri) << '\n';
  if (qr) {
    auto m = identity::qr_matrix(totp_uri);
    if (m) ctx.out << identity::render_qr(*m);
  }
  ctx.out.flush();
}

Result<nlohmann::json> login_and_save(Context& ctx, const std::string& email,
                                      const SecretString& password, int attempts) {
  auto sources = ctx.sources();
  if (!sources) return std::move(sources).error();
  auto settings = resolve_settings(*sources);
  if (!settings) return std::move(settings).error();
  auto client = ctx.connect(/*require_session=*/false);
  if (!client) return std::move(client).error();
  if (!ctx.input().interactive()) attempts = 1;
  Result<nlohmann::json> answer = Error::unauthenticated("no attempt");
  for (int i = 0; i < attempts; ++i) {
    auto code = ctx.input().secret("TOTP code: ", "TOTP code");
    if (!code) return std::move(code).error();
    nlohmann::json body = {{"email", email},
                           {"password", std::string(password.reveal())},
                           {"totp", std::string(code->reveal())}};
    answer = (*client)->call("POST", "/v1/admin/login", body);
    wipe_json(body);
    if (answer || answer.error().code() != ErrorCode::kUnauthenticated) break;
    if (i + 1 < attempts) ctx.err << "wardctl: " << answer.error().message() << '\n';
  }
  if (!answer) return answer;
  if (!answer->is_object() || !(*answer)["token"].is_string()) {
    return Error::corruption("the controller's login answer has no token");
  }
  std::string& tok = (*answer)["token"].get_ref<std::string&>();
  ConfigFile file = sources->file.value_or(ConfigFile{});
  file.controller = settings->controller.canonical;
  char abs[PATH_MAX];
  file.ca =
      ::realpath(settings->ca_file.c_str(), abs) != nullptr ? std::string(abs) : settings->ca_file;
  file.email = email;
  file.token = SecretString(tok);
  secure_wipe(tok.data(), tok.size());
  answer->erase("token");
  WARD_RETURN_IF_ERROR(save_config_file(sources->file_path, file));
  return answer;
}

}  // namespace ward::wardctl
