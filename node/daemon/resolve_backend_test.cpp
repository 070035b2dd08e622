#include <catch2/catch.hpp>

#include "node/daemon/daemon.hpp"

using ward::node::daemon::resolve_auto_backend;
using ward::node::daemon::WgBackendKind;

TEST_CASE("auto backend: kernel module, else a userspace WireGuard already serving, else builtin",
          "[unit]") {
  CHECK(resolve_auto_backend(true, false) == WgBackendKind::kKernel);
  CHECK(resolve_auto_backend(true, true) == WgBackendKind::kKernel);
  // An earlier uapi run's wireguard-go still holds the interface and its tunnels: keep it.
  CHECK(resolve_auto_backend(false, true) == WgBackendKind::kUapi);
  CHECK(resolve_auto_backend(false, false) == WgBackendKind::kBuiltin);
}
