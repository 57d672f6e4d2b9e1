/*
 * The Kandy client's bring-up and upkeep against kandysim: grant,
 * channel, WebSocket, subscription, TURN; token renewal at half life
 * without touching the channel; one new grant and a retry when tokens are
 * revoked; reconnect after a dropped WebSocket; a new channel and
 * subscription after the channel is closed; incoming calls arrive
 * throughout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libwebsockets.h>

#include "kandyd.h"
#include "log.h"
#include "check.h"

struct result {
	int	 done;
	int	 status;
};

struct obs {
	int	 ready;
	int	 down;
	int	 turn;
	int	 invites;
};

static struct lws_context	*ctx;
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

/* Until *v reaches at least min, or a generous deadline. */
static int
run_until(volatile int *v, int min, double secs)
{
	double	 end = now() + secs;

	tick(&tick_sul);
	while (*v < min && now() < end)
		lws_service(ctx, 0);
	lws_sul_cancel(&tick_sul);
	return (*v >= min);
}

static void
done_cb(int status, const char *body, size_t len, const char *err, void *arg)
{
	struct result	*r = arg;

	r->status = status;
	r->done = 1;
}

static void
on_event(struct kandy_client *kc, enum kc_event ev,
    const struct kandy_notify *n, void *arg)
{
	struct obs	*o = arg;

	switch (ev) {
	case KC_EV_READY:
		o->ready++;
		break;
	case KC_EV_DOWN:
		o->down++;
		break;
	case KC_EV_TURN:
		o->turn++;
		break;
	case KC_EV_NOTIFY:
		if (n->type == KN_INVITATION)
			o->invites++;
		break;
	}
}

/* A control request to kandysim, waited for. */
static int
sim(struct http_client *hc, const char *path, const char *body)
{
	struct result	 r;

	memset(&r, 0, sizeof(r));
	http_request(hc, "POST", path, NULL, "application/json", body,
	    strlen(body), 10000, done_cb, &r);
	run_until(&r.done, 1, 20);
	return (r.status);
}

int
main(int argc, char *argv[])
{
	struct kandy_client_conf	 conf;
	struct kandy_client		*kc;
	struct http_client		*hc;
	struct kc_stats			 st;
	struct ws_stats			 ws;
	struct result			 r;
	struct obs			 o;
	const struct kandy_turn		*t;
	char				*ca, *body;
	size_t				 calen;
	int				 grants;

	if (argc != 3) {
		fprintf(stderr, "usage: test_kandyclient ca.pem port\n");
		return (2);
	}
	log_init(1, getenv("KD_DEBUG") != NULL, 0);
	kd_lws_log_init();
	ca = check_slurp(argv[1], &calen);
	if ((ctx = kd_lws_create(ca, calen, NULL, 0)) == NULL)
		return (2);
	free(ca);

	memset(&conf, 0, sizeof(conf));
	strlcpy(conf.ep.host, "localhost", sizeof(conf.ep.host));
	strlcpy(conf.ep.address, "127.0.0.1", sizeof(conf.ep.address));
	conf.ep.port = atoi(argv[2]);
	hc = http_client_new(ctx, &conf.ep);
	CHECK_INT(sim(hc, "/_sim/config", "{\"token_lifetime\":4}"), 200);

	conf.grant = GRANT_CLIENT_CREDENTIALS;
	strlcpy(conf.client_id, "PRIV-bridge", sizeof(conf.client_id));
	conf.secret = "s3cr3t";
	strlcpy(conf.correlator, "kb-client-test", sizeof(conf.correlator));
	conf.refresh_min_s = 1;
	conf.ws.keepalive_ms = 1000;
	conf.ws.backoff_min_ms = 200;
	conf.ws.backoff_max_ms = 1000;
	memset(&o, 0, sizeof(o));
	kc = kandy_client_new(ctx, &conf, on_event, &o);
	CHECK(kc != NULL);
	kandy_client_start(kc);

	/* Bring-up. */
	CHECK(run_until(&o.ready, 1, 20));
	CHECK_INT(kandy_client_state(kc), KC_READY);
	CHECK_STR(kandy_client_user(kc), "bridge");
	CHECK((t = kandy_client_turn(kc)) != NULL && strstr(t->username,
	    ":bridge") != NULL);
	CHECK_INT(o.turn, 1);

	/* Tokens live 4 s: renewed every 2 s, the channel stays. */
	kandy_client_stats(kc, &st, &ws);
	grants = st.grants;
	CHECK_INT(grants, 1);
	{
		volatile int g = 0;
		double end = now() + 20;

		while (g < 3 && now() < end) {
			run_until(&o.down, 1, 0.2);
			kandy_client_stats(kc, &st, &ws);
			g = st.grants;
		}
	}
	kandy_client_stats(kc, &st, &ws);
	CHECK(st.grants >= 3);
	CHECK_INT(ws.connects, 1);
	CHECK_INT(st.channels, 1);
	CHECK_INT(o.down, 0);

	/* Every token revoked: one new grant, then the request succeeds. */
	CHECK_INT(sim(hc, "/_sim/misbehave/expire-tokens", "{}"), 204);
	memset(&r, 0, sizeof(r));
	body = kreq_turn(conf.correlator);
	CHECK_INT(kandy_client_request(kc, "POST", KP_TURN, NULL, NULL, body,
	    0, done_cb, &r), 0);
	free(body);
	CHECK(run_until(&r.done, 1, 20));
	CHECK_INT(r.status, 201);
	kandy_client_stats(kc, &st, &ws);
	CHECK(st.retries_401 >= 1);

	/* An incoming call reaches us. */
	CHECK_INT(sim(hc, "/_sim/incoming", "{\"from\":\"+971501234567\","
	    "\"to\":\"bridge\"}"), 201);
	CHECK(run_until(&o.invites, 1, 20));

	/* The WebSocket dropped without a close frame: reconnect. */
	CHECK_INT(sim(hc, "/_sim/misbehave/drop-websockets",
	    "{\"code\":1006}"), 204);
	{
		volatile int c = 0;
		double end = now() + 20;

		while (c < 2 && now() < end) {
			run_until(&o.down, 10, 0.2);
			kandy_client_stats(kc, &st, &ws);
			c = ws.connects;
		}
	}
	kandy_client_stats(kc, &st, &ws);
	CHECK(ws.connects >= 2);
	CHECK_INT(st.channels, 1);
	CHECK_INT(sim(hc, "/_sim/incoming", "{\"from\":\"+971501234568\","
	    "\"to\":\"bridge\"}"), 201);
	CHECK(run_until(&o.invites, 2, 20));

	/* The channel closed normally (1000): new channel and subscription. */
	CHECK_INT(sim(hc, "/_sim/misbehave/drop-websockets",
	    "{\"code\":1000}"), 204);
	CHECK(run_until(&o.ready, 2, 20));
	kandy_client_stats(kc, &st, &ws);
	CHECK_INT(st.channels, 2);
	CHECK_INT(st.subscriptions, 2);
	CHECK_INT(o.down, 1);
	CHECK_INT(sim(hc, "/_sim/incoming", "{\"from\":\"+971501234569\","
	    "\"to\":\"bridge\"}"), 201);
	CHECK(run_until(&o.invites, 3, 20));

	kandy_client_free(kc);
	http_client_free(hc);
	lws_context_destroy(ctx);
	if (check_failures)
		fprintf(stderr, "%d failures\n", check_failures);
	return (check_failures != 0);
}
