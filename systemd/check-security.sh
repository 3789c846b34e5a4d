#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Fails when "systemd-analyze security" rates the unit's exposure above
# MAX (tenths: 20 = 2.0), and prints what is left exposed. Offline, on the
# generated unit: no running systemd needed. Exit 77 (skipped) where this
# systemd-analyze has no --offline (systemd < 250).
# Usage: check-security.sh UNIT [MAX]
set -eu
unit=$1 max=${2:-20}

command -v systemd-analyze >/dev/null 2>&1 || { echo "no systemd-analyze"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/etc/systemd/system"
cp "$unit" "$tmp/etc/systemd/system/"
name=$(basename "$unit")

systemd-analyze security --offline=true --root="$tmp" "$name" >"$tmp/out" 2>&1 || {
	if grep -q "unrecognized option\|Unknown option" "$tmp/out"; then
		echo "systemd-analyze has no --offline"; exit 77
	fi
	cat "$tmp/out"; exit 1
}
grep -E '✗|Overall' "$tmp/out" || true
systemd-analyze security --offline=true --threshold="$max" --root="$tmp" "$name" >/dev/null 2>&1 || {
	echo "$name: exposure above $((max / 10)).$((max % 10))"; exit 1
}
echo "$name: exposure at most $((max / 10)).$((max % 10))"
