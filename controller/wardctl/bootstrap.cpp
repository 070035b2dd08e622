// wardctl bootstrap: create the first owner with the one-time bootstrap token, show the
// TOTP enrollment once, and confirm it by logging in with a first code.
#include "controller/wardctl/args.hpp"
#include "controller/wardctl/cli.hpp"
#include "controller/wardctl/output.hpp"
#include "controller/wardctl/session.hpp"

namespace ward::wardctl {

void add_bootstrap_commands(CLI::App& app, Context& ctx) {
  auto* sub = app.add_subcommand(
      "bootstrap",
      "create the first owner (asks for the bootstrap token printed by `ward-controller "
      "init`, a password, then a first TOTP code)");
  struct Opts {
    std::string email, name;
    bool no_qr = false;
  };
  auto o = std::make_shared<Opts>();
  sub->add_option("--email", o->email, "the owner's email")->required()->check(email_validator());
  sub->add_option("--name", o->name, "the owner's display name")->required();
  sub->add_flag("--no-qr", o->no_qr, "do not draw the QR code");
  sub->add_flag("--password-stdin", ctx.options.password_stdin,
                "read token, password and code from stdin, one per line");
  on_run(sub, ctx, [&ctx, o]() -> int {
    auto client = ctx.connect(/*require_session=*/false);
    if (!client) return ctx.fail(client.error());
    auto token = ctx.input().secret("Bootstrap token: ", "bootstrap token");
    if (!token) return ctx.fail(token.error());
    auto password = read_new_password(ctx.input(), "Password for " + o->email + ": ");
    if (!password) return ctx.fail(password.error());
    nlohmann::json body = {{"bootstrap_token", std::string(token->reveal())},
                           {"email", o->email},
                           {"display_name", o->name},
                           {"password", std::string(password->reveal())}};
    auto r = (*client)->call("POST", "/v1/admin/bootstrap", body);
    wipe_json(body);
    if (!r) return ctx.fail(r.error());
    client->reset();
    if (!(*r)["totp_uri"].is_string()) {
      return ctx.fail(Error::corruption("the controller's answer has no totp_uri"));
    }
    std::string& uri = (*r)["totp_uri"].get_ref<std::string&>();
    ctx.out << "Created the owner " << describe_user((*r)["user"]) << ".\n";
    show_totp_enrollment(ctx, uri, !o->no_qr);
    secure_wipe(uri.data(), uri.size());
    if (ctx.input().interactive()) {
      ctx.err << "Enter a code from the authenticator app to confirm it works.\n";
    }
    auto login = login_and_save(ctx, o->email, *password);
    if (!login) {
      ctx.err << "wardctl: the owner exists, but the first login failed; retry with "
                 "`wardctl login --email "
              << o->email << "`\n";
      return ctx.fail(login.error());
    }
    ctx.out << "TOTP confirmed; logged in as " << describe_user((*login)["user"]) << ".\n";
    return kExitOk;
  });
}

}  // namespace ward::wardctl
