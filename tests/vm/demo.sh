#!/bin/bash
# The README demo, run inside the VM by scripts/demo through tests/vm/run-vm:
# the module with two software DSA parents, a system bus, udev, Debian's
# libvirtd and idxdd from the build applying conf/'s example policy, then
# idxdctl creating, using and destroying an mdev by hand, and last a guest
# that libvirt starts (domain vm2 of the example policy) doing DSA work
# through the mdev idxdd made for it and attached to its definition.
# Prints TAP (one line per step) with the commands' output in between.
set -uo pipefail
. "$(dirname "$0")/stack.sh"
. "$(dirname "$0")/libvirt.sh"
. "$(dirname "$0")/nested.sh"

policy=$src/conf/policy.d/10-example.json
# NESTED_TODO="WHY" turns the guest's failed checks into TAP TODOs (a known
# problem, named in WHY); unset, they count.
nested_todo=${NESTED_TODO-}
must "the example policy: vm1 gets 2 shared-WQ mdevs, vm2 a dedicated WQ" \
	"$idxdctl" policy check "$policy"
use_policy "$policy"
have_libvirt && stack_libvirt=1
# idxdd makes a policy's mdevs only for domains libvirt has: vm1 and vm2 are
# defined first (vm2's guest is started at the end; vm1's never is).
before_idxdd() {
	must "build the guest's initramfs: Debian's kernel modules for vfio-pci, busybox, the VFIO client" \
		nested_initramfs
	must "virsh define vm1 and vm2: q35, software emulation, Intel vIOMMU, Debian's kernel; no hostdev" \
		define_domains
}
define_domains() { nested_define vm1 ops && nested_define vm2 memmove,65536+memmove,1048576; }
stack_up sim_devices=2
must "idxdctl parents" "$idxdctl" parents
policy_applied() { [ "$("$idxdctl" list --domain vm1 | grep -c ' active ')" = 2 ] &&
	[ "$("$idxdctl" list --domain vm2 | grep -c ' active ')" = 1 ]; }
must "idxdd applied the policy at start" wait_for 30 policy_applied
must "idxdctl list: the policy's mdevs, stable UUIDs derived from domain, pool, index" \
	"$idxdctl" list
must "idxdctl status" "$idxdctl" status
must "idxdctl types" "$idxdctl" types

tap_n=$((tap_n + 1))
echo "## create an mdev on a shared WQ"
echo "\$ idxdctl create --type dsa-1swq-v1"
uuid=$("$idxdctl" create --type dsa-1swq-v1 2>&1)
echo "$uuid"
if [[ $uuid =~ ^[0-9a-f-]{36}$ ]]; then
	echo "ok $tap_n - idxdctl create"
else
	echo "not ok $tap_n - idxdctl create"
	echo "Bail out! no mdev to use"
	exit 1
fi

must "idxdctl list" "$idxdctl" list
step "the mdev's IMS vectors and WQ in sysfs" \
	grep -H . "/sys/bus/mdev/devices/$uuid/ims_vectors" "/sys/bus/mdev/devices/$uuid/wq"
step "open it through VFIO and run a verified MEMMOVE" \
	"$build/tests/vm/vfio-client" "$uuid" memmove 65536
step "idxdctl destroy" "$idxdctl" destroy "$uuid"
step "the mdev is gone" test ! -e "/sys/bus/mdev/devices/$uuid"
step "idxdctl list" "$idxdctl" list

if [ "${stack_libvirt:-0}" != 1 ]; then
	echo "ok $((tap_n + 1)) - a guest started by libvirt # SKIP libvirtd or virsh not installed"
	show_idxdd_log
	exit 0
fi
vm2_mdev=$("$idxdctl" list --domain vm2 | awk '/ active / { print $1 }')
must "idxdd attached vm2's mdev ($vm2_mdev) to the definition" wait_for 30 nested_has_mdev vm2 "$vm2_mdev"
virsh dumpxml --inactive vm2 | sed -n '/<hostdev/,/<\/hostdev>/p'
must "virsh start vm2" virsh start vm2
echo "(the guest boots Debian's kernel under two levels of software emulation: 4-7 minutes)"
step "vm2 booted, bound the vDSA to vfio-pci and ran the VFIO client" nested_wait vm2 600
nested_step "in vm2 the VFIO client's MEMMOVEs completed, data verified" nested_passed vm2
echo "## vm2's serial console"
nested_console vm2 | grep '^nested-guest\|^memmove' | sed 's/^/  /'
t_refused() {
	local out
	out=$("$idxdctl" destroy "$vm2_mdev" 2>&1) && return 1
	echo "$out"
	[[ $out == *"in use by domain vm2"* ]]
}
step "idxdctl destroy of vm2's mdev while vm2 runs: refused, in use by domain vm2" t_refused
step "virsh destroy vm2" virsh destroy vm2
step "idxdctl list: vm2's mdev is free again, still vm2's" "$idxdctl" list --domain vm2
show_idxdd_log
