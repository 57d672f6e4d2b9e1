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

# The Kandy emulator on 127.0.0.1:8443 with a throwaway CA and the demo
# account of etc/demo.conf.
if [ ! -f "$RUN/ca.crt" ]; then
	(cd "$RUN" &&
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt \
	    -days 30 -subj "/CN=kandy-bridge demo CA" &&
	openssl req -newkey rsa:2048 -nodes -keyout kandysim.key \
	    -out kandysim.csr -subj /CN=127.0.0.1 &&
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >ext &&
	openssl x509 -req -in kandysim.csr -CA ca.crt -CAkey ca.key \
	    -CAcreateserial -out kandysim.crt -days 30 -extfile ext) \
	    >/dev/null 2>&1 || { echo "openssl failed" >&2; exit 1; }
fi
cat >"$RUN/users" <<USERS
# etc/demo.conf's Kandy account, and a second user to call
user demo demo-password
user alice alice-password
USERS
"$BUILD/tests/kandysim/kandysim" -d -l 127.0.0.1:8443 -c "$RUN/kandysim.crt" \
    -k "$RUN/kandysim.key" -u "$RUN/users" >"$RUN/kandysim.log" 2>&1 &
echo $! >"$RUN/kandysim.pid"

# bridged refuses a configuration file others can read.
install -m 600 "$top/etc/demo.conf" "$RUN/bridged.conf"
KB_LIBEXECDIR=$RUN/libexec "$BUILD/bridged/bridged" -d -D demo_ca="$RUN/ca.crt" \
    -f "$RUN/bridged.conf" >"$RUN/bridged.log" 2>&1 &
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
kandy-bridge demo is up (bridged pid $(cat "$RUN/bridged.pid"), kandysim pid $(cat "$RUN/kandysim.pid")).
  status:   $BUILD/bridgectl/bridgectl -s $sock show status
  Kandy:    kandysim at https://127.0.0.1:8443 (CA $RUN/ca.crt), users demo and alice
  logs:     $RUN/bridged.log $RUN/kandysim.log
  config:   $RUN/bridged.conf (from etc/demo.conf)
  SIP:      127.0.0.1:5060 UDP/TCP, trunk user 3cx, password 3cx-demo
  stop:     ./quickstart down
MSG
