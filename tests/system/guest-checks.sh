#!/bin/bash
# Runs in the system test's guest (idxdd-systemtest.service, after
# multi-user.target) on the installed packages, under systemd as PID 1. Boot 1
# checks the running product and changes it; boot 2 checks that the same disk
# comes back as boot 1 left it, then purges the packages. TAP on the
# virtio port idxd.out; the unit powers the guest off afterwards.
# Checks run as "bash -c" strings, sysfs names here are UUIDs, and the helpers
# are called through those strings:
# shellcheck disable=SC2016,SC2012,SC2317,SC2086,SC2046
set -u
state=/var/lib/idxdd-systemtest
port=/dev/virtio-ports/idxd.out
for _ in $(seq 100); do [ -e "$port" ] && break; sleep 0.1; done
exec >"$port" 2>&1

boot=$(( $(cat "$state/boots" 2>/dev/null || echo 0) + 1 ))
echo "$boot" >"$state/boots"
echo "# boot $boot, kernel $(uname -r)"

export tap_prefix="boot $boot: "
# shellcheck source=tests/system/tap.sh
. "$(dirname "$0")/tap.sh"
wait_for() { # wait_for SECONDS COMMAND...
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.5
	done
}
finish() { echo "# guest checks done"; exit 0; }
existed_at() { # existed_at UNIT UUID...: in /sys/bus/mdev when UNIT started
	local f=/run/idxdd-systemtest/mdevs-at-$1 u
	shift
	[ -f "$f" ] || { echo "$f: the unit did not start"; return 1; }
	for u in "$@"; do grep -qx "$u" "$f" || { echo "$u was not there yet:"; cat "$f"; return 1; }; done
}
not_made() { # not_made UUID...: listed as failed or defined, not in sysfs
	local u state
	for u in "$@"; do
		state=$(mdev_list -s | awk -v u="$u" '$1 == u { print $2 }')
		case $state in failed|defined) ;; *) echo "$u: state '$state'"; return 1 ;; esac
		[ ! -e "/sys/bus/mdev/devices/$u" ] || { echo "$u is in sysfs"; return 1; }
	done
}
vm1_count_is() { [ "$(mdev_list --domain vm1 | grep -c .)" = "$1" ]; }

# UUIDs (sorted) that idxdctl lists, with its filters; "UUID STATE" with -s.
mdev_list() {
	local with_state=0
	[ "${1-}" = -s ] && { with_state=1; shift; }
	idxdctl --json list "$@" | awk -F'"' -v s=$with_state '
		$2 == "uuid" { u = $4 } $2 == "state" { print (s ? u " " $4 : u) }' | sort
}
in_sysfs() { local u; for u in "$@"; do [ -e "/sys/bus/mdev/devices/$u" ] || { echo "no mdev $u"; return 1; }; done; }
journal_has() { journalctl -b -u idxdd.service --no-pager | grep -E -q "$1"; }
no_failed_units() {
	local failed
	failed=$(systemctl list-units --state=failed --no-legend --plain)
	[ -z "$failed" ] || { echo "$failed"; return 1; }
}
idxdd_ready() { # active means READY=1 for Type=notify; STATUS= is set with it
	[ "$(systemctl show -P ActiveState idxdd.service)" = active ] &&
		[ -n "$(systemctl show -P StatusText idxdd.service)" ]
}

export -f not_made existed_at vm1_count_is wait_for mdev_list in_sysfs journal_has no_failed_units idxdd_ready
check "systemd is PID 1" sh -c 'readlink /proc/1/exe | grep -q "/systemd$"'
check "multi-user.target reached, no failed unit" bash -c \
	'systemctl is-active -q multi-user.target && no_failed_units'
check "idxdd.service active and READY" idxdd_ready

if [ "$boot" = 1 ]; then
	# -- module, parents, the unit ---------------------------------------------
	check "idxd_mdev loaded at boot (modules-load.d), from DKMS's updates/dkms" \
		sh -c 'grep -q "^idxd_mdev " /proc/modules && modinfo -n idxd_mdev | grep -q /updates/dkms/'
	check "options from /etc/modprobe.d: sim_devices=2" \
		grep -qx 2 /sys/module/idxd_mdev/parameters/sim_devices
	check "parents appeared: idxd_sim.0 and idxd_sim.1 in /sys/class/mdev_bus" \
		test -e /sys/class/mdev_bus/idxd_sim.0 -a -e /sys/class/mdev_bus/idxd_sim.1
	check "udev wants idxdd.service for each parent (70-idxdd.rules)" sh -c \
		'w=$(systemctl show -P WantedBy idxdd.service); echo "$w";
		 echo "$w" | grep -q sys-devices-platform-idxd_sim.0.device &&
		 echo "$w" | grep -q sys-devices-platform-idxd_sim.1.device'
	check "no restarts of idxdd.service" test "$(systemctl show -P NRestarts idxdd.service)" = 0
	check "idxdctl parents, as a user outside the group (reads are open)" \
		sh -c 'runuser -u bob -- idxdctl parents | grep -q idxd_sim.1'

	# -- the policy, applied before libvirt starts ------------------------------
	vm1=$(mdev_list --domain vm1)
	vm2=$(mdev_list --domain vm2)
	check "policy mdevs exist: vm1 has 2, vm2 has 1" sh -c \
		"[ $(echo "$vm1" | grep -c .) = 2 ] && [ $(echo "$vm2" | grep -c .) = 1 ]"
	# shellcheck disable=SC2086 # lists of UUIDs
	check "policy mdevs are in sysfs" in_sysfs $vm1 $vm2
	for unit in libvirtd libvirt-guests; do
		# shellcheck disable=SC2086 # lists of UUIDs
		check "policy mdevs existed when $unit.service started (unit ordering)" existed_at "$unit" $vm1 $vm2
	done
	check "idxdd READY before libvirtd.service started" sh -c \
		'[ "$(systemctl show -P ActiveEnterTimestampMonotonic idxdd.service)" -le \
		   "$(systemctl show -P ExecMainStartTimestampMonotonic libvirtd.service)" ]'
	# The daemon reaches libvirtd's socket from its sandbox: libvirt answers.
	check "idxdd asks libvirt: a create for an unknown domain is refused by libvirt" sh -c \
		'out=$(idxdctl create --type dsa-1swq-v1 --domain nosuchvm 2>&1); rc=$?; echo "$out";
		 [ $rc = 1 ] && echo "$out" | grep -qi nosuchvm'
	# qemu:///system is local: the packaged daemon chose idxdd's own libvirt client.
	check "idxdd registers through its own libvirt client (the installed idxdd-registrar-rpc.so)" \
		journal_has 'libvirt at qemu:///system through /usr/lib/[^/]+/idxdd/idxdd-registrar-rpc\.so'

	# -- rights ---------------------------------------------------------------------
	auto=$(runuser -u alice -- idxdctl create --type dsa-1swq-v1 --persistent --autostart 2>&1)
	check "idxdctl create as alice (group idxd): persistent, autostart" in_sysfs "$auto"
	defined=$(runuser -u alice -- idxdctl create --type dsa-1dwq-v1 --persistent 2>&1)
	check "idxdctl destroy --keep-definition as alice: the definition stays" sh -c \
		"runuser -u alice -- idxdctl destroy --keep-definition $defined &&
		 idxdctl --json list | grep -q '\"uuid\": \"$defined\"' && [ ! -e /sys/bus/mdev/devices/$defined ]"
	check "idxdctl create as bob (not in the group) is refused, nothing made" bash -c \
		'before=$(ls /sys/bus/mdev/devices | wc -l)
		 out=$(runuser -u bob -- idxdctl create --type dsa-1swq-v1 2>&1); rc=$?; echo "$out"
		 [ $rc = 1 ] && [ "$(ls /sys/bus/mdev/devices | wc -l)" = "$before" ]'

	# -- busy detection through the sandbox (ProtectProc=ptraceable, PrivateDevices=)
	busy=$(idxdctl create --type dsa-1swq-v1 2>&1)
	group=$(basename "$(readlink "/sys/bus/mdev/devices/$busy/iommu_group")")
	sleep 600 3<>"/dev/vfio/$group" &
	holder=$!
	check "an mdev whose VFIO group a process holds is Busy" sh -c \
		"out=\$(idxdctl destroy $busy 2>&1); rc=\$?; echo \"\$out\"; [ \$rc = 1 ] && echo \"\$out\" | grep -qiE 'busy|in use'"
	kill "$holder"
	wait "$holder" 2>/dev/null
	check "once released, it is destroyed" sh -c "idxdctl destroy $busy && [ ! -e /sys/bus/mdev/devices/$busy ]"

	# -- systemctl reload ---------------------------------------------------------
	printf '{ "pools": [ { "name": "x", "match": ' >/etc/idxdd/policy.d/20-broken.json
	check "systemctl reload with a broken policy fails; the journal names the file" bash -c \
		"! systemctl reload idxdd.service && journal_has '20-broken.json:[0-9]+:[0-9]+'"
	rm /etc/idxdd/policy.d/20-broken.json
	check "the running policy stayed: vm1 still has 2" test "$(mdev_list --domain vm1)" = "$vm1"
	sed -i 's/"count": 2/"count": 1/' /etc/idxdd/policy.d/10-example.json
	check "systemctl reload idxdd applies a changed policy (vm1: 2 -> 1)" bash -c \
		'systemctl reload idxdd.service && wait_for 30 vm1_count_is 1'
	vm1_after=$(mdev_list --domain vm1)
	check "the vm1 mdev that stays keeps its UUID" sh -c "echo '$vm1' | grep -qx '$vm1_after'"

	# -- stop, then udev starts idxdd again ------------------------------------------
	before=$(ls /sys/bus/mdev/devices | sort)
	check "systemctl stop idxdd" systemctl stop idxdd.service
	check "systemctl stop leaves every mdev in place" test "$(ls /sys/bus/mdev/devices | sort)" = "$before"
	check "a D-Bus call starts idxdd again (D-Bus activation through the unit)" bash -c \
		'idxdctl status >/dev/null && systemctl is-active -q idxdd.service'
	check "systemctl stop idxdd, again" systemctl stop idxdd.service
	for dev in /sys/bus/mdev/devices/*; do echo 1 >"$dev/remove"; done
	check "modprobe -r idxd_mdev (mdevs removed by hand first)" modprobe -r idxd_mdev
	check "modprobe idxd_mdev: udev starts idxdd.service for the new parents" bash -c \
		'modprobe idxd_mdev && wait_for 90 idxdd_ready'
	check "idxdd brought back the autostart mdev made with idxdctl, same UUID" wait_for 60 in_sysfs "$auto"
	# Policy mdevs for domains libvirt does not know (this guest defines none)
	# are refused while libvirtd runs; at boot they are made before it starts.
	policy=$(printf '%s\n' $vm1_after $vm2 | sort)
	# shellcheck disable=SC2086 # a list of UUIDs
	check "policy mdevs of domains libvirt does not know: listed, not made while libvirtd runs" \
		wait_for 30 not_made $policy

	# -- what boot 2 must find ---------------------------------------------------------
	mdev_list >"$state/boot1.uuids"
	ls /var/lib/idxdd/mdevs | sort >"$state/boot1.definitions"
	# Boot 2 has no policy (below): the definitions alone bring back the
	# autostart ones; vm2's assignment is not autostart.
	printf '%s\n' $vm1_after "$auto" | sort >"$state/boot1.autostart"
	printf '%s\n' "$defined" $vm2 | sort >"$state/boot1.defined"
	echo "# boot 1 leaves: $(mdev_list -s | tr '\n' ' ')"
	# Bad input at boot 2: a broken idxdd.json and a broken policy file.
	printf '{ "log_level": ' >/etc/idxdd/idxdd.json
	printf '{ "pools": [ { "name": ' >/etc/idxdd/policy.d/30-broken.json
	finish
fi

# -- boot 2: the same disk again ---------------------------------------------------------
check "a broken /etc/idxdd/idxdd.json is named in the journal with line and column" \
	journal_has 'idxdd\.json:[0-9]+:[0-9]+'
check "a broken policy file at boot: named in the journal, idxdd runs without a policy" \
	journal_has '30-broken\.json:[0-9]+:[0-9]+: .*running without a policy'
check "every persistent definition is still stored" \
	test "$(ls /var/lib/idxdd/mdevs | sort)" = "$(cat "$state/boot1.definitions")"
check "idxdd lists the same UUIDs as boot 1 left" test "$(mdev_list)" = "$(cat "$state/boot1.uuids")"
# shellcheck disable=SC2046 # a list of UUIDs
check "the autostart and policy mdevs are back in sysfs, same UUIDs" in_sysfs $(cat "$state/boot1.autostart")
check "the definitions without autostart are listed as defined, not made" \
	not_made $(cat "$state/boot1.defined")
check "they were there when libvirtd.service started" existed_at libvirtd $(cat "$state/boot1.autostart")
echo "# boot 2 has: $(mdev_list -s | tr '\n' ' ')"

# mdevctl's users over idxdd (package idxdd-mdevctl): mdevctl itself, and
# libvirt's node-device driver, which runs it for the definitions.
# shellcheck disable=SC2046 # a list of UUIDs
check "mdevctl list --defined (idxdd-mdevctl) shows every stored definition" bash -c \
	'out=$(mdevctl list --defined); echo "$out"; for u; do grep -q "^$u " <<<"$out" || exit 1; done' \
	sh $(sed 's/\.json$//; s/@.*//' "$state/boot1.definitions")
# shellcheck disable=SC2046 # a list of UUIDs
check "virsh nodedev-list --cap mdev --inactive: libvirt sees the defined mdevs through mdevctl" bash -c \
	'out=$(virsh -c qemu:///system nodedev-list --cap mdev --inactive 2>&1); echo "$out";
	 for u; do grep -q "mdev_${u//-/_}" <<<"$out" || exit 1; done' sh $(cat "$state/boot1.defined")

# Bad input: the group is gone. idxdd still starts; only root may change.
groupdel idxd
check "without the idxd group idxdd restarts and says so in the journal" bash -c \
	"systemctl restart idxdd.service && journal_has 'Group idxd not found: without polkit only root may change mdevs'"
check "without the group alice is refused" sh -c \
	'! runuser -u alice -- idxdctl create --type dsa-1swq-v1'
check "systemd-sysusers makes the group again" sh -c 'systemd-sysusers && getent group idxd'

# -- purge -----------------------------------------------------------------------------
mdevs_before=$(ls /sys/bus/mdev/devices | sort)
check "apt-get purge idxdd idxdd-libvirt idxdd-mdevctl idxdctl idxd-mdev-dkms" \
	env DEBIAN_FRONTEND=noninteractive apt-get purge -y idxdd idxdd-libvirt idxdd-mdevctl idxdctl idxd-mdev-dkms
left=
for path in /lib/systemd/system/idxdd.service /etc/systemd/system/multi-user.target.wants/idxdd.service \
	/lib/udev/rules.d/70-idxdd.rules /usr/share/dbus-1/system.d/org.idxd.Manager1.conf \
	/usr/share/dbus-1/system-services/org.idxd.Manager1.service /usr/lib/sysusers.d/idxdd.conf \
	/usr/lib/tmpfiles.d/idxdd.conf /usr/sbin/idxdd /usr/bin/idxdctl \
	/usr/share/bash-completion/completions/idxdctl /var/lib/idxdd /etc/idxdd /var/lib/dkms/idxd-mdev \
	/usr/bin/mdevctl /usr/bin/lsmdev /etc/mdevctl.d /usr/share/polkit-1/actions/org.idxd.manager1.policy \
	/usr/src/idxd-mdev-* /usr/lib/*/idxdd $(find /lib/modules -name 'idxd_mdev.ko*'); do
	[ -e "$path" ] && left+=" $path"
done
check "purge leaves no unit, rule, D-Bus policy, state, config or module behind" \
	sh -c "[ -z '$left' ] || { echo 'left:$left'; exit 1; }"
check "systemd no longer knows idxdd.service" sh -c '! systemctl cat idxdd.service'
check "purge leaves the running mdevs alone" test "$(ls /sys/bus/mdev/devices | sort)" = "$mdevs_before"
finish
