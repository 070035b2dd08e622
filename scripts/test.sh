#!/usr/bin/env bash
# README quick start, command 2: install what is missing, build, run every test.
#
#   1. deploy/install-deps.sh         Debian packages only, idempotent
#   2. build/release  (RelWithDebInfo) and build/asan (ASan + UBSan), each built once
#   3. unit tests in both builds, in parallel
#   4. every fuzz target (clang, libFuzzer) for WARD_FUZZ_SECONDS each (default 20)
#   5. integration tests (network namespaces, real traffic) in the release build: root only
#   6. the kernel-backend VM test (qemu + Debian's kernel, ctest -L vm): root only
#
# Environment: WARD_TEST_JOBS (default: nproc), WARD_SKIP_ASAN=1 to skip the sanitizer
# build for a quick local loop (CI never sets it).
set -euo pipefail
cd "$(dirname "$0")/.."

deploy/install-deps.sh --with-vm

jobs=${WARD_TEST_JOBS:-$(nproc)}
configure_and_build() {
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
}

step() { printf '\n== %s\n' "$*"; }

step "release build"
configure_and_build build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo
step "unit tests (release)"
ctest --test-dir build/release -L unit -j "$jobs" --output-on-failure

if [[ "${WARD_SKIP_ASAN:-0}" != 1 ]]; then
  step "sanitizer build (ASan + UBSan)"
  configure_and_build build/asan -DCMAKE_BUILD_TYPE=Debug -DWARD_SANITIZE=ON
  step "unit tests (ASan + UBSan)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build/asan -L unit -j "$jobs" --output-on-failure
fi

step "fuzz targets (libFuzzer, ${WARD_FUZZ_SECONDS:-20} s each)"
scripts/fuzz.sh "${WARD_FUZZ_SECONDS:-20}"

if [[ $(id -u) -eq 0 ]]; then
  step "integration tests (network namespaces)"
  if ctest --test-dir build/release -N -L integration | grep -q 'Total Tests: 0'; then
    echo "no integration tests are defined yet"
  else
    ctest --test-dir build/release -L integration --output-on-failure
  fi
  step "VM test: kernel WireGuard backend under qemu (Debian's kernel, TCG)"
  ctest --test-dir build/release -L vm --output-on-failure
elif [[ "${CI:-}" == true ]]; then
  echo "test.sh: CI must run as root: the integration tests create network namespaces" >&2
  exit 1
else
  echo "test.sh: not root, so the network-namespace integration tests were skipped" >&2
fi
