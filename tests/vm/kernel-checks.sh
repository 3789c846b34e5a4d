#!/bin/bash
# Checks idxd_mdev.ko inside the run-vm guest (as root): module load,
# mdev types, IMS accounting, exhaustion, create/remove churn, a VFIO user
# (DMA, interrupts, masking, bad descriptors), remove while open, unload.
# Prints TAP lines without a plan; run-vm adds "dmesg clean" and the plan:
#   tests/vm/run-vm tests/vm/kernel-checks.sh
# Needs kernel/idxd_mdev.ko (make -C kernel) and the client
# (make -C tests/vm, or meson) built on the host; override their paths with
# IDXD_KMOD and IDXD_VFIO_CLIENT. CYCLES sets the churn count (1000).
set -u

src=${IDXD_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${IDXD_BUILD:-$src/build}
kmod=${IDXD_KMOD:-}
if [ -z "$kmod" ]; then
	for kmod in "$build/kernel/idxd_mdev.ko" "$src/kernel/idxd_mdev.ko"; do
		[ -f "$kmod" ] && break
	done
fi
client=${IDXD_VFIO_CLIENT:-}
if [ -z "$client" ]; then
	for client in "$build/tests/vm/vfio-client" "$src/build/tests/vm/vfio-client"; do
		[ -x "$client" ] && break
	done
fi
cycles=${CYCLES:-1000}
tmp=$(mktemp -d)
sysplat=/sys/devices/platform
parent=$sysplat/idxd_sim.0
types=$parent/mdev_supported_types
dwq=$types/idxd_mdev-dsa-1dwq-v1
swq=$types/idxd_mdev-dsa-1swq-v1
mdevs=/sys/bus/mdev/devices

n=0
# note TEXT: a comment in the TAP stream, also from inside a check
exec 3>&1
note() { echo "# $*" >&3; }
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { # not_ok NAME DETAILS
	n=$((n + 1))
	echo "not ok $n - $1 # $(printf '%s' "$2" | tr '\n' ' ' | cut -c1-300)"
	[ -s "$tmp/log" ] && sed 's/^/# /' "$tmp/log"
	: >"$tmp/log"
}
# check NAME COMMAND...: ok if COMMAND succeeds; its output goes to the log.
# COMMAND runs in a subshell with errexit, so the first failing step fails it
# (not inside "if", where bash would ignore errexit).
check() {
	local name=$1 rc t0=$SECONDS
	shift
	: >"$tmp/log"
	(set -e; "$@") >"$tmp/log" 2>&1
	rc=$?
	[ $((SECONDS - t0)) -lt 15 ] || note "the next check took $((SECONDS - t0)) s"
	if [ "$rc" -eq 0 ]; then
		ok "$name"
	else
		not_ok "$name" "$(tail -n 3 "$tmp/log")"
	fi
	: >"$tmp/log"
}
fail() { echo "$*"; return 1; }
# expect WHAT GOT WANT
expect() { [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"; }

uuid() { printf '00000000-0000-4000-8000-%012d' "$1"; }
# sysfs_write FILE VALUE: prints the error text on failure
sysfs_write() { { echo "$2" >"$1"; } 2>&1; }
create() { sysfs_write "$1/create" "$2"; }
remove() { sysfs_write "$mdevs/$1/remove" 1; }
remove_all() {
	local d
	for d in "$mdevs"/*; do
		[ -e "$d/remove" ] || continue
		{ echo 1 >"$d/remove"; } 2>/dev/null || true
	done
	return 0
}
val() { cat "$1" 2>/dev/null || echo "(missing $1)"; }
load() { insmod "$kmod" "$@"; }
unload() { remove_all; rmmod idxd_mdev; }
# Each check that loads the module starts from none, whatever came before.
fresh() { if lsmod | grep -q '^idxd_mdev '; then unload; fi; }

# ---- module load ----

check "vfio, vfio_iommu_type1 and mdev load" \
	sh -c 'modprobe vfio && modprobe vfio_iommu_type1 && modprobe mdev'
check "module and client are built ($kmod, $client)" \
	sh -c "test -f '$kmod' && test -x '$client'"
lsmod | grep -q '^idxd_mdev ' && rmmod idxd_mdev
check "module loads with sim_devices=2" load sim_devices=2

t_parents() {
	local p
	for p in idxd_sim.0 idxd_sim.1; do
		test -d "$sysplat/$p/mdev_supported_types" || fail "no $p types"
		test -e "/sys/class/mdev_bus/$p" || fail "$p not in class mdev_bus"
		expect "$p driver" "$(basename "$(readlink "$sysplat/$p/driver")")" idxd_mdev
	done
	test ! -e "$sysplat/idxd_sim.2" || fail "a third parent"
}
check "parents idxd_sim.0 and idxd_sim.1 registered" t_parents

t_types() {
	local t
	for t in "$dwq" "$swq"; do
		expect "$t/device_api" "$(val "$t/device_api")" vfio-pci
		[ -n "$(val "$t/name")" ] || fail "$t/name empty"
		[ -n "$(val "$t/description")" ] || fail "$t/description empty"
	done
	expect "dwq available_instances" "$(val "$dwq/available_instances")" 6
	expect "swq available_instances" "$(val "$swq/available_instances")" 16
	expect "types" "$(ls "$types" | tr '\n' ' ')" \
		"idxd_mdev-dsa-1dwq-v1 idxd_mdev-dsa-1swq-v1 "
}
check "types idxd_mdev-dsa-1dwq-v1/-1swq-v1 with exact available_instances" t_types

t_parent_attrs() {
	expect ims_size "$(val "$parent/ims_size")" 4096
	expect ims_available "$(val "$parent/ims_available")" 4096
	! sysfs_write "$parent/ims_available" 1 >/dev/null || fail "ims_available writable"
	! sysfs_write "$parent/ims_size" 1 >/dev/null || fail "ims_size writable"
}
check "parent attributes ims_size, ims_available (read-only)" t_parent_attrs

# ---- IMS accounting ----

t_accounting() {
	local a b c u1 u2 v1 v2 err
	remove_all
	u1=$(uuid 1)
	u2=$(uuid 2)
	a=$(val "$parent/ims_available")
	err=$(create "$dwq" "$u1") || fail "create dwq: $err"
	v1=$(val "$mdevs/$u1/ims_vectors")
	b=$(val "$parent/ims_available")
	expect "ims_available after dwq mdev" "$b" $((a - v1))
	err=$(create "$swq" "$u2") || fail "create swq: $err"
	v2=$(val "$mdevs/$u2/ims_vectors")
	c=$(val "$parent/ims_available")
	expect "ims_available after swq mdev" "$c" $((b - v2))
	expect "dwq ims_vectors" "$v1" 3
	expect "swq ims_vectors" "$v2" 2
	expect "dwq wq" "$(val "$mdevs/$u1/wq")" 0
	expect "swq wq" "$(val "$mdevs/$u2/wq")" 6
	expect "dwq available" "$(val "$dwq/available_instances")" 5
	expect "swq available" "$(val "$swq/available_instances")" 15
	expect "other parent untouched" "$(val "$sysplat/idxd_sim.1/ims_available")" 4096
	! sysfs_write "$mdevs/$u1/ims_vectors" 9 >/dev/null || fail "ims_vectors writable"
	err=$(remove "$u1") || fail "remove: $err"
	expect "ims_available after removing dwq" "$(val "$parent/ims_available")" $((c + v1))
	err=$(remove "$u2") || fail "remove: $err"
	expect "ims_available after removing both" "$(val "$parent/ims_available")" "$a"
	expect "dwq available" "$(val "$dwq/available_instances")" 6
}
check "IMS accounting: ims_available drops by ims_vectors per mdev, returns on remove" t_accounting

# mdevs_line UUID: the line "mdevs" should hold for an mdev, from its own files
mdevs_line() {
	local d=$mdevs/$1 group=-1
	[ -e "$d/iommu_group" ] && group=$(basename "$(readlink "$d/iommu_group")")
	echo "$1 $(basename "$(readlink "$d/mdev_type")") $(val "$d/wq") $(val "$d/ims_vectors") $group"
}

t_mdevs_table() {
	local u want got bytes i
	remove_all
	expect "no mdevs" "$(wc -c <"$parent/mdevs")" 0
	for i in 11 12 13; do
		err=$(create "$([ "$i" = 12 ] && echo "$dwq" || echo "$swq")" "$(uuid "$i")") || fail "create: $err"
	done
	create "$sysplat/idxd_sim.1/mdev_supported_types/idxd_mdev-dsa-1swq-v1" "$(uuid 14)" >/dev/null ||
		fail "create on idxd_sim.1"
	err=$(remove "$(uuid 11)") || fail "remove: $err"
	want=$(for i in 12 13; do mdevs_line "$(uuid "$i")"; done)
	got=$(sed 's/ *$//' "$parent/mdevs")
	expect "lines of idxd_sim.0 (the probe order, one removed)" "$got" "$want"
	expect "line width" "$(awk '{ print length($0) }' "$parent/mdevs" | sort -u)" 127
	expect "idxd_sim.1" "$(sed 's/ *$//' "$sysplat/idxd_sim.1/mdevs")" "$(mdevs_line "$(uuid 14)")"
	[ -z "$(awk '$5 < 0' "$parent/mdevs")" ] || fail "an mdev without an IOMMU group: $got"
	# A read at any offset is the same bytes as the whole file from there.
	bytes=$(tail -c +201 "$parent/mdevs" | head -c 40)
	expect "read at offset 200" "$(dd if="$parent/mdevs" bs=1 skip=200 count=40 status=none)" "$bytes"
	! sysfs_write "$parent/mdevs" x >/dev/null || fail "mdevs writable"
	remove_all
	expect "empty again" "$(wc -c <"$sysplat/idxd_sim.1/mdevs")" 0
}
check "parent attribute mdevs: one 128-byte line per mdev (UUID, type, wq, ims_vectors, IOMMU group)" t_mdevs_table

# create_until_full TYPE_DIR FIRST_ID: creates until a create fails; prints
# "COUNT ERROR"
create_until_full() {
	local i=$2 err
	while err=$(create "$1" "$(uuid "$i")"); do
		i=$((i + 1))
		[ $((i - $2)) -gt 100 ] && break
	done
	echo "$((i - $2)) $err"
}

t_exhaust_wq() {
	local out avail u
	remove_all
	out=$(create_until_full "$dwq" 100)
	expect "dwq mdevs created" "${out%% *}" 6
	case "$out" in *"No space left on device"*) ;; *) fail "7th dwq create: ${out#* }" ;; esac
	u=$(uuid 106)
	test ! -e "$mdevs/$u" || fail "failed create left $u behind"
	expect "dwq available" "$(val "$dwq/available_instances")" 0
	expect "swq available unchanged" "$(val "$swq/available_instances")" 16
	expect "ims_available" "$(val "$parent/ims_available")" $((4096 - 6 * 3))
	out=$(create_until_full "$swq" 200)
	expect "swq mdevs created" "${out%% *}" 16
	case "$out" in *"No space left on device"*) ;; *) fail "17th swq create: ${out#* }" ;; esac
	expect "swq available" "$(val "$swq/available_instances")" 0
	avail=$(val "$parent/ims_available")
	expect "ims_available" "$avail" $((4096 - 6 * 3 - 16 * 2))
	expect "mdevs on the bus" "$(ls "$mdevs" | wc -l)" 22
	remove_all
	expect "ims_available after removing all" "$(val "$parent/ims_available")" 4096
	expect "dwq available" "$(val "$dwq/available_instances")" 6
	expect "swq available" "$(val "$swq/available_instances")" 16
}
check "WQ exhaustion: create past available_instances fails with ENOSPC, counts consistent" t_exhaust_wq

t_churn() {
	local i u t err
	remove_all
	for ((i = 0; i < cycles; i++)); do
		u=$(uuid $((1000 + i)))
		if ((i % 2)); then t=$dwq; else t=$swq; fi
		err=$(create "$t" "$u") || fail "cycle $i create: $err"
		err=$(remove "$u") || fail "cycle $i remove: $err"
	done
	expect "ims_available == ims_size" "$(val "$parent/ims_available")" "$(val "$parent/ims_size")"
	expect "mdevs left" "$(ls "$mdevs" | wc -l)" 0
}
check "$cycles create/remove cycles end with ims_available == ims_size" t_churn

# ---- VFIO user ----

remove_all
u_vfio=$(uuid 9001)
create "$dwq" "$u_vfio" >/dev/null
check "VFIO client selftest (config, registers, 5 opcodes, interrupts)" \
	"$client" "$u_vfio" selftest
check "masked vector holds its interrupt until unmask" \
	"$client" "$u_vfio" mask-test
check "bad descriptors get DSA error statuses" \
	"$client" "$u_vfio" bad-desc
check "fuzzing: 2 x 20000 random descriptors, register, config and SET_IRQS operations" \
	sh -c "'$client' '$u_vfio' fuzz 20000 1 && '$client' '$u_vfio' fuzz 20000 2"
# ops prints TAP itself: its lines pass through, named after the pieces.
t_ops() { # t_ops PIECES
	local rc
	"$client" --pieces "$1" "$u_vfio" ops >"$tmp/ops" 2>&1
	rc=$?
	sed -E "s/^((not )?ok [0-9]+ - )/\1$1-byte pieces: /" "$tmp/ops"
	[ "$rc" -eq 0 ] || not_ok "ops with $1-byte pieces exits 0" "exit status $rc"
}
t_ops 8
t_ops 4
t_bench() {
	local out
	out=$("$client" --pieces 8 "$u_vfio" bench 65536 50) || fail "$out"
	note "$out"
	case "$out" in *"verified=yes"*) ;; *) fail "not verified: $out" ;; esac
}
check "bench: 50 MEMMOVEs of 64 KiB in 8-byte pieces, verified" t_bench
t_memmove() {
	local out
	out=$("$client" "$u_vfio" memmove 1048576) || fail "$out"
	echo "$out"
	case "$out" in *"data verified"*) ;; *) fail "not verified: $out" ;; esac
}
check "memmove demo prints a verified result" t_memmove
# QEMU's vfio-pci realizes the mdev and forwards a guest's stores to the
# trapped portal as they come: qtest plays the guest (vCPUs stopped), reads
# the IDs, sizes the BARs, then writes a NOOP in 8-byte and a MEMMOVE in
# 4-byte stores; the records and the copy land in guest RAM.
qtest_cfg() { printf 'outl 0xcf8 0x%x\noutl 0xcfc 0x%x\n' $((0x80002000 | $1)) "$2"; }
qtest_script() {
	local i w
	printf 'outl 0xcf8 0x80002000\ninl 0xcfc\n'	# vendor, device
	qtest_cfg 0x10 0xffffffff; echo "inl 0xcfc"	# BAR0 size and type
	qtest_cfg 0x18 0xffffffff; echo "inl 0xcfc"	# BAR2
	qtest_cfg 0x10 0xfe000000; qtest_cfg 0x14 0
	qtest_cfg 0x18 0xfe100000; qtest_cfg 0x1c 0
	qtest_cfg 0x04 6	# memory space, bus master
	echo "writel 0xfe0000a0 0x00100000"	# ENABLE_DEVICE
	echo "readl 0xfe0000a8"
	echo "writel 0xfe0000a0 0x00600000"	# ENABLE_WQ
	echo "readl 0xfe0000a8"
	# NOOP with CRAV|RCR, record at 0x100000: eight writeq
	echo "writeq 0xfe100000 0x0000000c00000000"
	echo "writeq 0xfe100008 0x100000"
	for i in 10 18 20 28 30 38; do echo "writeq 0xfe1000$i 0"; done
	# MEMMOVE 4 KiB 0x200000 -> 0x300000, record at 0x100040: sixteen writel to slot 1
	echo "memset 0x200000 4096 0xab"
	i=0
	for w in 0 0x0300000c 0x100040 0 0x200000 0 0x300000 0 0x1000 0 0 0 0 0 0 0; do
		printf 'writel 0x%x %s\n' $((0xfe100040 + 4 * i)) "$w"
		i=$((i + 1))
	done
	sleep 2	# the descriptors run on the module's worker
	echo "readb 0x100000"
	echo "readb 0x100040"
	echo "read 0x300000 8"
	echo "read 0x300ff8 8"
}
t_qemu_portal() {
	local got want pid i
	# QEMU does not exit at the end of qtest's input: stop it once the
	# nine answers that carry a value are in
	rm -f "$tmp/qt.done"
	{ qtest_script; while [ ! -e "$tmp/qt.done" ]; do sleep 0.2; done; } |
		timeout 120 qemu-system-x86_64 -machine q35 -accel tcg -S \
		-m 128 -nodefaults -display none -qtest stdio \
		-device "vfio-pci,sysfsdev=$mdevs/$u_vfio,addr=04.0" \
		>"$tmp/qt" 2>"$tmp/qt.err" &
	pid=$!
	for ((i = 0; i < 900; i++)); do
		[ "$(grep -c '^OK 0x' "$tmp/qt")" -ge 9 ] && break
		sleep 0.1
	done
	touch "$tmp/qt.done"
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	got=$(grep -o '^OK 0x[0-9a-f]*' "$tmp/qt" | sed -E 's/^OK 0x0*([0-9a-f])/\1/' | tr '\n' ' ')
	# id, BAR0 64 KiB 64-bit, BAR2 16 KiB 64-bit, CMDSTS twice, NOOP and
	# MEMMOVE statuses, the first and last 8 copied bytes
	want="b258086 ffff0004 ffffc004 0 0 1 1 abababababababab abababababababab "
	grep -i 'vfio_region_write.*failed' "$tmp/qt.err" && fail "QEMU: region write failed"
	[ "$got" = "$want" ] || fail "got '$got', want '$want'; $(head -c 300 "$tmp/qt.err")"
}
if command -v qemu-system-x86_64 >/dev/null; then
	check "QEMU's vfio-pci realizes the mdev (8086:0b25, 64-bit BARs of 64 and 16 KiB) and forwards guest stores to the portal (NOOP in 8-byte, MEMMOVE in 4-byte pieces)" \
		t_qemu_portal
else
	ok "QEMU's vfio-pci realizes the mdev and forwards guest stores # SKIP no qemu-system-x86_64"
fi
u_swq=$(uuid 9002)
create "$swq" "$u_swq" >/dev/null
check "VFIO client selftest on a shared-WQ mdev" "$client" "$u_swq" selftest
check "bad descriptors on a shared-WQ mdev (PASID refused there)" \
	"$client" "$u_swq" bad-desc
remove "$u_swq" >/dev/null

# wait_for FILE TEXT SECONDS
wait_for() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# ---- the queue: a flood, work left queued, other mdevs unaffected ----

t_flood() {
	"$client" "$u_vfio" flood 1000 >"$tmp/flood" 2>&1 || fail "$(cat "$tmp/flood")"
	note "$(grep '^flood:' "$tmp/flood")"
}
check "flood of 1000 2 MiB MEMMOVEs: writes return at once, EAGAIN past the WQ size, all accepted complete" \
	t_flood

t_queued_close() {
	local u before
	u=$(uuid 9101)
	before=$(val "$parent/ims_available")
	create "$dwq" "$u" >/dev/null || fail "create"
	"$client" "$u" flood 200 reopen || fail "work went on after the close"
	"$client" "$u" flood 200 leave || fail "flood"
	"$client" "$u" idle 2 || fail "the queued work touched the next user"
	"$client" "$u" flood 200 leave || fail "flood again"
	# seconds of batches were queued: the next user must not wait for them
	"$client" "$u" selftest >"$tmp/st" 2>&1 || fail "selftest after the aborted work: $(grep FAIL "$tmp/st" | head -3)"
	remove "$u" || fail "remove"
	expect "ims_available" "$(val "$parent/ims_available")" "$before"
}
check "close with batches of 2 MiB copies queued aborts them: the next user's memory stays untouched, its work runs at once" t_queued_close

t_queued_remove() {
	local u pid rc before
	u=$(uuid 9102)
	before=$(val "$parent/ims_available")
	create "$dwq" "$u" >/dev/null || fail "create"
	"$client" "$u" flood 200 hold >"$tmp/fh" 2>&1 &
	pid=$!
	wait_for "$tmp/fh" holding 30 || { kill "$pid"; fail "client did not flood: $(cat "$tmp/fh")"; }
	remove "$u" || fail "remove"
	rc=0
	wait "$pid" || rc=$?
	cat "$tmp/fh"
	expect "client exit (request eventfd fired)" "$rc" 0
	test ! -e "$mdevs/$u" || fail "mdev still there"
	expect "ims_available" "$(val "$parent/ims_available")" "$before"
}
check "remove while work is queued: request, close aborts the queue, IMS entries back" t_queued_remove

t_no_stall() {
	local a b pid rc=0 t0 t1 rounds frc rmrc
	a=$(uuid 9103)
	b=$(uuid 9104)
	create "$dwq" "$a" >/dev/null || fail "create"
	create "$dwq" "$b" >/dev/null || fail "create"
	rm -f "$tmp/stop"
	# keeps a's queue full of 2 MiB copies until told to stop
	(n=0; while [ ! -e "$tmp/stop" ]; do
		"$client" "$a" flood 300 >/dev/null 2>&1 || { echo "flood failed"; exit 1; }
		n=$((n + 1))
	done; echo "$n") >"$tmp/fa" 2>&1 &
	pid=$!
	sleep 1
	t0=$(date +%s)
	"$client" --pieces 8 "$b" ops >"$tmp/fb" 2>&1 || rc=$?
	t1=$(date +%s)
	touch "$tmp/stop"
	frc=0
	wait "$pid" || frc=$?
	rounds=$(cat "$tmp/fa")
	rmrc=0
	remove "$a" || rmrc=1
	remove "$b" || rmrc=1
	grep -v '^ok' "$tmp/fb"
	note "ops on $b took $((t1 - t0)) s while $a ran $rounds floods"
	expect "flood loop on $a" "$frc" 0
	expect "ops on the other mdev" "$rc" 0
	[ "$rounds" -ge 1 ] || fail "no flood completed meanwhile"
	expect "remove" "$rmrc" 0
}
check "a flooded mdev does not stall another: ops pass on a second mdev meanwhile" t_no_stall

# The ring buffer is small and the IMS checks below log thousands of lines:
# a warning from here on would be gone by the time run-vm reads dmesg.
t_kmsg() {
	local bad
	bad=$(dmesg | grep -E '(^|[^A-Za-z_])(WARNING:|BUG:)|Oops|general protection|KASAN|UBSAN|Call Trace' | head -5)
	[ -z "$bad" ] || fail "$bad"
}
check "kernel log clean after the VFIO and queue checks" t_kmsg

# ---- remove while open ----

t_remove_open() {
	local pid rc rm_rc before
	before=$(val "$parent/ims_available")
	"$client" "$u_vfio" hold 60 >"$tmp/hold" 2>&1 &
	pid=$!
	wait_for "$tmp/hold" holding 20 || { kill "$pid"; fail "client did not open: $(cat "$tmp/hold")"; }
	rm_rc=0
	remove "$u_vfio" >"$tmp/rm" 2>&1 || rm_rc=$?
	rc=0
	wait "$pid" || rc=$?
	cat "$tmp/hold"
	expect "client exit (request eventfd fired)" "$rc" 0
	grep -q "PASS request eventfd fired" "$tmp/hold" || fail "no request"
	expect "remove status" "$rm_rc" 0
	test ! -e "$mdevs/$u_vfio" || fail "mdev still there"
	expect "ims_available" "$(val "$parent/ims_available")" $((before + 3))
}
check "remove while a VFIO user holds the device: request eventfd fires, removal completes after close" \
	t_remove_open

t_remove_noreq() {
	local pid rmpid rm_rc u before pending
	u=$(uuid 9004)
	create "$dwq" "$u" >/dev/null || fail "create"
	before=$(val "$parent/ims_available")
	"$client" "$u" hold-noreq 60 >"$tmp/hold" 2>&1 &
	pid=$!
	wait_for "$tmp/hold" holding 20 || { kill "$pid"; fail "client did not open: $(cat "$tmp/hold")"; }
	remove "$u" >"$tmp/rm" 2>&1 &
	rmpid=$!
	sleep 2
	pending=0
	kill -0 "$rmpid" 2>/dev/null && pending=1
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	expect "remove still waiting after 2 s with the device open" "$pending" 1
	rm_rc=0
	wait "$rmpid" || rm_rc=$?
	expect "remove status after the user closed" "$rm_rc" 0
	test ! -e "$mdevs/$u" || fail "mdev still there"
	expect "ims_available" "$(val "$parent/ims_available")" $((before + 3))
}
check "remove while open without a request eventfd waits for the close" t_remove_noreq

t_concurrent() {
	local a b p1 p2 rc=0 i err u
	a=$(uuid 9301)
	b=$(uuid 9302)
	create "$dwq" "$a" >/dev/null || fail "create"
	create "$swq" "$b" >/dev/null || fail "create"
	"$client" "$a" fuzz 20000 3 >"$tmp/c1" 2>&1 &
	p1=$!
	"$client" "$b" selftest >"$tmp/c2" 2>&1 &
	p2=$!
	for ((i = 0; i < 200; i++)); do
		u=$(uuid $((20000 + i)))
		err=$(create "$sysplat/idxd_sim.1/mdev_supported_types/idxd_mdev-dsa-1dwq-v1" "$u") ||
			{ rc=1; echo "churn create: $err"; break; }
		err=$(remove "$u") || { rc=1; echo "churn remove: $err"; break; }
	done
	wait "$p1" || { rc=1; grep FAIL "$tmp/c1"; }
	wait "$p2" || { rc=1; grep FAIL "$tmp/c2"; }
	remove "$a" >/dev/null
	remove "$b" >/dev/null
	expect "idxd_sim.0 ims_available" "$(val "$parent/ims_available")" 4096
	expect "idxd_sim.1 ims_available" "$(val "$sysplat/idxd_sim.1/ims_available")" 4096
	return "$rc"
}
check "two VFIO users and create/remove churn at the same time" t_concurrent

t_rebind() {
	local drv=/sys/bus/platform/drivers/idxd_mdev
	create "$sysplat/idxd_sim.1/mdev_supported_types/idxd_mdev-dsa-1swq-v1" \
		"$(uuid 9401)" >/dev/null || fail "create"
	echo idxd_sim.1 >"$drv/unbind" || fail "unbind"
	test ! -e "$mdevs/$(uuid 9401)" || fail "mdev survived unbind"
	test ! -e "$sysplat/idxd_sim.1/mdev_supported_types" || fail "types survived unbind"
	echo idxd_sim.1 >"$drv/bind" || fail "bind"
	expect "ims_available after rebind" "$(val "$sysplat/idxd_sim.1/ims_available")" 4096
	expect "swq available after rebind" \
		"$(val "$sysplat/idxd_sim.1/mdev_supported_types/idxd_mdev-dsa-1swq-v1/available_instances")" 16
}
check "parent unbind removes its mdevs, bind restores it" t_rebind

t_unload_busy() {
	local u pid rc
	u=$(uuid 9003)
	create "$dwq" "$u" >/dev/null || fail "create"
	"$client" "$u" hold 30 >"$tmp/hold" 2>&1 &
	pid=$!
	wait_for "$tmp/hold" holding 20 || { kill "$pid"; fail "client did not open: $(cat "$tmp/hold")"; }
	rc=0
	rmmod idxd_mdev 2>&1 || rc=$?
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	[ "$rc" -ne 0 ] || fail "rmmod succeeded with the device open"
	test -d /sys/module/idxd_mdev || fail "module gone"
	test -e "$mdevs/$u" || fail "mdev gone"
	expect "ims_available after the user went away" \
		"$(val "$parent/ims_available")" $((4096 - 3))
	remove "$u" >/dev/null
}
check "module unload is refused while a VFIO user holds an mdev" t_unload_busy

# ---- unload / reload ----

t_unload_with_mdevs() {
	lsmod | grep -q '^idxd_mdev ' || load sim_devices=2
	create "$dwq" "$(uuid 9101)" >/dev/null || fail "create"
	create "$swq" "$(uuid 9102)" >/dev/null || fail "create"
	create "$sysplat/idxd_sim.1/mdev_supported_types/idxd_mdev-dsa-1swq-v1" \
		"$(uuid 9103)" >/dev/null || fail "create"
	rmmod idxd_mdev || fail "rmmod"
	test ! -d /sys/module/idxd_mdev || fail "module still loaded"
	expect "mdevs left" "$(ls "$mdevs" | wc -l)" 0
	test ! -e "$parent" || fail "parent left"
}
check "module unload with mdevs present tears them down" t_unload_with_mdevs

t_ims_exhaust() {
	local out
	fresh
	load sim_devices=1 ims_size=7 || fail "insmod ims_size=7"
	expect "ims_size" "$(val "$parent/ims_size")" 7
	expect "dwq available (7 / 3)" "$(val "$dwq/available_instances")" 2
	expect "swq available (7 / 2)" "$(val "$swq/available_instances")" 3
	out=$(create_until_full "$dwq" 300)
	expect "dwq created" "${out%% *}" 2
	case "$out" in *"No space left on device"*) ;; *) fail "3rd create: ${out#* }" ;; esac
	expect "ims_available" "$(val "$parent/ims_available")" 1
	expect "swq available with 1 entry left" "$(val "$swq/available_instances")" 0
	out=$(create "$swq" "$(uuid 310)") && fail "swq create succeeded"
	case "$out" in *"No space left on device"*) ;; *) fail "swq create: $out" ;; esac
	unload || fail "rmmod"
}
check "IMS exhaustion: available_instances 0 and ENOSPC while WQs are free" t_ims_exhaust

t_ims_full() {
	local i err
	fresh
	load sim_devices=1 sim_wqs=8 sim_swqs=8 swq_slots=1024 ims_size=2050 || fail "insmod"
	expect "swq available (2050 entries / 2)" "$(val "$swq/available_instances")" 1025
	for ((i = 0; i < 1025; i++)); do
		err=$(create "$swq" "$(uuid $((40000 + i)))") || fail "create $i: $err"
	done
	expect "ims_available with 1025 mdevs" "$(val "$parent/ims_available")" 0
	expect "swq available" "$(val "$swq/available_instances")" 0
	err=$(create "$swq" "$(uuid 49999)") && fail "create past IMS succeeded"
	case "$err" in *"No space left on device"*) ;; *) fail "create past IMS: $err" ;; esac
	unload || fail "rmmod with 1025 mdevs"
}
check "2050 IMS entries in use at once (1025 mdevs x 2 vectors, past the 2048 MSI-X limit)" t_ims_full

t_bad_params() {
	fresh
	! load sim_devices=1 sim_wqs=0 2>/dev/null || { rmmod idxd_mdev; fail "sim_wqs=0 accepted"; }
	! load sim_devices=1 ims_size=0 2>/dev/null || { rmmod idxd_mdev; fail "ims_size=0 accepted"; }
	! load sim_devices=1 sim_swqs=9 2>/dev/null || { rmmod idxd_mdev; fail "sim_swqs > sim_wqs accepted"; }
	test ! -d /sys/module/idxd_mdev || fail "module loaded"
}
check "invalid module parameters are refused" t_bad_params

t_reload() {
	fresh
	load sim_devices=2 || fail "reload"
	expect "ims_available" "$(val "$parent/ims_available")" 4096
	expect "dwq available" "$(val "$dwq/available_instances")" 6
	create "$dwq" "$(uuid 9201)" >/dev/null || fail "create after reload"
	unload || fail "rmmod"
	load || fail "load with sim_devices=0"
	test ! -e "$parent" || fail "parent with sim_devices=0"
	rmmod idxd_mdev || fail "rmmod"
}
check "module reload and unload are clean" t_reload

lsmod | grep -q '^idxd_mdev ' && unload
rm -rf "$tmp"
exit 0
