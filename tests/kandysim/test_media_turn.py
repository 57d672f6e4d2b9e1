#!/usr/bin/python3
"""kandysim's media endpoint relayed through a real coturn: kandysim is
started with -t (TURN server) and the same secret as coturn's
static-auth-secret, so it advertises relay candidates only; simpeer calls
an echo number and must hear its tone back through the relay.  Skips (77)
without turnserver.  Usage: test_media_turn.py kandysim simpeer"""

import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from simharness import free_port, start_coturn, start_kandysim  # noqa: E402,E501
import test_media  # noqa: E402
from test_media import Call, check, failures, later  # noqa: E402

SECRET = "media-turn-secret"


def main():
    if shutil.which("turnserver") is None:
        print("skipped, missing: turnserver (coturn)")
        return 77
    binary, simpeer = sys.argv[1], sys.argv[2]
    tport = free_port()
    sim, proc, logpath = start_kandysim(
        binary, SECRET, "kandy.test", args=["-t", "127.0.0.1:%d" % tport])
    tdir = os.path.dirname(logpath)
    turn = start_coturn(tdir, tport, SECRET, "kandy.test")
    try:
        run(sim, simpeer)
    finally:
        turn.terminate()
        turn.wait(timeout=10)
        proc.terminate()
        proc.wait(timeout=10)
    if failures:
        print("kandysim log: " + logpath)
        with open(logpath) as f:
            sys.stdout.write(f.read()[-4000:])
    return 1 if failures else 0


def run(sim, simpeer):
    st, r = sim.http("POST", "/cpaas/auth/v1/token",
                     form="client_id=t&username=alice&password=alicepw"
                     "&grant_type=password")
    token = r["access_token"]
    sim.http("POST", "/_sim/rules", {"match": "9715000001",
             "action": "answer", "answer_after_ms": 0, "media": "echo"})
    c = Call(sim, token, simpeer, "9715000001",
             ["-f", "440", "-d", "9", "-s", "3"])
    check(" typ relay" in c.answer and " typ host" not in c.answer,
          "answer has relay candidates only")
    mid = {}
    later(2.5, lambda: mid.update(stats=c.stats()))
    res = c.finish()
    m = mid.get("stats") or {}
    print("peer:", json.dumps(res))
    print("kandysim:", json.dumps(m))
    check(res.get("ready") is True, "ICE and DTLS-SRTP up through coturn")
    check(m.get("local_candidate") == "relay" and res.get("remote_type") == 3,
          "the selected pair uses kandysim's relay candidate")
    check(abs(res.get("rx_tone", {}).get("hz", 0) - 440) <= 5 and
          res.get("echo_exact", 0) >= 50,
          "the peer hears its 440 Hz back through the relay (%s frames)" %
          res.get("echo_exact"))
    check(m.get("digits_received") == "9", "digit through the relay")


if __name__ == "__main__":
    sys.exit(main())
