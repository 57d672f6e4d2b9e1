"""
Latency probes with microsecond resolution (SIPp's response times are
whole milliseconds): one UDP socket, one transaction at a time, paced at a
fixed rate, times taken with time.perf_counter() around send and receive.
The figures include this client's own overhead (tens of microseconds).
"""

import hashlib
import random
import select
import socket
import time

SDP = ("v=0\r\no=3cxPS 40 41 IN IP4 127.0.0.1\r\ns=3cxPS Audio call\r\n"
       "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 30000 RTP/AVP 8 0 101\r\n"
       "a=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n"
       "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"
       "a=sendrecv\r\n")


class Probe:
    def __init__(self, port, user, password):
        self.port = port
        self.user = user
        self.password = password
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(("127.0.0.1", 0))
        self.lport = self.s.getsockname()[1]
        self.dst = ("127.0.0.1", port)

    def msg(self, method, uri, callid, tag, cseq, totag="", extra=(),
            body=""):
        lines = ["%s %s SIP/2.0" % (method, uri),
                 "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%x;rport" %
                 (self.lport, random.getrandbits(48)),
                 "Max-Forwards: 70",
                 "From: <sip:%s@127.0.0.1>;tag=%s" % (self.user, tag),
                 "To: <sip:%s@127.0.0.1>%s" % (
                     self.user if method == "REGISTER" else "0501234567",
                     ";tag=" + totag if totag else ""),
                 "Call-ID: %s" % callid,
                 "CSeq: %d %s" % (cseq, method),
                 "Contact: <sip:%s@127.0.0.1:%d;rinstance=5f1c0de2a9b34e77>"
                 % (self.user, self.lport)] + list(extra) + \
            ["Content-Length: %d" % len(body), "", body]
        return "\r\n".join(lines).encode()

    def recv_until(self, want, deadline=2.0):
        """Wait for responses; return {status: perf_counter time, ...}
        once one of want arrived, and the last response text."""
        got, last = {}, ""
        end = time.perf_counter() + deadline
        while True:
            left = end - time.perf_counter()
            if left <= 0:
                return got, last
            r, _, _ = select.select([self.s], [], [], left)
            if not r:
                return got, last
            data = self.s.recv(65536)
            now = time.perf_counter()
            text = data.decode(errors="replace")
            if not text.startswith("SIP/2.0 "):
                continue
            code = int(text[8:11])
            got.setdefault(code, now)
            last = text
            if code in want:
                return got, last

    def register(self):
        """(REGISTER to 401, REGISTER with credentials to 200) in s."""
        callid = "%x@bench" % random.getrandbits(64)
        tag = "%x" % random.getrandbits(32)
        uri = "sip:127.0.0.1:%d" % self.port
        t0 = time.perf_counter()
        self.s.sendto(self.msg("REGISTER", uri, callid, tag, 1,
                               extra=["Expires: 120"]), self.dst)
        got, r = self.recv_until((401,))
        if 401 not in got:
            return None
        t1 = got[401]
        ch = {}
        for line in r.split("\r\n"):
            # MD5 named, or no algorithm (MD5 by default: Kamailio).
            if line.lower().startswith("www-authenticate:") and \
                    ("algorithm=MD5" in line or "algorithm=" not in line):
                for part in line.split(" ", 2)[2].split(","):
                    k, _, v = part.strip().partition("=")
                    ch[k] = v.strip('"')
                break
        H = lambda x: hashlib.md5(x.encode()).hexdigest()
        cnonce = "%x" % random.getrandbits(64)
        ha1 = H("%s:%s:%s" % (self.user, ch["realm"], self.password))
        resp = H(":".join([ha1, ch["nonce"], "00000001", cnonce, "auth",
                           H("REGISTER:" + uri)]))
        auth = ('Authorization: Digest username="%s", realm="%s", '
                'nonce="%s", uri="%s", response="%s", algorithm=MD5, '
                'cnonce="%s", qop=auth, nc=00000001' %
                (self.user, ch["realm"], ch["nonce"], uri, resp, cnonce))
        m = self.msg("REGISTER", uri, callid, tag, 2,
                     extra=["Expires: 120", auth])
        t2 = time.perf_counter()
        self.s.sendto(m, self.dst)
        got, _ = self.recv_until((200,))
        if 200 not in got:
            return None
        return (t1 - t0, got[200] - t2)

    def call(self):
        """(INVITE to 100, INVITE to 180) in s; then ACK and BYE."""
        callid = "%x@bench" % random.getrandbits(64)
        tag = "%x" % random.getrandbits(32)
        uri = "sip:0501234567@127.0.0.1:%d" % self.port
        m = self.msg("INVITE", uri, callid, tag, 1,
                     extra=["Supported: replaces, timer",
                            "Content-Type: application/sdp"], body=SDP)
        t0 = time.perf_counter()
        self.s.sendto(m, self.dst)
        got, r = self.recv_until((200,) + tuple(range(300, 700)))
        if 100 not in got or 180 not in got or 200 not in got:
            return None
        totag = r.split("\r\nTo: ", 1)[1].split("\r\n", 1)[0]
        totag = totag.split(";tag=", 1)[1]
        target = r.split("\r\nContact: <", 1)[1].split(">", 1)[0]
        self.s.sendto(self.msg("ACK", target, callid, tag, 1, totag),
                      self.dst)
        self.s.sendto(self.msg("BYE", target, callid, tag, 2, totag),
                      self.dst)
        self.recv_until((200,))
        return (got[100] - t0, got[180] - t0)


def paced(fn, rate, n):
    """Run fn n times, starting one every 1/rate s; the results."""
    out = []
    start = time.perf_counter()
    for i in range(n):
        wait = start + i / rate - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        r = fn()
        if r is not None:
            out.append(r)
    return out
