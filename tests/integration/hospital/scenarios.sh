#!/usr/bin/env bash
# The hospital end to end (issue 6): a controller and six nodes in network namespaces,
# every scenario checked with real packets over the IPv4 and the IPv6 overlay, and the
# measured times (median and worst of at least 5 repetitions).
#
# Usage (as root): scenarios.sh BUILD_DIR [POLICY_FILE]
#   or set WARD_CONTROLLER_BIN, WARDCTL_BIN, WARD_NODE_BIN and pass no BUILD_DIR.
# Environment: H_REPS (repetitions, default 5), H_TIME_BOUND_MS (default 5000: a worst case
# above it fails the run), H_SCENARIOS (a subset, see ALL_SCENARIOS), H_KEEP_LOGS=DIR (copy
# the controller's and nodes' logs there), H_WATCHDOG_S (default 840: stop and clean up
# after that long; ctest's TIMEOUT is 900).
# Exit 0 when every check passed and everything was cleaned up.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
source "$HERE/lib.sh"

BUILD=${1:-}
POLICY=${2:-$REPO/deploy/examples/hospital.hujson}
REPS=${H_REPS:-5}
RUN_T0=$(now_ns)

hosp_init "$BUILD"
hosp_setup_traps
hosp_watchdog "${H_WATCHDOG_S:-840}"
[[ -r $POLICY ]] || hosp_die "policy file not found: $POLICY"

# ------------------------------------------------------------------ helpers

rfc3339_in() { date -u -d "@$(($(date +%s) + $1))" +%Y-%m-%dT%H:%M:%SZ; }

# The extra rule the policy-change scenario adds and removes (port 8080 is named nowhere
# else, so the policy's tests hold with and without it).
RULE_API='{"action": "accept", "src": ["group:clinicians"], "dst": ["tag:ehr:8080"], "proto": "tcp"},'
RULE_VENDOR_EHR='{"action": "accept", "src": ["group:vendors"], "dst": ["tag:ehr:8080"], "proto": "tcp"},'
VENDOR_EXPIRY=""     # set once the time-bound scenario has run
VENDOR_TEST=keep

not() { ! "$@"; }
# The sorted peer keys of node $1's netmap as the controller computes it.
netmap_keys() { wctl --json netmap "$1" | jq -r '.peers[].public_key' | sort; }

policy_with() { hosp_policy_text "$VENDOR_EXPIRY" "${1:-}" "$VENDOR_TEST"; }

# No node lists key $1 any more.
key_gone_everywhere() {
  local n
  for n in "${!N_NS[@]}"; do
    [[ -n ${N_PID[$n]} ]] || continue
    wg_peers "$n" | grep -qxF "$1" && return 1
  done
  return 0
}
# Every active, running node holds a stream to the controller.
all_connected() {
  local n
  for n in "${H_NODES[@]}"; do
    { active "$n" && [[ -n ${N_PID[$n]} ]]; } || continue
    [[ $(node_status "$n" | jq -r .controller.connected) == true ]] || return 1
  done
}

# wait_cutoff SRC DST PORT CUT: polls until CUT's key (CUT is SRC or DST) is on no node and
# SRC cannot connect to DST; prints ms from $T0 (a global the caller sets right after the
# command returned) to the start of the first poll that found both.
wait_cutoff() {
  local src=$1 dst=$2 port=$3 key=${N_PUB[$4]} a=${N_V4[$2]} start
  local deadline=$(($(now_ns) + 15000000000))
  while (($(now_ns) < deadline)); do
    start=$(now_ns)
    if key_gone_everywhere "$key" && ! fast_ok "$src" "$a" "$port"; then
      echo $(((start - T0) / 1000000))
      return 0
    fi
    sleep 0.02
  done
  return 1
}

# wait_connect SRC ADDR PORT [TIMEOUT_S]: starts a connection attempt every 25 ms (each
# allowed 1 s) until one succeeds; prints ms from $T0 to the start of the earliest attempt
# that succeeded. Overlapping attempts keep the resolution at ~25 ms: a sequential loop
# would lose a whole attempt timeout whenever the path opens during an attempt.
wait_connect() {
  local deadline=$(($(now_ns) + ${4:-15} * 1000000000)) dir pids=() start first
  dir=$(mktemp -d "$H_ROOT/probe.XXXXXX")
  while (($(now_ns) < deadline)); do
    start=$(now_ns)
    (ip netns exec "${N_NS[$1]}" timeout 1 nc -z -w 1 "$2" "$3" >/dev/null 2>&1 &&
      : >"$dir/$start") &
    pids+=($!)
    compgen -G "$dir/*" >/dev/null && break
    sleep 0.025
  done
  wait "${pids[@]}"
  first=$(find "$dir" -type f -printf '%f\n' | sort -n | head -n1)
  rm -rf "$dir"
  [[ -n $first ]] || return 1
  echo $(((first - T0) / 1000000))
}

# wait_refused SRC ADDR PORT: polls until an attempt fails; prints ms from $T0 to the start
# of the first failing attempt.
wait_refused() {
  local deadline=$(($(now_ns) + 15000000000)) start
  while (($(now_ns) < deadline)); do
    start=$(now_ns)
    if ! fast_ok "$1" "$2" "$3"; then
      echo $(((start - T0) / 1000000))
      return 0
    fi
    sleep 0.02
  done
  return 1
}

audit_seq() { wctl --json audit list --all | jq '[.entries[].seq] | max // 0'; }
# audit_has AFTER_SEQ JQ_FILTER: some entry after AFTER_SEQ matches the filter.
audit_has() {
  wctl --json audit list --all --after "$1" |
    jq -e "[.entries[] | select($2)] | length > 0" >/dev/null
}

# ------------------------------------------------------------------ scenarios

scenario_matrix() {
  hosp_step "Scenario: the connectivity matrix matches the policy (IPv4 and IPv6)"
  local n fam
  check "every node's wg show lists exactly the peers the policy implies (harness model)" peers_converged
  for n in "${H_NODES[@]}"; do
    local names=() o
    for o in "${H_NODES[@]}"; do has_peer "$n" "$o" && names+=("$o"); done
    check "$n: wg show lists exactly the peers of its netmap (wardctl netmap): ${names[*]:-(none)}" \
      test "$(wg_peers "$n")" = "$(netmap_keys "$n")"
  done
  for fam in 4 6; do
    if hosp_matrix "$fam"; then pass "matrix over IPv$fam matches the policy"; else fail "matrix over IPv$fam differs from the policy (cells marked 'want')"; fi
  done
  # The assertions one by one, with the filter's drop counter, for the interesting cells.
  for fam in 4 6; do
    assert_tcp_ok clin1-laptop ehr-server 443 "$fam"
    assert_tcp_ok clin2-laptop pacs-server 443 "$fam"
    assert_tcp_ok it-laptop ehr-server 22 "$fam"
    assert_tcp_ok it-laptop clin1-laptop 22 "$fam"
    assert_tcp_ok vendor-laptop pacs-server 104 "$fam"
    assert_tcp_blocked clin1-laptop ehr-server 22 "$fam"
    assert_tcp_blocked clin1-laptop pacs-server 104 "$fam"
    assert_tcp_blocked it-laptop ehr-server 443 "$fam"
    assert_tcp_blocked vendor-laptop pacs-server 443 "$fam"
    assert_tcp_blocked ehr-server clin1-laptop 22 "$fam"
    assert_no_tunnel clin1-laptop clin2-laptop "$fam"
    assert_no_tunnel vendor-laptop ehr-server "$fam" 443
    assert_no_tunnel ehr-server pacs-server "$fam" 443
  done
  # Pings: the clinicians' rule has no proto (ICMP allowed); IT's and the vendor's are TCP.
  check "ping clin1-laptop -> ehr-server (IPv4) answers" ping_ok clin1-laptop "${N_V4[ehr-server]}"
  check "ping clin1-laptop -> ehr-server (IPv6) answers" ping_ok clin1-laptop "${N_V6[ehr-server]}"
  check "ping vendor-laptop -> pacs-server (IPv4) is dropped (TCP-only rule)" \
    not ping_ok vendor-laptop "${N_V4[pacs-server]}" 1
  check "ping it-laptop -> ehr-server (IPv6) is dropped (TCP-only rule)" \
    not ping_ok it-laptop "${N_V6[ehr-server]}" 1
  check "ping clin1-laptop -> clin2-laptop (IPv4) fails: no tunnel" \
    not ping_ok clin1-laptop "${N_V4[clin2-laptop]}" 1
}

# A device that is not in another's netmap cannot handshake with it, even if it configures
# the peer itself (a compromised laptop that knows the server's key and underlay address).
scenario_forced_handshake() {
  hosp_step "Scenario: an unlisted peer cannot complete a WireGuard handshake"
  local v=vendor-laptop e=ehr-server
  ip netns exec "${N_NS[$v]}" wg set "${N_IF[$v]}" peer "${N_PUB[$e]}" \
    endpoint "192.0.2.${H_IDX[$e]}:51820" allowed-ips "${N_V4[$e]}/32,${N_V6[$e]}/128" ||
    fail "could not add the forced peer on $v"
  ping_ok "$v" "${N_V4[$e]}" 2 || true
  ping_ok "$v" "${N_V6[$e]}" 2 || true
  check "$v forced a peer entry for $e into its interface" has_peer "$v" "$e"
  check "no handshake between $v and $e (latest handshake 0)" \
    test "$(handshake_of "$v" "${N_PUB[$e]}")" = 0
  check "$e still does not list $v" not has_peer "$e" "$v"
  check "TCP $v -> $e:443 still fails" not fast_ok "$v" "${N_V4[$e]}" 443
  ip netns exec "${N_NS[$v]}" wg set "${N_IF[$v]}" peer "${N_PUB[$e]}" remove || true
}

scenario_policy_change() {
  hosp_step "Scenario: policy change (a new rule starts working, a removed rule stops), $REPS times"
  local i ms base added
  base=$(policy_with)
  added=$(policy_with "$RULE_API")
  for ((i = 1; i <= REPS; i++)); do
    hosp_policy_set "$added" || { fail "policy set (add clinicians -> ehr:8080) refused"; return; }
    T0=$(now_ns)
    if ms=$(wait_connect clin2-laptop "${N_V4[ehr-server]}" 8080); then
      record_time "policy change: rule added -> first connect" "$ms"
    else
      fail "rep $i: clinicians -> ehr:8080 did not start working within 15 s of policy set"
    fi
    hosp_policy_set "$base" || { fail "policy set (remove the rule) refused"; return; }
    T0=$(now_ns)
    if ms=$(wait_refused clin2-laptop "${N_V4[ehr-server]}" 8080); then
      record_time "policy change: rule removed -> first refusal" "$ms"
    else
      fail "rep $i: clinicians -> ehr:8080 still works 15 s after the rule was removed"
    fi
  done
  # A rule that needs a new tunnel (the vendor has no peer entry for the EHR before).
  local vrule
  vrule=$(policy_with "$RULE_VENDOR_EHR")
  for ((i = 1; i <= REPS; i++)); do
    hosp_policy_set "$vrule" || { fail "policy set (vendor -> ehr:8080) refused"; return; }
    T0=$(now_ns)
    if ms=$(wait_connect vendor-laptop "${N_V6[ehr-server]}" 8080); then
      record_time "policy change: new tunnel -> first connect (v6)" "$ms"
    else
      fail "rep $i: vendor -> ehr:8080 (new tunnel) did not work within 15 s"
    fi
    hosp_policy_set "$base" || { fail "policy set (base) refused"; return; }
    T0=$(now_ns)
    # The vendor's key must leave the EHR (and the EHR's the vendor).
    if wait_until 15 not has_peer ehr-server vendor-laptop && wait_until 15 not has_peer vendor-laptop ehr-server; then
      record_time "policy change: tunnel removed -> peers gone" "$(ms_since "$T0")"
    else
      fail "rep $i: the vendor/EHR tunnel was not removed within 15 s"
    fi
  done
  # The matrix is back to the policy.
  check "peers back to the hospital policy" wait_until 15 peers_converged
  assert_tcp_blocked clin1-laptop ehr-server 8080 6
}

# Enrolls a fresh EHR replica (tag:ehr key) $REPS times: enroll-to-first-packet from a
# clinician, then revoke-to-cutoff everywhere.
scenario_enroll_and_revoke_times() {
  hosp_step "Scenario: enroll-to-first-packet and revoke-to-cutoff, $REPS fresh devices"
  local r=ehr-replica i key ms
  hosp_node_define "$r" 20
  hosp_listen "$r" 443
  for ((i = 1; i <= REPS; i++)); do
    rm -rf "${N_SD[$r]}"
    N_PUB[$r]="" N_V4[$r]="" N_V6[$r]=""
    unset 'H_INACTIVE[ehr-replica]'
    key=$(hosp_new_key tag:ehr) || { fail "key create failed"; return; }
    T0=$(now_ns)
    hosp_node_up "$r" key "$key"
    if ! hosp_node_wait_ready "$r"; then
      fail "rep $i: $r did not enroll: $(tail -n 3 "${N_LOG[$r]}")"
      return
    fi
    record_time "enroll -> node enrolled and answering (part of next row)" "$(ms_since "$T0")" info
    if ms=$(wait_connect clin2-laptop "${N_V4[$r]}" 443); then
      record_time "enroll -> first packet (new server, from a clinician)" "$ms"
    else
      fail "rep $i: clin2-laptop never reached the new $r"
    fi
    if ((i == 1)); then
      assert_tcp_ok clin1-laptop "$r" 443 6
      assert_tcp_blocked clin1-laptop "$r" 22 4
      check "peers converge with the replica" wait_until 10 peers_converged
    fi
    wctl device revoke "${N_ID[$r]}" >/dev/null || { fail "revoke ${N_ID[$r]} failed"; return; }
    T0=$(now_ns)
    if ms=$(wait_cutoff clin2-laptop "$r" 443 "$r"); then
      record_time "revoke -> cutoff (key gone from every node)" "$ms"
    else
      fail "rep $i: revoked $r still reachable or still a peer after 15 s"
    fi
    H_INACTIVE[$r]=1
    hosp_node_down "$r"
  done
}

scenario_quarantine() {
  hosp_step "Scenario: quarantine and unquarantine clin2-laptop"
  local c=clin2-laptop ms st
  assert_tcp_ok "$c" ehr-server 443 4
  wctl device quarantine "$c" >/dev/null || { fail "quarantine failed"; return; }
  T0=$(now_ns)
  if ms=$(wait_cutoff "$c" ehr-server 443 "$c"); then
    record_time "quarantine -> cutoff" "$ms"
  else
    fail "quarantined $c still connected after 15 s"
  fi
  H_INACTIVE[$c]=1
  check "no node lists $c after quarantine" key_gone_everywhere "${N_PUB[$c]}"
  check "$c itself has no peers" test -z "$(wg_peers "$c")"
  assert_no_tunnel "$c" pacs-server 6 443
  st=$(node_status "$c" | jq -r .state)
  hosp_log "  $c state: $st"
  check "$c reports itself quarantined" test "${st%%:*}" = quarantined
  wctl device unquarantine "$c" >/dev/null || { fail "unquarantine failed"; return; }
  T0=$(now_ns)
  unset 'H_INACTIVE[clin2-laptop]'
  # Nobody touches the device: quarantine is reversible, the node keeps asking the
  # controller (at least every 5 s) and comes back by itself.
  if ms=$(wait_connect "$c" "${N_V4[ehr-server]}" 443); then
    record_time "unquarantine -> first packet" "$ms"
  else
    fail "$c did not regain access after unquarantine"
  fi
  check "peers converge after unquarantine" wait_until 15 peers_converged
  assert_tcp_ok "$c" pacs-server 443 6
  assert_tcp_blocked "$c" pacs-server 104 6
}

scenario_time_bound() {
  hosp_step "Scenario: the vendor's time-bound rule expires"
  local v=vendor-laptop p=pacs-server expiry_epoch ms
  expiry_epoch=$(($(date +%s) + 8))
  VENDOR_EXPIRY=$(date -u -d "@$expiry_epoch" +%Y-%m-%dT%H:%M:%SZ)
  hosp_policy_set "$(policy_with)" || { fail "policy with a short expiry refused"; return; }
  hosp_log "  vendor rule expires at $VENDOR_EXPIRY"
  check "before the expiry: vendor -> pacs:104 connects" wait_until 5 fast_ok "$v" "${N_V4[$p]}" 104
  assert_tcp_ok "$v" "$p" 104 6
  while (($(date +%s) < expiry_epoch)); do sleep 0.05; done
  T0=$(now_ns)
  # The vendor keeps its IT peer (IT may SSH to it); only the PACS tunnel must go.
  if wait_until 15 not fast_ok "$v" "${N_V4[$p]}" 104; then
    record_time "rule expiry -> access stops" "$(ms_since "$T0")"
  else
    fail "vendor -> pacs:104 still works 15 s after the expiry"
  fi
  H_RULES=("clin ehr 443" "clin pacs 443" "it any 22")
  VENDOR_TEST=drop
  check "after the expiry: the PACS/vendor tunnel is gone" wait_until 15 peers_converged
  assert_no_tunnel "$v" "$p" 4 104
  assert_no_tunnel "$v" "$p" 6 104
  assert_tcp_ok it-laptop "$v" 22 6
}

scenario_revoke_clin1() {
  hosp_step "Scenario: wardctl device revoke clin1-laptop"
  local c=clin1-laptop ms st fam
  assert_tcp_ok "$c" ehr-server 443 4
  wctl device revoke "$c" >/dev/null || { fail "revoke failed"; return; }
  T0=$(now_ns)
  if ms=$(wait_cutoff "$c" ehr-server 443 "$c"); then
    record_time "revoke clin1-laptop -> cutoff" "$ms"
  else
    fail "revoked $c still connected or still a peer after 15 s"
  fi
  H_INACTIVE[$c]=1
  check "no node still has clin1-laptop's key" key_gone_everywhere "${N_PUB[$c]}"
  check "clin1-laptop's own interface has no peers" test -z "$(wg_peers "$c")"
  st=$(node_status "$c" | jq -r '.state // "gone"')
  check "clin1-laptop's daemon reports it was revoked ($st)" test "${st#stopped: revoked}" != "$st"
  for fam in 4 6; do
    assert_no_tunnel "$c" ehr-server "$fam" 443
    assert_no_tunnel "$c" pacs-server "$fam" 443
    assert_no_tunnel it-laptop "$c" "$fam" 22
  done
  assert_tcp_ok clin2-laptop ehr-server 443 4
  hosp_node_down "$c"
}

scenario_resilience() {
  hosp_step "Scenario: kill -9 the controller; tunnels keep working; restart; changes propagate"
  local fam n ms
  hosp_controller_kill9
  sleep 2
  for fam in 4 6; do
    assert_tcp_ok clin2-laptop ehr-server 443 "$fam"
    assert_tcp_ok it-laptop pacs-server 22 "$fam"
    assert_tcp_blocked clin2-laptop ehr-server 22 "$fam"
  done
  hosp_controller_start
  T0=$(now_ns)
  if wait_until 90 all_connected; then
    record_time "controller restart -> every node reconnected" "$(ms_since "$T0")" info
    pass "every node reconnected to the restarted controller"
  else
    fail "not every node reconnected within 90 s"
  fi
  hosp_policy_set "$(policy_with "$RULE_API")" || fail "policy set after restart refused"
  T0=$(now_ns)
  if ms=$(wait_connect clin2-laptop "${N_V6[ehr-server]}" 8080); then
    record_time "after controller restart: rule added -> first connect" "$ms"
  else
    fail "a policy change did not propagate after the controller restart"
  fi
  hosp_policy_set "$(policy_with)" || fail "policy set (base) refused"
  check "the rule is gone again" wait_until 15 not fast_ok clin2-laptop "${N_V4[ehr-server]}" 8080

  hosp_step "Scenario: restart a node; it keeps its identity and addresses"
  n=ehr-server
  local id=${N_ID[$n]} v4=${N_V4[$n]} v6=${N_V6[$n]} pub=${N_PUB[$n]}
  hosp_node_down "$n"
  check "ehr-server is unreachable while down" not fast_ok clin2-laptop "$v4" 443
  T0=$(now_ns)
  hosp_node_up "$n"
  hosp_node_wait_ready "$n" || fail "$n did not come back"
  check "same device id after restart ($id)" test "${N_ID[$n]}" = "$id"
  check "same overlay addresses after restart" test "${N_V4[$n]} ${N_V6[$n]}" = "$v4 $v6"
  check "same WireGuard key after restart" test "${N_PUB[$n]}" = "$pub"
  if ms=$(wait_connect clin2-laptop "$v4" 443); then
    record_time "node restart -> first packet" "$ms"
  else
    fail "ehr-server not reachable after its restart"
  fi
  check "peers converge after the node restart" wait_until 15 peers_converged
}

scenario_abuse() {
  hosp_step "Scenario: abuse is refused and audited"
  local x=intruder seq out code rc i
  hosp_node_define "$x" 21
  seq=$(audit_seq)
  # 1. The EHR server's single-use key, again.
  rm -rf "${N_SD[$x]}"
  hosp_node_up "$x" key "${H_KEY[ehr-server]}"
  for ((i = 0; i < 150; i++)); do kill -0 "${N_PID[$x]}" 2>/dev/null || break; sleep 0.1; done
  wait "${N_PID[$x]}" 2>/dev/null
  rc=$?
  check "reusing a single-use enrollment key fails (ward-node exit $rc)" test "$rc" -ne 0
  check "no identity was issued for the reused key" test ! -e "${N_SD[$x]}/device.json"
  check "the reused key is audited (device.enroll failure)" \
    audit_has "$seq" '.action == "device.enroll" and .outcome == "failure" and .target == "key:unknown"'
  hosp_node_down "$x"
  # 2. A valid password with a wrong TOTP code.
  seq=$(audit_seq)
  rm -rf "${N_SD[$x]}"
  code=$(totp_now "${H_TOTP_SECRET[dr.two@hospital.example]}")
  code=$(printf '%06d' $(((10#$code + 1) % 1000000)))
  hosp_node_up "$x" login dr.two@hospital.example "${H_PASSWORD[dr.two@hospital.example]}" "$code"
  for ((i = 0; i < 150; i++)); do kill -0 "${N_PID[$x]}" 2>/dev/null || break; sleep 0.1; done
  wait "${N_PID[$x]}" 2>/dev/null
  rc=$?
  check "enrolling with a wrong TOTP code fails (ward-node exit $rc)" test "$rc" -ne 0
  check "no identity was issued for the wrong code" test ! -e "${N_SD[$x]}/device.json"
  check "the wrong code is audited (device.enroll.login failure, bad totp)" \
    audit_has "$seq" '.action == "device.enroll.login" and .outcome != "success" and (.details.reason // "" | test("totp"))'
  hosp_node_down "$x"
  # 3. A node asking for another node's netmap with its own certificate.
  seq=$(audit_seq)
  local c=clin2-laptop target=ehr-server status
  status=$(printf 'GET /v1/admin/netmap/%s HTTP/1.1\r\nHost: %s:8443\r\nConnection: close\r\n\r\n' \
    "$target" "$H_CTL_ADDR4" |
    ip netns exec "${N_NS[$c]}" timeout 10 openssl s_client -quiet -connect "$H_CTL_ADDR4:8443" \
      -CAfile "$H_CA" -cert "${N_SD[$c]}/cert.pem" -key "${N_SD[$c]}/tls.key" 2>/dev/null |
    head -n1 | awk '{print $2}')
  check "clin2-laptop asking for ehr-server's netmap is refused (HTTP $status)" test "$status" = 401
  check "the refusal is audited (session.auth failure on the netmap path)" \
    audit_has "$seq" '.action == "session.auth" and .outcome != "success" and (.target | contains("/v1/admin/netmap/"))'
  # The stream cannot be pointed at another device: whatever the query says, a node gets
  # its own map, or a client error.
  local answer st self
  answer=$(printf 'GET /v1/stream?device=%s HTTP/1.1\r\nHost: %s:8443\r\nConnection: close\r\n\r\n' \
    "${N_ID[$target]}" "$H_CTL_ADDR4" |
    ip netns exec "${N_NS[$c]}" timeout 5 openssl s_client -quiet -connect "$H_CTL_ADDR4:8443" \
      -CAfile "$H_CA" -cert "${N_SD[$c]}/cert.pem" -key "${N_SD[$c]}/tls.key" 2>/dev/null |
    head -c 65536 | tr -d '\r')
  st=$(head -n1 <<<"$answer" | awk '{print $2}')
  self=$(grep -a -m1 '"type"' <<<"$answer" | jq -r '.self.id // empty' 2>/dev/null)
  if [[ $st == 200 && $self == "${N_ID[$c]}" ]] || [[ $st == 4* ]]; then
    pass "a stream request naming ${N_ID[$target]} gets HTTP $st, self ${self:-none} (its own map or a refusal)"
  else
    fail "a stream request naming another device: HTTP ${st:-none}, self ${self:-none}"
  fi
}

scenario_audit_verify() {
  hosp_step "Audit log"
  local out
  out=$(wctl audit verify 2>&1)
  check "wardctl audit verify passes ($(head -n1 <<<"$out"))" grep -q "Audit log verified" <<<"$out"
}

# ------------------------------------------------------------------ run

# H_SCENARIOS selects scenarios by name (default: all, in this order; later ones assume
# the earlier ones ran).
ALL_SCENARIOS="matrix forced_handshake policy_change enroll_and_revoke_times quarantine time_bound revoke_clin1 resilience abuse audit_verify"
hosp_up "$POLICY"
for s in ${H_SCENARIOS:-$ALL_SCENARIOS}; do
  declare -F "scenario_$s" >/dev/null || hosp_die "unknown scenario $s (known: $ALL_SCENARIOS)"
  "scenario_$s"
done

hosp_step "Measured times (this machine; goal: propagation and cutoff under 1 s worst case)"
timing_ok=1
timing_table || timing_ok=0
((timing_ok)) || fail "a worst case exceeded ${H_TIME_BOUND_MS} ms"
printf '\nhospital: %d checks, %d failed; hospital up in %d ms; whole run %d s\n' \
  "$H_CHECKS" "$H_FAILS" "$H_UP_MS" $((($(now_ns) - RUN_T0) / 1000000000))
((H_FAILS == 0))
