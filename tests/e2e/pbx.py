"""What 3CX does on the trunk, for end-to-end tests: REGISTER with digest,
INVITE with G.711 and telephone-event, and RTP carrying a known tone whose
echo or reply is measured on the decoded samples."""

import audioop
import math
import random
import re
import socket
import struct
import threading
import time

import siptest
from siptest import Client, challenge, digest, header, register, status
from siptest import reply as siptest_reply

RATE = 8000
PTIME = 20


def goertzel(samples, freq):
    """Power of one frequency in 16-bit samples, normalised to 0..1."""
    if not samples:
        return 0.0
    k = 2.0 * math.cos(2.0 * math.pi * freq / RATE)
    s1 = s2 = 0.0
    for x in samples:
        s0 = x + k * s1 - s2
        s2, s1 = s1, s0
    power = s1 * s1 + s2 * s2 - k * s1 * s2
    return power / (len(samples) ** 2 * 32768.0 ** 2 / 4)


def tone(freq, nsamples, start=0, amp=8000):
    return [int(amp * math.sin(2 * math.pi * freq * (start + i) / RATE))
            for i in range(nsamples)]


class Rtp:
    """One RTP endpoint: sends a tone as PCMU or PCMA, keeps what arrives."""

    def __init__(self):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(("127.0.0.1", 0))
        self.port = self.s.getsockname()[1]
        self.remote = None
        self.received = []          # (pt, payload)
        self.headers = []           # (pt, marker, seq, ts, ssrc)
        self.stop = False
        self.t = threading.Thread(target=self._rx, daemon=True)
        self.t.start()

    def _rx(self):
        self.s.settimeout(0.2)
        while not self.stop:
            try:
                data, _ = self.s.recvfrom(2048)
            except socket.timeout:
                continue
            except OSError:
                return
            if len(data) >= 12 and data[0] >> 6 == 2:
                cc = data[0] & 0x0f
                self.received.append((data[1] & 0x7f, data[12 + 4 * cc:]))
                self.headers.append((data[1] & 0x7f, data[1] >> 7) +
                                    struct.unpack("!HII", data[2:12]))

    def send_tone(self, freq, secs, pt=0, until=None):
        """secs of tone, or less if until() turns true first."""
        ssrc = random.getrandbits(32)
        seq = random.getrandbits(16)
        ts = random.getrandbits(32)
        n = RATE * PTIME // 1000
        start = time.time()
        for i in range(int(secs * 1000 / PTIME)):
            if until is not None and until():
                break
            pcm = struct.pack("<%dh" % n, *tone(freq, n, i * n))
            payload = audioop.lin2ulaw(pcm, 2) if pt == 0 else \
                audioop.lin2alaw(pcm, 2)
            hdr = struct.pack("!BBHII", 0x80, pt | (0x80 if i == 0 else 0),
                              (seq + i) & 0xffff, (ts + i * n) & 0xffffffff,
                              ssrc)
            self.s.sendto(hdr + payload, self.remote)
            delay = start + (i + 1) * PTIME / 1000.0 - time.time()
            if delay > 0:
                time.sleep(delay)

    def send_event(self, event, pt=101, ms=160):
        """One RFC 4733 event: 20 ms packets, the last three marked end."""
        ssrc = random.getrandbits(32)
        seq = random.getrandbits(16)
        ts = random.getrandbits(32)
        n = ms // PTIME
        for i in range(n + 2):
            end = i >= n - 1
            dur = min(i + 1, n) * RATE * PTIME // 1000
            self.s.sendto(struct.pack(
                "!BBHIIBBH", 0x80, pt | (0x80 if i == 0 else 0),
                (seq + i) & 0xffff, ts, ssrc, event,
                (0x80 if end else 0) | 10, dur), self.remote)
            time.sleep(PTIME / 1000.0)

    def events(self, pt=101):
        """Digits received as RFC 4733 events, each once."""
        digits = []
        seen = set()
        for p, payload in list(self.received):
            if p != pt or len(payload) < 4:
                continue
            key = payload[0]
            if payload[1] & 0x80:
                if key not in seen:
                    digits.append("0123456789*#ABCD"[key] if key < 16
                                  else "?")
                seen.add(key)
            else:
                seen.discard(key)
        return "".join(digits)

    def samples(self, pt=None):
        out = []
        for p, payload in list(self.received):
            if p == 0 and pt in (None, 0):
                out += struct.unpack("<%dh" % len(payload),
                                     audioop.ulaw2lin(payload, 2))
            elif p == 8 and pt in (None, 8):
                out += struct.unpack("<%dh" % len(payload),
                                     audioop.alaw2lin(payload, 2))
        return out

    def close(self):
        self.stop = True
        self.t.join(1)
        self.s.close()


def sdp_offer(port, pts="0 8 101", direction="sendrecv", version=1):
    return ("v=0\r\no=3CXPhoneSystem 1 %d IN IP4 127.0.0.1\r\ns=3CX\r\n"
            "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP %s\r\n"
            "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"
            "a=ptime:20\r\na=%s\r\n" % (version, port, pts, direction))


def sdp_media(text):
    """(address, port, [payload types]) of the first audio m-line."""
    c = re.search(r"(?m)^c=IN IP4 (\S+)", text)
    m = re.search(r"(?m)^m=audio (\d+) RTP/AVP ([\d ]+)", text)
    if not c or not m:
        return None
    return c.group(1), int(m.group(1)), [int(x) for x in m.group(2).split()]


class Sip(Client):
    """siptest's client, with in-dialog requests (To tag, CSeq of choice)."""

    def request(self, method, uri, headers=(), body="", to=None, cseq=None,
                branch=None):
        if cseq is None:
            self.cseq += 1
            cseq = self.cseq
        tp = self.transport.upper()
        self.branch = branch or "z9hG4bK%x" % random.getrandbits(48)
        lines = [
            "%s %s SIP/2.0" % (method, uri),
            "Via: SIP/2.0/%s 127.0.0.1:%d;branch=%s;rport" %
            (tp, self.lport, self.branch),
            "Max-Forwards: 70",
            "From: <sip:%s@127.0.0.1>;tag=%s" % (siptest.USER, self.tag),
            "To: %s" % (to or ("<%s>" % uri if method == "INVITE" else
                               "<sip:%s@127.0.0.1>" % siptest.USER)),
            "Call-ID: %s" % self.callid,
            "CSeq: %d %s" % (cseq, method),
        ] + list(headers) + ["Content-Length: %d" % len(body), "", body]
        self.send("\r\n".join(lines).encode())


class Pbx:
    def __init__(self, port, transport="udp", password=siptest.PASSWORD):
        self.port = port
        self.password = password
        self.c = Sip(port, transport)
        self.inbox = []
        self.final = 0

    def register(self):
        contact = "<sip:3cx@127.0.0.1:%d;rinstance=e2e0c0ffee>" % self.c.lport
        uri = "sip:127.0.0.1:%d" % self.port
        r = register(self.c, 300, contact=contact)
        if status(r) != 401:
            return r
        ch = challenge(r, "MD5")
        return register(self.c, 300, digest("MD5", ch, "REGISTER", uri, 1,
                                            password=self.password),
                        contact=contact)

    def invite(self, number, rtp, timeout=15, auth=None):
        """Returns (final response, provisional statuses seen); answers a
        407 challenge once, as 3CX does."""
        self.uri = "sip:%s@127.0.0.1:%d" % (number, self.port)
        if auth is None:
            self.c.callid = "%x@127.0.0.1" % random.getrandbits(64)
        hdrs = ["Contact: <sip:3cx@127.0.0.1:%d>" % self.c.lport,
                "Supported: replaces, timer",
                "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, "
                "REFER", "Content-Type: application/sdp"]
        if auth is not None:
            hdrs.append("Proxy-Authorization: " + auth)
        self.c.request("INVITE", self.uri, hdrs, sdp_offer(rtp.port))
        self.invite_cseq = self.c.cseq
        branch = self.invite_branch = self.c.branch
        self.final = 0
        seen = []
        end = time.time() + timeout
        while time.time() < end:
            r = self.c.recv(end - time.time())
            if r is None:
                return None, seen
            st = status(r)
            if st < 200:
                seen.append(st)
                continue
            self.to = header(r, "To")[0]
            self.final = st
            if st == 407 and auth is None:
                # ACK the challenge in its transaction, then ask again.
                self.c.request("ACK", self.uri, to=self.to,
                               cseq=self.invite_cseq, branch=branch)
                ch = challenge(r, "MD5", "Proxy-Authenticate")
                return self.invite(number, rtp, timeout, digest(
                    "MD5", ch, "INVITE", self.uri, 1,
                    password=self.password))
            if st >= 300:
                # A failure is acknowledged in its own transaction, as a
                # UA does; else it comes again (Timer G) and is taken for
                # the answer to a later request.
                self.c.request("ACK", self.uri, to=self.to,
                               cseq=self.invite_cseq, branch=branch)
            return r, seen
        return None, seen

    def invite_send(self, number, rtp):
        """An INVITE, not waiting for anything (for CANCEL and the like)."""
        self.uri = "sip:%s@127.0.0.1:%d" % (number, self.port)
        self.c.callid = "%x@127.0.0.1" % random.getrandbits(64)
        self.c.request("INVITE", self.uri, [
            "Contact: <sip:3cx@127.0.0.1:%d>" % self.c.lport,
            "Supported: replaces, timer", "Content-Type: application/sdp"],
            sdp_offer(rtp.port))
        self.invite_cseq = self.c.cseq
        self.invite_branch = self.c.branch
        self.final = 0

    def responses(self, timeout, cseq_method="INVITE"):
        """Responses to one method until a final one: (final or None,
        provisional statuses).  Requests met meanwhile go to inbox."""
        seen = []
        end = time.time() + timeout
        while time.time() < end:
            r = self.c.recv(end - time.time())
            if r is None:
                break
            if not r.startswith("SIP/2.0 "):
                self.inbox.append(r)
                continue
            if not header(r, "CSeq")[0].endswith(" " + cseq_method):
                continue
            if status(r) < 200:
                seen.append(status(r))
                continue
            return r, seen
        return None, seen

    def wait_request_raw(self, method, timeout):
        """A request from the bridge, not answered."""
        end = time.time() + timeout
        while True:
            for r in self.inbox:
                if r.startswith(method + " "):
                    self.inbox.remove(r)
                    return r
            left = end - time.time()
            if left <= 0:
                return None
            r = self.c.recv(left)
            if r is None:
                return None
            if not r.startswith("SIP/2.0 "):
                self.inbox.append(r)

    def wait_request(self, method, timeout):
        """A request from the bridge, answered 200."""
        r = self.wait_request_raw(method, timeout)
        if r is not None:
            self.c.send(siptest_reply(r, 200, "OK"))
        return r

    def cancel(self):
        """CANCEL the pending INVITE: (response to CANCEL, final to INVITE)."""
        self.c.request("CANCEL", self.uri, to="<%s>" % self.uri,
                       cseq=self.invite_cseq, branch=self.invite_branch)
        r, _ = self.responses(5, "CANCEL")
        f, _ = self.responses(5, "INVITE")
        if f is not None:
            self.to = header(f, "To")[0]
            self.c.request("ACK", self.uri, to=self.to,
                           cseq=self.invite_cseq, branch=self.invite_branch)
        return r, f

    def reinvite(self, rtp, direction, version, pts="0 8 101"):
        self.c.request("INVITE", self.uri, [
            "Contact: <sip:3cx@127.0.0.1:%d>" % self.c.lport,
            "Content-Type: application/sdp"],
            sdp_offer(rtp.port, pts, direction, version),
            to=self.to)
        cseq = self.c.cseq
        r, _ = self.responses(5)
        if r is not None and status(r) == 200:
            self.c.request("ACK", self.uri, to=self.to, cseq=cseq)
        return r

    def answer_reinvite(self, rtp, direction, version, code=200,
                        timeout=10):
        """The bridge's re-INVITE in the dialog, answered as 3CX does:
        200 with our SDP in direction (o= version), or the failure code.
        Returns (the re-INVITE, its ACK); either None when missing."""
        r = self.wait_request_raw("INVITE", timeout)
        if r is None:
            return None, None
        offer = sdp_media(r.split("\r\n\r\n", 1)[-1])
        if code == 200 and offer is not None:
            # The answer keeps the offer's payload types.
            self.c.send(siptest_reply(r, 200, "OK", headers=[
                "Contact: <sip:3cx@127.0.0.1:%d>" % self.c.lport,
                "Content-Type: application/sdp"],
                body=sdp_offer(rtp.port, " ".join(map(str, offer[2])),
                               direction, version)))
        else:
            self.c.send(siptest_reply(r, code if code != 200 else 488,
                                      "Refused"))
        return r, self.wait_request_raw("ACK", 5)

    def info(self, ctype, body):
        self.c.request("INFO", self.uri, ["Content-Type: " + ctype], body,
                       to=self.to)
        return self.responses(5, "INFO")[0]

    def ack(self):
        """ACK of a 2xx; invite() has acknowledged a failure already."""
        if self.final >= 300:
            return
        self.c.request("ACK", self.uri, to=self.to, cseq=self.invite_cseq)

    def bye(self):
        self.c.request("BYE", self.uri, to=self.to)
        return self.responses(5, "BYE")[0]
