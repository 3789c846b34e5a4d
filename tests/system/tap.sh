# shellcheck shell=bash
# TAP helpers sourced by image-setup.sh and guest-checks.sh (bash). Test names
# get $tap_prefix in front; the host renumbers the lines.
tap_n=0
ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - ${tap_prefix-}$1"; }
not_ok() {
	tap_n=$((tap_n + 1))
	echo "not ok $tap_n - ${tap_prefix-}$1"
	[ -n "${2-}" ] && printf '%s\n' "$2" | tail -n 30 | sed 's/^/#   /'
	return 0
}
check() { # check NAME COMMAND...: ok when COMMAND succeeds; its output on failure
	local name=$1 out start=$SECONDS
	shift
	if out=$("$@" 2>&1); then
		ok "$name ($((SECONDS - start)) s)"
	else
		not_ok "$name ($((SECONDS - start)) s)" "$out"
	fi
}
