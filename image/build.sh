#!/usr/bin/env bash
# Builds the preboot image that carries the agent:
#   image/out/vmlinuz         Debian's kernel (linux-image-amd64), unchanged
#   image/out/initramfs.img   a systemd initrd made by Debian's dracut: systemd, udev,
#                             busybox (the debug shell), the agent, the units from
#                             systemd/preboot and only the kernel modules the agent uses
#   image/out/agent.efi       a UKI: systemd-stub + kernel + initramfs + command line
#
# Usage: bash image/build.sh   (what `make image` runs; needs root for dracut's
# device nodes and the Debian packages in the Makefile's DEB_PACKAGES)
#
# Environment:
#   AGENT=PATH        the agent executable (default dist/agent)
#   KPKG=NAME         the kernel package (default: what linux-image-amd64 depends on)
#   UKI_CMDLINE=...   the command line embedded in agent.efi
#   COMPRESS="..."    the initramfs compressor (default "zstd -19 -q -T0"; image/README.md
#                     has the sizes and unpack times of the alternatives)
#
# The kernel .deb is downloaded once with `apt-get download` into image/out/cache and
# unpacked there; nothing is installed on the host and the host's dracut modules are
# not modified: the agent, the units and the module list go in as a staged overlay.

set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT=$REPO/image/out
CACHE=$OUT/cache
WORK=$OUT/work
AGENT=${AGENT:-$REPO/dist/agent}
UKI_CMDLINE=${UKI_CMDLINE:-console=ttyS0 rd.systemd.unit=fortros-preboot.target fortros.agent=run}
COMPRESS=${COMPRESS:-zstd -19 -q -T0}
STUB=/usr/lib/systemd/boot/efi/linuxx64.efi.stub

log() { printf 'image: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# Watchdogs (i6300ESB in QEMU, Intel TCO behind the LPC bridge or, since the 100-series
# chipsets, behind the SMBus controller that i2c_i801 drives; AMD FCH TCO; softdog as the
# last resort), the in-band BMC (KCS/BT/SMIC via ipmi_si, SSIF over the Intel or AMD
# SMBus), Intel MEI, the NICs QEMU and common hosts give, virtio-rng (a VM's entropy:
# the agent's Node runtime blocks until the kernel's RNG is seeded) and fw_cfg (where
# QEMU hands the agent its config). TPM TIS and CRB are built into Debian's kernel
# (checked below), so they need no module.
DRIVERS=(
	i6300esb iTCO_wdt lpc_ich i2c_i801 sp5100_tco softdog
	ipmi_msghandler ipmi_si ipmi_devintf ipmi_ssif i2c_piix4
	mei mei_me
	virtio_pci virtio_net virtio_rng e1000 e1000e
	qemu_fw_cfg
)
# dracut modules: systemd as PID 1 in its initrd flavour, udev with the stock rules
# (coldplug loads the drivers above), busybox for the debug shell's sh and tools.
DRACUT_MODULES=(systemd systemd-initrd udev-rules busybox)

for tool in apt-get apt-cache dpkg-deb depmod dracut objcopy objdump zstd cpio; do
	command -v "$tool" >/dev/null || die "$tool not found (make deb-deps installs it)"
done
[ -f "$STUB" ] || die "$STUB missing (Debian package systemd-boot-efi)"
[ -x "$AGENT" ] || die "$AGENT missing: run make build first"
[ "$(id -u)" = 0 ] || die "dracut needs root"

mkdir -p "$CACHE" "$WORK"

# --- kernel -----------------------------------------------------------------------------
kernel_package() {
	apt-cache depends linux-image-amd64 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}
if [ -z "${KPKG:-}" ]; then
	KPKG=$(kernel_package)
fi
if [ -z "${KPKG:-}" ]; then
	# A machine whose package lists were never fetched: a cached kernel will do, else fetch them.
	cached=("$CACHE"/linux-image-[0-9]*_amd64.deb)
	if [ -f "${cached[0]}" ]; then
		deb=${cached[${#cached[@]} - 1]}
		KPKG=$(dpkg-deb -f "$deb" Package)
	else
		apt-get update -qq
		KPKG=$(kernel_package)
		[ -n "$KPKG" ] || die "apt-cache cannot resolve linux-image-amd64"
	fi
fi
KVER=${KPKG#linux-image-}
debs=("$CACHE/${KPKG}"_*_amd64.deb)
if [ ! -f "${debs[0]}" ]; then
	log "downloading $KPKG"
	# apt's sandbox user cannot write into a root-owned work tree; that warning is noise.
	if ! (cd "$CACHE" && apt-get download -q "$KPKG") 2>"$WORK/apt.err"; then
		grep -v unsandboxed "$WORK/apt.err" >&2
		die "apt-get download $KPKG failed"
	fi
	debs=("$CACHE/${KPKG}"_*_amd64.deb)
	[ -f "${debs[0]}" ] || die "apt-get download $KPKG left no .deb in $CACHE"
fi
deb=${debs[0]}
KROOT=$CACHE/kernel-$KVER
KMODDIR=$KROOT/lib/modules/$KVER
if [ ! -f "$KROOT/.unpacked" ] || [ "$deb" -nt "$KROOT/.unpacked" ]; then
	log "unpacking $(basename "$deb")"
	rm -rf "$KROOT"
	dpkg-deb -x "$deb" "$KROOT"
	# The package ships no modules.dep: its postinst runs depmod on the installed tree.
	depmod -b "$KROOT" "$KVER"
	touch "$KROOT/.unpacked"
fi
KCONFIG=$KROOT/boot/config-$KVER
for opt in CONFIG_TCG_TIS CONFIG_TCG_CRB CONFIG_RD_ZSTD CONFIG_SERIAL_8250_CONSOLE; do
	grep -q "^$opt=y" "$KCONFIG" || die "$KPKG: $opt is not built in; the image assumes it is"
done
for m in "${DRIVERS[@]}"; do
	modinfo -b "$KROOT" -k "$KVER" -F filename "$m" >/dev/null 2>&1 || die "$KPKG has no module $m"
done

# --- overlay: the agent, its units, the modules to autoload -------------------------------
VERSION=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$REPO/package.json" | head -n 1)
printf 'NAME="FortrOS preboot"\nID=fortros-preboot\nVERSION_ID=%s\nPRETTY_NAME="FortrOS preboot %s (kernel %s)"\n' \
	"$VERSION" "$VERSION" "$KVER" >"$WORK/os-release"
OVERLAY=$WORK/overlay
rm -rf "$OVERLAY"
mkdir -p "$OVERLAY/etc" "$OVERLAY/usr/bin" "$OVERLAY/usr/lib/systemd/system"
# A hard link when the work tree allows it: the agent is ~95 MiB and dracut copies it again.
ln -f "$AGENT" "$OVERLAY/usr/bin/agent" 2>/dev/null || cp "$AGENT" "$OVERLAY/usr/bin/agent"
install -m 0644 "$REPO"/systemd/preboot/*.service "$REPO"/systemd/preboot/*.target "$OVERLAY/usr/lib/systemd/system/"
# Static files: the modules to autoload, the narrowed udev coldplug and the scripts of
# fortros-net and fortros-identity (/usr/lib/fortros; the units run them with /bin/sh).
cp -a "$REPO/image/overlay/." "$OVERLAY/"
# Units of a general-purpose initrd that have nothing to do here, masked: measured
# under QEMU TCG they cost ~0.5 s of the boot together (image/README.md).
#   kmod-static-nodes, systemd-tmpfiles-setup-dev: static /dev nodes for modules that
#     load on open; the only one in this module set is autofs, which systemd loads itself
#   systemd-sysctl: the distribution's sysctl.d (pid_max, protected links) for a system
#     with users; the preboot runs nothing but root services
#   systemd-ask-password-console.path: password prompts on the console; nobody types
#     at a preboot, and one waiting for a person would keep the node down
MASK=(kmod-static-nodes.service systemd-tmpfiles-setup-dev.service systemd-sysctl.service systemd-ask-password-console.path)
mkdir -p "$OVERLAY/etc/systemd/system"
for u in "${MASK[@]}"; do ln -s /dev/null "$OVERLAY/etc/systemd/system/$u"; done
# The agent writes its FFI module to os.tmpdir() for dlopen; the initrd root is a
# writable tmpfs, but dracut's base module (not used here) is what usually makes /tmp.
install -d -m 1777 "$OVERLAY/tmp"
# systemd treats / as an initrd only when /etc/initrd-release exists (dracut's base
# module, not used here, writes it); without it rd.systemd.unit= is ignored.
install -m 0644 "$WORK/os-release" "$OVERLAY/etc/initrd-release"
ln -s initrd-release "$OVERLAY/etc/os-release"

# Shared libraries of the Node executable (libstdc++, libgcc_s, ...); dracut skips the
# ones systemd already brought.
mapfile -t LIBS < <(ldd "$AGENT" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
[ "${#LIBS[@]}" -gt 0 ] || die "ldd found no libraries for $AGENT"

# --- initramfs ------------------------------------------------------------------------------
INITRD=$OUT/initramfs.img
log "dracut: kernel $KVER, modules ${DRACUT_MODULES[*]}"
# --nostrip: dracut strips every executable it installs, and strip rewrites the agent's
# ELF layout and loses the Node single-executable blob that postject injected.
dracut --force --quiet \
	--no-hostonly --no-hostonly-cmdline --no-early-microcode --nostrip --reproducible \
	--kver "$KVER" --kmoddir "$KMODDIR" \
	--modules "${DRACUT_MODULES[*]}" \
	--drivers "${DRIVERS[*]}" \
	--include "$OVERLAY" / \
	--install "${LIBS[*]}" \
	--compress "$COMPRESS" \
	"$WORK/initramfs.img"
mv -f "$WORK/initramfs.img" "$INITRD"

cp -f "$KROOT/boot/vmlinuz-$KVER" "$OUT/vmlinuz"

# --- UKI ------------------------------------------------------------------------------------
# systemd-stub's recipe (bookworm's systemd 252 has no ukify): append .osrel, .cmdline,
# .initrd and .linux after the stub's last section, each at a VMA rounded up to the
# stub's SectionAlignment. .linux goes last, as ukify puts it, "to leave breathing room
# for decompression".
printf '%s' "$UKI_CMDLINE" >"$WORK/cmdline"

align=$((16#$(objdump -p "$STUB" | awk '$1 == "SectionAlignment" { print $2 }')))
[ "$align" -gt 0 ] || die "cannot read SectionAlignment of $STUB"
# End of the stub's last section: VMA + size, from `objdump -h` (7-field header lines).
end=0
while read -r size vma; do
	e=$((16#$vma + 16#$size))
	[ "$e" -gt "$end" ] && end=$e
done < <(objdump -h "$STUB" | awk 'NF == 7 && $1 ~ /^[0-9]+$/ { print $3, $4 }')
up() { echo $((($1 + align - 1) / align * align)); }
SECTIONS=(.osrel "$WORK/os-release" .cmdline "$WORK/cmdline" .initrd "$INITRD" .linux "$OUT/vmlinuz")
OBJCOPY_ARGS=()
vma=$(up "$end")
for ((i = 0; i < ${#SECTIONS[@]}; i += 2)); do
	name=${SECTIONS[i]} file=${SECTIONS[i + 1]}
	OBJCOPY_ARGS+=(--add-section "$name=$file" --change-section-vma "$name=$(printf '0x%x' "$vma")")
	vma=$(up $((vma + $(stat -Lc %s "$file"))))
done
objcopy "${OBJCOPY_ARGS[@]}" "$STUB" "$WORK/agent.efi"
# objcopy stamps the PE header with the current time (binutils 2.40 ignores
# SOURCE_DATE_EPOCH for PE) and a checksum over it, so the same inputs would give a
# different UKI, and a different measurement into the TPM, at every build. Both are
# zeroed (the stub ships with timestamp 0; firmware does not check the checksum of an EFI
# application): TimeDateStamp at e_lfanew + 8 (after "PE\0\0", machine, section count),
# CheckSum at e_lfanew + 24 (COFF header) + 64 (PE32+ optional header).
pe=$(od -An -t u4 -j 60 -N 4 "$WORK/agent.efi" | tr -d ' ')
for off in $((pe + 8)) $((pe + 24 + 64)); do
	printf '\0\0\0\0' | dd of="$WORK/agent.efi" bs=1 seek="$off" conv=notrunc status=none
done
mv -f "$WORK/agent.efi" "$OUT/agent.efi"

# --- sizes ----------------------------------------------------------------------------------
for f in vmlinuz initramfs.img agent.efi; do
	awk -v f="$f" -v s="$(stat -c %s "$OUT/$f")" -v p="$OUT/$f" 'BEGIN { printf "%-14s %6.1f MiB  %s\n", f, s / 1048576, p }'
done
