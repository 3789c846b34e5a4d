#!/bin/bash
# Guest script proving the run-vm harness: modules load, VFIO is there, the
# host root is read-only, the scratch directories are writable and the
# environment run-vm promises is set. Prints TAP, no plan.
set -u

n=0
check() { # check DESCRIPTION COMMAND...
	local what=$1 out
	shift
	n=$((n + 1))
	if out=$("$@" 2>&1); then
		echo "ok $n - $what"
	else
		echo "not ok $n - $what"
		[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/# /'
	fi
}

kver=$(uname -r)
check "guest runs kernel \$IDXD_KVER ($kver)" test "$kver" = "${IDXD_KVER:-}"
check "modules.dep for $kver" test -s "/lib/modules/$kver/modules.dep"
check "modprobe vfio vfio_iommu_type1 mdev" \
	sh -c 'modprobe vfio && modprobe vfio_iommu_type1 && modprobe mdev'
check "vfio, vfio_iommu_type1 and mdev loaded" \
	sh -c 'for m in vfio vfio_iommu_type1 mdev; do test -d /sys/module/$m || exit 1; done'
check "/dev/vfio/vfio is a character device" test -c /dev/vfio/vfio
check "host root is read-only" sh -c '! touch /idxd-vm-probe 2>/dev/null && ! touch /usr/idxd-vm-probe 2>/dev/null'
for dir in /tmp /var/tmp /var/lib /run /root; do
	check "$dir is writable" sh -c "f=\$(mktemp -p $dir) && echo x >\"\$f\" && rm \"\$f\""
done
check "/tmp is sticky and world-writable" sh -c '[ "$(stat -c %a /tmp)" = 1777 ]'
check "/var/run leads to /run" test "$(readlink -f /var/run)" = /run
check "/etc is readable" test -r /etc/passwd
check "IDXD_SRC is the source tree" test -f "${IDXD_SRC:-/nonexistent}/tests/vm/run-vm"
check "IDXD_BUILD is set" test -n "${IDXD_BUILD:-}"
check "proc, sysfs, devpts, debugfs mounted" sh -c \
	'grep -q " /proc proc " /proc/mounts && grep -q " /sys sysfs " /proc/mounts &&
	 grep -q " /dev/pts devpts " /proc/mounts && test -d /sys/kernel/debug/tracing -o -d /sys/kernel/debug/block'
check "/dev/fd works (process substitution)" sh -c 'test "$(bash -c "cat <(echo y)")" = y'
check "a pseudo-terminal opens" sh -c 'script -qec true /dev/null >/dev/null 2>&1 || python3 -c "import os; os.openpty()"'
check "host binaries run (bash, modinfo)" modinfo -n vfio
