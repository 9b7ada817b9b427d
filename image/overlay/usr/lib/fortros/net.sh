#!/bin/sh
# fortros-net.service: fortros.ip=ADDR/PREFIX[,GATEWAY] on the kernel command line
# puts an IPv4 address on the first NIC, so the preboot agent can gossip before
# any network manager exists (the initrd has none). The value is checked here,
# not by `ip`, so a typo fails this unit with the value named on the console
# instead of leaving a half-configured interface; the agent starts either way.
set -eu

# `ip` is busybox's applet: dracut links an applet only where the build host has
# the program, so the name `ip` alone depends on the build machine.
ip() { busybox ip "$@"; }
say() { printf 'fortros-net: %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }

# At most this many tenths of a second for the NIC's driver to bind: udev loads
# virtio_net/e1000 asynchronously, and a machine without a NIC must not hang the boot.
WAIT_TENTHS=100

# No globbing: the command line is split into words, never matched against files.
set -f
read -r cmdline </proc/cmdline
value=
# shellcheck disable=SC2086 # split on purpose, globbing is off
for word in $cmdline; do
	case $word in
	fortros.ip=*) value=${word#fortros.ip=} ;;
	esac
done
set +f
[ -n "$value" ] || fail "fortros.ip= is empty; want ADDR/PREFIX[,GATEWAY], e.g. 10.213.0.10/24,10.213.0.1"

octet() {
	case $1 in
	'' | *[!0-9]* | 0?*) return 1 ;;
	esac
	[ "$1" -le 255 ]
}
ipv4() {
	case $1 in
	*.*.*.*.*) return 1 ;;
	*.*.*.*) ;;
	*) return 1 ;;
	esac
	rest=$1
	for _ in 1 2 3 4; do
		octet "${rest%%.*}" || return 1
		rest=${rest#*.}
	done
}

bad() { fail "bad fortros.ip=$value: $*; want ADDR/PREFIX[,GATEWAY], e.g. 10.213.0.10/24,10.213.0.1"; }
case $value in
*,*,*) bad "more than one gateway" ;;
*,*) cidr=${value%%,*} gw=${value#*,} ;;
*) cidr=$value gw= ;;
esac
case $cidr in
*/*) addr=${cidr%%/*} prefix=${cidr#*/} ;;
*) bad "no /PREFIX" ;;
esac
ipv4 "$addr" || bad "address $addr is not dotted-quad IPv4"
case $prefix in
'' | *[!0-9]* | 0?*) bad "prefix /$prefix is not a number" ;;
esac
if [ "$prefix" -lt 1 ] || [ "$prefix" -gt 32 ]; then bad "prefix /$prefix is outside 1..32"; fi
[ -z "$gw" ] || ipv4 "$gw" || bad "gateway $gw is not dotted-quad IPv4"

ip link set lo up

# The first NIC by name that is a device (not a virtual interface the kernel made).
nic() {
	for d in /sys/class/net/*; do
		[ -e "$d/device" ] || continue
		printf '%s\n' "${d##*/}"
		return 0
	done
	return 1
}
tenths=0
until dev=$(nic); do
	[ "$tenths" -lt "$WAIT_TENTHS" ] || fail "no network interface appeared within $((WAIT_TENTHS / 10)) s; $cidr not configured"
	sleep 0.1
	tenths=$((tenths + 1))
done

ip link set "$dev" up || fail "cannot bring $dev up"
ip addr add "$cidr" dev "$dev" || fail "cannot add $cidr to $dev"
if [ -n "$gw" ]; then
	ip route add default via "$gw" dev "$dev" || fail "cannot add the default route via $gw on $dev"
	say "$dev $cidr via $gw"
else
	say "$dev $cidr"
fi
