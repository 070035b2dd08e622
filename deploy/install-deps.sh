#!/usr/bin/env bash
# Installs, from Debian 12's archive only, every package Ward needs to build and test.
# Idempotent: when everything is present it changes nothing and touches no network.
# Usage: deploy/install-deps.sh [--with-vm]
#   --with-vm adds qemu, busybox-static, Debian's kernel image, cpio and kmod for the
#   kernel-backend VM test (tests/vm, ctest -L vm); scripts/test.sh always passes it.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git ca-certificates clang libclang-rt-14-dev
  # libraries Ward links
  libuv1-dev libssl-dev libcli11-dev catch2 nlohmann-json3-dev libhttp-parser-dev
  libsqlite3-dev libargon2-dev libmnl-dev libnftables-dev libspdlog-dev libqrencode-dev
  libbenchmark-dev
  # what the tests drive: real WireGuard peers, namespaces, filters, traffic
  wireguard-go wireguard-tools iproute2 nftables iperf3 iputils-ping netcat-openbsd
  sqlite3 procps psmisc jq oathtool openssl python3
)
if [[ "${1:-}" == "--with-vm" ]]; then
  packages+=(qemu-system-x86 busybox-static linux-image-amd64 cpio kmod)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then
    exec sudo -E "$0" "$@"
  fi
  echo "install-deps: missing packages (${missing[*]}) and not root; run as root or install sudo" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# --no-install-recommends: wireguard-tools would otherwise pull in a whole kernel image.
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
