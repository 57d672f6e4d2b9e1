#!/bin/sh
# Privilege separation, sandboxing and supervision of the children, as an
# administrator would check them: users, chroots, seccomp, restarts after
# a crash or a sandbox violation, reloads good and bad, and shutdown.
set -u
BUILD=$(cd "$1" && pwd)
. "$(dirname "$0")/../lib/common.sh"
need_root

T=$(mktemp -d /tmp/kb-privsep.XXXXXX)
LOG=$T/bridged.log
SOCK=$T/bridged.sock
CONF=$T/bridged.conf
SIPPORT=$(free_port)
trap 'kill $BPID 2>/dev/null; sleep 0.3; kill -9 $BPID 2>/dev/null; rm -rf "$T"' EXIT
make_libexec "$T/libexec"

cat >"$CONF" <<CONF
user "_bridged"
chroot "/var/empty"
control socket "$SOCK"
log verbose
sip {
	listen on 127.0.0.1 port $SIPPORT transport udp
	trunk user "3cx" password "secret-test-pw"
	allow from 127.0.0.0/8
}
kandy {
	url "https://localhost:18443"
	client id "PRIV-test" secret "kandy-test-secret"
}
CONF
chmod 600 "$CONF"

KB_LIBEXECDIR=$T/libexec "$BUILD/bridged/bridged" -d -f "$CONF" >"$LOG" 2>&1 &
BPID=$!
ctl() { "$BUILD/bridgectl/bridgectl" -s "$SOCK" "$@"; }
pid_of() { ctl show status | awk -v p="$1" '$1 == p { print $2 }'; }
state_of() { ctl show status | awk -v p="$1" '$1 == p { print $3 }'; }
restarts_of() { ctl show status | awk -v p="$1" '$1 == p { print $5 }'; }
all_running() {
	for p in sipd kandyd mediad; do
		[ "$(state_of $p)" = running ] || return 1
	done
}

wait_for 10 all_running || fail "children not running"
ok "parent and three children running"

# Every pair of children has its own channel; each side proved it works.
links_of() { ctl show status | awk -v p="$1" '$1 == p { print $6 }'; }
all_linked() {
	[ "$(links_of sipd)" = kandyd,mediad ] &&
	[ "$(links_of kandyd)" = sipd,mediad ] &&
	[ "$(links_of mediad)" = sipd,kandyd ]
}
wait_for 5 all_linked || { ctl show status; fail "children not linked pairwise"; }
ok "sipd, kandyd and mediad linked pairwise"
ctl show status

uid=$(id -u _bridged)
for p in sipd kandyd mediad; do
	pid=$(pid_of $p)
	st=/proc/$pid/status
	[ -r "$st" ] || fail "$p: no process $pid"
	awk '/^Uid:/ { exit !($2 == u && $3 == u && $4 == u && $5 == u) }' u="$uid" "$st" ||
	    fail "$p runs with uids $(grep ^Uid: $st)"
	awk '/^Gid:/ { exit ($2 == 0 || $3 == 0 || $4 == 0) }' "$st" ||
	    fail "$p kept gid 0"
	grep -q '^Seccomp:[[:space:]]*2' "$st" || fail "$p: seccomp filter not active"
	grep -q '^NoNewPrivs:[[:space:]]*1' "$st" || fail "$p: NoNewPrivs not set"
	root=$(readlink /proc/$pid/root)
	[ "$root" = /var/empty ] || fail "$p: root is $root, not /var/empty"
	ok "$p (pid $pid): uid _bridged, chroot /var/empty, seccomp 2, no_new_privs"
done
pp=$(pid_of parent)
[ "$pp" = "$BPID" ] || fail "parent pid $pp, expected $BPID"
for pid in $pp $(pid_of sipd) $(pid_of kandyd) $(pid_of mediad); do
	grep -q '^Max core file size[[:space:]]*0[[:space:]]*0' /proc/$pid/limits ||
	    fail "pid $pid may dump core"
done
ok "no process may leave a core file"

# kandyd is chrooted without a resolver: the parent resolved for it.
wait_for 5 grep -q 'kandyd: kandy host localhost has address \(127.0.0.1\|::1\)' "$LOG" ||
    fail "the parent did not resolve the Kandy host for kandyd"
ok "kandy host resolved through the parent"

# Requests relayed to a child and its answers relayed back.
out=$(ctl show kandy) || fail "show kandy"
echo "$out" | grep -q '^url  *https://localhost:18443$' || fail "show kandy: $out"
echo "$out" | grep -q '^account  *PRIV-test$' || fail "show kandy: $out"
echo "$out" | grep -q 'secret' && fail "show kandy shows a secret"
ok "show kandy answered by kandyd through the parent"
ctl show calls >/dev/null || fail "show calls"
out=$(ctl hangup 1234abcd 2>&1) && fail "hangup of an unknown call succeeded"
[ "$out" = "no such call" ] || fail "hangup said: $out"
ok "show calls and hangup answered by sipd through the parent"

# The trunk password is the parent's alone: no child's memory or log has it.
grep -q 'secret-test-pw\|kandy-test-secret' "$LOG" && fail "a secret is in the log"
ok "secrets not in the log"

# A crash: kill -9 sipd, expect a new sipd within 5 s and restarts=1.
old=$(pid_of sipd)
kill -9 "$old"
# One snapshot of status: running with a pid other than the old one.
restarted_p() {
	ctl show status | awk -v p="$1" -v old="$2" \
	    '$1 == p && $3 == "running" && $2 != old && $2 != 0 { f = 1 } END { exit !f }'
}
restarted() { restarted_p sipd "$old"; }
wait_for 5 restarted || fail "sipd not restarted within 5 s"
[ "$(restarts_of sipd)" = 1 ] || fail "sipd restart count $(restarts_of sipd), expected 1"
ctl show status | grep '^sipd' | grep -q 'signal 9' || fail "last exit not shown"
grep -q 'sipd (pid '"$old"') killed by signal 9' "$LOG" || fail "death not logged"
ok "sipd killed with signal 9 was restarted (pid $old -> $(pid_of sipd))"
wait_for 5 all_linked || { ctl show status; fail "restarted sipd not linked again"; }
ok "the restarted sipd is linked to kandyd and mediad again"

# A sandbox violation: kandyd attempts a forbidden call and must die of it.
old=$(pid_of kandyd)
ctl test sandbox kandyd >/dev/null || fail "bridgectl test sandbox"
restarted_k() { restarted_p kandyd "$old"; }
wait_for 5 restarted_k || fail "kandyd not restarted after the sandbox test"
grep -q "kandyd (pid $old) killed by signal 31" "$LOG" ||
    fail "kandyd was not killed by SIGSYS"
grep -q "forbidden call returned" "$LOG" && fail "forbidden call returned in a child"
ok "kandyd killed by SIGSYS on a forbidden system call, and restarted"
for p in mediad sipd; do
	old=$(pid_of $p)
	ctl test sandbox $p >/dev/null
	rp() { restarted_p $p "$old"; }
	wait_for 5 rp || fail "$p not restarted after the sandbox test"
	grep -q "$p (pid $old) killed by signal 31" "$LOG" || fail "$p not killed by SIGSYS"
done
ok "mediad and sipd sandboxes enforce too"

# A broken configuration on SIGHUP keeps the old one running.
pids_before="$(pid_of sipd) $(pid_of kandyd) $(pid_of mediad)"
cp "$CONF" "$T/good.conf"
echo 'this is not a valid line' >>"$CONF"
kill -HUP "$BPID"
wait_for 5 grep -q 'reload failed, old configuration kept' "$LOG" ||
    fail "bad reload not reported"
grep -q "$CONF:[0-9]*:" "$LOG" || fail "error without file:line"
kill -0 "$BPID" || fail "parent died on a bad reload"
all_running || fail "children not running after bad reload"
[ "$pids_before" = "$(pid_of sipd) $(pid_of kandyd) $(pid_of mediad)" ] ||
    fail "children restarted by a bad reload"
ok "SIGHUP with a broken config kept the running one"
out=$(ctl reload 2>&1) && fail "bridgectl reload of a bad config succeeded: $out"
ok "bridgectl reload reports the error: $out"
cp "$T/good.conf" "$CONF"
out=$(ctl reload) || fail "reload of a good config failed: $out"
echo "$out" | grep -q 'configuration reloaded' || fail "reload said: $out"
ok "bridgectl reload: $out"

out=$(ctl log brief) && [ "$out" = "logging brief" ] || fail "log brief: $out"
out=$(ctl log verbose) && [ "$out" = "logging verbose" ] || fail "log verbose: $out"
ok "log level switched both ways"
ctl sh st | grep -q '^parent' || fail "prefix matching (sh st)"
ctl show nonsense 2>&1 | grep -q 'valid commands' || fail "no usage on a bad command"
ok "prefix matching and help on bad commands"

# SIGTERM ends everything within 2 s.
cpids="$(pid_of sipd) $(pid_of kandyd) $(pid_of mediad)"
kill -TERM "$BPID"
gone() {
	kill -0 "$BPID" 2>/dev/null && return 1
	for p in $cpids; do kill -0 "$p" 2>/dev/null && return 1; done
	return 0
}
wait_for 3 gone || fail "processes left after SIGTERM"
[ -e "$SOCK" ] && fail "control socket left behind"
ok "SIGTERM stopped the parent and all children"
