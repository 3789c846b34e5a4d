#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Checks the generated unit with "systemd-analyze verify". The installed
# binaries are not there at build time, so a copy of the unit points at the
# ones in the build tree. Exit 77 (skipped) where systemd-analyze cannot run.
# Usage: check-unit.sh UNIT IDXDD IDXDCTL
set -eu
unit=$1 idxdd=$2 idxdctl=$3
# meson passes build-tree paths relative to the working directory.
absolute() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
idxdd=$(absolute "$idxdd") idxdctl=$(absolute "$idxdctl")

command -v systemd-analyze >/dev/null 2>&1 || { echo "no systemd-analyze"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sed -e "s|^ExecStart=[^ ]*|ExecStart=$idxdd|" \
    -e "s|^ExecReload=[^ ]*|ExecReload=$idxdctl|" \
    "$unit" >"$tmp/idxdd.service"

# Does systemd-analyze work here at all (containers without systemd may not)?
printf '[Service]\nExecStart=/bin/true\n' >"$tmp/probe.service"
systemd-analyze verify --man=no "$tmp/probe.service" >/dev/null 2>&1 ||
	{ echo "systemd-analyze verify does not work here"; exit 77; }

# verify prints problems and may still exit 0: any output is a failure.
out=$(systemd-analyze verify --man=no "$tmp/idxdd.service" 2>&1) || { echo "$out"; exit 1; }
[ -z "$out" ] || { echo "$out"; exit 1; }
echo "systemd-analyze verify: idxdd.service OK"
