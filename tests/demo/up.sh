#!/bin/sh
# Starts the demo environment in the background: the Kandy emulator, a TURN
# server (coturn) with the emulator's TURN REST secret, and bridged with
# etc/demo.conf.  Usage: up.sh BUILD RUNDIR
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
# The TURN REST secret kandysim signs its /turn credentials with and
# coturn checks them with; new for each run directory.
[ -s "$RUN/turn-secret" ] ||
	od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$RUN/turn-secret"
secret=$(cat "$RUN/turn-secret")
"$BUILD/tests/kandysim/kandysim" -d -l 127.0.0.1:8443 -c "$RUN/kandysim.crt" \
    -k "$RUN/kandysim.key" -u "$RUN/users" -s "$secret" \
    >"$RUN/kandysim.log" 2>&1 &
echo $! >"$RUN/kandysim.pid"

# coturn on 127.0.0.1: UDP and TCP on 3478 (etc/demo.conf's ice block),
# TLS on 5349 with the emulator's certificate, relays on loopback too.
turn=no
if command -v turnserver >/dev/null; then
	turnserver -n --listening-ip 127.0.0.1 --relay-ip 127.0.0.1 \
	    --listening-port 3478 --tls-listening-port 5349 \
	    --cert "$RUN/kandysim.crt" --pkey "$RUN/kandysim.key" --no-dtls \
	    --use-auth-secret --static-auth-secret "$secret" \
	    --realm kandy.test --allow-loopback-peers --no-cli \
	    --min-port 49160 --max-port 49659 --db "$RUN/turndb" \
	    --pidfile "$RUN/turnserver.run.pid" --log-file "$RUN/turnserver.log" \
	    --simple-log >/dev/null 2>&1 &
	echo $! >"$RUN/turnserver.pid"
	turn_up() { ss -Hltn 'sport = :3478' | grep -q .; }
	if wait_for 10 turn_up; then
		turn=yes
	else
		echo "coturn did not come up (see $RUN/turnserver.log); calls go without TURN" >&2
	fi
else
	echo "turnserver (Debian package coturn) missing: calls go without TURN" >&2
fi

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
  TURN:     $( [ $turn = yes ] && echo "coturn on 127.0.0.1:3478 (UDP, TCP), 5349 (TLS); credentials from Kandy's /turn" || echo "none")
  logs:     $RUN/bridged.log $RUN/kandysim.log $RUN/turnserver.log
  config:   $RUN/bridged.conf (from etc/demo.conf)
  SIP:      127.0.0.1:5060 UDP/TCP, trunk user 3cx, password 3cx-demo
  stop:     ./quickstart down
MSG
