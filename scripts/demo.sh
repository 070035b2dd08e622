#!/usr/bin/env bash
# README quick start, command 1: install what is missing, build, and show Ward working.
#
# Starts the hospital of docs/hospital.md (a controller and six ward-node devices in
# network namespaces), shows the devices, the policy, a connectivity matrix checked with
# real packets and one device's netmap, then every node's status until Ctrl-C; cleans up
# everything it made on exit, on Ctrl-C and on failure. Needs root (namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release -j "$(nproc)"

exec tests/integration/hospital/demo.sh build/release "$@"
