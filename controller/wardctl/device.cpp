// wardctl device list|show|approve|revoke|quarantine|unquarantine|rename|tag|expire
#include "controller/wardctl/api_error.hpp"
#include "controller/wardctl/args.hpp"
#include "controller/wardctl/cli.hpp"
#include "controller/wardctl/output.hpp"
#include "controller/wardctl/table.hpp"

namespace ward::wardctl {
namespace {

std::string device_path(const std::string& dev, std::string_view action = {}) {
  std::string p = "/v1/admin/devices/" + path_segment(dev);
  if (!action.empty()) p += "/" + std::string(action);
  return p;
}

std::string owner(const nlohmann::json& d) {
  if (d.contains("tags") && d["tags"].is_array() && !d["tags"].empty()) return field(d, "tags");
  return field(d, "user");
}

void print_device(Context& ctx, const nlohmann::json& d) {
  ctx.out << render_fields({{"ID", field(d, "id")},
                            {"Name", field(d, "name")},
                            {"Status", field(d, "status")},
                            {"User", field(d, "user")},
                            {"Tags", field(d, "tags")},
                            {"Addresses", field(d, "addresses")},
                            {"WireGuard key", field(d, "wg_public_key")},
                            {"Certificate", field(d, "cert_serial")},
                            {"Certificate expires", field(d, "cert_not_after")},
                            {"Hostname", field(d, "hostname")},
                            {"OS", field(d, "os")},
                            {"Endpoints", field(d, "endpoints")},
                            {"Posture", field(d, "posture")},
                            {"Created", field(d, "created_at")},
                            {"Last seen", field(d, "last_seen")}});
}

int device_call(Context& ctx, std::string_view method, const std::string& path,
                const nlohmann::json* body) {
  auto client = ctx.connect();
  if (!client) return ctx.fail(client.error());
  auto r = body ? (*client)->call(method, path, *body) : (*client)->call(method, path);
  if (!r) return ctx.fail(r.error());
  if (ctx.options.json) {
    print_json(ctx.out, *r);
  } else {
    ctx.out << terminal_safe(field(*r, "name")) << " (" << terminal_safe(field(*r, "id"))
            << "): " << terminal_safe(field(*r, "status")) << ", tags "
            << terminal_safe(field(*r, "tags")) << '\n';
  }
  return kExitOk;
}

}  // namespace

void add_device_commands(CLI::App& app, Context& ctx) {
  auto* device = app.add_subcommand("device", "manage devices");
  device->require_subcommand(1);

  {
    auto status = std::make_shared<std::string>();
    auto* sub = device->add_subcommand("list", "list devices");
    sub->add_option("--status", *status, "only devices in this state")
        ->check(CLI::IsMember({"pending", "active", "quarantined", "revoked", "expired"}));
    on_run(sub, ctx, [&ctx, status]() -> int {
      auto client = ctx.connect();
      if (!client) return ctx.fail(client.error());
      auto r = (*client)->call("GET", "/v1/admin/devices");
      if (!r) return ctx.fail(r.error());
      nlohmann::json devices = nlohmann::json::array();
      for (const auto& d : (*r)["devices"].is_array() ? (*r)["devices"] : nlohmann::json::array()) {
        if (status->empty() || field(d, "status") == *status) devices.push_back(d);
      }
      if (ctx.options.json) {
        print_json(ctx.out, {{"devices", devices}});
        return kExitOk;
      }
      Table t({"ID", "NAME", "STATUS", "USER/TAGS", "ADDRESSES", "OS", "LAST SEEN"});
      for (const auto& d : devices) {
        t.add_row({field(d, "id"), field(d, "name"), field(d, "status"), owner(d),
                   field(d, "addresses"), field(d, "os"), field(d, "last_seen")});
      }
      ctx.out << t.render();
      return kExitOk;
    });
  }

  {
    auto dev = std::make_shared<std::string>();
    auto* sub = device->add_subcommand("show", "show one device");
    sub->add_option("device", *dev, "device id or name")->required();
    on_run(sub, ctx, [&ctx, dev]() -> int {
      auto client = ctx.connect();
      if (!client) return ctx.fail(client.error());
      auto r = (*client)->call("GET", device_path(*dev));
      if (!r) return ctx.fail(r.error());
      if (ctx.options.json) {
        print_json(ctx.out, *r);
      } else {
        print_device(ctx, *r);
      }
      return kExitOk;
    });
  }

  for (const auto& [name, help] :
       {std::pair{"approve", "approve a pending device"},
        std::pair{"revoke", "revoke a device (final)"},
        std::pair{"quarantine", "cut a device off until unquarantined"},
        std::pair{"unquarantine", "return a quarantined device to active"},
        std::pair{"expire", "expire a device (it must enroll again)"}}) {
    struct Opts {
      std::string device, reason;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = device->add_subcommand(name, help);
    sub->add_option("device", o->device, "device id or name")->required();
    sub->add_option("--reason", o->reason, "recorded in the audit log");
    const std::string action = name;
    on_run(sub, ctx, [&ctx, o, action]() -> int {
      nlohmann::json body = nlohmann::json::object();
      if (!o->reason.empty()) body["reason"] = o->reason;
      return device_call(ctx, "POST", device_path(o->device, action), &body);
    });
  }

  {
    struct Opts {
      std::string device, name;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = device->add_subcommand("rename", "rename a device");
    sub->add_option("device", o->device, "device id or name")->required();
    sub->add_option("name", o->name, "the new name (a DNS label)")->required();
    on_run(sub, ctx, [&ctx, o]() -> int {
      const nlohmann::json body = {{"name", o->name}};
      return device_call(ctx, "POST", device_path(o->device, "rename"), &body);
    });
  }

  {
    struct Opts {
      std::string device;
      std::vector<std::string> tags;
      bool clear = false;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = device->add_subcommand("tag", "replace a device's tags");
    sub->add_option("device", o->device, "device id or name")->required();
    auto* tags = sub->add_option("tags", o->tags, "tag:NAME ...")->check(tag_validator());
    tags->excludes(sub->add_flag("--clear", o->clear, "remove every tag"));
    sub->callback([&ctx, o] {
      if (o->tags.empty() && !o->clear) {
        throw CLI::ValidationError("tags", "give at least one tag, or --clear to remove all");
      }
      ctx.action = [&ctx, o]() -> int {
        const nlohmann::json body = {{"tags", o->tags}};
        return device_call(ctx, "POST", device_path(o->device, "tags"), &body);
      };
    });
  }
}

}  // namespace ward::wardctl
