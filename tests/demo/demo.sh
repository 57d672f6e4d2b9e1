#!/bin/sh
# The demonstration behind `./quickstart demo`: bring the demo environment
# up on loopback, show what runs, and stop it again.  Usage: demo.sh BUILD
set -eu
BUILD=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
RUN=$(mktemp -d /tmp/kandy-bridge-demo.XXXXXX)
trap 'sh "$top/tests/demo/down.sh" "$RUN" >/dev/null; rm -rf "$RUN"' EXIT

sh "$top/tests/demo/up.sh" "$BUILD" "$RUN" >/dev/null
sock=$(awk '/^control socket/ { gsub(/"/, "", $3); print $3 }' "$RUN/bridged.conf")
echo "== kandy-bridge demo"
echo "bridged started with etc/demo.conf; its processes:"
echo
"$BUILD/bridgectl/bridgectl" -s "$sock" show status
echo
echo "Each child runs as _bridged, chrooted, under seccomp:"
for p in sipd kandyd mediad; do
	pid=$("$BUILD/bridgectl/bridgectl" -s "$sock" show status | awk -v p=$p '$1 == p { print $2 }')
	printf '  %-7s pid %-7s root %-11s %s\n' "$p" "$pid" \
	    "$(readlink /proc/$pid/root)" \
	    "$(grep -E '^Seccomp:' /proc/$pid/status | tr -s '\t ' ' ')"
done
echo
ctl() { "$BUILD/bridgectl/bridgectl" -s "$sock" "$@"; }
ready() { ctl show kandy | grep -q '^state  *ready'; }
i=0
while ! ready && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
echo "kandyd signed in to the Kandy emulator (OAuth, notification channel, subscription):"
ctl show kandy | sed 's/^/  /'
echo
echo "A PBX registers to the trunk as 3CX does (digest checked by the parent):"
/usr/bin/python3 - "$top" <<'PY'
import sys
sys.path[:0] = [sys.argv[1] + "/tests/e2e", sys.argv[1] + "/tests/sip"]
from pbx import Pbx
from siptest import status
r = Pbx(5060, password="3cx-demo").register()
print("  REGISTER -> %d" % status(r))
PY
ctl show registrations | sed 's/^/  /'
echo
echo "The PBX dials 0501234567; the bridge calls +971501234567 at Kandy,"
echo "whose emulated number answers and echoes the audio back:"
/usr/bin/python3 - "$top" "$BUILD" "$sock" <<'PY'
import re, subprocess, sys, time
sys.path[:0] = [sys.argv[1] + "/tests/e2e", sys.argv[1] + "/tests/sip"]
from pbx import Pbx, Rtp, goertzel, sdp_media
from siptest import status
ctl = lambda *a: subprocess.run([sys.argv[2] + "/bridgectl/bridgectl", "-s",
                                 sys.argv[3]] + list(a), capture_output=True,
                                text=True).stdout
pbx = Pbx(5060, password="3cx-demo")
pbx.register()
rtp = Rtp()
t0 = time.time()
r, seen = pbx.invite("0501234567", rtp)
if r is None or status(r) != 200:
    print("  the call failed: %s" % (r and r.split("\r\n")[0]))
    sys.exit(1)
setup = time.time() - t0
m = sdp_media(r)
pbx.ack()
rtp.remote = (m[0], m[1])
print("  answered after %.2f s (saw %s)" % (setup, " ".join(map(str, seen))))
print("  " + ctl("show", "calls").replace("\n", "\n  ").rstrip())
rtp.send_tone(1000, 2.0)
time.sleep(0.5)
got = rtp.samples()
p1000, p700 = goertzel(got, 1000), goertzel(got, 700)
print("  sent 2 s of a 1000 Hz tone; %d samples came back, 1000 Hz power "
      "%.3f, 700 Hz %.5f: %s" % (len(got), p1000, p700,
      "the tone is intact" if p1000 > 0.01 and p1000 > 20 * p700 else
      "NOT the tone"))
r = pbx.bye()
print("  BYE -> %d" % status(r))
rtp.close()
PY
echo
echo "Still to come in the demo: an inbound call (see README.md, Status)."
echo "== demo done"
