// wardctl netmap DEVICE [--explain]: exactly what a device receives (peers and inbound
// filter), from the controller or offline from --inventory and --policy.
#include <chrono>

#include "controller/policy/inventory.hpp"
#include "controller/wardctl/api_client.hpp"
#include "controller/wardctl/cli.hpp"
#include "controller/wardctl/config_file.hpp"
#include "controller/wardctl/offline.hpp"
#include "controller/wardctl/output.hpp"
#include "controller/wardctl/policy_render.hpp"

namespace ward::wardctl {

void add_netmap_commands(CLI::App& app, Context& ctx) {
  struct Opts {
    std::string device, inventory, policy;
    bool explain = false;
  };
  auto o = std::make_shared<Opts>();
  auto* sub = app.add_subcommand("netmap", "show a device's netmap: its peers and inbound filter");
  sub->add_option("device", o->device, "device id or name")->required();
  sub->add_flag("--explain", o->explain, "name the rule (and posture) behind each entry");
  auto* inv = sub->add_option("--inventory", o->inventory, "offline: this inventory file")
                  ->check(CLI::ExistingFile);
  auto* pf =
      sub->add_option("--policy", o->policy, "offline: this policy file")->check(CLI::ExistingFile);
  inv->needs(pf);
  pf->needs(inv);
  on_run(sub, ctx, [&ctx, o]() -> int {
    nlohmann::json m;
    if (!o->inventory.empty()) {
      auto text = read_text_file(o->policy, 4 * 1024 * 1024);
      if (!text) return ctx.fail(text.error());
      auto inventory = policy::parse_inventory_file(o->inventory);
      if (!inventory) return ctx.fail(inventory.error());
      const std::size_t slash = o->policy.rfind('/');
      auto r = offline_netmap(
          {std::move(*text), slash == std::string::npos ? o->policy : o->policy.substr(slash + 1)},
          *inventory, o->device, o->explain,
          std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()));
      if (!r) return ctx.fail(r.error());
      m = std::move(*r);
    } else {
      auto client = ctx.connect();
      if (!client) return ctx.fail(client.error());
      auto r = (*client)->call(
          "GET", "/v1/admin/netmap/" + path_segment(o->device) + (o->explain ? "?explain=1" : ""));
      if (!r) return ctx.fail(r.error());
      m = std::move(*r);
    }
    if (ctx.options.json) {
      print_json(ctx.out, m);
    } else {
      ctx.out << render_netmap(m, o->explain);
    }
    return kExitOk;
  });
}

}  // namespace ward::wardctl
