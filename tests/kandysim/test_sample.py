#!/usr/bin/python3
"""kandysim's play mode: samples from WAV files (-S dir) and from the
control API (POST /_sim/samples), played looped to a WebRTC peer.

- a speech-like sample (tones, a two-tone, chirps, silent gaps) made here
  and uploaded; simpeer calls a "play:speech" number, records what it
  hears, and the recording correlates with the sample (normalised
  cross-correlation > 0.95 at the best offset), in PCMU and in PCMA;
  /_sim/calls shows the sample and at least one loop;
- a WAV file loaded with -S is played the same way;
- /_sim/incoming with "play:speech": the answering peer hears it;
- bad uploads and bad WAV files are refused with a reason: kandysim
  with a broken WAV in its -S directory exits with the file and the
  reason on stderr.

Usage: test_sample.py path/to/kandysim path/to/simpeer"""

import base64
import json
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from audiocorr import best_ncc, pcm_bytes, speech_like, wav_bytes  # noqa
from simharness import start_kandysim  # noqa: E402
from test_media import Call  # noqa: E402
import test_media  # noqa: E402

failures = test_media.failures
check = test_media.check


def heard(path):
    with open(path, "rb") as f:
        b = f.read()
    return list(struct.unpack("<%dh" % (len(b) // 2), b[:len(b) // 2 * 2]))


def upload(sim, name, pcm, **extra):
    body = {"name": name, "format": "s16le", "rate": 8000,
            "pcm_base64": base64.b64encode(pcm).decode()}
    body.update(extra)
    return sim.http("POST", "/_sim/samples", body)


def main():
    binary, simpeer = sys.argv[1], sys.argv[2]
    tdir = tempfile.mkdtemp(prefix="kandysim-sample-")
    sdir = os.path.join(tdir, "samples")
    os.mkdir(sdir)
    # A WAV file for -S: a 1.2 s piece of the speech-like sample, reversed.
    wav = list(reversed(speech_like(0.3)[:9600]))
    with open(os.path.join(sdir, "wavpiece.wav"), "wb") as f:
        f.write(wav_bytes(wav))
    with open(os.path.join(sdir, "notes.txt"), "w") as f:
        f.write("not a sample\n")
    bad_wavs(binary, tdir)
    sim, proc, logpath = start_kandysim(binary, "sample-secret",
                                        "kandy.test", args=("-S", sdir))
    try:
        run(sim, simpeer, tdir, wav)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    if failures:
        print("kandysim log: " + logpath)
        with open(logpath) as f:
            sys.stdout.write(f.read()[-4000:])
    return 1 if failures else 0


def bad_wavs(binary, tdir):
    """Broken WAV files in -S: kandysim refuses to start, saying why."""
    good = wav_bytes([0] * 800)
    cases = {
        "rate": (wav_bytes([0] * 800, rate=16000), "8 kHz mono"),
        "stereo": (wav_bytes([0] * 800, channels=2), "8 kHz mono"),
        "float": (wav_bytes([0] * 800, fmt=3), "8 kHz mono"),
        "long": (good[:40] + struct.pack("<I", 10 ** 6) + good[44:],
                 "runs past the end"),
        "odd": (good[:40] + struct.pack("<I", 1599) + good[44:],
                "odd data length"),
        "short": (wav_bytes([0] * 100), "must be 160"),
        "riff": (b"RIFX" + good[4:], "not a RIFF/WAVE"),
        "trunc": (good[:30], "short fmt chunk"),
        "nodata": (good[:36], "no data chunk"),
    }
    for name, (data, why) in cases.items():
        d = os.path.join(tdir, "bad-" + name)
        os.mkdir(d)
        with open(os.path.join(d, name + ".wav"), "wb") as f:
            f.write(data)
        r = subprocess.run([binary, "-d", "-l", "127.0.0.1:0", "-S", d,
                            "-c", "/nonexistent", "-k", "/nonexistent"],
                           capture_output=True, text=True, timeout=10)
        check(r.returncode != 0 and r.returncode < 128 and why in r.stderr
              and name + ".wav" in r.stderr,
              "-S with a bad WAV (%s): refused, %r" %
              (name, r.stderr.strip()[-120:]))


def run(sim, simpeer, tdir, wav):
    sample = speech_like()
    st, r = upload(sim, "speech", pcm_bytes(sample))
    check(st == 201 and r.get("samples") == len(sample),
          "speech sample uploaded (%s %r)" % (st, r))
    st, r = sim.http("GET", "/_sim/samples")
    names = {s["name"]: s for s in r.get("samples", [])}
    check(st == 200 and names.get("speech", {}).get("samples") ==
          len(sample) and names.get("wavpiece", {}).get("samples") ==
          len(wav) and "notes" not in names,
          "/_sim/samples lists the upload and the -S file (%r)" % r)

    # Refused uploads.
    for what, args, kw in (
            ("odd byte count", ("x", b"\0" * 321), {}),
            ("too short", ("x", b"\0" * 200), {}),
            ("bad name", ("a/b", b"\0" * 400), {}),
            ("long name", ("n" * 33, b"\0" * 400), {}),
            ("wrong rate", ("x", b"\0" * 400), {"rate": 16000}),
            ("wrong format", ("x", b"\0" * 400), {"format": "u8"})):
        st, r = upload(sim, *args, **kw)
        check(st == 400 and r.get("error"),
              "upload refused: %s (%s %r)" % (what, st, r))
    st, r = sim.http("POST", "/_sim/samples",
                     {"name": "x", "pcm_base64": "!!!!"})
    check(st == 400, "upload refused: bad base64 (%s %r)" % (st, r))
    st, r = sim.http("POST", "/_sim/samples", {"name": "x"})
    check(st == 400, "upload refused: no audio (%s)" % st)
    for i in range(40):
        st, r = upload(sim, "fill%d" % i, b"\0" * 320)
        if st != 201:
            break
    check(st == 400 and "too many" in r.get("error", ""),
          "the 33rd sample is refused (%s %r)" % (st, r))
    for i in range(40):
        sim.http("DELETE", "/_sim/samples/fill%d" % i)
    st, _ = sim.http("DELETE", "/_sim/samples/fill0")
    check(st == 404, "deleting a missing sample: 404")

    st, _ = sim.http("POST", "/_sim/rules", {"rules": [
        {"match": "9715000031", "action": "answer", "answer_after_ms": 0,
         "media": "play:speech,expect=440"},
        {"match": "9715000032", "action": "answer", "answer_after_ms": 0,
         "media": "play:wavpiece"},
        {"match": "9715000033", "action": "answer", "answer_after_ms": 0,
         "media": "play:nosuchsample"}]})
    check(st == 201, "rules set")
    st, tok = sim.http("POST", "/cpaas/auth/v1/token",
                       form="client_id=t&username=alice&password=alicepw"
                       "&grant_type=password")
    token = tok["access_token"]

    for number, name, ref, law, label in (
            ("9715000031", "speech", sample, [], "speech, PCMU"),
            ("9715000031", "speech", sample, ["-A"], "speech, PCMA"),
            ("9715000032", "wavpiece", wav, [], "WAV file from -S")):
        rec = os.path.join(tdir, "heard-%s-%d.raw" % (number, len(law)))
        c = Call(sim, token, simpeer, number,
                 law + ["-f", "440", "-r", rec, "-s", "5"])
        res = c.finish()
        m = c.stats()
        x = heard(rec)
        ncc, off = best_ncc(ref, x[800:])
        print("%s: %d samples heard, ncc %.4f at %d; kandysim %s" % (
            label, len(x), ncc, off, json.dumps(
                {k: m.get(k) for k in ("sample", "loops", "codec",
                                       "audio_out", "matched")})))
        check(res.get("ready") is True and len(x) >= 2 * len(ref),
              "%s: the peer heard %d samples" % (label, len(x)))
        check(ncc > 0.95, "%s: what the peer heard correlates with the "
              "sample (%.4f)" % (label, ncc))
        check(m.get("sample") == name and m.get("loops", 0) >= 2
              and m.get("sample_found") is True,
              "%s: /_sim/calls shows the sample and %s loops" %
              (label, m.get("loops")))
        check(res.get("codec") == ("PCMA" if law else "PCMU") and
              m.get("codec") == res.get("codec"),
              "%s: sent in the negotiated %s" % (label, res.get("codec")))
        if number == "9715000031":
            check(m.get("matched") is True,
                  "%s: kandysim heard the peer's 440 Hz" % label)

    # Replacing a sample mid-call leaves the call with the old one.
    c = Call(sim, token, simpeer, "9715000031",
             ["-r", os.path.join(tdir, "replace.raw"), "-s", "5"])
    st, _ = upload(sim, "speech", pcm_bytes([0] * 1600))
    res = c.finish()
    x = heard(os.path.join(tdir, "replace.raw"))
    ncc, _ = best_ncc(sample, x[800:])
    print("replaced: %d samples heard, ncc %.4f" % (len(x), ncc))
    check(st == 201 and ncc > 0.95,
          "a sample replaced mid-call: the call keeps playing the old one "
          "(%.4f)" % ncc)
    upload(sim, "speech", pcm_bytes(sample))

    # An unknown sample: silence, and said so.
    c = Call(sim, token, simpeer, "9715000033", ["-s", "2"])
    res = c.finish()
    m = c.stats()
    check(res.get("ready") is True and res.get("rx_audio", 0) > 20 and
          res.get("rx_tone", {}).get("energy", 1) < 1e-6 and
          m.get("sample_found") is False,
          "unknown sample: the call gets silence, sample_found false")

    incoming(sim, token, simpeer, tdir, sample)


def incoming(sim, token, simpeer, tdir, sample):
    """/_sim/incoming with play:speech: the answering peer hears it."""
    base = "/cpaas/%s/v1/alice/%s"
    st, r = sim.http("POST", base % ("notificationchannel", "channels"),
                     {"notificationChannel": {
                         "channelType": "Websockets",
                         "clientCorrelator": "s"}}, token=token)
    nc = r["notificationChannel"]
    sim.http("POST", base % ("webrtcsignaling", "subscriptions"),
             {"wrtcsNotificationSubscription": {
                 "callbackReference": {"notifyURL": nc["callbackURL"]},
                 "clientCorrelator": "s"}}, token=token)
    st, r = sim.http("POST", "/_sim/incoming", {
        "from": "+971501234567", "to": "alice", "media": "play:speech"})
    check(st == 201, "incoming: call placed (%s %r)" % (st, r))
    if st != 201:
        return
    cid, sid = r["call_id"], r["session"]
    url = base % ("webrtcsignaling", "sessions/" + sid)
    st, r = sim.http("GET", url, token=token)
    offer = r["wrtcsSession"]["offer"]["sdp"]
    rec = os.path.join(tdir, "incoming.raw")
    peer = subprocess.Popen([simpeer, "-a", "-r", rec, "-s", "4"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    peer.stdin.write(json.dumps({"sdp": offer}) + "\n")
    peer.stdin.flush()
    answer = json.loads(peer.stdout.readline())["sdp"]
    st, _ = sim.http("PUT", url + "/answer",
                     {"wrtcsAnswer": {"sdp": answer}}, token=token)
    out = peer.stdout.readline()
    peer.wait(timeout=30)
    res = json.loads(out) if out else {}
    m = sim.http("GET", "/_sim/calls/%d" % cid)[1].get("media", {})
    ncc, _ = best_ncc(sample, heard(rec)[800:])
    check(st == 204 and res.get("ready") is True and ncc > 0.95,
          "incoming: the answering peer hears the sample (%.4f)" % ncc)
    check(m.get("sample") == "speech" and m.get("loops", 0) >= 1,
          "incoming: /_sim/calls shows the sample and %s loops" %
          m.get("loops"))
    sim.http("DELETE", "/_sim/calls/%d" % cid)


if __name__ == "__main__":
    sys.exit(main())
