#!/usr/bin/python3
"""The official Kandy SDK in headless Chromium against kandysim (see
sdk/sdk_call.mjs).  Skips (77) without node, chromium or the node modules
(npm install --prefix tests/kandysim/sdk, or KANDYSIM_NODE_MODULES).
Usage: test_sdk.py path/to/kandysim

Also the helpers other tests use to run SDK users: sdk_missing() and
SdkUser (sdk/sdk_agent.mjs)."""

import json
import os
import shutil
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from simharness import start_kandysim  # noqa: E402

MODULES = os.environ.get("KANDYSIM_NODE_MODULES",
                         os.path.join(HERE, "sdk", "node_modules"))
NODE = shutil.which("node")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def sdk_missing():
    """What the SDK tests lack, as a list of names (empty: all there)."""
    return [what for what, ok in (
        ("node", NODE),
        ("chromium", os.path.exists(CHROMIUM)),
        ("@kandy-io/cpaas-sdk", os.path.exists(os.path.join(
            MODULES, "@kandy-io", "cpaas-sdk", "dist", "kandy.js"))),
        ("playwright-core", os.path.exists(os.path.join(
            MODULES, "playwright-core")))) if not ok]


class SdkUser:
    """A Kandy user in its own headless Chromium (sdk/sdk_agent.mjs),
    logged in to kandysim at sim (simharness.Sim) and subscribed to calls;
    its fake microphone plays a tone of hz; ice_servers (URLs) go to the
    SDK, which asks Kandy's /turn for their credentials, and relay_only
    keeps Chromium to relay candidates.  js() runs an expression in the
    page (the SDK's `client`, sdk_page.mjs's kbAudio, kbStats, kbMedia,
    `events`, `incoming`); wait() polls one until it is true."""

    def __init__(self, sim, user, password, hz, log=None, ice_servers=(),
                 relay_only=False):
        self.user = user
        self.seq = 0
        opts = {"iceServers": [{"urls": u} for u in ice_servers],
                "relayOnly": relay_only}
        self.proc = subprocess.Popen(
            [NODE, os.path.join(HERE, "sdk", "sdk_agent.mjs"),
             str(sim.port), MODULES, CHROMIUM, user, password, str(hz),
             json.dumps(opts)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=log or subprocess.DEVNULL, text=True,
            env=dict(os.environ, NODE_EXTRA_CA_CERTS=sim.ca))
        r = self._read(60)
        if not r.get("ready"):
            self.close()
            raise RuntimeError("SDK user %s: %s" % (user, r.get("error")))

    def _read(self, timeout):
        box = []
        t = threading.Thread(target=lambda: box.append(
            self.proc.stdout.readline()), daemon=True)
        t.start()
        t.join(timeout)
        if not box or not box[0]:
            raise RuntimeError("SDK user %s: no answer" % self.user)
        return json.loads(box[0])

    def _cmd(self, answer_within, **cmd):
        self.seq += 1
        cmd["id"] = self.seq
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        r = self._read(answer_within)
        if "error" in r:
            raise RuntimeError("SDK user %s: %s" % (self.user, r["error"]))
        return r.get("result")

    def js(self, expr, timeout=30):
        return self._cmd(timeout + 5, eval=expr)

    def wait(self, expr, timeout=15):
        """True once expr holds, False after timeout seconds."""
        try:
            self._cmd(timeout + 5, wait=expr, timeout=int(timeout * 1000))
            return True
        except RuntimeError:
            return False

    def events(self):
        return self.js("window.events")

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(15)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


def main():
    missing = sdk_missing()
    if missing:
        print("skipped, missing: " + ", ".join(missing))
        return 77
    sim, proc, logpath = start_kandysim(sys.argv[1], "sdk-turn-secret",
                                        "kandy.test")
    try:
        sim.http("POST", "/_sim/rules", {"match": "97150000486*",
                 "action": "reject", "cause": 486})
        rc = subprocess.run([NODE, os.path.join(HERE, "sdk", "sdk_call.mjs"),
                             str(sim.port), MODULES, CHROMIUM],
                            env=dict(os.environ, NODE_EXTRA_CA_CERTS=sim.ca),
                            timeout=240).returncode
        st, log = sim.http("GET", "/_sim/log")
        seen = [(q["method"], q["path"], q["status"])
                for q in log["requests"]]
        print("requests the SDK made:")
        for q in log["requests"]:
            print("  %s %s -> %d %s" % (q["method"], q["path"], q["status"],
                                        q["body"][:300]))
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
        # Expired tokens: refused with 401, as the SDK reported.
        found = any(m == "POST" and p.endswith("/sessions") and st == 401
                    for m, p, st in seen)
        print(("ok   " if found else "FAIL ") +
              "kandysim refused the expired token (401)")
        rc = rc or (0 if found else 1)
        st, calls = sim.http("GET", "/_sim/calls")
        print(json.dumps(calls, indent=1)[:3000])
    finally:
        proc.terminate()
        proc.wait(10)
    if rc:
        print(open(logpath).read()[-5000:])
    return 1 if rc else 0


if __name__ == "__main__":
    sys.exit(main())
