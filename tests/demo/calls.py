#!/usr/bin/python3
"""The demo's two calls, through the demo environment up.sh started: the
PBX (tests/e2e/pbx.py, speaking as 3CX) registers, calls 0501234567 at
Kandy, whose emulated number echoes, and then takes a call from a UAE
number to the DID.  Both carry tones that are measured where they arrive.
At the end, a summary per call: direction, numbers, setup time, duration,
packets each way at each hop, loss, jitter, an MOS estimate and the audio
check.

Each figure comes from whoever saw it: the PBX's own counts, the bridge's
(mediad's per-call line in bridged's log, written when the call ends, and
the MEDIA column of `bridgectl show calls` when it has more than "-"), and
the Kandy side's (kandysim's per-call media statistics).

usage: calls.py TOP BUILD RUNDIR"""

import json
import re
import struct
import subprocess
import sys
import time

TOP, BUILD, RUN = sys.argv[1:4]
sys.path[:0] = [TOP + "/tests/e2e", TOP + "/tests/sip", TOP + "/tests/kandysim"]

from pbx import PTIME, RATE, Pbx, Rtp, goertzel, sdp_media, sdp_offer  # noqa
from siptest import header, reply, status           # noqa: E402
import simharness                                   # noqa: E402

PASSWORD = "3cx-demo"
KANDY_USER = "demo"
DIALLED = "0501234567"
CALLER = "+97141234567"
DID = "+97143001234"
TONE_SECS = 3.0


def conf_value(pattern):
    with open(RUN + "/bridged.conf") as f:
        m = re.search(pattern, f.read(), re.M)
    return m.group(1) if m else None


# up.sh wrote this run's ports into the configuration.
SOCK = conf_value(r'^control socket "([^"]+)"')
SIP_PORT = int(conf_value(r"^\s*listen on 127\.0\.0\.1 port (\d+) "
                          r"transport udp"))
sim = simharness.Sim(RUN, int(conf_value(r'^\s*url "https://127\.0\.0\.1:'
                                         r'(\d+)"')))


def ctl(*args):
    return subprocess.run([BUILD + "/bridgectl/bridgectl", "-s", SOCK] +
                          list(args), capture_output=True, text=True).stdout


def indent(text, n=2):
    return "\n".join(" " * n + line for line in text.rstrip().split("\n"))


class Counting:
    """Stands in for an Rtp's socket: counts the packets sent, notes the
    sequence number, timestamp and arrival time of those that come in."""

    def __init__(self, s):
        self._s = s
        self.sent = 0
        self.arrivals = []

    def __getattr__(self, name):
        return getattr(self._s, name)

    def sendto(self, data, addr):
        self.sent += 1
        return self._s.sendto(data, addr)

    def recvfrom(self, n):
        data, addr = self._s.recvfrom(n)
        if len(data) >= 12:
            seq, ts = struct.unpack("!HI", data[2:8])
            self.arrivals.append((seq, ts, time.time()))
        return data, addr


def measured_rtp():
    rtp = Rtp()
    rtp.s = Counting(rtp.s)
    return rtp


def receiver_stats(arrivals):
    """(received, lost, jitter ms) as an RFC 3550 receiver reckons them."""
    if not arrivals:
        return 0, 0, 0.0
    ext, last, cycles = [], None, 0
    for seq, _, _ in arrivals:
        if last is not None and seq < last and last - seq > 0x8000:
            cycles += 0x10000
        ext.append(seq + cycles)
        last = seq
    expected = max(ext) - min(ext) + 1
    jitter = 0.0
    prev = None
    for seq, ts, t in arrivals:
        if prev is not None:
            d = (t - prev[2]) * RATE - ((ts - prev[1]) & 0xffffffff)
            jitter += (abs(d) - jitter) / 16
        prev = (seq, ts, t)
    return len(arrivals), max(0, expected - len(arrivals)), jitter / 8.0


def mos(loss_pct, jitter_ms, delay_ms):
    """ITU-T G.107 E-model, G.711 with packet loss concealment (Ie 0,
    Bpl 25.1) and random loss; the delay the listener lives with is the
    one-way delay plus a jitter buffer of twice the jitter."""
    d = delay_ms + 2 * jitter_ms + 10
    idd = 0.024 * d + (0.11 * (d - 177.3) if d > 177.3 else 0)
    ie = 95 * loss_pct / (loss_pct + 25.1)
    r = 93.2 - idd - ie
    if r <= 0:
        return 1.0
    if r >= 100:
        return 4.5
    return 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r)


def bridge_stats(call_id):
    """mediad's own count for the call, from the line it logs at the end:
    None until then (or when the log has no such line)."""
    pat = (r"call %s media: from PBX (\d+) \(lost (-?\d+), jitter (\d+) "
           r"ms\), to Kandy (\d+), from Kandy (\d+) \(lost (-?\d+), jitter "
           r"(\d+) ms\), to PBX (\d+)" % call_id)
    try:
        with open(RUN + "/bridged.log", errors="replace") as f:
            m = re.search(pat, f.read())
    except OSError:
        return None
    if not m:
        return None
    v = [int(x) for x in m.groups()]
    return {"from_pbx": v[0], "from_pbx_lost": v[1], "from_pbx_jitter": v[2],
            "to_kandy": v[3], "from_kandy": v[4], "from_kandy_lost": v[5],
            "from_kandy_jitter": v[6], "to_pbx": v[7]}


def listed_call(pattern):
    """The bridge's id of the call whose row in show calls matches."""
    m = re.search(r"^([0-9a-f]{16}) .*%s" % pattern, ctl("show", "calls"),
                  re.M)
    return m.group(1) if m else None


def listed_media(call_id):
    """What show calls says of the call's media (its last column, from
    "pbx" on), for when the bridge reports statistics there; "" when it
    says nothing."""
    for line in ctl("show", "calls").split("\n")[1:]:
        if call_id and line.startswith(call_id):
            m = re.search(r" (pbx \S+ .*)$", line)
            return m.group(1).strip() if m else ""
    return ""


def sim_call(pred):
    st, r = sim.http("GET", "/_sim/calls")
    for c in (r or {}).get("calls", []) if st == 200 else []:
        if pred(c):
            return c
    return None


def wait(pred, secs):
    end = time.time() + secs
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    return None


def tone_check(rec, rtp, pt, hz, other, what):
    """Sends TONE_SECS of 1000 Hz and measures what came back: hz, well
    above the other frequency, for a second at least."""
    rtp.send_tone(1000, TONE_SECS, pt=pt if pt in (0, 8) else 0)
    time.sleep(0.5)
    got = rtp.samples()
    p, q = goertzel(got, hz), goertzel(got, other)
    rec["audio_ok"] = len(got) >= RATE and p > 0.01 and p > 20 * q
    rec["audio"] = "%s (%.1f s of it)" % (what, len(got) / RATE) \
        if rec["audio_ok"] else "NOT %s (%d Hz power %.4f, %d Hz %.4f)" % (
            what, hz, p, other, q)


def outbound(pbx):
    """The PBX dials 0501234567; Kandy's number answers and echoes."""
    sim.http("POST", "/_sim/rules", {"match": "9715*", "action": "answer",
                                     "answer_after_ms": 300,
                                     "media": "echo,expect=1000"})
    rtp = measured_rtp()
    rec = {"direction": "outbound", "from": "3cx (the PBX)", "to": DIALLED}
    try:
        t0 = time.time()
        r, seen = pbx.invite(DIALLED, rtp)
        if r is None or status(r) != 200:
            rec["error"] = "INVITE answered %s" % (
                r.split("\r\n")[0] if r else "nothing")
            return rec
        rec["setup"] = time.time() - t0
        m = sdp_media(r)
        pbx.ack()
        t1 = time.time()
        rtp.remote = (m[0], m[1])
        print("  INVITE %s: %s, answered after %.2f s" % (
            DIALLED, " ".join(map(str, seen)), rec["setup"]))
        rec["bridge_id"] = listed_call(DIALLED)
        print(indent(ctl("show", "calls")))
        tone_check(rec, rtp, m[2][0], 1000, 700,
                   "the 1000 Hz sent came back")
        rec["bridge_media"] = listed_media(rec["bridge_id"])
        r = pbx.bye()
        rec["duration"] = time.time() - t1
        print("  PBX hangs up: BYE -> %d" % status(r))
        rec["pbx"] = (rtp.s.sent,) + receiver_stats(rtp.s.arrivals)
        rec["kandy"] = wait(lambda: sim_call(
            lambda c: c.get("state") == "ended" and
            "971501234567" in json.dumps(c.get("legs"))), 5)
        if rec["kandy"]:
            rec["to"] += " (at Kandy: %s)" % ", ".join(
                leg.get("address", "?") for leg in rec["kandy"]["legs"]
                if leg.get("kind") == "sim")
            rec["far_heard"] = rec["kandy"].get("media", {}).get("matched")
    finally:
        rtp.close()
    return rec


def inbound(pbx):
    """A UAE number calls the DID: the PBX answers, hears the caller's
    697 Hz and sends 1000 Hz; the caller hangs up."""
    rtp = measured_rtp()
    rec = {"direction": "inbound", "from": CALLER, "to": DID}
    try:
        t0 = time.time()
        st, r = sim.http("POST", "/_sim/incoming", {
            "from": CALLER, "to": "tel:" + DID, "user": KANDY_USER,
            "media": "tone:697,expect=1000"})
        if st != 201:
            rec["error"] = "kandysim could not place the call: %s %r" % (
                st, r)
            return rec
        sim_id = r["call_id"]
        inv = pbx.c.recv(10)
        while inv and not inv.startswith("INVITE "):
            inv = pbx.c.recv(5)
        if inv is None:
            rec["error"] = "no INVITE reached the PBX"
            return rec
        offer = sdp_media(inv)
        ruri = inv.split("\r\n")[0].split()[1]
        rec["to"] += " (the PBX was offered %s, from %s)" % (
            re.sub(r"^sip:([^@;]*).*", r"\1", ruri),
            re.sub(r".*<sip:([^@>]*).*", r"\1", header(inv, "From")[0]))
        contact = ["Contact: <sip:3cx@127.0.0.1:%d>" % pbx.c.lport]
        pbx.c.send(reply(inv, 180, "Ringing", "demo-pbx", contact))
        pbx.c.send(reply(inv, 200, "OK", "demo-pbx", contact + [
            "Content-Type: application/sdp"],
            sdp_offer(rtp.port, "%d 101" % offer[2][0])))
        ack = pbx.c.recv(5)
        if ack is None or not ack.startswith("ACK "):
            rec["error"] = "no ACK for the PBX's 200 OK"
            return rec
        t1 = time.time()
        rec["setup"] = t1 - t0
        print("  INVITE to the PBX for %s; 180, 200, ACK after %.2f s" % (
            ruri, rec["setup"]))
        rec["bridge_id"] = listed_call(CALLER.lstrip("+"))
        print(indent(ctl("show", "calls")))
        rtp.remote = (offer[0], offer[1])
        tone_check(rec, rtp, offer[2][0], 697, 1000,
                   "the PBX heard the caller's 697 Hz")
        rec["bridge_media"] = listed_media(rec["bridge_id"])
        sim.http("DELETE", "/_sim/calls/%s" % sim_id)
        bye = pbx.c.recv(5)
        while bye and not bye.startswith("BYE "):
            bye = pbx.c.recv(5)
        rec["duration"] = time.time() - t1
        if bye is None:
            rec["error"] = "no BYE after the caller hung up"
        else:
            pbx.c.send(reply(bye, 200, "OK"))
            print("  the caller hangs up: BYE to the PBX, 200")
        rec["pbx"] = (rtp.s.sent,) + receiver_stats(rtp.s.arrivals)
        st, c = sim.http("GET", "/_sim/calls/%s" % sim_id)
        if st == 200:
            rec["kandy"] = c
            rec["far_heard"] = c.get("media", {}).get("matched")
    finally:
        rtp.close()
    return rec


def pct(lost, n):
    return 100.0 * lost / (n + lost) if n + lost else 0.0


def summary(rec):
    out = ["%s call: %s -> %s" % (rec["direction"], rec["from"],
                                   rec["to"])]
    if "error" in rec:
        return out + ["  FAILED: " + rec["error"]]
    out.append("  setup      %.2f s (%s)" % (rec["setup"], "INVITE to 200 OK"
               if rec["direction"] == "outbound" else
               "the caller's call to the PBX's answer"))
    out.append("  duration   %.1f s" % rec["duration"])
    sent, got, lost, jit = rec["pbx"]
    km = (rec.get("kandy") or {}).get("media", {})
    bs = wait(lambda: bridge_stats(rec.get("bridge_id")), 3) \
        if rec.get("bridge_id") else None
    # PBX -> Kandy
    hops = ["PBX sent %d" % sent]
    if bs:
        hops.append("bridge got %d (lost %d), sent %d" % (
            bs["from_pbx"], max(0, bs["from_pbx_lost"]), bs["to_kandy"]))
    k_in, k_lost = km.get("packets_in"), km.get("lost")
    k_jit = km.get("jitter", 0) / 8.0
    if k_in is not None:
        hops.append("Kandy got %d (lost %d)" % (k_in, max(0, k_lost or 0)))
        if sent > k_in:
            hops.append("%d never arrived" % (sent - k_in))
    out.append("  to Kandy   " + ", ".join(hops))
    # Kandy -> PBX
    hops = []
    if km.get("packets_out") is not None:
        hops.append("Kandy sent %d" % km["packets_out"])
    if bs:
        hops.append("bridge got %d (lost %d), sent %d" % (
            bs["from_kandy"], max(0, bs["from_kandy_lost"]), bs["to_pbx"]))
    hops.append("PBX got %d (lost %d)" % (got, lost))
    if km.get("packets_out", 0) > got:
        hops.append("%d never arrived" % (km["packets_out"] - got))
    out.append("  to PBX     " + ", ".join(hops))
    if rec.get("bridge_media"):
        out.append("  bridge     " + rec["bridge_media"])
    loss_k = pct(max(0, k_lost or 0), k_in or 0)
    loss_p = pct(lost, got)
    out.append("  loss       %.1f %% toward Kandy, %.1f %% toward the PBX "
               "(gaps in what arrived); jitter %.1f / %.1f ms" % (
                   loss_k, loss_p, k_jit, jit))
    # Loopback: the one-way delay is the packetisation time.
    m = min(mos(loss_k, k_jit, PTIME), mos(loss_p, jit, PTIME))
    out.append("  MOS        %.2f (E-model estimate, G.711, the worse "
               "direction)" % m)
    far = rec.get("far_heard")
    ok = rec.get("audio_ok") and far is True
    out.append("  audio      %s: %s; Kandy's side %s the PBX's 1000 Hz" % (
        "ok" if ok else "FAILED", rec.get("audio"),
        "heard" if far else "did NOT hear"))
    return out


def main():
    print("The PBX registers to the trunk as 3CX does (digest checked by "
          "the parent):")
    pbx = Pbx(SIP_PORT, password=PASSWORD)
    r = pbx.register()
    print("  REGISTER -> %d" % status(r))
    print(indent(ctl("show", "registrations")))
    if status(r) != 200:
        return 1
    print()
    print("Call 1: the PBX dials %s; the bridge calls +971501234567 at "
          "Kandy, whose number answers and echoes what it hears:" % DIALLED)
    calls = [outbound(pbx)]
    print()
    print("Call 2: %s calls the DID %s at Kandy; the bridge brings the call "
          "to the PBX's registered contact:" % (CALLER, DID))
    calls.append(inbound(pbx))
    print()
    print("== Summary")
    failed = 0
    for rec in calls:
        lines = summary(rec)
        failed += any("FAILED" in x for x in lines)
        print("\n".join(lines))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
