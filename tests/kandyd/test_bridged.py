#!/usr/bin/python3
"""kandyd killed (SIGKILL) mid-call under a real bridged: the parent starts
it again, it asks sipd for the live calls, re-authenticates, makes a new
channel and subscription, checks the calls against GET /sessions and
follows them again.  Hang-ups from either side must then still reach the
other: a BYE from 3CX deletes the Kandy session, Kandy's end sends 3CX a
BYE, and a call Kandy ended while kandyd was away is ended at 3CX.  Also
the PBX's hold and resume passed on to Kandy as re-offers, and the
Retry-After of a 503 while the account is down.  The PBX is
tests/e2e/pbx.py, Kandy is kandysim.

usage: test_bridged.py BUILD [test ...]"""

import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))

import test_e2e                                     # noqa: E402
from pbx import Pbx, Rtp, sdp_offer                 # noqa: E402
from siptest import header, reply, status           # noqa: E402
from test_e2e import check                          # noqa: E402


def kandy_row(b, name):
    rc, out = b.ctl("show", "kandy")
    m = re.search(r"^%s +(.*)$" % re.escape(name), out, re.M)
    return m.group(1).strip() if rc == 0 and m else None


def call_line(b, number):
    rc, out = b.ctl("show", "calls")
    for line in out.splitlines():
        if number in line:
            return line
    return None


def sim_call(b, sid):
    """kandysim's call holding this session id on one of its legs."""
    st, r = b.sim.http("GET", "/_sim/calls")
    check(st == 200, "kandysim calls: %s" % st)
    for c in r.get("calls", []):
        if any(leg.get("session") == sid for leg in c.get("legs", [])):
            return c
    return None


def establish(b, number):
    """A registered PBX with an answered call to number, its Kandy session
    id as bridgectl shows it: (pbx, rtp, sid)."""
    pbx, rtp = test_e2e.establish(b, number, {
        "match": "971" + number[1:], "action": "answer",
        "answer_after_ms": 200, "media": "echo"})
    line = call_line(b, number)
    check(line is not None and "ESTABLISHED" in line,
          "call not established in show calls: %r" % line)
    m = re.search(r"ESTABLISHED +\S+ +(\S+)", line)
    check(m and m.group(1) != "-", "no Kandy session in show calls: %r" %
          line)
    check(sim_call(b, m.group(1)) is not None,
          "show calls' session %s is not kandysim's" % m.group(1))
    return pbx, rtp, m.group(1)


def kill_kandyd(b):
    rc, st = b.ctl("show", "status")
    pid = re.search(r"^kandyd +(\d+) ", st, re.M).group(1)
    os.kill(int(pid), 9)
    return pid


def wait_back(b, pid, calls):
    """The new kandyd runs, is ready and follows `calls' calls."""
    b.wait_for("kandyd restarted", lambda: re.search(
        r"^kandyd +(\d+) running", b.ctl("show", "status")[1], re.M) and
        not re.search(r"^kandyd +%s " % pid, b.ctl("show", "status")[1],
                      re.M), 15)
    b.wait_for("kandyd ready with %d call(s)" % calls, lambda:
               kandy_row(b, "state") == "ready" and
               kandy_row(b, "calls") == str(calls), 20)


def wait_bye(pbx, secs=10):
    end = time.time() + secs
    while time.time() < end:
        m = pbx.c.recv(1)
        if m and m.startswith("BYE "):
            pbx.c.send(reply(m, 200, "OK"))
            return True
    return False


def test_bye_from_pbx(b):
    """After the restart a BYE from 3CX deletes the Kandy session."""
    pbx, rtp, sid = establish(b, "0501115555")
    try:
        pid = kill_kandyd(b)
        wait_back(b, pid, 1)
        check(b.log_has(r"picked up again, Kandy session " + re.escape(sid)),
              "kandyd did not pick the call up")
        line = call_line(b, "0501115555")
        check(line is not None and sid in line,
              "the session is no longer shown: %r" % line)
        r = pbx.bye()
        check(status(r) == 200, "BYE: %r" % r)
        b.wait_for("Kandy's session ended", lambda: (sim_call(b, sid) or
                   {}).get("state") == "ended", 10)
        b.wait_for("call gone", lambda: call_line(b, "0501115555") is None,
                   5)
        check(kandy_row(b, "calls") == "0", "kandyd still has calls")
    finally:
        rtp.close()


def test_end_from_kandy(b):
    """After the restart Kandy's hang-up reaches 3CX as a BYE."""
    pbx, rtp, sid = establish(b, "0501116666")
    try:
        pid = kill_kandyd(b)
        wait_back(b, pid, 1)
        c = sim_call(b, sid)
        st, _ = b.sim.http("DELETE", "/_sim/calls/%d" % c["id"])
        check(st == 204, "kandysim hang-up: %s" % st)
        check(wait_bye(pbx), "no BYE toward 3CX after Kandy's hang-up")
        b.wait_for("call gone", lambda: call_line(b, "0501116666") is None,
                   5)
    finally:
        rtp.close()


def test_ended_while_away(b):
    """A call Kandy ends while kandyd is dead: the new kandyd's catch-up
    (GET /sessions) no longer finds it and 3CX gets a BYE."""
    pbx, rtp, sid = establish(b, "0501117777")
    try:
        c = sim_call(b, sid)
        pid = kill_kandyd(b)
        st, _ = b.sim.http("DELETE", "/_sim/calls/%d" % c["id"])
        check(st == 204, "kandysim hang-up: %s" % st)
        check(wait_bye(pbx, 20), "no BYE toward 3CX for the call Kandy "
              "ended while kandyd was away")
        b.wait_for("call gone", lambda: call_line(b, "0501117777") is None,
                   5)
        check(b.log_has(r"GET /cpaas/webrtcsignaling/v1/bridge/sessions"),
              "no catch-up in the log")
        b.wait_for("kandyd restarted", lambda: kandy_row(b, "state") ==
                   "ready" and kandy_row(b, "calls") == "0", 15)
        check(pid not in b.ctl("show", "status")[1].split(), "same kandyd")
    finally:
        rtp.close()


def test_retry_after_account_down(b):
    """The Kandy account down (its secret changed at Kandy): 3CX's INVITE
    gets 503 whose Retry-After is kandyd's time to its next grant (a few
    seconds at first), not sipd's default 30."""
    st, _ = b.sim.http("POST", "/_sim/users", {
        "username": "bridge", "client_id": "PRIV-bridge",
        "client_secret": "changed"})
    check(st == 201, "kandysim user: %s" % st)
    st, _ = b.sim.http("POST", "/_sim/misbehave/expire-tokens", {})
    check(st == 204, "kandysim expire-tokens: %s" % st)
    # The call finds the token refused and the new grant too.
    pbx = Pbx(b.sip_port)
    check(status(pbx.register()) == 200, "REGISTER failed")
    rtp = Rtp()
    try:
        r, seen = pbx.invite("0501118888", rtp)
        check(r is not None and status(r) == 503, "INVITE answered %r" %
              (r and r.split("\r\n")[0]))
        pbx.ack()
        ra = header(r, "Retry-After")
        print("    Retry-After: %r" % ra)
        check(len(ra) == 1 and ra[0].strip().isdigit() and
              1 <= int(ra[0]) <= 8, "Retry-After %r is not the account's "
              "backoff" % ra)
        check(kandy_row(b, "state") == "down", "account not down")
    finally:
        rtp.close()


def updates(b, sid, direction):
    """kandysim's log: PUT /update of this session carrying direction."""
    st, r = b.sim.http("GET", "/_sim/log")
    return [q for q in r.get("requests", []) if q.get("method") == "PUT" and
            q.get("path", "").endswith("/sessions/%s/update" % sid) and
            "a=" + direction in (q.get("body") or "")]


def reinvite(pbx, rtp, direction):
    """A re-INVITE from 3CX in the call's dialog; the bridge's answer."""
    pbx.c.request("INVITE", pbx.uri, [
        "Contact: <sip:3cx@127.0.0.1:%d>" % pbx.c.lport,
        "Content-Type: application/sdp"],
        sdp_offer(rtp.port).replace("a=sendrecv", "a=" + direction),
        to=pbx.to)
    cseq = pbx.c.cseq
    r = pbx.c.final(5)
    pbx.c.request("ACK", pbx.uri, to=pbx.to, cseq=cseq)
    return r


def test_hold_resume(b):
    """3CX holds (re-INVITE sendonly) and resumes (sendrecv): each reaches
    Kandy as PUT /update in that direction, offered with setup:actpass,
    and the audio still echoes after the resume."""
    pbx, rtp, sid = establish(b, "0501119999")
    try:
        r = reinvite(pbx, rtp, "sendonly")
        check(r is not None and status(r) == 200, "hold: %r" % r)
        check("a=recvonly" in r, "hold not answered recvonly: %r" % r)
        b.wait_for("PUT /update sendonly", lambda: updates(b, sid,
                   "sendonly"), 10)
        check("setup:actpass" in updates(b, sid, "sendonly")[0]["body"],
              "the re-offer is not setup:actpass")
        r = reinvite(pbx, rtp, "sendrecv")
        check(r is not None and status(r) == 200, "resume: %r" % r)
        b.wait_for("PUT /update sendrecv", lambda: updates(b, sid,
                   "sendrecv"), 10)
        check(test_e2e.echo_ok(rtp, 2.0), "no echo after the resume")
        check(status(pbx.bye()) == 200, "BYE failed")
    finally:
        rtp.close()


TESTS = [test_hold_resume, test_bye_from_pbx, test_end_from_kandy, test_ended_while_away,
         test_retry_after_account_down]


if __name__ == "__main__":
    # tests/e2e's runner: a fresh bridge and kandysim per test.
    sys.exit(test_e2e.main([({}, [t]) for t in TESTS]))
