#!/bin/sh
# Starts the demo environment in the background: bridged with
# etc/demo.conf (and, as they land, the Kandy emulator and a TURN server).
# Usage: up.sh BUILD RUNDIR
set -eu
BUILD=$(cd "$1" && pwd)
RUN=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/common.sh"

[ "$(id -u)" -eq 0 ] || { echo "the demo runs bridged, which needs root" >&2; exit 1; }
if [ -f "$RUN/bridged.pid" ] && kill -0 "$(cat "$RUN/bridged.pid")" 2>/dev/null; then
	echo "demo already running (pid $(cat "$RUN/bridged.pid")); ./quickstart down stops it"
	exit 0
fi
mkdir -p "$RUN"
make_libexec "$RUN/libexec"
# bridged refuses a configuration file others can read.
install -m 600 "$top/etc/demo.conf" "$RUN/bridged.conf"
KB_LIBEXECDIR=$RUN/libexec "$BUILD/bridged/bridged" -d -f "$RUN/bridged.conf" \
    >"$RUN/bridged.log" 2>&1 &
echo $! >"$RUN/bridged.pid"
sock=$(awk '/^control socket/ { gsub(/"/, "", $3); print $3 }' "$RUN/bridged.conf")
ln -sf "$BUILD/bridgectl/bridgectl" "$RUN/bridgectl"
running() {
	"$BUILD/bridgectl/bridgectl" -s "$sock" show status 2>/dev/null |
	    awk '$1 ~ /sipd|kandyd|mediad/ && $3 == "running" { n++ } END { exit n != 3 }'
}
if ! wait_for 10 running; then
	echo "bridged did not come up; its log:" >&2
	tail -n 20 "$RUN/bridged.log" >&2
	exit 1
fi
cat <<MSG
kandy-bridge demo is up (pid $(cat "$RUN/bridged.pid")).
  status:   $BUILD/bridgectl/bridgectl -s $sock show status
  log:      $RUN/bridged.log
  config:   $RUN/bridged.conf (from etc/demo.conf)
  SIP:      point a softphone or 3CX trunk at 127.0.0.1:5060, user 3cx, password 3cx-demo
  stop:     ./quickstart down
MSG
