#!/usr/bin/python3
"""Headless Chromium against kandysim's media endpoint (browser_media.mjs):
Chromium's 523 Hz comes back from an echo number, and kandysim sees that
tone and Chromium's two digits.  Skips (77) without node, chromium or
playwright-core (tests/kandysim/sdk/node_modules or KANDYSIM_NODE_MODULES).
Usage: test_browser_media.py path/to/kandysim"""

import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from simharness import start_kandysim  # noqa: E402

HZ = 523
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


modules = os.environ.get("KANDYSIM_NODE_MODULES",
                         os.path.join(HERE, "sdk", "node_modules"))
node = shutil.which("node")
chromium = shutil.which("chromium") or "/usr/bin/chromium"
missing = [what for what, ok in (
    ("node", node), ("chromium", os.path.exists(chromium)),
    ("playwright-core", os.path.exists(os.path.join(
        modules, "playwright-core")))) if not ok]
if missing:
    print("skipped, missing: " + ", ".join(missing))
    sys.exit(77)

sim, proc, logpath = start_kandysim(sys.argv[1], "browser-secret",
                                    "kandy.test")
try:
    sim.http("POST", "/_sim/rules", {"match": "9715000009",
             "action": "answer", "answer_after_ms": 0,
             "media": "echo,expect=%d" % HZ})
    out = subprocess.run([node, os.path.join(HERE, "browser_media.mjs"),
                          str(sim.port), modules, chromium, str(HZ)],
                         capture_output=True, text=True,
                         timeout=90).stdout.strip().splitlines()
    res = json.loads(out[-1]) if out else {}
    print("chromium:", json.dumps(res))
    st, r = sim.http("GET", "/_sim/calls")
    m = r["calls"][-1]["media"] if r.get("calls") else {}
    print("kandysim:", json.dumps(m))
    check(res.get("connected") == "connected",
          "Chromium: ICE and DTLS-SRTP connected to kandysim")
    check(abs(res.get("heardHz", 0) - HZ) <= 12 and
          res.get("peakDb", -200) > -60,
          "Chromium hears its %d Hz back (%.1f Hz, %.1f dB)" %
          (HZ, res.get("heardHz", 0), res.get("peakDb", -200)))
    check(res.get("packetsReceived", 0) >= 100 and
          res.get("packetsLost", 1) == 0,
          "Chromium: %s packets in, %s lost" %
          (res.get("packetsReceived"), res.get("packetsLost")))
    check(m.get("matched") is True and m.get("codec") in ("PCMU", "PCMA"),
          "kandysim hears %d Hz from Chromium (%s)" % (HZ, m.get("rx_tone")))
    check(m.get("rtcp_sent", 0) >= 1 and m.get("rtcp_in", 0) >= 1 and
          m.get("far_report", {}).get("lost") == 0,
          "RTCP both ways; Chromium reports no loss of ours (%s)" %
          m.get("far_report"))
    check(m.get("digits_received") == "19",
          "kandysim gets Chromium's digits (%r)" % m.get("digits_received"))
finally:
    proc.terminate()
    proc.wait(10)
if failures:
    print(open(logpath).read()[-4000:])
sys.exit(1 if failures else 0)
