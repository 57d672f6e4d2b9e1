#!/usr/bin/python3
"""A known sample through the whole bridge, both ways, compared by
normalised cross-correlation (> 0.95 at the best offset):

- the PBX (pbx.py) calls a number that kandysim answers in
  "play:speech" mode; the audio the PBX receives, decoded and placed by
  RTP timestamp, correlates with the speech-like sample (tones, a
  two-tone, chirps, silent gaps) uploaded to kandysim;
- the PBX calls a "record" number and plays the sample; kandysim's
  recording of what reached it correlates with the sample.

usage: test_sample.py BUILD"""

import audioop
import base64
import os
import random
import struct
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "kandysim"))

from audiocorr import best_ncc, pcm_bytes, speech_like  # noqa: E402
from bridge import Bridge                           # noqa: E402
from pbx import PTIME, RATE, Pbx, Rtp, sdp_media   # noqa: E402
from siptest import status                          # noqa: E402
from test_e2e import Fail, check, establish, kandy_ready  # noqa: E402


class Recorder(Rtp):
    """Rtp that also keeps each packet's timestamp, so the received audio
    can be laid out in time, gaps silent."""

    def __init__(self):
        self.timed = []             # (pt, ts, payload)
        super().__init__()

    def _rx(self):
        self.s.settimeout(0.2)
        while not self.stop:
            try:
                data, _ = self.s.recvfrom(2048)
            except OSError:
                if self.stop:
                    return
                continue
            if len(data) >= 12 and data[0] >> 6 == 2:
                cc = data[0] & 0x0f
                ts = struct.unpack("!I", data[4:8])[0]
                self.timed.append((data[1] & 0x7f, ts,
                                   data[12 + 4 * cc:]))

    def audio(self):
        out, ts0 = [], None
        for pt, ts, payload in list(self.timed):
            if pt not in (0, 8):
                continue
            lin = audioop.ulaw2lin(payload, 2) if pt == 0 else \
                audioop.alaw2lin(payload, 2)
            x = struct.unpack("<%dh" % len(payload), lin)
            if ts0 is None:
                ts0 = ts
            pos = (ts - ts0) & 0xffffffff
            if pos > RATE * 60:
                continue
            if len(out) < pos + len(x):
                out += [0] * (pos + len(x) - len(out))
            out[pos:pos + len(x)] = x
        return out


def send_pcm(rtp, pcm, pt=0):
    """pcm as G.711 at 20 ms intervals, on one RTP stream."""
    n = RATE * PTIME // 1000
    ssrc, seq = random.getrandbits(32), random.getrandbits(16)
    ts = random.getrandbits(32)
    start = time.time()
    for i in range(len(pcm) // n):
        lin = pcm_bytes(pcm[i * n:(i + 1) * n])
        payload = audioop.lin2ulaw(lin, 2) if pt == 0 else \
            audioop.lin2alaw(lin, 2)
        hdr = struct.pack("!BBHII", 0x80, pt | (0x80 if i == 0 else 0),
                          (seq + i) & 0xffff, (ts + i * n) & 0xffffffff,
                          ssrc)
        rtp.s.sendto(hdr + payload, rtp.remote)
        delay = start + (i + 1) * PTIME / 1000.0 - time.time()
        if delay > 0:
            time.sleep(delay)


def sim_call(b, mode):
    """kandysim's connected call in the given media mode."""
    st, r = b.sim.http("GET", "/_sim/calls")
    for c in r.get("calls", []):
        if c.get("media_mode") == mode and c.get("state") == "connected":
            return c
    return None


def test_play_to_pbx(b, sample):
    st, r = b.sim.http("POST", "/_sim/rules", {
        "match": "971501238801", "action": "answer", "answer_after_ms": 200,
        "media": "play:speech"})
    check(st in (200, 201), "kandysim rule: %s %r" % (st, r))
    pbx = Pbx(b.sip_port)
    check(status(pbx.register()) == 200, "REGISTER failed")
    rec = Recorder()
    try:
        r, seen = pbx.invite("0501238801", rec)
        check(r is not None and status(r) == 200, "INVITE: %r (saw %r)" %
              (r and r.split("\r\n")[0], seen))
        media = sdp_media(r)
        check(media is not None, "no SDP in 200")
        pbx.ack()
        rec.remote = (media[0], media[1])
        # The PBX talks too (silence): the bridge may wait for its RTP.
        send_pcm(rec, [0] * (RATE * 5))
        x = rec.audio()
        c = sim_call(b, "play:speech") or {}
        m = c.get("media", {})
        ncc, off = best_ncc(sample, x[RATE // 2:])
        print("    PBX heard %d samples (%d packets); ncc %.4f at %d; "
              "kandysim sample %s, %s loops, %s packets out" % (
                  len(x), len(rec.timed), ncc, off, m.get("sample"),
                  m.get("loops"), m.get("audio_out")))
        check(len(x) >= 2 * len(sample) + RATE // 2,
              "the PBX heard only %d samples" % len(x))
        check(m.get("sample") == "speech" and m.get("loops", 0) >= 2,
              "kandysim's call does not show the sample looping: %r" % m)
        check(ncc > 0.95, "what the PBX heard does not correlate with the "
              "sample: %.4f" % ncc)
        pbx.bye()
    finally:
        rec.close()


def test_pbx_to_record(b, sample):
    pbx, rtp = establish(b, "0501238802", {
        "match": "971501238802", "action": "answer", "answer_after_ms": 200,
        "media": "record"})
    try:
        send_pcm(rtp, [0] * (RATE // 2) + sample + sample + [0] * RATE)
        c = sim_call(b, "record")
        check(c is not None, "no connected record call at kandysim")
        st, r = b.sim.http("GET", "/_sim/calls/%d/recording" % c["id"])
        check(st == 200, "recording: %s %r" % (st, r))
        pcm = base64.b64decode(r.get("pcm_base64", ""))
        x = list(struct.unpack("<%dh" % (len(pcm) // 2),
                               pcm[:len(pcm) // 2 * 2]))
        ncc, off = best_ncc(sample, x)
        print("    kandysim recorded %d samples; ncc %.4f at %d" % (
            len(x), ncc, off))
        check(len(x) >= 2 * len(sample),
              "kandysim recorded only %d samples" % len(x))
        check(ncc > 0.95, "kandysim's recording does not correlate with "
              "the sample: %.4f" % ncc)
        pbx.bye()
    finally:
        rtp.close()


TESTS = [test_play_to_pbx, test_pbx_to_record]


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root")
        return 77
    build = sys.argv[1]
    sample = speech_like()
    passed = failed = 0
    for t in TESTS:
        b = Bridge(build)
        try:
            b.wait_for("children running", b.running, 15)
            b.wait_for("kandyd connected to Kandy", lambda: kandy_ready(b),
                       20)
            st, r = b.sim.http("POST", "/_sim/samples", {
                "name": "speech", "format": "s16le", "rate": RATE,
                "pcm_base64": base64.b64encode(pcm_bytes(sample)).decode()})
            check(st == 201, "sample upload: %s %r" % (st, r))
            t(b, sample)
            print("ok  %s" % t.__name__)
            passed += 1
        except Exception as e:
            failed += 1
            print("FAIL %s: %s" % (t.__name__, e))
            if not isinstance(e, Fail):
                traceback.print_exc()
            with open(b.log, errors="replace") as f:
                print("--- bridged log (tail):\n" + "".join(
                    f.readlines()[-40:]))
        finally:
            b.stop()
            if not failed:
                b.cleanup()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
