#!/bin/sh
# A child that sends the parent a malformed frame is logged once, ended
# and restarted; the parent and the other children carry on.
set -u
BUILD=$(cd "$1" && pwd)
BAD=$2
. "$(dirname "$0")/../lib/common.sh"
need_root

T=$(mktemp -d /tmp/kb-badchild.XXXXXX)
LOG=$T/bridged.log
SOCK=$T/bridged.sock
trap 'kill $BPID 2>/dev/null; sleep 0.3; rm -rf "$T"' EXIT
make_libexec "$T/libexec"
ln -sf "$BAD" "$T/libexec/sipd"
cat >"$T/bridged.conf" <<CONF
control socket "$SOCK"
sip {
	trunk user "3cx" password "pw"
}
kandy {
	url "https://127.0.0.1:18443"
	client id "PRIV-test" secret "s"
}
CONF
chmod 600 "$T/bridged.conf"
KB_LIBEXECDIR=$T/libexec "$BUILD/bridged/bridged" -d -f "$T/bridged.conf" >"$LOG" 2>&1 &
BPID=$!
ctl() { "$BUILD/bridgectl/bridgectl" -s "$SOCK" "$@"; }
field() { ctl show status | awk -v p="$1" -v f="$2" '$1 == p { print $f }'; }
up() { [ "$(field kandyd 3)" = running ] && [ "$(field mediad 3)" = running ]; }
wait_for 10 up || fail "kandyd and mediad not running"
k=$(field kandyd 2) m=$(field mediad 2)
twice() { [ "$(grep -c 'ipc from sipd: bad frame: unknown message type' "$LOG")" -ge 2 ]; }
wait_for 10 twice || fail "bad frames from sipd not logged, or sipd not restarted"
kill -0 "$BPID" || fail "the parent died"
[ "$(field kandyd 2)" = "$k" ] && [ "$(field mediad 2)" = "$m" ] ||
    fail "other children were restarted"
[ "$(field sipd 5)" -ge 1 ] || fail "sipd restart not counted"
grep -q 'restarting sipd in 500 ms' "$LOG" || fail "no backoff between restarts"
ok "malformed frames from sipd: logged, sipd restarted with backoff, others untouched"

# A child that sends a peer a malformed frame: the peer drops that channel,
# the parent hands the pair a new one, nobody is restarted.
kill "$BPID"
wait_for 3 sh -c "! kill -0 $BPID 2>/dev/null" || fail "bridged did not stop"
: >"$LOG"
BADCHILD_MODE=peer KB_LIBEXECDIR=$T/libexec "$BUILD/bridged/bridged" -d -f "$T/bridged.conf" >"$LOG" 2>&1 &
BPID=$!
up3() { up && [ "$(field sipd 3)" = running ]; }
wait_for 10 up3 || fail "children not running"
k=$(field kandyd 2) s=$(field sipd 2)
relinked() { ctl show status | awk '$1 == "kandyd" && $6 ~ /sipd/ { f = 1 } END { exit !f }'; }
wait_for 10 grep -q 'kandyd: ipc from sipd: bad frame' "$LOG" || fail "kandyd did not refuse the frame"
wait_for 10 relinked || { ctl show status; fail "kandyd and sipd not relinked"; }
grep -q 'relinking kandyd and sipd' "$LOG" || fail "relink not logged"
[ "$(field kandyd 2)" = "$k" ] && [ "$(field sipd 2)" = "$s" ] ||
    fail "a child was restarted"
ok "malformed frame between children: channel dropped, pair relinked, nobody restarted"
