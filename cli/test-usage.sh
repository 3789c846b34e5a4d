#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# idxdctl without a daemon: help, usage errors (exit 2) and an unreachable or
# empty bus (exit 1), each failure one line on stderr. TAP output.
# Usage: test-usage.sh IDXDCTL
set -u
idxdctl=$1
tmp=$(mktemp -d)
n=0 failed=0
bus_pid=

cleanup() {
	[ -n "$bus_pid" ] && kill "$bus_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# expect STATUS ARGS...: runs idxdctl, checks the status and, on failure, one stderr line.
expect() {
	want=$1; shift
	n=$((n + 1))
	"$idxdctl" "$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	lines=$(wc -l <"$tmp/err")
	if [ "$got" != "$want" ]; then
		echo "not ok $n - idxdctl $*: exit $got, expected $want"; sed 's/^/# /' "$tmp/err"
		failed=$((failed + 1))
	elif [ "$want" != 0 ] && { [ "$lines" != 1 ] || ! grep -q '^idxdctl: .*: ' "$tmp/err"; }; then
		echo "not ok $n - idxdctl $*: stderr is not one 'idxdctl: what: what to do' line"
		sed 's/^/# /' "$tmp/err"
		failed=$((failed + 1))
	else
		echo "ok $n - idxdctl $* (exit $got)"
	fi
}

expect 0 --help
expect 0 --version
for verb in create list destroy types parents status reload; do
	expect 0 "$verb" --help
done
expect 2
expect 2 frobnicate
expect 2 --frobnicate list
expect 2 list --frobnicate
expect 2 list -x
expect 2 list extra
expect 2 list --parent
expect 2 create
expect 2 create --type
expect 2 create --type t --uuid not-a-uuid
expect 2 create --type t --uuid 83b8f4f2-509f-382f-3c1e-e6bfe0fa100
expect 2 create --type t --count 0
expect 2 create --type t --count 2 --uuid 83b8f4f2-509f-382f-3c1e-e6bfe0fa1001
expect 2 destroy
expect 2 destroy 83b8f4f2-509f-382f-3c1e-e6bfe0fa1001 bad
expect 2 --address "" list

# Nothing listens there.
expect 1 --address "unix:path=$tmp/none" list
DBUS_SYSTEM_BUS_ADDRESS="unix:path=$tmp/none" expect 1 status

# A bus without idxdd on it.
if command -v dbus-daemon >/dev/null 2>&1 &&
   dbus-daemon --session --fork --print-address=3 --print-pid=4 3>"$tmp/address" 4>"$tmp/pid" &&
   address=$(head -n1 "$tmp/address") && [ -n "$address" ]; then
	bus_pid=$(cat "$tmp/pid")
	for verb in list parents types status reload; do
		expect 1 --address "$address" "$verb"
	done
	expect 1 --address "$address" create --type dsa-1swq-v1
	expect 1 --address "$address" destroy 83b8f4f2-509f-382f-3c1e-e6bfe0fa1001
	grep -q 'idxdd is not running' "$tmp/err" || {
		n=$((n + 1)); failed=$((failed + 1))
		echo "not ok $n - no daemon is reported as 'idxdd is not running'"
	}
else
	echo "# dbus-daemon not available: bus checks skipped"
fi

echo "1..$n"
[ "$failed" = 0 ]
