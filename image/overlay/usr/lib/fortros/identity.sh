#!/bin/sh
# fortros-identity.service: copies the node identity QEMU hands the guest as fw_cfg
# entries opt/fortros/id/<file> (the files `agent enroll` writes, NODE_FILES in
# agent/identity/store.ts) to /run/fortros/identity, where a daemon config names it
# as node.identityDir. This is the test harness standing in for what a real preboot
# does at this point: unseal the provisioned identity from the TPM. Nothing on real
# hardware has these fw_cfg entries.
set -eu

SRC=/sys/firmware/qemu_fw_cfg/by_name/opt/fortros/id
DEST=/run/fortros/identity

say() { printf 'fortros-identity: %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }

if [ -e "$DEST" ]; then
	say "$DEST already exists; left as it is"
	exit 0
fi

# Staged in a sibling and renamed at the end, so the agent sees the whole identity
# or none of it, never a key without its certificate.
umask 077
mkdir -p /run/fortros
chmod 0755 /run/fortros
tmp=$DEST.new
rm -rf "$tmp"
mkdir -m 0700 "$tmp"
n=0
for d in "$SRC"/*; do
	[ -f "$d/raw" ] || continue
	name=${d##*/}
	case $name in
	.* | *[!A-Za-z0-9._-]*) fail "fw_cfg opt/fortros/id/$name: not a file name the agent writes" ;;
	esac
	cat "$d/raw" >"$tmp/$name" || fail "cannot read fw_cfg opt/fortros/id/$name"
	case $name in
	*.key) chmod 0600 "$tmp/$name" ;;
	*) chmod 0644 "$tmp/$name" ;;
	esac
	n=$((n + 1))
done
[ "$n" -gt 0 ] || fail "fw_cfg opt/fortros/id holds no files"
mv "$tmp" "$DEST"
say "$n files from fw_cfg in $DEST"
