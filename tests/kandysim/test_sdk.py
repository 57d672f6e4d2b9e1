#!/usr/bin/python3
"""The official Kandy SDK in headless Chromium against kandysim (see
sdk/sdk_call.mjs).  Skips (77) without node, chromium or the node modules
(npm install --prefix tests/kandysim/sdk, or KANDYSIM_NODE_MODULES).
Usage: test_sdk.py path/to/kandysim"""

import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from simharness import start_kandysim  # noqa: E402

modules = os.environ.get("KANDYSIM_NODE_MODULES",
                         os.path.join(HERE, "sdk", "node_modules"))
node = shutil.which("node")
chromium = shutil.which("chromium") or "/usr/bin/chromium"
missing = [what for what, ok in (
    ("node", node),
    ("chromium", os.path.exists(chromium)),
    ("@kandy-io/cpaas-sdk", os.path.exists(os.path.join(
        modules, "@kandy-io", "cpaas-sdk", "dist", "kandy.js"))),
    ("playwright-core", os.path.exists(os.path.join(
        modules, "playwright-core")))) if not ok]
if missing:
    print("skipped, missing: " + ", ".join(missing))
    sys.exit(77)

sim, proc, logpath = start_kandysim(sys.argv[1], "sdk-turn-secret",
                                    "kandy.test")
try:
    sim.http("POST", "/_sim/rules", {"match": "97150000486*",
             "action": "reject", "cause": 486})
    rc = subprocess.run([node, os.path.join(HERE, "sdk", "sdk_call.mjs"),
                         str(sim.port), modules, chromium],
                        env=dict(os.environ, NODE_EXTRA_CA_CERTS=sim.ca),
                        timeout=150).returncode
    st, log = sim.http("GET", "/_sim/log")
    seen = [(q["method"], q["path"], q["status"]) for q in log["requests"]]
    print("requests the SDK made:")
    for q in log["requests"]:
        print("  %s %s -> %d %s" % (q["method"], q["path"], q["status"], q["body"][:300]))
    # The SDK's own API use, as kandyd must mirror it.
    for want in (("POST", "channels"), ("GET", "websocket"),
                 ("POST", "subscriptions"), ("POST", "sessions"),
                 ("PUT", "answer"), ("PUT", "update"), ("PUT", "status"),
                 ("DELETE", "sessions"), ("DELETE", "subscriptions"),
                 ("DELETE", "channels")):
        found = any(m == want[0] and "/" + want[1] in p and st < 300
                    for m, p, st in seen)
        print(("ok   " if found else "FAIL ") + "SDK sent %s %s" % want)
        rc = rc or (0 if found else 1)
    st, calls = sim.http("GET", "/_sim/calls")
    print(json.dumps(calls, indent=1)[:3000])
finally:
    proc.terminate()
    proc.wait(10)
if rc:
    print(open(logpath).read()[-5000:])
sys.exit(1 if rc else 0)
