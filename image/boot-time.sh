#!/usr/bin/env bash
# Measures how long the image takes to print its report, against the floor: the same
# kernel with a busybox initramfs that powers off at once. Each boot is timed from
# QEMU's start to the line that ends it (the report's END marker, or the floor's
# marker), under the same QEMU command (q35, TCG, 1 vCPU, 1 GiB, i6300ESB, IPMI BMC).
#
# Usage: bash image/boot-time.sh [RUNS]     (after make image; RUNS defaults to 3)
# Environment: EXTRA_QEMU="-device virtio-rng-pci" adds devices to every boot;
#   UKI=1 boots through OVMF: the image as agent.efi (its embedded command line
#   replaced by -append, as systemd-stub allows without Secure Boot), the floor as
#   the same kernel through its own EFI stub.
# Prints one line per boot and the medians; exits 1 if a boot did not finish.

set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT=$REPO/image/out
RUNS=${1:-3}
BB=/bin/busybox
OVMF=/usr/share/ovmf/OVMF.fd
FIRMWARE=()
[ "${UKI:-0}" = 1 ] && FIRMWARE=(-bios "$OVMF")
for f in "$OUT/vmlinuz" "$OUT/initramfs.img" "$OUT/agent.efi" "$BB" ${FIRMWARE[@]:+"$OVMF"}; do
	[ -e "$f" ] || { echo "boot-time: $f missing (make image; busybox-static)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/boot-time.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

mkdir -p "$WORK/floor/bin"
cp "$BB" "$WORK/floor/bin/busybox"
printf '#!/bin/busybox sh\n/bin/busybox echo FLOOR-DONE\n/bin/busybox poweroff -f\n' >"$WORK/floor/init"
chmod 755 "$WORK/floor/init"
(cd "$WORK/floor" && find . | cpio -o -H newc --quiet) | zstd -19 -q >"$WORK/floor.img"

# boot NAME KERNEL INITRD MARKER APPEND: prints the milliseconds from QEMU's start to MARKER.
boot() {
	local name=$1 kernel=$2 initrd=$3 marker=$4 append=$5 start line ms
	start=$(date +%s%N)
	# shellcheck disable=SC2086 # EXTRA_QEMU is a list of arguments
	timeout 300 qemu-system-x86_64 -machine q35 -accel tcg -m 1024 -smp 1 -nographic -no-reboot \
		"${FIRMWARE[@]}" -kernel "$kernel" ${initrd:+-initrd "$initrd"} -append "$append" \
		-device i6300esb -action watchdog=reset -device ipmi-bmc-sim,id=bmc0 -device isa-ipmi-kcs,bmc=bmc0 \
		${EXTRA_QEMU:-} </dev/null 2>&1 |
		while IFS= read -r line; do
			if [[ $line == *"$marker"* ]]; then
				echo $((($(date +%s%N) - start) / 1000000)) >"$WORK/$name.ms"
			fi
		done
	[ -s "$WORK/$name.ms" ] || { echo "boot-time: $name never printed $marker" >&2; return 1; }
	ms=$(cat "$WORK/$name.ms")
	rm -f "$WORK/$name.ms"
	echo "$ms"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

APPEND='console=ttyS0 rd.systemd.unit=fortros-preboot.target fortros.agent=report'
: >"$WORK/floor.all"
: >"$WORK/image.all"
for ((i = 1; i <= RUNS; i++)); do
	f=$(boot floor "$OUT/vmlinuz" "$WORK/floor.img" FLOOR-DONE 'console=ttyS0')
	if [ "${UKI:-0}" = 1 ]; then
		m=$(boot image "$OUT/agent.efi" '' '-----END FORTROS REPORT-----' "$APPEND")
	else
		m=$(boot image "$OUT/vmlinuz" "$OUT/initramfs.img" '-----END FORTROS REPORT-----' "$APPEND")
	fi
	echo "run $i: floor ${f} ms, image ${m} ms"
	echo "$f" >>"$WORK/floor.all"
	echo "$m" >>"$WORK/image.all"
done
f=$(median <"$WORK/floor.all")
m=$(median <"$WORK/image.all")
awk -v f="$f" -v m="$m" 'BEGIN { printf "median: floor %d ms, image %d ms, ratio %.2f\n", f, m, m / f }'
