#!/bin/sh
# Copy, from the live root, exactly the sysfs/procfs/dev entries the agent's
# probes read into a fixture tree (DEST/sys, DEST/proc, DEST/dev), so probes
# can be tested against what a real kernel exposes.
#
# Usage: capture-sysfs.sh DEST        (run as root: DMI and ACPI tables are 0400)
#
# Plain POSIX sh: it runs under busybox ash in a minimal initramfs as well as
# under dash/bash on Debian. No `local`, no arrays, no GNU-only flags.
#
# What it does NOT copy, on purpose: whole ACPI tables (only the 36-byte header,
# which carries the signature and OEM ids), PCI config space, TPM PCR values,
# anything under /proc except cpuinfo, and any /dev node's contents.

set -u

DEST=${1:-}
if [ -z "$DEST" ]; then
	echo "usage: $0 DEST" >&2
	exit 2
fi
mkdir -p "$DEST" || exit 1
DEST=$(cd -P "$DEST" && pwd -P) || exit 1

warn() {
	printf 'capture-sysfs: %s\n' "$*" >&2
}

# copy PATH [BLOCKS]: copy a regular file to DEST/PATH, at most BLOCKS x 4 KiB
# (default 16 = 64 KiB, far above any sysfs attribute). sysfs reports a size
# of 4096 for every attribute, so the size cannot be checked up front.
copy() {
	cp_src=$1
	cp_max=${2:-16}
	[ -f "$cp_src" ] || return 0
	cp_dst=$DEST$cp_src
	mkdir -p "${cp_dst%/*}" || return 0
	if cp_err=$(dd if="$cp_src" of="$cp_dst" bs=4096 count="$cp_max" 2>&1); then
		cp_size=$(wc -c <"$cp_dst")
		if [ "$cp_size" -ge $((cp_max * 4096)) ]; then
			warn "$cp_src: truncated at $cp_size bytes"
		fi
	else
		rm -f "$cp_dst"
		warn "skipped $cp_src: $(printf '%s' "$cp_err" | head -n 1)"
	fi
}

# copy_attrs DIR NAME...: copy the named attributes of one sysfs directory.
copy_attrs() {
	ca_dir=$1
	shift
	for ca_name in "$@"; do
		copy "$ca_dir/$ca_name"
	done
}

# ups REL: one "../" per component of REL, the prefix that climbs from a
# directory at DEST/sys/REL back to DEST/sys.
ups() {
	up_out=
	up_ifs=$IFS
	IFS=/
	set -f
	for up_c in $1; do
		[ -n "$up_c" ] && up_out=../$up_out
	done
	IFS=$up_ifs
	set +f
	printf '%s' "$up_out"
}

is_pci_addr() {
	case $1 in
	[0-9a-f][0-9a-f][0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f].[0-7]) return 0 ;;
	esac
	return 1
}

# fixture_rel REALPATH: where a /sys/devices/... directory lives in the fixture,
# relative to DEST/sys. A device at or below a PCI function goes under
# bus/pci/devices/<addr>[/rest] (the fixture keeps PCI functions there as real
# directories); anything else keeps its /sys-relative path.
fixture_rel() {
	fr_p=${1#/sys/}
	fr_pci=
	fr_rest=
	fr_ifs=$IFS
	IFS=/
	set -f
	for fr_c in $fr_p; do
		if is_pci_addr "$fr_c" && [ -d "/sys/bus/pci/devices/$fr_c" ]; then
			fr_pci=$fr_c
			fr_rest=
		elif [ -n "$fr_pci" ] && [ -n "$fr_c" ]; then
			fr_rest=$fr_rest/$fr_c
		fi
	done
	IFS=$fr_ifs
	set +f
	if [ -n "$fr_pci" ]; then
		printf '%s' "bus/pci/devices/$fr_pci$fr_rest"
	else
		printf '%s' "$fr_p"
	fi
}

# link_driver LIVEDIR REL: recreate LIVEDIR/driver as DEST/sys/REL/driver, a
# relative link whose basename is the driver name (probes only read the name).
link_driver() {
	ld_src=$1
	ld_rel=$2
	[ -e "$ld_src/driver" ] || return 0
	ld_drv=$(cd -P "$ld_src/driver" 2>/dev/null && pwd -P) || return 0
	# The target directory is created too, so the link resolves inside the
	# fixture and tools that follow links (diff -r, cp -L) do not trip on it.
	keep "/sys/${ld_drv#/sys/}"
	mkdir -p "$DEST/sys/$ld_rel"
	rm -f "$DEST/sys/$ld_rel/driver"
	ln -s "$(ups "$ld_rel")${ld_drv#/sys/}" "$DEST/sys/$ld_rel/driver"
}

# mirror_device LINK: recreate a `device` symlink (LINK is a /sys path) as a
# relative link to the mirrored device directory, plus that device's driver
# link. Sets MD_REL to the device's path relative to DEST/sys ('' if none).
mirror_device() {
	md_link=$1
	MD_REL=
	[ -e "$md_link" ] || return 0
	md_real=$(cd -P "$md_link" 2>/dev/null && pwd -P) || return 0
	MD_REL=$(fixture_rel "$md_real")
	md_from=${md_link%/*}
	mkdir -p "$DEST/sys/$MD_REL" "$DEST$md_from"
	rm -f "$DEST$md_link"
	ln -s "$(ups "${md_from#/sys/}")$MD_REL" "$DEST$md_link"
	link_driver "$md_real" "$MD_REL"
}

# keep DIR: an empty directory git can store.
keep() {
	mkdir -p "$DEST$1" && : >"$DEST$1/.keep"
}

# --- SMBIOS ------------------------------------------------------------------
copy /sys/firmware/dmi/tables/smbios_entry_point
# 256 blocks = 1 MiB; real SMBIOS tables are a few KiB to a few tens of KiB.
copy /sys/firmware/dmi/tables/DMI 256
for f in /sys/class/dmi/id/*; do
	[ -f "$f" ] && [ ! -L "$f" ] && copy "$f"
done

# --- PCI -----------------------------------------------------------------------
for d in /sys/bus/pci/devices/*; do
	[ -d "$d" ] || continue
	addr=${d##*/}
	copy_attrs "$d" vendor device subsystem_vendor subsystem_device class revision
	link_driver "$d" "bus/pci/devices/$addr"
done

# --- Intel MEI -------------------------------------------------------------------
for d in /sys/class/mei/*; do
	[ -d "$d" ] || continue
	copy_attrs "$d" fw_ver fw_status dev_state hbm_ver kind
	mirror_device "$d/device"
done
for d in /sys/bus/mei/devices/*; do
	[ -d "$d" ] || continue
	copy_attrs "$d" name uuid version
done

# --- watchdogs -----------------------------------------------------------------
for d in /sys/class/watchdog/*; do
	[ -d "$d" ] || continue
	copy_attrs "$d" identity state status timeout pretimeout min_timeout max_timeout \
		timeleft nowayout bootstatus fw_version options
	mirror_device "$d/device"
done

# --- TPM -------------------------------------------------------------------------
for d in /sys/class/tpm/*; do
	[ -d "$d" ] || continue
	keep "$d"
	copy "$d/tpm_version_major"
	mirror_device "$d/device"
	[ -n "$MD_REL" ] && copy "$d/device/description"
	# Only the bank names: reading PCR values would talk to the TPM and the
	# values identify this boot.
	for p in "$d"/pcr-*; do
		[ -d "$p" ] && keep "$p"
	done
done

# --- network interfaces ------------------------------------------------------------
for d in /sys/class/net/*; do
	[ -d "$d" ] || continue
	keep "$d"
	copy_attrs "$d" address speed operstate carrier mtu type
	mirror_device "$d/device"
done

# --- IPMI --------------------------------------------------------------------------
for d in /sys/class/ipmi/*; do
	[ -d "$d" ] || continue
	keep "$d"
	for f in "$d"/*; do
		[ -f "$f" ] && [ ! -L "$f" ] && copy "$f"
	done
	mirror_device "$d/device"
done

# --- hypervisor, ACPI, CPU ---------------------------------------------------------
copy_attrs /sys/hypervisor type uuid
# Present only with QEMU's fw_cfg device and the qemu_fw_cfg driver.
copy /sys/firmware/qemu_fw_cfg/rev
for t in DSDT FACP APIC MCFG; do
	src=/sys/firmware/acpi/tables/$t
	[ -f "$src" ] || continue
	mkdir -p "$DEST/sys/firmware/acpi/tables"
	# The 36-byte header holds signature, length, revision and the OEM ids;
	# the body (AML, MADT entries) is not needed and can be large.
	if ! err=$(dd if="$src" of="$DEST$src" bs=36 count=1 2>&1); then
		rm -f "$DEST$src"
		warn "skipped $src: $(printf '%s' "$err" | head -n 1)"
	fi
done
copy /proc/cpuinfo 256

# --- device nodes and modules (presence only) -------------------------------------------
for f in /dev/ipmi* /dev/watchdog* /dev/tpm* /dev/mei*; do
	[ -e "$f" ] && [ ! -d "$f" ] || continue
	mkdir -p "$DEST/dev" && : >"$DEST$f"
done
for m in ipmi_si ipmi_devintf ipmi_msghandler ipmi_ssif mei mei_me i6300esb softdog iTCO_wdt; do
	[ -d "/sys/module/$m" ] && keep "/sys/module/$m"
done

exit 0
