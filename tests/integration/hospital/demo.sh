#!/usr/bin/env bash
# The Ward demo (README quick start, command 1; scripts/demo.sh runs it after building):
# starts the hospital of docs/hospital.md in network namespaces, shows the devices, the
# policy, a connectivity matrix checked with real packets and one device's netmap with
# --explain, then the status of every node every few seconds until Ctrl-C. Everything it
# made (namespaces, interfaces, processes, nftables tables, state) is removed on exit, on
# Ctrl-C and when a step fails.
#
# Usage (as root): demo.sh [BUILD_DIR] [--once] [--policy FILE]
#   BUILD_DIR  where ward-controller, wardctl and ward-node were built (default build/release)
#   --once     show everything once and exit (also the default when stdin is not a terminal);
#              exit status 1 if the matrix differs from the policy
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
source "$HERE/lib.sh"

BUILD=""
ONCE=0
POLICY=$REPO/deploy/examples/hospital.hujson
INTERVAL=${DEMO_INTERVAL:-5}
while (($#)); do
  case $1 in
  --once) ONCE=1 ;;
  --policy)
    POLICY=$2
    shift
    ;;
  -h | --help)
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *) BUILD=$1 ;;
  esac
  shift
done
[[ -t 0 ]] || ONCE=1
[[ -n $BUILD ]] || BUILD=$REPO/build/release
[[ $BUILD == /* ]] || BUILD=$PWD/$BUILD

hosp_init "$BUILD"
hosp_setup_traps
((ONCE)) && hosp_watchdog "${H_WATCHDOG_S:-270}"
# Ctrl-C is how the demo ends: clean up and exit 0.
trap 'printf "\nStopping the demo.\n" >&2; exit 0' INT

bold() { if [[ -t 1 ]]; then printf '\033[1m%s\033[0m\n' "$*"; else printf '%s\n' "$*"; fi; }
section() {
  printf '\n'
  bold "━━ $*"
}

section "Ward demo: a hospital in network namespaces"
cat <<'EOF'
One controller and six devices, each in its own network namespace on a private bridge
(192.0.2.0/24, 2001:db8::/64). Each device runs ward-node with userspace WireGuard;
the controller gives each one its own netmap: the peers it may talk to and what its
inbound filter admits. Nothing else is reachable.
EOF
hosp_up "$POLICY"

section "Devices (wardctl device list)"
wctl device list

section "Policy in force (wardctl policy get)"
# `wardctl policy get` escapes newlines on a terminal (reported); write the stored text to a
# file with -o and print it without control characters other than newline and tab.
wctl policy get -o "$H_ROOT/admin/current.hujson" >/dev/null &&
  tr -d '\000-\010\013-\037\177' <"$H_ROOT/admin/current.hujson"

section "Connectivity, checked with real TCP connections through the tunnels"
cat <<'EOF'
  ✓            the connection succeeds
  ✗ filter     the tunnel exists, the destination's inbound filter drops the SYN
  ✗ no tunnel  the two devices are not each other's WireGuard peers at all
EOF
matrix_ok=1
hosp_matrix 4 || matrix_ok=0
hosp_matrix 6 || matrix_ok=0
if ((matrix_ok)); then
  printf '\nEvery cell matches the policy.\n'
else
  printf '\nSome cells differ from the policy (marked "want"): this is a bug in Ward.\n'
fi

section "Why pacs-server has the peers and filter it has (wardctl netmap pacs-server --explain)"
wctl netmap pacs-server --explain

node_table() {
  printf '%-14s %-22s %-9s %-14s %-19s %-6s %s\n' NODE STATE CONNECTED "NETMAP SERIAL" "PEERS (handshaken)" RULES DROPPED
  local n st
  for n in "${H_NODES[@]}"; do
    st=$(node_status "$n")
    if [[ -z $st ]]; then
      printf '%-14s %s\n' "$n" "(not answering)"
      continue
    fi
    jq -r --arg n "$n" '[$n, (.state // "-"), (.controller.connected // false | tostring),
        (.controller.last_serial // "-" | tostring),
        ("\(.peers | length) (\([.peers[] | select((.last_handshake // 0) > 0)] | length))"),
        (.filter.accept_rules // "-" | tostring), (.filter.dropped_packets // "-" | tostring)]
        | "\(.[0])\t\(.[1])\t\(.[2])\t\(.[3])\t\(.[4])\t\(.[5])\t\(.[6])"' <<<"$st" |
      awk -F'\t' '{printf "%-14s %-22s %-9s %-14s %-19s %-6s %s\n", $1, $2, $3, $4, $5, $6, $7}'
  done
}

section "Node status (ward-node status on every node)"
node_table
if ((ONCE)); then
  printf '\nDone (--once). Cleaning up.\n'
  ((matrix_ok)) || exit 1
  exit 0
fi
printf '\nThe hospital stays up; the status refreshes every %s s. Press Ctrl-C to stop and remove everything.\n' "$INTERVAL"
printf 'Meanwhile, from another terminal, wardctl as the hospital owner:\n  ip netns exec %s env HOME=%s WARD_CONTROLLER=%s WARD_CA=%s %s device list\n' \
  "$H_NS_CTL" "$H_ROOT/admin" "$H_CTL_URL" "$H_CA" "$WARDCTL_BIN"
while true; do
  sleep "$INTERVAL"
  section "Node status at $(date +%H:%M:%S)"
  node_table
done
