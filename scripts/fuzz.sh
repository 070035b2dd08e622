#!/usr/bin/env bash
# Builds every libFuzzer target (clang, ASan + UBSan) and runs each for a bounded time.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]     default 30; test.sh passes its own
#
# Seeds come from tests/fuzz/corpus/<target>/ when present; the run works on a copy, so the
# repository is never modified. A crash leaves its input in build/fuzz/artifacts/ and makes
# this script fail.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
jobs=${WARD_TEST_JOBS:-$(nproc)}

CC=clang CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DWARD_FUZZ=ON -DWARD_BUILD_TESTS=OFF >/dev/null
mapfile -t names < <(grep -v '^$' build/fuzz/fuzz_targets.txt | sort)
if ((${#names[@]} == 0)); then
  echo "fuzz.sh: no fuzz targets are defined" >&2
  exit 1
fi
cmake --build build/fuzz -j "$jobs" --target "${names[@]}"
targets=("${names[@]/#/build/fuzz/fuzz/}")

mkdir -p build/fuzz/artifacts
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
run_one() {
  local bin=$1 name corpus
  name=$(basename "$bin")
  corpus="$work/$name"
  mkdir -p "$corpus"
  if [[ -d tests/fuzz/corpus/$name ]]; then cp -r "tests/fuzz/corpus/$name/." "$corpus/"; fi
  if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="build/fuzz/artifacts/$name-" "$corpus" >"$work/$name.log" 2>&1; then
    printf 'fuzz: %-28s ok   %s\n' "$name" "$(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$work/$name.log" | grep -o '[0-9]*$') runs"
  else
    printf 'fuzz: %-28s FAILED\n' "$name"
    tail -n 40 "$work/$name.log"
    return 1
  fi
}
# Two at a time: each target is single-threaded.
pids=()
for t in "${targets[@]}"; do
  run_one "$t" & pids+=($!)
  if ((${#pids[@]} >= jobs)); then wait "${pids[0]}" || failed=1; pids=("${pids[@]:1}"); fi
done
for p in "${pids[@]}"; do wait "$p" || failed=1; done
if ((failed)); then echo "fuzz.sh: a fuzz target found a crash (inputs in build/fuzz/artifacts/)" >&2; exit 1; fi
echo "fuzz: ${#targets[@]} passed, 0 failed"
