// wardctl status: the controller's health and who you are.
#include "controller/wardctl/cli.hpp"
#include "controller/wardctl/output.hpp"
#include "controller/wardctl/session.hpp"
#include "controller/wardctl/table.hpp"

namespace ward::wardctl {

void add_status_commands(CLI::App& app, Context& ctx) {
  auto* sub = app.add_subcommand("status", "show the controller's status and your session");
  on_run(sub, ctx, [&ctx]() -> int {
    auto client = ctx.connect();
    if (!client) return ctx.fail(client.error());
    auto r = (*client)->call("GET", "/v1/admin/status");
    if (!r) return ctx.fail(r.error());
    if (ctx.options.json) {
      print_json(ctx.out, *r);
      return kExitOk;
    }
    std::vector<std::pair<std::string, std::string>> f = {
        {"Controller", (*client)->url().canonical},
        {"Version", field(*r, "version")},
        {"Uptime (s)", field(*r, "uptime_s")},
        {"Users", field(*r, "users")},
        {"Policy version", field(*r, "policy_version")},
        {"You", (*r)["you"].is_object() ? describe_user((*r)["you"]) : "-"},
    };
    if ((*r)["devices"].is_object()) {
      std::string d;
      for (auto& [k, v] : (*r)["devices"].items()) {
        if (!d.empty()) d += ", ";
        d += k + " " + text_of(v);
      }
      f.emplace_back("Devices", d.empty() ? "-" : d);
    } else {
      f.emplace_back("Devices", field(*r, "devices"));
    }
    ctx.out << render_fields(f);
    return kExitOk;
  });
}

}  // namespace ward::wardctl
