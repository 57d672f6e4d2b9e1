#!/bin/sh
# The demonstration behind `./quickstart demo`: bring the demo environment
# up on loopback, show what runs, place one call each way with its audio
# checked (calls.py), summarise them, and stop it all.  Usage: demo.sh BUILD
#
# It works in a new temporary directory, removed at the end, or in
# $KB_DEMO_DIR, kept (with its logs); ports as up.sh takes them.
set -eu
BUILD=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
if [ -n "${KB_DEMO_DIR:-}" ]; then
	RUN=$KB_DEMO_DIR
	mkdir -p "$RUN"
	trap 'sh "$top/tests/demo/down.sh" "$RUN" >/dev/null' EXIT
else
	RUN=$(mktemp -d /tmp/kandy-bridge-demo.XXXXXX)
	trap 'sh "$top/tests/demo/down.sh" "$RUN" >/dev/null; rm -rf "$RUN"' EXIT
fi

sh "$top/tests/demo/up.sh" "$BUILD" "$RUN" >/dev/null
echo "== kandy-bridge demo"
echo "bridged started with etc/demo.conf; its processes:"
echo
"$RUN/bridgectl" show status
echo
echo "Each child runs as _bridged, chrooted, under seccomp:"
for p in sipd kandyd mediad; do
	pid=$("$RUN/bridgectl" show status | awk -v p=$p '$1 == p { print $2 }')
	printf '  %-7s pid %-7s root %-11s %s\n' "$p" "$pid" \
	    "$(readlink /proc/$pid/root)" \
	    "$(grep -E '^Seccomp:' /proc/$pid/status | tr -s '\t ' ' ')"
done
echo
ctl() { "$RUN/bridgectl" "$@"; }
ready() { ctl show kandy | grep -q '^state  *ready'; }
i=0
while ! ready && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
echo "kandyd signed in to the Kandy emulator (OAuth, notification channel, subscription):"
ctl show kandy | sed 's/^/  /'
echo
/usr/bin/python3 "$top/tests/demo/calls.py" "$top" "$BUILD" "$RUN" || fail=1
echo
echo "The bridge after the calls:"
ctl show status | sed 's/^/  /'
sh "$top/tests/demo/down.sh" "$RUN" >/dev/null
echo "Everything stopped (bridged, its children, kandysim, coturn)."
if [ "${fail:-0}" -ne 0 ]; then
	echo "== demo FAILED: see above"
	exit 1
fi
echo "== demo done"
