#include "controller/wardctl/policy_render.hpp"

#include "controller/wardctl/api_error.hpp"
#include "controller/wardctl/output.hpp"
#include "controller/wardctl/table.hpp"

namespace ward::wardctl {
namespace {

const nlohmann::json& member(const nlohmann::json& j, const char* key) {
  static const nlohmann::json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

void lines(std::string& out, const nlohmann::json& list, std::string_view prefix) {
  if (!list.is_array()) return;
  for (const auto& e : list)
    out += std::string(prefix) + terminal_safe(text_of(e)) + "\n";
}

std::string ports_text(const nlohmann::json& f) {
  const auto& p = member(f, "ports");
  if (p.is_string()) return p.get<std::string>();
  if (!p.is_array()) return "-";
  if (p.empty()) return "-";
  std::string s;
  for (const auto& r : p) {
    if (!s.empty()) s += ",";
    if (r.is_array() && r.size() == 2) {
      s += r[0].dump();
      if (r[0] != r[1]) s += "-" + r[1].dump();
    } else {
      s += text_of(r);
    }
  }
  return s;
}

std::string protos_text(const nlohmann::json& f) {
  if (const auto& p = member(f, "protos"); !p.is_null()) return text_of(p);
  return text_of(member(f, "proto"));
}

std::string why_text(const nlohmann::json& why) {
  if (why.is_string()) return why.get<std::string>();
  if (!why.is_array()) return text_of(why);
  std::string s;
  for (const auto& w : why) {
    if (!s.empty()) s += "; ";
    if (w.is_object()) {
      s += text_of(member(w, "rule"));
      if (member(w, "direction").is_string()) s += " " + member(w, "direction").get<std::string>();
    } else {
      s += text_of(w);
    }
  }
  return s;
}

}  // namespace

std::string render_check(const nlohmann::json& c) {
  std::string out;
  const auto& errors = member(c, "errors");
  if (errors.is_array() && !errors.empty()) {
    out += "Errors:\n";
    lines(out, errors, "  ");
  }
  const auto& warnings = member(c, "warnings");
  if (warnings.is_array() && !warnings.empty()) {
    out += "Warnings:\n";
    lines(out, warnings, "  ");
  }
  const auto& tests = member(c, "tests");
  if (tests.is_object()) {
    const auto& failed = member(tests, "failed");
    out += "Tests: " + text_of(member(tests, "passed")) + " passed, " +
           std::to_string(failed.is_array() ? failed.size() : 0) + " failed\n";
    lines(out, failed, "  FAIL ");
  }
  const auto& changes = member(c, "changes");
  if (changes.is_array()) {
    if (changes.empty()) {
      out += "Changes: none\n";
    } else {
      out += "Changes:\n";
      Table t({"DEVICE", "PEERS ADDED", "PEERS REMOVED"});
      for (const auto& ch : changes) {
        t.add_row({field(ch, "device"), field(ch, "peers_added"), field(ch, "peers_removed")});
      }
      out += t.render();
    }
  }
  out += member(c, "ok").is_boolean() && member(c, "ok").get<bool>() ? "OK\n" : "NOT OK\n";
  return out;
}

std::string render_failures(const nlohmann::json& body) {
  std::string out;
  const nlohmann::json* list = nullptr;
  for (const auto* key : {"failed", "failures"}) {
    if (member(body, key).is_array()) list = &member(body, key);
  }
  if (list == nullptr && member(member(body, "tests"), "failed").is_array()) {
    list = &member(member(body, "tests"), "failed");
  }
  if (list != nullptr) {
    lines(out, *list, "  FAIL ");
  } else if (member(member(body, "error"), "message").is_string()) {
    out += "  " + terminal_safe(member(member(body, "error"), "message").get<std::string>()) + "\n";
  }
  return out;
}

std::string render_decision(const nlohmann::json& d) {
  std::string out = terminal_safe(field(d, "decision"));
  const auto& rule = member(d, "rule");
  if (rule.is_string()) {
    out += " (" + terminal_safe(rule.get<std::string>()) + ")";
  } else if (member(d, "reason").is_string() && !member(d, "reason").get<std::string>().empty()) {
    out += " (" + terminal_safe(member(d, "reason").get<std::string>()) + ")";
  } else if (field(d, "decision") == "deny") {
    out += " (no rule matches)";
  }
  out += "\n";
  const auto& pairs = member(d, "pairs");
  if (pairs.is_array() && pairs.size() > 1) {
    Table t({"SRC", "DST", "DECISION", "WHY"});
    for (const auto& p : pairs) {
      t.add_row({field(p, "src"), field(p, "dst"), field(p, "decision"),
                 member(p, "rule").is_string() ? field(p, "rule") : field(p, "reason")});
    }
    out += t.render();
  }
  return out;
}

std::string render_netmap(const nlohmann::json& m, bool explain) {
  std::string out;
  const auto& self = member(m, "self");
  out += render_fields({{"Device", field(self, "name") + " (" + field(self, "id") + ")"},
                        {"Status", field(self, "status")},
                        {"User", field(self, "user")},
                        {"Tags", field(self, "tags")},
                        {"Addresses", field(self, "addresses")},
                        {"Serial", field(m, "serial")}});
  const auto& peers = member(m, "peers");
  out += "\nPeers (" + std::to_string(peers.is_array() ? peers.size() : 0) + "):\n";
  std::vector<std::string> ph = {"NAME", "ID", "ALLOWED IPS", "ENDPOINTS"};
  if (explain) ph.push_back("WHY");
  Table pt(ph);
  if (peers.is_array()) {
    for (const auto& p : peers) {
      std::vector<std::string> row = {field(p, "name"), field(p, "id"), field(p, "allowed_ips"),
                                      field(p, "endpoints")};
      if (explain) row.push_back(why_text(member(p, "why")));
      pt.add_row(std::move(row));
    }
  }
  out += pt.render();
  const auto& filter = member(m, "filter");
  const auto& inbound = filter.is_array() ? filter : member(filter, "inbound");
  out += "\nInbound filter (" + std::to_string(inbound.is_array() ? inbound.size() : 0) +
         " rules; anything else is dropped):\n";
  std::vector<std::string> fh = {"SOURCES", "PROTOCOLS", "PORTS"};
  if (explain) fh.push_back("WHY");
  Table ft(fh);
  if (inbound.is_array()) {
    for (const auto& f : inbound) {
      std::vector<std::string> row = {field(f, "src"), protos_text(f), ports_text(f)};
      if (explain) row.push_back(why_text(member(f, "why")));
      ft.add_row(std::move(row));
    }
  }
  out += ft.render();
  return out;
}

}  // namespace ward::wardctl
