#!/bin/bash
# Guest side (tests/vm/run-vm --overlay /etc): creating N mdevs (default 1,000)
# over two parents, one way at a time, each from an empty system:
#   raw      one shell `echo UUID > .../create` per mdev (the floor)
#   mdevctl  one `mdevctl start -p PARENT -t TYPE -u UUID` per mdev
#   idxdctl  one `idxdctl create --parent PARENT --type TYPE --uuid UUID` per mdev
#   batch    one `idxdctl create --type dsa-1swq-v1 --count N` (CreateMdevs)
#   dbus     one `busctl call ... CreateMdevs` with N requests, explicit parents and UUIDs
# A way may carry a parallelism, WAY:K:
#   raw:K    K shell writers per parent at once (the floor at idxdd's parallelism)
#   batch:K, dbus:K  idxdd restarted with --creates-in-flight=K first
# (plain batch and dbus run with idxdd's default, raw with one writer).
# udevd and idxdd run throughout (for every way alike), so each create costs
# the same kernel and udev work; "returned" is until the command(s) came
# back, "settled" until udev's queue is empty and idxdd knows all N.
# Environment: BENCH_N (1000), BENCH_WAYS (default "raw batch dbus idxdctl mdevctl").
set -uo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

n=${BENCH_N:-1000}
ways=${BENCH_WAYS:-raw batch dbus idxdctl mdevctl}
# sd-bus's default method timeout is 25 s; a batch of 1,000 under TCG takes longer.
export SYSTEMD_BUS_TIMEOUT=${SYSTEMD_BUS_TIMEOUT:-600}

need_etc_writable
must "load idxd_mdev.ko ($modparams)" load_module
must "start a system bus with idxdd's policy" start_bus
must "start udev" start_udev
must "start idxdd" start_idxdd
undefine_mdevctl
mkdir -p /etc/mdevctl.d/scripts.d/callouts /etc/mdevctl.d/scripts.d/notifiers

create_mdevctl() {
	local u i=0 rc=0
	while read -r u; do
		mdevctl start -p "$(parent_of $i)" -t "$type" -u "$u" >/dev/null || rc=1
		i=$((i + 1))
	done <"$1"
	return $rc
}

create_idxdctl() {
	local u i=0 rc=0
	while read -r u; do
		"$idxdctl" create --parent "$(parent_of $i)" --type "$type" --uuid "$u" >/dev/null || rc=1
		i=$((i + 1))
	done <"$1"
	return $rc
}

# split_writers FILE K: FILE.wW for each of K writers per parent (untimed). Writer W
# gets lines W, W + n, ... (n = K * parents), on the parent raw_create uses for them.
split_writers() {
	awk -v n=$(($2 * ${#parents[@]})) -v f="$1" '{ print > (f ".w" ((NR - 1) % n)) }' "$1"
}

# raw_parallel FILE K: K writers per parent at once, each writing its share of FILE in turn.
raw_parallel() {
	local k=$2 w pids=() rc=0
	for ((w = 0; w < k * ${#parents[@]}; w++)); do
		(
			p=${parents[$((w % ${#parents[@]}))]}
			while read -r u; do
				echo "$u" >"/sys/class/mdev_bus/$p/mdev_supported_types/$type/create" || exit 1
			done <"$1.w$w"
		) &
		pids+=($!)
	done
	for w in "${pids[@]}"; do wait "$w" || rc=1; done
	return $rc
}

# restart_idxdd K: idxdd again, with K creates in flight per queue ("" = its default).
restart_idxdd() {
	stop_idxdd
	start_idxdd ${1:+--creates-in-flight=$1} || bail "idxdd did not start again"
}

create_batch() { "$idxdctl" create --type dsa-1swq-v1 --count "$n" >"$work/batch.out"; }

create_dbus() {
	local u i=0 args=()
	while read -r u; do
		args+=(3 parent s "$(parent_of $i)" type s "$type" uuid s "$u")
		i=$((i + 1))
	done <"$1"
	busctl --system --timeout=600 call org.idxd.Manager1 /org/idxd/Manager1 org.idxd.Manager1 \
		CreateMdevs 'aa{sv}a{sv}' "$i" "${args[@]}" 0 >"$work/dbus.out"
}

declare -A ret set got
tag=10
in_flight=
for way in $ways; do
	echo "## $way: $n creates"
	tag=$((tag + 1))
	make_uuids "$work/uuids-$way" "$n" "$tag"
	k=${way#*:}
	[ "$k" = "$way" ] && k=
	case ${way%%:*} in
	batch|dbus) [ "$k" = "$in_flight" ] || { restart_idxdd "$k"; in_flight=$k; } ;;
	raw) [ -n "$k" ] && split_writers "$work/uuids-$way" "$k" ;;
	esac
	t0=$(now_us)
	case $way in
	raw) raw_create "$work/uuids-$way" ;;
	raw:*) raw_parallel "$work/uuids-$way" "$k" ;;
	mdevctl) create_mdevctl "$work/uuids-$way" ;;
	idxdctl) create_idxdctl "$work/uuids-$way" ;;
	batch|batch:*) create_batch ;;
	dbus|dbus:*) create_dbus "$work/uuids-$way" ;;
	*) bail "unknown way $way" ;;
	esac
	rc=$?
	ret[$way]=$(( $(now_us) - t0 ))
	settle
	wait_idxdd_mdevs "$n" 600
	set[$way]=$(( $(now_us) - t0 ))
	got[$way]=$(sysfs_mdevs)
	if [ "$rc" = 0 ] && [ "${got[$way]}" = "$n" ]; then
		ok "$way: $n mdevs, returned after $(ms "${ret[$way]}") ms, settled after $(ms "${set[$way]}") ms"
	else
		echo "not ok - $way: exit status $rc, $(sysfs_mdevs) mdevs in sysfs, idxdd knows $(idxdd_mdevs)"
		[ "${way%%:*}" = batch ] && tail -5 "$work/batch.out"
	fi
	for p in "${parents[@]}"; do
		echo "  $p: $(ls "/sys/class/mdev_bus/$p/mdev_supported_types/$type/devices" | wc -l) mdevs"
	done
	remove_all
	settle
	wait_idxdd_mdevs 0 600 || bail "idxdd did not see the removals"
	[ "$way" = mdevctl ] && undefine_mdevctl
done

echo
echo "RESULTS create: $n mdevs over ${#parents[@]} parents (wall time, guest under QEMU TCG; udevd and idxdd running in every row)"
row "way" "command" "returned (ms)" "per mdev (ms)" "settled (ms)" "mdevs made" "returned vs raw" "mdevctl start / this"
row "---" "---" "---:" "---:" "---:" "---:" "---:" "---:"
for way in $ways; do
	k=${way#*:}
	case $way in
	raw) cmd="\`echo UUID > .../create\` ×$n" ;;
	raw:*) cmd="\`echo UUID > .../create\` ×$n, $k writers per parent" ;;
	mdevctl) cmd="\`mdevctl start -p P -t T -u UUID\` ×$n" ;;
	idxdctl) cmd="\`idxdctl create --parent P --type T --uuid UUID\` ×$n" ;;
	batch) cmd="\`idxdctl create --type dsa-1swq-v1 --count $n\`" ;;
	batch:*) cmd="\`idxdctl create --type dsa-1swq-v1 --count $n\`, $k in flight per parent" ;;
	dbus) cmd="\`busctl call … CreateMdevs\` ($n requests)" ;;
	dbus:*) cmd="\`busctl call … CreateMdevs\` ($n requests), $k in flight per parent" ;;
	esac
	vs_m=n/a
	[ -n "${ret[mdevctl]:-}" ] && vs_m=$(ratio "${ret[mdevctl]}" "${ret[$way]}")
	vs_raw=n/a
	[ -n "${ret[raw]:-}" ] && vs_raw=$(ratio "${ret[$way]}" "${ret[raw]}")
	row "$way" "$cmd" "$(ms "${ret[$way]}")" "$(ms $((ret[$way] / n)))" "$(ms "${set[$way]}")" "${got[$way]}" "$vs_raw" "$vs_m"
done
stop_idxdd
exit 0
