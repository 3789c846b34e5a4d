#!/bin/bash
# Guest side (tests/vm/run-vm --overlay /etc): boot bring-up of N autostart
# definitions (default 1,000) over two parents, udevd running.
#   floor    raw shell writes of the N UUIDs to `create`
#   mdevctl  N definitions with "start": "auto" in /etc/mdevctl.d, then what
#            its udev rule runs when a parent appears at boot:
#            `mdevctl start-parent-mdevs PARENT` for each parent
#   idxdd    N mdevs made `--persistent --autostart` (CreateMdevs), idxdd
#            stopped, the mdevs removed behind its back, idxdd started:
#            time until it has made all N again. Measured only when idxdd
#            passes a probe (one autostart mdev comes back after a restart);
#            otherwise reported as not measurable.
# Environment: BENCH_N (1000).
set -uo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

n=${BENCH_N:-1000}
export SYSTEMD_BUS_TIMEOUT=${SYSTEMD_BUS_TIMEOUT:-600}

need_etc_writable
must "load idxd_mdev.ko ($modparams)" load_module
must "start a system bus with idxdd's policy" start_bus
must "start udev" start_udev
undefine_mdevctl

declare -A ret set
# floor
make_uuids "$work/uuids-floor" "$n" f1
t0=$(now_us)
raw_create "$work/uuids-floor"
ret[floor]=$(( $(now_us) - t0 ))
settle
set[floor]=$(( $(now_us) - t0 ))
ok "floor: $(sysfs_mdevs) mdevs by raw writes in $(ms "${ret[floor]}") ms"
remove_all
settle

# mdevctl
make_uuids "$work/uuids-mdevctl" "$n" f2
define_mdevctl "$work/uuids-mdevctl" auto
t0=$(now_us)
for p in "${parents[@]}"; do mdevctl start-parent-mdevs "$p" >/dev/null 2>&1; done
ret[mdevctl]=$(( $(now_us) - t0 ))
settle
set[mdevctl]=$(( $(now_us) - t0 ))
got_m=$(sysfs_mdevs)
if [ "$got_m" = "$n" ]; then ok "mdevctl start-parent-mdevs: $n mdevs in $(ms "${ret[mdevctl]}") ms"
else echo "not ok - mdevctl start-parent-mdevs made $got_m of $n"; fi
remove_all
settle
undefine_mdevctl

# idxdd: probe for autostart first
must "start idxdd" start_idxdd
probe=$("$idxdctl" create --type dsa-1swq-v1 --persistent --autostart 2>&1)
idxdd_status="not measured"
if [[ $probe =~ ^[0-9a-f-]{36}$ ]]; then
	stop_idxdd
	echo 1 >"/sys/bus/mdev/devices/$probe/remove"
	settle
	start_idxdd
	deadline=$((SECONDS + 30))
	until [ -e "/sys/bus/mdev/devices/$probe" ] || [ $SECONDS -ge $deadline ]; do sleep 1; done
	if [ -e "/sys/bus/mdev/devices/$probe" ]; then
		idxdd_status=measured
	else
		idxdd_status="not measured: a --persistent --autostart mdev removed while idxdd was stopped was not made again within 30 s of its start"
	fi
	"$idxdctl" destroy "$probe" >/dev/null 2>&1
	remove_all
	settle
else
	idxdd_status="not measured: idxdctl create --persistent --autostart failed: $probe"
fi
echo "idxdd autostart: $idxdd_status"

if [ "$idxdd_status" = measured ]; then
	"$idxdctl" create --type dsa-1swq-v1 --persistent --autostart --count "$n" >/dev/null ||
		echo "warning: the batch of $n persistent mdevs had failures"
	settle
	wait_idxdd_mdevs "$n" 600
	stop_idxdd
	remove_all
	settle
	t0=$(now_us)
	start_idxdd
	until [ "$(sysfs_mdevs)" -ge "$n" ] || [ $((($(now_us) - t0) / 1000000)) -ge 600 ]; do sleep 0.5; done
	ret[idxdd]=$(( $(now_us) - t0 ))
	settle
	wait_idxdd_mdevs "$n" 600
	set[idxdd]=$(( $(now_us) - t0 ))
	ok "idxdd autostart: $(sysfs_mdevs) mdevs in $(ms "${ret[idxdd]}") ms"
fi

echo
echo "RESULTS bring-up: $n autostart definitions over ${#parents[@]} parents (guest under QEMU TCG, udevd running)"
row "way" "command" "all made (ms)" "settled (ms)" "vs floor" "mdevctl / idxdd"
row "---" "---" "---:" "---:" "---:" "---:"
row "floor" "\`echo UUID > .../create\` ×$n" "$(ms "${ret[floor]}")" "$(ms "${set[floor]}")" "1.00" ""
row "mdevctl" "\`mdevctl start-parent-mdevs P\` per parent ($got_m made)" "$(ms "${ret[mdevctl]}")" "$(ms "${set[mdevctl]}")" \
	"$(ratio "${ret[mdevctl]}" "${ret[floor]}")" ""
if [ "$idxdd_status" = measured ]; then
	row "idxdd" "idxdd start with $n autostart definitions" "$(ms "${ret[idxdd]}")" "$(ms "${set[idxdd]}")" \
		"$(ratio "${ret[idxdd]}" "${ret[floor]}")" "$(ratio "${ret[mdevctl]}" "${ret[idxdd]}")"
else
	row "idxdd" "$idxdd_status" "—" "—" "—" "—"
fi
stop_idxdd
exit 0
