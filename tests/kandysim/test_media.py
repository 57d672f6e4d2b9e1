#!/usr/bin/python3
"""kandysim's WebRTC media endpoint, with real audio: simpeer (libmedia:
ICE, DTLS-SRTP, G.711, RFC 4733) calls numbers answered by kandysim and
the test checks the audio both ways.

- echo: the peer's 440 Hz tone comes back (frequency, and frames byte for
  byte), kandysim detects 440 Hz and reports "matched", the peer's digits
  appear in /_sim/calls, digits kandysim sends on command reach the peer,
  junk datagrams thrown at kandysim's candidates mid-call change nothing.
- tone: the peer hears kandysim's 1000 Hz (and 1700 Hz by rule).
- record: the recording fetched from /_sim/calls/ID/recording holds the
  peer's 600 Hz tone.
- incoming (/_sim/incoming, kandysim offers): the answering peer hears
  800 Hz, kandysim hears the peer's 300 Hz and its digit.

Usage: test_media.py path/to/kandysim path/to/simpeer"""

import base64
import json
import math
import os
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from simharness import start_kandysim  # noqa: E402

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def goertzel(x, f, rate=8000):
    w = 2 * math.pi * f / rate
    c = 2 * math.cos(w)
    s1 = s2 = 0.0
    for v in x:
        s0 = v / 32768.0 + c * s1 - s2
        s2, s1 = s1, s0
    return (s1 * s1 + s2 * s2 - c * s1 * s2) * 4 / (len(x) ** 2)


class Call:
    """One call from simpeer to a number, signalled over the cpaas API."""

    def __init__(self, sim, token, simpeer, number, args):
        self.sim, self.token = sim, token
        self.peer = subprocess.Popen([simpeer] + args, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        offer = json.loads(self.peer.stdout.readline())["sdp"]
        self.offer = offer
        st, r = sim.http("POST",
                         "/cpaas/webrtcsignaling/v1/alice/sessions",
                         {"wrtcsSession": {
                             "tParticipantAddress": "tel:+" + number,
                             "offer": {"sdp": offer}}}, token=token)
        check(st == 201, "%s: session created" % number)
        self.url = r["wrtcsSession"]["resourceURL"]
        answer = None
        for _ in range(100):
            st, r = sim.http("GET", self.url, token=token)
            answer = r.get("wrtcsSession", {}).get("answer", {}).get("sdp")
            if answer:
                break
            time.sleep(0.05)
        check(answer is not None and "a=candidate" in answer
              and "a=fingerprint:sha-256" in answer,
              "%s: answer with candidates and a fingerprint" % number)
        self.answer = answer or ""
        self.peer.stdin.write(json.dumps({"sdp": self.answer}) + "\n")
        self.peer.stdin.flush()
        self.id = None
        st, r = sim.http("GET", "/_sim/calls")
        for c in r["calls"]:
            if any(leg.get("session") and leg["session"] in self.url
                   for leg in c["legs"]):
                self.id = c["id"]
        check(self.id is not None, "%s: call in /_sim/calls" % number)

    def stats(self):
        st, r = self.sim.http("GET", "/_sim/calls/%d" % self.id)
        return r["media"]

    def finish(self):
        out = self.peer.stdout.readline()
        self.peer.wait(timeout=30)
        res = json.loads(out) if out else {}
        self.sim.http("DELETE", self.url, token=self.token)
        return res


def later(sec, fn):
    t = threading.Timer(sec, fn)
    t.start()
    return t


def main():
    binary, simpeer = sys.argv[1], sys.argv[2]
    sim, proc, logpath = start_kandysim(binary, "media-secret",
                                        "kandy.test")
    try:
        run(sim, simpeer)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    if failures:
        print("kandysim log: " + logpath)
        with open(logpath) as f:
            sys.stdout.write(f.read()[-4000:])
    return 1 if failures else 0


def run(sim, simpeer):
    st, r = sim.http("GET", "/_sim/status")
    check(r.get("media") == "webrtc" and r.get("real_media") is True,
          "status reports the real endpoint")
    st, r = sim.http("POST", "/cpaas/auth/v1/token",
                     form="client_id=t&username=alice&password=alicepw"
                     "&grant_type=password")
    token = r["access_token"]
    st, _ = sim.http("POST", "/_sim/rules", {"rules": [
        {"match": "9715000001", "action": "answer", "answer_after_ms": 0,
         "media": "echo,expect=440"},
        {"match": "9715000002", "action": "answer", "answer_after_ms": 0,
         "media": "tone"},
        {"match": "9715000003", "action": "answer", "answer_after_ms": 0,
         "media": "tone:1700"},
        {"match": "9715000004", "action": "answer", "answer_after_ms": 0,
         "media": "record,expect=600"},
        {"match": "9715000005", "action": "answer", "answer_after_ms": 0,
         "media": "silence,expect=2000"}]})
    check(st == 201, "rules set")

    # Echo, digits both ways, junk mid-call.
    c = Call(sim, token, simpeer, "9715000001",
             ["-f", "440", "-d", "123#", "-j", "-s", "4"])
    mid = {}
    later(1.0, lambda: mid.update(dtmf=sim.http(
        "POST", "/_sim/calls/%d/dtmf" % c.id, {"digits": "47*"})[0]))
    # A re-offer mid-call (same ICE and DTLS, new version): answered by
    # the endpoint without disturbing the transport.
    reoffer = c.offer.replace(" 1 IN IP4", " 2 IN IP4", 1)
    later(1.5, lambda: mid.update(update=sim.http(
        "PUT", c.url + "/update", {"wrtcsOffer": {"sdp": reoffer}},
        token=token)[0]))
    later(3.2, lambda: mid.update(stats=c.stats()))
    res = c.finish()
    print("peer:", json.dumps(res))
    print("kandysim:", json.dumps(mid.get("stats")))
    m = mid.get("stats") or {}
    check(res.get("ready") is True, "echo: ICE and DTLS-SRTP up")
    check(abs(res.get("rx_tone", {}).get("hz", 0) - 440) <= 5 and
          res["rx_tone"]["power"] > 0.01,
          "echo: the peer hears its 440 Hz back (%s)" % res.get("rx_tone"))
    check(res.get("echo_exact", 0) >= 100,
          "echo: %s frames came back byte for byte" % res.get("echo_exact"))
    check(res.get("junk_sent", 0) > 0, "echo: junk thrown at kandysim")
    # 200 frames sent, less the digits' and ICE/DTLS set-up's share: about
    # 152 on an idle machine, a few fewer on a loaded one.
    check(res.get("rx_audio", 0) >= 130,
          "echo: audio kept flowing, %s frames in 4 s" % res.get("rx_audio"))
    check(mid.get("dtmf") == 204, "echo: dtmf command accepted")
    check(res.get("digits_rx") == "47*",
          "echo: kandysim's digits reach the peer (%r)" %
          res.get("digits_rx"))
    check(m.get("endpoint") == "webrtc" and m.get("ready") is True,
          "echo: /_sim/calls shows a ready webrtc endpoint")
    check(m.get("digits_received") == "123#",
          "echo: the peer's digits in /_sim/calls (%r)" %
          m.get("digits_received"))
    check(abs(m.get("rx_tone", {}).get("hz", 0) - 440) <= 5 and
          m.get("matched") is True,
          "echo: kandysim detects 440 Hz and reports matched")
    check(m.get("packets_in", 0) >= 100 and m.get("packets_out", 0) >= 100
          and m.get("bytes_in", 0) > 10000 and m.get("bytes_out", 0) > 10000,
          "echo: packet and byte counters both ways")
    check(m.get("lost") == 0 and m.get("auth_fail") == 0,
          "echo: no loss, no SRTP failures despite the junk")
    check(m.get("rtcp_sent", 0) >= 1,
          "echo: kandysim sent RTCP (%s)" % m.get("rtcp_sent"))
    check(mid.get("update") == 204 and m.get("state") == "ready",
          "echo: a re-offer at 1.5 s answered, media still up at 3.2 s")

    # A-law first in the offer: kandysim answers PCMA and echoes it.
    c = Call(sim, token, simpeer, "9715000001", ["-A", "-f", "700", "-s",
                                                  "2"])
    res = c.finish()
    check(c.answer.split("m=audio", 1)[-1].split("\r\n")[0].split()[2]
          == "8" and res.get("codec") == "PCMA" and
          abs(res.get("rx_tone", {}).get("hz", 0) - 700) <= 5 and
          res.get("echo_exact", 0) >= 50,
          "echo: A-law offered first, answered and echoed in PCMA (%s, %s "
          "frames)" % (res.get("codec"), res.get("echo_exact")))

    # Tone modes: default 1000 Hz, and a per-rule frequency.
    for number, hz in (("9715000002", 1000), ("9715000003", 1700)):
        c = Call(sim, token, simpeer, number, ["-s", "2"])
        res = c.finish()
        print("peer:", json.dumps(res))
        check(res.get("ready") is True and
              abs(res.get("rx_tone", {}).get("hz", 0) - hz) <= 5 and
              res["rx_tone"]["power"] > 0.01,
              "tone: the peer hears %d Hz (%s)" % (hz, res.get("rx_tone")))
        check(res.get("echo_exact") == 0 and res.get("tx_audio", 0) > 0,
              "tone: kandysim does not echo in tone mode")

    # Record: the peer's 600 Hz in the recording.
    c = Call(sim, token, simpeer, "9715000004", ["-f", "600", "-s", "2"])
    res = c.finish()
    m = c.stats()
    st, r = sim.http("GET", "/_sim/calls/%d/recording" % c.id)
    pcm = base64.b64decode(r.get("pcm_base64", "")) if st == 200 else b""
    x = struct.unpack("<%dh" % (len(pcm) // 2), pcm[:len(pcm) // 2 * 2])
    check(st == 200 and r.get("rate") == 8000 and len(x) >= 8000,
          "record: %d samples fetched" % len(x))
    if len(x) >= 8000:
        seg = x[-4000:]
        p600, p1000 = goertzel(seg, 600), goertzel(seg, 1000)
        check(p600 > 0.01 and p600 > 100 * p1000,
              "record: the recording holds 600 Hz (%.4f vs %.6f at 1 kHz)"
              % (p600, p1000))
    check(m.get("matched") is True, "record: matched 600 Hz")
    check(m.get("state") == "closed" and m.get("packets_in", 0) >= 50,
          "record: after the hang-up the leg is closed, counters kept "
          "(%s, %s packets in)" % (m.get("state"), m.get("packets_in")))
    st, _ = sim.http("GET", "/_sim/calls/%d/recording" % 99999)
    check(st == 404, "recording of an unknown call: 404")

    # Silence, and an expectation the audio does not meet.
    c = Call(sim, token, simpeer, "9715000005", ["-f", "440", "-s", "2"])
    res = c.finish()
    m = c.stats()
    check(res.get("ready") is True and res.get("rx_audio", 0) >= 50 and
          res.get("rx_tone", {}).get("energy", 1) < 1e-6,
          "silence: the peer gets packets of silence (%s frames, energy %s)"
          % (res.get("rx_audio"), res.get("rx_tone", {}).get("energy")))
    check(m.get("matched") is False and
          abs(m.get("rx_tone", {}).get("hz", 0) - 440) <= 5,
          "silence: 440 Hz heard where 2000 Hz was expected: not matched")

    incoming(sim, token, simpeer)


def incoming(sim, token, simpeer):
    """kandysim offers (/_sim/incoming): the peer answers and hears the
    tone; its digits and tone reach kandysim."""
    base = "/cpaas/%s/v1/alice/%s"
    st, r = sim.http("POST", base % ("notificationchannel", "channels"),
                     {"notificationChannel": {
                         "channelType": "Websockets",
                         "clientCorrelator": "m"}}, token=token)
    nc = r["notificationChannel"]
    st, r = sim.http("POST", base % ("webrtcsignaling", "subscriptions"),
                     {"wrtcsNotificationSubscription": {
                         "callbackReference": {
                             "notifyURL": nc["callbackURL"]},
                         "clientCorrelator": "m"}}, token=token)
    check(st == 201, "incoming: alice subscribed")
    st, r = sim.http("POST", "/_sim/incoming", {
        "from": "+971501234567", "to": "alice",
        "media": "tone:800,expect=300"})
    check(st == 201, "incoming: call placed")
    cid, sid = r["call_id"], r["session"]
    url = base % ("webrtcsignaling", "sessions/" + sid)
    st, r = sim.http("GET", url, token=token)
    offer = r["wrtcsSession"]["offer"]["sdp"]
    check("a=setup:actpass" in offer and "a=candidate" in offer,
          "incoming: kandysim's offer is actpass with candidates")
    peer = subprocess.Popen([simpeer, "-a", "-f", "300", "-d", "5", "-s",
                             "2"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    peer.stdin.write(json.dumps({"sdp": offer}) + "\n")
    peer.stdin.flush()
    answer = json.loads(peer.stdout.readline())["sdp"]
    st, _ = sim.http("PUT", url + "/answer",
                     {"wrtcsAnswer": {"sdp": answer}}, token=token)
    check(st == 204, "incoming: answered")
    mid = {}
    later(1.8, lambda: mid.update(stats=sim.http(
        "GET", "/_sim/calls/%d" % cid)[1]["media"]))
    out = peer.stdout.readline()
    peer.wait(timeout=30)
    res = json.loads(out) if out else {}
    m = mid.get("stats") or {}
    print("peer:", json.dumps(res))
    print("kandysim:", json.dumps(m))
    check(res.get("ready") is True and
          abs(res.get("rx_tone", {}).get("hz", 0) - 800) <= 5,
          "incoming: the peer hears kandysim's 800 Hz (%s)" %
          res.get("rx_tone"))
    check(m.get("matched") is True and m.get("digits_received") == "5",
          "incoming: kandysim hears the peer's 300 Hz and digit 5")
    sim.http("DELETE", "/_sim/calls/%d" % cid)


if __name__ == "__main__":
    sys.exit(main())
