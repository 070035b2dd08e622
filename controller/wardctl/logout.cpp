// wardctl logout: revoke the session at the controller and forget the saved token.
#include "controller/wardctl/api_error.hpp"
#include "controller/wardctl/cli.hpp"
#include "controller/wardctl/config_file.hpp"

namespace ward::wardctl {

void add_logout_commands(CLI::App& app, Context& ctx) {
  auto* sub = app.add_subcommand("logout", "revoke the session and remove the saved token");
  on_run(sub, ctx, [&ctx]() -> int {
    auto sources = ctx.sources();
    if (!sources) return ctx.fail(sources.error());
    if (!sources->file || !sources->file->token) {
      ctx.out << "Not logged in.\n";
      return kExitOk;
    }
    // Revoke at the controller that issued the token (the saved one), then forget it
    // locally whatever the answer: a token we cannot revoke is still better gone.
    Status revoked = ok();
    {
      auto client = ctx.connect(/*require_session=*/true);
      if (!client) {
        revoked = client.error();
      } else {
        auto r = (*client)->call("POST", "/v1/admin/logout");
        if (!r && r.error().code() != ErrorCode::kUnauthenticated) revoked = r.error();
      }
    }
    ConfigFile file = *sources->file;
    file.token.reset();
    file.email.reset();
    if (auto s = save_config_file(sources->file_path, file); !s) return ctx.fail(s.error());
    if (!revoked) {
      ctx.err << "wardctl: the saved token was removed, but the controller could not revoke "
                 "the session: "
              << terminal_safe(revoked.error().message()) << '\n';
      return kExitFailed;
    }
    ctx.out << "Logged out.\n";
    return kExitOk;
  });
}

}  // namespace ward::wardctl
