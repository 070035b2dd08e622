#include "node/filter/nft_backend.hpp"

#include <memory>

#include <nftables/libnftables.h>
#include <nlohmann/json.hpp>

#include "node/filter/render.hpp"

namespace ward::node::filter {
namespace {

struct CtxFree {
  void operator()(nft_ctx* c) const { nft_ctx_free(c); }
};

}  // namespace

Result<std::string> run_nft(const std::string& script, bool json_output) {
  std::unique_ptr<nft_ctx, CtxFree> ctx(nft_ctx_new(NFT_CTX_DEFAULT));
  if (!ctx) return Error::internal("nft_ctx_new failed");
  if (json_output) nft_ctx_output_set_flags(ctx.get(), NFT_CTX_OUTPUT_JSON);
  if (nft_ctx_buffer_output(ctx.get()) != 0 || nft_ctx_buffer_error(ctx.get()) != 0)
    return Error::internal("nft: cannot buffer output");
  const int rc = nft_run_cmd_from_buffer(ctx.get(), script.c_str());
  const char* out = nft_ctx_get_output_buffer(ctx.get());
  const char* err = nft_ctx_get_error_buffer(ctx.get());
  if (rc != 0) {
    std::string msg = err ? err : "";
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' '))
      msg.pop_back();
    if (msg.find("No such file or directory") != std::string::npos)
      return Error::not_found("nft: " + msg.substr(0, 512));
    return Error::io("nft: " + msg.substr(0, 512));
  }
  return std::string(out ? out : "");
}

Status NftFilterBackend::apply(const FilterRules& rules) {
  WARD_ASSIGN_OR_RETURN(std::string script, render_ruleset(iface_, rules));
  auto r = run_nft(script);
  if (!r) return r.error().context("replacing Ward's filter on " + iface_);
  return ok();
}

Status NftFilterBackend::remove() {
  WARD_ASSIGN_OR_RETURN(std::string script, render_remove(iface_));
  auto r = run_nft(script);
  if (!r) return r.error().context("removing Ward's filter on " + iface_);
  return ok();
}

Result<FilterStats> NftFilterBackend::stats() {
  WARD_ASSIGN_OR_RETURN(std::string table, table_name(iface_));
  WARD_ASSIGN_OR_RETURN(std::string out, run_nft("list table inet " + table, true));
  auto j = nlohmann::json::parse(out, nullptr, false);
  if (j.is_discarded() || !j.contains("nftables") || !j["nftables"].is_array())
    return Error::corruption("nft returned unreadable JSON");
  FilterStats st;
  try {
    for (const auto& item : j["nftables"]) {
      if (!item.contains("rule")) continue;
      const auto& rule = item["rule"];
      if (rule.value("chain", "") != "ward_in") continue;
      const auto& expr = rule.at("expr");
      bool accept = false;
      bool ct = false;
      for (const auto& e : expr) {
        if (e.contains("accept")) accept = true;
        if (e.contains("match") && e["match"].at("left").contains("ct")) ct = true;
      }
      if (accept && !ct) ++st.accept_rules;
      if (rule.value("comment", "") == "ward: default drop") {
        for (const auto& e : expr) {
          if (e.contains("counter")) {
            st.dropped_packets = e["counter"].value("packets", std::uint64_t{0});
            st.dropped_bytes = e["counter"].value("bytes", std::uint64_t{0});
          }
        }
      }
    }
  } catch (const std::exception& e) {
    return Error::corruption(std::string("nft JSON: ") + e.what());
  }
  return st;
}

}  // namespace ward::node::filter
