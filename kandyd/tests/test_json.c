/*
 * Kandy JSON: exact request bodies, every response and notification
 * shape, duplicate ids, and hostile input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kandyd.h"
#include "check.h"

static void
body(char *s, const char *expect)
{
	CHECK_STR(s, expect);
	free(s);
}

static void
test_requests(void)
{
	struct kandy_grant	 g;
	char			 buf[64], *s;

	memset(&g, 0, sizeof(g));
	g.type = GRANT_PASSWORD;
	g.client_id = "c1d2-e3";
	g.username = "alice@example.com";
	g.password = "p&ss=w rd+%/\xc3\xa9";
	body(kreq_token_form(&g), "client_id=c1d2-e3&username=alice%40example"
	    ".com&password=p%26ss%3Dw+rd%2B%25%2F%C3%A9&grant_type=password&"
	    "scope=openid");
	g.type = GRANT_CLIENT_CREDENTIALS;
	g.client_id = "PRIV-bridge";
	g.client_secret = "s3cr3t~";
	body(kreq_token_form(&g), "client_id=PRIV-bridge&client_secret=s3cr3t~"
	    "&grant_type=client_credentials&scope=openid");
	g.client_secret = NULL;
	CHECK(kreq_token_form(&g) == NULL);

	CHECK_INT(url_encode("abc", buf, 4), 3);
	CHECK_INT(url_encode("a b", buf, 4), 3);
	CHECK_STR(buf, "a+b");
	CHECK_INT(url_encode("a&", buf, 4), -1);
	CHECK_INT(url_encode("\x01", buf, sizeof(buf)), 3);
	CHECK_STR(buf, "%01");

	body(kreq_channel("kb-1", 3600), "{\"notificationChannel\":{"
	    "\"channelLifetime\":3600,\"channelType\":\"Websockets\","
	    "\"clientCorrelator\":\"kb-1\",\"x-connCheckRole\":\"client\"}}");
	body(kreq_channel("kb-1", 0), "{\"notificationChannel\":{"
	    "\"channelType\":\"Websockets\",\"clientCorrelator\":\"kb-1\","
	    "\"x-connCheckRole\":\"client\"}}");
	body(kreq_channel_lifetime(7200), "{\"notificationChannelLifetime\":"
	    "{\"channelLifetime\":7200}}");
	body(kreq_subscription("kb-1", "ws-abc"), "{\"wrtcsNotification"
	    "Subscription\":{\"callbackReference\":{\"notifyURL\":\"ws-abc\"},"
	    "\"clientCorrelator\":\"kb-1\"}}");
	body(kreq_turn("kb-1"), "{\"wrtcsTurnCredentials\":{\"clientCorrelator"
	    "\":\"kb-1\"}}");
	body(kreq_session_create("kb-1", "tel:+971501234567", "Bob \"B\"",
	    "v=0\r\n"), "{\"wrtcsSession\":{\"clientCorrelator\":\"kb-1\","
	    "\"tParticipantAddress\":\"tel:+971501234567\",\"tParticipantName"
	    "\":\"Bob \\\"B\\\"\",\"offer\":{\"sdp\":\"v=0\\r\\n\"}}}");
	body(kreq_session_create("kb-1", "sip:1@d", NULL, "v=0"),
	    "{\"wrtcsSession\":{\"clientCorrelator\":\"kb-1\",\"tParticipant"
	    "Address\":\"sip:1@d\",\"offer\":{\"sdp\":\"v=0\"}}}");
	CHECK(kreq_session_create("kb-1", "sip:1@d", NULL, NULL) == NULL);
	body(kreq_session_status("kb-1", "Ringing"), "{\"wrtcsSessionStatus\":"
	    "{\"clientCorrelator\":\"kb-1\",\"status\":\"Ringing\"}}");
	body(kreq_answer("kb-1", "v=0"), "{\"wrtcsAnswer\":{\"clientCorrelator"
	    "\":\"kb-1\",\"sdp\":\"v=0\"}}");
	body(kreq_offer("kb-1", "v=0"), "{\"wrtcsOffer\":{\"clientCorrelator"
	    "\":\"kb-1\",\"sdp\":\"v=0\"}}");
	body(kreq_forward("kb-1", "tel:+1"), "{\"wrtcsForward\":{"
	    "\"clientCorrelator\":\"kb-1\",\"address\":\"tel:+1\"}}");
	body(kreq_transfer("kb-1", "tel:+1", "s9"), "{\"wrtcsTransfer\":{"
	    "\"clientCorrelator\":\"kb-1\",\"address\":\"tel:+1\","
	    "\"sessionId\":\"s9\"}}");
	body(kreq_transfer("kb-1", "tel:+1", NULL), "{\"wrtcsTransfer\":{"
	    "\"clientCorrelator\":\"kb-1\",\"address\":\"tel:+1\"}}");

	/* Paths. */
	s = malloc(256);
	CHECK(kandy_path(s, 256, KP_TOKEN, NULL, NULL) > 0);
	CHECK_STR(s, "/cpaas/auth/v1/token");
	CHECK(kandy_path(s, 256, KP_CHANNELS, "alice", NULL) > 0);
	CHECK_STR(s, "/cpaas/notificationchannel/v1/alice/channels");
	CHECK(kandy_path(s, 256, KP_SESSION_ANSWER, "alice@x.com", "s-1") > 0);
	CHECK_STR(s, "/cpaas/webrtcsignaling/v1/alice@x.com/sessions/s-1/answer");
	CHECK(kandy_path(s, 256, KP_SESSION, "alice", "abc") > 0);
	CHECK_STR(s, "/cpaas/webrtcsignaling/v1/alice/sessions/abc");
	CHECK(kandy_path(s, 256, KP_TURN, "alice", NULL) > 0);
	CHECK_STR(s, "/cpaas/webrtcsignaling/v1/alice/turn");
	CHECK_INT(kandy_path(s, 256, KP_SESSION, "alice", "../x"), -1);
	CHECK_INT(kandy_path(s, 256, KP_SESSION, "alice", ".."), -1);
	CHECK_INT(kandy_path(s, 256, KP_SESSION, "alice", NULL), -1);
	CHECK_INT(kandy_path(s, 256, KP_SESSIONS, "al ice", NULL), -1);
	CHECK_INT(kandy_path(s, 256, KP_SESSIONS, "a?b", NULL), -1);
	CHECK_INT(kandy_path(s, 20, KP_SESSIONS, "alice", NULL), -1);
	CHECK_INT(kandy_path(s, 256, KP_MAX, "alice", NULL), -1);
	free(s);
}

#define PARSE(fn, str, out)	fn((str), strlen(str), (out), &err)
#define SESSION(str)	kresp_session((str), strlen(str), sid, sizeof(sid), &err)

static void
test_responses(void)
{
	struct kandy_token	*t;
	struct kandy_channel	 c;
	struct kandy_turn	 tu;
	struct kandy_error	 e;
	const char		*err = NULL;
	char			 sid[KANDY_IDLEN];
	char			*big;

	t = malloc(sizeof(*t));
	CHECK_INT(PARSE(kresp_token, "{\"access_token\":\"eyA.eyB.sig\","
	    "\"expires_in\":3600,\"refresh_expires_in\":7200,\"refresh_token\":"
	    "\"r\",\"token_type\":\"Bearer\",\"id_token\":\"eyC.eyD.s\","
	    "\"not-before-policy\":0,\"session_state\":\"x\",\"scope\":"
	    "\"openid\"}", t), 0);
	CHECK_STR(t->access_token, "eyA.eyB.sig");
	CHECK_STR(t->id_token, "eyC.eyD.s");
	CHECK_INT(t->expires_in, 3600);
	CHECK_INT(PARSE(kresp_token, "{\"access_token\":\"a\"}", t), 0);
	CHECK_STR(t->id_token, "");
	CHECK_INT(PARSE(kresp_token, "{\"expires_in\":3600}", t), -1);
	CHECK_STR(err, "token: 'access_token' missing");
	CHECK_INT(PARSE(kresp_token, "{\"access_token\":5}", t), -1);
	CHECK_STR(err, "token: 'access_token' of wrong type or too long");
	CHECK_INT(PARSE(kresp_token, "{\"access_token\":\"a\",\"expires_in\":"
	    "\"3600\"}", t), -1);
	CHECK_INT(PARSE(kresp_token, "{\"access_token\":\"a\",\"token_type\":"
	    "\"mac\"}", t), -1);
	big = malloc(KANDY_TOKENLEN + 64);
	memset(big, 'x', KANDY_TOKENLEN + 64);
	memcpy(big, "{\"access_token\":\"", 17);
	memcpy(big + KANDY_TOKENLEN + 60, "\"}", 3);
	CHECK_INT(PARSE(kresp_token, big, t), -1);
	free(big);
	free(t);

	CHECK_INT(PARSE(kresp_channel, "{\"notificationChannel\":{\"callbackURL"
	    "\":\"ws-2f1e\",\"channelData\":{\"channelURL\":\"/cpaas/notification"
	    "channel/v1/alice/channels/ws-2f1e/websocket\"},\"channelLifetime\":"
	    "3600,\"channelType\":\"Websockets\",\"clientCorrelator\":\"kb\","
	    "\"x-connCheckRole\":\"client\",\"resourceURL\":\"/cpaas/"
	    "notificationchannel/v1/alice/channels/ch7\"}}", &c), 0);
	CHECK_STR(c.callback_url, "ws-2f1e");
	CHECK_STR(c.channel_url,
	    "/cpaas/notificationchannel/v1/alice/channels/ws-2f1e/websocket");
	CHECK_STR(c.resource_url,
	    "/cpaas/notificationchannel/v1/alice/channels/ch7");
	CHECK_INT(c.lifetime, 3600);
	CHECK_INT(PARSE(kresp_channel, "{\"notificationChannel\":{\"callbackURL"
	    "\":\"ws\",\"channelData\":{\"channelURL\":\"/a/../b\"},"
	    "\"resourceURL\":\"/r\"}}", &c), -1);
	CHECK_INT(PARSE(kresp_channel, "{\"notificationChannel\":{\"callbackURL"
	    "\":\"ws\",\"channelData\":{\"channelURL\":\"wss://evil/x\"},"
	    "\"resourceURL\":\"/r\"}}", &c), -1);
	CHECK_INT(PARSE(kresp_channel, "{\"notificationChannel\":{\"callbackURL"
	    "\":\"ws\",\"channelData\":[],\"resourceURL\":\"/r\"}}", &c), -1);
	CHECK_STR(err, "channel: 'channelData' of wrong type or too long");
	CHECK_INT(PARSE(kresp_channel, "{\"notificationChannel\":[]}", &c), -1);

	CHECK_INT(PARSE(kresp_turn, "{\"wrtcsTurnCredentials\":{\"username\":"
	    "\"1764160000:alice\",\"password\":\"Zm9vYmFy\",\"expires\":86400}}",
	    &tu), 0);
	CHECK_STR(tu.username, "1764160000:alice");
	CHECK_STR(tu.password, "Zm9vYmFy");
	CHECK_INT(tu.expires, 86400);
	CHECK_INT(PARSE(kresp_turn, "{\"wrtcsTurnCredentials\":{\"username\":"
	    "\"u\"}}", &tu), -1);
	CHECK_STR(tu.username, "");

	CHECK_INT(SESSION("{\"wrtcsSession\":{\"resourceURL\":\"/cpaas/"
	    "webrtcsignaling/v1/alice/sessions/a1b2-c3\",\"offer\":{}}}"), 0);
	CHECK_STR(sid, "a1b2-c3");
	CHECK_INT(SESSION("{\"wrtcsSession\":{\"resourceURL\":\"/x/"
	    "sessions/\"}}"), -1);
	CHECK_INT(SESSION("{\"wrtcsSession\":{\"resourceURL\":\"/x/y\"}}"),
	    -1);
	CHECK_INT(SESSION("{\"wrtcsSession\":{\"resourceURL\":\"/x/"
	    "sessions/a b\"}}"), -1);

	CHECK_INT(PARSE(kresp_error, "{\"requestError\":{\"serviceException\":"
	    "{\"messageId\":\"SVC0005\",\"text\":\"Invalid input value for "
	    "message part %1\",\"variables\":[\"tParticipantAddress\"]}}}", &e),
	    0);
	CHECK_INT(e.kind, KERR_SERVICE);
	CHECK_STR(e.message_id, "SVC0005");
	CHECK_STR(e.text, "Invalid input value for message part %1");
	CHECK_INT(PARSE(kresp_error, "{\"requestError\":{\"policyException\":"
	    "{\"messageId\":\"POL0001\",\"text\":\"A policy error occurred\"}}}",
	    &e), 0);
	CHECK_INT(e.kind, KERR_POLICY);
	CHECK_STR(e.message_id, "POL0001");
	CHECK_INT(PARSE(kresp_error, "{\"error\":\"invalid_grant\","
	    "\"error_description\":\"Invalid user credentials\"}", &e), 0);
	CHECK_INT(e.kind, KERR_OAUTH);
	CHECK_STR(e.message_id, "invalid_grant");
	CHECK_STR(e.text, "Invalid user credentials");
	CHECK_INT(PARSE(kresp_error, "{\"requestError\":{}}", &e), -1);
	CHECK_INT(PARSE(kresp_error, "{\"requestError\":{\"serviceException\":"
	    "{\"text\":\"x\"}}}", &e), -1);
	CHECK_INT(PARSE(kresp_error, "{\"foo\":1}", &e), -1);
	CHECK_INT(PARSE(kresp_error, "<html>502</html>", &e), -1);
	CHECK_STR(err, "malformed JSON");
}

static void
test_notify(void)
{
	struct kandy_notify	 n;
	struct kandy_dedup	 d;
	const char		*err = NULL;
	char			 id[16];
	int			 i;

	CHECK_INT(PARSE(kandy_notify_parse, "{\"connAck\":{}}", &n), 0);
	CHECK_INT(n.type, KN_CONNACK);
	CHECK_INT(PARSE(kandy_notify_parse, "{\"connCheck\":{\"interval\":30}}",
	    &n), 0);
	CHECK_INT(n.type, KN_CONNCHECK);
	CHECK_INT(n.interval, 30);

	CHECK_INT(PARSE(kandy_notify_parse, "{\"wrtcsSessionInvitation"
	    "Notification\":{\"id\":\"n-1\",\"offer\":{\"sdp\":\"v=0\\r\\n\"},"
	    "\"link\":[{\"href\":\"/cpaas/webrtcsignaling/v1/alice/sessions/"
	    "s77\",\"rel\":\"WebRTCSession\"}],\"originatorName\":\"Carol\","
	    "\"originatorAddress\":\"sip:+97141234567@kandy\","
	    "\"tParticipantAddress\":\"sip:alice@kandy\"}}", &n), 0);
	CHECK_INT(n.type, KN_INVITATION);
	CHECK_STR(n.id, "n-1");
	CHECK_STR(n.session_id, "s77");
	CHECK_STR(n.sdp, "v=0\r\n");
	CHECK_INT(n.sdplen, 5);
	CHECK_STR(n.originator_name, "Carol");
	CHECK_STR(n.originator_address, "sip:+97141234567@kandy");
	CHECK_STR(n.participant_address, "sip:alice@kandy");
	kandy_notify_free(&n);

	CHECK_INT(PARSE(kandy_notify_parse, "{\"wrtcsEventNotification\":{"
	    "\"id\":\"n-2\",\"eventType\":\"SessionEnded\",\"reasonText\":"
	    "\"bye\",\"reasonCode\":486,\"link\":[{\"href\":\"x/sessions/s77\"}]}}", &n), 0);
	CHECK_INT(n.type, KN_EVENT);
	CHECK_INT(n.event, KE_SESSION_ENDED);
	CHECK_STR(n.reason, "bye");
	CHECK_INT(n.reason_code, 486);
	CHECK_STR(kandy_event_name(n.event), "SessionEnded");
	CHECK(n.sdp == NULL);
	CHECK_INT(PARSE(kandy_notify_parse, "{\"wrtcsEventNotification\":{"
	    "\"id\":\"n-3\",\"eventType\":\"Ringing\",\"link\":{\"href\":"
	    "\"x/sessions/s77\"}}}", &n), 0);
	CHECK_INT(n.event, KE_RINGING);
	CHECK_INT(PARSE(kandy_notify_parse, "{\"wrtcsEventNotification\":{"
	    "\"id\":\"n-3\",\"eventType\":\"Parked\",\"link\":[{\"href\":"
	    "\"x/other/1\"},{\"href\":\"x/sessions/s78\"}]}}", &n), 0);
	CHECK_INT(n.event, KE_OTHER);
	CHECK_STR(n.session_id, "s78");

	CHECK_INT(PARSE(kandy_notify_parse, "{\"wrtcsAcceptanceNotification\":{"
	    "\"id\":\"n-4\",\"answer\":{\"sdp\":\"v=0\"},\"link\":[{\"href\":"
	    "\"/s/sessions/s1\"}]}}", &n), 0);
	CHECK_INT(n.type, KN_ACCEPTANCE);
	CHECK_STR(n.sdp, "v=0");
	kandy_notify_free(&n);
	CHECK_INT(PARSE(kandy_notify_parse, "{\"wrtcsOfferNotification\":{"
	    "\"id\":\"n-5\",\"offer\":{\"sdp\":\"v=0\"},\"link\":[{\"href\":"
	    "\"/s/sessions/s1\"}]}}", &n), 0);
	CHECK_INT(n.type, KN_OFFER);
	kandy_notify_free(&n);
	CHECK_INT(PARSE(kandy_notify_parse, "{\"wrtcsAnswerNotification\":{"
	    "\"id\":\"n-6\",\"answer\":{\"sdp\":\"v=0\"},\"link\":[{\"href\":"
	    "\"/s/sessions/s1\"}]}}", &n), 0);
	CHECK_INT(n.type, KN_ANSWER);
	kandy_notify_free(&n);
	CHECK_INT(PARSE(kandy_notify_parse, "{\"wrtcsIceNotification\":{"
	    "\"id\":\"n-7\",\"link\":[{\"href\":\"/s/sessions/s1\"}]}}", &n), 0);
	CHECK_INT(n.type, KN_ICE);
	CHECK_INT(PARSE(kandy_notify_parse, "{\"chatNotification\":{\"id\":1}}",
	    &n), 0);
	CHECK_INT(n.type, KN_UNKNOWN);

	/* Hostile or broken. */
	CHECK_INT(PARSE(kandy_notify_parse, "{\"connAck\":{},\"connCheck\":{}}",
	    &n), -1);
	CHECK_INT(PARSE(kandy_notify_parse, "{}", &n), -1);
	CHECK_INT(PARSE(kandy_notify_parse, "[]", &n), -1);
	CHECK_INT(PARSE(kandy_notify_parse, "\"connAck\"", &n), -1);
	CHECK_INT(PARSE(kandy_notify_parse, "{\"connAck\":[]}", &n), -1);
	CHECK_INT(PARSE(kandy_notify_parse, "{\"connCheck\":{\"interval\":-1}}",
	    &n), -1);
	CHECK_INT(PARSE(kandy_notify_parse, "{\"wrtcsOfferNotification\":{"
	    "\"id\":5,\"offer\":{\"sdp\":\"v=0\"},\"link\":[{\"href\":"
	    "\"/s/sessions/s1\"}]}}", &n), -1);
	CHECK_STR(err, "wrtcsOfferNotification: 'id' of wrong type or too long");
	CHECK_INT(PARSE(kandy_notify_parse, "{\"wrtcsOfferNotification\":{"
	    "\"id\":\"\",\"offer\":{\"sdp\":\"v=0\"},\"link\":[{\"href\":"
	    "\"/s/sessions/s1\"}]}}", &n), -1);
	CHECK_INT(PARSE(kandy_notify_parse, "{\"wrtcsOfferNotification\":{"
	    "\"id\":\"a\",\"offer\":{\"sdp\":7},\"link\":[{\"href\":"
	    "\"/s/sessions/s1\"}]}}", &n), -1);
	CHECK_STR(err, "wrtcsOfferNotification: 'offer' has no sdp string");
	CHECK_INT(PARSE(kandy_notify_parse, "{\"wrtcsOfferNotification\":{"
	    "\"id\":\"a\",\"offer\":{\"sdp\":\"v=0\"},\"link\":[{\"href\":"
	    "\"/s/sessions/../x\"}]}}", &n), -1);
	CHECK_INT(PARSE(kandy_notify_parse, "{\"wrtcsOfferNotification\":{"
	    "\"id\":\"a\",\"offer\":{\"sdp\":\"v=0\"}}}", &n), -1);
	CHECK_STR(err, "wrtcsOfferNotification: 'link' missing");
	CHECK_INT(PARSE(kandy_notify_parse, "{\"wrtcsEventNotification\":{"
	    "\"id\":\"a\",\"link\":[{\"href\":\"/s/sessions/s1\"}]}}", &n), -1);
	CHECK_INT(PARSE(kandy_notify_parse, "{\"wrtcsEventNotification\":{"
	    "\"id\":\"a\",\"id\":\"b\",\"eventType\":\"Ringing\",\"link\":[{"
	    "\"href\":\"/s/sessions/s1\"}]}}", &n), -1);
	CHECK_INT(PARSE(kandy_notify_parse, "{\"wrtcsEventNotification\":{"
	    "\"id\":\"a\\nb\",\"eventType\":\"Ringing\",\"link\":[{"
	    "\"href\":\"/s/sessions/s1\"}]}}", &n), -1);
	CHECK_INT(PARSE(kandy_notify_parse, "{\"wrtcsEventNotification\":{"
	    "\"id\":\"a\",\"eventType\":\"Ringing\",\"link\":[{\"x\":1}]}}", &n),
	    -1);
	CHECK_INT(PARSE(kandy_notify_parse, "{\"a\":[[[[[[[[[[[[[[[[[[]]]]]]]]"
	    "]]]]]]]]]]}", &n), -1);
	CHECK_STR(err, "JSON nested too deeply");
	CHECK_INT(PARSE(kandy_notify_parse, "{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[[[["
	    "[[[\\\"[[[[[[[[[[[[[[[[\"}", &n), 0);
	CHECK_INT(PARSE(kandy_notify_parse, "{\"connAck\":{}} trailing", &n),
	    -1);

	/* Duplicate ids: remembered within a window of KANDY_DEDUPN. */
	memset(&d, 0, sizeof(d));
	CHECK_INT(kandy_dedup_seen(&d, "n-1"), 0);
	CHECK_INT(kandy_dedup_seen(&d, "n-1"), 1);
	CHECK_INT(kandy_dedup_seen(&d, "n-2"), 0);
	for (i = 0; i < KANDY_DEDUPN - 2; i++) {
		snprintf(id, sizeof(id), "x%d", i);
		CHECK_INT(kandy_dedup_seen(&d, id), 0);
	}
	CHECK_INT(kandy_dedup_seen(&d, "n-1"), 1);
	CHECK_INT(kandy_dedup_seen(&d, "y"), 0);	/* evicts n-1 */
	CHECK_INT(kandy_dedup_seen(&d, "n-2"), 1);
	CHECK_INT(kandy_dedup_seen(&d, "n-1"), 0);
}

static void
test_big(void)
{
	struct kandy_notify	 n;
	const char		*err = NULL;
	char			*buf;
	size_t			 len = KANDY_NOTIFYMAX + 10, off;

	/* An SDP over the limit inside an otherwise fine notification. */
	buf = malloc(len + 1);
	off = snprintf(buf, len, "{\"wrtcsOfferNotification\":{\"id\":\"a\","
	    "\"link\":[{\"href\":\"/s/sessions/s1\"}],\"offer\":{\"sdp\":\"");
	memset(buf + off, 'x', SDP_MAXLEN + 1);
	off += SDP_MAXLEN + 1;
	off += snprintf(buf + off, len - off, "\"}}}");
	CHECK_INT(kandy_notify_parse(buf, off, &n, &err), -1);
	CHECK_STR(err, "wrtcsOfferNotification: 'offer' sdp empty or too large");
	memset(buf, ' ', len);
	CHECK_INT(kandy_notify_parse(buf, len, &n, &err), -1);
	CHECK_STR(err, "JSON too large");
	free(buf);
}

static void
test_cause(void)
{
	struct sip_outcome	 o;
	struct kandy_error	 e;

	memset(&e, 0, sizeof(e));
	kandy_http_to_sip(0, NULL, &o);
	CHECK_INT(o.code, 503);
	CHECK_INT(o.retry_after, 30);
	kandy_http_to_sip(401, NULL, &o);
	CHECK_INT(o.code, 503);
	CHECK(o.retry_after > 0);
	e.kind = KERR_POLICY;
	kandy_http_to_sip(403, &e, &o);
	CHECK_INT(o.code, 403);
	CHECK_INT(o.retry_after, 0);
	kandy_http_to_sip(404, NULL, &o);
	CHECK_INT(o.code, 404);
	kandy_http_to_sip(400, NULL, &o);
	CHECK_INT(o.code, 404);
	kandy_http_to_sip(502, NULL, &o);
	CHECK_INT(o.code, 503);
	CHECK_INT(o.retry_after, 30);
	kandy_http_to_sip(429, NULL, &o);
	CHECK_INT(o.code, 503);
	kandy_http_to_sip(409, NULL, &o);
	CHECK_INT(o.code, 503);
	CHECK_INT(o.retry_after, 0);

	kandy_end_to_sip(KE_SESSION_ENDED, 486, &o);
	CHECK_INT(o.code, 486);
	kandy_end_to_sip(KE_SESSION_ENDED, 600, &o);
	CHECK_INT(o.code, 486);
	kandy_end_to_sip(KE_SESSION_ENDED, 0, &o);
	CHECK_INT(o.code, 480);
	kandy_end_to_sip(KE_SESSION_ENDED, 408, &o);
	CHECK_INT(o.code, 480);
	kandy_end_to_sip(KE_SESSION_ENDED, 404, &o);
	CHECK_INT(o.code, 404);
	kandy_end_to_sip(KE_SESSION_ENDED, 603, &o);
	CHECK_INT(o.code, 603);
	kandy_end_to_sip(KE_SESSION_ENDED, 503, &o);
	CHECK_INT(o.code, 503);
	CHECK_INT(o.retry_after, 30);
	kandy_end_to_sip(KE_CANCELLED, 0, &o);
	CHECK_INT(o.code, 487);
}

int
main(void)
{
	test_cause();
	test_requests();
	test_responses();
	test_notify();
	test_big();
	if (check_failures)
		fprintf(stderr, "%d failures\n", check_failures);
	return (check_failures != 0);
}
