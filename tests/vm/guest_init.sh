#!/bin/sh
# PID 1 of the kernel-backend test VM (tests/vm/run_vm_test.sh builds the initramfs).
#
#   root namespace (Ward)                          namespace wardpeer (wireguard-go)
#   wgward  kernel WireGuard, configured by        wgpeer  wireguard-go, configured by `wg`
#           ward-vm-kernel-driver (KernelWgBackend)         over its UAPI socket
#           100.64.0.1/32  fd7a:115c:a1e0::1/128            100.64.0.2/10  fd7a:115c:a1e0::2/48
#           listen 51820                                    listen 51821
#   vward   192.0.2.1/24 ---------- veth ---------- vpeer   192.0.2.2/24
#
# No network device leaves the VM. Prints "WARD-VM-RESULT: PASS" only if every check
# passed, "WARD-VM-RESULT: FAIL" otherwise, then powers off.
export PATH=/usr/local/bin:/bin:/sbin:/usr/bin:/usr/sbin
export WG_COLOR_MODE=never
# For a sanitizer build of the driver (ignored otherwise): any finding fails the check.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
/bin/busybox --install -s
mkdir -p /proc /sys /dev /run /tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mkdir -p /var && ln -sfn /run /var/run
umask 077

# busybox sh prefers its own applets (ip) over PATH: name iproute2 explicitly.
IP=/usr/local/bin/ip
DRIVER=/usr/local/bin/ward-vm-kernel-driver
OVL4=100.64.0.0/10
OVL6=fd7a:115c:a1e0::/48

finish() {
  echo "=== WARD-VM-RESULT: $1 (guest uptime $(cut -d' ' -f1 /proc/uptime) s) ==="
  sync
  poweroff -f
  sleep 10
  exit 1 # init exiting panics the kernel; panic=-1 + qemu -no-reboot stops the VM
}
fail() {
  echo "WARD-VM-CHECK FAILED: $*"
  finish FAIL
}
step() { echo; echo "--- [$(cut -d' ' -f1 /proc/uptime) s] $*"; }
inpeer() { $IP netns exec wardpeer "$@"; }

step "kernel $(uname -r); wireguard module not loaded, module autoloading disabled"
$IP link set lo up || fail "lo up"
modprobe_path=$(cat /proc/sys/kernel/modprobe)
echo > /proc/sys/kernel/modprobe || fail "disable module autoloading"
$DRIVER probe --expect absent || fail "probe without the module"

step "module autoloading on ($modprobe_path, kmod): the genl lookup alone must load wireguard"
echo "$modprobe_path" > /proc/sys/kernel/modprobe || fail "restore $modprobe_path"
$DRIVER probe --expect present || fail "probe with autoloading (the 'auto' backend choice)"
grep -q '^wireguard ' /proc/modules || fail "wireguard is not in /proc/modules"
/sbin/modprobe -a tun veth || fail "modprobe tun veth"
echo "loaded: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"

step "underlay: veth between the root namespace and wardpeer"
$IP netns add wardpeer || fail "netns add"
$IP link add vward type veth peer name vpeer netns wardpeer || fail "veth"
$IP addr add 192.0.2.1/24 dev vward && $IP link set vward up || fail "vward"
$IP -n wardpeer link set lo up &&
  $IP -n wardpeer addr add 192.0.2.2/24 dev vpeer &&
  $IP -n wardpeer link set vpeer up || fail "vpeer"

step "keys"
wg genkey > /tmp/ward.key && wg pubkey < /tmp/ward.key > /tmp/ward.pub || fail "ward key"
wg genkey > /tmp/peer.key && wg pubkey < /tmp/peer.key > /tmp/peer.pub || fail "peer key"
WARD_PUB=$(cat /tmp/ward.pub)
PEER_PUB=$(cat /tmp/peer.pub)
echo "ward public key: $WARD_PUB"
echo "peer public key: $PEER_PUB"

step "wireguard-go peer in wardpeer"
mkdir -p /run/wireguard
inpeer env WG_PROCESS_FOREGROUND=1 LOG_LEVEL=error wireguard-go wgpeer > /tmp/wggo.log 2>&1 &
WGGO_PID=$!
i=0
until [ -S /run/wireguard/wgpeer.sock ]; do
  i=$((i + 1))
  [ $i -le 300 ] || { cat /tmp/wggo.log; fail "wireguard-go did not create its socket"; }
  sleep 0.1
done
inpeer wg set wgpeer private-key /tmp/peer.key listen-port 51821 \
  peer "$WARD_PUB" allowed-ips 100.64.0.1/32,fd7a:115c:a1e0::1/128 endpoint 192.0.2.1:51820 ||
  fail "wg set wgpeer"
$IP -n wardpeer addr add 100.64.0.2/10 dev wgpeer &&
  $IP -n wardpeer addr add fd7a:115c:a1e0::2/48 dev wgpeer nodad &&
  $IP -n wardpeer link set wgpeer up || fail "wgpeer addresses"

step "Ward: kernel interface wgward through the kernel backend and the reconciler"
$DRIVER tunnel --iface wgward --private-key-file /tmp/ward.key --listen-port 51820 \
  --peer-public-key "$PEER_PUB" --peer-allowed-ip 100.64.0.2/32 \
  --peer-allowed-ip fd7a:115c:a1e0::2/128 --peer-endpoint 192.0.2.2:51821 --keepalive 25 \
  --address 100.64.0.1/32 --address fd7a:115c:a1e0::1/128 \
  --overlay-v4 $OVL4 --overlay-v6 $OVL6 || fail "driver tunnel"
got=$(wg show wgward public-key) || fail "wg show wgward public-key"
[ "$got" = "$WARD_PUB" ] || fail "wg reports public key $got, want $WARD_PUB"
[ "$(wg show wgward listen-port)" = 51820 ] || fail "wg reports another listen port"
# wireguard-tools decodes the kernel's attributes independently of Ward's parser.
tab=$(printf '\t')
got=$(wg show wgward endpoints)
[ "$got" = "$PEER_PUB${tab}192.0.2.2:51821" ] || fail "wg reports endpoints '$got'"
got=$(wg show wgward allowed-ips)
[ "$got" = "$PEER_PUB${tab}100.64.0.2/32 fd7a:115c:a1e0::2/128" ] || fail "wg reports allowed ips '$got'"
got=$(wg show wgward persistent-keepalive)
[ "$got" = "$PEER_PUB${tab}25" ] || fail "wg reports keepalive '$got'"

step "ping through the tunnel (Ward -> wireguard-go, both address families)"
ping -c 3 -W 10 100.64.0.2 || fail "ping 100.64.0.2"
ping -6 -c 3 -W 10 fd7a:115c:a1e0::2 || fail "ping fd7a:115c:a1e0::2"
step "ping through the tunnel (wireguard-go -> Ward)"
inpeer ping -c 2 -W 10 100.64.0.1 || fail "ping 100.64.0.1 from wardpeer"

step "handshake, read back through KernelWgBackend::get()"
$DRIVER show --iface wgward --peer "$PEER_PUB" --require-handshake || fail "driver show"
step "evidence: wg show wgward (wireguard-tools, kernel side)"
wg show wgward || fail "wg show wgward"
hs=$(wg show wgward latest-handshakes | awk '{print $2}')
echo "latest-handshake (unix): $hs"
[ -n "$hs" ] && [ "$hs" != 0 ] || fail "wg reports no handshake on wgward"
step "evidence: wg show wgpeer (wireguard-go side)"
inpeer wg show wgpeer || fail "wg show wgpeer"
hs=$(inpeer wg show wgpeer latest-handshakes | awk '{print $2}')
[ -n "$hs" ] && [ "$hs" != 0 ] || fail "wireguard-go reports no handshake"

step "bulk: a configuration split across many netlink messages"
$DRIVER bulk --iface wgbulk --peers 1000 --big-peer-ips 3000 --shrink-to 600 > /tmp/bulk.out
rc=$?
cat /tmp/bulk.out
[ $rc = 0 ] || fail "driver bulk"
want_peers=$(sed -n 's/^final peers \([0-9]*\) allowed-ips \([0-9]*\)$/\1/p' /tmp/bulk.out)
want_ips=$(sed -n 's/^final peers \([0-9]*\) allowed-ips \([0-9]*\)$/\2/p' /tmp/bulk.out)
[ -n "$want_peers" ] && [ -n "$want_ips" ] || fail "bulk printed no final counts"
got_peers=$(wg show wgbulk peers | wc -l)
got_ips=$(wg show wgbulk allowed-ips | awk '{n += NF - 1} END {print n}')
echo "wg show wgbulk: $got_peers peers, $got_ips allowed ips (driver: $want_peers, $want_ips)"
[ "$got_peers" = "$want_peers" ] || fail "wg sees $got_peers peers on wgbulk, want $want_peers"
[ "$got_ips" = "$want_ips" ] || fail "wg sees $got_ips allowed ips on wgbulk, want $want_ips"
$IP link del wgbulk || fail "$IP link del wgbulk"

step "teardown"
$IP link del wgward || fail "$IP link del wgward"
kill $WGGO_PID 2>/dev/null
$IP netns del wardpeer
finish PASS
