#!/bin/bash
# The README demo, run inside the VM by scripts/demo through tests/vm/run-vm:
# the module with two software DSA parents, a system bus, udev and idxdd from
# the build applying conf/'s example policy, then idxdctl creating, using and
# destroying an mdev by hand.
# Prints TAP (one line per step) with the commands' output in between.
set -uo pipefail
. "$(dirname "$0")/stack.sh"

policy=$src/conf/policy.d/10-example.json
must "the example policy: vm1 gets 2 shared-WQ mdevs, vm2 a dedicated WQ" \
	"$idxdctl" policy check "$policy"
use_policy "$policy"
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
show_idxdd_log
