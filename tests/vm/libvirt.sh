# shellcheck shell=bash
# Sourced after stack.sh by guest scripts that need Debian's libvirtd in the
# VM (tests/vm/nodedev.sh, tests/vm/guest-path.sh, bench/guest-path.sh):
# the monolithic libvirtd with its node-device and QEMU drivers alone, QEMU
# set up to ask for nothing the VM does not have (cgroups, namespaces,
# virtlogd), and PATH finding idxdctl as mdevctl.

libvirt_run=/run/idxd-libvirt

# The node-device API rides on a hypervisor connection in the monolithic libvirtd.
virsh() { command virsh -c qemu:///system "$@"; }

have_libvirt() { command -v libvirtd >/dev/null && command -v virsh >/dev/null; }

# The QEMU driver insists on its libvirt-qemu user, which the VM gets; /etc
# is the host's, read-only, so the changed files are bound over it.
start_libvirtd() {
	local drivers=/usr/lib/x86_64-linux-gnu/libvirt/connection-driver run=$libvirt_run
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
