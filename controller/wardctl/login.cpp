// wardctl login: email + password + TOTP code -> a session token saved in the config.
#include "controller/wardctl/args.hpp"
#include "controller/wardctl/cli.hpp"
#include "controller/wardctl/output.hpp"
#include "controller/wardctl/session.hpp"

namespace ward::wardctl {

void add_login_commands(CLI::App& app, Context& ctx) {
  auto* sub = app.add_subcommand(
      "login", "log in (email, then password and TOTP code from the terminal or stdin)");
  auto email = std::make_shared<std::string>();
  sub->add_option("--email", *email, "your email (asked for when omitted)")
      ->check(email_validator());
  sub->add_flag("--password-stdin", ctx.options.password_stdin,
                "read the password and code from stdin, one per line");
  on_run(sub, ctx, [&ctx, email]() -> int {
    std::string who = *email;
    if (who.empty()) {
      auto l = ctx.input().line("Email: ", "email");
      if (!l) return ctx.fail(l.error());
      who = *l;
      if (auto s = check_email(who); !s) return ctx.fail(s.error());
    }
    auto password = ctx.input().secret("Password: ", "password");
    if (!password) return ctx.fail(password.error());
    auto answer = login_and_save(ctx, who, *password);
    if (!answer) return ctx.fail(answer.error());
    if (ctx.options.json) {
      print_json(ctx.out, *answer);
    } else {
      ctx.out << "Logged in as " << describe_user((*answer)["user"]) << "; the session expires at "
              << field(*answer, "expires_at") << ".\n";
    }
    return kExitOk;
  });
}

}  // namespace ward::wardctl
