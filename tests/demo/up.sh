#!/bin/sh
# Starts the demo environment in the background: the Kandy emulator with
# the demo's numbers, a TURN server (coturn) with the emulator's TURN REST
# secret, and bridged with etc/demo.conf.  Usage: up.sh BUILD RUNDIR
#
# Ports and the control socket are those of etc/demo.conf unless these
# say otherwise (the demo test runs on ports chosen free):
#	KB_SIP_PORT	SIP, UDP and TCP (5060)
#	KB_KANDY_PORT	the Kandy emulator, HTTPS and WSS (8443)
#	KB_TURN_PORT	coturn, UDP and TCP (3478)
#	KB_TURNS_PORT	coturn, TLS (5349)
#	KB_RELAY_PORTS	coturn's relay ports (49160-49659)
#	KB_RTP_PORTS	mediad's RTP ports (20000-20999)
#	KB_SOCKET	bridged's control socket (/run/bridged.sock)
set -eu
BUILD=$(cd "$1" && pwd)
RUN=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/common.sh"

sip_port=${KB_SIP_PORT:-5060}
kandy_port=${KB_KANDY_PORT:-8443}
turn_port=${KB_TURN_PORT:-3478}
turns_port=${KB_TURNS_PORT:-5349}
relay_ports=${KB_RELAY_PORTS:-49160-49659}
rtp_ports=${KB_RTP_PORTS:-20000-20999}
sock=${KB_SOCKET:-$(awk '/^control socket/ { gsub(/"/, "", $3); print $3 }' \
    "$top/etc/demo.conf")}

[ "$(id -u)" -eq 0 ] || { echo "the demo runs bridged, which needs root" >&2; exit 1; }
if [ -f "$RUN/bridged.pid" ] && kill -0 "$(cat "$RUN/bridged.pid")" 2>/dev/null; then
	echo "demo already running (pid $(cat "$RUN/bridged.pid")); ${KB_RUNDIR:+KB_RUNDIR=$KB_RUNDIR }./quickstart down stops it"
	exit 0
fi
# A port already taken would only show as a daemon failing to start.
for p in $sip_port $kandy_port $turn_port $turns_port; do
	if ss -Hlntu "sport = :$p" | grep -q .; then
		echo "port $p on this host is in use (the demo already up" \
		    "elsewhere? ./quickstart down stops it); see ss -lntup" >&2
		exit 1
	fi
done
mkdir -p "$RUN"
make_libexec "$RUN/libexec"

# The Kandy emulator with a throwaway CA and the demo account of
# etc/demo.conf.
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
"$BUILD/tests/kandysim/kandysim" -d -l "127.0.0.1:$kandy_port" \
    -c "$RUN/kandysim.crt" -k "$RUN/kandysim.key" -u "$RUN/users" \
    -s "$secret" >"$RUN/kandysim.log" 2>&1 &
echo $! >"$RUN/kandysim.pid"
sim() {
	curl -sf --max-time 5 --cacert "$RUN/ca.crt" "$@"
}
if ! wait_for 10 sim "https://127.0.0.1:$kandy_port/_sim/status"; then
	echo "the Kandy emulator did not come up; its log:" >&2
	tail -n 20 "$RUN/kandysim.log" >&2
	exit 1
fi
# What the demo's numbers do (etc/demo.conf turns 05... into 9715...);
# any other number answers after half a second and echoes.
sim -o /dev/null -H 'Content-Type: application/json' --data-binary @- \
    "https://127.0.0.1:$kandy_port/_sim/rules" <<'RULES'
{"rules":[
 {"match":"971501000001","action":"answer","answer_after_ms":500,"media":"echo"},
 {"match":"971501000002","action":"answer","answer_after_ms":500,"media":"tone:440"},
 {"match":"971501000486","action":"reject","answer_after_ms":500,"cause":486},
 {"match":"971501000180","action":"ring"}]}
RULES

# coturn on 127.0.0.1: UDP and TCP (etc/demo.conf's ice block), TLS with
# the emulator's certificate, relays on loopback too.
turn=no
if command -v turnserver >/dev/null; then
	turnserver -n --listening-ip 127.0.0.1 --relay-ip 127.0.0.1 \
	    --listening-port "$turn_port" --tls-listening-port "$turns_port" \
	    --cert "$RUN/kandysim.crt" --pkey "$RUN/kandysim.key" --no-dtls \
	    --use-auth-secret --static-auth-secret "$secret" \
	    --realm kandy.test --allow-loopback-peers --no-cli \
	    --min-port "${relay_ports%-*}" --max-port "${relay_ports#*-}" \
	    --db "$RUN/turndb" \
	    --pidfile "$RUN/turnserver.run.pid" --log-file "$RUN/turnserver.log" \
	    --simple-log >/dev/null 2>&1 &
	echo $! >"$RUN/turnserver.pid"
	turn_up() { ss -Hltn "sport = :$turn_port" | grep -q .; }
	if wait_for 10 turn_up; then
		turn=yes
	else
		echo "coturn did not come up (see $RUN/turnserver.log); calls go without TURN" >&2
	fi
else
	echo "turnserver (Debian package coturn) missing: calls go without TURN" >&2
fi

# etc/demo.conf with this run's ports; bridged refuses a configuration
# file others can read.
conf=$RUN/bridged.conf
(umask 077 && sed \
    -e "s|^control socket \".*\"|control socket \"$sock\"|" \
    -e "s|\(listen on 127\.0\.0\.1 port \)[0-9]*|\1$sip_port|" \
    -e "s|\"https://127\.0\.0\.1:[0-9]*\"|\"https://127.0.0.1:$kandy_port\"|" \
    -e "s|\"turn:127\.0\.0\.1:[0-9]*|\"turn:127.0.0.1:$turn_port|" \
    -e "s|rtp ports [0-9]*-[0-9]*|rtp ports $rtp_ports|" \
    "$top/etc/demo.conf" >"$conf")
chmod 600 "$conf"
for want in "control socket \"$sock\"" "port $sip_port transport udp" \
    "port $sip_port transport tcp" "https://127.0.0.1:$kandy_port\"" \
    "turn:127.0.0.1:$turn_port\"" "rtp ports $rtp_ports"; do
	grep -qF "$want" "$conf" || {
		echo "etc/demo.conf has no line this script can set to" \
		    "'$want'" >&2
		exit 1
	}
done
KB_LIBEXECDIR=$RUN/libexec "$BUILD/bridged/bridged" -d -D demo_ca="$RUN/ca.crt" \
    -f "$conf" >"$RUN/bridged.log" 2>&1 &
echo $! >"$RUN/bridged.pid"
# bridgectl on this run's control socket.
printf '#!/bin/sh\nexec "%s" -s "%s" "$@"\n' "$BUILD/bridgectl/bridgectl" \
    "$sock" >"$RUN/bridgectl"
chmod 755 "$RUN/bridgectl"
running() {
	"$RUN/bridgectl" show status 2>/dev/null |
	    awk '$1 ~ /sipd|kandyd|mediad/ && $3 == "running" { n++ } END { exit n != 3 }'
}
if ! wait_for 10 running; then
	echo "bridged did not come up; its log:" >&2
	tail -n 20 "$RUN/bridged.log" >&2
	exit 1
fi
k="https://127.0.0.1:$kandy_port"
cat <<MSG
kandy-bridge demo is up in $RUN:
  bridged (pid $(cat "$RUN/bridged.pid")) with etc/demo.conf, now $conf
  the Kandy emulator (kandysim) at $k, Kandy user demo
  TURN: $( [ $turn = yes ] && echo "coturn on 127.0.0.1:$turn_port (UDP, TCP) and $turns_port (TLS)" || echo "none")

Try it by hand: point a softphone (or a 3CX SIP trunk) at 127.0.0.1:$sip_port,
UDP or TCP, registering as user 3cx with password 3cx-demo, and dial
  0501000001  answers and echoes what you say
  0501000002  answers with a 440 Hz tone
  0501000486  busy (486)
  0501000180  rings until you hang up (or the 120 s no-answer timeout)
Any other number answers and echoes.  The bridge sends 05... to Kandy as
+9715...; +971... and 00971... work too.

A call from +97141234567 at Kandy to the DID +97143001234 rings the
registered phone (as 043001234), with a 440 Hz tone as the caller's voice:
  curl -s --cacert $RUN/ca.crt -H 'Content-Type: application/json' \\
    -d '{"from":"+97141234567","to":"tel:+97143001234","user":"demo","media":"tone:440"}' \\
    $k/_sim/incoming
It answers {"call_id":N,...}; the caller hangs up with
  curl -s --cacert $RUN/ca.crt -X DELETE $k/_sim/calls/N

Watch:  $RUN/bridgectl show calls   (also show registrations, show status)
        tail -f $RUN/bridged.log $RUN/kandysim.log
Stop:   ${KB_RUNDIR:+KB_RUNDIR=$KB_RUNDIR }./quickstart down
MSG
