#!/bin/bash
# libvirt's node-device driver over idxdd, on the real module (docs/libvirt.md,
# "libvirt's node-device API over idxdd"): the stack of stack.sh with one
# software DSA parent, then Debian's libvirtd with its node-device and QEMU
# drivers, whose PATH finds idxdctl as mdevctl. libvirt lists idxdd's active
# mdevs (from udev) with their parent and type, and idxdd's definitions (from
# `mdevctl list --dumpjson --defined`). Prints TAP.
set -uo pipefail
. "$(dirname "$0")/stack.sh"
. "$(dirname "$0")/libvirt.sh"

node_name() {	# node_name UUID PARENT: libvirt's name of an mdev
	local n="mdev_${1}_${2}"
	echo "${n//[^A-Za-z0-9]/_}"
}

if ! have_libvirt; then
	echo "ok 1 - libvirt # SKIP libvirtd or virsh not installed"
	exit 0
fi

stack_up sim_devices=1
active=$("$idxdctl" create --type dsa-1swq-v1 --parent idxd_sim.0 --persistent)
must "idxdctl create: an active mdev on idxd_sim.0 ($active)" test -e "/sys/bus/mdev/devices/$active"
defined=$("$idxdctl" define --type dsa-1dwq-v1 --parent idxd_sim.0 --autostart --attr wq=wq0.0)
must "idxdctl define: a definition without a device ($defined)" test -n "$defined"
must "libvirtd (node-device and QEMU drivers; mdevctl on its PATH is idxdctl)" start_libvirtd
step "mdevctl list --dumpjson --defined, as libvirt runs it" \
	env PATH="$libvirt_run/bin:$PATH" mdevctl list --dumpjson --defined

active_node=$(node_name "$active" idxd_sim.0)
defined_node=$(node_name "$defined" idxd_sim.0)
listed() { virsh nodedev-list --cap mdev "$@"; }
has() { local what=$1; shift; "$@" | grep -qx "$what"; }
must "virsh nodedev-list --cap mdev: idxdd's active mdev ($active_node)" \
	wait_for 30 has "$active_node" listed
step "virsh nodedev-list --cap mdev --all: also idxdd's definition ($defined_node)" \
	wait_for 30 has "$defined_node" listed --all
step "virsh nodedev-list --cap mdev --all" listed --all

xml=$(virsh nodedev-dumpxml "$active_node")
echo "$xml" | sed 's/^/  /'
step "nodedev-dumpxml: its type" grep -q "<type id='idxd_mdev-dsa-1swq-v1'/>" <<<"$xml"
step "nodedev-dumpxml: its parent" grep -q "<parent_addr>idxd_sim.0</parent_addr>" <<<"$xml"
step "nodedev-dumpxml: its UUID" grep -q "<uuid>$active</uuid>" <<<"$xml"
info=$(virsh nodedev-info "$defined_node")
echo "$info" | sed 's/^/  /'
step "nodedev-info of the definition: persistent, autostart, not active" \
	bash -c 'grep -q "Persistent: *yes" <<<"$1" && grep -q "Autostart: *yes" <<<"$1" && grep -q "Active: *no" <<<"$1"' _ "$info"
show_idxdd_log
