#!/usr/bin/python3
"""kandysim's /turn credentials against a real coturn (use-auth-secret):
a TURN Allocate with them succeeds, with a wrong password it is refused.
Skips (77) without turnserver.  Usage: test_turn.py path/to/kandysim"""

import hashlib
import hmac
import os
import shutil
import socket
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from simharness import free_port, start_coturn, start_kandysim  # noqa: E402,E501

SECRET = "coturn-test-secret"
REALM = "kandy.test"
MAGIC = 0x2112A442
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def attr(t, v):
    return struct.pack("!HH", t, len(v)) + v + b"\0" * (-len(v) % 4)


def parse(msg):
    mtype, mlen, _ = struct.unpack("!HHI", msg[:8])
    attrs, off = {}, 20
    while off + 4 <= 20 + mlen:
        t, n = struct.unpack("!HH", msg[off:off + 4])
        attrs[t] = msg[off + 4:off + 4 + n]
        off += 4 + n + (-n % 4)
    return mtype, attrs


def allocate(s, port, user=None, password=None, nonce=None, realm=None):
    """One TURN Allocate over UDP socket s (coturn binds its nonce to the
    5-tuple); returns (message type, attributes)."""
    txid = os.urandom(12)
    body = attr(0x0019, b"\x11\0\0\0")          # REQUESTED-TRANSPORT udp
    if user is not None:
        body += attr(0x0006, user.encode()) + attr(0x0014, realm) + \
            attr(0x0015, nonce)
        key = hashlib.md5(b"%s:%s:%s" % (user.encode(), realm,
                                         password.encode())).digest()
        head = struct.pack("!HHI", 0x0003, len(body) + 24, MAGIC) + txid
        mac = hmac.new(key, head + body, hashlib.sha1).digest()
        body += attr(0x0008, mac)                # MESSAGE-INTEGRITY
    msg = struct.pack("!HHI", 0x0003, len(body), MAGIC) + txid + body
    for _ in range(3):
        s.sendto(msg, ("127.0.0.1", port))
        try:
            return parse(s.recv(2048))
        except socket.timeout:
            continue
    return None, {}


def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    return s


def error_code(attrs):
    v = attrs.get(0x0009)
    return v[2] * 100 + v[3] if v else None


if shutil.which("turnserver") is None:
    print("skipped, missing: turnserver (coturn)")
    sys.exit(77)

sim, proc, logpath = start_kandysim(sys.argv[1], SECRET, REALM)
tport = free_port()
tdir = os.path.dirname(logpath)
turn = start_coturn(tdir, tport, SECRET, REALM)
try:
    st, r = sim.http("POST", "/cpaas/auth/v1/token",
                     form="client_id=c&username=alice&password=alicepw"
                     "&grant_type=password&scope=openid")
    tok = r["access_token"]
    st, r = sim.http("POST", "/cpaas/webrtcsignaling/v1/alice/turn",
                     {"wrtcsTurnCredentials": {"clientCorrelator": "c"}},
                     token=tok)
    cred = r["wrtcsTurnCredentials"]
    check(st == 201, "credentials from /turn")

    mtype, s = None, udp()
    for _ in range(50):                          # wait for coturn
        mtype, attrs = allocate(s, tport)
        if mtype is not None:
            break
        time.sleep(0.1)
    check(mtype == 0x0113 and error_code(attrs) == 401 and 0x0015 in attrs,
          "coturn challenges an unauthenticated Allocate")
    nonce, realm = attrs.get(0x0015, b""), attrs.get(0x0014, b"")
    mtype, attrs = allocate(s, tport, cred["username"], cred["password"],
                            nonce, realm)
    check(mtype == 0x0103 and 0x0016 in attrs,
          "coturn allocates a relay with kandysim's credentials")
    s2 = udp()
    mtype, attrs = allocate(s2, tport)
    mtype, attrs = allocate(s2, tport, cred["username"], "wrong" +
                            cred["password"], attrs.get(0x0015, b""),
                            attrs.get(0x0014, b""))
    check(mtype == 0x0113 and error_code(attrs) == 401,
          "coturn refuses a wrong password")
finally:
    turn.terminate()
    turn.wait(10)
    proc.terminate()
    proc.wait(10)
if failures:
    sys.exit(1)
print("all passed")
