#!/bin/sh
# Each child alone: takes its configuration, and ends in order (logged,
# exit 1) on every kind of bad frame from the parent's side.
set -u
DRIVE=$1
BUILD=$(cd "$2" && pwd)
. "$(dirname "$0")/../lib/common.sh"
need_root
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
for p in sipd kandyd mediad; do
	for mode in ack garbage badpayload misdirected truncated; do
		"$DRIVE" "$BUILD/$p/$p" $mode >"$LOG" 2>&1 ||
		    fail "$p $mode: $(cat "$LOG")"
		case $mode in
		garbage|badpayload|misdirected)
			grep -q "$p: ipc from parent: bad frame" "$LOG" ||
			    fail "$p $mode: bad frame not logged"
			[ "$(grep -c 'bad frame' "$LOG")" -eq 1 ] ||
			    fail "$p $mode: logged more than once";;
		esac
	done
	ok "$p: configuration acknowledged; garbage, bad payload, misdirected and truncated frames end it in order"
done
