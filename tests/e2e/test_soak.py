#!/usr/bin/env python3
"""Soak cases: calls that last longer than CI can wait for.

coturn grants allocations of 600 s whatever the REST credentials' expiry,
and libnice asks for no lifetime and refreshes 60 s before the end, so a
relayed call meets its first TURN refresh after 540 s.  These cases hold
relayed calls past that: with credentials that are still valid, and with
credentials that expired long before (Kandy's renewed ones reach mediad,
but libnice refreshes a running call's allocation with those it gathered
with); each also checks that no child's private memory grew from its
first minute to its end.  A third holds a call through 400 re-INVITEs from 3CX and 200
of the bridge's own (Kandy's holds) and checks
that no child keeps memory for them once their transactions are over.
Not run by default: `meson test -C build --setup soak --suite soak`
(about 23 minutes; the groups run one after the other).

    test_soak.py BUILDDIR
"""
import glob
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import test_e2e                                        # noqa: E402
from test_e2e import check, establish, echo_ok, sim_calls, call_gone  # noqa: E402,E501
from test_e2e import sim_reoffer                       # noqa: E402
from siptest import status                             # noqa: E402

# Past coturn's 600 s allocation, so the refresh at 540 s is what keeps it.
CALL_S = 640


# sofia-sip keeps a re-INVITE's server transaction 32 s after its 200
# (RFC 6026 Timer L, 64 T1): memory is counted once they have gone.
TRANSACTION_S = 40
# Private memory one child may gain over the measured re-INVITEs.
GROWTH_KIB = 256


def private_kib(b):
    """RssAnon of each child, KiB."""
    out = {}
    for name in ("sipd", "kandyd", "mediad"):
        with open("/proc/%d/status" % b.child_pid(name)) as f:
            out[name] = int(re.search(r"^RssAnon:\s+(\d+)", f.read(),
                                      re.M).group(1))
    return out


def check_growth(before, after, over):
    """Each child's private memory gained at most GROWTH_KIB."""
    print("    private memory, KiB, %s: " % over + ", ".join(
        "%s %d -> %d" % (n, before[n], after[n]) for n in before))
    for n in before:
        check(after[n] - before[n] <= GROWTH_KIB, "%s gained %d KiB %s" %
              (n, after[n] - before[n], over))


def turn_log(b):
    """coturn's log (it adds the date to the name)."""
    text = ""
    for name in glob.glob(os.path.join(b.turndir, "turn*.log")):
        with open(name, errors="replace") as f:
            text += f.read()
    return text


def relayed_call(b, number):
    """A relayed call held CALL_S seconds with an echo checked every 20 s
    and in its last 70 s every 5 s.  Returns the expiry (Unix time) in
    the username of each refresh coturn granted, and when the call ended;
    None without coturn."""
    if b.turn is None:
        print("    coturn not installed: nothing to refresh")
        return None
    pbx, rtp = establish(b, "0" + number[3:], {
        "match": number, "action": "answer", "answer_after_ms": 100,
        "media": "echo"})
    try:
        start = time.monotonic()
        check(echo_ok(rtp, 1.5), "no audio at the start")
        c = sim_calls(b, number)[-1]
        check(c["media"].get("remote_candidate") == "relay",
              "the bridge's media did not go through the TURN relay")
        early = None
        while time.monotonic() - start < CALL_S:
            t = int(time.monotonic() - start)
            check(echo_ok(rtp, 1.5), "audio lost %d s into the call" % t)
            if early is None and t >= 60:
                early = private_kib(b)
            time.sleep(20 if t < CALL_S - 70 else 3.5)
        # Ten minutes of audits (every 25 s), of TURN credentials renewed
        # (every 30 s with turn_ttl 60) and of RTCP leave no child bigger.
        check_growth(early, private_kib(b), "from 60 s to the end")
        log = turn_log(b)
        expiries = [int(e) for e in re.findall(
            r"refreshed, realm=<[^>]*>, username=<(\d+):", log)]
        print("    coturn: %d refreshes, %d refused" %
              (len(expiries), log.count("REFRESH processed, error")))
        check(expiries, "the relayed allocation was not refreshed")
        check(status(pbx.bye()) == 200, "BYE")
        call_gone(b, "0" + number[3:])
        return expiries, time.time()
    finally:
        rtp.close()


def test_turn_refresh(b):
    """Credentials valid all along: libnice refreshes the allocation at
    540 s and the call keeps its audio past 600 s."""
    r = relayed_call(b, "971500000810")
    if r is not None:
        check(min(r[0]) > r[1], "refreshed with expired credentials")


def test_turn_refresh_expired(b):
    """Credentials that expire 60 s into the call (Kandy's renewed ones
    reach kandyd and mediad): the refresh at 540 s still has to work."""
    r = relayed_call(b, "971500000811")
    if r is not None:
        # Expired some 480 s before the refresh: the case is exercised.
        check(max(r[0]) < r[1] - 300, "the credentials had not expired")


def reinvites(pbx, rtp, version, n):
    """n re-INVITEs from 3CX: hold and resume by turns (each re-offered
    to Kandy), every fourth a session refresh that changes nothing."""
    for i in range(n):
        d = "sendrecv" if i % 4 == 3 else ("sendonly" if i % 2 == 0
                                          else "sendrecv")
        r = pbx.reinvite(rtp, d, version + i)
        check(r is not None and status(r) == 200,
              "re-INVITE %d: %r" % (i, r and r.split("\r\n")[0]))
    return version + n


def kandy_holds(b, number, pbx, rtp, version, n):
    """n holds and resumes from Kandy's side: the bridge's re-INVITEs,
    answered and then ACKed by the bridge."""
    for i in range(n):
        for offer, answer in (("sendonly", "recvonly"),
                              ("sendrecv", "sendrecv")):
            sim_reoffer(b, number, offer)
            r, ack = pbx.answer_reinvite(rtp, answer, version)
            check(r is not None and ack is not None,
                  "the bridge's %s re-INVITE %d or its ACK" % (offer, i))
            version += 1
    return version


def test_reinvite_memory(b):
    """A call re-INVITEd 400 times by 3CX (hold, resume, session
    refreshes) and 200 times by the bridge (Kandy's holds), as a trunk's
    calls are over months: after a first half and their transactions'
    end, the second leaves each child's private memory within GROWTH_KIB,
    and the call still carries audio."""
    pbx, rtp = establish(b, "0500000812", {
        "match": "971500000812", "action": "answer", "answer_after_ms": 100,
        "media": "echo"})
    try:
        check(echo_ok(rtp, 1.0), "no audio at the start")
        v = reinvites(pbx, rtp, 2, 200)
        v = kandy_holds(b, "0500000812", pbx, rtp, v, 50)
        time.sleep(TRANSACTION_S)
        before = private_kib(b)
        v = reinvites(pbx, rtp, v, 200)
        v = kandy_holds(b, "0500000812", pbx, rtp, v, 50)
        time.sleep(TRANSACTION_S)
        check_growth(before, private_kib(b), "over 300 re-INVITEs")
        # The last one may have left the call on hold: resume.
        r = pbx.reinvite(rtp, "sendrecv", v)
        check(r is not None and status(r) == 200, "resume: %r" % r)
        check(echo_ok(rtp, 1.5), "no audio after 400 re-INVITEs")
        check(status(pbx.bye()) == 200, "BYE")
        call_gone(b, "0500000812")
    finally:
        rtp.close()


GROUPS = [
    (dict(turn=True), [test_turn_refresh]),
    (dict(turn=True, sim_config={"turn_ttl": 60}),
     [test_turn_refresh_expired]),
    (dict(), [test_reinvite_memory]),
]

if __name__ == "__main__":
    sys.exit(test_e2e.main(GROUPS))
