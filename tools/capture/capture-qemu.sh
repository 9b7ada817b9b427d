#!/usr/bin/env bash
# Boot Debian's own kernel in a QEMU q35 guest (TCG) with the out-of-band
# hardware QEMU can emulate (i6300ESB watchdog, IPMI BMC on KCS, TPM 2.0 via
# swtpm, e1000 NIC), run capture-sysfs.sh inside it and unpack the result into
# a fixture directory.
#
# Usage: bash tools/capture/capture-qemu.sh test/fixtures/qemu-q35
#
# Needs (Debian 12): apt-get install -y qemu-system-x86 swtpm swtpm-tools cpio
# The kernel and busybox are fetched with `apt-get download` into a temporary
# directory and never installed on the host. Set KEEP_WORK=1 to keep that
# directory (serial log, initramfs) for debugging.

set -euo pipefail

OUT=${1:?usage: capture-qemu.sh OUTDIR}
HERE=$(cd "$(dirname "$0")" && pwd)
BOOT_TIMEOUT=${BOOT_TIMEOUT:-300}

for tool in qemu-system-x86_64 swtpm cpio apt-get dpkg-deb; do
	command -v "$tool" >/dev/null || { echo "capture-qemu: $tool not found" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/capture-qemu.XXXXXX)
SWTPM_PID=
cleanup() {
	if [ -n "$SWTPM_PID" ]; then kill "$SWTPM_PID" 2>/dev/null || true; fi
	if [ "${KEEP_WORK:-0}" = 1 ]; then echo "capture-qemu: work dir kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

log() { printf 'capture-qemu: %s\n' "$*" >&2; }

# --- kernel and busybox, unpacked, not installed ------------------------------------
KPKG=$(apt-cache depends linux-image-amd64 | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
[ -n "$KPKG" ] || { log "cannot find the kernel package behind linux-image-amd64"; exit 1; }
KVER=${KPKG#linux-image-}
log "kernel package $KPKG"
(cd "$WORK" && apt-get download "$KPKG" busybox-static 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2 || true)
dpkg-deb -x "$WORK"/linux-image-*.deb "$WORK/kernel"
dpkg-deb -x "$WORK"/busybox-static_*.deb "$WORK/busybox"
BB=$WORK/busybox/bin/busybox
VMLINUZ=$WORK/kernel/boot/vmlinuz-$KVER
MODDIR=$WORK/kernel/lib/modules/$KVER
[ -f "$VMLINUZ" ] && [ -x "$BB" ] || { log "kernel or busybox missing after unpacking"; exit 1; }
# The package ships no modules.dep (its postinst runs depmod); busybox makes one.
"$BB" depmod -b "$WORK/kernel" "$KVER"

# --- modules, dependencies first -----------------------------------------------------
# i6300esb first so that it is watchdog0; lpc_ich + iTCO_wdt add the ICH9 TCO
# watchdog q35 really has. tpm_tis/tpm_crb are built in (CONFIG_TCG_TIS=y,
# CONFIG_TCG_CRB=y), checked below.
WANT="i6300esb ipmi_msghandler ipmi_si ipmi_devintf e1000 qemu_fw_cfg lpc_ich iTCO_wdt"
for opt in CONFIG_TCG_TIS CONFIG_TCG_CRB; do
	if ! grep -q "^$opt=y" "$WORK/kernel/boot/config-$KVER"; then
		log "$opt is not built in; add its module to WANT"
		exit 1
	fi
done

ORDER=()
declare -A SEEN=()
add_module() {
	local rel=$1 dep
	[ -n "${SEEN[$rel]:-}" ] && return 0
	SEEN[$rel]=1
	for dep in $(awk -v m="$rel:" '$1 == m { $1 = ""; print; exit }' "$MODDIR/modules.dep"); do
		add_module "$dep"
	done
	ORDER+=("$rel")
}
for name in $WANT; do
	rel=$(awk -F: -v n="/$name.ko" 'substr($1, length($1) - length(n) + 1) == n { print $1; exit }' "$MODDIR/modules.dep")
	[ -n "$rel" ] || { log "module $name not in $KPKG"; exit 1; }
	add_module "$rel"
done
log "modules in load order: ${ORDER[*]##*/}"

# --- initramfs ---------------------------------------------------------------------
ROOT=$WORK/initramfs
mkdir -p "$ROOT/bin" "$ROOT/modules"
cp "$BB" "$ROOT/bin/busybox"
cp "$HERE/capture-sysfs.sh" "$ROOT/capture-sysfs.sh"
: >"$ROOT/modules.list"
for rel in "${ORDER[@]}"; do
	cp "$MODDIR/$rel" "$ROOT/modules/"
	echo "${rel##*/}" >>"$ROOT/modules.list"
done
cat >"$ROOT/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# Kernel messages would interleave with the archive on ttyS0.
dmesg -n 1
while read -r m; do
	insmod "/modules/$m" || echo "init: insmod $m failed" >&2
done </modules.list
# ipmi_si detects the KCS interface asynchronously; give it (and the TPM) time.
i=0
while [ $i -lt 30 ] && { [ ! -e /dev/ipmi0 ] || [ ! -e /dev/tpm0 ]; }; do
	sleep 1
	i=$((i + 1))
done
# Up like on a booted machine, so operstate/carrier/speed have values. The
# user netdev is restrict=on: the link is up but nothing outside is reachable.
for n in /sys/class/net/*; do
	ip link set dev "${n##*/}" up
done
i=0
while [ $i -lt 10 ] && [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" != 1 ]; do
	sleep 1
	i=$((i + 1))
done
sh /capture-sysfs.sh /tmp/cap 2>/tmp/capture.err
echo "-----BEGIN CAPTURE LOG-----"
uname -r
cat /tmp/capture.err
ls -l /sys/class/watchdog/ /sys/class/tpm/ /sys/class/net/ /sys/class/ipmi/
ls -l /sys/class/watchdog/*/ | grep -- '->'
dmesg | grep -iE 'ipmi|tpm|watchdog|wdt|i6300|e1000|fw_cfg|lpc_ich|smbios|dmi:' | head -n 80
echo "-----END CAPTURE LOG-----"
echo "-----BEGIN CAPTURE-----"
(cd /tmp/cap && tar c .) | gzip -9 | base64
echo "-----END CAPTURE-----"
sync
poweroff -f
INIT
chmod 755 "$ROOT/init" "$ROOT/capture-sysfs.sh"
(cd "$ROOT" && find . | cpio -o -H newc --quiet) | gzip -9 >"$WORK/initramfs.gz"

# --- swtpm ---------------------------------------------------------------------------
mkdir -p "$WORK/tpm"
swtpm socket --tpm2 --tpmstate dir="$WORK/tpm" --ctrl type=unixio,path="$WORK/swtpm.sock" \
	--terminate --log file="$WORK/swtpm.log" &
SWTPM_PID=$!
for _ in $(seq 50); do [ -S "$WORK/swtpm.sock" ] && break; sleep 0.1; done
[ -S "$WORK/swtpm.sock" ] || { log "swtpm did not create its socket"; exit 1; }

# --- boot -----------------------------------------------------------------------------
QEMU_ARGS=(
	-machine q35 -accel tcg -m 512 -smp 1
	-kernel "$VMLINUZ" -initrd "$WORK/initramfs.gz"
	-append "console=ttyS0 panic=-1 loglevel=4"
	-nographic -monitor none -serial "file:$WORK/serial.log" -no-reboot
	-device i6300esb -action watchdog=reset
	-device ipmi-bmc-sim,id=bmc0 -device isa-ipmi-kcs,bmc=bmc0
	-chardev socket,id=chrtpm,path="$WORK/swtpm.sock" -tpmdev emulator,id=tpm0,chardev=chrtpm
	-device tpm-tis,tpmdev=tpm0
	-netdev user,id=n0,restrict=on -device e1000,netdev=n0
)
log "qemu-system-x86_64 ${QEMU_ARGS[*]}"
start=$(date +%s)
rc=0
timeout "$BOOT_TIMEOUT" qemu-system-x86_64 "${QEMU_ARGS[@]}" </dev/null || rc=$?
log "guest ran $(($(date +%s) - start)) s (exit $rc)"
if [ "$rc" -ne 0 ]; then
	log "QEMU failed or timed out; last serial lines:"
	tail -n 40 "$WORK/serial.log" >&2 || true
	exit 1
fi

# --- unpack ---------------------------------------------------------------------------
tr -d '\r' <"$WORK/serial.log" >"$WORK/serial.txt"
sed -n '/^-----BEGIN CAPTURE LOG-----$/,/^-----END CAPTURE LOG-----$/p' "$WORK/serial.txt" >&2
sed -n '/^-----BEGIN CAPTURE-----$/,/^-----END CAPTURE-----$/{/^-----/d;p}' "$WORK/serial.txt" >"$WORK/capture.b64"
[ -s "$WORK/capture.b64" ] || { log "no capture between the markers"; tail -n 40 "$WORK/serial.txt" >&2; exit 1; }
base64 -d "$WORK/capture.b64" >"$WORK/capture.tar.gz"
mkdir -p "$OUT"
rm -rf "${OUT:?}/sys" "$OUT/proc" "$OUT/dev"
tar xzf "$WORK/capture.tar.gz" -C "$OUT" --no-same-owner
log "captured $(find "$OUT/sys" "$OUT/proc" "$OUT/dev" -type f | wc -l) files into $OUT"
