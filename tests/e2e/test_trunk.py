#!/usr/bin/python3
"""The trunk follows the Kandy account (register-requires-kandy, the
default): while kandyd signs in, the PBX's REGISTER waits and is answered
once the grant is done; while Kandy cannot be reached, REGISTER, INVITE
and OPTIONS get 503 with Retry-After, so 3CX marks the trunk down and
takes its next route; when Kandy is back, REGISTER gets 200 again.

usage: test_trunk.py BUILD"""

import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import test_e2e                                     # noqa: E402
from test_e2e import Fail, check, kandy_ready       # noqa: E402
from pbx import Pbx                                 # noqa: E402
from siptest import challenge, digest, header, status  # noqa: E402


def register(pbx, timeout):
    """A REGISTER with digest, as pbx.register(), but waiting up to
    timeout for each answer; returns the list of statuses and the last
    response."""
    contact = "<sip:3cx@127.0.0.1:%d;rinstance=e2e0c0ffee>" % pbx.c.lport
    hdrs = ["Contact: %s" % contact, "Expires: 300"]
    pbx.c.request("REGISTER", "sip:127.0.0.1:%d" % pbx.port, hdrs)
    r = pbx.c.final(timeout)
    seen = [status(r)]
    if status(r) == 401:
        auth = digest("MD5", challenge(r, "MD5"), "REGISTER",
                      "sip:127.0.0.1:%d" % pbx.port, 1,
                      password=pbx.password)
        pbx.c.request("REGISTER", "sip:127.0.0.1:%d" % pbx.port,
                      hdrs + ["Authorization: %s" % auth])
        r = pbx.c.final(timeout)
        seen.append(status(r))
    return seen, r


def kandy_state(b, row="state"):
    rc, out = b.ctl("show", "kandy")
    m = re.search(r"^%s +(.*)$" % row, out, re.M)
    return m.group(1).strip() if m else ""


def test_register_waits_for_sign_in(b):
    """kandyd restarts and its token request is held 2.5 s by Kandy: a
    REGISTER meanwhile is answered after the grant, with 200, never 503."""
    pbx = Pbx(b.sip_port)
    check(register(pbx, 5)[0] == [401, 200], "first registration")
    rc, st = b.ctl("show", "status")
    pid = re.search(r"^kandyd +(\d+) ", st, re.M).group(1)
    b.sim.http("POST", "/_sim/misbehave/delay", {"count": 1, "ms": 2500})
    os.kill(int(pid), 9)
    b.wait_for("a new kandyd", lambda: re.search(
        r"^kandyd +(\d+) running", b.ctl("show", "status")[1], re.M) and
        not re.search(r"^kandyd +%s " % pid, b.ctl("show", "status")[1],
                      re.M), 10)
    check(kandy_state(b) != "ready", "the new kandyd is ready at once "
          "(state %r): Kandy's delay did not hold it" % kandy_state(b))
    seen, r = register(pbx, 10)
    print("    REGISTER while signing in: %s" % seen)
    check(seen == [401, 200], "REGISTER while kandyd signs in: %s" % seen)
    check(b.log_has(r"trunk: the Kandy account is up"),
          "sipd never heard the account was up")


def restart_kandysim(b):
    """kandysim again, on the same address, CA and users."""
    b.simproc = subprocess.Popen(b.simproc.args, stderr=open(
        b.simlog, "a"))
    for _ in range(100):
        if b.sim.http("GET", "/_sim/status")[0] == 200:
            return
        time.sleep(0.1)
    raise Fail("kandysim did not come back")


def test_kandy_down_and_back(b):
    """Kandy gone: REGISTER, INVITE and OPTIONS get 503 with Retry-After;
    Kandy back: the account signs in again and REGISTER gets 200."""
    pbx = Pbx(b.sip_port)
    check(register(pbx, 5)[0] == [401, 200], "first registration")
    b.simproc.terminate()
    b.simproc.wait(5)
    b.wait_for("the trunk down", lambda: kandy_state(b, "trunk").startswith(
        "down"), 30)
    seen, r = register(pbx, 5)
    print("    REGISTER with Kandy down: %s, Retry-After %s" %
          (seen, header(r, "Retry-After")))
    check(seen == [503], "REGISTER with Kandy down: %s" % seen)
    ra = header(r, "Retry-After")
    check(len(ra) == 1 and re.match(r"^\d+$", ra[0]) and
          1 <= int(ra[0]) <= 3600, "Retry-After %r" % ra)
    pbx.c.request("OPTIONS", "sip:127.0.0.1:%d" % pbx.port)
    r = pbx.c.final(5)
    check(status(r) == 503 and header(r, "Retry-After"),
          "OPTIONS with Kandy down: %r" % r)
    # Its own client: the 503 to an INVITE is retransmitted until ACKed.
    inv = Pbx(b.sip_port)
    inv.c.request("INVITE", "sip:0501234567@127.0.0.1:%d" % inv.port,
                  ["Contact: <sip:3cx@127.0.0.1:%d>" % inv.c.lport,
                   "Content-Type: application/sdp"],
                  body="v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
                  "c=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                  "m=audio 40000 RTP/AVP 0\r\n")
    r = inv.c.final(5)
    check(status(r) == 503 and header(r, "Retry-After"),
          "INVITE with Kandy down: %r" % r)
    inv.c.request("ACK", "sip:0501234567@127.0.0.1:%d" % inv.port,
                  cseq=inv.c.cseq, to=header(r, "To")[0])
    restart_kandysim(b)
    b.wait_for("the account ready again", lambda: kandy_ready(b), 90)
    seen, r = register(pbx, 5)
    check(seen == [401, 200], "REGISTER with Kandy back: %s" % seen)


TESTS = [test_register_waits_for_sign_in, test_kandy_down_and_back]


if __name__ == "__main__":
    # test_e2e.py's runner: a fresh bridge and kandysim per test.
    test_e2e.TESTS = TESTS
    sys.exit(test_e2e.main())
