// wardctl user add|list|show|disable|enable|reset-mfa|set-role|set-groups
#include "controller/wardctl/api_error.hpp"
#include "controller/wardctl/args.hpp"
#include "controller/wardctl/cli.hpp"
#include "controller/wardctl/output.hpp"
#include "controller/wardctl/session.hpp"
#include "controller/wardctl/table.hpp"

namespace ward::wardctl {
namespace {

std::string user_path(const std::string& email, std::string_view action = {}) {
  std::string p = "/v1/admin/users/" + path_segment(email);
  if (!action.empty()) p += "/" + std::string(action);
  return p;
}

void print_user(Context& ctx, const nlohmann::json& u) {
  ctx.out << render_fields({{"Email", field(u, "email")},
                            {"Name", field(u, "display_name")},
                            {"Role", field(u, "role")},
                            {"Groups", field(u, "groups")},
                            {"Disabled", field(u, "disabled")},
                            {"MFA enrolled", field(u, "mfa_enrolled")},
                            {"Created", field(u, "created_at")}});
}

// Runs a request whose answer is a User and prints it.
int user_action(Context& ctx, std::string_view method, const std::string& path,
                const nlohmann::json* body, std::string_view done) {
  auto client = ctx.connect();
  if (!client) return ctx.fail(client.error());
  auto r = body ? (*client)->call(method, path, *body) : (*client)->call(method, path);
  if (!r) return ctx.fail(r.error());
  if (ctx.options.json) {
    print_json(ctx.out, *r);
  } else {
    ctx.out << done << ": " << describe_user(*r) << '\n';
  }
  return kExitOk;
}

}  // namespace

void add_user_commands(CLI::App& app, Context& ctx) {
  auto* user = app.add_subcommand("user", "manage users");
  user->require_subcommand(1);

  {
    struct Opts {
      std::string email, name, role = "member";
      std::vector<std::string> groups;
      bool no_qr = false;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = user->add_subcommand("add", "create a user (asks for the initial password)");
    sub->add_option("email", o->email, "the user's email")->required()->check(email_validator());
    sub->add_option("--name", o->name, "display name")->required();
    sub->add_option("--role", o->role, "owner, admin, auditor or member")
        ->check(role_validator())
        ->capture_default_str();
    sub->add_option("--group", o->groups, "a group (group:NAME); repeatable")
        ->check(group_validator());
    sub->add_flag("--no-qr", o->no_qr, "do not draw the QR code");
    sub->add_flag("--password-stdin", ctx.options.password_stdin, "read the password from stdin");
    on_run(sub, ctx, [&ctx, o]() -> int {
      auto client = ctx.connect();
      if (!client) return ctx.fail(client.error());
      auto password = read_new_password(ctx.input(), "Initial password for " + o->email + ": ");
      if (!password) return ctx.fail(password.error());
      nlohmann::json body = {{"email", o->email},
                             {"display_name", o->name},
                             {"role", o->role},
                             {"groups", o->groups},
                             {"password", std::string(password->reveal())}};
      auto r = (*client)->call("POST", "/v1/admin/users", body);
      wipe_json(body);
      if (!r) return ctx.fail(r.error());
      if (ctx.options.json) {
        print_json(ctx.out, *r);
      } else {
        ctx.out << "Created " << describe_user((*r)["user"]) << ".\n";
        if ((*r)["totp_uri"].is_string()) {
          ctx.out << "Give the user this TOTP enrollment (shown once).\n";
          show_totp_enrollment(ctx, (*r)["totp_uri"].get<std::string>(), !o->no_qr);
        }
      }
      wipe_json(*r);
      return kExitOk;
    });
  }

  {
    auto* sub = user->add_subcommand("list", "list users");
    on_run(sub, ctx, [&ctx]() -> int {
      auto client = ctx.connect();
      if (!client) return ctx.fail(client.error());
      auto r = (*client)->call("GET", "/v1/admin/users");
      if (!r) return ctx.fail(r.error());
      if (ctx.options.json) {
        print_json(ctx.out, *r);
        return kExitOk;
      }
      Table t({"EMAIL", "NAME", "ROLE", "GROUPS", "MFA", "DISABLED", "CREATED"});
      for (const auto& u : (*r)["users"].is_array() ? (*r)["users"] : nlohmann::json::array()) {
        t.add_row({field(u, "email"), field(u, "display_name"), field(u, "role"),
                   field(u, "groups"), field(u, "mfa_enrolled"), field(u, "disabled"),
                   field(u, "created_at")});
      }
      ctx.out << t.render();
      return kExitOk;
    });
  }

  {
    auto email = std::make_shared<std::string>();
    auto* sub = user->add_subcommand("show", "show one user");
    sub->add_option("email", *email, "the user's email")->required()->check(email_validator());
    on_run(sub, ctx, [&ctx, email]() -> int {
      auto client = ctx.connect();
      if (!client) return ctx.fail(client.error());
      auto r = (*client)->call("GET", user_path(*email));
      if (!r) return ctx.fail(r.error());
      if (ctx.options.json) {
        print_json(ctx.out, *r);
      } else {
        print_user(ctx, *r);
      }
      return kExitOk;
    });
  }

  for (const auto& [name, action, done, help] :
       {std::tuple{"disable", "disable", "Disabled", "disable a user (ends their sessions)"},
        std::tuple{"enable", "enable", "Enabled", "enable a disabled user"}}) {
    auto email = std::make_shared<std::string>();
    auto* sub = user->add_subcommand(name, help);
    sub->add_option("email", *email, "the user's email")->required()->check(email_validator());
    const std::string act = action, msg = done;
    on_run(sub, ctx, [&ctx, email, act, msg]() -> int {
      return user_action(ctx, "POST", user_path(*email, act), nullptr, msg);
    });
  }

  {
    struct Opts {
      std::string email;
      bool no_qr = false;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = user->add_subcommand("reset-mfa", "issue a new TOTP secret for a user");
    sub->add_option("email", o->email, "the user's email")->required()->check(email_validator());
    sub->add_flag("--no-qr", o->no_qr, "do not draw the QR code");
    on_run(sub, ctx, [&ctx, o]() -> int {
      auto client = ctx.connect();
      if (!client) return ctx.fail(client.error());
      auto r = (*client)->call("POST", user_path(o->email, "reset-mfa"));
      if (!r) return ctx.fail(r.error());
      if (ctx.options.json) {
        print_json(ctx.out, *r);
      } else if ((*r)["totp_uri"].is_string()) {
        ctx.out << "New TOTP enrollment for " << terminal_safe(o->email) << ".\n";
        show_totp_enrollment(ctx, (*r)["totp_uri"].get<std::string>(), !o->no_qr);
      }
      wipe_json(*r);
      return kExitOk;
    });
  }

  {
    struct Opts {
      std::string email, role;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = user->add_subcommand("set-role", "change a user's role");
    sub->add_option("email", o->email, "the user's email")->required()->check(email_validator());
    sub->add_option("role", o->role, "owner, admin, auditor or member")
        ->required()
        ->check(role_validator());
    on_run(sub, ctx, [&ctx, o]() -> int {
      const nlohmann::json body = {{"role", o->role}};
      return user_action(ctx, "POST", user_path(o->email, "role"), &body, "Updated");
    });
  }

  {
    struct Opts {
      std::string email;
      std::vector<std::string> groups;
      bool clear = false;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = user->add_subcommand("set-groups", "replace a user's groups");
    sub->add_option("email", o->email, "the user's email")->required()->check(email_validator());
    auto* groups = sub->add_option("groups", o->groups, "group:NAME ...")->check(group_validator());
    auto* clear = sub->add_flag("--clear", o->clear, "remove every group");
    groups->excludes(clear);
    sub->callback([&ctx, o, groups] {
      if (o->groups.empty() && !o->clear) {
        throw CLI::ValidationError("groups", "give at least one group, or --clear to remove all");
      }
      (void)groups;
      ctx.action = [&ctx, o]() -> int {
        const nlohmann::json body = {{"groups", o->groups}};
        return user_action(ctx, "POST", user_path(o->email, "groups"), &body, "Updated");
      };
    });
  }
}

}  // namespace ward::wardctl
