#!/bin/sh
# The shipped example configurations must parse.  They are installed with
# mode 0644 in the source tree, so check copies with mode 0600.
# Usage: examples.sh bridged etcdir [bridged.conf.5]

bridged=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") || exit 1
etc=$2
man=$3
fail=0

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

bad() {
	echo "FAIL $*"
	fail=1
}

# expect FILE LINE...: each line must appear in the printed configuration.
expect() {
	f=$1
	shift
	for line in "$@"; do
		grep -qxF "$line" "$tmp/$f.out" || bad "$f: missing \"$line\""
	done
}

for f in bridged.conf demo.conf; do
	cp "$etc/$f" "$tmp/$f" && chmod 600 "$tmp/$f" || exit 1
	if ! "$bridged" -n -f "$tmp/$f" >"$tmp/$f.out" 2>"$tmp/$f.err"; then
		cat "$tmp/$f.err"
		bad "$f does not parse"
		continue
	fi
	if grep -qi 'password "[^*]\|secret "[^*]\|ha1[^ ]* "[^*]' \
	    "$tmp/$f.out"; then
		bad "$f: a secret was printed"
	fi
	echo "ok $f parses"
done

expect demo.conf \
	'control socket "/run/bridged.sock"' \
	'	listen on 127.0.0.1 port 5060 transport udp' \
	'	listen on 127.0.0.1 port 5060 transport tcp' \
	'	trunk user "3cx" password "********"' \
	'	allow from 127.0.0.0/8' \
	'	url "https://127.0.0.1:8443"' \
	'	rtp ports 20000-20999'
grep -q 3cx-demo "$tmp/demo.conf.out" && bad "demo.conf: password printed"

expect bridged.conf \
	'	url "https://nvs-cpaas-oauth.kandy.io"' \
	'	relay only no'
grep -q '^	turn "turns:' "$tmp/bridged.conf.out" ||
    bad "bridged.conf: no TURN over TLS server"
grep -q '^	stun "stun:' "$tmp/bridged.conf.out" ||
    bad "bridged.conf: no STUN server"

# The first example of bridged.conf(5) is a whole configuration.
if [ -n "$man" ]; then
	sed -n '/^\.Sh EXAMPLES/,/^\.Sh/p' "$man" |
	    sed -n '/^\.Bd -literal/,/^\.Ed/{/^\.Bd/d;/^\.Ed/q;p;}' |
	    sed 's/\\e/\\/g' >"$tmp/man.conf"
	chmod 600 "$tmp/man.conf"
	if ! grep -q '^sip {' "$tmp/man.conf"; then
		bad "no example found in $man"
	elif ! "$bridged" -n -f "$tmp/man.conf" >"$tmp/man.out" 2>&1; then
		cat "$tmp/man.out"
		bad "the example of bridged.conf(5) does not parse"
	else
		echo "ok bridged.conf(5) example parses"
	fi
fi

exit $fail
