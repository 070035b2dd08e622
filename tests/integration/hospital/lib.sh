# shellcheck shell=bash
# The hospital harness: a Ward controller and six nodes in network namespaces on one
# bridged underlay, and the checks the scenarios (scenarios.sh) and the demo (demo.sh)
# share. Sourced, never run; needs bash 5 and root.
#
# Topology (every name carries this shell's pid, so a leftover never collides):
#   ward-<pid>-br     the underlay: bridge br0, one veth per host (v<idx>)
#   ward-<pid>-ctl    ward-controller on 192.0.2.1 / 2001:db8::1, port 8443; wardctl runs here
#   ward-<pid>-<node> one per node, eth0 = 192.0.2.<idx> / 2001:db8::<idx>, ward-node on
#                     interface wh<pid>n<idx> with Ward's own WireGuard engine (builtin)
#                     on the servers and the IT laptop, Debian's wireguard-go (uapi) on
#                     the other laptops (H_BACKEND; H_WG_BACKEND=uapi|builtin forces one)
# Nothing is created in the caller's namespace except files under $H_ROOT (a mktemp -d
# directory) and the engines' UAPI sockets in /var/run/wireguard (named after the
# interfaces). hosp_cleanup removes all of it and is installed as the EXIT/INT/TERM trap
# by hosp_setup_traps; it fails loudly when something could not be removed.
#
# Contracts for callers: call hosp_init (binaries, tools) then hosp_setup_traps before
# creating anything; every function returns non-zero (or dies via hosp_die) on failure;
# secrets (passwords, TOTP seeds, enrollment keys, the bootstrap token) live in shell
# variables only, reach child processes through stdin or the environment (never argv) and
# are never printed.

source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"

H_PID=$$
H_PREFIX="ward-${H_PID}"
H_ROOT=""
H_NS_BR="${H_PREFIX}-br"
H_NS_CTL="${H_PREFIX}-ctl"
H_CTL_ADDR4=192.0.2.1
H_CTL_ADDR6=2001:db8::1
H_CTL_URL="https://${H_CTL_ADDR4}:8443"
H_CTL_PID=""
H_CTL_LOG=""
H_CA=""
H_BOOT_TOKEN=""
H_NAMESPACES=()
H_PIDS=()       # every long-running process we started (controller, nodes, listeners)
H_IFACES=()     # WireGuard interface names (for their UAPI sockets)
H_FAILS=0
H_CHECKS=0
H_CLEANED=0
H_UP_MS=0

# The six nodes of the hospital, in order, with their underlay index.
H_NODES=(clin1-laptop clin2-laptop ehr-server pacs-server it-laptop vendor-laptop)
declare -A H_IDX=([clin1-laptop]=11 [clin2-laptop]=12 [ehr-server]=13 [pacs-server]=14
                  [it-laptop]=15 [vendor-laptop]=16)
# Users (email per laptop) and the services each node serves (every node serves SSH).
declare -A H_OWNER=([clin1-laptop]=dr.one@hospital.example [clin2-laptop]=dr.two@hospital.example
                    [it-laptop]=ann.it@hospital.example [vendor-laptop]=vic@vendor.example)
declare -A H_GROUP=([dr.one@hospital.example]=group:clinicians
                    [dr.two@hospital.example]=group:clinicians
                    [ann.it@hospital.example]=group:it [vic@vendor.example]=group:vendors)
declare -A H_TAG=([ehr-server]=tag:ehr [pacs-server]=tag:pacs)
declare -A H_PORTS=([ehr-server]="22 443" [pacs-server]="22 104 443")
# Served but left out of the matrix: the EHR's API port, which the policy-change scenarios
# open and close.
declare -A H_EXTRA_PORTS=([ehr-server]=8080)
# Which WireGuard each node runs. The mix puts every pairing in the matrix: Ward's engine
# against itself (it-laptop -> the servers), against wireguard-go (the clinicians' and the
# vendor's laptops -> the servers) and wireguard-go against itself (laptop to laptop).
# Devices the scenarios add later run the default, builtin.
declare -A H_BACKEND=([clin1-laptop]=uapi [clin2-laptop]=uapi [ehr-server]=builtin
                      [pacs-server]=builtin [it-laptop]=builtin [vendor-laptop]=uapi)
declare -A H_PASSWORD=() H_TOTP_SECRET=() H_KEY=()
declare -A N_NS=() N_IF=() N_SD=() N_LOG=() N_PID=() N_V4=() N_V6=() N_PUB=() N_ID=()

ADMIN_EMAIL=owner@hospital.example
ADMIN_PASSWORD=""
ADMIN_TOTP_SECRET=""
WG_GO=${WG_GO:-/usr/bin/wireguard-go}

# ---------------------------------------------------------------- output

hosp_log() { printf '%s\n' "$*"; }
hosp_step() { printf '\n== %s\n' "$*"; }
hosp_die() {
  printf 'hospital: FATAL: %s\n' "$*" >&2
  exit 1
}
pass() {
  H_CHECKS=$((H_CHECKS + 1))
  printf '  ok    %s\n' "$*"
}
fail() {
  H_CHECKS=$((H_CHECKS + 1))
  H_FAILS=$((H_FAILS + 1))
  printf '  FAIL  %s\n' "$*" >&2
}
check() { # check "description" command...
  local what=$1
  shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
now_ns() { date +%s%N; }
ms_since() { echo $((($(now_ns) - $1) / 1000000)); }

# ---------------------------------------------------------------- setup and teardown

# hosp_init BUILD_DIR: finds the binaries (or takes WARD_CONTROLLER_BIN, WARDCTL_BIN,
# WARD_NODE_BIN from the environment) and checks every tool the harness needs.
hosp_init() {
  local build=${1:-}
  WARD_CONTROLLER_BIN=${WARD_CONTROLLER_BIN:-${build:+$build/controller/server/ward-controller}}
  WARDCTL_BIN=${WARDCTL_BIN:-${build:+$build/controller/wardctl/wardctl}}
  WARD_NODE_BIN=${WARD_NODE_BIN:-${build:+$build/node/daemon/ward-node}}
  local b
  for b in "$WARD_CONTROLLER_BIN" "$WARDCTL_BIN" "$WARD_NODE_BIN"; do
    [[ -n $b && -x $b ]] || hosp_die "binary not found or not executable: '${b}' (pass the build directory or set WARD_CONTROLLER_BIN, WARDCTL_BIN, WARD_NODE_BIN)"
  done
  [[ $(id -u) -eq 0 ]] || hosp_die "must run as root (it creates network namespaces)"
  local missing=() t
  for t in ip nft wg "$WG_GO" nc jq oathtool openssl timeout ss; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  ((${#missing[@]} == 0)) || hosp_die "missing tools: ${missing[*]} (Debian: apt-get install --no-install-recommends iproute2 nftables wireguard-tools wireguard-go netcat-openbsd jq oathtool openssl coreutils)"
  [[ -c /dev/net/tun ]] || hosp_die "/dev/net/tun is missing: wireguard-go cannot create interfaces"
  H_ROOT=$(mktemp -d "/tmp/ward-hospital.${H_PID}.XXXXXX") || hosp_die "mktemp failed"
  chmod 0700 "$H_ROOT"
  H_CA="$H_ROOT/ca.pem"
  H_CTL_LOG="$H_ROOT/controller.log"
  mkdir -p "$H_ROOT/admin" "$H_ROOT/nodes"
}

hosp_setup_traps() {
  trap 'hosp_cleanup' EXIT
  trap 'echo "hospital: interrupted" >&2; exit 130' INT
  trap 'echo "hospital: terminated" >&2; exit 143' TERM
}

# Sends this shell SIGTERM (so the cleanup trap runs) after $1 seconds: a run that hangs
# still cleans up before an outer timeout (ctest's) kills it without a chance to.
hosp_watchdog() {
  local self=$$
  (
    trap - EXIT INT
    # Stopped by the cleanup: take the sleep along.
    trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
    sleep "$1" &
    sleeper=$!
    wait "$sleeper"
    echo "hospital: watchdog: still running after $1 s, stopping" >&2
    kill -TERM "$self"
  ) &
  H_PIDS+=($!)
}

# Stops a pid we started: SIGTERM, up to $2 seconds, then SIGKILL.
hosp_stop_pid() {
  local pid=$1 grace=${2:-5} i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || {
      wait "$pid" 2>/dev/null || true
      return 0
    }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# Removes everything this run created. Idempotent; exits non-zero if anything remains.
hosp_cleanup() {
  local rc=$?
  ((H_CLEANED)) && return $rc
  H_CLEANED=1
  # A second signal (an impatient Ctrl-C, timeout(1) signalling its whole group) must not
  # kill the cleanup halfway.
  trap "" INT TERM
  set +e
  local leftovers=() name pid ns
  # Nodes first, the polite way (tears down peers, filter table, wireguard-go, interface).
  for name in "${!N_PID[@]}"; do
    if [[ -n ${N_PID[$name]} ]] && kill -0 "${N_PID[$name]}" 2>/dev/null; then
      timeout -k 2 10 "$WARD_NODE_BIN" down --state-dir "${N_SD[$name]}" >/dev/null 2>&1
    fi
  done
  for pid in "${H_PIDS[@]}"; do hosp_stop_pid "$pid" 3; done
  # Anything still running inside our namespaces (wireguard-go children, probes) was
  # started by this run: kill it by pid.
  for ns in "${H_NAMESPACES[@]}"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
  done
  sleep 0.2
  for ns in "${H_NAMESPACES[@]}"; do
    # Ward's filter tables go with the namespace; delete them explicitly anyway so a
    # namespace kept alive by a stray reference holds no rules.
    for t in $(ip netns exec "$ns" nft list tables 2>/dev/null | awk '$2 == "inet" && $3 ~ /^ward_/ {print $3}'); do
      ip netns exec "$ns" nft delete table inet "$t" 2>/dev/null
    done
    ip netns del "$ns" 2>/dev/null
    [[ -e /run/netns/$ns ]] && leftovers+=("namespace $ns")
  done
  for name in "${H_IFACES[@]}"; do
    rm -f "/var/run/wireguard/${name}.sock"
    [[ -e /var/run/wireguard/${name}.sock ]] && leftovers+=("socket /var/run/wireguard/${name}.sock")
  done
  for pid in "${H_PIDS[@]}"; do
    kill -0 "$pid" 2>/dev/null && leftovers+=("process $pid")
  done
  if [[ -n $H_ROOT && -d $H_ROOT ]]; then
    if ((rc != 0)); then
      # For CI: what the daemons said last (their logs never contain secrets).
      local f
      for f in "$H_CTL_LOG" "$H_ROOT"/nodes/*.log; do
        [[ -s $f ]] || continue
        printf '\n--- last lines of %s\n' "${f##*/}" >&2
        tail -n 15 "$f" >&2
      done
    fi
    if [[ -n ${H_KEEP_LOGS:-} ]]; then
      mkdir -p "$H_KEEP_LOGS" && cp -r "$H_ROOT"/controller.log "$H_ROOT"/nodes/*.log "$H_KEEP_LOGS"/ 2>/dev/null
    fi
    rm -rf "$H_ROOT"
    [[ -e $H_ROOT ]] && leftovers+=("directory $H_ROOT")
  fi
  if ((${#leftovers[@]})); then
    printf 'hospital: CLEANUP FAILED, left behind: %s\n' "${leftovers[*]}" >&2
    ((rc == 0)) && rc=1
  else
    printf 'hospital: cleaned up (%d namespaces, %d processes, state in %s)\n' \
      "${#H_NAMESPACES[@]}" "${#H_PIDS[@]}" "$H_ROOT" >&2
  fi
  exit $rc
}

# Creates a namespace attached to the bridge with underlay index $2 (192.0.2.$2).
hosp_add_host() {
  local ns=$1 idx=$2
  ip netns add "$ns" || hosp_die "cannot create network namespace $ns (root with CAP_SYS_ADMIN needed; in a container, run it --privileged)"
  H_NAMESPACES+=("$ns")
  ip -n "$ns" link set lo up
  ip -n "$H_NS_BR" link add "v${idx}" type veth peer name eth0 netns "$ns"
  ip -n "$H_NS_BR" link set "v${idx}" master br0 up
  ip -n "$ns" addr add "192.0.2.${idx}/24" dev eth0
  ip -n "$ns" addr add "2001:db8::${idx}/64" dev eth0 nodad
  ip -n "$ns" link set eth0 up
}

hosp_topology_up() {
  ip netns add "$H_NS_BR" || hosp_die "cannot create network namespaces (root with CAP_SYS_ADMIN needed; in a container, run it --privileged)"
  H_NAMESPACES+=("$H_NS_BR")
  ip -n "$H_NS_BR" link set lo up
  ip -n "$H_NS_BR" link add br0 type bridge
  ip -n "$H_NS_BR" link set br0 up
  hosp_add_host "$H_NS_CTL" 1
  local name
  for name in "${H_NODES[@]}"; do hosp_node_define "$name" "${H_IDX[$name]}"; done
}

# Declares node $1 with underlay index $2 and creates its namespace.
hosp_node_define() {
  local name=$1 idx=$2
  N_NS[$name]="${H_PREFIX}-${name}"
  N_IF[$name]="wh${H_PID}n${idx}"
  N_SD[$name]="$H_ROOT/nodes/$name"
  N_LOG[$name]="$H_ROOT/nodes/$name.log"
  N_PID[$name]=""
  H_IFACES+=("${N_IF[$name]}")
  hosp_add_host "${N_NS[$name]}" "$idx"
}

# A listener that accepts TCP connections on every address (IPv4 and IPv6) of node $1.
hosp_listen() {
  local name=$1 port=$2
  ip netns exec "${N_NS[$name]}" nc -lk -6 :: "$port" </dev/null >/dev/null 2>&1 &
  H_PIDS+=($!)
}

hosp_start_services() {
  local name port
  for name in "${H_NODES[@]}"; do
    for port in ${H_PORTS[$name]:-22} ${H_EXTRA_PORTS[$name]:-}; do hosp_listen "$name" "$port"; done
  done
}

# ---------------------------------------------------------------- controller and wardctl

wctl() {
  ip netns exec "$H_NS_CTL" env -u XDG_CONFIG_HOME HOME="$H_ROOT/admin" WARD_CONTROLLER="$H_CTL_URL" \
    WARD_CA="$H_CA" "$WARDCTL_BIN" --timeout 20 "$@"
}

# The current code for a base32 seed; the seed goes through stdin, never argv.
totp_now() { printf '%s\n' "$1" | oathtool --totp -b -; }
secret_of_uri() { sed -n 's/.*[?&]secret=\([A-Z2-7]*\).*/\1/p' <<<"$1" | head -n1; }
new_password() { openssl rand -hex 12; }

hosp_controller_init() {
  local out
  out=$(ip netns exec "$H_NS_CTL" "$WARD_CONTROLLER_BIN" init --data-dir "$H_ROOT/controller" \
    --listen "${H_CTL_ADDR4}:8443" --name "$H_CTL_ADDR4" --name "$H_CTL_ADDR6" 2>&1) ||
    hosp_die "ward-controller init failed: $out"
  H_BOOT_TOKEN=$(grep -o 'wbt_[A-Za-z0-9_-]*' <<<"$out" | head -n1)
  [[ -n $H_BOOT_TOKEN ]] || hosp_die "no bootstrap token in the output of init"
  cp "$H_ROOT/controller/ca.pem" "$H_CA" || hosp_die "init wrote no ca.pem"
}

hosp_controller_start() {
  ip netns exec "$H_NS_CTL" "$WARD_CONTROLLER_BIN" serve --data-dir "$H_ROOT/controller" \
    --log-format json >>"$H_CTL_LOG" 2>&1 &
  H_CTL_PID=$!
  H_PIDS+=("$H_CTL_PID")
  local i
  for ((i = 0; i < 100; i++)); do
    if ip netns exec "$H_NS_CTL" ss -Htln "sport = :8443" | grep -q LISTEN; then return 0; fi
    kill -0 "$H_CTL_PID" 2>/dev/null || hosp_die "ward-controller exited: $(tail -n 5 "$H_CTL_LOG")"
    sleep 0.1
  done
  hosp_die "ward-controller does not listen after 10 s"
}

hosp_controller_kill9() {
  kill -KILL "$H_CTL_PID" 2>/dev/null
  wait "$H_CTL_PID" 2>/dev/null || true
}

# Bootstrap the owner: token and password on stdin, then the first TOTP code computed
# from the URI wardctl prints (the seed never leaves this shell).
hosp_bootstrap() {
  ADMIN_PASSWORD=$(new_password)
  local line uri="" rc
  coproc BOOT { wctl bootstrap --email "$ADMIN_EMAIL" --name "Hospital IT Owner" --no-qr --password-stdin 2>&1; }
  printf '%s\n%s\n' "$H_BOOT_TOKEN" "$ADMIN_PASSWORD" >&"${BOOT[1]}"
  while IFS= read -r -t 30 line <&"${BOOT[0]}"; do
    if [[ $line == *otpauth://* ]]; then
      uri=$(grep -o 'otpauth://[^[:space:]]*' <<<"$line")
      break
    fi
  done
  [[ -n $uri ]] || hosp_die "wardctl bootstrap printed no otpauth URI"
  ADMIN_TOTP_SECRET=$(secret_of_uri "$uri")
  printf '%s\n' "$(totp_now "$ADMIN_TOTP_SECRET")" >&"${BOOT[1]}"
  local rest
  rest=$(cat <&"${BOOT[0]}")
  wait "$BOOT_PID"
  rc=$?
  [[ $rc -eq 0 && $rest == *"TOTP confirmed"* ]] || hosp_die "wardctl bootstrap failed (exit $rc): $rest"
}

# Creates user $1 (member, in its group) with a random password; keeps the TOTP seed.
hosp_add_user() {
  local email=$1 out uri
  H_PASSWORD[$email]=$(new_password)
  out=$(printf '%s\n' "${H_PASSWORD[$email]}" |
    wctl user add "$email" --name "${email%%@*}" --role member --group "${H_GROUP[$email]}" \
      --no-qr --password-stdin 2>&1) || hosp_die "wardctl user add $email failed: $(grep -v otpauth <<<"$out")"
  uri=$(grep -o 'otpauth://[^[:space:]]*' <<<"$out" | head -n1)
  H_TOTP_SECRET[$email]=$(secret_of_uri "$uri")
  [[ -n ${H_TOTP_SECRET[$email]} ]] || hosp_die "wardctl user add $email printed no TOTP seed"
}

# Prints a new single-use, pre-approved enrollment key with tag $1 (never logged).
hosp_new_key() {
  local out
  out=$(wctl key create --tag "$1" --expires-in 1h 2>&1) || {
    printf 'wardctl key create failed: %s\n' "$out" >&2
    return 1
  }
  grep -o 'wek_[A-Za-z0-9_-]*' <<<"$out" | head -n1
}

# Audit entries as JSON lines: seq action target outcome details.
hosp_audit() { wctl --json audit list --all | jq -c '.entries[]'; }

# ---------------------------------------------------------------- nodes

hosp_node_cmd() {
  local name=$1
  NODE_CMD=(ip netns exec "${N_NS[$name]}" "$WARD_NODE_BIN" up --controller "$H_CTL_URL"
    --ca-file "$H_CA" --state-dir "${N_SD[$name]}" --iface "${N_IF[$name]}"
    --wg-backend "${H_WG_BACKEND:-${H_BACKEND[$name]:-builtin}}" --wireguard-go "$WG_GO"
    --listen-port 51820 --hostname "$name" --log-format json)
}

# hosp_node_up NAME [key KEY | login EMAIL PASSWORD CODE | ""]: starts ward-node in the
# node's namespace; the key goes through WARD_ENROLL_KEY, the login through stdin.
hosp_node_up() {
  local name=$1 how=${2:-}
  hosp_node_cmd "$name"
  case $how in
  key)
    WARD_ENROLL_KEY=$3 "${NODE_CMD[@]}" </dev/null >>"${N_LOG[$name]}" 2>&1 &
    ;;
  login)
    printf '%s\n%s\n' "$4" "$5" | "${NODE_CMD[@]}" --login "$3" >>"${N_LOG[$name]}" 2>&1 &
    ;;
  *)
    "${NODE_CMD[@]}" </dev/null >>"${N_LOG[$name]}" 2>&1 &
    ;;
  esac
  N_PID[$name]=$!
  H_PIDS+=("${N_PID[$name]}")
}

# ward-node status --json of node $1 (empty when the daemon does not answer).
node_status() { timeout 5 "$WARD_NODE_BIN" status --json --state-dir "${N_SD[$1]}" 2>/dev/null; }

# Waits until node $1 is enrolled and answers on its socket; fills N_ID, N_V4, N_V6, N_PUB.
hosp_node_wait_ready() {
  local name=$1 i st
  for ((i = 0; i < 300; i++)); do
    st=$(node_status "$name") && [[ -n $st ]] && break
    kill -0 "${N_PID[$name]}" 2>/dev/null || return 1
    sleep 0.1
  done
  [[ -n $st ]] || return 1
  N_ID[$name]=$(jq -r '.device.id' <<<"$st")
  N_PUB[$name]=$(jq -r '.device.wg_public_key' <<<"$st")
  N_V4[$name]=$(jq -r '.device.addresses[] | select(contains(".")) | sub("/.*"; "")' <<<"$st")
  N_V6[$name]=$(jq -r '.device.addresses[] | select(contains(":")) | sub("/.*"; "")' <<<"$st")
  [[ -n ${N_V4[$name]} && -n ${N_V6[$name]} && -n ${N_PUB[$name]} ]]
}

# Stops node $1 with `ward-node down` and waits for the daemon to exit.
hosp_node_down() {
  local name=$1
  timeout 15 "$WARD_NODE_BIN" down --state-dir "${N_SD[$name]}" >/dev/null 2>&1
  [[ -n ${N_PID[$name]} ]] && hosp_stop_pid "${N_PID[$name]}" 10
  N_PID[$name]=""
}

# Peers (public keys, sorted) in node $1's WireGuard interface.
wg_peers() { ip netns exec "${N_NS[$1]}" wg show "${N_IF[$1]}" peers 2>/dev/null | sort; }
# Whether node $1's interface lists node $2's key.
has_peer() { wg_peers "$1" | grep -qxF "${N_PUB[$2]}"; }
# Latest handshake (unix seconds, 0 = never) of node $1 with key $2.
handshake_of() {
  ip netns exec "${N_NS[$1]}" wg show "${N_IF[$1]}" latest-handshakes 2>/dev/null |
    awk -v k="$2" '$1 == k {print $2; found=1} END {if (!found) print 0}'
}

# ---------------------------------------------------------------- the hospital

# The policy file, optionally with the vendor rule's expiry replaced ($1, RFC 3339; empty
# keeps it), extra rules ($2, HuJSON text inserted first in acls) and the vendor's accept
# test dropped ($3 = drop) once the vendor rule has expired.
H_POLICY_SRC=""
hosp_policy_text() {
  local expires=${1:-} extra=${2:-} vendor_test=${3:-keep}
  local text
  text=$(cat "$H_POLICY_SRC")
  if [[ -n $expires ]]; then
    text=$(sed -E "s/\"expires\": \"[^\"]*\"/\"expires\": \"${expires}\"/" <<<"$text")
  fi
  if [[ -n $extra ]]; then
    text=$(awk -v extra="$extra" '{print} /"acls": \[/ {print "    " extra}' <<<"$text")
  fi
  if [[ $vendor_test == drop ]]; then
    text=$(sed '/{"src": "group:vendors"/d' <<<"$text")
  fi
  printf '%s\n' "$text"
}

# hosp_policy_set TEXT: writes it to a file in the controller namespace and applies it.
hosp_policy_set() {
  local f="$H_ROOT/admin/policy.$RANDOM.hujson" out
  printf '%s\n' "$1" >"$f"
  out=$(wctl policy set "$f" 2>&1) || {
    printf '%s\n' "$out" >&2
    return 1
  }
}

# Brings up the whole hospital: topology, controller, owner, users, six enrolled and
# approved nodes, services, the policy. $1 = the policy file.
hosp_up() {
  H_POLICY_SRC=$1
  local t0 name email
  t0=$(now_ns)
  hosp_step "Underlay: bridge + 7 namespaces (192.0.2.0/24, 2001:db8::/64)"
  hosp_topology_up
  hosp_step "Controller: init, serve on ${H_CTL_ADDR4}:8443, bootstrap the owner (password + TOTP)"
  hosp_controller_init
  hosp_controller_start
  hosp_bootstrap
  hosp_log "  owner $ADMIN_EMAIL logged in"
  hosp_step "Users: clinicians, IT, a vendor (each with a TOTP seed)"
  for email in dr.one@hospital.example dr.two@hospital.example ann.it@hospital.example vic@vendor.example; do
    hosp_add_user "$email"
    hosp_log "  $email (${H_GROUP[$email]})"
  done
  hosp_step "Enrollment: servers by tagged single-use keys, laptops by their user's password + TOTP"
  for name in ehr-server pacs-server; do
    H_KEY[$name]=$(hosp_new_key "${H_TAG[$name]}") || hosp_die "wardctl key create failed"
    hosp_node_up "$name" key "${H_KEY[$name]}"
  done
  for name in clin1-laptop clin2-laptop it-laptop vendor-laptop; do
    email=${H_OWNER[$name]}
    hosp_node_up "$name" login "$email" "${H_PASSWORD[$email]}" "$(totp_now "${H_TOTP_SECRET[$email]}")"
  done
  for name in "${H_NODES[@]}"; do
    hosp_node_wait_ready "$name" || hosp_die "$name did not enroll: $(tail -n 5 "${N_LOG[$name]}")"
    hosp_log "  $name enrolled as ${N_ID[$name]}: ${N_V4[$name]} ${N_V6[$name]}"
  done
  hosp_step "Approval of the laptops (enrolled by login, so pending)"
  for name in clin1-laptop clin2-laptop it-laptop vendor-laptop; do
    wctl device approve "$name" >/dev/null || hosp_die "approving $name failed"
    hosp_log "  approved $name"
  done
  hosp_start_services
  hosp_step "Policy: $(basename "$H_POLICY_SRC")"
  hosp_rules_default
  hosp_policy_set "$(hosp_policy_text "" "" keep)" || hosp_die "wardctl policy set refused the hospital policy"
  wait_until 20 peers_converged || hosp_die "the nodes' WireGuard peers did not converge to the policy in 20 s"
  H_UP_MS=$(ms_since "$t0")
  hosp_log "  all six nodes list exactly the peers the policy allows (hospital up in ${H_UP_MS} ms)"
}
