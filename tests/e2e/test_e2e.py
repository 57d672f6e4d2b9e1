#!/usr/bin/python3
"""End-to-end calls through the whole bridge: this script plays 3CX (SIP
and RTP), bridged runs its three sandboxed children, kandysim plays Kandy
with real WebRTC media.  What a user would check: the SIP responses, the
audio that comes back (decoded and measured), the call listed and gone in
bridgectl.

usage: test_e2e.py BUILD [test ...]"""

import os
import re
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from bridge import Bridge                           # noqa: E402
from pbx import Pbx, Rtp, goertzel, sdp_media       # noqa: E402
from siptest import status                          # noqa: E402


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def kandy_ready(b):
    rc, out = b.ctl("show", "kandy")
    return rc == 0 and re.search(r"^state +ready", out, re.M) is not None


def test_outbound_echo(b):
    """0501234567 from 3CX reaches +971501234567 at Kandy, which echoes:
    the tone we send comes back as the same tone."""
    st, r = b.sim.http("POST", "/_sim/rules", {
        "match": "9715*", "action": "answer", "answer_after_ms": 300,
        "media": "echo"})
    check(st in (200, 201), "kandysim rule: %s %r" % (st, r))
    pbx = Pbx(b.sip_port)
    r = pbx.register()
    check(status(r) == 200, "REGISTER: %r" % r)
    rtp = Rtp()
    try:
        r, seen = pbx.invite("0501234567", rtp)
        check(r is not None, "no final response to INVITE (saw %r)" % seen)
        check(status(r) == 200, "INVITE answered %d: %s" % (status(r),
              r.split("\r\n")[0]))
        check(100 in seen, "no 100 Trying")
        check(180 in seen, "no 180 Ringing before the answer")
        media = sdp_media(r)
        check(media is not None, "no SDP in 200: %r" % r)
        pbx.ack()
        rtp.remote = (media[0], media[1])
        rc, calls = b.ctl("show", "calls")
        check(rc == 0 and re.search(r"^[0-9a-f]{16} +out +3cx +0501234567 "
                                    r"+ESTABLISHED ", calls, re.M),
              "call not listed as established:\n" + calls)
        rtp.send_tone(1000, 3.0, pt=media[2][0] if media[2][0] in (0, 8)
                      else 0)
        time.sleep(0.5)
        got = rtp.samples()
        check(len(got) >= 8000, "only %d samples came back" % len(got))
        p1000, p700 = goertzel(got, 1000), goertzel(got, 700)
        print("    echo: %d samples back, 1000 Hz power %.4f, 700 Hz %.6f" %
              (len(got), p1000, p700))
        check(p1000 > 0.01 and p1000 > 20 * p700,
              "echo is not the 1000 Hz tone (power %.4f, at 700 Hz %.4f)" %
              (p1000, p700))
        r = pbx.bye()
        check(status(r) == 200, "BYE: %r" % r)
        b.wait_for("call gone", lambda: "0501234567" not in
                   b.ctl("show", "calls")[1], 5)
    finally:
        rtp.close()


TESTS = [test_outbound_echo]


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root")
        return 77
    build = sys.argv[1]
    names = sys.argv[2:]
    passed = failed = 0
    for t in TESTS:
        if names and t.__name__ not in names:
            continue
        b = Bridge(build)
        try:
            b.wait_for("children running", b.running, 15)
            b.wait_for("kandyd connected to Kandy", lambda: kandy_ready(b),
                       20)
            t(b)
            print("ok  %s" % t.__name__)
            passed += 1
        except Exception as e:
            failed += 1
            print("FAIL %s: %s" % (t.__name__, e))
            if not isinstance(e, Fail):
                traceback.print_exc()
            with open(b.log, errors="replace") as f:
                print("--- bridged log (tail):\n" + "".join(
                    f.readlines()[-40:]))
        finally:
            b.stop()
            if not failed:
                b.cleanup()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
