#!/bin/bash
# The README demo, run inside the VM by scripts/demo through tests/vm/run-vm:
# the module with two software DSA parents, a system bus, udev and idxdd from
# the build, then idxdctl creating, using and destroying an mdev.
# Prints TAP (one line per step) with the commands' output in between.
set -uo pipefail

build=${IDXD_BUILD:?}
src=${IDXD_SRC:?}
idxdctl=$build/cli/idxdctl
n=0

step() {	# step NAME COMMAND...: run, show its output, report ok/not ok
	local name=$1; shift
	n=$((n + 1))
	echo "## $name"
	echo "\$ $*"
	if "$@"; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name # exit status $?"
		return 1
	fi
}

must() { step "$@" || { echo "Bail out! $1 failed"; exit 1; }; }

wait_for() {	# wait_for SECONDS COMMAND...: poll until COMMAND succeeds
	local deadline=$((SECONDS + $1)); shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt "$deadline" ] || return 1
		sleep 0.2
	done
}

start_bus() {
	mkdir -p /run/dbus /run/idxd-demo
	cat >/run/idxd-demo/bus.conf <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <include>/usr/share/dbus-1/system.conf</include>
  <include>$src/systemd/org.idxd.Manager1.conf</include>
</busconfig>
CONF
	dbus-daemon --config-file=/run/idxd-demo/bus.conf --fork --nopidfile
}

start_udev() {
	/lib/systemd/systemd-udevd --daemon &&
		udevadm trigger --action=add && udevadm settle --timeout=30
}

start_idxdd() {
	"$build/daemon/idxdd" >/run/idxd-demo/idxdd.log 2>&1 &
	wait_for 20 "$idxdctl" status
}

must "load vfio, vfio_iommu_type1 and mdev" modprobe -a vfio vfio_iommu_type1 mdev
must "load idxd_mdev.ko with two software DSA parents" \
	insmod "$src/kernel/idxd_mdev.ko" sim_devices=2
must "start a system bus with idxdd's D-Bus policy" start_bus
must "start udev" start_udev
must "start idxdd" start_idxdd
must "idxdctl status" "$idxdctl" status
must "idxdctl parents" "$idxdctl" parents
must "idxdctl types" "$idxdctl" types

uuid=$("$idxdctl" create --type dsa-1swq-v1 2>&1)
n=$((n + 1))
echo "## create an mdev on a shared WQ"
echo "\$ idxdctl create --type dsa-1swq-v1"
echo "$uuid"
if [[ $uuid =~ ^[0-9a-f-]{36}$ ]]; then
	echo "ok $n - idxdctl create"
else
	echo "not ok $n - idxdctl create"
	echo "Bail out! no mdev to use"
	exit 1
fi

must "idxdctl list" "$idxdctl" list
step "the mdev's IMS vectors and WQ in sysfs" \
	grep -H . "/sys/bus/mdev/devices/$uuid/ims_vectors" "/sys/bus/mdev/devices/$uuid/wq"
step "open it through VFIO and run a verified MEMMOVE" \
	"$build/tests/vm/vfio-client" "$uuid" memmove 65536
step "idxdctl destroy" "$idxdctl" destroy "$uuid"
step "the mdev is gone" bash -c "! test -e /sys/bus/mdev/devices/$uuid"
step "idxdctl list" "$idxdctl" list
echo "## idxdd's log"
sed 's/^/  /' /run/idxd-demo/idxdd.log
