#!/bin/sh
# The demo as `./quickstart demo` runs it (tests/demo/demo.sh with this
# build's binaries), on loopback ports chosen free and in a temporary
# directory: it must exit 0, list both calls with their audio checked both
# ways, print `bridgectl show status`, and leave nothing running.
# Usage: test_demo.sh BUILD
set -u
BUILD=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/common.sh"
need_root
command -v curl >/dev/null || skip "curl missing"

d=$(mktemp -d /tmp/kb-demo-test.XXXXXX)
trap 'rm -rf "$d"' EXIT

# Four different ports, free now.
ports=""
while [ "$(echo $ports | wc -w)" -lt 4 ]; do
	p=$(free_port)
	case " $ports " in *" $p "*) ;; *) ports="$ports $p" ;; esac
done
set -- $ports
export KB_SIP_PORT=$1 KB_KANDY_PORT=$2 KB_TURN_PORT=$3 KB_TURNS_PORT=$4
export KB_SOCKET=$d/bridged.sock KB_DEMO_DIR=$d/run
echo "ports: SIP $1, Kandy $2, TURN $3, TURN TLS $4; directory $d"

out=$d/demo.out
sh "$top/tests/demo/demo.sh" "$BUILD" >"$out" 2>&1
rc=$?
cat "$out"
showlogs() {
	for f in bridged.log kandysim.log; do
		echo "--- $f" >&2
		tail -n 60 "$d/run/$f" >&2
	done
}
[ $rc -eq 0 ] || { showlogs; fail "demo.sh exited $rc"; }

# The summary: each call's heading, then its lines up to the next heading.
section() {
	awk -v h="$1" 'index($0, h) == 1 { on = 1; print; next }
	    /^(outbound|inbound) call: / { on = 0 } on' "$out"
}
out_call=$(section "outbound call: 3cx (the PBX) -> 0501234567")
in_call=$(section "inbound call: +97141234567 -> +97143001234")
[ -n "$out_call" ] || fail "no outbound call in the summary"
[ -n "$in_call" ] || fail "no inbound call in the summary"
for c in "$out_call" "$in_call"; do
	printf '%s\n' "$c" | grep -q '^  audio      ok: .*; Kandy.s side heard the PBX.s 1000 Hz$' ||
	    fail "audio not checked both ways: $c"
	printf '%s\n' "$c" | grep -Eq '^  to Kandy   PBX sent [1-9]' ||
	    fail "no packet counts toward Kandy: $c"
	printf '%s\n' "$c" | grep -Eq '^  to PBX     .*PBX got [1-9]' ||
	    fail "no packet counts toward the PBX: $c"
done
printf '%s\n' "$out_call" | grep -q 'the 1000 Hz sent came back' ||
    fail "outbound echo not heard"
printf '%s\n' "$in_call" | grep -q "the PBX heard the caller's 697 Hz" ||
    fail "inbound tone not heard"
ok "both calls listed, audio both ways"

# bridgectl show status after the calls: its three children running.
after=$(sed -n '/^The bridge after the calls:/,/^Everything stopped/p' "$out")
for p in sipd kandyd mediad; do
	printf '%s\n' "$after" | grep -Eq "^  $p +[0-9]+ +running" ||
	    fail "show status after the calls lacks $p running"
done
grep -q '^== demo done$' "$out" || fail "no closing line"
ok "bridgectl show status printed"

# Everything stopped: nothing listens on the demo's ports any more.
gone() {
	! ss -Hlntu | awk '{ print $5 }' |
	    grep -Eq ":($KB_SIP_PORT|$KB_KANDY_PORT|$KB_TURN_PORT|$KB_TURNS_PORT)\$"
}
wait_for 10 gone || fail "still listening after the demo: $(ss -Hlntup |
    grep -E ":($KB_SIP_PORT|$KB_KANDY_PORT|$KB_TURN_PORT|$KB_TURNS_PORT) ")"
[ ! -e "$KB_SOCKET" ] || ! "$BUILD/bridgectl/bridgectl" -s "$KB_SOCKET" \
    show status >/dev/null 2>&1 || fail "bridged still answers"
ok "everything stopped"
