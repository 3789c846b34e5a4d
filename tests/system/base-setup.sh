#!/bin/sh
# Runs in the chroot debootstrap made (tests/system/run-system-test): Debian's
# archive as the host knows it, then the distribution packages the system test
# needs, the way an operator's host has them: libvirt, DKMS, the kernel the
# guest boots with its headers, and a kernel without them; the packages in
# DOWNLOAD are only downloaded (image-setup.sh installs them after idxdd's).
# Usage: base-setup.sh MIRROR SECURITY_MIRROR "DOWNLOAD..." PACKAGE...
set -eu
mirror=$1 security=$2 download=$3
shift 3
cat >/etc/apt/sources.list <<LIST
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
LIST
# Image building only (removed by image-setup.sh): no fsync per file, and no
# service starts inside the chroot.
echo force-unsafe-io >/etc/dpkg/dpkg.cfg.d/idxdd-systemtest
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod 755 /usr/sbin/policy-rc.d
export DEBIAN_FRONTEND=noninteractive
# The test boots its own small initramfs: no initrd for the kernels
# (/etc/kernel/postinst.d/initramfs-tools honours INITRD=No).
export INITRD=No
apt-get update -q
apt-get install -y -q --no-install-recommends "$@"
# shellcheck disable=SC2086 # a list of packages
apt-get install -y -q --no-install-recommends --download-only $download
