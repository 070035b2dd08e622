# shellcheck shell=bash
# The hospital's checks: TCP and ping probes through the overlay, the policy model the
# harness expects (which pair may reach which port, which pairs have a tunnel), the
# assertions (allowed / blocked by the filter / no tunnel), the connectivity matrix and the
# timing statistics. Sourced by lib.sh; uses its node tables (N_NS, N_IF, N_PUB, ...).

# ---------------------------------------------------------------- probes

# addr_of NODE 4|6
addr_of() { if [[ $2 == 6 ]]; then echo "${N_V6[$1]}"; else echo "${N_V4[$1]}"; fi; }

# tcp_probe SRC ADDR PORT TIMEOUT_S -> prints ok | timeout | refused | error:<text>
tcp_probe() {
  local out rc
  out=$(ip netns exec "${N_NS[$1]}" timeout $(($4 + 2)) nc -v -z -w "$4" "$2" "$3" 2>&1)
  rc=$?
  if ((rc == 0)); then
    echo ok
  elif [[ $out == *"timed out"* || $rc -eq 124 ]]; then
    echo timeout
  elif [[ $out == *refused* ]]; then
    echo refused
  else
    echo "error:$(tr '\n' ' ' <<<"$out" | sed 's/^nc: //')"
  fi
}

# fast_ok SRC ADDR PORT: one connection attempt bounded to 0.2 s (for timing loops: within
# the namespaces a connection through an open path takes a few milliseconds, including a
# first WireGuard handshake, so this bounds the measurements' resolution).
fast_ok() { ip netns exec "${N_NS[$1]}" timeout 0.2 nc -z -w 1 "$2" "$3" >/dev/null 2>&1; }

ping_ok() { ip netns exec "${N_NS[$1]}" ping -c 1 -W "${3:-2}" "$2" >/dev/null 2>&1; }

filter_dropped() { node_status "$1" | jq -r '.filter.dropped_packets // 0'; }

# ---------------------------------------------------------------- the policy model
# What hospital.hujson allows, as the harness expects it: rule lines "SRC_SET DST_SET PORT"
# where sets are node-name patterns. H_RULES can be changed by a scenario along with the
# policy it sets.
H_RULES=()
hosp_rules_default() {
  H_RULES=("clin ehr 443" "clin pacs 443" "it any 22" "vendor pacs 104")
}
in_set() { # in_set NODE SET
  case $2 in
  clin) [[ $1 == clin1-laptop || $1 == clin2-laptop ]] ;;
  ehr) [[ $1 == ehr-server || $1 == ehr-replica ]] ;;
  pacs) [[ $1 == pacs-server ]] ;;
  it) [[ $1 == it-laptop ]] ;;
  vendor) [[ $1 == vendor-laptop ]] ;;
  any) true ;;
  *) [[ $1 == "$2" ]] ;;
  esac
}
# Active nodes (revoked or quarantined ones are listed in H_INACTIVE).
declare -A H_INACTIVE=()
active() { [[ -z ${H_INACTIVE[$1]:-} && -n ${N_PUB[$1]:-} ]]; }
allowed() { # allowed SRC DST PORT
  local r s d p
  active "$1" && active "$2" || return 1
  for r in "${H_RULES[@]}"; do
    read -r s d p <<<"$r"
    in_set "$1" "$s" && in_set "$2" "$d" && [[ $p == "$3" ]] && [[ $1 != "$2" ]] && return 0
  done
  return 1
}
tunnel_expected() { # a rule in either direction, any port
  local r s d p
  active "$1" && active "$2" && [[ $1 != "$2" ]] || return 1
  for r in "${H_RULES[@]}"; do
    read -r s d p <<<"$r"
    { in_set "$1" "$s" && in_set "$2" "$d"; } && return 0
    { in_set "$2" "$s" && in_set "$1" "$d"; } && return 0
  done
  return 1
}
# expect SRC DST PORT -> ok | filter | notunnel
expect() {
  if allowed "$1" "$2" "$3"; then
    echo ok
  elif tunnel_expected "$1" "$2"; then
    echo filter
  else
    echo notunnel
  fi
}

expected_peers() { # sorted public keys node $1 should list
  local o
  for o in "${!N_PUB[@]}"; do
    tunnel_expected "$1" "$o" && echo "${N_PUB[$o]}"
  done | sort
}

# Every active node lists exactly the expected peers.
peers_converged() {
  local n
  for n in "${!N_NS[@]}"; do
    active "$n" || continue
    [[ -n ${N_PID[$n]} ]] || continue
    [[ "$(wg_peers "$n")" == "$(expected_peers "$n")" ]] || return 1
  done
}

# wait_until TIMEOUT_S command... (polls every 50 ms)
wait_until() {
  local deadline=$(($(now_ns) + $1 * 1000000000))
  shift
  while ! "$@"; do
    (($(now_ns) > deadline)) && return 1
    sleep 0.05
  done
}

# ---------------------------------------------------------------- assertions

# assert_tcp_ok SRC DST PORT FAMILY
assert_tcp_ok() {
  local a r
  a=$(addr_of "$2" "$4")
  r=$(tcp_probe "$1" "$a" "$3" 3)
  if [[ $r == ok ]]; then
    pass "$1 -> $2:$3 over IPv$4 ($a) connects"
  else
    fail "$1 -> $2:$3 over IPv$4 ($a) should connect, got $r"
  fi
}

# assert_tcp_blocked SRC DST PORT FAMILY: the tunnel exists both ways, the SYN is dropped
# (no answer, not a reset) and the destination's filter counts the drop.
assert_tcp_blocked() {
  local a r before after
  a=$(addr_of "$2" "$4")
  if ! has_peer "$1" "$2" || ! has_peer "$2" "$1"; then
    fail "$1 -> $2:$3 over IPv$4: expected a tunnel (peers both ways) for a filter block"
    return
  fi
  before=$(filter_dropped "$2")
  r=$(tcp_probe "$1" "$a" "$3" 1)
  after=$(filter_dropped "$2")
  if [[ $r == timeout && $after -gt $before ]]; then
    pass "$1 -> $2:$3 over IPv$4 dropped by $2's filter (drops $before -> $after)"
  else
    fail "$1 -> $2:$3 over IPv$4 should be dropped by the filter, got $r (drops $before -> $after)"
  fi
}

# assert_no_tunnel SRC DST FAMILY [PORT]: neither side lists the other, no handshake, and
# nothing gets through.
assert_no_tunnel() {
  local a r port=${4:-22}
  a=$(addr_of "$2" "$3")
  if has_peer "$1" "$2" || has_peer "$2" "$1"; then
    fail "$1 -> $2 over IPv$3: expected no tunnel, but a peer is configured"
    return
  fi
  r=$(tcp_probe "$1" "$a" "$port" 1)
  if [[ $r != ok ]]; then
    pass "$1 -> $2:$port over IPv$3: no tunnel ($r)"
  else
    fail "$1 -> $2:$port over IPv$3: no tunnel expected, but it connected"
  fi
}

# assert_as_expected SRC DST PORT FAMILY
assert_as_expected() {
  case $(expect "$1" "$2" "$3") in
  ok) assert_tcp_ok "$@" ;;
  filter) assert_tcp_blocked "$@" ;;
  notunnel) assert_no_tunnel "$1" "$2" "$4" "$3" ;;
  esac
}

# The destinations of the matrix: "NODE:PORT" for every service.
matrix_columns() {
  local n p
  for n in "${H_NODES[@]}"; do
    for p in ${H_PORTS[$n]:-22}; do echo "$n:$p"; done
  done
}

# Observed cell for SRC -> DST:PORT over FAMILY: ok | filter | notunnel | <other>
observe() {
  local a r
  a=$(addr_of "$2" "$4")
  if ! has_peer "$1" "$2" && ! has_peer "$2" "$1"; then
    r=$(tcp_probe "$1" "$a" "$3" 1)
    [[ $r == ok ]] && echo "ok(no peer?)" || echo notunnel
    return
  fi
  r=$(tcp_probe "$1" "$a" "$3" 1)
  # A timeout is the filter only if a second attempt, long enough for TCP to retransmit
  # the SYN once (after 1 s), times out too: with many probes in parallel on a loaded
  # machine a single 1 s attempt on an allowed path occasionally timed out.
  [[ $r == timeout ]] && r=$(tcp_probe "$1" "$a" "$3" 2)
  case $r in
  ok) echo ok ;;
  timeout) echo filter ;;
  *) echo "$r" ;;
  esac
}

cell_glyph() {
  case $1 in
  ok) printf '✓' ;;
  filter) printf '✗ filter' ;;
  notunnel) printf '✗ no tunnel' ;;
  -) printf '·' ;;
  *) printf '? %s' "$1" ;;
  esac
}

# key_hex NODE: NODE's WireGuard public key as hex, so that two keys compare bytewise.
key_hex() { base64 -d <<<"${N_PUB[$1]}" | od -An -v -tx1 | tr -d ' \n'; }

# Completes a WireGuard handshake on every configured tunnel before the matrix, so that a
# probe's timeout measures the filter, not a first handshake on a loaded machine.
#
# Each pair is started from one side only, the one whose public key is the smaller: the
# side ward-node lets send its keepalive first (node/reconcile/keepalive_stagger.hpp). When
# both ends send a handshake initiation at the same moment, each answers the other's and
# drops the answer to its own, so neither has a session until the retransmission 5 s later;
# or, with wireguard-go, one end keeps a session the other never completed and one
# direction drops everything for 15 s. Pinging both ways at once made that race (CI,
# 2026-11-28), and so did pinging from one side while the other sent its first keepalive
# (CI, 2026-11-29), before ward-node staggered the keepalives of new peers.
# Ready means both ends report a handshake with each other; a ping a second is resent
# until then (the filter may drop the ping; the handshake completes anyway), for at most
# H_WARM_S seconds.
hosp_warm_tunnels() {
  local n o pair pairs=() waiting=() pids i
  for n in "${!N_NS[@]}"; do
    { active "$n" && [[ -n ${N_PID[$n]} ]]; } || continue
    for o in "${!N_NS[@]}"; do
      { [[ $n < "$o" ]] && active "$o" && [[ -n ${N_PID[$o]} ]] && has_peer "$n" "$o"; } ||
        continue
      if [[ $(key_hex "$n") < $(key_hex "$o") ]]; then pairs+=("$n $o"); else pairs+=("$o $n"); fi
    done
  done
  for ((i = 0; i < ${H_WARM_S:-12}; i++)); do
    waiting=() pids=()
    for pair in "${pairs[@]}"; do
      read -r n o <<<"$pair"
      [[ $(handshake_of "$n" "${N_PUB[$o]}") != 0 && $(handshake_of "$o" "${N_PUB[$n]}") != 0 ]] &&
        continue
      waiting+=("$pair")
      ip netns exec "${N_NS[$n]}" ping -c 1 -W 1 "${N_V4[$o]}" >/dev/null 2>&1 &
      pids+=($!)
    done
    ((${#waiting[@]})) || return 0
    wait "${pids[@]}"
  done
  echo "  warning: no handshake after ${H_WARM_S:-12} s between: ${waiting[*]}" >&2
  return 0
}

# wg_view NODE OTHER -> "handshake N s ago, rx B, tx B" (or "no peer"): NODE's WireGuard view of OTHER.
wg_view() {
  local now line hs rx tx
  now=$(date +%s)
  line=$(ip netns exec "${N_NS[$1]}" wg show "${N_IF[$1]}" dump 2>/dev/null |
    awk -v k="${N_PUB[$2]}" '$1 == k { print $5, $6, $7 }')
  [[ -n $line ]] || { echo "no peer"; return; }
  read -r hs rx tx <<<"$line"
  if ((hs == 0)); then echo "no handshake, rx $rx, tx $tx"; else echo "handshake $((now - hs)) s ago, rx $rx, tx $tx"; fi
}

# diagnose_cell SRC DST PORT FAMILY: what a wrong cell looked like, for the log (CI shows
# only the output): each end's WireGuard view of the other (latest handshake, bytes
# received and sent), the destination's filter drop counter, and one more 3 s probe with
# the same counters before and after, which tells a lost tunnel from a filter drop.
diagnose_cell() {
  local src=$1 dst=$2 port=$3 fam=$4 a r
  a=$(addr_of "$dst" "$fam")
  hosp_log "  diagnosis of $src -> $dst:$port over IPv$fam:"
  hosp_log "    $dst's accept rules:"
  ip netns exec "${N_NS[$dst]}" nft list ruleset 2>/dev/null | grep -F ' saddr ' | head -n 8 |
    sed 's/^[[:space:]]*/      /'
  hosp_log "    before: $src sees $dst: $(wg_view "$src" "$dst"); $dst sees $src: $(wg_view "$dst" "$src"); filter drops: $dst $(filter_dropped "$dst"), $src $(filter_dropped "$src")"
  r=$(tcp_probe "$src" "$a" "$port" 3)
  hosp_log "    probe now (3 s): $r"
  hosp_log "    after:  $src sees $dst: $(wg_view "$src" "$dst"); $dst sees $src: $(wg_view "$dst" "$src"); filter drops: $dst $(filter_dropped "$dst"), $src $(filter_dropped "$src")"
}

# hosp_matrix FAMILY: probes every (source, service) pair, prints the table and returns
# non-zero if any cell differs from the policy model. One background job per service
# (column), sources one after the other: each listener (nc -lk, accept backlog 1, one
# connection at a time) then sees one connection at a time, so a full accept queue never
# drops a SYN and passes for the filter.
hosp_matrix() {
  local fam=$1 src col dst port dir="$H_ROOT/matrix.$1" bad=0 c wrong=()
  local cols
  mapfile -t cols < <(matrix_columns)
  rm -rf "$dir" && mkdir -p "$dir"
  hosp_warm_tunnels
  local jobs=()
  for ((c = 0; c < ${#cols[@]}; c++)); do
    (
      col=${cols[$c]} dst=${cols[$c]%:*} port=${cols[$c]#*:}
      for src in "${H_NODES[@]}"; do
        if [[ $src == "$dst" ]]; then r="-"; else r=$(observe "$src" "$dst" "$port" "$fam"); fi
        printf '%s\n' "$r" >"$dir/$src.$c"
      done
    ) &
    jobs+=($!)
  done
  wait "${jobs[@]}"
  for src in "${H_NODES[@]}"; do
    for ((c = 0; c < ${#cols[@]}; c++)); do cat "$dir/$src.$c"; done >"$dir/$src"
  done
  printf '\nConnectivity over IPv%s (rows: from; columns: to service)\n' "$fam"
  printf '%-14s' ""
  for col in "${cols[@]}"; do
    local label=${col%:*}
    label=${label%-laptop}
    printf ' %-12s' "${label%-server}:${col#*:}"
  done
  printf '\n'
  for src in "${H_NODES[@]}"; do
    local -a got
    mapfile -t got <"$dir/$src"
    printf '%-14s' "$src"
    local i=0 cell want mark
    for col in "${cols[@]}"; do
      dst=${col%:*} port=${col#*:}
      cell=${got[$i]}
      i=$((i + 1))
      mark=""
      if [[ $src != "$dst" ]]; then
        want=$(expect "$src" "$dst" "$port")
        if [[ $cell != "$want" ]]; then
          mark=" (want $want)"
          bad=$((bad + 1))
          wrong+=("$src $dst $port")
        fi
      fi
      # Pad by characters (the glyphs are multi-byte).
      local text
      text="$(cell_glyph "$cell")$mark"
      printf ' %s%*s' "$text" $((12 - ${#text})) ""
    done
    printf '\n'
  done
  local w
  for w in "${wrong[@]}"; do
    # shellcheck disable=SC2086 # "SRC DST PORT"
    diagnose_cell $w "$fam"
  done
  return $((bad > 0))
}


# ---------------------------------------------------------------- timings

declare -A H_TIMES=()    # label -> space-separated milliseconds
declare -A H_TIME_INFO=() # labels reported but not held to the bound
H_TIME_LABELS=()
H_TIME_BOUND_MS=${H_TIME_BOUND_MS:-5000}
record_time() { # record_time LABEL MS [info]
  [[ -n ${H_TIMES[$1]+x} ]] || H_TIME_LABELS+=("$1")
  [[ ${3:-} == info ]] && H_TIME_INFO[$1]=1
  H_TIMES[$1]="${H_TIMES[$1]:-} $2"
  hosp_log "  time: $1 = $2 ms"
}

# Prints the table (samples, median, worst) and fails a row whose worst case exceeds
# H_TIME_BOUND_MS (rows recorded as info are only reported).
timing_table() {
  local label bad=0 sorted n med worst
  printf '\n%-56s %7s %9s %9s  %s\n' "measurement" "samples" "median ms" "worst ms" "all (ms)"
  for label in "${H_TIME_LABELS[@]}"; do
    mapfile -t sorted < <(tr ' ' '\n' <<<"${H_TIMES[$label]}" | grep . | sort -n)
    n=${#sorted[@]}
    ((n > 0)) || continue
    if ((n % 2)); then
      med=${sorted[n / 2]}
    else
      med=$(((sorted[n / 2 - 1] + sorted[n / 2]) / 2))
    fi
    worst=${sorted[n - 1]}
    local flag=""
    if [[ -n ${H_TIME_INFO[$label]:-} ]]; then
      flag="  (information; not bounded)"
    elif ((worst > H_TIME_BOUND_MS)); then
      flag="  > ${H_TIME_BOUND_MS} ms bound"
      bad=1
    fi
    printf '%-56s %7d %9d %9d  %s%s\n' "$label" "$n" "$med" "$worst" "$(tr '\n' ' ' <<<"${sorted[*]}")" "$flag"
  done
  return $bad
}
