#!/usr/bin/env bash
# The `vm` test of Ward's kernel WireGuard backend (ctest: vm_kernel_backend).
#
# Builds a busybox initramfs holding Debian's wireguard module (and its dependencies),
# ward-vm-kernel-driver, wireguard-go, wg and ip with their shared libraries, boots Debian's
# kernel in qemu (TCG, no network device: all traffic stays inside the guest), lets
# guest_init.sh run the checks, and passes only if the console shows "WARD-VM-RESULT: PASS".
# Missing packages are a FAILURE naming the package, never a skip.
#
# Usage (as root; the packages come from `deploy/install-deps.sh --with-vm`):
#   tests/vm/run_vm_test.sh --driver BUILD/tests/vm/ward-vm-kernel-driver \
#       [--guest-init tests/vm/guest_init.sh] [--kernel /boot/vmlinuz-VER] [--timeout 300] [--keep]
# --keep leaves the temporary directory (initramfs tree, console.log) for inspection.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
driver=""
guest_init="$here/guest_init.sh"
kernel=""
timeout_s=300
keep=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --driver) driver=$2; shift 2 ;;
    --guest-init) guest_init=$2; shift 2 ;;
    --kernel) kernel=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "run_vm_test.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

t_start=$(date +%s.%N)
elapsed() { echo "$(date +%s.%N) $t_start" | awk '{printf "%.1f", $1 - $2}'; }
fail() {
  echo "vm_kernel_backend: FAIL: $*" >&2
  echo "vm_kernel_backend: wall time $(elapsed) s" >&2
  exit 1
}

# ---- prerequisites (fail closed, naming the Debian package) ----
[[ $(id -u) == 0 ]] || fail "must run as root (reads /boot/vmlinuz-*, builds a root-owned initramfs)"
need() { # command package
  command -v "$1" > /dev/null 2>&1 || fail "'$1' not found: install the Debian package '$2'" \
    "(deploy/install-deps.sh --with-vm)"
}
need qemu-system-x86_64 qemu-system-x86
need cpio cpio
need modprobe kmod
need depmod kmod
need kmod kmod
need gzip gzip
need ldd libc-bin
need timeout coreutils
need wireguard-go wireguard-go
need wg wireguard-tools
need ip iproute2
[[ -n "$driver" && -x "$driver" ]] || fail "--driver must name the built ward-vm-kernel-driver (got '$driver')"
[[ -r "$guest_init" ]] || fail "guest init script '$guest_init' not readable"

busybox=""
for b in /bin/busybox /usr/bin/busybox; do
  if [[ -x $b ]] && ! ldd "$b" > /dev/null 2>&1; then busybox=$b; break; fi
done
[[ -n "$busybox" ]] || fail "no statically linked busybox: install the Debian package 'busybox-static'"

if [[ -z "$kernel" ]]; then
  kernel=$(ls -1 /boot/vmlinuz-* 2> /dev/null | sort -V | tail -n 1 || true)
  [[ -n "$kernel" ]] || fail "no /boot/vmlinuz-*: install the Debian package 'linux-image-amd64'"
fi
[[ -r "$kernel" ]] || fail "kernel '$kernel' not readable: install the Debian package 'linux-image-amd64'"
kver=${kernel##*/vmlinuz-}
[[ -d /lib/modules/$kver ]] ||
  fail "no /lib/modules/$kver for $kernel: reinstall the Debian package 'linux-image-$kver'"

# ---- temporary tree, removed on every exit ----
tmp=$(mktemp -d /tmp/ward-vm.XXXXXX)
qemu_pid=""
cleanup() {
  if [[ -n "$qemu_pid" ]] && kill -0 "$qemu_pid" 2> /dev/null; then kill "$qemu_pid" 2> /dev/null || true; fi
  if [[ $keep == 1 ]]; then echo "vm_kernel_backend: kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'fail "interrupted"' INT TERM
root=$tmp/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,proc,sys,dev,run,tmp,var}

# Kernel modules: wireguard, tun (wireguard-go) and veth with their dependencies, at their
# usual paths under /lib/modules/$kver, indexed by depmod, so that kmod's modprobe in the
# guest can load them on demand (the kernel's request_module) as on a stock Debian host.
moddir=$root/lib/modules/$kver
mkdir -p "$moddir"
cp /lib/modules/"$kver"/modules.builtin* /lib/modules/"$kver"/modules.order "$moddir"/
for m in wireguard tun veth; do
  deps=$(modprobe -S "$kver" --show-depends "$m" 2>&1) ||
    fail "module '$m' not found for kernel $kver ($deps): install 'linux-image-amd64'"
  while read -r kind path _; do
    [[ $kind == insmod ]] || continue
    rel=${path#/lib/modules/"$kver"/}
    dest=$moddir/${rel%.*}.ko
    [[ -e $dest ]] && continue
    mkdir -p "$(dirname "$dest")"
    case "$path" in
      *.xz) xz -dc "$path" > "$dest" ;;
      *.zst) zstd -qdc "$path" > "$dest" ;;
      *.gz) gzip -dc "$path" > "$dest" ;;
      *) cp "$path" "$dest" ;;
    esac
  done <<< "$deps"
done
depmod -b "$root" "$kver" || fail "depmod for the guest's module tree failed"
modprobe -d "$root" -S "$kver" --show-depends wireguard > /dev/null 2>&1 ||
  fail "wireguard.ko did not make it into the guest's module tree"
mods=$(find "$moddir" -name '*.ko' -printf '%f ' | sort)

# Binaries and every shared library ldd names (including the dynamic loader).
copy_with_libs() { # src dest-name
  local src=$1 dest=$root/usr/local/bin/$2
  if ldd "$src" 2> /dev/null | grep -q 'not found'; then
    fail "$src: shared libraries missing on the host: $(ldd "$src" | grep 'not found' | tr -s ' \t\n' ' ')"
  fi
  cp -L "$src" "$dest"
  strip --strip-debug "$dest" 2> /dev/null || true
  local lib
  while read -r lib; do
    [[ -e "$root$lib" ]] && continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done < <(ldd "$src" | grep -o '/[^ ]*' | sort -u)
}
copy_with_libs "$driver" ward-vm-kernel-driver
copy_with_libs "$(command -v wireguard-go)" wireguard-go
copy_with_libs "$(command -v wg)" wg
copy_with_libs "$(command -v ip)" ip
copy_with_libs "$(command -v kmod)" kmod
ln -s /usr/local/bin/kmod "$root/sbin/modprobe" # the kernel's usermode helper; before busybox's
cp "$busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$guest_init" "$root/init"
chmod 755 "$root/init"
echo "root:x:0:0:root:/:/bin/sh" > "$root/etc/passwd"
(cd "$root" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 > "$tmp/initrd.gz"
echo "vm_kernel_backend: kernel $kernel, initramfs $(du -h "$tmp/initrd.gz" | cut -f1)," \
  "modules: $mods(built in $(elapsed) s)"

# ---- boot ----
log=$tmp/console.log
set +e
timeout -k 10 "$timeout_s" qemu-system-x86_64 -accel tcg -cpu max -m 512 -smp 1 \
  -nographic -no-reboot -nic none -kernel "$kernel" -initrd "$tmp/initrd.gz" \
  -append "console=ttyS0 panic=-1 quiet no_timer_check" < /dev/null > "$log" 2>&1 &
qemu_pid=$!
wait "$qemu_pid"
rc=$?
qemu_pid=""
set -e
tr -d '\r' < "$log" | sed 's/^/  | /'
[[ $rc != 124 ]] || fail "the VM did not finish within $timeout_s s"
if tr -d '\r' < "$log" | grep -q '^=== WARD-VM-RESULT: PASS'; then
  if tr -d '\r' < "$log" | grep -q 'WARD-VM-CHECK FAILED'; then fail "PASS marker after a failed check"; fi
  if tr -d '\r' < "$log" | grep -qE 'runtime error:|ERROR: (Address|Leak|UndefinedBehavior)Sanitizer'; then
    fail "sanitizer report on the console"
  fi
  echo "vm_kernel_backend: PASS (qemu exit $rc, wall time $(elapsed) s)"
  exit 0
fi
reason=$(tr -d '\r' < "$log" | grep -m1 -e 'WARD-VM-CHECK FAILED' -e 'Kernel panic' || true)
fail "${reason:-no WARD-VM-RESULT: PASS marker on the console (qemu exit $rc)}"
