#!/usr/bin/python3
"""SDES-SRTP toward the PBX through the whole bridge: this script plays 3CX
offering RTP/SAVP with a=crypto keys and speaks SRTP itself (RFC 3711
AES-CM and HMAC-SHA1, written here on the `cryptography` module, so the
bridge's libsrtp is checked against an independent implementation).  A
tone sent through Kandy's echo must come back intact, every packet from the
bridge must authenticate, plain RTP must not be taken, and a re-INVITE
with a new key must keep the audio going.  With `srtp require` a plain
offer gets 488, and on a call from Kandy the bridge offers RTP/SAVP with
its key: the PBX answers with its own and both tones arrive.

usage: test_srtp.py BUILD"""

import base64
import hashlib
import hmac
import os
import re
import socket
import struct
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from bridge import Bridge                           # noqa: E402
import pbx as pbxmod                                # noqa: E402
from pbx import Pbx, Rtp, goertzel                  # noqa: E402
from siptest import header, reply, status           # noqa: E402
from test_e2e import Fail, check, echo_ok, kandy_ready  # noqa: E402

try:
    from cryptography.hazmat.primitives.ciphers import (Cipher, algorithms,
                                                        modes)
except ImportError:
    Cipher = None

SUITES = {"AES_CM_128_HMAC_SHA1_80": 10, "AES_CM_128_HMAC_SHA1_32": 4}


def aes_cm(key, iv, n):
    """n bytes of AES-128 counter-mode keystream from a 16-byte IV."""
    enc = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
    return enc.update(b"\0" * n) + enc.finalize()


class SrtpContext:
    """One direction of SRTP (RFC 3711), key derivation rate 0, one
    SSRC at a time: enough for a test call."""

    def __init__(self, master, suite):
        key, salt = master[:16], master[16:30]
        self.taglen = SUITES[suite]

        def derive(label, n):
            x = int.from_bytes(salt, "big") ^ (label << 48)
            return aes_cm(key, (x << 16).to_bytes(16, "big"), n)
        self.k_e = derive(0, 16)
        self.k_a = derive(1, 20)
        self.k_s = int.from_bytes(derive(2, 14), "big")
        self.roc = 0
        self.last_seq = None
        self.seen = set()

    def _iv(self, ssrc, index):
        x = (self.k_s << 16) ^ (ssrc << 64) ^ (index << 16)
        return (x & ((1 << 128) - 1)).to_bytes(16, "big")

    @staticmethod
    def _hdrlen(pkt):
        n = 12 + 4 * (pkt[0] & 0x0f)
        if pkt[0] & 0x10:
            n += 4 + 4 * struct.unpack("!H", pkt[n + 2:n + 4])[0]
        return n

    def _tag(self, data, roc):
        return hmac.new(self.k_a, data + struct.pack("!I", roc),
                        hashlib.sha1).digest()[:self.taglen]

    def _xor(self, pkt, hl, index):
        ssrc = struct.unpack("!I", pkt[8:12])[0]
        ks = aes_cm(self.k_e, self._iv(ssrc, index), len(pkt) - hl)
        return pkt[:hl] + bytes(a ^ b for a, b in zip(pkt[hl:], ks))

    def protect(self, pkt):
        seq = struct.unpack("!H", pkt[2:4])[0]
        if self.last_seq is not None and seq < self.last_seq and \
                self.last_seq - seq > 0x8000:
            self.roc += 1
        self.last_seq = seq
        out = self._xor(pkt, self._hdrlen(pkt), (self.roc << 16) | seq)
        return out + self._tag(out, self.roc)

    def unprotect(self, pkt):
        """The plain packet, or None if it does not authenticate or is a
        replay.  The rollover counter is guessed from the last sequence
        number, as RFC 3711 section 3.3.1 does."""
        if len(pkt) < 12 + self.taglen:
            return None
        body, tag = pkt[:-self.taglen], pkt[-self.taglen:]
        seq = struct.unpack("!H", body[2:4])[0]
        roc = self.roc
        if self.last_seq is not None:
            if self.last_seq < 0x8000 and seq - self.last_seq > 0x8000:
                roc -= 1
            elif self.last_seq >= 0x8000 and self.last_seq - seq > 0x8000:
                roc += 1
        if not hmac.compare_digest(self._tag(body, roc), tag):
            return None
        index = (roc << 16) | seq
        if index in self.seen:
            return None
        self.seen.add(index)
        if self.last_seq is None or roc > self.roc or \
                (roc == self.roc and seq > self.last_seq):
            self.roc, self.last_seq = roc, seq
        return self._xor(body, self._hdrlen(body), index)


class SrtpSocket:
    """Stands in for Rtp's UDP socket: protects what Rtp sends, hands Rtp
    only what authenticates, and counts what did not."""

    def __init__(self, sock):
        self.sock = sock
        self.tx = self.rx = None
        self.good = self.bad = 0

    def sendto(self, data, addr):
        return self.sock.sendto(self.tx.protect(data), addr)

    def recvfrom(self, n):
        data, addr = self.sock.recvfrom(n)
        plain = self.rx.unprotect(data) if self.rx else None
        if plain is None:
            self.bad += 1
            raise socket.timeout()      # Rtp's receiver just goes on
        self.good += 1
        return plain, addr

    def __getattr__(self, name):
        return getattr(self.sock, name)


def savp_offer(key, suites):
    """A 3CX offer with SRTP on: RTP/SAVP, a=crypto lines in our order."""
    def offer(port, pts="0 8 101"):
        lines = "".join("a=crypto:%d %s inline:%s\r\n" %
                        (tag, s, base64.b64encode(key).decode())
                        for tag, s in suites)
        return pbxmod_plain_offer(port, pts).replace(
            "RTP/AVP", "RTP/SAVP").replace("a=sendrecv\r\n",
                                           lines + "a=sendrecv\r\n")
    return offer


pbxmod_plain_offer = pbxmod.sdp_offer


def answer_of(r):
    """(address, port, tag, suite, key) from the bridge's SAVP SDP."""
    body = r.split("\r\n\r\n", 1)[1]
    c = re.search(r"(?m)^c=IN IP4 (\S+)\r$", body)
    m = re.search(r"(?m)^m=audio (\d+) RTP/SAVP ([\d ]+)\r$", body)
    k = re.findall(r"(?m)^a=crypto:(\d+) (\S+) inline:([A-Za-z0-9+/]{40})\r$",
                   body)
    check(c and m and len(k) == 1, "not an SRTP answer:\n" + body)
    return (c.group(1), int(m.group(1)), int(k[0][0]), k[0][1],
            base64.b64decode(k[0][2]))


def reinvite(pbx, body):
    """An in-dialog INVITE from the PBX; its ACK sent, the 200 returned."""
    pbx.c.request("INVITE", pbx.uri, [
        "Contact: <sip:3cx@127.0.0.1:%d>" % pbx.c.lport,
        "Content-Type: application/sdp"], body, to=pbx.to)
    cseq = pbx.c.cseq
    end = time.time() + 10
    while time.time() < end:
        r = pbx.c.recv(end - time.time())
        if r is None:
            break
        if status(r) >= 200 and header(r, "CSeq")[0].split() == \
                [str(cseq), "INVITE"]:
            pbx.c.request("ACK", pbx.uri, to=pbx.to, cseq=cseq)
            return r
    return None


def test_savp_echo(b):
    st, r = b.sim.http("POST", "/_sim/rules", {
        "match": "9715*", "action": "answer", "answer_after_ms": 300,
        "media": "echo"})
    check(st in (200, 201), "kandysim rule: %s %r" % (st, r))
    pbx = Pbx(b.sip_port)
    r = pbx.register()
    check(status(r) == 200, "REGISTER: %r" % r)
    rtp = Rtp()
    srtp = SrtpSocket(rtp.s)
    rtp.s = srtp
    key = os.urandom(30)
    # 32-bit tags first: the bridge must take our first usable line.
    pbxmod.sdp_offer = savp_offer(key, [
        (5, "AES_256_CM_HMAC_SHA1_80"), (6, "AES_CM_128_HMAC_SHA1_32"),
        (7, "AES_CM_128_HMAC_SHA1_80")])
    try:
        r, seen = pbx.invite("0501234567", rtp)
        check(r is not None and status(r) == 200, "INVITE: %r (saw %r)" %
              (r and r.split("\r\n")[0], seen))
        addr, port, tag, suite, theirs = answer_of(r)
        check(tag == 6 and suite == "AES_CM_128_HMAC_SHA1_32",
              "answered tag %d %s" % (tag, suite))
        check(theirs != key, "the bridge answered with our own key")
        pbx.ack()
        srtp.tx = SrtpContext(key, suite)
        srtp.rx = SrtpContext(theirs, suite)
        rtp.remote = (addr, port)
        # Audio flows once DTLS toward Kandy is done.
        b.wait_for("media ready", lambda: b.log_has(
            r"mediad: call [0-9a-f]+: ready"), 20)
        check(echo_ok(rtp), "the tone did not come back through SRTP")
        print("    %d SRTP packets authenticated, %d not" %
              (srtp.good, srtp.bad))
        check(srtp.good > 50 and srtp.bad == 0, "SRTP from the bridge: "
              "%d good, %d bad" % (srtp.good, srtp.bad))

        # Plain RTP to an SRTP leg: nothing of it may come back.
        srtp.tx = type("Plain", (), {"protect": staticmethod(
            lambda p: p)})()
        rtp.received.clear()
        rtp.send_tone(1000, 1.0)
        time.sleep(0.5)
        got = rtp.samples()
        print("    plain RTP sent: %d samples back" % len(got))
        check(goertzel(got, 1000) < 0.001, "plain RTP was relayed")

        # Re-INVITE with a new key (and the 80-bit suite): audio goes on.
        key2 = os.urandom(30)
        body = savp_offer(key2, [(9, "AES_CM_128_HMAC_SHA1_80")])(rtp.port)
        body = body.replace("o=3CXPhoneSystem 1 1", "o=3CXPhoneSystem 1 2")
        r = reinvite(pbx, body)
        check(r is not None and status(r) == 200, "re-INVITE: %r" %
              (r and r.split("\r\n")[0]))
        addr, port, tag, suite, theirs2 = answer_of(r)
        check(tag == 9 and suite == "AES_CM_128_HMAC_SHA1_80",
              "re-INVITE answered tag %d %s" % (tag, suite))
        # The bridge keeps its key: its stream goes on unbroken.
        check(theirs2 == theirs, "the bridge's key changed on re-INVITE")
        srtp.tx = SrtpContext(key2, suite)
        srtp.rx = SrtpContext(theirs2, suite)
        srtp.good = srtp.bad = 0
        rtp.remote = (addr, port)
        check(echo_ok(rtp), "no echo after the rekey")
        print("    after the rekey: %d authenticated, %d not" %
              (srtp.good, srtp.bad))
        check(srtp.good > 50, "SRTP after the rekey: %d good" % srtp.good)
        r = pbx.bye()
        check(status(r) == 200, "BYE: %r" % r)
    finally:
        pbxmod.sdp_offer = pbxmod_plain_offer
        rtp.close()


def test_plain_refused(b):
    pbx = Pbx(b.sip_port)
    check(status(pbx.register()) == 200, "REGISTER failed")
    rtp = Rtp()
    try:
        r, seen = pbx.invite("0501234567", rtp)
        check(r is not None and status(r) == 488,
              "plain offer under srtp require: %r" %
              (r and r.split("\r\n")[0]))
        pbx.ack()
    finally:
        rtp.close()


def test_inbound_savp(b):
    pbx = Pbx(b.sip_port)
    check(status(pbx.register()) == 200, "REGISTER failed")
    rtp = Rtp()
    srtp = SrtpSocket(rtp.s)
    rtp.s = srtp
    try:
        st, r = b.sim.http("POST", "/_sim/incoming", {
            "from": "+97141234567", "to": "tel:+97143001234", "user": "bridge",
            "media": "tone:697,expect=1000"})
        check(st == 201, "kandysim incoming: %s %r" % (st, r))
        r0 = r
        inv = pbx.c.recv(10)
        while inv and not inv.startswith("INVITE "):
            inv = pbx.c.recv(5)
        check(inv is not None, "no INVITE toward 3CX")
        addr, port, tag, suite, theirs = answer_of(inv)
        check(tag == 1 and suite == "AES_CM_128_HMAC_SHA1_80",
              "offered tag %d %s" % (tag, suite))
        pts = re.search(r"(?m)^m=audio \d+ RTP/SAVP (\d+)", inv).group(1)
        key = os.urandom(30)
        body = savp_offer(key, [(1, suite)])(rtp.port, "%s 101" % pts)
        contact = ["Contact: <sip:3cx@127.0.0.1:%d>" % pbx.c.lport]
        srtp.tx = SrtpContext(key, suite)
        srtp.rx = SrtpContext(theirs, suite)
        pbx.c.send(reply(inv, 200, "OK", "pbx-srtp", contact + [
            "Content-Type: application/sdp"], body))
        ack = pbx.c.recv(5)
        check(ack is not None and ack.startswith("ACK "), "no ACK: %r" % ack)
        rtp.remote = (addr, port)
        b.wait_for("media ready", lambda: len(re.findall(
            r"mediad: call [0-9a-f]+: ready", open(b.log).read())) >= 2, 20)
        rtp.received.clear()
        rtp.send_tone(1000, 3.0, pt=int(pts))
        time.sleep(0.5)
        got = rtp.samples()
        p697, p1000 = goertzel(got, 697), goertzel(got, 1000)
        print("    caller's tone over SRTP: %d samples, 697 Hz power %.4f; "
              "%d authenticated, %d not" % (len(got), p697, srtp.good,
                                            srtp.bad))
        check(len(got) >= 8000 and p697 > 0.01 and p697 > 20 * p1000,
              "3CX did not hear the caller's 697 Hz")
        check(srtp.bad == 0, "%d packets did not authenticate" % srtp.bad)
        st, r = b.sim.http("GET", "/_sim/calls")
        matched = [c for c in r.get("calls", [])
                   if c.get("media", {}).get("matched")]
        check(matched, "Kandy's side did not hear 3CX's 1000 Hz: %r" % r)
        st, _ = b.sim.http("DELETE", "/_sim/calls/%s" % r0["call_id"])
        check(st == 204, "kandysim hang-up: %s" % st)
        bye = pbx.c.recv(5)
        while bye and not bye.startswith("BYE "):
            bye = pbx.c.recv(5)
        check(bye is not None, "no BYE after the caller hung up")
        pbx.c.send(reply(bye, 200, "OK"))
    finally:
        rtp.close()


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root")
        return 77
    if Cipher is None:
        print("SKIP: python3-cryptography not installed")
        return 77
    b = Bridge(sys.argv[1], conf_extra="sip {\n\tsrtp require\n}\n")
    failed = False
    try:
        b.wait_for("children running", b.running, 15)
        b.wait_for("kandyd connected to Kandy", lambda: kandy_ready(b), 20)
        for t in (test_savp_echo, test_plain_refused, test_inbound_savp):
            try:
                t(b)
                print("ok  " + t.__name__)
            except Exception as e:
                failed = True
                print("FAIL %s: %s" % (t.__name__, e))
                if not isinstance(e, Fail):
                    traceback.print_exc()
    except Exception as e:
        failed = True
        print("FAIL setting up the bridge: %s" % e)
    finally:
        if failed:
            with open(b.log, errors="replace") as f:
                print("--- bridged log (tail):\n" +
                      "".join(f.readlines()[-40:]))
        b.stop()
        if not failed:
            b.cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
