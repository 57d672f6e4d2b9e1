/*
 * kandyd's Kandy client pieces against the emulator: token grant, JWT,
 * notification channel over WSS, subscription, TURN credentials, an
 * outgoing call with our SDP offer and kandysim's answer, an incoming
 * call answered with our SDP, and the error bodies of a dead token and
 * a gone session.  Everything goes over real TLS with trust anchors
 * from memory.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libwebsockets.h>

#include "kandyd.h"
#include "log.h"
#include "check.h"

#define CORR	"kb-test-1"

struct result {
	int	 done;
	int	 status;
	char	*body;
	size_t	 len;
};

struct chan {
	int	 up;
	int	 ringing;
	int	 accepted;
	int	 invited;
	int	 ended;
	int	 end_code;
	char	 sid[KANDY_IDLEN];
	char	*sdp;
	char	 from[KANDY_TEXTLEN];
};

static struct lws_context	*ctx;
static struct http_client	*hc;
static struct http_client	*sim;
static lws_sorted_usec_list_t	 tick_sul;

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static void
tick(lws_sorted_usec_list_t *sul)
{
	lws_sul_schedule(ctx, 0, &tick_sul, tick, 50 * LWS_US_PER_MS);
}

static int
run_until(volatile int *flag, double secs)
{
	double	 end = now() + secs;

	tick(&tick_sul);
	while (!*flag && now() < end)
		lws_service(ctx, 0);
	lws_sul_cancel(&tick_sul);
	return (*flag);
}

static void
done_cb(int status, const char *body, size_t len, const char *err, void *arg)
{
	struct result	*r = arg;

	r->done = 1;
	r->status = status;
	r->body = strndup(body, len);
	r->len = len;
	if (err != NULL)
		fprintf(stderr, "request failed: %s\n", err);
}

/* One request, waited for. */
static struct result
call(struct http_client *c, const char *method, const char *path,
    const char *bearer, const char *ctype, const char *body)
{
	struct result	 r;

	memset(&r, 0, sizeof(r));
	if (http_request(c, method, path, bearer, ctype, body,
	    body ? strlen(body) : 0, 10000, done_cb, &r) == NULL) {
		fprintf(stderr, "cannot queue %s %s\n", method, path);
		check_failures++;
		return (r);
	}
	if (!run_until(&r.done, 20)) {
		fprintf(stderr, "%s %s: no answer\n", method, path);
		check_failures++;
	}
	return (r);
}

static void
on_notify(const struct kandy_notify *n, void *arg)
{
	struct chan	*c = arg;

	switch (n->type) {
	case KN_EVENT:
		if (n->event == KE_RINGING)
			c->ringing++;
		else if (n->event == KE_SESSION_ENDED ||
		    n->event == KE_CANCELLED) {
			c->ended++;
			c->end_code = n->reason_code;
		}
		break;
	case KN_ACCEPTANCE:
	case KN_INVITATION:
		if (n->type == KN_ACCEPTANCE)
			c->accepted++;
		else
			c->invited++;
		free(c->sdp);
		c->sdp = strdup(n->sdp);
		strlcpy(c->sid, n->session_id, sizeof(c->sid));
		strlcpy(c->from, n->originator_address, sizeof(c->from));
		break;
	default:
		break;
	}
}

static void
on_state(enum ws_state s, int detail, void *arg)
{
	struct chan	*c = arg;

	c->up = s == WS_UP;
}

static void
local_desc(struct media_webrtc_desc *d, struct sdp_local *l)
{
	struct sockaddr_in	*sin;

	memset(d, 0, sizeof(*d));
	strlcpy(d->ufrag, "KbUf", sizeof(d->ufrag));
	strlcpy(d->pwd, "kandybridgetestpassword1", sizeof(d->pwd));
	strlcpy(d->fingerprint, "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:"
	    "88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99",
	    sizeof(d->fingerprint));
	d->rtcp_mux = 1;
	d->ssrc = 1234;
	d->codecs[0] = (struct media_codec_desc){ CODEC_PCMA, 8, 1, 8000 };
	d->codecs[1] = (struct media_codec_desc){ CODEC_TELEPHONE_EVENT, 101,
	    1, 8000 };
	d->ncodecs = 2;
	d->ncands = 1;
	strlcpy(d->cands[0].foundation, "1", sizeof(d->cands[0].foundation));
	d->cands[0].component = 1;
	d->cands[0].priority = 2130706431;
	sin = (struct sockaddr_in *)&d->cands[0].addr;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(40000);
	inet_pton(AF_INET, "127.0.0.1", &sin->sin_addr);
	memset(l, 0, sizeof(*l));
	l->sess_id = 42;
	l->sess_version = 1;
	strlcpy(l->cname, "kb", sizeof(l->cname));
	strlcpy(l->stream_id, "kbs", sizeof(l->stream_id));
	strlcpy(l->track_id, "kba", sizeof(l->track_id));
}

int
main(int argc, char *argv[])
{
	struct kd_endpoint		 ep;
	struct kandy_grant		 g;
	struct kandy_token		*tok;
	struct kandy_channel		 ch;
	struct kandy_turn		 turn;
	struct kandy_error		 ke;
	struct jwt_claims		 jc;
	struct media_webrtc_desc	 d, r;
	struct sdp_local		 l;
	struct ws_conf			 wc;
	struct ws_client		*ws;
	struct chan			 c;
	struct result			 res;
	const char			*err = NULL;
	char				*ca, *body, path[512], user[KANDY_IDLEN];
	char				 sdp[4096], sid[KANDY_IDLEN];
	size_t				 calen;

	if (argc != 3) {
		fprintf(stderr, "usage: test_kandysim ca.pem port\n");
		return (2);
	}
	log_init(1, 0, 0);
	kd_lws_log_init();
	ca = check_slurp(argv[1], &calen);
	if ((ctx = kd_lws_create(ca, calen, NULL, 0)) == NULL)
		return (2);
	free(ca);
	memset(&ep, 0, sizeof(ep));
	strlcpy(ep.host, "localhost", sizeof(ep.host));
	strlcpy(ep.address, "127.0.0.1", sizeof(ep.address));
	ep.port = atoi(argv[2]);
	hc = http_client_new(ctx, &ep);
	sim = http_client_new(ctx, &ep);

	/* 1. Token, client credentials grant. */
	memset(&g, 0, sizeof(g));
	g.type = GRANT_CLIENT_CREDENTIALS;
	g.client_id = "PRIV-bridge";
	g.client_secret = "s3cr3t";
	body = kreq_token_form(&g);
	kandy_path(path, sizeof(path), KP_TOKEN, NULL, NULL);
	res = call(hc, "POST", path, NULL, "application/x-www-form-urlencoded",
	    body);
	free(body);
	CHECK_INT(res.status, 200);
	tok = calloc(1, sizeof(*tok));
	CHECK_INT(kresp_token(res.body, res.len, tok, &err), 0);
	free(res.body);
	CHECK_INT(jwt_decode(tok->id_token, &jc, &err), 0);
	CHECK_STR(jc.preferred_username, "bridge");
	CHECK_INT(jc.exp - jc.iat, tok->expires_in);
	strlcpy(user, jc.preferred_username, sizeof(user));

	/* Wrong secret: OAuth error body. */
	g.client_secret = "wrong";
	body = kreq_token_form(&g);
	res = call(hc, "POST", path, NULL, "application/x-www-form-urlencoded",
	    body);
	free(body);
	CHECK_INT(res.status, 401);
	CHECK_INT(kresp_error(res.body, res.len, &ke, &err), 0);
	CHECK_INT(ke.kind, KERR_OAUTH);
	CHECK_STR(ke.message_id, "invalid_client");
	free(res.body);

	/* 2. Channel, then the WebSocket on it. */
	body = kreq_channel(CORR, 3600);
	kandy_path(path, sizeof(path), KP_CHANNELS, user, NULL);
	res = call(hc, "POST", path, tok->access_token, "application/json",
	    body);
	free(body);
	CHECK_INT(res.status, 201);
	CHECK_INT(kresp_channel(res.body, res.len, &ch, &err), 0);
	free(res.body);
	memset(&wc, 0, sizeof(wc));
	wc.keepalive_ms = 500;
	memset(&c, 0, sizeof(c));
	ws = ws_new(ctx, &ep, &wc, on_notify, on_state, &c);
	CHECK_INT(ws_open(ws, ch.channel_url, tok->access_token), 0);
	CHECK(run_until(&c.up, 20));

	/* 3. Subscription to call events. */
	body = kreq_subscription(CORR, ch.callback_url);
	kandy_path(path, sizeof(path), KP_SUBSCRIPTIONS, user, NULL);
	res = call(hc, "POST", path, tok->access_token, "application/json",
	    body);
	free(body);
	CHECK_INT(res.status, 201);
	free(res.body);

	/* 4. TURN credentials. */
	body = kreq_turn(CORR);
	kandy_path(path, sizeof(path), KP_TURN, user, NULL);
	res = call(hc, "POST", path, tok->access_token, "application/json",
	    body);
	free(body);
	CHECK_INT(res.status, 201);
	CHECK_INT(kresp_turn(res.body, res.len, &turn, &err), 0);
	CHECK(strstr(turn.username, ":bridge") != NULL);
	CHECK(turn.password[0] != '\0');
	CHECK(turn.expires > 0);
	free(res.body);

	/* 5. Outgoing call to a number kandysim answers. */
	local_desc(&d, &l);
	CHECK(sdp_webrtc_build(&d, &l, sdp, sizeof(sdp), &err) > 0);
	body = kreq_session_create(CORR, "tel:+971500001234", "Bridge", sdp);
	kandy_path(path, sizeof(path), KP_SESSIONS, user, NULL);
	res = call(hc, "POST", path, tok->access_token, "application/json",
	    body);
	free(body);
	CHECK_INT(res.status, 201);
	CHECK_INT(kresp_session(res.body, res.len, sid, sizeof(sid), &err), 0);
	free(res.body);
	CHECK(run_until(&c.ringing, 20));
	CHECK(run_until(&c.accepted, 20));
	CHECK_STR(c.sid, sid);
	CHECK_INT(sdp_webrtc_parse(c.sdp, strlen(c.sdp), &r, &err), 0);
	if (err != NULL)
		fprintf(stderr, "kandysim answer: %s\n", err);
	CHECK(r.ncodecs >= 2);
	CHECK(r.codecs[0].codec == CODEC_PCMA || r.codecs[1].codec == CODEC_PCMA);
	CHECK(r.setup == SETUP_ACTIVE || r.setup == SETUP_PASSIVE);
	CHECK_INT(r.ncands, 1);

	body = kreq_session_status(CORR, "Connected");
	kandy_path(path, sizeof(path), KP_SESSION_STATUS, user, sid);
	res = call(hc, "PUT", path, tok->access_token, "application/json",
	    body);
	free(body);
	CHECK_INT(res.status, 200);
	free(res.body);
	kandy_path(path, sizeof(path), KP_SESSION, user, sid);
	res = call(hc, "DELETE", path, tok->access_token, NULL, NULL);
	CHECK(res.status >= 200 && res.status < 300);
	free(res.body);

	/* The session is gone: 404 with a requestError. */
	body = kreq_session_status(CORR, "Connected");
	kandy_path(path, sizeof(path), KP_SESSION_STATUS, user, sid);
	res = call(hc, "PUT", path, tok->access_token, "application/json",
	    body);
	free(body);
	CHECK_INT(res.status, 404);
	CHECK_INT(kresp_error(res.body, res.len, &ke, &err), 0);
	CHECK_INT(ke.kind, KERR_SERVICE);
	free(res.body);

	/* 6. A busy number: SessionEnded with its cause. */
	res = call(sim, "POST", "/_sim/rules", NULL, "application/json",
	    "{\"match\":\"971500486*\",\"action\":\"reject\",\"cause\":486}");
	CHECK_INT(res.status, 201);
	free(res.body);
	body = kreq_session_create(CORR, "tel:+9715004861", NULL, sdp);
	kandy_path(path, sizeof(path), KP_SESSIONS, user, NULL);
	res = call(hc, "POST", path, tok->access_token, "application/json",
	    body);
	free(body);
	free(res.body);
	CHECK(run_until(&c.ended, 20));
	CHECK_INT(c.end_code, 486);

	/* 7. Incoming call: invitation, Ringing, our answer, hang up. */
	res = call(sim, "POST", "/_sim/incoming", NULL, "application/json",
	    "{\"from\":\"+971501234567\",\"to\":\"bridge\"}");
	CHECK_INT(res.status, 201);
	free(res.body);
	CHECK(run_until(&c.invited, 20));
	CHECK(strstr(c.from, "971501234567") != NULL);
	CHECK_INT(sdp_webrtc_parse(c.sdp, strlen(c.sdp), &r, &err), 0);
	CHECK_INT(r.setup, SETUP_ACTPASS);
	strlcpy(sid, c.sid, sizeof(sid));
	body = kreq_session_status(CORR, "Ringing");
	kandy_path(path, sizeof(path), KP_SESSION_STATUS, user, sid);
	res = call(hc, "PUT", path, tok->access_token, "application/json",
	    body);
	free(body);
	CHECK_INT(res.status, 200);
	free(res.body);
	d.setup = SETUP_ACTIVE;
	CHECK(sdp_webrtc_build(&d, &l, sdp, sizeof(sdp), &err) > 0);
	body = kreq_answer(CORR, sdp);
	kandy_path(path, sizeof(path), KP_SESSION_ANSWER, user, sid);
	res = call(hc, "PUT", path, tok->access_token, "application/json",
	    body);
	free(body);
	CHECK(res.status >= 200 && res.status < 300);
	free(res.body);
	kandy_path(path, sizeof(path), KP_SESSION, user, sid);
	res = call(hc, "DELETE", path, tok->access_token, NULL, NULL);
	CHECK(res.status >= 200 && res.status < 300);
	free(res.body);

	/* 8. Tokens revoked: 401 on the API. */
	res = call(sim, "POST", "/_sim/misbehave/expire-tokens", NULL,
	    "application/json", "{}");
	CHECK_INT(res.status, 204);
	free(res.body);
	body = kreq_turn(CORR);
	kandy_path(path, sizeof(path), KP_TURN, user, NULL);
	res = call(hc, "POST", path, tok->access_token, "application/json",
	    body);
	free(body);
	CHECK_INT(res.status, 401);
	CHECK_INT(kresp_error(res.body, res.len, &ke, &err), 0);
	CHECK_INT(ke.kind, KERR_OAUTH);
	free(res.body);

	ws_free(ws);
	http_client_free(hc);
	http_client_free(sim);
	free(c.sdp);
	free(tok);
	lws_context_destroy(ctx);
	if (check_failures)
		fprintf(stderr, "%d failures\n", check_failures);
	return (check_failures != 0);
}
