# shellcheck shell=bash
# Sourced after stack.sh and libvirt.sh: a nested guest that Debian's
# libvirtd starts inside the test VM with an idxdd mdev as its hostdev
# (tests/vm/guest-path.sh, tests/vm/demo.sh, bench/guest-path.sh).
# The guest is Debian's kernel (the one run-vm booted, $IDXD_VM_KERNEL) with
# the initramfs of tests/vm/nested-initramfs; its /init (tests/vm/nested-init)
# runs the static VFIO client on the vDSA and reports on the serial console,
# a file here.

nested_run=/run/idxd-nested
nested_client=${IDXD_VFIO_CLIENT_STATIC:-$build/tests/vm/vfio-client-static}

# nested_initramfs: build it once per VM run.
nested_initramfs() {
	mkdir -p "$nested_run" &&
		[ -e "$nested_run/initrd.cpio.gz" ] ||
		"$src/tests/vm/nested-initramfs" "$nested_run/initrd.cpio.gz" "$nested_client" "$IDXD_KVER"
}

# nested_define DOMAIN RUN: `virsh define` the domain, its guest running the
# client commands RUN (nested-init's idxd.run= syntax).
nested_define() {
	local name=$1 run=$2 xml=$nested_run/$1.xml
	: >"$nested_run/$name.console"
	sed -e "s|@NAME@|$name|" -e "s|@MEMORY@|${NESTED_MEMORY:-256}|" \
		-e "s|@KERNEL@|${IDXD_VM_KERNEL:?run-vm sets IDXD_VM_KERNEL}|" \
		-e "s|@INITRD@|$nested_run/initrd.cpio.gz|" -e "s|@CONSOLE@|$nested_run/$name.console|" \
		-e "s|@CMDLINE@|idxd.run=$run|" "$src/tests/vm/nested-domain.xml" >"$xml" &&
		virsh define "$xml"
}

# grep -q on virsh's output would end the pipe early, and pipefail make it fail.
nested_running() { [ "$(virsh domstate "$1" 2>/dev/null)" = running ]; }

# nested_has_mdev DOMAIN UUID: the domain's definition has the mdev as a hostdev.
nested_has_mdev() { [[ $(virsh dumpxml --inactive "$1") == *"<address uuid='$2'/>"* ]]; }

nested_console() { cat "$nested_run/$1.console" 2>/dev/null; }

# nested_wait DOMAIN SECONDS: until the guest's init says "done" (0) or the
# time is up or the domain stops (1).
nested_wait() {
	local name=$1 deadline=$((SECONDS + $2))
	until grep -q '^nested-guest: done' "$nested_run/$name.console" 2>/dev/null; do
		if [ $SECONDS -ge "$deadline" ]; then
			echo "# no 'nested-guest: done' from $name within $2 s"
			return 1
		fi
		if ! nested_running "$name"; then
			echo "# $name is not running: $(virsh domstate "$name" 2>&1)"
			return 1
		fi
		sleep 1
		[ $((SECONDS % 30)) != 0 ] || echo "# $name: $(wc -l <"$nested_run/$name.console") console lines"
	done
}

# nested_passed DOMAIN: every client command in the guest exited 0.
nested_passed() { grep -q '^nested-guest: done 0' "$nested_run/$1.console"; }

# nested_not_ok "WHAT[ # WHY]": a failed check, a TODO while $nested_todo
# names a known problem (TAP takes the first "#" as the directive).
nested_not_ok() {
	local why=
	tap_n=$((tap_n + 1))
	if [ -n "${nested_todo:-}" ]; then
		[[ $1 == *' # '* ]] && why=" (${1#* # })"
		echo "not ok $tap_n - ${1%% # *} # TODO $nested_todo$why"
	else
		echo "not ok $tap_n - $1"
	fi
}

# nested_step NAME COMMAND...: stack.sh's step, a TODO on failure while
# $nested_todo names a known problem.
nested_step() {
	local name=$1; shift
	if [ -z "${nested_todo:-}" ]; then
		step "$name" "$@"
		return
	fi
	echo "## $name"
	echo "\$ $*"
	if "$@"; then
		tap_n=$((tap_n + 1)); echo "ok $tap_n - $name"
	else
		nested_not_ok "$name"
	fi
}

# nested_results DOMAIN PREFIX: the client's result lines from the console as
# TAP ("PASS x"/"ok N - x" -> ok, "FAIL x"/"not ok N - x" -> not ok), each
# prefixed; every other console line after init started as a comment.
# Returns 1 if a line failed, no result was seen or a command exited non-zero.
# With $nested_todo set (a known problem, said in it) failures are TAP TODOs.
nested_results() {
	local name=$1 prefix=$2 line seen=0 bad=0 started=0
	while IFS= read -r line; do
		line=${line%$'\r'}
		case "$line" in
		'nested-guest: init'*) started=1; echo "# $line" ;;
		PASS\ *) seen=1; tap_n=$((tap_n + 1)); echo "ok $tap_n - $prefix: ${line#PASS }" ;;
		FAIL\ *) seen=1; bad=1; nested_not_ok "$prefix: ${line#FAIL }" ;;
		'ok '*) seen=1; tap_n=$((tap_n + 1)); echo "ok $tap_n - $prefix: ${line#ok * - }" ;;
		'not ok '*) seen=1; bad=1; nested_not_ok "$prefix: ${line#not ok * - }" ;;
		'nested-guest: exit '*) [ "${line#nested-guest: exit }" = 0 ] || bad=1; echo "# $line" ;;
		*) [ $started = 1 ] && echo "# $line" ;;
		esac
	done < <(nested_console "$name")
	[ $seen = 1 ] && [ $bad = 0 ]
}

# nested_qemu_log DOMAIN: QEMU's command line and messages, as libvirt logged them.
nested_qemu_log() { cat "/var/log/libvirt/qemu/$1.log" 2>/dev/null; }

# nested_qemu_pid DOMAIN: the pid of the domain's QEMU.
nested_qemu_pid() { cat "/var/run/libvirt/qemu/$1.pid" 2>/dev/null; }
