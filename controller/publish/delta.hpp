// Wire-level differences between versions of one device's netmap, and their composition
// (a node reconnecting with an older serial gets every step it missed as one delta).
// Pure; thread-safe.
#pragma once

#include <deque>
#include <memory>

#include "controller/policy/netmap.hpp"
#include "controller/publish/wire.hpp"

namespace ward::publish {

// What a node holding `before` (with filter `before_filter`) must apply to hold `after`.
// Serials are left 0 for the caller. A peer whose public key changed is removed under the
// old key and added under the new one; a key that moves between peer ids is "changed".
// If the keepalive changed, every peer of `after` is upserted. empty() iff the two are
// wire-equal.
WireDelta wire_diff(const policy::Netmap& before, const WireFilter& before_filter,
                    const policy::Netmap& after, std::shared_ptr<const WireFilter> after_filter);

// Composes steps[from..end) (each step's base_serial is the previous step's serial) into
// one delta from steps[from].base_serial to steps.back().serial. Applying the result
// equals applying the steps in order. Precondition: from < steps.size().
WireDelta compose(const std::deque<WireDelta>& steps, std::size_t from);

}  // namespace ward::publish
