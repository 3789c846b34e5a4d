#!/bin/bash
# libvirt's node-device driver over idxdd, on the real module (docs/libvirt.md,
# "libvirt's node-device API over idxdd"): the stack of stack.sh with one
# software DSA parent, then Debian's libvirtd with its node-device and QEMU
# drivers, whose PATH finds idxdctl as mdevctl. libvirt lists idxdd's active
# mdevs (from udev) with their parent and type, and idxdd's definitions (from
# `mdevctl list --dumpjson --defined`). Prints TAP.
set -uo pipefail
. "$(dirname "$0")/stack.sh"

# The node-device API rides on a hypervisor connection in the monolithic libvirtd.
virsh() { command virsh -c qemu:///system "$@"; }

# libvirtd with the node-device and QEMU drivers alone, QEMU's set up to ask
# for nothing a VM does not have (cgroups, namespaces, virtlogd); the QEMU
# driver insists on its libvirt-qemu user, which the guest gets.
start_libvirtd() {
	local drivers=/usr/lib/x86_64-linux-gnu/libvirt/connection-driver run=/run/idxd-nodedev
	mkdir -p $run/drivers $run/bin $run/etc /var/log/libvirt /var/lib/libvirt /var/cache/libvirt &&
		cp "$drivers/libvirt_driver_nodedev.so" "$drivers/libvirt_driver_qemu.so" $run/drivers/ &&
		mount --bind $run/drivers "$drivers" &&
		cp -a /etc/libvirt/. $run/etc/ &&
		printf '%s\n' 'user = "root"' 'group = "root"' 'dynamic_ownership = 0' 'namespaces = [ ]' \
			'security_driver = "none"' 'cgroup_controllers = [ ]' 'stdio_handler = "file"' >$run/etc/qemu.conf &&
		mount --bind $run/etc /etc/libvirt &&
		{ cat /etc/passwd; echo 'libvirt-qemu:x:64055:64055::/var/lib/libvirt:/usr/sbin/nologin'; } >$run/passwd &&
		{ cat /etc/group; echo 'libvirt-qemu:x:64055:'; } >$run/group &&
		mount --bind $run/passwd /etc/passwd && mount --bind $run/group /etc/group &&
		ln -sf "$idxdctl" $run/bin/mdevctl &&
		PATH=$run/bin:$PATH libvirtd --daemon --pid-file=$run/libvirtd.pid &&
		wait_for 120 virsh nodedev-list && return 0
	echo "# libvirtd's log:"
	sed 's/^/#   /' /var/log/libvirt/libvirtd.log
	virsh nodedev-list 2>&1 | sed 's/^/# virsh: /'
	return 1
}

node_name() {	# node_name UUID PARENT: libvirt's name of an mdev
	local n="mdev_${1}_${2}"
	echo "${n//[^A-Za-z0-9]/_}"
}

if ! command -v libvirtd >/dev/null || ! command -v virsh >/dev/null; then
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
	env PATH=/run/idxd-nodedev/bin:"$PATH" mdevctl list --dumpjson --defined

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
