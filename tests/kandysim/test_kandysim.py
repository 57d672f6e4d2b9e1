#!/usr/bin/python3
"""Drive kandysim as Kandy clients would: curl for HTTPS, python3-websockets
for the notification channel and the wsrpc dialect, raw TLS sockets for
deliberately broken input.  Usage: test_kandysim.py path/to/kandysim"""

import asyncio
import base64
import hashlib
import hmac
import json
import os
import socket
import ssl
import sys
import time

try:
    import websockets
except ImportError:
    print("python3-websockets missing (apt-get install python3-websockets)")
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simharness import start_kandysim  # noqa: E402

KANDYSIM = sys.argv[1]
TURN_SECRET = "test-turn-secret"
DOMAIN = "kandy.test"
failures = []
seen_ids = set()


def check(cond, what):
    if cond:
        print("ok   " + what)
    else:
        print("FAIL " + what)
        failures.append(what)
    return cond


def jwt_claims(tok):
    p = tok.split(".")[1]
    p += "=" * (-len(p) % 4)
    return json.loads(base64.urlsafe_b64decode(p))


def sdp(tag):
    return ("v=0\r\no=- %d 1 IN IP4 127.0.0.1\r\ns=%s\r\nt=0 0\r\n"
            "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\n"
            "a=rtpmap:0 PCMU/8000\r\n" % (abs(hash(tag)) % 10000, tag))


async def next_note(ws, key, timeout=5.0):
    """The next notification named key (others are skipped); None if none."""
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return None
        try:
            msg = await asyncio.wait_for(ws.recv(), left)
        except (asyncio.TimeoutError, websockets.ConnectionClosed):
            return None
        try:
            o = json.loads(msg)
        except ValueError:
            continue
        if "connAck" in o:
            continue
        (name, body), = o.items()
        nid = body.get("id")
        check(nid is not None and nid not in seen_ids,
              "notification %s has a unique id" % name)
        seen_ids.add(nid)
        if name == key:
            return body
        print("     (skipped %s)" % name)


async def no_note(ws, timeout):
    try:
        msg = await asyncio.wait_for(ws.recv(), timeout)
        return msg
    except asyncio.TimeoutError:
        return None


class Client:
    def __init__(self, sim, user, password):
        self.sim, self.user, self.password = sim, user, password

    def login(self):
        st, r = self.sim.http("POST", "/cpaas/auth/v1/token",
                              form="client_id=sdk&username=%s&password=%s"
                              "&grant_type=password&scope=openid" %
                              (self.user, self.password))
        check(st == 200, "%s: password grant 200" % self.user)
        self.token = r["access_token"]
        self.tokens = r
        return r

    def api(self, method, path, body=None):
        return self.sim.http(method, path, body=body, token=self.token)

    def url(self, svc, rest):
        return "/cpaas/%s/v1/%s/%s" % (svc, self.user, rest)

    async def subscribe(self):
        st, r = self.api("POST", self.url("notificationchannel", "channels"),
                         {"notificationChannel": {
                             "channelLifetime": 3600,
                             "channelType": "Websockets",
                             "clientCorrelator": "corr-" + self.user,
                             "x-connCheckRole": "client"}})
        check(st == 201, "%s: channel created" % self.user)
        nc = r["notificationChannel"]
        self.channel = nc
        self.ws = await self.sim.ws(nc["channelData"]["channelURL"],
                                    self.token).__aenter__()
        st, r = self.api("POST", self.url("webrtcsignaling",
                                          "subscriptions"),
                         {"wrtcsNotificationSubscription": {
                             "callbackReference": {
                                 "notifyURL": nc["callbackURL"]},
                             "clientCorrelator": "corr-" + self.user}})
        check(st == 201, "%s: subscription created" % self.user)
        self.sub = r["wrtcsNotificationSubscription"]


async def test_tokens(sim):
    a = Client(sim, "alice", "alicepw")
    r = a.login()
    idc = jwt_claims(r["id_token"])
    check(idc["preferred_username"] == "alice",
          "id_token preferred_username")
    check(idc["exp"] - idc["iat"] == 3600 and r["expires_in"] == 3600,
          "token lifetime 3600")
    for k in ("access_token", "expires_in", "refresh_expires_in",
              "refresh_token", "token_type", "id_token", "scope",
              "session_state"):
        check(k in r, "token response has " + k)
    st, r = sim.http("POST", "/cpaas/auth/v1/token",
                     form="client_id=PRIV-bridge&client_secret=s3cret"
                     "&grant_type=client_credentials&scope=openid")
    check(st == 200 and jwt_claims(r["id_token"])["preferred_username"]
          == "bridge", "client_credentials grant gives user bridge")
    st, r = sim.http("POST", "/cpaas/auth/v1/token",
                     form="client_id=PRIV-bridge&client_secret=wrong"
                     "&grant_type=client_credentials")
    check(st == 401 and r["error"] == "invalid_client",
          "wrong client secret: 401 invalid_client")
    st, r = sim.http("POST", "/cpaas/auth/v1/token",
                     form="client_id=x&username=alice&password=nope"
                     "&grant_type=password")
    check(st == 401 and r["error"] == "invalid_grant" and
          "error_description" in r, "wrong password: 401 invalid_grant")
    st, r = sim.http("POST", "/cpaas/auth/v1/token",
                     form="client_id=x&grant_type=magic")
    check(st == 400 and r["error"] == "unsupported_grant_type",
          "unknown grant: 400")
    st, r = sim.http("POST", "/cpaas/auth/v1/token",
                     form="refresh_token=%s&client_id=sdk&grant_type="
                     "refresh_token" % a.tokens["refresh_token"])
    check(st == 200 and "access_token" in r, "refresh_token grant")

    path = a.url("webrtcsignaling", "sessions")
    st, _ = a.api("GET", path)
    check(st == 200, "valid token accepted")
    st, _ = sim.http("GET", path)
    check(st == 401, "no token: 401")
    st, _ = sim.http("GET", path, token=a.token[:-2] + "xx")
    check(st == 401, "bad signature: 401")
    st, _ = a.api("GET", "/cpaas/webrtcsignaling/v1/bob/sessions")
    check(st == 403, "other user's path: 403")

    sim.http("POST", "/_sim/config", {"token_lifetime": 2})
    b = Client(sim, "alice", "alicepw")
    r = b.login()
    idc = jwt_claims(r["id_token"])
    check(idc["exp"] - idc["iat"] == 2, "short token lifetime honoured")
    await asyncio.sleep(3.2)
    st, r = b.api("GET", path)
    check(st == 401 and r.get("error") == "invalid_token",
          "expired token: 401 invalid_token")
    sim.http("POST", "/_sim/config", {"token_lifetime": 3600})

    c = Client(sim, "alice", "alicepw")
    c.login()
    sim.http("POST", "/_sim/misbehave/expire-tokens", {"user": "alice"})
    st, _ = c.api("GET", path)
    check(st == 401, "expire-tokens: old token refused")
    c.login()
    st, _ = c.api("GET", path)
    check(st == 200, "expire-tokens: new token accepted")


async def test_channel(sim):
    a = Client(sim, "alice", "alicepw")
    a.login()
    await a.subscribe()
    nc = a.channel
    check(nc["callbackURL"].startswith("ws-"), "callbackURL ws-<uuid>")
    check(nc["channelData"]["channelURL"] ==
          "/cpaas/notificationchannel/v1/alice/channels/%s/websocket" %
          nc["callbackURL"], "channelURL shape")
    check(nc["resourceURL"].startswith(
          "/cpaas/notificationchannel/v1/alice/channels/"),
          "channel resourceURL")
    check(nc["x-connCheckRole"] == "client" and nc["clientCorrelator"] ==
          "corr-alice" and nc["channelLifetime"] == 3600,
          "channel echoes its parameters")
    await a.ws.send(json.dumps({"connCheck": {"interval": 30}}))
    msg = json.loads(await asyncio.wait_for(a.ws.recv(), 5))
    check(msg == {"connAck": {}}, "connCheck answered by connAck")
    st, r = a.api("PUT", nc["resourceURL"] + "/channelLifetime",
                  {"notificationChannelLifetime": {"channelLifetime": 120}})
    check(st == 200 and r["notificationChannelLifetime"]
          ["channelLifetime"] == 120, "channel lifetime extended")
    st, r = a.api("GET", nc["resourceURL"])
    check(st == 200 and r["notificationChannel"]["channelLifetime"] == 120,
          "channel GET shows new lifetime")
    st, r = a.api("PUT", nc["channelData"]["channelURL"] + "/channelLifetime",
                  {"notificationChannelLifetime": {"channelLifetime": 90}})
    check(st == 200 and r["notificationChannelLifetime"]
          ["channelLifetime"] == 90, "lifetime under channelURL (SDK path)")
    sim.http("POST", "/_sim/config", {"channel_lifetime": 2})
    st, r = a.api("POST", a.url("notificationchannel", "channels"),
                  {"notificationChannel": {"channelType": "Websockets"}})
    short = r["notificationChannel"]
    sim.http("POST", "/_sim/config", {"channel_lifetime": 3600})
    async with sim.ws(short["channelData"]["channelURL"], a.token) as w:
        try:
            await asyncio.wait_for(w.recv(), 5)
        except websockets.ConnectionClosed:
            pass
        check(w.close_code == 1000, "expired channel closes its WebSocket "
              "with 1000")
    st, _ = a.api("GET", short["resourceURL"])
    check(st == 404, "expired channel is gone")
    st, r = a.api("GET", a.url("webrtcsignaling", "subscriptions"))
    check(st == 200 and any(s["resourceURL"] == a.sub["resourceURL"] for s
          in r["wrtcsNotificationSubscriptionList"]
          ["wrtcsNotificationSubscription"]), "subscription listed")
    try:
        async with sim.ws(nc["channelData"]["channelURL"], "garbage") as w:
            await w.recv()
        ok = False
    except Exception:
        ok = True
    check(ok, "WebSocket with a bad access_token refused")

    # Server role: kandysim sends connCheck, we answer connAck.
    sim.http("POST", "/_sim/config", {"conncheck_interval": 1})
    st, r = a.api("POST", a.url("notificationchannel", "channels"),
                  {"notificationChannel": {"channelType": "Websockets",
                   "clientCorrelator": "c2", "x-connCheckRole": "server"}})
    async with sim.ws(r["notificationChannel"]["channelData"]
                      ["channelURL"], a.token) as w:
        msg = json.loads(await asyncio.wait_for(w.recv(), 5))
        check("connCheck" in msg, "server role: kandysim sends connCheck")
        await w.send('{"connAck":{}}')
    sim.http("POST", "/_sim/config", {"conncheck_interval": 30})
    st, _ = a.api("DELETE", r["notificationChannel"]["resourceURL"])
    check(st == 204, "channel DELETE 204")

    # Garbage on the channel WebSocket is ignored, the channel keeps working.
    await a.ws.send(b"\x00\xff\xfe binary junk")
    await a.ws.send("{not json")
    await a.ws.send("[" * 5000)
    await a.ws.send("x" * (300 * 1024))
    await a.ws.send(json.dumps({"connCheck": {"interval": 30}}))
    msg = json.loads(await asyncio.wait_for(a.ws.recv(), 5))
    check(msg == {"connAck": {}}, "channel survives garbage frames")

    st, _ = a.api("DELETE", nc["resourceURL"])
    check(st == 204, "channel DELETE")
    try:
        await asyncio.wait_for(a.ws.recv(), 5)
    except websockets.ConnectionClosed:
        pass
    check(a.ws.close_code == 1000, "channel DELETE closes WebSocket with 1000"
          " (got %s)" % a.ws.close_code)


def test_turn(sim):
    a = Client(sim, "alice", "alicepw")
    a.login()
    st, r = a.api("POST", a.url("webrtcsignaling", "turn"),
                  {"wrtcsTurnCredentials": {"clientCorrelator": "c"}})
    tc = r["wrtcsTurnCredentials"]
    exp, user = tc["username"].split(":", 1)
    check(st in (200, 201) and user == "alice" and
          int(exp) > time.time(), "turn username expiry:user")
    mac = hmac.new(TURN_SECRET.encode(), tc["username"].encode(),
                   hashlib.sha1).digest()
    check(tc["password"] == base64.b64encode(mac).decode(),
          "turn password is base64(HMAC-SHA1(secret, username))")
    check(isinstance(tc.get("expires"), int), "turn expires given")


async def test_user_calls(sim, a, b):
    st, r = a.api("POST", a.url("webrtcsignaling", "sessions"),
                  {"wrtcsSession": {"clientCorrelator": "corr-alice",
                   "tParticipantAddress": "sip:bob@" + DOMAIN,
                   "tParticipantName": "Bob", "offer": {"sdp": sdp("a1")},
                   "x-unknown": {"ignored": [1, 2]}}})
    check(st == 201, "alice -> bob: session created 201")
    a_sess = r["wrtcsSession"]["resourceURL"]
    check(a_sess.startswith("/cpaas/webrtcsignaling/v1/alice/sessions/"),
          "session resourceURL")
    inv = await next_note(b.ws, "wrtcsSessionInvitationNotification")
    check(inv is not None and inv["offer"]["sdp"] == sdp("a1"),
          "bob gets the invitation with alice's offer")
    if inv is None:
        return
    check(inv["originatorAddress"] == "sip:alice@" + DOMAIN and
          inv["tParticipantAddress"] == "sip:bob@" + DOMAIN,
          "invitation addresses")
    b_sess = inv["link"][0]["href"]
    check(b_sess.startswith("/cpaas/webrtcsignaling/v1/bob/sessions/"),
          "invitation link to bob's session")
    st, r = b.api("GET", b.url("webrtcsignaling", "sessions"))
    check(st == 200 and any(s["resourceURL"] == b_sess for s in
          r["wrtcsSessionList"]["wrtcsSession"]),
          "GET /sessions lists the incoming session")
    st, r = b.api("PUT", b_sess + "/status", {"wrtcsSessionStatus": {
        "clientCorrelator": "corr-bob", "status": "Ringing"}})
    check(st == 200 and r["wrtcsSessionStatus"]["status"] == "Ringing",
          "bob: status Ringing 200, status echoed")
    ev = await next_note(a.ws, "wrtcsEventNotification")
    check(ev is not None and ev["eventType"] == "Ringing" and
          ev["link"][0]["href"] == a_sess, "alice gets Ringing")
    st, _ = b.api("PUT", b_sess + "/answer", {"wrtcsAnswer": {
        "clientCorrelator": "corr-bob", "sdp": sdp("b1")}})
    check(st == 204, "bob: answer 204")
    acc = await next_note(a.ws, "wrtcsAcceptanceNotification")
    check(acc is not None and acc["answer"]["sdp"] == sdp("b1"),
          "alice gets acceptance with bob's answer")
    st, r = a.api("PUT", a_sess + "/status", {"wrtcsSessionStatus": {
        "clientCorrelator": "corr-alice", "status": "Connected"}})
    check(st == 200 and r["wrtcsSessionStatus"]["status"] == "Connected",
          "call audit: status Connected 200")
    st, _ = a.api("PUT", a_sess + "/update", {"wrtcsOffer": {
        "clientCorrelator": "corr-alice", "sdp": sdp("a2")}})
    check(st == 204, "alice: re-offer 204")
    off = await next_note(b.ws, "wrtcsOfferNotification")
    check(off is not None and off["offer"]["sdp"] == sdp("a2"),
          "bob gets the re-offer")
    st, _ = b.api("PUT", b_sess + "/answer", {"wrtcsAnswer": {
        "clientCorrelator": "corr-bob", "sdp": sdp("b2")}})
    ans = await next_note(a.ws, "wrtcsAnswerNotification")
    check(st == 204 and ans is not None and ans["answer"]["sdp"] ==
          sdp("b2"), "alice gets the answer to her re-offer")
    st, _ = b.api("DELETE", b_sess)
    check(st == 204, "bob hangs up 204")
    ev = await next_note(a.ws, "wrtcsEventNotification")
    check(ev is not None and ev["eventType"] == "SessionEnded",
          "alice gets SessionEnded")
    st, r = a.api("PUT", a_sess + "/answer", {"wrtcsAnswer": {
        "sdp": sdp("x")}})
    check(st == 404 and "serviceException" in r["requestError"],
          "ended session: 404 requestError")

    # Cancel before answer.
    st, r = a.api("POST", a.url("webrtcsignaling", "sessions"),
                  {"wrtcsSession": {"tParticipantAddress": "sip:bob@" +
                   DOMAIN, "offer": {"sdp": sdp("a3")}}})
    inv = await next_note(b.ws, "wrtcsSessionInvitationNotification")
    a.api("DELETE", r["wrtcsSession"]["resourceURL"])
    ev = await next_note(b.ws, "wrtcsEventNotification")
    check(inv is not None and ev is not None and ev["eventType"] ==
          "Cancelled" and ev["link"] == inv["link"],
          "caller hangs up before answer: callee gets Cancelled")


async def test_phone_calls(sim, a):
    st, _ = sim.http("POST", "/_sim/rules", {"rules": [
        {"match": "97150000486*", "action": "reject", "cause": 486},
        {"match": "97150000404", "action": "reject", "cause": 404},
        {"match": "97150000480*", "action": "reject", "cause": 480},
        {"match": "9715000011*", "action": "ring"},
        {"match": "9715000022*", "action": "answer", "answer_after_ms": 300,
         "hangup_after_ms": 500}]})
    check(st == 201, "rules set")

    def call(dest):
        st, r = a.api("POST", a.url("webrtcsignaling", "sessions"),
                      {"wrtcsSession": {"tParticipantAddress": dest,
                       "offer": {"sdp": sdp(dest)}}})
        return r["wrtcsSession"]["resourceURL"] if st == 201 else None

    for dest, cause in (("tel:+971500004861", 486),
                        ("sip:97150000404@" + DOMAIN, 404),
                        ("tel:+971500004800", 480)):
        s = call(dest)
        ev = await next_note(a.ws, "wrtcsEventNotification")
        check(s is not None and ev is not None and ev["eventType"] ==
              "SessionEnded" and ev.get("reasonCode") == cause and
              ev["link"][0]["href"] == s,
              "%s rejected with %d" % (dest, cause))

    s = call("tel:+971500001100")
    ev = await next_note(a.ws, "wrtcsEventNotification")
    check(ev is not None and ev["eventType"] == "Ringing",
          "ring rule: Ringing")
    check(await next_note(a.ws, "wrtcsAcceptanceNotification", 1.0) is None,
          "ring rule: never answered")
    st, r = sim.http("GET", "/_sim/calls")
    mine = [c for c in r["calls"] if c["legs"][1]["address"] ==
            "tel:+971500001100"]
    check(mine and mine[-1]["state"] == "ringing", "call list: ringing")
    reoffer = "/_sim/calls/%d/reoffer" % mine[-1]["id"]
    st, _ = sim.http("POST", reoffer, {"direction": "sendonly"})
    check(st == 409, "re-offer of a ringing call: 409 (%s)" % st)
    st, _ = sim.http("POST", reoffer, {"direction": "sideways"})
    check(st == 400, "re-offer in no direction: 400 (%s)" % st)
    a.api("DELETE", s)
    st, r = sim.http("GET", "/_sim/calls/%d" % mine[-1]["id"])
    check(r["state"] == "ended", "call list: ended after DELETE")

    s = call("tel:+971500002200")
    ev = await next_note(a.ws, "wrtcsEventNotification")
    acc = await next_note(a.ws, "wrtcsAcceptanceNotification")
    check(ev is not None and ev["eventType"] == "Ringing" and acc is not None
          and acc["answer"]["sdp"].startswith("v=0"),
          "answer rule: Ringing then acceptance with SDP")
    ev = await next_note(a.ws, "wrtcsEventNotification")
    check(ev is not None and ev["eventType"] == "SessionEnded" and
          ev["link"][0]["href"] == s, "answer rule: hung up after N ms")

    s = call("tel:+971509999999")
    acc = await next_note(a.ws, "wrtcsAcceptanceNotification")
    check(acc is not None, "no rule: answered")
    st, _ = a.api("PUT", s + "/update", {"wrtcsOffer": {"sdp": sdp("r")}})
    ans = await next_note(a.ws, "wrtcsAnswerNotification")
    check(st == 204 and ans is not None, "re-offer to a number answered")
    # Signalling-only SDP gets no media: nothing to re-offer from.
    st, r = sim.http("GET", "/_sim/calls")
    mine = [c for c in r["calls"] if c["legs"][1]["address"] ==
            "tel:+971509999999"]
    st, _ = sim.http("POST", "/_sim/calls/%d/reoffer" % mine[-1]["id"],
                     {"direction": "sendonly"})
    check(st == 400 and await no_note(a.ws, 0.5) is None,
          "re-offer without media: 400, no notification (%s)" % st)
    a.api("DELETE", s)


async def test_incoming(sim, a):
    st, r = sim.http("POST", "/_sim/incoming", {"from": "+971501234567",
                     "to": "alice", "media": "tone"})
    check(st == 201 and "call_id" in r, "incoming call placed")
    cid = r["call_id"]
    inv = await next_note(a.ws, "wrtcsSessionInvitationNotification")
    check(inv is not None and inv["originatorAddress"] ==
          "tel:+971501234567" and inv["offer"]["sdp"].startswith("v=0"),
          "incoming invitation from the number with an offer")
    if inv is None:
        return
    s = inv["link"][0]["href"]
    a.api("PUT", s + "/status", {"wrtcsSessionStatus": {"status":
                                 "Ringing"}})
    st, r = sim.http("GET", "/_sim/calls/%d" % cid)
    check(r["state"] == "ringing", "incoming call ringing")
    a.api("PUT", s + "/answer", {"wrtcsAnswer": {"sdp": sdp("in")}})
    st, r = sim.http("GET", "/_sim/calls/%d" % cid)
    check(r["state"] == "connected", "incoming call connected")
    st, _ = sim.http("DELETE", "/_sim/calls/%d" % cid)
    ev = await next_note(a.ws, "wrtcsEventNotification")
    check(st == 204 and ev is not None and ev["eventType"] ==
          "SessionEnded", "control hangup: SessionEnded")

    st, r = sim.http("POST", "/_sim/incoming", {"from": "971501234567",
                     "to": "alice", "hangup_after_ms": 300})
    inv = await next_note(a.ws, "wrtcsSessionInvitationNotification")
    a.api("PUT", inv["link"][0]["href"] + "/answer",
          {"wrtcsAnswer": {"sdp": sdp("in2")}})
    ev = await next_note(a.ws, "wrtcsEventNotification")
    check(ev is not None and ev["eventType"] == "SessionEnded",
          "incoming hangup_after_ms")

    st, r = sim.http("POST", "/_sim/incoming", {"from": "+9715", "to":
                     "nobody"})
    check(st == 404, "incoming to unknown user: 404")


async def test_bad_input(sim, a):
    path = a.url("webrtcsignaling", "sessions")
    st, r = sim.http("POST", path, raw='{"wrtcsSession": {', token=a.token)
    check(st == 400 and r["requestError"]["serviceException"]["messageId"]
          == "SVC0002", "malformed JSON: 400 requestError SVC0002")
    st, r = sim.http("POST", path, raw="[" * 100 + "]" * 100,
                     token=a.token)
    check(st == 400, "too deep JSON: 400")
    st, r = sim.http("POST", path, {"wrtcsSession": {"offer": {}}},
                     token=a.token)
    check(st == 400 and "variables" in r["requestError"]
          ["serviceException"], "missing fields: 400 with variables")
    st, r = a.api("PUT", path + "/no-such-session/answer",
                  {"wrtcsAnswer": {"sdp": sdp("x")}})
    check(st == 404 and "requestError" in r, "unknown session: 404")
    st, r = sim.http("POST", path, raw="x" * (300 * 1024), token=a.token)
    check(st == 413, "oversized body rejected (413)")

    # A body that never completes, a lying Content-Length, junk bytes.
    for raw in (b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                b"Content-Length: 100\r\n\r\n{\"wrtcs",
                b"\x16\x03\x01garbage\r\n\r\n",
                b"GET / HTTP/1.1\r\n" + b"X: " + b"y" * 20000 + b"\r\n\r\n"):
        try:
            s = socket.create_connection(("127.0.0.1", sim.port), 5)
            t = sim.sslctx.wrap_socket(s, server_hostname="127.0.0.1")
            t.sendall(raw)
            t.close()
        except (OSError, ssl.SSLError):
            pass
    s = socket.create_connection(("127.0.0.1", sim.port), 5)
    s.sendall(b"\x00" * 64)     # not even TLS
    s.close()

    # Raw garbage after a good WebSocket handshake.
    st, r = a.api("POST", a.url("notificationchannel", "channels"),
                  {"notificationChannel": {"channelType": "Websockets"}})
    url = r["notificationChannel"]["channelData"]["channelURL"]
    s = socket.create_connection(("127.0.0.1", sim.port), 5)
    t = sim.sslctx.wrap_socket(s, server_hostname="127.0.0.1")
    t.sendall(("GET %s?access_token=%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n" % (url, a.token)).encode())
    resp = t.recv(4096)
    check(b" 101 " in resp, "raw WebSocket handshake accepted")
    t.sendall(os.urandom(2048))
    t.close()
    st, _ = sim.http("GET", "/_sim/status")
    check(st == 200, "kandysim alive after broken input")


async def test_misbehave(sim, a):
    path = a.url("webrtcsignaling", "sessions")
    sim.http("POST", "/_sim/misbehave/fail", {"count": 2, "status": 503})
    s1, r1 = a.api("GET", path)
    s2, _ = a.api("GET", path)
    s3, _ = a.api("GET", path)
    check(s1 == 503 and s2 == 503 and s3 == 200 and "requestError" in r1,
          "fail: two 503 answers then normal")
    sim.http("POST", "/_sim/misbehave/delay", {"count": 1, "ms": 600})
    t0 = time.monotonic()
    st, _ = a.api("GET", path)
    check(st == 200 and time.monotonic() - t0 >= 0.5,
          "delay: answer held back")
    sim.http("POST", "/_sim/misbehave/malformed", {"user": "alice"})
    msg = await asyncio.wait_for(a.ws.recv(), 5)
    try:
        json.loads(msg)
        bad = False
    except ValueError:
        bad = True
    check(bad, "malformed notification sent")
    sim.http("POST", "/_sim/misbehave/drop-websockets", {"user": "alice",
             "code": 1001})
    try:
        await asyncio.wait_for(a.ws.recv(), 5)
    except websockets.ConnectionClosed:
        pass
    check(a.ws.close_code == 1001, "drop-websockets closes with 1001")
    # The channel still exists: reconnecting gets held notifications.
    sim.http("POST", "/_sim/incoming", {"from": "+971501111111",
             "to": "alice"})
    a.ws = await sim.ws(a.channel["channelData"]["channelURL"],
                        a.token).__aenter__()
    inv = await next_note(a.ws, "wrtcsSessionInvitationNotification")
    check(inv is not None, "notification held while disconnected arrives")
    if inv:
        a.api("DELETE", inv["link"][0]["href"])
    sim.http("POST", "/_sim/misbehave/drop-websockets", {"user": "alice",
             "code": 1006})
    try:
        await asyncio.wait_for(a.ws.recv(), 5)
    except websockets.ConnectionClosed:
        pass
    check(a.ws.close_code == 1006, "drop-websockets 1006: TCP dropped "
          "without a close frame")
    a.ws = await sim.ws(a.channel["channelData"]["channelURL"],
                        a.token).__aenter__()


async def test_wsrpc(sim, a):
    c = Client(sim, "carol", "carolpw")
    c.login()
    async with sim.ws("/wsrpc", c.token) as w:
        async def rpc(method, params, rid):
            await w.send(json.dumps({"type": "request", "method": method,
                                     "id": rid, "params": params}))
            while True:
                m = json.loads(await asyncio.wait_for(w.recv(), 5))
                if m.get("type") == "response" and m.get("id") == rid:
                    return m

        async def event(method):
            while True:
                m = json.loads(await asyncio.wait_for(w.recv(), 5))
                if m.get("type") == "event" and m.get("method") == method:
                    return m["params"]

        r = await rpc("call.make", {"callId": "c1", "destination":
                                    "tel:+971509999999", "sdp": sdp("c1"),
                                    "mediaType": "audio"}, 1)
        check(r["result"]["callId"] == "c1", "wsrpc call.make response")
        p = await event("call.answered")
        check(p["callId"] == "c1" and p["sdp"].startswith("v=0"),
              "wsrpc call answered with SDP")
        r = await rpc("end", {"callId": "c1"}, 2)
        check(r.get("result", {}).get("status") == "ended", "wsrpc end")
        r = await rpc("end", {"callId": "c1"}, 3)
        check("error" in r, "wsrpc end of ended call: error")
        await w.send("{garbage")
        m = json.loads(await asyncio.wait_for(w.recv(), 5))
        check(m.get("type") == "response" and "error" in m,
              "wsrpc malformed JSON: error response")

        # cpaas user alice calls carol, who is on wsrpc.
        st, r = a.api("POST", a.url("webrtcsignaling", "sessions"),
                      {"wrtcsSession": {"tParticipantAddress": "sip:carol@" +
                       DOMAIN, "offer": {"sdp": sdp("ac")}}})
        p = await event("call.incomingCall")
        check(p["sdp"] == sdp("ac") and p["from"] == "sip:alice@" + DOMAIN,
              "wsrpc call.incomingCall with alice's offer")
        r = await rpc("answer", {"callId": p["callId"], "sdp": sdp("ca")}, 4)
        acc = await next_note(a.ws, "wrtcsAcceptanceNotification")
        check("result" in r and acc is not None and acc["answer"]["sdp"] ==
              sdp("ca"), "wsrpc answer reaches the cpaas caller")
        a.api("DELETE", acc["link"][0]["href"] if acc else "/")
        p2 = await event("call.ended")
        check(p2["callId"] == p["callId"], "wsrpc call.ended")


def test_reqlog(sim):
    st, r = sim.http("GET", "/_sim/log")
    reqs = r["requests"]
    check(any(q["method"] == "POST" and q["path"] ==
              "/cpaas/webrtcsignaling/v1/alice/sessions" and
              "tParticipantAddress" in q["body"] for q in reqs),
          "request log has session POST with its body")
    check(any(q["method"] == "PUT" and q["path"].endswith("/status") for q
              in reqs), "request log has status PUT")
    check(not any("alicepw" in q["body"] or "s3cret" in q["body"]
                  for q in reqs), "request log masks secrets")
    last = reqs[-1]["seq"]
    st, r = sim.http("GET", "/_sim/log?since=%d" % last)
    check(r["requests"] == [], "request log since=")


async def main():
    sim, proc, logpath = start_kandysim(KANDYSIM, TURN_SECRET, DOMAIN)
    try:
        st, _ = sim.http("POST", "/_sim/users", {"username": "carol",
                         "password": "carolpw"})
        check(st == 201, "control API creates a user")
        await test_tokens(sim)
        await test_channel(sim)
        test_turn(sim)
        a = Client(sim, "alice", "alicepw")
        a.login()
        await a.subscribe()
        b = Client(sim, "bob", "bobpw")
        b.login()
        await b.subscribe()
        await test_user_calls(sim, a, b)
        await test_phone_calls(sim, a)
        await test_incoming(sim, a)
        await test_bad_input(sim, a)
        await test_misbehave(sim, a)
        await test_wsrpc(sim, a)
        test_reqlog(sim)
        check(proc.poll() is None, "kandysim still running")
    finally:
        proc.terminate()
        rc = proc.wait(10)
    check(rc == 0, "kandysim exits cleanly on SIGTERM (rc %s)" % rc)
    if failures:
        print("--- kandysim log ---")
        print(open(logpath).read()[-6000:])
        print("%d failure(s)" % len(failures))
        sys.exit(1)
    print("all passed")


asyncio.run(main())
