#include "node/reconcile/reconciler.hpp"

#include <cstdlib>

#include "node/reconcile/diff.hpp"

namespace ward::node {
namespace {

void keep_first(Status& first, Status s) {
  if (first.ok() && !s.ok()) first = std::move(s);
}

}  // namespace

Reconciler::Reconciler(Backends backends) : b_(backends) {
  if (!b_.wg || !b_.addresses || !b_.routes || !b_.filter) {
    detail::result_misuse("Reconciler needs all four backends");
  }
}

Status Reconciler::apply(const DesiredState& desired) {
  Status first;
  keep_first(first, apply_filter(desired.filter));
  keep_first(first, apply_wireguard(desired.wg));
  keep_first(first, apply_addresses(desired.addresses));
  keep_first(first, apply_routes(desired.routes));
  return first;
}

Status Reconciler::drop_all() {
  Status first;
  Status filter = apply_filter(FilterRules{});
  if (!filter) filter = filter.error().context("dropping all: emptying the filter");
  keep_first(first, std::move(filter));
  WgChange remove_all;
  remove_all.replace_peers = true;
  Status wg = b_.wg->apply(remove_all);
  if (!wg) wg = wg.error().context("dropping all: removing WireGuard peers");
  keep_first(first, std::move(wg));
  return first;
}

Status Reconciler::apply_filter(const FilterRules& rules) {
  if (applied_filter_ && *applied_filter_ == rules) return ok();
  applied_filter_.reset();
  WARD_RETURN_IF_ERROR(b_.filter->apply(rules));
  applied_filter_ = rules;
  return ok();
}

Status Reconciler::apply_wireguard(const WgConfig& wg) {
  auto actual = b_.wg->get();
  if (!actual) return actual.error().context("reading WireGuard state");
  WgChange change = diff_wireguard(wg, *actual);
  if (change.empty()) return ok();
  Status s = b_.wg->apply(change);
  if (!s) return s.error().context("applying WireGuard change");
  return ok();
}

Status Reconciler::apply_addresses(const std::vector<net::InterfaceAddress>& addresses) {
  Status first;
  auto up = b_.addresses->is_up();
  if (!up) {
    keep_first(first, up.error().context("reading link state"));
  } else if (!*up) {
    keep_first(first, b_.addresses->set_up());
  }
  auto actual = b_.addresses->list();
  if (!actual) {
    keep_first(first, actual.error().context("listing interface addresses"));
    return first;
  }
  auto d = diff_addresses(addresses, *actual);
  for (const auto& a : d.remove)
    keep_first(first, b_.addresses->remove(a));
  for (const auto& a : d.add)
    keep_first(first, b_.addresses->add(a));
  return first;
}

Status Reconciler::apply_routes(const std::vector<net::Prefix>& routes) {
  auto actual = b_.routes->list();
  if (!actual) return actual.error().context("listing routes");
  Status first;
  auto d = diff_routes(routes, *actual);
  for (const auto& r : d.remove)
    keep_first(first, b_.routes->remove(r));
  for (const auto& r : d.add)
    keep_first(first, b_.routes->add(r));
  return first;
}

}  // namespace ward::node
