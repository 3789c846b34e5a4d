#!/bin/bash
# Guest side (tests/vm/run-vm --overlay /etc): idxdd at 2,000 and 10,000 mdevs.
#   - list: `idxdctl list` / `idxdctl --json list` against Debian's `mdevctl list`
#     (active mdevs, read from sysfs) and `mdevctl list --defined` (the same
#     UUIDs as mdevctl definitions in /etc/mdevctl.d);
#   - idxdd's start-up (enumeration) time, RSS, PSS;
#   - idle: context switches and system calls of idxdd over 10 s with nothing
#     happening.
# The mdevs are made by raw writes to `create` before idxdd starts (idxdd
# enumerates them); udevd does not run, so nothing else touches the system.
# Environment: BENCH_SIZES (default "2000 10000"), BENCH_REPS (idxdctl runs
# per command, default 7), BENCH_MDEVCTL_REPS (default 3; 1 above 2,000).
set -uo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

sizes=${BENCH_SIZES:-2000 10000}
reps=${BENCH_REPS:-7}
mreps=${BENCH_MDEVCTL_REPS:-3}
idle_secs=${BENCH_IDLE_SECS:-10}

need_etc_writable
must "load idxd_mdev.ko ($modparams)" load_module
must "start a system bus with idxdd's policy" start_bus
mkdir -p "$work"
undefine_mdevctl

declare -A res
have=0
for n in $sizes; do
	echo "## $n mdevs"
	make_uuids "$work/uuids-$n" "$n" b0
	tail -n +$((have + 1)) "$work/uuids-$n" >"$work/new"
	# keep the alternation of parents consistent with the whole list
	if [ $((have % 2)) -ne 0 ]; then bail "sizes must be even"; fi
	time_us t_create raw_create "$work/new" || bail "raw create failed at $n"
	time_us t_define define_mdevctl "$work/new" manual
	have=$n
	[ "$(sysfs_mdevs)" = "$n" ] || bail "sysfs has $(sysfs_mdevs) mdevs, expected $n"
	ok "$n mdevs in sysfs (raw create of $(wc -l <"$work/new"): $(ms "$t_create") ms), $n mdevctl definitions"

	stop_idxdd
	time_us t_start start_idxdd || bail "idxdd did not start"
	wait_idxdd_mdevs "$n" 60 || bail "idxdd does not see the $n mdevs"
	ok "idxdd started and enumerated $n mdevs in $(ms "$t_start") ms (exec, enumerate, first status call)"

	# correctness first: everybody sees n
	c1=$("$idxdctl" --json list | grep -c '"uuid"')
	c2=$(mdevctl list | grep -c "$type")
	c3=$(mdevctl list --defined | grep -c "$type")
	echo "idxdctl --json list: $c1 mdevs; mdevctl list: $c2; mdevctl list --defined: $c3"
	[ "$c1" = "$n" ] && [ "$c2" = "$n" ] && [ "$c3" = "$n" ] || echo "not ok - counts differ"

	repeat_us "res[$n,version]" "$reps" "$idxdctl" --version
	repeat_us "res[$n,status]" "$reps" "$idxdctl" status
	repeat_us "res[$n,list]" "$reps" "$idxdctl" list
	repeat_us "res[$n,json]" "$reps" "$idxdctl" --json list
	repeat_us "res[$n,busctl]" "$reps" busctl --system call org.idxd.Manager1 /org/idxd/Manager1 \
		org.idxd.Manager1 ListMdevs 'a{sv}' 0
	mr=$mreps; [ "$n" -gt 2000 ] && mr=1
	repeat_us "res[$n,mversion]" "$mr" mdevctl --version
	repeat_us "res[$n,mlist]" "$mr" mdevctl list
	repeat_us "res[$n,mdefined]" "$mr" mdevctl list --defined
	res[$n,mreps]=$mr

	pid=$idxdd_pid
	res[$n,rss]=$(status_kib "$pid" VmRSS)
	res[$n,hwm]=$(status_kib "$pid" VmHWM)
	res[$n,pss]=$(pss_kib "$pid")
	# what is the daemon's own (heap, stacks) and what is library pages mapped from files
	res[$n,anon]=$(status_kib "$pid" RssAnon)
	res[$n,file]=$(status_kib "$pid" RssFile)
	res[$n,start]=$t_start

	sleep 2
	c0=$(ctxt_switches "$pid")
	sleep "$idle_secs"
	res[$n,idle_cs]=$(( $(ctxt_switches "$pid") - c0 ))
	timeout -s INT "$idle_secs" strace -c -f -p "$pid" -o "$work/strace-$n" >/dev/null 2>&1
	res[$n,idle_sys]=$(awk '$NF == "total" { print $4 }' "$work/strace-$n")
	res[$n,idle_sys]=${res[$n,idle_sys]:-0}
	echo "strace -c -f -p idxdd over ${idle_secs} s idle:"; cat "$work/strace-$n"
	ok "measured at $n mdevs"
done

echo
echo "RESULTS list (median wall time per call, ms; guest under QEMU TCG)"
row "mdevs" "idxdctl --version (exec floor)" "idxdctl status" "idxdctl list" "idxdctl --json list" "busctl call ListMdevs" "mdevctl --version" "mdevctl list" "mdevctl list --defined" "mdevctl runs"
row "---:" "---:" "---:" "---:" "---:" "---:" "---:" "---:" "---:" "---:"
for n in $sizes; do
	row "$n" "$(ms "${res[$n,version]}")" "$(ms "${res[$n,status]}")" "$(ms "${res[$n,list]}")" \
		"$(ms "${res[$n,json]}")" "$(ms "${res[$n,busctl]}")" "$(ms "${res[$n,mversion]}")" \
		"$(ms "${res[$n,mlist]}")" "$(ms "${res[$n,mdefined]}")" "${res[$n,mreps]}"
done
echo
echo "RESULTS list ratios"
row "mdevs" "mdevctl list --defined / idxdctl list" "mdevctl list / idxdctl list" "idxdctl list minus exec floor (ms)"
row "---:" "---:" "---:" "---:"
for n in $sizes; do
	row "$n" "$(ratio "${res[$n,mdefined]}" "${res[$n,list]}")" "$(ratio "${res[$n,mlist]}" "${res[$n,list]}")" \
		"$(ms $((res[$n,list] - res[$n,version])))"
done
echo
echo "RESULTS daemon"
row "mdevs" "idxdd start to first answer (ms)" "VmRSS (KiB)" "VmHWM (KiB)" "Pss (KiB)" "RssAnon (KiB)" "RssFile (KiB)" "context switches in ${idle_secs} s idle" "system calls in ${idle_secs} s idle (strace)"
row "---:" "---:" "---:" "---:" "---:" "---:" "---:" "---:" "---:"
for n in $sizes; do
	row "$n" "$(ms "${res[$n,start]}")" "${res[$n,rss]}" "${res[$n,hwm]}" "${res[$n,pss]}" "${res[$n,anon]}" "${res[$n,file]}" "${res[$n,idle_cs]}" "${res[$n,idle_sys]}"
done
stop_idxdd
remove_all
exit 0
