#!/bin/bash
# The whole path (issue 11, docs/vm-tests.md "A guest through libvirt"):
# inside the test VM, idxd_mdev.ko with one software DSA parent, idxdd with
# its libvirt registrar and Debian's libvirtd. A domain is defined with
# `virsh define` (q35, TCG, Intel vIOMMU in caching mode, Debian's kernel,
# the initramfs of tests/vm/nested-initramfs); `idxdctl create --domain`
# makes a dedicated-WQ mdev that idxdd attaches to it; `virsh start`. In the
# guest the static VFIO client binds the vDSA through vfio-pci and runs
# every operation and the bad-input checks (`vfio-client --pci BDF ops`),
# reporting on the serial console. Then: idxdctl destroy is refused (Busy,
# naming the domain) while the guest runs, virsh destroy releases the mdev,
# idxdctl destroy succeeds, every IMS entry is back. run-vm adds the dmesg
# check. Run: tests/vm/run-vm --mem 2048 --timeout 420 tests/vm/guest-path.sh
set -uo pipefail
. "$(dirname "$0")/stack.sh"
. "$(dirname "$0")/libvirt.sh"
. "$(dirname "$0")/nested.sh"

domain=idxd-guest
# NESTED_TODO="WHY" turns the guest's failed checks into TAP TODOs (a known
# problem, named in WHY); unset, they count.
nested_todo=${NESTED_TODO-}
parent=/sys/devices/platform/idxd_sim.0

if ! have_libvirt; then
	echo "ok 1 - the guest path # SKIP libvirtd or virsh not installed"
	exit 0
fi

report() {
	echo "# the guest's console:"
	nested_console "$domain" | sed 's/^/#   /'
	echo "# QEMU's log:"
	nested_qemu_log "$domain" | sed 's/^/#   /'
	show_idxdd_log
}
trap report EXIT
must "build the nested guest's initramfs (busybox, static vfio-client, vfio-pci)" nested_initramfs
stack_libvirt=1
stack_up sim_devices=1
ims_size=$(cat "$parent/ims_size")
must "virsh define $domain (q35, TCG, intel-iommu caching-mode=on, direct kernel boot)" \
	nested_define "$domain" ops

uuid=$("$idxdctl" create --type dsa-1dwq-v1 --domain "$domain" 2>&1)
echo "# $uuid"
must "idxdctl create --type dsa-1dwq-v1 --domain $domain" test -e "/sys/bus/mdev/devices/$uuid"
registration() {	# the mdev's registration state (idxdctl --json list)
	"$idxdctl" --json list | /usr/bin/python3 -c \
		"import json,sys; print([m['registration'] for m in json.load(sys.stdin)['mdevs'] if m['uuid']=='$uuid'][0])"
}
registered() { [ "$(registration)" = registered ]; }
must "idxdd registered the mdev with $domain" wait_for 30 registered
own_client() { grep -qF "through $build/daemon/idxdd-registrar-rpc.so" "$idxdd_log"; }
step "through its own libvirt client (qemu:///system is a local socket)" own_client
must "the domain's definition has the mdev hostdev" nested_has_mdev "$domain" "$uuid"
virsh dumpxml --inactive "$domain" | sed -n '/<hostdev/,/<\/hostdev>/s/^/# /p'

t0=$SECONDS
must "virsh start $domain" virsh start "$domain"
step "the guest ran its checks and says done" nested_wait "$domain" "${GUEST_WAIT:-600}"
echo "# guest finished $((SECONDS - t0)) s after virsh start"
nested_results "$domain" "in the guest"
nested_step "every check in the guest passed (the client exited 0)" nested_passed "$domain"

t_busy() {
	local out rc
	out=$("$idxdctl" destroy "$uuid" 2>&1); rc=$?
	echo "# idxdctl destroy: exit $rc: $out"
	[ $rc != 0 ] && [[ ${out,,} == *"in use"* ]] && [[ $out == *"$domain"* ]] &&
		test -e "/sys/bus/mdev/devices/$uuid"
}
step "idxdctl destroy while the guest runs: refused, in use by $domain" t_busy
step "virsh destroy $domain" virsh destroy "$domain"
released() { ! nested_running "$domain" && [ -z "$(nested_qemu_pid "$domain")" ]; }
step "QEMU is gone" wait_for 30 released
step "idxdctl destroy succeeds" "$idxdctl" destroy "$uuid"
step "the mdev is gone" wait_for 10 test ! -e "/sys/bus/mdev/devices/$uuid"
ims_back() { [ "$(cat "$parent/ims_available")" = "$ims_size" ]; }
step "every IMS entry is back (ims_available = ims_size = $ims_size)" wait_for 10 ims_back
not_in_config() { ! nested_has_mdev "$domain" "$uuid"; }
step "idxdd took the hostdev out of the definition" wait_for 30 not_in_config
step "virsh undefine $domain" virsh undefine "$domain"
