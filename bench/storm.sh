#!/bin/bash
# Guest side (tests/vm/run-vm): a uevent storm behind idxdd's back. With udevd
# and idxdd running, raw shell writes create BENCH_CREATES mdevs (default
# 3,000) over two parents as fast as the kernel takes them, then remove
# BENCH_REMOVES of them (default 1,500) and send a `change` uevent to each of
# BENCH_CHANGES survivors (default 1,000). The kernel sends add+bind per
# create and unbind+remove per remove: 10,000 mdev uevents by default. Counted:
#   - what the kernel sent (udevadm monitor --kernel, subsystem mdev),
#   - what udevd passed on (udevadm monitor --udev, subsystem mdev),
#   - what idxdd did about it: its MdevAdded/MdevRemoved signals (dbus-monitor)
#     and, at the end, its mdev list against sysfs, UUID by UUID.
# "None lost" = one MdevAdded per create, one MdevRemoved per remove, and the
# list equal to sysfs.
set -uo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

creates=${BENCH_CREATES:-3000}
removes=${BENCH_REMOVES:-1500}
changes=${BENCH_CHANGES:-1000}

must "load idxd_mdev.ko ($modparams)" load_module
must "start a system bus with idxdd's policy" start_bus
must "start udev" start_udev
must "start idxdd" start_idxdd

udevadm monitor --kernel --subsystem-match=mdev >"$work/kernel.events" 2>&1 &
mon_k=$!
udevadm monitor --udev --subsystem-match=mdev >"$work/udev.events" 2>&1 &
mon_u=$!
stdbuf -oL dbus-monitor --system "type='signal',interface='org.idxd.Manager1'" >"$work/signals" 2>&1 &
mon_d=$!
sleep 2

make_uuids "$work/uuids" "$creates" 5a
t0=$(now_us)
raw_create "$work/uuids" || echo "warning: some creates failed"
t_create=$(( $(now_us) - t0 ))
head -n "$removes" "$work/uuids" >"$work/removed"
while read -r u; do echo 1 >"/sys/bus/mdev/devices/$u/remove"; done <"$work/removed"
t_remove=$(( $(now_us) - t0 ))
tail -n +$((removes + 1)) "$work/uuids" | head -n "$changes" >"$work/changed"
while read -r u; do echo change >"/sys/bus/mdev/devices/$u/uevent"; done <"$work/changed"
t_sent=$(( $(now_us) - t0 ))
ok "storm sent: $creates creates, $removes removes, $(wc -l <"$work/changed") change uevents in $(ms "$t_sent") ms"

settle
t_udev=$(( $(now_us) - t0 ))
want=$((creates - removes))
wait_idxdd_mdevs "$want" 600
t_idxdd=$(( $(now_us) - t0 ))
sleep 2
kill "$mon_k" "$mon_u" "$mon_d" 2>/dev/null
wait "$mon_k" "$mon_u" "$mon_d" 2>/dev/null

count() { grep -c "$1" "$2"; }
k_add=$(count ' add ' "$work/kernel.events"); k_rm=$(count ' remove ' "$work/kernel.events")
k_chg=$(count ' change ' "$work/kernel.events"); k_all=$(count '^KERNEL\[' "$work/kernel.events")
u_add=$(count ' add ' "$work/udev.events"); u_rm=$(count ' remove ' "$work/udev.events")
u_chg=$(count ' change ' "$work/udev.events"); u_all=$(count '^UDEV *\[' "$work/udev.events")
s_add=$(count 'member=MdevAdded' "$work/signals"); s_rm=$(count 'member=MdevRemoved' "$work/signals")
"$idxdctl" --json list | sed -n 's/.*"uuid": "\(.*\)".*/\1/p' | sort >"$work/idxdd.list"
ls /sys/bus/mdev/devices | sort >"$work/sysfs.list"
missing=$(comm -13 "$work/idxdd.list" "$work/sysfs.list" | wc -l)
extra=$(comm -23 "$work/idxdd.list" "$work/sysfs.list" | wc -l)
lost_warnings=$(grep -ci 'did not arrive\|overflow\|lost\|ENOBUFS\|No buffer space' "$work/idxdd.log")

echo "kernel: $k_all mdev uevents ($k_add add, $k_rm remove, $k_chg change, the rest bind/unbind)"
echo "udevd:  $u_all mdev uevents ($u_add add, $u_rm remove, $u_chg change)"
echo "idxdd:  $s_add MdevAdded, $s_rm MdevRemoved; list $(wc -l <"$work/idxdd.list") vs sysfs $(wc -l <"$work/sysfs.list"): $missing missing, $extra extra"
echo "idxdd log lines about lost uevents or overflow: $lost_warnings"
grep -i 'did not arrive\|overflow\|lost\|ENOBUFS' "$work/idxdd.log" | head -5

verdict="none lost"
if [ "$s_add" != "$creates" ] || [ "$s_rm" != "$removes" ] || [ "$missing" != 0 ] || [ "$extra" != 0 ]; then
	verdict="LOST: see counts"
	echo "not ok - storm: $verdict"
else
	ok "storm: $verdict"
fi

echo
echo "RESULTS storm (guest under QEMU TCG; udevd and idxdd running; raw writes as fast as the kernel takes them)"
row "kernel mdev uevents (add/remove/change/all)" "udevd passed on (add/remove/change/all)" "idxdd MdevAdded / creates" "idxdd MdevRemoved / removes" "idxdd list vs sysfs (missing/extra)" "idxdd lost-uevent recoveries logged" "sent in (ms)" "udev settled at (ms)" "idxdd caught up at (ms)" "verdict"
row "---:" "---:" "---:" "---:" "---:" "---:" "---:" "---:" "---:" "---"
row "$k_add/$k_rm/$k_chg/$k_all" "$u_add/$u_rm/$u_chg/$u_all" "$s_add / $creates" "$s_rm / $removes" "$missing/$extra" "$lost_warnings" \
	"$(ms "$t_sent")" "$(ms "$t_udev")" "$(ms "$t_idxdd")" "$verdict"
stop_idxdd
exit 0
