# Sourced by guest scripts (tests/vm/demo.sh, tests/vm/e2e.sh): brings up the
# whole stack inside the VM — vfio, mdev and idxd_mdev.ko, a system bus with
# idxdd's D-Bus policy, systemd-udevd, and idxdd from the build — and prints
# TAP. Needs IDXD_BUILD and IDXD_SRC (set by tests/vm/run-vm).

build=${IDXD_BUILD:?}
src=${IDXD_SRC:?}
idxdctl=$build/cli/idxdctl
# run-vm's guest is a chroot, where udevadm trigger/settle do nothing unless told.
export SYSTEMD_IGNORE_CHROOT=1
idxdd_log=/run/idxd-stack/idxdd.log
# idxdd's configuration (idxdd.json, policy.d/) and definitions in the VM;
# /var/lib is writable in the guest and forgotten at power-off.
idxdd_config=/run/idxd-stack/config
idxdd_state=/var/lib/idxdd
idxdd_pid=
tap_n=0

step() {	# step NAME COMMAND...: run, show command and output, report ok/not ok
	local name=$1; shift
	tap_n=$((tap_n + 1))
	echo "## $name"
	echo "\$ $*"
	if "$@"; then
		echo "ok $tap_n - $name"
	else
		echo "not ok $tap_n - $name # exit status $?"
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
	mkdir -p /run/dbus /run/idxd-stack
	cat >/run/idxd-stack/bus.conf <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <include>/usr/share/dbus-1/system.conf</include>
  <include>$src/systemd/org.idxd.Manager1.conf</include>
</busconfig>
CONF
	dbus-daemon --config-file=/run/idxd-stack/bus.conf --fork --nopidfile
}

start_udev() {
	/lib/systemd/systemd-udevd --daemon &&
		udevadm trigger --action=add && udevadm settle --timeout=30
}

start_idxdd() {	# start_idxdd [IDXDD ARGS...]: start and wait until it answers
	mkdir -p "$idxdd_config" "$idxdd_state"
	"$build/daemon/idxdd" --libvirt-uri=none --config-dir="$idxdd_config" \
		--state-dir="$idxdd_state" "$@" >>"$idxdd_log" 2>&1 &
	idxdd_pid=$!
	wait_for 20 "$idxdctl" status
}

stop_idxdd() {	# stop_idxdd [SIGNAL]
	[ -n "$idxdd_pid" ] || return 0
	kill "-${1:-TERM}" "$idxdd_pid" 2>/dev/null
	wait "$idxdd_pid" 2>/dev/null
	idxdd_pid=
	return 0
}

use_policy() {	# use_policy FILE...: policy files idxdd reads at start
	mkdir -p "$idxdd_config/policy.d" && cp "$@" "$idxdd_config/policy.d/"
}

# stack_up [MODULE PARAMS...]: everything up to a running idxdd. With
# stack_libvirt=1 (and libvirt.sh sourced) libvirtd starts before idxdd,
# then the script's before_idxdd function if it has one, and idxdd registers
# mdevs with it.
stack_up() {
	local args=()
	must "load vfio, vfio_iommu_type1 and mdev" modprobe -a vfio vfio_iommu_type1 mdev
	must "load idxd_mdev.ko $*" insmod "$src/kernel/idxd_mdev.ko" "$@"
	must "start a system bus with idxdd's D-Bus policy" start_bus
	must "start udev" start_udev
	if [ "${stack_libvirt:-0}" = 1 ]; then
		must "start libvirtd (QEMU and node-device drivers; mdevctl on its PATH is idxdctl)" start_libvirtd
		# what must exist in libvirt before idxdd starts (the policy's domains)
		if declare -F before_idxdd >/dev/null; then before_idxdd; fi
		args=(--libvirt-uri=qemu:///system)
		# the modules from the build: the URI chooses (idxdd's own client for the local socket)
		export IDXDD_REGISTRAR_DIR=$build/daemon
	fi
	must "start idxdd ${args[*]}" start_idxdd "${args[@]}"
}

show_idxdd_log() {
	echo "## idxdd's log"
	sed 's/^/  /' "$idxdd_log"
}
