#!/bin/bash
# End-to-end checks of the whole stack on the real module, inside the VM
# (tests/vm/run-vm): IMS exhaustion seen through idxdctl and NoCapacity, a
# parent that goes away and comes back, idxdd killed during a bring-up and
# restarted. Prints TAP; run-vm adds the dmesg check.
set -uo pipefail
. "$(dirname "$0")/stack.sh"

sysplat=/sys/devices/platform
drv=/sys/bus/platform/drivers/idxd_mdev

# jq-like reads of idxdctl --json output: json_get EXPR < JSON (python3 EXPR over `d`).
json_get() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

parent_field() {	# parent_field PARENT KEY
	"$idxdctl" --json parents | json_get "[p['$2'] for p in d['parents'] if p['parent']=='$1'][0]"
}

mdev_count() {	# mdev_count [idxdctl list filters]: mdevs idxdd lists
	"$idxdctl" --json list "$@" | json_get "len(d['mdevs'])"
}

sysfs_count() { find /sys/bus/mdev/devices -mindepth 1 -maxdepth 1 | wc -l; }

expect_eq() {	# expect_eq WHAT ACTUAL EXPECTED
	[ "$2" = "$3" ] && return 0
	echo "# $1: got '$2', expected '$3'"
	return 1
}

# 16 IMS entries per parent: 8 shared-WQ mdevs (2 vectors each) use them all
# while shared-WQ slots (16) are still free, so IMS is what runs out.
stack_up sim_devices=2 ims_size=16

t_ims_exhaustion() {
	local out rc
	expect_eq "ims_available before" "$(parent_field idxd_sim.0 ims_available)" 16 || return 1
	"$idxdctl" create --parent idxd_sim.0 --type dsa-1swq-v1 --count 8 >/run/idxd-stack/uuids || return 1
	expect_eq "mdevs made" "$(wc -l </run/idxd-stack/uuids)" 8 || return 1
	expect_eq "ims_available when full" "$(parent_field idxd_sim.0 ims_available)" 0 || return 1
	expect_eq "available instances when full" "$("$idxdctl" --json types --parent idxd_sim.0 |
		json_get "sum(t['available_instances'] for t in d['types'])")" 0 || return 1
	out=$("$idxdctl" create --parent idxd_sim.0 --type dsa-1swq-v1 2>&1); rc=$?
	echo "# $out"
	expect_eq "exit status past capacity" "$rc" 1 || return 1
	[[ ${out,,} == *"no capacity"* ]] || return 1
	expect_eq "sysfs mdevs" "$(sysfs_count)" 8 || return 1
	# shellcheck disable=SC2046
	"$idxdctl" destroy $(cat /run/idxd-stack/uuids) || return 1
	expect_eq "ims_available after destroy" "$(parent_field idxd_sim.0 ims_available)" 16
}
step "IMS exhaustion: idxdctl parents shows 0 left, create gets NoCapacity" t_ims_exhaustion

t_parent_unbind() {
	"$idxdctl" create --parent idxd_sim.1 --type dsa-1dwq-v1 --count 2 >/dev/null || return 1
	expect_eq "mdevs on idxd_sim.1" "$(mdev_count --parent idxd_sim.1)" 2 || return 1
	echo idxd_sim.1 >"$drv/unbind" || return 1
	wait_for 10 bash -c "! '$idxdctl' parents | grep -q idxd_sim.1" || { echo "# parent still listed"; return 1; }
	expect_eq "mdevs of idxd_sim.1 listed after unbind" "$("$idxdctl" --json list |
		json_get "sum(m['parent'] == 'idxd_sim.1' for m in d['mdevs'])")" 0 || return 1
	echo idxd_sim.1 >"$drv/bind" || return 1
	wait_for 10 bash -c "'$idxdctl' parents | grep -q idxd_sim.1" || { echo "# parent not back"; return 1; }
	expect_eq "ims_available after rebind" "$(parent_field idxd_sim.1 ims_available)" 16
}
step "a parent unbound with mdevs on it leaves idxdd's lists, and returns on bind" t_parent_unbind

# Larger parents for a bring-up worth interrupting.
t_reload_module() {
	stop_idxdd
	rmmod idxd_mdev && insmod "$src/kernel/idxd_mdev.ko" sim_devices=2 swq_slots=200 &&
		udevadm settle --timeout=30 && start_idxdd
}
must "reload the module: 4096 IMS entries, 400 shared-WQ slots per parent" t_reload_module

t_kill_during_bringup() {
	"$idxdctl" create --parent idxd_sim.0 --type dsa-1swq-v1 --count 300 >/dev/null 2>&1 &
	local ctl=$!
	# Kill as soon as the bring-up is under way.
	wait_for 20 bash -c '[ "$(ls /sys/bus/mdev/devices | wc -l)" -ge 10 ]'
	stop_idxdd KILL
	wait "$ctl"
	local made; made=$(sysfs_count)
	echo "# $made mdevs existed when idxdd was killed"
	start_idxdd || return 1
	expect_eq "mdevs idxdd lists after restart" "$(mdev_count)" "$made" || return 1
	expect_eq "mdevs not active after restart" \
		"$("$idxdctl" --json list | json_get "sum(m['state'] != 'active' for m in d['mdevs'])")" 0 || return 1
	"$idxdctl" create --parent idxd_sim.0 --type dsa-1swq-v1 >/dev/null || return 1
	expect_eq "idxdd and sysfs agree after one more create" "$(mdev_count)" "$(sysfs_count)" || return 1
	# shellcheck disable=SC2046
	"$idxdctl" destroy $("$idxdctl" --json list | json_get "' '.join(m['uuid'] for m in d['mdevs'])") || return 1
	expect_eq "sysfs mdevs after destroying all" "$(sysfs_count)" 0
}
step "idxdd killed during a bring-up: restarted, it adopts what exists and keeps working" t_kill_during_bringup

mdev_state() {	# mdev_state UUID: its state as idxdd lists it, or "absent"
	"$idxdctl" --json list | json_get "([m['state'] for m in d['mdevs'] if m['uuid']=='$1'] or ['absent'])[0]"
}

# A reboot as far as mdevs go: idxdd stops, the module (and every mdev)
# goes, the module comes back, idxdd starts with its state directory.
t_autostart_at_boot() {
	local uuid
	uuid=$("$idxdctl" create --parent idxd_sim.1 --type dsa-1dwq-v1 --persistent --autostart) || return 1
	echo "$uuid" >/run/idxd-stack/autostart-uuid
	stop_idxdd
	rmmod idxd_mdev && insmod "$src/kernel/idxd_mdev.ko" sim_devices=2 &&
		udevadm settle --timeout=30 || return 1
	[ ! -e "/sys/bus/mdev/devices/$uuid" ] || { echo "# mdev survived the module"; return 1; }
	start_idxdd || return 1
	wait_for 20 test -e "/sys/bus/mdev/devices/$uuid" || { echo "# $uuid not created at start"; return 1; }
	expect_eq "state after start" "$(mdev_state "$uuid")" active
}
step "a persistent autostart mdev is created again at boot with its UUID" t_autostart_at_boot

t_hotplug_same_uuid() {
	local uuid; uuid=$(cat /run/idxd-stack/autostart-uuid)
	echo idxd_sim.1 >"$drv/unbind" || return 1
	wait_for 20 bash -c "[ \"\$('$idxdctl' list | grep '$uuid' | awk '{print \$4}')\" = defined ]" ||
		{ echo "# state after unbind: $(mdev_state "$uuid")"; return 1; }
	echo idxd_sim.1 >"$drv/bind" || return 1
	wait_for 20 test -e "/sys/bus/mdev/devices/$uuid" || { echo "# $uuid not back after bind"; return 1; }
	wait_for 10 bash -c "[ \"\$('$idxdctl' list | grep '$uuid' | awk '{print \$4}')\" = active ]" ||
		{ echo "# state after bind: $(mdev_state "$uuid")"; return 1; }
}
step "a parent that goes and comes back gets its autostart mdev back, same UUID" t_hotplug_same_uuid

stop_idxdd
show_idxdd_log
