// wardctl inventory export: the live inventory as the file `--inventory` reads
// (controller/policy's inventory format), for policy-as-code pipelines.
#include <fstream>

#include "controller/wardctl/cli.hpp"
#include "controller/wardctl/output.hpp"

namespace ward::wardctl {

void add_inventory_commands(CLI::App& app, Context& ctx) {
  auto* inv = app.add_subcommand("inventory", "export the inventory for offline policy checks");
  inv->require_subcommand(1);
  auto output = std::make_shared<std::string>();
  auto* sub = inv->add_subcommand("export", "write the inventory JSON (stdout or --output)");
  sub->add_option("--output,-o", *output, "write to FILE instead of stdout");
  on_run(sub, ctx, [&ctx, output]() -> int {
    auto client = ctx.connect();
    if (!client) return ctx.fail(client.error());
    auto r = (*client)->call("GET", "/v1/admin/inventory");
    if (!r) return ctx.fail(r.error());
    if (output->empty()) {
      print_json(ctx.out, *r);
      return kExitOk;
    }
    std::ofstream f(*output, std::ios::binary | std::ios::trunc);
    print_json(f, *r);
    f.flush();
    if (!f) return ctx.fail(Error::io("cannot write " + quote(*output, 200)));
    ctx.out << "Wrote the inventory (" << ((*r)["devices"].is_array() ? (*r)["devices"].size() : 0)
            << " devices) to " << *output << ".\n";
    return kExitOk;
  });
}

}  // namespace ward::wardctl
