#!/bin/bash
# Data-plane benchmark (not a test): throughput through a WireGuard tunnel between two
# network namespaces over veth, for Ward's ward-wg and for Debian's wireguard-go in the
# same run, plus the raw veth ceiling.
#
#   [ns wgbA-$$] 192.0.2.1 --veth-- 192.0.2.2 [ns wgbB-$$]   overlay 100.64.0.1 <-> 100.64.0.2
#
# Usage (root): [BENCH_SERIAL=1] tests/bench/wg/dataplane.sh path/to/ward-wg [seconds=10]
# BENCH_SERIAL=1 adds a row for ward-wg with its crypto on the poll thread only
# (WARD_WG_CRYPTO_THREADS=0), to see what the worker pool buys.
# Prints, per engine: single-stream TCP, 4-stream TCP, UDP (iperf3 -b 0, 1300-byte
# datagrams) in Gbit/s, CPU seconds per GB moved (both daemons, from /proc), and the
# ratio to wireguard-go; and, for the single-stream runs, how idle the whole machine was
# (from /proc/stat: near 0% means the run was CPU-bound, sharing the cores with
# everything else) and iperf3's own CPU use (sender/receiver, % of one core).
set -euo pipefail
WARD=${1:?ward-wg binary}
SECS=${2:-10}
ID=$$
NA=wgbA-$ID NB=wgbB-$ID
VA=bva$((ID % 100000)) VB=bvb$((ID % 100000))
TMP=$(mktemp -d)
PIDS=()
cleanup() {
  set +e
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  ip netns del "$NA" 2>/dev/null
  ip netns del "$NB" 2>/dev/null
  rm -f /var/run/wireguard/bw?$((ID % 100000)).sock
  rm -rf "$TMP"
}
trap cleanup EXIT
echo "-" > "$TMP/iperf_cpu"

ip netns add "$NA"; ip netns add "$NB"
ip link add "$VA" netns "$NA" type veth peer name "$VB" netns "$NB"
ip -n "$NA" addr add 192.0.2.1/24 dev "$VA"; ip -n "$NB" addr add 192.0.2.2/24 dev "$VB"
for n in "$NA" "$NB"; do ip -n "$n" link set lo up; done
ip -n "$NA" link set "$VA" up; ip -n "$NB" link set "$VB" up
KA=$(wg genkey); KB=$(wg genkey); PA=$(echo "$KA" | wg pubkey); PB=$(echo "$KB" | wg pubkey)
echo "$KA" > "$TMP/ka"; echo "$KB" > "$TMP/kb"

ip netns exec "$NB" iperf3 -s -D -1 >/dev/null 2>&1 || true

iperf() {  # dest extra-args... -> Gbit/s
  local dst=$1; shift
  ip netns exec "$NB" iperf3 -s -1 -D >/dev/null 2>&1; sleep 0.3
  ip netns exec "$NA" iperf3 -c "$dst" -t "$SECS" -J "$@" > "$TMP/out.json" 2>/dev/null || { echo 0; return; }
  python3 -c "
import json; d=json.load(open('$TMP/out.json'))['end']
s=d.get('sum_received') or d.get('sum')
c=d.get('cpu_utilization_percent', {})
open('$TMP/iperf_cpu', 'w').write('%.0f%%/%.0f%%' % (c.get('host_total', 0), c.get('remote_total', 0)))
print('%.2f' % (s['bits_per_second']/1e9))"
}

machine_cpu() {  # -> "total-jiffies idle-jiffies" for the whole machine
  awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat
}
idle_since() {  # "total idle" from machine_cpu -> idle percent since then
  local now; now=$(machine_cpu)
  echo "$1 $now" | awk '{d=$3-$1; printf "%.0f%%", (d > 0 ? 100*($4-$2)/d : 0)}'
}

cpu_of() {  # pid -> cpu seconds (utime+stime)
  awk -v hz="$(getconf CLK_TCK)" '{print ($14+$15)/hz}' "/proc/$1/stat"
}

run_engine() {  # name launcher -> prints a result line
  local name=$1 launcher=$2 ia=bwa$((ID % 100000)) ib=bwb$((ID % 100000))
  for side in A B; do
    local ns=$NA iface=$ia key=$TMP/ka peer=$PB ep=192.0.2.2 me=100.64.0.1 other=100.64.0.2
    if [ $side = B ]; then ns=$NB iface=$ib key=$TMP/kb peer=$PA ep=192.0.2.1 me=100.64.0.2 other=100.64.0.1; fi
    if [ "$launcher" = go ]; then
      WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 ip netns exec "$ns" wireguard-go -f "$iface" >/dev/null 2>&1 &
    elif [ "$launcher" = serial ]; then
      WARD_WG_CRYPTO_THREADS=0 ip netns exec "$ns" "$WARD" -f "$iface" >/dev/null 2>&1 &
    else
      ip netns exec "$ns" "$WARD" -f "$iface" >/dev/null 2>&1 &
    fi
    PIDS+=($!); eval "PID_$side=$!"
    for _ in $(seq 50); do [ -S "/var/run/wireguard/$iface.sock" ] && break; sleep 0.1; done
    ip netns exec "$ns" wg set "$iface" private-key "$key" listen-port 51820 \
      peer "$peer" endpoint "$ep:51820" allowed-ips "$other/32"
    ip -n "$ns" addr add "$me/24" dev "$iface"
    ip -n "$ns" link set "$iface" up
  done
  ip netns exec "$NA" ping -c 2 -W 2 100.64.0.2 >/dev/null || { echo "$name: tunnel did not come up"; return; }
  local c0; c0=$(echo "$(cpu_of "$PID_A") + $(cpu_of "$PID_B")" | bc -l)
  local bytes0; bytes0=$(ip netns exec "$NA" cat /sys/class/net/$ia/statistics/tx_bytes)
  local t1 t4 u m0 idle icpu
  m0=$(machine_cpu)
  t1=$(iperf 100.64.0.2)
  idle=$(idle_since "$m0"); icpu=$(cat "$TMP/iperf_cpu")
  t4=$(iperf 100.64.0.2 -P 4)
  u=$(iperf 100.64.0.2 -u -b 0 -l 1300)
  local c1; c1=$(echo "$(cpu_of "$PID_A") + $(cpu_of "$PID_B")" | bc -l)
  local bytes1; bytes1=$(ip netns exec "$NA" cat /sys/class/net/$ia/statistics/tx_bytes)
  local cpg; cpg=$(echo "($c1 - $c0) / (($bytes1 - $bytes0) / 1000000000)" | bc -l)
  printf "%-12s tcp1 %6s  tcp4 %6s  udp %6s Gbit/s   cpu %5.2f s/GB   [tcp1: machine idle %s, iperf3 cpu snd/rcv %s]\n" \
    "$name" "$t1" "$t4" "$u" "$cpg" "$idle" "$icpu"
  eval "RES_$launcher='$t1 $t4 $u'"
  kill "$PID_A" "$PID_B"; wait "$PID_A" "$PID_B" 2>/dev/null || true
  sleep 0.5
}

M0=$(machine_cpu)
RAW=$(iperf 192.0.2.2)
echo "raw veth     tcp1 $RAW Gbit/s   [machine idle $(idle_since "$M0"), iperf3 cpu snd/rcv $(cat "$TMP/iperf_cpu")]"
run_engine wireguard-go go
run_engine ward-wg ward
if [ "${BENCH_SERIAL:-0}" = 1 ]; then run_engine "ward-wg/1thr" serial; fi
python3 - "$RES_go" "$RES_ward" <<'PY'
import sys
go=[float(x) for x in sys.argv[1].split()]; w=[float(x) for x in sys.argv[2].split()]
print("ratio ward/wireguard-go  tcp1 %.2fx  tcp4 %.2fx  udp %.2fx" % tuple((b/a if a else 0) for a,b in zip(go,w)))
PY
