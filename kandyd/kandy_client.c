/*
 * Kandy bring-up and upkeep: token grant, notification channel and its
 * WebSocket, call-event subscription, TURN credentials; then keeping
 * them alive (docs/kandy.md, "Tokens and the client's policy"): the grant
 * runs again at half the token's life, a 401 gets one new grant and one
 * retry, the channel is extended at half its lifetime and rebuilt when
 * it is gone, a failed step starts over after a backoff.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libwebsockets.h>

#include "kandyd.h"
#include "log.h"

#define KC_BACKOFF_MIN	1000	/* ms */
#define KC_BACKOFF_MAX	60000	/* ms */

struct kc_req {
	struct kandy_client	*kc;
	char			 method[8];
	char			 path[KANDY_URLLEN];
	char			*body;
	int			 timeout_ms;
	int			 retried;	/* after a 401 */
	http_done_cb		 cb;
	void			*arg;
	struct http_req		*hr;
	struct kc_req		*next;		/* waiting for a token */
};

struct kandy_client {
	struct lws_context	*ctx;
	struct kandy_client_conf conf;
	kandy_client_cb		 cb;
	void			*arg;
	struct http_client	*http;
	struct ws_client	*ws;

	enum kc_state		 state;
	char			*access_token;
	char			 user[KANDY_IDLEN];
	struct kandy_channel	 channel;
	struct kandy_turn	 turn;
	int			 granting;
	struct kc_req		*waiting;	/* requests held for a token */
	unsigned int		 attempt;
	struct kc_stats		 stats;

	lws_sorted_usec_list_t	 sul_retry;
	lws_sorted_usec_list_t	 sul_refresh;
	lws_sorted_usec_list_t	 sul_lifetime;
	lws_sorted_usec_list_t	 sul_turn;
};

static void	kc_grant(struct kandy_client *);
static void	kc_channel(struct kandy_client *);
static void	kc_fail(struct kandy_client *, const char *);

static void
kc_schedule(struct kandy_client *kc, lws_sorted_usec_list_t *sul,
    sul_cb_t cb, int64_t ms)
{
	lws_sul_schedule(kc->ctx, 0, sul, cb, (lws_usec_t)ms * LWS_US_PER_MS);
}

static void
kc_event(struct kandy_client *kc, enum kc_event ev,
    const struct kandy_notify *n)
{
	if (kc->cb != NULL)
		kc->cb(kc, ev, n, kc->arg);
}

static void
kc_set_state(struct kandy_client *kc, enum kc_state s)
{
	if (kc->state == s)
		return;
	log_debug("kandy client: %s -> %s", kc_state_name(kc->state),
	    kc_state_name(s));
	kc->state = s;
	if (s == KC_READY) {
		kc->attempt = 0;
		kc_event(kc, KC_EV_READY, NULL);
	}
}

const char *
kc_state_name(enum kc_state s)
{
	static const char *names[] = { "idle", "token", "channel",
	    "websocket", "subscription", "turn", "ready", "waiting" };

	return ((unsigned int)s < sizeof(names) / sizeof(names[0]) ?
	    names[s] : "unknown");
}

/* Requests: the bearer token, one new grant and one retry on 401. */

static void	kc_req_send(struct kc_req *);

static void
kc_req_free(struct kc_req *r)
{
	if (r->body != NULL) {
		explicit_bzero(r->body, strlen(r->body));
		free(r->body);
	}
	free(r);
}

static void
kc_req_done(int status, const char *body, size_t len, const char *err,
    void *arg)
{
	struct kc_req		*r = arg;
	struct kandy_client	*kc = r->kc;

	r->hr = NULL;
	if (status == 401 && !r->retried) {
		r->retried = 1;
		kc->stats.retries_401++;
		r->next = kc->waiting;
		kc->waiting = r;
		kc_grant(kc);
		return;
	}
	if (r->cb != NULL)
		r->cb(status, body, len, err, r->arg);
	kc_req_free(r);
}

static void
kc_req_send(struct kc_req *r)
{
	struct kandy_client	*kc = r->kc;

	r->hr = http_request(kc->http, r->method, r->path, kc->access_token,
	    r->body != NULL ? "application/json" : NULL, r->body,
	    r->body != NULL ? strlen(r->body) : 0, r->timeout_ms, kc_req_done,
	    r);
	if (r->hr == NULL) {
		if (r->cb != NULL)
			r->cb(0, "", 0, "cannot queue request", r->arg);
		kc_req_free(r);
	}
}

/* Release requests held for a token: sent again, or failed. */
static void
kc_release(struct kandy_client *kc, int ok)
{
	struct kc_req	*r, *next;

	r = kc->waiting;
	kc->waiting = NULL;
	for (; r != NULL; r = next) {
		next = r->next;
		if (ok)
			kc_req_send(r);
		else {
			if (r->cb != NULL)
				r->cb(401, "", 0, "no valid token", r->arg);
			kc_req_free(r);
		}
	}
}

/*
 * An API request with the current token: path from kind, user and id
 * (or an absolute server path when kind is KP_MAX), body JSON or NULL.
 */
int
kandy_client_request(struct kandy_client *kc, const char *method,
    enum kandy_path_kind kind, const char *id, const char *rawpath,
    const char *body, int timeout_ms, http_done_cb cb, void *arg)
{
	struct kc_req	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return (-1);
	r->kc = kc;
	strlcpy(r->method, method, sizeof(r->method));
	if (kind == KP_MAX) {
		if (rawpath == NULL || !kandy_url_path_valid(rawpath) ||
		    strlcpy(r->path, rawpath, sizeof(r->path)) >=
		    sizeof(r->path)) {
			free(r);
			return (-1);
		}
	} else if (kandy_path(r->path, sizeof(r->path), kind, kc->user,
	    id) == -1) {
		free(r);
		return (-1);
	}
	if (body != NULL && (r->body = strdup(body)) == NULL) {
		free(r);
		return (-1);
	}
	r->timeout_ms = timeout_ms > 0 ? timeout_ms : kc->conf.api_timeout_ms;
	r->cb = cb;
	r->arg = arg;
	if (kc->access_token == NULL || kc->granting) {
		r->next = kc->waiting;
		kc->waiting = r;
		if (!kc->granting)
			kc_grant(kc);
		return (0);
	}
	kc_req_send(r);
	return (0);
}

/* Retry after a failed step: backoff with equal jitter. */
static void
kc_retry_cb(lws_sorted_usec_list_t *sul)
{
	struct kandy_client *kc = lws_container_of(sul, struct kandy_client,
	    sul_retry);

	kc_grant(kc);
}

static void
kc_fail(struct kandy_client *kc, const char *why)
{
	int64_t		 d = KC_BACKOFF_MIN;
	unsigned int	 i;

	for (i = 0; i < kc->attempt && d < KC_BACKOFF_MAX; i++)
		d *= 2;
	if (d > KC_BACKOFF_MAX)
		d = KC_BACKOFF_MAX;
	d = d / 2 + arc4random_uniform(d / 2 + 1);
	kc->attempt++;
	kc->stats.failures++;
	log_warnx("kandy: %s; starting over in %lld ms", why, (long long)d);
	if (kc->state == KC_READY)
		kc_event(kc, KC_EV_DOWN, NULL);
	kc_set_state(kc, KC_WAITING);
	kc_schedule(kc, &kc->sul_retry, kc_retry_cb, d);
}

/* 1. The grant. */

static void
kc_refresh_cb(lws_sorted_usec_list_t *sul)
{
	struct kandy_client *kc = lws_container_of(sul, struct kandy_client,
	    sul_refresh);

	kc_grant(kc);
}

static void
kc_grant_done(int status, const char *body, size_t len, const char *err,
    void *arg)
{
	struct kandy_client	*kc = arg;
	struct kandy_token	*t;
	struct kandy_error	 e;
	struct jwt_claims	 jc;
	int64_t			 now = time(NULL), at;
	const char		*perr = NULL;
	char			*tok;

	kc->granting = 0;
	if (status != 200) {
		if (status != 0 && kresp_error(body, len, &e, &perr) == 0)
			log_warnx("kandy: grant refused: HTTP %d %s %s", status,
			    e.message_id, e.text);
		kc_release(kc, 0);
		kc_fail(kc, status == 0 ? err : "grant refused");
		return;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		kc_release(kc, 0);
		kc_fail(kc, "out of memory");
		return;
	}
	if (kresp_token(body, len, t, &perr) == -1 ||
	    jwt_decode(t->id_token[0] ? t->id_token : t->access_token, &jc,
	    &perr) == -1 || jc.preferred_username[0] == '\0' ||
	    (tok = strdup(t->access_token)) == NULL) {
		explicit_bzero(t, sizeof(*t));
		free(t);
		kc_release(kc, 0);
		kc_fail(kc, perr != NULL ? perr : "token without a user id");
		return;
	}
	explicit_bzero(t, sizeof(*t));
	free(t);
	if (kc->user[0] != '\0' && strcmp(kc->user, jc.preferred_username))
		log_warnx("kandy: user id changed from %s to %s", kc->user,
		    jc.preferred_username);
	strlcpy(kc->user, jc.preferred_username, sizeof(kc->user));
	if (kc->access_token != NULL) {
		explicit_bzero(kc->access_token, strlen(kc->access_token));
		free(kc->access_token);
	}
	kc->access_token = tok;
	kc->stats.grants++;
	ws_set_token(kc->ws, tok);
	at = jwt_refresh_at(&jc, now, kc->conf.refresh_min_s);
	log_info("kandy: token for %s, renewed in %lld s", kc->user,
	    (long long)(at - now));
	kc_schedule(kc, &kc->sul_refresh, kc_refresh_cb, (at - now) * 1000);
	kc_release(kc, 1);
	if (kc->state == KC_TOKEN || kc->state == KC_WAITING)
		kc_channel(kc);
}

static void
kc_grant(struct kandy_client *kc)
{
	struct kandy_grant	 g;
	char			 path[64], *form;

	if (kc->granting)
		return;
	lws_sul_cancel(&kc->sul_retry);
	if (kc->state == KC_IDLE || kc->state == KC_WAITING)
		kc_set_state(kc, KC_TOKEN);
	memset(&g, 0, sizeof(g));
	g.type = kc->conf.grant;
	g.client_id = kc->conf.client_id;
	g.username = kc->conf.username;
	g.password = kc->conf.secret;
	g.client_secret = kc->conf.secret;
	if ((form = kreq_token_form(&g)) == NULL) {
		kc_release(kc, 0);
		kc_fail(kc, "cannot build the token request");
		return;
	}
	kandy_path(path, sizeof(path), KP_TOKEN, NULL, NULL);
	kc->granting = 1;
	if (http_request(kc->http, "POST", path, NULL,
	    "application/x-www-form-urlencoded", form, strlen(form),
	    kc->conf.api_timeout_ms, kc_grant_done, kc) == NULL) {
		kc->granting = 0;
		kc_release(kc, 0);
		kc_fail(kc, "cannot queue the token request");
	}
	explicit_bzero(form, strlen(form));
	free(form);
}

/* 2. The channel and its WebSocket; 3. the subscription; 4. TURN. */

static void	kc_turn(struct kandy_client *);

static void
kc_turn_cb(lws_sorted_usec_list_t *sul)
{
	struct kandy_client *kc = lws_container_of(sul, struct kandy_client,
	    sul_turn);

	kc_turn(kc);
}

static void
kc_turn_done(int status, const char *body, size_t len, const char *err,
    void *arg)
{
	struct kandy_client	*kc = arg;
	struct kandy_turn	 t;
	const char		*perr = NULL;
	int64_t			 again;

	if (status < 200 || status > 299 ||
	    kresp_turn(body, len, &t, &perr) == -1) {
		if (kc->state == KC_TURN)
			kc_fail(kc, perr != NULL ? perr : "TURN request failed");
		else
			kc_schedule(kc, &kc->sul_turn, kc_turn_cb, 60000);
		return;
	}
	kc->turn = t;
	explicit_bzero(&t, sizeof(t));
	kc->stats.turns++;
	/* Fetch again at half their life; an hour when none is given. */
	again = kc->turn.expires > 0 ? kc->turn.expires * 500 : 3600000;
	if (again < 10000)
		again = 10000;
	kc_schedule(kc, &kc->sul_turn, kc_turn_cb, again);
	kc_event(kc, KC_EV_TURN, NULL);
	if (kc->state == KC_TURN)
		kc_set_state(kc, KC_READY);
}

static void
kc_turn(struct kandy_client *kc)
{
	char	*body;

	if ((body = kreq_turn(kc->conf.correlator)) == NULL ||
	    kandy_client_request(kc, "POST", KP_TURN, NULL, NULL, body, 0,
	    kc_turn_done, kc) == -1)
		kc_fail(kc, "cannot request TURN credentials");
	free(body);
}

static void
kc_subscribe_done(int status, const char *body, size_t len, const char *err,
    void *arg)
{
	struct kandy_client	*kc = arg;

	if (status < 200 || status > 299) {
		kc_fail(kc, "subscription refused");
		return;
	}
	kc->stats.subscriptions++;
	kc_set_state(kc, KC_TURN);
	kc_turn(kc);
}

static void
kc_subscribe(struct kandy_client *kc)
{
	char	*body;

	kc_set_state(kc, KC_SUBSCRIBE);
	if ((body = kreq_subscription(kc->conf.correlator,
	    kc->channel.callback_url)) == NULL ||
	    kandy_client_request(kc, "POST", KP_SUBSCRIPTIONS, NULL, NULL,
	    body, 0, kc_subscribe_done, kc) == -1)
		kc_fail(kc, "cannot subscribe");
	free(body);
}

static void	kc_lifetime_cb(lws_sorted_usec_list_t *);

static void
kc_lifetime_done(int status, const char *body, size_t len, const char *err,
    void *arg)
{
	struct kandy_client	*kc = arg;

	if (status == 404) {
		log_warnx("kandy: channel gone, making a new one");
		kc_channel(kc);
	} else if (status >= 200 && status <= 299)
		kc_schedule(kc, &kc->sul_lifetime, kc_lifetime_cb,
		    (int64_t)kc->channel.lifetime * 500);
	else
		kc_schedule(kc, &kc->sul_lifetime, kc_lifetime_cb, 30000);
}

static void
kc_lifetime_cb(lws_sorted_usec_list_t *sul)
{
	struct kandy_client *kc = lws_container_of(sul, struct kandy_client,
	    sul_lifetime);
	char		 path[KANDY_URLLEN + 32], *body;

	snprintf(path, sizeof(path), "%s/channelLifetime",
	    kc->channel.resource_url);
	if ((body = kreq_channel_lifetime(kc->conf.channel_lifetime)) == NULL ||
	    kandy_client_request(kc, "PUT", KP_MAX, NULL, path, body, 0,
	    kc_lifetime_done, kc) == -1)
		kc_schedule(kc, &kc->sul_lifetime, kc_lifetime_cb, 30000);
	free(body);
}

static void
kc_channel_done(int status, const char *body, size_t len, const char *err,
    void *arg)
{
	struct kandy_client	*kc = arg;
	const char		*perr = NULL;

	if (status < 200 || status > 299 ||
	    kresp_channel(body, len, &kc->channel, &perr) == -1) {
		kc_fail(kc, perr != NULL ? perr : "channel refused");
		return;
	}
	kc->stats.channels++;
	if (kc->channel.lifetime > 0)
		kc_schedule(kc, &kc->sul_lifetime, kc_lifetime_cb,
		    kc->channel.lifetime * 500);
	kc_set_state(kc, KC_WEBSOCKET);
	if (ws_open(kc->ws, kc->channel.channel_url, kc->access_token) == -1)
		kc_fail(kc, "cannot open the channel");
}

static void
kc_channel(struct kandy_client *kc)
{
	char	*body;

	lws_sul_cancel(&kc->sul_lifetime);
	if (kc->state == KC_READY)
		kc_event(kc, KC_EV_DOWN, NULL);
	kc_set_state(kc, KC_CHANNEL);
	if ((body = kreq_channel(kc->conf.correlator,
	    kc->conf.channel_lifetime)) == NULL ||
	    kandy_client_request(kc, "POST", KP_CHANNELS, NULL, NULL, body, 0,
	    kc_channel_done, kc) == -1)
		kc_fail(kc, "cannot create a channel");
	free(body);
}

static void
kc_ws_state(enum ws_state s, int detail, void *arg)
{
	struct kandy_client	*kc = arg;

	switch (s) {
	case WS_UP:
		if (kc->state == KC_WEBSOCKET)
			kc_subscribe(kc);
		break;
	case WS_DOWN:
		/* ws.c reconnects; notifications wait on Kandy's side. */
		break;
	case WS_REJECTED:
		if (detail == 404)
			kc_channel(kc);
		else
			/* A token problem: new grant, then the channel again. */
			kc_fail(kc, "channel WebSocket refused");
		break;
	case WS_CLOSED:
		log_info("kandy: channel closed, making a new one");
		kc_channel(kc);
		break;
	}
}

static void
kc_ws_notify(const struct kandy_notify *n, void *arg)
{
	struct kandy_client	*kc = arg;

	kc_event(kc, KC_EV_NOTIFY, n);
}

struct kandy_client *
kandy_client_new(struct lws_context *ctx, const struct kandy_client_conf *conf,
    kandy_client_cb cb, void *arg)
{
	struct kandy_client	*kc;

	if ((kc = calloc(1, sizeof(*kc))) == NULL)
		return (NULL);
	kc->ctx = ctx;
	kc->conf = *conf;
	kc->conf.secret = NULL;
	if (conf->secret != NULL && (kc->conf.secret = strdup(conf->secret)) ==
	    NULL)
		goto fail;
	if (kc->conf.api_timeout_ms <= 0)
		kc->conf.api_timeout_ms = 10000;
	if (kc->conf.refresh_min_s <= 0)
		kc->conf.refresh_min_s = 10;
	if (kc->conf.channel_lifetime <= 0)
		kc->conf.channel_lifetime = 3600;
	kc->cb = cb;
	kc->arg = arg;
	if ((kc->http = http_client_new(ctx, &conf->ep)) == NULL ||
	    (kc->ws = ws_new(ctx, &conf->ep, &conf->ws, kc_ws_notify,
	    kc_ws_state, kc)) == NULL)
		goto fail;
	return (kc);
 fail:
	kandy_client_free(kc);
	return (NULL);
}

void
kandy_client_start(struct kandy_client *kc)
{
	if (kc->state == KC_IDLE)
		kc_grant(kc);
}

void
kandy_client_free(struct kandy_client *kc)
{
	struct kc_req	*r;

	if (kc == NULL)
		return;
	lws_sul_cancel(&kc->sul_retry);
	lws_sul_cancel(&kc->sul_refresh);
	lws_sul_cancel(&kc->sul_lifetime);
	lws_sul_cancel(&kc->sul_turn);
	while ((r = kc->waiting) != NULL) {
		kc->waiting = r->next;
		kc_req_free(r);
	}
	/* In-flight requests die with the HTTP client, callbacks unrun. */
	http_client_free(kc->http);
	ws_free(kc->ws);
	if (kc->conf.secret != NULL) {
		explicit_bzero(kc->conf.secret, strlen(kc->conf.secret));
		free(kc->conf.secret);
	}
	if (kc->access_token != NULL) {
		explicit_bzero(kc->access_token, strlen(kc->access_token));
		free(kc->access_token);
	}
	explicit_bzero(&kc->turn, sizeof(kc->turn));
	free(kc);
}

enum kc_state
kandy_client_state(struct kandy_client *kc)
{
	return (kc->state);
}

const char *
kandy_client_user(struct kandy_client *kc)
{
	return (kc->user);
}

const struct kandy_turn *
kandy_client_turn(struct kandy_client *kc)
{
	return (kc->turn.username[0] != '\0' ? &kc->turn : NULL);
}

void
kandy_client_stats(struct kandy_client *kc, struct kc_stats *s,
    struct ws_stats *ws)
{
	*s = kc->stats;
	if (ws != NULL)
		ws_get_stats(kc->ws, ws);
}
