#!/bin/sh
# The demonstration behind `./quickstart demo`: bring the demo environment
# up on loopback, show what runs, place one call each way with its audio
# checked (calls.py), summarise them, and stop it all.  Usage: demo.sh BUILD
set -eu
BUILD=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
RUN=$(mktemp -d /tmp/kandy-bridge-demo.XXXXXX)
trap 'sh "$top/tests/demo/down.sh" "$RUN" >/dev/null; rm -rf "$RUN"' EXIT

sh "$top/tests/demo/up.sh" "$BUILD" "$RUN" >/dev/null
sock=$(awk '/^control socket/ { gsub(/"/, "", $3); print $3 }' "$RUN/bridged.conf")
echo "== kandy-bridge demo"
echo "bridged started with etc/demo.conf; its processes:"
echo
"$BUILD/bridgectl/bridgectl" -s "$sock" show status
echo
echo "Each child runs as _bridged, chrooted, under seccomp:"
for p in sipd kandyd mediad; do
	pid=$("$BUILD/bridgectl/bridgectl" -s "$sock" show status | awk -v p=$p '$1 == p { print $2 }')
	printf '  %-7s pid %-7s root %-11s %s\n' "$p" "$pid" \
	    "$(readlink /proc/$pid/root)" \
	    "$(grep -E '^Seccomp:' /proc/$pid/status | tr -s '\t ' ' ')"
done
echo
ctl() { "$BUILD/bridgectl/bridgectl" -s "$sock" "$@"; }
ready() { ctl show kandy | grep -q '^state  *ready'; }
i=0
while ! ready && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
echo "kandyd signed in to the Kandy emulator (OAuth, notification channel, subscription):"
ctl show kandy | sed 's/^/  /'
echo
/usr/bin/python3 "$top/tests/demo/calls.py" "$top" "$BUILD" "$RUN" || fail=1
echo
echo "The bridge after the calls:"
ctl show status | sed 's/^/  /'
sh "$top/tests/demo/down.sh" "$RUN" >/dev/null
echo "Everything stopped (bridged, its children, kandysim)."
if [ "${fail:-0}" -ne 0 ]; then
	echo "== demo FAILED: see above"
	exit 1
fi
echo "== demo done"
