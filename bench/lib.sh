# shellcheck shell=bash
# Shared by the guest-side benchmark scripts (bench/*.sh), which run inside
# tests/vm/run-vm: the module, a system bus, udevd and idxdd on the real
# kernel, and Debian's mdevctl on the same sysfs.
#
# Output: TAP lines for run-vm (set-up steps), human-readable progress, and
# result rows "| ... |" that bench/run-all collects into docs/benchmarks.md.

build=${IDXD_BUILD:?IDXD_BUILD must name the build directory}
src=${IDXD_SRC:?}
idxdctl=$build/cli/idxdctl
idxdd=$build/daemon/idxdd
work=/run/idxd-bench
# udevadm (settle, monitor, trigger) does nothing in the guest's chroot without this.
export SYSTEMD_IGNORE_CHROOT=1
# Two parents with 8 shared WQs of 1024 slots each: 8192 dsa-1swq-v1 mdevs
# per parent (2 IMS entries each, so ims_size 16384), 16384 in all.
modparams=${BENCH_MODPARAMS:-sim_devices=2 sim_wqs=8 sim_swqs=8 swq_slots=1024 ims_size=16384}
type=idxd_mdev-dsa-1swq-v1
parents=(idxd_sim.0 idxd_sim.1)
tap_n=0

ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
bail() { echo "Bail out! $*"; exit 1; }
must() {	# must NAME COMMAND...: a set-up step that the rest needs
	local name=$1; shift
	"$@" || bail "$name failed (exit status $?)"
	ok "$name"
}

now_us() { echo "${EPOCHREALTIME/./}"; }	# no fork: under TCG an exec costs ~0.1-0.2 s

# time_us VAR COMMAND...: run COMMAND (output discarded), store its wall time in µs in VAR.
time_us() {
	local -n ret_us=$1; shift
	local t0 rc
	t0=$(now_us)
	"$@" >/dev/null 2>&1
	rc=$?
	ret_us=$(( $(now_us) - t0 ))
	return $rc
}

# ms US: µs as milliseconds with one decimal.
ms() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); }

# ratio A B: A/B with two decimals (integers, µs or counts).
ratio() {
	if [ "$2" -le 0 ]; then echo "n/a"; return; fi
	local r=$(($1 * 100 / $2))
	printf '%d.%02d' $((r / 100)) $((r % 100))
}

# repeat_us VAR N COMMAND...: median wall time of N runs, in µs.
repeat_us() {
	local -n ret_med=$1; local n=$2; shift 2
	local i t all=()
	for ((i = 0; i < n; i++)); do
		time_us t "$@" || echo "warning: '$*' exited non-zero"
		all+=("$t")
	done
	ret_med=$(printf '%s\n' "${all[@]}" | sort -n | sed -n "$(((n + 1) / 2))p")
}

load_module() {
	local ko=${IDXD_KMOD:-}
	if [ -z "$ko" ]; then
		ko=$build/kernel/idxd_mdev.ko
		[ -e "$ko" ] || ko=$src/kernel/idxd_mdev.ko
	fi
	modprobe -a vfio vfio_iommu_type1 mdev || return 1
	# shellcheck disable=SC2086
	insmod "$ko" $modparams || return 1
	echo "module: $ko $modparams"
}

start_bus() {
	mkdir -p /run/dbus "$work"
	cat >"$work/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <include>/usr/share/dbus-1/system.conf</include>
  <include>$src/systemd/org.idxd.Manager1.conf</include>
</busconfig>
CONF
	dbus-daemon --config-file="$work/bus.conf" --fork --nopidfile
}

start_udev() {
	/lib/systemd/systemd-udevd --daemon 2>/dev/null &&
		udevadm trigger --action=add && udevadm settle --timeout=120
}

settle() { udevadm settle --timeout="${BENCH_SETTLE_TIMEOUT:-300}" || echo "udevadm settle: queue not empty after ${BENCH_SETTLE_TIMEOUT:-300} s"; }

idxdd_pid=
start_idxdd() {	# start_idxdd [ARGS...]: start and wait until it answers
	local deadline=$((SECONDS + 600))
	# Definitions in the guest's scratch space (the default state dir is not
	# writable there); no libvirt in the VM.
	"$idxdd" --create-timeout=600 --state-dir="$work/idxdd-state" --libvirt-uri=none \
		"$@" >>"$work/idxdd.log" 2>&1 &
	idxdd_pid=$!
	until "$idxdctl" status >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || return 1
		kill -0 "$idxdd_pid" 2>/dev/null || return 1
		sleep 0.2
	done
}

stop_idxdd() {
	[ -n "$idxdd_pid" ] || return 0
	kill "$idxdd_pid" && wait "$idxdd_pid"
	idxdd_pid=
}

# idxdd_mdevs: how many mdevs idxdd knows (GetStatus).
idxdd_mdevs() {
	"$idxdctl" --json status | sed -n 's/.*"mdevs": *\([0-9]*\).*/\1/p'
}

# wait_idxdd_mdevs N [SECS]: until idxdd knows exactly N mdevs.
wait_idxdd_mdevs() {
	local want=$1 deadline=$((SECONDS + ${2:-600})) have
	while :; do
		have=$(idxdd_mdevs)
		[ "$have" = "$want" ] && return 0
		[ $SECONDS -lt $deadline ] || { echo "idxdd knows ${have:-?} mdevs, expected $want"; return 1; }
		sleep 1
	done
}

sysfs_mdevs() { local a=(/sys/bus/mdev/devices/*); [ -e "${a[0]}" ] && echo ${#a[@]} || echo 0; }

# make_uuids FILE N TAG: N distinct UUIDs, one a line; TAG (hex) keeps runs apart.
make_uuids() {
	local i
	for ((i = 0; i < $2; i++)); do
		printf '%08x-%04x-4000-8000-%012x\n' "$i" "$((16#$3))" "$i"
	done >"$1"
}

# parent_of I: the parent for the I-th mdev (alternate, so both parents get half).
parent_of() { echo "${parents[$(($1 % ${#parents[@]}))]}"; }

# raw_create FILE: the floor, one shell write of each UUID to its parent's create.
raw_create() {
	local u i=0 rc=0
	while read -r u; do
		echo "$u" >"/sys/class/mdev_bus/${parents[$((i % ${#parents[@]}))]}/mdev_supported_types/$type/create" || rc=1
		i=$((i + 1))
	done <"$1"
	return $rc
}

# remove_all: every mdev on the system, by a raw write to its remove.
remove_all() {
	local d
	for d in /sys/bus/mdev/devices/*; do
		[ -e "$d/remove" ] && echo 1 >"$d/remove"
	done
	return 0
}

# define_mdevctl FILE START: an mdevctl definition (/etc/mdevctl.d/PARENT/UUID)
# for each UUID, on the parents raw_create would use; START is manual or auto.
# Written as files, in mdevctl 1.2.0's format, because 10,000 'mdevctl define'
# runs would take longer than the benchmark itself.
define_mdevctl() {
	local u i=0 p
	for p in "${parents[@]}"; do mkdir -p "/etc/mdevctl.d/$p"; done
	mkdir -p /etc/mdevctl.d/scripts.d/callouts /etc/mdevctl.d/scripts.d/notifiers
	while read -r u; do
		p=${parents[$((i % ${#parents[@]}))]}
		printf '{\n  "mdev_type": "%s",\n  "start": "%s",\n  "attrs": []\n}\n' "$type" "$2" \
			>"/etc/mdevctl.d/$p/$u"
		i=$((i + 1))
	done <"$1"
}

undefine_mdevctl() {
	local p
	for p in "${parents[@]}"; do rm -rf "/etc/mdevctl.d/$p"; done
}

# rss_kib PID FIELD: a "kB" field of /proc/PID/status (VmRSS, VmHWM).
status_kib() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
pss_kib() { awk '$1 == "Pss:" { print $2 }' "/proc/$1/smaps_rollup"; }
ctxt_switches() {
	awk '$1 ~ /ctxt_switches:/ { s += $2 } END { print s }' "/proc/$1/status"
}

# row CELLS...: one markdown table row.
row() { local c out='|'; for c; do out+=" $c |"; done; echo "$out"; }

need_etc_writable() {
	touch /etc/.idxd-bench 2>/dev/null && rm -f /etc/.idxd-bench ||
		bail "/etc is read-only: run with --overlay /etc (bench/run-all does)"
}
