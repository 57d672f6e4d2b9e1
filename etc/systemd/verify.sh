#!/bin/sh
# Checks a systemd unit with systemd-analyze verify.  Unknown or malformed
# settings only produce warnings there, so any output fails the test too.
set -u
unit=$1
command -v systemd-analyze >/dev/null 2>&1 || {
	echo "SKIP: no systemd-analyze"
	exit 77
}
out=$(systemd-analyze verify --man=no "$unit" 2>&1)
rc=$?
if [ $rc -ne 0 ] || [ -n "$out" ]; then
	printf '%s\n' "$out"
	echo "FAIL: systemd-analyze verify $unit (exit $rc)"
	exit 1
fi
echo "ok: $unit verified"
