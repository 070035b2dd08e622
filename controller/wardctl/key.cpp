// wardctl key create|list|revoke: enrollment keys. The key itself is shown once, by
// create; list shows only its recognisable prefix.
#include "controller/wardctl/api_error.hpp"
#include "controller/wardctl/args.hpp"
#include "controller/wardctl/cli.hpp"
#include "controller/wardctl/output.hpp"
#include "controller/wardctl/table.hpp"

namespace ward::wardctl {
namespace {

std::string key_state(const nlohmann::json& k) {
  if (k.value("revoked", false)) return "revoked";
  return "valid";
}

std::string uses(const nlohmann::json& k) {
  std::string s = field(k, "uses");
  if (k.contains("max_uses") && !k["max_uses"].is_null()) s += "/" + field(k, "max_uses");
  return s;
}

}  // namespace

void add_key_commands(CLI::App& app, Context& ctx) {
  auto* key = app.add_subcommand("key", "manage enrollment keys");
  key->require_subcommand(1);

  {
    struct Opts {
      bool reusable = false;
      std::int64_t max_uses = 0;
      std::string expires_in = "1h";
      std::vector<std::string> tags;
      bool pending = false;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = key->add_subcommand("create", "create an enrollment key (shown once)");
    sub->add_flag("--reusable", o->reusable, "allow more than one enrollment");
    auto* max = sub->add_option("--max-uses", o->max_uses, "limit a reusable key's uses")
                    ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000000}));
    max->needs(sub->get_option("--reusable"));
    sub->add_option("--expires-in", o->expires_in, "lifetime: 90s, 30m, 12h, 7d")
        ->check(duration_validator())
        ->capture_default_str();
    sub->add_option("--tag", o->tags, "a tag enrolled devices get (tag:NAME); repeatable")
        ->check(tag_validator());
    sub->add_flag("--require-approval", o->pending,
                  "devices enrolled with it wait in `pending` until approved");
    on_run(sub, ctx, [&ctx, o]() -> int {
      auto client = ctx.connect();
      if (!client) return ctx.fail(client.error());
      nlohmann::json body = {{"reusable", o->reusable},
                             {"expires_in_s", parse_duration(o->expires_in).value_or(3600)},
                             {"tags", o->tags},
                             {"preapproved", !o->pending}};
      if (o->max_uses > 0) body["max_uses"] = o->max_uses;
      auto r = (*client)->call("POST", "/v1/admin/keys", body);
      if (!r) return ctx.fail(r.error());
      if (ctx.options.json) {
        print_json(ctx.out, *r);
      } else if ((*r)["key"].is_string()) {
        const auto& info = (*r)["info"];
        ctx.out << "Enrollment key (shown only now; store it safely):\n  "
                << terminal_safe((*r)["key"].get<std::string>()) << '\n'
                << render_fields({{"ID", field(info, "id")},
                                  {"Expires", field(info, "expires_at")},
                                  {"Reusable", field(info, "reusable")},
                                  {"Uses", uses(info)},
                                  {"Tags", field(info, "tags")},
                                  {"Preapproved", field(info, "preapproved")}});
      } else {
        return ctx.fail(Error::corruption("the controller's answer has no key"));
      }
      wipe_json(*r);
      return kExitOk;
    });
  }

  {
    auto* sub = key->add_subcommand("list", "list enrollment keys (never the keys themselves)");
    on_run(sub, ctx, [&ctx]() -> int {
      auto client = ctx.connect();
      if (!client) return ctx.fail(client.error());
      auto r = (*client)->call("GET", "/v1/admin/keys");
      if (!r) return ctx.fail(r.error());
      if (ctx.options.json) {
        print_json(ctx.out, *r);
        return kExitOk;
      }
      Table t({"ID", "PREFIX", "STATE", "REUSABLE", "USES", "EXPIRES", "TAGS", "PREAPPROVED",
               "CREATED BY"});
      for (const auto& k : (*r)["keys"].is_array() ? (*r)["keys"] : nlohmann::json::array()) {
        t.add_row({field(k, "id"), field(k, "prefix"), key_state(k), field(k, "reusable"), uses(k),
                   field(k, "expires_at"), field(k, "tags"), field(k, "preapproved"),
                   field(k, "created_by")});
      }
      ctx.out << t.render();
      return kExitOk;
    });
  }

  {
    auto id = std::make_shared<std::string>();
    auto* sub = key->add_subcommand("revoke", "revoke an enrollment key");
    sub->add_option("id", *id, "the key's id (from key list)")->required();
    on_run(sub, ctx, [&ctx, id]() -> int {
      auto client = ctx.connect();
      if (!client) return ctx.fail(client.error());
      auto r = (*client)->call("POST", "/v1/admin/keys/" + path_segment(*id) + "/revoke");
      if (!r) return ctx.fail(r.error());
      if (ctx.options.json) {
        print_json(ctx.out, *r);
      } else {
        ctx.out << "Revoked key " << terminal_safe(field(*r, "id")) << " ("
                << terminal_safe(field(*r, "prefix")) << "...).\n";
      }
      return kExitOk;
    });
  }
}

}  // namespace ward::wardctl
