#!/bin/sh
# Configuration regress: bridged -n -f NN.conf must print NN.ok exactly
# (stdout, then stderr).  A file that parses must exit 0, print nothing
# secret, and print a configuration that parses back to the same output.
# A file that fails must exit 1 and print nothing on stdout.
# Usage: run.sh bridged srcdir    (UPDATE=1 rewrites the .ok files)

bridged=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") || exit 1
srcdir=$(cd "$2" && pwd) || exit 1
fail=0

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cp "$srcdir"/*.conf "$srcdir"/*.inc "$tmp"/ || exit 1
chmod 600 "$tmp"/*
cd "$tmp" || exit 1

bad() {
	echo "FAIL $*"
	fail=1
}

for conf in [0-9][0-9].conf; do
	n=${conf%.conf}
	"$bridged" -n -f "$conf" >"$n.out" 2>"$n.err"
	rc=$?
	cat "$n.out" "$n.err" >"$n.got"
	if [ -n "$UPDATE" ]; then
		cp "$n.got" "$srcdir/$n.ok"
	fi
	if ! diff -u "$srcdir/$n.ok" "$n.got"; then
		bad "$conf: output differs from $n.ok"
		continue
	fi
	if [ -s "$n.out" ]; then
		[ $rc -eq 0 ] || bad "$conf: exit $rc with a configuration printed"
		if grep -q SECRET "$n.out"; then
			bad "$conf: a secret was printed"
		fi
		# Hashes print as "********", which is not valid hex.
		grep -q ha1 "$n.out" && { echo "ok $conf"; continue; }
		cp "$n.out" rt.conf
		chmod 600 rt.conf
		if ! "$bridged" -n -f rt.conf >rt.out 2>/dev/null ||
		    ! cmp -s "$n.out" rt.out; then
			bad "$conf: printed configuration does not parse back"
			continue
		fi
	else
		[ $rc -eq 1 ] || bad "$conf: exit $rc, expected 1"
		grep -q "^bridged: $conf:" "$n.err" ||
		    bad "$conf: no 'file:line: message' error"
	fi
	echo "ok $conf"
done

# File secrecy: readable by others, group writable, or a foreign owner.
cp 01.conf perm.conf
for mode in 604 620 602; do
	chmod $mode perm.conf
	if "$bridged" -n -f perm.conf >perm.out 2>perm.err; then
		bad "mode $mode accepted"
	elif ! grep -q "^bridged: perm.conf: bad permissions 0$mode" perm.err; then
		bad "mode $mode: unexpected message: $(cat perm.err)"
	else
		echo "ok mode $mode refused"
	fi
done
chmod 640 perm.conf
"$bridged" -n -f perm.conf >/dev/null 2>&1 || bad "mode 640 refused"
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	chmod 600 perm.conf
	chown nobody perm.conf
	if "$bridged" -n -f perm.conf >/dev/null 2>perm.err; then
		bad "file owned by nobody accepted"
	elif ! grep -q "owner is neither root nor the running user" perm.err
	then
		bad "foreign owner: unexpected message: $(cat perm.err)"
	else
		echo "ok foreign owner refused"
	fi
fi

# An included file is held to the same rule.
chmod 644 09.inc
if "$bridged" -n -f 09.conf >/dev/null 2>perm.err; then
	bad "world-readable include accepted"
elif ! grep -q "^bridged: 09.conf:[0-9]*: include 09.inc: bad permissions" \
    perm.err; then
	bad "include secrecy: unexpected message: $(cat perm.err)"
else
	echo "ok world-readable include refused"
fi
chmod 600 09.inc

# A missing file, and -D overriding a macro of the file.
if "$bridged" -n -f missing.conf >/dev/null 2>perm.err ||
    ! grep -q "^bridged: missing.conf: No such file" perm.err; then
	bad "missing file"
else
	echo "ok missing file"
fi
"$bridged" -n -D maxcalls=42 -f 08.conf >d.out 2>/dev/null
if grep -q "max calls 42" d.out; then
	echo "ok -D overrides a macro"
else
	bad "-D maxcalls=42 not applied"
fi

exit $fail
