#!/usr/bin/python3
"""3CX played by SIPp through the whole bridge: an INVITE with 3CX's
headers (rinstance Contact, Supported: replaces, timer, PCMA first,
telephone-event 101) to a number kandysim answers in record mode; SIPp
plays a real G.711 A-law recording and an RFC 4733 digit from Debian's
sip-tester pcap files, then hangs up.  What reached Kandy must correlate
with the recording (> 0.9 at the best offset), the digit must arrive
once, and the call must be gone from bridgectl afterwards.

usage: test_sipp.py BUILD"""

import audioop
import base64
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "kandysim"))

import test_e2e                                     # noqa: E402
from test_e2e import Fail, check                    # noqa: E402
from audiocorr import best_ncc                      # noqa: E402
from siptest import free_port                       # noqa: E402

PCAPS = "/usr/share/sip-tester"
RATE = 8000


def pcap_alaw(path):
    """The A-law RTP payloads of a pcap file (Ethernet, IPv4, UDP),
    decoded and laid out by RTP timestamp."""
    with open(path, "rb") as f:
        d = f.read()
    check(struct.unpack("<I", d[:4])[0] == 0xa1b2c3d4, "not a pcap: " + path)
    off, out, ts0 = 24, [], None
    while off + 16 <= len(d):
        incl = struct.unpack("<I", d[off + 8:off + 12])[0]
        rtp = d[off + 16 + 42:off + 16 + incl]
        off += 16 + incl
        if len(rtp) < 12 or rtp[1] & 0x7f != 8:
            continue
        ts = struct.unpack("!I", rtp[4:8])[0]
        ts0 = ts if ts0 is None else ts0
        x = struct.unpack("<%dh" % (len(rtp) - 12),
                          audioop.alaw2lin(rtp[12:], 2))
        pos = (ts - ts0) & 0xffffffff
        out += [0] * max(0, pos + len(x) - len(out))
        out[pos:pos + len(x)] = x
    return out


def test_sipp_3cx_call(b):
    sipp = shutil.which("sipp")
    check(sipp is not None, "sipp (Debian sip-tester) is not installed")
    audio = os.path.join(PCAPS, "g711a.pcap")
    digit = os.path.join(PCAPS, "dtmf_2833_5.pcap")
    st, r = b.sim.http("POST", "/_sim/rules", {
        "match": "971501237001", "action": "answer", "answer_after_ms": 300,
        "media": "record"})
    check(st in (200, 201), "kandysim rule: %s %r" % (st, r))
    work = tempfile.mkdtemp(prefix="sipp-e2e-")
    try:
        with open(os.path.join(HERE, "sipp_3cx_call.xml")) as f:
            xml = f.read().replace("@AUDIO_PCAP@", audio).replace(
                "@DIGIT_PCAP@", digit)
        scen = os.path.join(work, "call.xml")
        with open(scen, "w") as f:
            f.write(xml)
        cmd = [sipp, "127.0.0.1:%d" % b.sip_port, "-sf", scen, "-s",
               "0501237001", "-m", "1", "-i", "127.0.0.1", "-p",
               str(free_port()), "-mi", "127.0.0.1", "-mp",
               str(free_port()), "-t", "u1", "-nostdin", "-trace_err",
               "-timeout", "40"]
        p = subprocess.run(cmd, cwd=work, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=60)
        if p.returncode != 0:
            for name in os.listdir(work):
                if name.endswith(".log"):
                    with open(os.path.join(work, name),
                              errors="replace") as f:
                        print(f.read()[-2000:])
        check(p.returncode == 0, "SIPp's call failed (exit %d): %s" % (
            p.returncode, p.stderr.decode(errors="replace")[-500:]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    st, r = b.sim.http("GET", "/_sim/calls")
    calls = [c for c in r.get("calls", []) if c.get("media_mode") == "record"]
    check(len(calls) == 1, "kandysim's record calls: %r" % calls)
    c = calls[0]
    check(c.get("state") == "ended", "Kandy's call not ended: %r" %
          c.get("state"))
    m = c.get("media", {})
    print("    kandysim: %s audio packets in, digits %r" % (
        m.get("audio_in"), m.get("digits_received")))
    check(m.get("digits_received") == "5", "digits at Kandy: %r" %
          m.get("digits_received"))
    st, r = b.sim.http("GET", "/_sim/calls/%d/recording" % c["id"])
    check(st == 200, "recording: %s %r" % (st, r))
    pcm = base64.b64decode(r.get("pcm_base64", ""))
    got = list(struct.unpack("<%dh" % (len(pcm) // 2),
                             pcm[:len(pcm) // 2 * 2]))
    sent = pcap_alaw(audio)
    # Two seconds from the middle of the recording must be found whole.
    piece = sent[len(sent) // 2 - RATE:len(sent) // 2 + RATE]
    ncc, off = best_ncc(piece, got)
    print("    %d samples sent, %d recorded at Kandy; ncc %.4f at %d" % (
        len(sent), len(got), ncc, off))
    check(len(got) >= len(sent) * 0.9, "Kandy recorded only %d samples"
          % len(got))
    check(ncc > 0.9, "what reached Kandy does not correlate with what "
          "SIPp played: %.4f" % ncc)
    rc, out = b.ctl("show", "calls")
    check(not re.search(r"0501237001", out), "call still listed:\n" + out)


TESTS = [test_sipp_3cx_call]


if __name__ == "__main__":
    sys.exit(test_e2e.main([({}, [t]) for t in TESTS]))
