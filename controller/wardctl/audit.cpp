// wardctl audit list|verify|export: read and check the tamper-evident audit log.
#include <fstream>

#include "controller/wardctl/api_error.hpp"
#include "controller/wardctl/cli.hpp"
#include "controller/wardctl/output.hpp"
#include "controller/wardctl/table.hpp"

namespace ward::wardctl {
namespace {

std::string actor(const nlohmann::json& e) {
  const auto& a = e.contains("actor") ? e["actor"] : nlohmann::json();
  if (!a.is_object()) return field(e, "actor");
  const std::string kind = field(a, "kind");
  const std::string name = field(a, "name");
  return kind == "system" ? name : kind + ":" + name;
}

}  // namespace

void add_audit_commands(CLI::App& app, Context& ctx) {
  auto* audit = app.add_subcommand("audit", "read and verify the audit log");
  audit->require_subcommand(1);

  {
    struct Opts {
      std::int64_t after = 0;
      int limit = 100;
      bool all = false;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = audit->add_subcommand("list", "list audit entries, oldest first");
    sub->add_option("--after", o->after, "start after this sequence number")
        ->check(CLI::NonNegativeNumber);
    sub->add_option("--limit", o->limit, "entries per page")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    sub->add_flag("--all", o->all, "follow pages to the end of the log");
    on_run(sub, ctx, [&ctx, o]() -> int {
      auto client = ctx.connect();
      if (!client) return ctx.fail(client.error());
      nlohmann::json entries = nlohmann::json::array();
      std::int64_t after = o->after;
      nlohmann::json next = nullptr;
      for (int page = 0; page < 100000; ++page) {
        auto r = (*client)->call("GET", "/v1/admin/audit?after=" + std::to_string(after) +
                                            "&limit=" + std::to_string(o->limit));
        if (!r) return ctx.fail(r.error());
        if ((*r)["entries"].is_array()) {
          for (auto& e : (*r)["entries"])
            entries.push_back(std::move(e));
        }
        next = (*r).contains("next") ? (*r)["next"] : nlohmann::json(nullptr);
        if (!o->all || !next.is_number_integer() || next.get<std::int64_t>() <= after) break;
        after = next.get<std::int64_t>();
      }
      if (ctx.options.json) {
        print_json(ctx.out, {{"entries", entries}, {"next", next}});
        return kExitOk;
      }
      Table t({"SEQ", "TIME", "ACTOR", "SOURCE", "ACTION", "TARGET", "OUTCOME"});
      for (const auto& e : entries) {
        t.add_row({field(e, "seq"), field(e, "time"), actor(e), field(e, "source"),
                   field(e, "action"), field(e, "target"), field(e, "outcome")});
      }
      ctx.out << t.render();
      if (!o->all && next.is_number_integer()) {
        ctx.out << "(more: wardctl audit list --after " << next.get<std::int64_t>() << ")\n";
      }
      return kExitOk;
    });
  }

  {
    auto* sub = audit->add_subcommand(
        "verify", "re-check the whole hash chain and signed checkpoints (exit 1 if broken)");
    on_run(sub, ctx, [&ctx]() -> int {
      auto client = ctx.connect();
      if (!client) return ctx.fail(client.error());
      auto r = (*client)->call("GET", "/v1/admin/audit/verify");
      if (!r) return ctx.fail(r.error());
      const bool good = r->is_object() && (*r)["ok"].is_boolean() && (*r)["ok"].get<bool>();
      if (ctx.options.json) {
        print_json(ctx.out, *r);
      } else if (good) {
        ctx.out << "Audit log verified: " << field(*r, "entries") << " entries, "
                << field(*r, "checkpoints") << " checkpoints, no problems.\n";
      } else {
        ctx.out << "AUDIT LOG VERIFICATION FAILED (" << field(*r, "entries") << " entries, "
                << field(*r, "checkpoints") << " checkpoints):\n";
        if ((*r)["problems"].is_array()) {
          for (const auto& p : (*r)["problems"])
            ctx.out << "  " << terminal_safe(text_of(p)) << '\n';
        }
      }
      return good ? kExitOk : kExitFailed;
    });
  }

  {
    struct Opts {
      std::string format = "jsonl";
      std::string output;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = audit->add_subcommand("export", "export every entry as JSON lines (for SIEMs)");
    sub->add_option("--format", o->format, "export format")
        ->check(CLI::IsMember({"jsonl"}))
        ->capture_default_str();
    sub->add_option("--output,-o", o->output, "write to FILE instead of stdout");
    on_run(sub, ctx, [&ctx, o]() -> int {
      auto client = ctx.connect();
      if (!client) return ctx.fail(client.error());
      std::ofstream file;
      std::ostream* out = &ctx.out;
      if (!o->output.empty()) {
        file.open(o->output, std::ios::binary | std::ios::trunc);
        if (!file) return ctx.fail(Error::io("cannot open " + quote(o->output, 200)));
        out = &file;
      }
      Status s = (*client)->download("/v1/admin/audit/export", [out](std::string_view d) -> Status {
        out->write(d.data(), static_cast<std::streamsize>(d.size()));
        if (!*out) return Error::io("writing the export failed");
        return ok();
      });
      out->flush();
      if (!s) return ctx.fail(s.error());
      return kExitOk;
    });
  }
}

}  // namespace ward::wardctl
