#!/bin/bash
# Guest side (tests/vm/run-vm --mem 2048; bench/run-all runs it as
# "guest-path"): MEMMOVE through an idxdd mdev, descriptors/s, MiB/s and
# submit-to-interrupt latency of the VFIO client (tests/vm/vfio-client.c,
# `bench SIZE COUNT`: one descriptor at a time, each waited for)
#   (a) in the test VM, on the mdev itself (VFIO's mdev interface), and
#   (b) in a nested guest that Debian's libvirtd starts with the same mdev
#       as its hostdev (tests/vm/nested.sh), through QEMU's vfio-pci and the
#       guest's own vfio-pci,
# one after the other on the same mdev, in one run; b/a per size.
# Environment: BENCH_SIZES ("4096 65536 1048576"), BENCH_COUNTS (one per
# size, "1000 300 30").
set -uo pipefail
. "${IDXD_SRC:?}/tests/vm/stack.sh"
. "$src/tests/vm/libvirt.sh"
. "$src/tests/vm/nested.sh"

read -r -a sizes <<<"${BENCH_SIZES:-4096 65536 1048576}"
read -r -a counts <<<"${BENCH_COUNTS:-1000 300 30}"
[ ${#sizes[@]} = ${#counts[@]} ] || { echo "Bail out! BENCH_SIZES and BENCH_COUNTS differ in length"; exit 1; }
domain=bench
have_libvirt || { echo "Bail out! libvirtd or virsh not installed"; exit 1; }

# field LINE KEY: the value of KEY=VALUE in a "bench: ..." line.
field() { local w; for w in $1; do [ "${w%%=*}" = "$2" ] && { echo "${w#*=}"; return; }; done; echo "?"; }
# ratio A B: A/B with two decimals, "n/a" when either is not a number.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "n/a" }'; }
row() { local c out='|'; for c; do out+=" $c |"; done; echo "$out"; }

must "build the nested guest's initramfs" nested_initramfs
stack_libvirt=1
stack_up sim_devices=1
run=
for i in "${!sizes[@]}"; do run+="${run:++}bench,${sizes[i]},${counts[i]}"; done
must "virsh define $domain (the client's bench in the guest: $run)" nested_define "$domain" "$run"
uuid=$("$idxdctl" create --type dsa-1dwq-v1 --domain "$domain")
must "idxdctl create --domain $domain: $uuid, attached to the definition" \
	wait_for 30 nested_has_mdev "$domain" "$uuid"

declare -A host guest
for i in "${!sizes[@]}"; do
	line=$("$build/tests/vm/vfio-client" "$uuid" bench "${sizes[i]}" "${counts[i]}" | grep '^bench: op=')
	echo "(a) ${line:-no result for ${sizes[i]} bytes}"
	[ -z "$line" ] || host[${sizes[i]}]=$line
done
must "(a) the client in the test VM: ${#host[@]} sizes" test ${#host[@]} = ${#sizes[@]}

t0=$SECONDS
must "virsh start $domain" virsh start "$domain"
must "(b) the client in the nested guest finished" nested_wait "$domain" 900
echo "guest: done $((SECONDS - t0)) s after virsh start"
while IFS= read -r line; do
	line=${line%$'\r'}
	case "$line" in
	'bench: op='*) echo "(b) $line"; guest[$(field "$line" size)]=$line ;;
	'nested-guest: '*) echo "$line" ;;
	esac
done < <(nested_console "$domain")
must "(b) the client in the nested guest: ${#guest[@]} sizes" test ${#guest[@]} = ${#sizes[@]}
virsh destroy "$domain" >/dev/null
"$idxdctl" destroy "$uuid" >/dev/null

echo "RESULTS MEMMOVE through one dsa-1dwq-v1 mdev, one descriptor in flight: (a) VFIO client in the test VM, (b) the same client in a nested guest started by libvirt (both TCG)"
row size count "(a) desc/s" "(a) MiB/s" "(a) latency p50/p99 µs" "(b) desc/s" "(b) MiB/s" "(b) latency p50/p99 µs" "b/a"
row --- --- --- --- --- --- --- --- ---
for i in "${!sizes[@]}"; do
	s=${sizes[i]} a=${host[${sizes[i]}]} b=${guest[${sizes[i]}]}
	row "$s" "${counts[i]}" "$(field "$a" desc_per_s)" "$(field "$a" mib_per_s)" \
		"$(field "$a" lat_us_p50)/$(field "$a" lat_us_p99)" \
		"$(field "$b" desc_per_s)" "$(field "$b" mib_per_s)" \
		"$(field "$b" lat_us_p50)/$(field "$b" lat_us_p99)" \
		"$(ratio "$(field "$b" desc_per_s)" "$(field "$a" desc_per_s)")"
done
