#!/usr/bin/python3
"""Media figures and the call record through the whole bridge: a call with
an echo at Kandy must show packets both ways on both legs in `bridgectl
show calls`, `show call ID` must give loss, MOS, the candidate pair and,
once RTCP has gone both ways, a round trip on the Kandy leg; when the PBX
hangs up, sipd must log one call record line with plausible figures
(packets > 0, no loss on loopback, MOS above 4).  When Kandy hangs up
the record must have the figures too, and both sides' causes.

usage: test_callstats.py BUILD"""

import os
import re
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from bridge import Bridge                           # noqa: E402
from siptest import reply, status                   # noqa: E402
from test_e2e import Fail, check, echo_ok, establish, kandy_ready  # noqa: E402

ROW = re.compile(r"^([0-9a-f]{16}) +out +\S+ +0501237777 +ESTABLISHED .*"
                 r"pbx (\d+)/(\d+) ([\d.]+)% ([\d.]+|-), "
                 r"kandy (\d+)/(\d+) ([\d.]+)% ([\d.]+|-)$", re.M)


def detail(b, call):
    rc, out = b.ctl("show", "call", call)
    check(rc == 0, "show call %s: %s" % (call, out))
    legs = {}
    for name, body in re.findall(r"^(pbx|kandy) leg +(.*?)(?=^\S|\Z)", out,
                                 re.M | re.S):
        legs[name] = body
    check(set(legs) == {"pbx", "kandy"}, "legs missing:\n" + out)
    return out, legs


def field(body, name):
    m = re.search(r"^  %s +(.*)$" % name, body, re.M)
    check(m is not None, "no %s in:\n%s" % (name, body))
    return m.group(1)


def record(b, call):
    """The call record line of call, once, as a dict of its keys."""
    b.wait_for("call record", lambda: b.log_has(
        r"call record %s: " % call), 10)
    with open(b.log, errors="replace") as f:
        lines = [ln for ln in f if "call record %s:" % call in ln]
    check(len(lines) == 1, "%d call record lines" % len(lines))
    rec = lines[0].strip()
    print("    " + rec)
    return dict(re.findall(r'(\w+)=("[^"]*"|\S+)', rec))


def states(b, call):
    """The states the verbose log shows the call passing through."""
    with open(b.log, errors="replace") as f:
        steps = re.findall(r"sipd: call %s: ([A-Z_]+) -> ([A-Z_]+)$" % call,
                           f.read(), re.M)
    return [steps[0][0]] + [to for _, to in steps] if steps else []


def test_stats_and_record(b):
    pbx, rtp = establish(b, "0501237777", {
        "match": "971501237777", "action": "answer", "answer_after_ms": 200,
        "media": "echo"})
    sender = threading.Thread(target=rtp.send_tone, args=(1000, 8.0))
    try:
        sender.start()
        time.sleep(2.5)
        rc, out = b.ctl("show", "calls")
        m = ROW.search(out)
        check(rc == 0 and m is not None, "no media figures:\n" + out)
        call = m.group(1)
        pin, pout, kin, kout = (int(m.group(i)) for i in (2, 3, 6, 7))
        print("    show calls: pbx %d in / %d out, kandy %d in / %d out, "
              "MOS %s / %s" % (pin, pout, kin, kout, m.group(5),
                               m.group(9)))
        check(pin >= 50 and kout >= 50, "the PBX's packets not counted")
        check(kin > 0 and pout > 0, "the echo's packets not counted")

        rc, out = b.ctl("show", "call", "0123456789abcdef")
        check(rc == 1 and "no such call" in out,
              "show call of an unknown id: %d %s" % (rc, out))

        # Kandy's RTCP answers our sender report (every 5 s): a round trip.
        end = time.time() + 15
        while True:
            out, legs = detail(b, call)
            rtt = field(legs["kandy"], "round trip")
            if rtt != "-" or time.time() > end:
                break
            time.sleep(0.5)
        print("    show call:\n" + "\n".join(
            "      " + line for line in out.splitlines()))
        check(rtt != "-", "no round trip on the Kandy leg")
        check(float(rtt.split()[0]) < 100, "round trip on loopback %s" % rtt)
        check(re.match(r"ice ready, dtls connected", legs["kandy"]),
              "Kandy leg state: %s" % legs["kandy"].splitlines()[0])
        check(re.search(r"host 127\.0\.0\.1:\d+ <-> host 127\.0\.0\.1:\d+",
                        field(legs["kandy"], "path")),
              "Kandy leg pair: %s" % field(legs["kandy"], "path"))
        for leg in ("pbx", "kandy"):
            mos = float(field(legs[leg], "MOS"))
            check(mos > 4.0, "%s leg MOS %.2f on loopback" % (leg, mos))
            check(field(legs[leg], "lost").startswith("0 "),
                  "%s leg lost %s on loopback" % (leg,
                                                  field(legs[leg], "lost")))
        sender.join()
        time.sleep(0.3)
        r = pbx.bye()
        check(status(r) == 200, "BYE: %r" % r)
        kv = record(b, call)
        for k in ("pbx_rx", "pbx_tx", "kandy_rx", "kandy_tx"):
            check(int(kv[k]) > 100, "%s=%s" % (k, kv[k]))
        for k in ("pbx_lost", "kandy_lost"):
            check(kv[k] == "0", "%s=%s on loopback" % (k, kv[k]))
        for k in ("pbx_mos", "kandy_mos"):
            check(float(kv[k]) > 4.0, "%s=%s" % (k, kv[k]))
        check(kv["kandy_rtt_ms"] != "-", "no round trip in the record")
        check(float(kv["duration_s"]) >= 7.0, "duration_s=%s" %
              kv["duration_s"])
        check(0 < float(kv["setup_s"]) < 10, "setup_s=%s" % kv["setup_s"])
        check(kv["dir"] == "out" and kv["to"] == "0501237777",
              "direction or number: %s %s" % (kv["dir"], kv["to"]))
        check(kv["sip"] == '"BYE from the PBX (200)"', "sip=%s" % kv["sip"])
        check(kv["ice_pair"] == "host/host", "ice_pair=%s" % kv["ice_pair"])
        check(states(b, call) == ["INITIAL", "KANDY_CONNECTED", "CALLING",
                                  "RINGING", "ESTABLISHED", "TERMINATED"],
              "call states: %s" % states(b, call))
    finally:
        if sender.is_alive():
            sender.join()
        rtp.close()


def test_record_kandy_hangs_up(b):
    """Kandy ends the call: kandyd frees the media first, so mediad's
    figures reach sipd before its own end; the record must still have
    them, and both causes."""
    pbx, rtp = establish(b, "0501238888", {
        "match": "971501238888", "action": "answer", "answer_after_ms": 200,
        "hangup_after_ms": 3000, "media": "echo"})
    try:
        rc, out = b.ctl("show", "calls")
        m = re.search(r"^([0-9a-f]{16}) +out .*0501238888", out, re.M)
        check(m, "call not listed:\n" + out)
        call = m.group(1)
        check(echo_ok(rtp, 1.0), "no echo before the hang-up")
        bye = pbx.c.recv(5)
        while bye and not bye.startswith("BYE "):
            bye = pbx.c.recv(5)
        check(bye is not None, "no BYE from the bridge")
        pbx.c.send(reply(bye, 200, "OK"))
        kv = record(b, call)
        check(kv["sip"] == '"BYE sent"', "sip=%s" % kv["sip"])
        check(re.match(r'"\d+ HTTP \d+ from Kandy', kv["kandy"]),
              "kandy=%s" % kv["kandy"])
        check(int(kv["pbx_rx"]) >= 40 and int(kv["kandy_rx"]) >= 40,
              "figures missing: pbx_rx=%s kandy_rx=%s" % (kv.get("pbx_rx"),
                                                          kv.get("kandy_rx")))
        check(kv["pbx_lost"] == "0" and float(kv["kandy_mos"]) > 4.0,
              "pbx_lost=%s kandy_mos=%s" % (kv["pbx_lost"], kv["kandy_mos"]))
    finally:
        rtp.close()


TESTS = [test_stats_and_record, test_record_kandy_hangs_up]


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root")
        return 77
    failed = 0
    for t in TESTS:
        b = Bridge(sys.argv[1])
        try:
            b.wait_for("children running", b.running, 15)
            b.wait_for("kandyd connected to Kandy", lambda: kandy_ready(b),
                       20)
            t(b)
            print("ok  %s" % t.__name__)
        except Exception as e:
            failed += 1
            print("FAIL %s: %s" % (t.__name__, e))
            if not isinstance(e, Fail):
                traceback.print_exc()
            with open(b.log, errors="replace") as f:
                print("--- bridged log (tail):\n" +
                      "".join(f.readlines()[-40:]))
        finally:
            b.stop()
            if not failed:
                b.cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
