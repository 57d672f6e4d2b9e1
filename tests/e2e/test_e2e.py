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
from pbx import Pbx, Rtp, goertzel, sdp_media, sdp_offer  # noqa: E402
from siptest import header, reply, status           # noqa: E402


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


def establish(b, number, rule):
    """A registered PBX with an answered call to number: (pbx, rtp)."""
    st, r = b.sim.http("POST", "/_sim/rules", rule)
    check(st in (200, 201), "kandysim rule: %s %r" % (st, r))
    pbx = Pbx(b.sip_port)
    r = pbx.register()
    check(status(r) == 200, "REGISTER: %r" % r)
    rtp = Rtp()
    r, seen = pbx.invite(number, rtp)
    check(r is not None and status(r) == 200, "INVITE: %r (saw %r)" %
          (r and r.split("\r\n")[0], seen))
    media = sdp_media(r)
    check(media is not None, "no SDP in 200")
    pbx.ack()
    rtp.remote = (media[0], media[1])
    return pbx, rtp


def echo_ok(rtp, secs=2.0):
    """Sends a 1000 Hz tone and says whether it came back as itself."""
    rtp.received.clear()
    rtp.send_tone(1000, secs)
    time.sleep(0.5)
    got = rtp.samples()
    p1000, p700 = goertzel(got, 1000), goertzel(got, 700)
    print("    echo: %d samples back, 1000 Hz power %.4f" % (len(got), p1000))
    return len(got) >= 8000 * secs / 2 and p1000 > 0.01 and p1000 > 20 * p700


def test_outbound_busy(b):
    """A busy number: 3CX gets 486 (so it does not fail over) and no call
    is left."""
    st, r = b.sim.http("POST", "/_sim/rules", {
        "match": "971500000486", "action": "reject", "cause": 486})
    check(st in (200, 201), "kandysim rule: %s %r" % (st, r))
    pbx = Pbx(b.sip_port)
    check(status(pbx.register()) == 200, "REGISTER failed")
    rtp = Rtp()
    try:
        r, seen = pbx.invite("0500000486", rtp)
        check(r is not None and status(r) == 486, "busy answered %r" %
              (r and r.split("\r\n")[0]))
        pbx.ack()
        b.wait_for("no call left", lambda: "0500000486" not in
                   b.ctl("show", "calls")[1], 5)
    finally:
        rtp.close()


def test_hangup_by_kandy(b):
    """The far end hangs up: 3CX gets a BYE and the call is gone."""
    pbx, rtp = establish(b, "0501112222", {
        "match": "971501112222", "action": "answer", "answer_after_ms": 200,
        "hangup_after_ms": 2500, "media": "echo"})
    try:
        check(echo_ok(rtp, 1.0), "no echo before the hang-up")
        bye = pbx.c.recv(5)
        while bye and not bye.startswith("BYE "):
            bye = pbx.c.recv(5)
        check(bye is not None, "no BYE from the bridge")
        pbx.c.send(reply(bye, 200, "OK"))
        b.wait_for("call gone", lambda: "0501112222" not in
                   b.ctl("show", "calls")[1], 5)
    finally:
        rtp.close()


def test_hangup_by_bridgectl(b):
    """bridgectl hangup: 3CX gets a BYE, Kandy's session ends."""
    pbx, rtp = establish(b, "0501113333", {
        "match": "971501113333", "action": "answer", "answer_after_ms": 200,
        "media": "echo"})
    try:
        rc, calls = b.ctl("show", "calls")
        m = re.search(r"^([0-9a-f]{16}) +out .*0501113333", calls, re.M)
        check(m, "call not listed:\n" + calls)
        rc, out = b.ctl("hangup", m.group(1))
        check(rc == 0, "bridgectl hangup: " + out)
        bye = pbx.c.recv(5)
        while bye and not bye.startswith("BYE "):
            bye = pbx.c.recv(5)
        check(bye is not None, "no BYE after bridgectl hangup")
        pbx.c.send(reply(bye, 200, "OK"))
        b.wait_for("call gone", lambda: "0501113333" not in
                   b.ctl("show", "calls")[1], 5)

        def ended():
            st, r = b.sim.http("GET", "/_sim/calls")
            return st == 200 and all(c.get("state") in ("ended", "closed")
                                     for c in r.get("calls", []))
        b.wait_for("Kandy's session ended", ended, 5)
    finally:
        rtp.close()


def test_inbound_tone(b):
    """A UAE caller reaches the bridge's Kandy user: 3CX gets an INVITE at
    its registered contact, answers, and hears the caller's tone; the
    caller hears 3CX's."""
    pbx = Pbx(b.sip_port)
    check(status(pbx.register()) == 200, "REGISTER failed")
    rtp = Rtp()
    try:
        st, r = b.sim.http("POST", "/_sim/incoming", {
            "from": "+97141234567", "to": "tel:+97143001234", "user": "bridge",
            "media": "tone:697,expect=1000"})
        check(st == 201, "kandysim incoming: %s %r" % (st, r))
        r0 = r
        inv = pbx.c.recv(10)
        while inv and not inv.startswith("INVITE "):
            inv = pbx.c.recv(5)
        check(inv is not None, "no INVITE toward 3CX")
        check(";rinstance=e2e0c0ffee" in inv.split("\r\n")[0],
              "INVITE not to the registered contact: " +
              inv.split("\r\n")[0])
        check("97141234567" in "".join(header(inv, "From")),
              "caller not in From: %r" % header(inv, "From"))
        offer = sdp_media(inv)
        check(offer is not None, "no SDP offer in the INVITE")
        contact = ["Contact: <sip:3cx@127.0.0.1:%d>" % pbx.c.lport]
        pbx.c.send(reply(inv, 180, "Ringing", "pbx-e2e", contact))
        pbx.c.send(reply(inv, 200, "OK", "pbx-e2e", contact + [
            "Content-Type: application/sdp"], sdp_offer(rtp.port,
                                                       "%d 101" %
                                                       offer[2][0])))
        ack = pbx.c.recv(5)
        check(ack is not None and ack.startswith("ACK "), "no ACK: %r" % ack)
        rc, calls = b.ctl("show", "calls")
        check(re.search(r"^[0-9a-f]{16} +in .*97141234567.* ESTABLISHED ",
                        calls, re.M), "inbound call not listed:\n" + calls)
        rtp.remote = (offer[0], offer[1])
        rtp.send_tone(1000, 3.0, pt=offer[2][0])
        time.sleep(0.5)
        got = rtp.samples()
        p697, p1000 = goertzel(got, 697), goertzel(got, 1000)
        print("    caller's tone: %d samples, 697 Hz power %.4f" %
              (len(got), p697))
        check(len(got) >= 8000 and p697 > 0.01 and p697 > 20 * p1000,
              "3CX did not hear the caller's 697 Hz")
        st, r = b.sim.http("GET", "/_sim/calls")
        matched = [c for c in r.get("calls", [])
                   if c.get("media", {}).get("matched")]
        check(matched, "Kandy's side did not hear 3CX's 1000 Hz: %r" % r)
        # The caller hangs up: 3CX gets the BYE.
        st, _ = b.sim.http("DELETE", "/_sim/calls/%s" % r0["call_id"])
        check(st == 204, "kandysim hang-up: %s" % st)
        bye = pbx.c.recv(5)
        while bye and not bye.startswith("BYE "):
            bye = pbx.c.recv(5)
        check(bye is not None, "no BYE after the caller hung up")
        pbx.c.send(reply(bye, 200, "OK"))
        b.wait_for("call gone", lambda: "97141234567" not in
                   b.ctl("show", "calls")[1], 5)
    finally:
        rtp.close()


def test_kandyd_restart(b):
    """kandyd killed mid-call: it is restarted and the audio goes on."""
    pbx, rtp = establish(b, "0501114444", {
        "match": "971501114444", "action": "answer", "answer_after_ms": 200,
        "media": "echo"})
    try:
        check(echo_ok(rtp, 1.0), "no echo before the kill")
        rc, st = b.ctl("show", "status")
        pid = re.search(r"^kandyd +(\d+) ", st, re.M).group(1)
        os.kill(int(pid), 9)
        check(echo_ok(rtp, 2.0), "audio stopped when kandyd died")
        b.wait_for("kandyd back", lambda: re.search(
            r"^kandyd +(\d+) running", b.ctl("show", "status")[1], re.M) and
            not re.search(r"^kandyd +%s " % pid,
                          b.ctl("show", "status")[1], re.M), 10)
        r = pbx.bye()
        check(status(r) == 200, "BYE after the restart: %r" % r)
    finally:
        rtp.close()


TESTS = [test_outbound_echo, test_outbound_busy, test_hangup_by_kandy,
         test_hangup_by_bridgectl, test_inbound_tone, test_kandyd_restart]


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
