#!/bin/bash
# Runs in a chroot of the cached base system (tests/system/run-system-test),
# natively: installs idxdd's packages as an operator does (apt-get install
# ./*.deb, DKMS builds the module), then the headers of two more kernel ABIs
# (one the module is for, one it is not), and
# configures the system as docs/packaging.md tells an operator to (software
# parent at boot, the example policy), plus what the test itself needs (two
# users, the test unit). Prints TAP.
# Usage: image-setup.sh KVER KVER_RT KVER_CLOUD
set -u
kver=$1 kver_rt=$2 kver_cloud=$3
export DEBIAN_FRONTEND=noninteractive
log=/var/log/idxdd-systemtest-install.log
: >"$log"

# shellcheck source=tests/system/tap.sh
. "$(dirname "$0")/tap.sh"
# The module DKMS installed for a kernel, built for exactly that kernel.
module_built_for() {
	local ko
	ko=$(find "/lib/modules/$1/updates/dkms" -name 'idxd_mdev.ko*' 2>/dev/null | head -n 1)
	[ -n "$ko" ] || { echo "no idxd_mdev.ko under /lib/modules/$1/updates/dkms"; return 1; }
	modinfo -F vermagic "$ko" | grep -q "^$1 " || { echo "$ko: vermagic $(modinfo -F vermagic "$ko")"; return 1; }
}

# -- the operator's install ----------------------------------------------------
if out=$(apt-get install -y --no-install-recommends /tmp/idxdd-debs/*.deb 2>&1); then
	ok "apt-get install ./idxdd_*.deb ./idxdd-libvirt_*.deb ./idxdd-mdevctl_*.deb ./idxdctl_*.deb ./idxd-mdev-dkms_*.deb"
else
	not_ok "apt-get install ./idxdd_*.deb ./idxdd-libvirt_*.deb ./idxdd-mdevctl_*.deb ./idxdctl_*.deb ./idxd-mdev-dkms_*.deb" "$out"
fi
echo "$out" >>"$log"
echo "$out" | grep -iE 'dkms|module|kernel|building|skipped|headers' | sed 's/^/# install: /'
check "DKMS built and installed idxd_mdev for $kver" module_built_for "$kver"
check "depmod ran: modprobe finds idxd_mdev for $kver" \
	sh -c "modprobe -S '$kver' --show-depends idxd_mdev | grep -q updates/dkms/idxd_mdev.ko"
# Bad input: a kernel without its headers. The install says so and succeeds.
check "no headers for $kver_cloud: DKMS says the build was skipped, the install goes on" \
	grep -q "Module build for kernel $kver_cloud was skipped since the" "$log"

# A new kernel ABI: its headers' hook has DKMS build the module for it.
if out=$(apt-get install -y --no-install-recommends "linux-headers-$kver_rt" 2>&1); then
	ok "apt-get install linux-headers-$kver_rt"
else
	not_ok "apt-get install linux-headers-$kver_rt" "$out"
fi
echo "$out" >>"$log"
check "DKMS built and installed idxd_mdev for a second ABI, $kver_rt" module_built_for "$kver_rt"

# Bad input: a kernel the module cannot be built for (cloud has no mdev core).
# dkms.conf's BUILD_EXCLUSIVE_CONFIG has DKMS refuse it with a message rather
# than fail in the compiler. bookworm's DKMS (3.0.10) still fails the headers'
# configuration then (fixed in DKMS 3.0.11); removing them recovers.
rc=0
out=$(apt-get install -y --no-install-recommends "linux-headers-$kver_cloud" 2>&1) || rc=$?
echo "$out" >>"$log"
printf '%s\n' "$out" | grep -E 'BUILD_EXCLUSIVE|autoinstall|dpkg: error' | sed 's/^/# headers: /'
check "a kernel without the mdev core ($kver_cloud): DKMS names BUILD_EXCLUSIVE, builds nothing" sh -c \
	"printf '%s' \"\$1\" | grep -q 'includes a BUILD_EXCLUSIVE directive which does not match this kernel' &&
	 [ -z \"\$(find /lib/modules/$kver_cloud -name 'idxd_mdev.ko*')\" ]" sh "$out"
if [ "$rc" != 0 ]; then
	check "apt-get remove linux-headers-$kver_cloud leaves dpkg's state clean" sh -c \
		"apt-get remove -y 'linux-headers-$kver_cloud' >>'$log' 2>&1 && [ -z \"\$(dpkg --audit)\" ]"
else
	ok "dpkg's state is clean (this DKMS skips excluded kernels)"
fi

check "sysusers made the group idxd" getent group idxd
check "tmpfiles made /etc/idxdd and /var/lib/idxdd (0700)" \
	sh -c '[ -d /etc/idxdd ] && [ "$(stat -c %a /var/lib/idxdd)" = 700 ]'
check "idxdd.service is enabled" test -L /etc/systemd/system/multi-user.target.wants/idxdd.service

# -- the operator's configuration (docs/packaging.md) ---------------------------
examples=/usr/share/doc/idxd-mdev-dkms/examples
cp "$examples/modprobe.d/idxd_mdev.conf" /etc/modprobe.d/
cp "$examples/modules-load.d/idxd_mdev.conf" /etc/modules-load.d/
mkdir -p /etc/idxdd/policy.d
cp /usr/share/doc/idxdd/examples/policy.d/10-example.json /etc/idxdd/policy.d/

# -- what the test needs --------------------------------------------------------
useradd -m -G idxd alice # may change mdevs
useradd -m bob           # may only read
echo idxdd-system >/etc/hostname
echo '/dev/vda / ext4 rw 0 1' >/etc/fstab
# No timers that reach for the network in the test guest.
systemctl mask apt-daily.timer apt-daily-upgrade.timer >/dev/null 2>&1
ln -sf /etc/systemd/system/idxdd-systemtest.service \
	/etc/systemd/system/multi-user.target.wants/idxdd-systemtest.service
# What exists in /sys/bus/mdev when libvirt's units start (unit ordering).
for unit in libvirtd libvirt-guests; do
	mkdir -p "/etc/systemd/system/$unit.service.d"
	cat >"/etc/systemd/system/$unit.service.d/idxdd-systemtest.conf" <<UNIT
[Service]
ExecStartPre=/bin/sh -c 'mkdir -p /run/idxdd-systemtest; ls /sys/bus/mdev/devices >/run/idxdd-systemtest/mdevs-at-$unit 2>&1; true'
UNIT
done
mkdir -p /var/lib/idxdd-systemtest
# Image building is over: dpkg syncs again, services start when asked.
rm -f /usr/sbin/policy-rc.d /etc/dpkg/dpkg.cfg.d/idxdd-systemtest
apt-get clean
