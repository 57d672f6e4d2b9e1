/*
 * The Kandy account: the token (granted again at half its life and after
 * a 401), the notification channel and its WebSocket, the subscription
 * to call events, the channel's lifetime, TURN credentials for mediad,
 * and the API request wrapper every call request goes through.
 */
#include <sys/queue.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libwebsockets.h>

#include "child.h"
#include "log.h"
#include "daemon.h"

#define ACCT_CHANNEL_LIFETIME	3600	/* s, asked for at creation */
#define ACCT_REFRESH_FLOOR	2	/* s, earliest grant after a grant */
#define ACCT_BACKOFF_MIN_MS	1000
#define ACCT_BACKOFF_MAX_MS	60000
#define ACCT_TURN_RETRY_S	30
/* Channel attempts failed in a row (some 5 s) before the trunk is down. */
#define ACCT_WS_DOWN_AFTER	3
#define ACCT_WS_DOWN_RETRY_S	10
/* Failed attempts after which the channel is made anew (some 20 s). */
#define ACCT_WS_NEW_CHANNEL_AFTER 5
#define ACCT_ERRLEN		512

/* The values of bridged's configuration (bridged/config.h). */
#define CFG_GRANT_PASSWORD	1
#define CFG_DIALECT_WSRPC	1
#define WSRPC_PATH		"/wsrpc"

#define WSRPC()			(kd_cfg.dialect == CFG_DIALECT_WSRPC)

struct api_req {
	TAILQ_ENTRY(api_req)	 entry;
	char			 method[8];
	char			*path;
	char			*body;
	int			 timeout_ms;
	api_done_cb		 cb;
	void			*arg;
	struct http_req		*hr;
	int			 retried;	/* a 401 got one new grant */
	unsigned int		 grant;		/* A.grants when sent */
	struct timespec		 t0;
};

TAILQ_HEAD(api_reqs, api_req);

static struct account {
	struct lws_context	*lc;
	struct kd_endpoint	 ep;
	struct http_client	*hc;
	struct ws_client	*ws;
	enum acct_state		 state;
	char			*secret;
	char			*token;		/* access token, secret */
	int64_t			 token_exp;
	char			 user[KANDY_IDLEN];
	char			 corr[64];
	struct kandy_channel	 ch;
	char			 channel_id[KANDY_IDLEN];
	int			 have_channel;
	int			 channel_asked;	/* a POST is under way */
	int			 subscribed;
	int			 ws_was_up;
	unsigned int		 ws_failures;	/* channel drops in a row */
	int			 reopen_after_auth;
	struct kandy_turn	 turn;
	int64_t			 turn_exp;
	int			 have_turn;
	struct http_req		*auth_req;
	struct api_reqs		 waiting;	/* for a token */
	struct api_reqs		 inflight;
	unsigned int		 attempt;	/* failed grants in a row */
	int64_t			 retry_at;	/* next grant when down */
	unsigned int		 reconnects;
	unsigned int		 grants;
	unsigned int		 rpc_bad;	/* wsrpc messages dropped */
	char			 last_error[ACCT_ERRLEN];
	double			 lat_last_ms;
	double			 lat_avg_ms;
	lws_sorted_usec_list_t	 sul_refresh;
	lws_sorted_usec_list_t	 sul_retry;
	lws_sorted_usec_list_t	 sul_lifetime;
	lws_sorted_usec_list_t	 sul_turn;
} A;

static void	acct_auth(void);
static void	acct_channel(void);
static void	acct_retry(lws_sorted_usec_list_t *);
static int64_t	now_s(void);
static void	api_send(struct api_req *);
static void	api_finish(struct api_req *, int, const char *, size_t,
		    const char *);

static const char *const state_names[] = {
	"idle", "authenticating", "creating channel", "connecting",
	"subscribing", "ready", "down"
};

static void
acct_set_state(enum acct_state s)
{
	if (A.state == s)
		return;
	log_info("kandy account: %s -> %s", state_names[A.state],
	    state_names[s]);
	A.state = s;
	acct_trunk_report(0);
}

/*
 * Whether the trunk may register: up while we hold a valid token, down
 * (with the wait before the next attempt) while Kandy refuses or cannot
 * be reached, signing in otherwise.
 */
static enum kandy_trunk
acct_trunk(unsigned int *retry)
{
	*retry = 0;
	if (A.state == ACCT_DOWN) {
		*retry = acct_retry_after();
		return (KANDY_TRUNK_DOWN);
	}
	if (A.state == ACCT_CONNECTING &&
	    A.ws_failures >= ACCT_WS_DOWN_AFTER) {
		/* A token, but Kandy has not been reachable for a while. */
		*retry = ACCT_WS_DOWN_RETRY_S;
		return (KANDY_TRUNK_DOWN);
	}
	if (A.token != NULL && A.token_exp > now_s())
		return (KANDY_TRUNK_UP);
	return (KANDY_TRUNK_SIGNING_IN);
}

/* Tells sipd of a change, or of everything (all: a new sipd). */
void
acct_trunk_report(int all)
{
	static int		 last = -1;
	static unsigned int	 last_retry;
	enum kandy_trunk	 t;
	unsigned int		 retry;

	t = acct_trunk(&retry);
	if (!all && (int)t == last && retry == last_retry)
		return;
	if (child_send(&kd_ctx, PROC_SIPD, IMSG_KANDY_STATE, 0, -1,
	    (int)t, retry) == 0) {
		last = t;
		last_retry = retry;
	}
}

static int64_t
now_s(void)
{
	return ((int64_t)time(NULL));
}

static double
elapsed_ms(const struct timespec *t0)
{
	struct timespec	 t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return ((t.tv_sec - t0->tv_sec) * 1e3 +
	    (t.tv_nsec - t0->tv_nsec) / 1e6);
}

static void
schedule(lws_sorted_usec_list_t *sul, void (*fn)(lws_sorted_usec_list_t *),
    int64_t ms)
{
	if (ms < 0)
		ms = 0;
	lws_sul_schedule(A.lc, 0, sul, fn, (lws_usec_t)ms * LWS_US_PER_MS);
}

/* 1 s doubling up to 60 s, half of it random (equal jitter). */
static int64_t
backoff_ms(unsigned int attempt)
{
	int64_t	 d = ACCT_BACKOFF_MIN_MS;

	while (attempt-- > 0 && d < ACCT_BACKOFF_MAX_MS)
		d *= 2;
	if (d > ACCT_BACKOFF_MAX_MS)
		d = ACCT_BACKOFF_MAX_MS;
	return (d / 2 + arc4random_uniform(d / 2 + 1));
}

/* Remember and log a failure; messageId when Kandy gave one. */
void
acct_note_error(const char *what, int status, const struct kandy_error *e)
{
	if (e != NULL && e->kind != KERR_NONE)
		snprintf(A.last_error, sizeof(A.last_error),
		    "%s: HTTP %d %s %s", what, status, e->message_id, e->text);
	else if (status != 0)
		snprintf(A.last_error, sizeof(A.last_error), "%s: HTTP %d",
		    what, status);
	else
		snprintf(A.last_error, sizeof(A.last_error),
		    "%s: no response", what);
	log_warnx("kandy: %s", A.last_error);
}

/*
 * Token, channel, subscription all in place: calls can be made.  While a
 * 401 has a new grant running, requests wait for it.
 */
int
acct_ready(void)
{
	return (A.subscribed && ((A.token != NULL && (A.state == ACCT_READY ||
	    A.state == ACCT_CONNECTING)) || A.state == ACCT_AUTH));
}

const char *
acct_user(void)
{
	return (A.user);
}

/* For the wsrpc dialect: its requests go on the account's WebSocket. */
int
acct_ws_send(const char *text)
{
	return (A.ws != NULL ? ws_send(A.ws, text) : -1);
}

struct lws_context *
acct_lws(void)
{
	return (A.lc);
}

void
acct_bad_message(void)
{
	A.rpc_bad++;
}

/* Down: seconds until the next grant, for a 503's Retry-After; else 0. */
unsigned int
acct_retry_after(void)
{
	int64_t	 left;

	if (A.state != ACCT_DOWN)
		return (0);
	left = A.retry_at - now_s();
	return (left < 1 ? 1 : (unsigned int)left);
}

const char *
acct_correlator(void)
{
	return (A.corr);
}

int
api_path(char *buf, size_t len, enum kandy_path_kind kind, const char *id)
{
	return (kandy_path(buf, len, kind, A.user, id));
}

/* Everything that waits on the account fails: calls get 503. */
static void
acct_down(const char *why)
{
	struct api_req	*r;

	acct_set_state(ACCT_DOWN);
	while ((r = TAILQ_FIRST(&A.waiting)) != NULL)
		api_finish(r, 401, NULL, 0, why);
	calls_kandy_down();
}

/* Down, trying again in ms: calls refused meanwhile learn when. */
static void
acct_down_retry(const char *why, int64_t ms)
{
	A.retry_at = now_s() + (ms + 999) / 1000;
	acct_down(why);
	schedule(&A.sul_retry, acct_retry, ms);
}

/* API requests. */

static void
api_free(struct api_req *r)
{
	free(r->path);
	free(r->body);
	free(r);
}

static void
api_finish(struct api_req *r, int status, const char *body, size_t len,
    const char *err)
{
	struct kandy_error	 ke, *kep = NULL;
	const char		*perr;
	int			 quiet;

	/* Failed for want of a token: the grant's error says why. */
	quiet = r->hr == NULL && status == 401;
	if (r->hr == NULL)
		TAILQ_REMOVE(&A.waiting, r, entry);
	else
		TAILQ_REMOVE(&A.inflight, r, entry);
	r->hr = NULL;
	memset(&ke, 0, sizeof(ke));
	if ((status < 200 || status > 299) && status != 0 && len > 0 &&
	    kresp_error(body, len, &ke, &perr) == 0)
		kep = &ke;
	if ((status < 200 || status > 299) && status != 0 &&
	    http_retry_after() > 0) {
		if (kep == NULL)
			memset(&ke, 0, sizeof(ke));
		ke.retry_after = http_retry_after();
		kep = &ke;
	}
	if (status < 200 || status > 299) {
		char	 what[160];
		const char	*tail;

		/* The path's last segments name the request well enough. */
		tail = strstr(r->path, "/v1/");
		snprintf(what, sizeof(what), "%s %s%s%s", r->method,
		    tail != NULL ? tail + 4 : r->path, status == 0 &&
		    err != NULL ? ": " : "", status == 0 && err != NULL ?
		    err : "");
		if (!quiet && (status != 404 || strcmp(r->method, "DELETE")
		    != 0))
			acct_note_error(what, status, kep);
	}
	if (r->cb != NULL)
		r->cb(status, body, len, kep, r->arg);
	api_free(r);
}

static void
api_http_done(int status, const char *body, size_t len, const char *err,
    void *arg)
{
	struct api_req	*r = arg;
	double		 ms;

	ms = elapsed_ms(&r->t0);
	if (status != 0) {
		A.lat_last_ms = ms;
		A.lat_avg_ms = A.lat_avg_ms == 0 ? ms :
		    A.lat_avg_ms * 0.9 + ms * 0.1;
	}
	log_debug("kandy: %s %s -> %d (%.1f ms)", r->method, r->path, status,
	    ms);
	if (status == 401 && r->grant != A.grants && A.token != NULL) {
		/* Sent (or queued) with a token replaced since: again. */
		TAILQ_REMOVE(&A.inflight, r, entry);
		r->hr = NULL;
		api_send(r);
		return;
	}
	if (status == 401 && !r->retried) {
		/* One new grant, then this request once more. */
		TAILQ_REMOVE(&A.inflight, r, entry);
		r->hr = NULL;
		r->retried = 1;
		TAILQ_INSERT_TAIL(&A.waiting, r, entry);
		if (A.token != NULL) {
			explicit_bzero(A.token, strlen(A.token));
			free(A.token);
			A.token = NULL;
		}
		acct_auth();
		return;
	}
	api_finish(r, status, body, len, err);
}

static void
api_send(struct api_req *r)
{
	const char	*ctype = r->body != NULL ? "application/json" : NULL;

	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	r->grant = A.grants;
	r->hr = http_request(A.hc, r->method, r->path, A.token, ctype,
	    r->body, r->body != NULL ? strlen(r->body) : 0, r->timeout_ms,
	    api_http_done, r);
	if (r->hr == NULL) {
		/* Not queued: report it as no response, from the loop. */
		TAILQ_INSERT_TAIL(&A.waiting, r, entry);
		api_finish(r, 0, NULL, 0, "cannot queue the request");
		return;
	}
	TAILQ_INSERT_TAIL(&A.inflight, r, entry);
}

/*
 * Queue an API request with the current token.  body (JSON) may be NULL;
 * it is copied.  Returns NULL when the request cannot be made at all.
 */
struct api_req *
api_call(const char *method, const char *path, const char *body,
    int timeout_ms, api_done_cb cb, void *arg)
{
	struct api_req	*r;

	if (A.hc == NULL || strlen(method) >= sizeof(r->method))
		return (NULL);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return (NULL);
	strlcpy(r->method, method, sizeof(r->method));
	r->timeout_ms = timeout_ms;
	r->cb = cb;
	r->arg = arg;
	if ((r->path = strdup(path)) == NULL ||
	    (body != NULL && (r->body = strdup(body)) == NULL)) {
		api_free(r);
		return (NULL);
	}
	if (A.token == NULL) {
		if (A.state == ACCT_DOWN || A.state == ACCT_IDLE) {
			api_free(r);
			return (NULL);
		}
		TAILQ_INSERT_TAIL(&A.waiting, r, entry);
		return (r);
	}
	api_send(r);
	return (r);
}

/* The owner goes away: its callback will not run. */
void
api_cancel(struct api_req *r)
{
	if (r->hr != NULL) {
		http_cancel(r->hr);
		TAILQ_REMOVE(&A.inflight, r, entry);
	} else
		TAILQ_REMOVE(&A.waiting, r, entry);
	api_free(r);
}

/* TURN credentials. */

static void
acct_send_turn(void)
{
	int64_t	 left;

	if (!A.have_turn || !child_connected(&kd_ctx, PROC_MEDIAD))
		return;
	left = A.turn_exp - now_s();
	if (left < 0)
		left = 0;
	child_send(&kd_ctx, PROC_MEDIAD, IMSG_TURN_CREDS, 0, -1,
	    A.turn.username, A.turn.password, (unsigned int)left);
}

void
acct_mediad_up(void)
{
	acct_send_turn();
}

static void	acct_turn(void);

static void
acct_turn_timer(lws_sorted_usec_list_t *sul)
{
	acct_turn();
}

static void
acct_turn_done(int status, const char *body, size_t len,
    const struct kandy_error *e, void *arg)
{
	const char	*err;
	int64_t		 life;

	if (status < 200 || status > 299 ||
	    kresp_turn(body, len, &A.turn, &err) == -1) {
		if (status >= 200 && status <= 299)
			log_warnx("kandy: TURN credentials: %s", err);
		schedule(&A.sul_turn, acct_turn_timer,
		    ACCT_TURN_RETRY_S * 1000);
		return;
	}
	life = A.turn.expires > 0 ? A.turn.expires : 3600;
	A.turn_exp = now_s() + life;
	A.have_turn = 1;
	log_info("kandy: TURN credentials for %lld s",
	    (long long)life);
	acct_send_turn();
	/* Again at half their life: mediad never holds expired ones. */
	schedule(&A.sul_turn, acct_turn_timer, life * 1000 / 2);
}

static void
acct_turn(void)
{
	char	 path[KANDY_URLLEN], *body;

	if (api_path(path, sizeof(path), KP_TURN, NULL) == -1 ||
	    (body = kreq_turn(A.corr)) == NULL)
		return;
	if (api_call("POST", path, body, KD_API_TIMEOUT_MS, acct_turn_done,
	    NULL) == NULL)
		schedule(&A.sul_turn, acct_turn_timer,
		    ACCT_TURN_RETRY_S * 1000);
	free(body);
}

/* Subscription and catch-up. */

static void
acct_catchup_done(int status, const char *body, size_t len,
    const struct kandy_error *e, void *arg)
{
	if (status == 200)
		calls_catchup(body, len);
}

void
acct_catchup(void)
{
	char	 path[KANDY_URLLEN];

	if (WSRPC()) {
		/* Kandy ended the calls of the WebSocket we lost. */
		calls_catchup(NULL, 0);
		return;
	}
	if (api_path(path, sizeof(path), KP_SESSIONS, NULL) == -1)
		return;
	log_info("kandy: catching up on sessions");
	api_call("GET", path, NULL, KD_API_TIMEOUT_MS, acct_catchup_done,
	    NULL);
}

/* Subscribed (or, in wsrpc, the WebSocket up): calls can be made. */
static void
acct_now_ready(void)
{
	A.subscribed = 1;
	A.attempt = 0;
	acct_set_state(ACCT_READY);
	if (!A.have_turn)
		acct_turn();
	/*
	 * A new channel after the first, or calls picked up from sipd after
	 * a restart: they may have moved meanwhile.
	 */
	if (A.ws_was_up || calls_need_catchup())
		acct_catchup();
	A.ws_was_up = 1;
}

static void
acct_subscribe_done(int status, const char *body, size_t len,
    const struct kandy_error *e, void *arg)
{
	if (status < 200 || status > 299) {
		/* Start over with a new channel after a pause. */
		A.attempt++;
		A.have_channel = 0;
		ws_close(A.ws);
		acct_down_retry("subscription refused", backoff_ms(A.attempt));
		return;
	}
	acct_now_ready();
}

static void
acct_subscribe(void)
{
	char	 path[KANDY_URLLEN], *body;

	acct_set_state(ACCT_SUBSCRIBING);
	if (api_path(path, sizeof(path), KP_SUBSCRIPTIONS, NULL) == -1 ||
	    (body = kreq_subscription(A.corr, A.ch.callback_url)) == NULL)
		return;
	api_call("POST", path, body, KD_API_TIMEOUT_MS, acct_subscribe_done,
	    NULL);
	free(body);
}

/* The WebSocket. */

static void
acct_ws_notify(const struct kandy_notify *n, void *arg)
{
	calls_notify(n);
}

static void
acct_ws_state(enum ws_state s, int detail, void *arg)
{
	switch (s) {
	case WS_UP:
		A.ws_failures = 0;
		/* After a drop: what happened meanwhile comes from GET. */
		if (A.ws_was_up)
			A.reconnects++;
		if (WSRPC())
			acct_now_ready();	/* one WebSocket is all */
		else if (!A.subscribed)
			acct_subscribe();
		else {
			acct_set_state(ACCT_READY);
			acct_catchup();
		}
		break;
	case WS_DOWN:
		if (detail > 0) {
			/* Still unreachable: the trunk may be down now. */
			A.ws_failures = detail + 1;
			acct_trunk_report(0);
			/*
			 * A Kandy that lost our channel (or our token) may
			 * drop the handshake without saying so: start over.
			 */
			if (!WSRPC() && detail % ACCT_WS_NEW_CHANNEL_AFTER == 0 &&
			    A.state == ACCT_CONNECTING) {
				log_info("notification channel: %d attempts "
				    "failed; making a new channel", detail);
				acct_channel();
			}
			break;
		}
		snprintf(A.last_error, sizeof(A.last_error),
		    "notification channel lost");
		if (WSRPC()) {
			wsrpc_lost();
			acct_catchup();
		}
		A.ws_failures = 1;
		if (A.state == ACCT_READY)
			acct_set_state(ACCT_CONNECTING);
		acct_trunk_report(0);
		break;
	case WS_REJECTED:
		snprintf(A.last_error, sizeof(A.last_error),
		    "notification channel refused: HTTP %d", detail);
		if (detail == 404) {
			acct_channel();
			break;
		}
		/* 401, 403: a new token, then the same channel again. */
		A.reopen_after_auth = 1;
		if (A.token != NULL) {
			explicit_bzero(A.token, strlen(A.token));
			free(A.token);
			A.token = NULL;
		}
		acct_set_state(ACCT_AUTH);
		acct_auth();
		break;
	case WS_CLOSED:
		snprintf(A.last_error, sizeof(A.last_error),
		    "notification channel closed by Kandy");
		acct_channel();
		break;
	}
}

static void	acct_lifetime(lws_sorted_usec_list_t *);

static void
acct_lifetime_done(int status, const char *body, size_t len,
    const struct kandy_error *e, void *arg)
{
	if (status == 404) {
		acct_channel();
		return;
	}
	/* Other failures: try again sooner; the channel still has time. */
	schedule(&A.sul_lifetime, acct_lifetime, status >= 200 &&
	    status <= 299 ? ACCT_CHANNEL_LIFETIME * 1000 / 2 : 60000);
}

static void
acct_lifetime(lws_sorted_usec_list_t *sul)
{
	char	 path[KANDY_URLLEN + 32], *body;

	if (!A.have_channel)
		return;
	snprintf(path, sizeof(path), "%s/channelLifetime", A.ch.resource_url);
	if ((body = kreq_channel_lifetime(ACCT_CHANNEL_LIFETIME)) == NULL)
		return;
	api_call("PUT", path, body, KD_API_TIMEOUT_MS, acct_lifetime_done,
	    NULL);
	free(body);
}

static void
acct_channel_done(int status, const char *body, size_t len,
    const struct kandy_error *e, void *arg)
{
	const char	*err;
	int64_t		 life;

	A.channel_asked = 0;
	if (status < 200 || status > 299 ||
	    kresp_channel(body, len, &A.ch, &err) == -1 ||
	    kandy_id_from_url(A.ch.resource_url, "/channels/", A.channel_id,
	    sizeof(A.channel_id)) == -1) {
		if (status >= 200 && status <= 299)
			log_warnx("kandy: channel: unusable answer");
		A.attempt++;
		acct_down_retry("no notification channel",
		    backoff_ms(A.attempt));
		return;
	}
	A.have_channel = 1;
	A.subscribed = 0;
	log_info("kandy: notification channel %s", A.channel_id);
	acct_set_state(ACCT_CONNECTING);
	if (ws_open(A.ws, A.ch.channel_url, A.token) == -1) {
		log_warnx("kandy: unusable channel URL");
		acct_down("unusable channel URL");
		return;
	}
	life = A.ch.lifetime > 0 ? A.ch.lifetime : ACCT_CHANNEL_LIFETIME;
	schedule(&A.sul_lifetime, acct_lifetime, life * 1000 / 2);
}

/* A new channel (the first, or after the old one was closed or lost). */
static void
acct_channel(void)
{
	char	 path[KANDY_URLLEN], *body;

	if (WSRPC()) {
		A.have_channel = 1;
		A.subscribed = 0;
		strlcpy(A.ch.channel_url, WSRPC_PATH,
		    sizeof(A.ch.channel_url));
		strlcpy(A.channel_id, "wsrpc", sizeof(A.channel_id));
		acct_set_state(ACCT_CONNECTING);
		if (ws_open(A.ws, A.ch.channel_url, A.token) == -1)
			acct_down("cannot open the wsrpc WebSocket");
		return;
	}
	A.have_channel = 0;
	A.subscribed = 0;
	A.ws_failures = 0;
	lws_sul_cancel(&A.sul_lifetime);
	acct_set_state(ACCT_CHANNEL);
	if (A.channel_asked)
		return;		/* one request at a time */
	if (api_path(path, sizeof(path), KP_CHANNELS, NULL) == -1 ||
	    (body = kreq_channel(A.corr, ACCT_CHANNEL_LIFETIME)) == NULL) {
		acct_down("cannot build the channel request");
		return;
	}
	if (api_call("POST", path, body, KD_API_TIMEOUT_MS, acct_channel_done,
	    NULL) == NULL)
		acct_down("cannot make the channel request");
	else
		A.channel_asked = 1;
	free(body);
}

/* The grant. */

static void
acct_refresh(lws_sorted_usec_list_t *sul)
{
	log_debug("kandy: token at half-life, granting again");
	acct_auth();
}

static void
acct_retry(lws_sorted_usec_list_t *sul)
{
	if (A.token == NULL)
		acct_auth();
	else if (!A.have_channel)
		acct_channel();
}

static void
acct_auth_failed(int status, const struct kandy_error *e, const char *why)
{
	int64_t	 ms;

	acct_note_error(why, status, e);
	A.attempt++;
	if (A.token != NULL && A.token_exp > now_s() + 5) {
		/* The old token still works for a while: keep going. */
		schedule(&A.sul_refresh, acct_refresh, backoff_ms(A.attempt));
		return;
	}
	if (A.token != NULL) {
		explicit_bzero(A.token, strlen(A.token));
		free(A.token);
		A.token = NULL;
	}
	ms = backoff_ms(A.attempt);
	log_info("kandy: granting again in %lld ms", (long long)ms);
	acct_down_retry(why, ms);
}

static void
acct_auth_done(int status, const char *body, size_t len, const char *err,
    void *arg)
{
	struct kandy_token	*t;
	struct kandy_error	 ke;
	struct jwt_claims	 jc;
	struct api_req		*r;
	const char		*perr, *jwt;
	int64_t			 at, now = now_s();
	int			 first;

	A.auth_req = NULL;
	if (status != 200) {
		memset(&ke, 0, sizeof(ke));
		if (status != 0 && kresp_error(body, len, &ke, &perr) == -1)
			ke.kind = KERR_NONE;
		acct_auth_failed(status, status != 0 ? &ke : NULL,
		    status != 0 ? "token grant" : err ? err : "token grant");
		return;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		fatal("calloc");
	if (kresp_token(body, len, t, &perr) == -1) {
		log_warnx("kandy: token answer: %s", perr);
		freezero(t, sizeof(*t));
		acct_auth_failed(200, NULL, "token answer unusable");
		return;
	}
	jwt = t->id_token[0] != '\0' ? t->id_token : t->access_token;
	if (jwt_decode(jwt, &jc, &perr) == -1 ||
	    !jwt_userid_valid(jc.preferred_username)) {
		log_warnx("kandy: token: %s", perr ? perr : "no user id");
		freezero(t, sizeof(*t));
		acct_auth_failed(200, NULL, "token without a usable user id");
		return;
	}
	first = A.user[0] == '\0';
	if (!first && strcmp(A.user, jc.preferred_username) != 0)
		log_warnx("kandy: the user id changed from %s to %s", A.user,
		    jc.preferred_username);
	strlcpy(A.user, jc.preferred_username, sizeof(A.user));
	if (A.token != NULL) {
		explicit_bzero(A.token, strlen(A.token));
		free(A.token);
	}
	if ((A.token = strdup(t->access_token)) == NULL)
		fatal("strdup");
	freezero(t, sizeof(*t));
	A.token_exp = jc.exp;
	A.grants++;
	A.attempt = 0;
	at = jwt_refresh_at(&jc, now, ACCT_REFRESH_FLOOR);
	log_info("kandy: token for %s, expires in %lld s, next grant in "
	    "%lld s", A.user, (long long)(jc.exp - now),
	    (long long)(at - now));
	schedule(&A.sul_refresh, acct_refresh, (at - now) * 1000);
	ws_set_token(A.ws, A.token);

	/* Requests that waited for a token go now. */
	while ((r = TAILQ_FIRST(&A.waiting)) != NULL) {
		TAILQ_REMOVE(&A.waiting, r, entry);
		api_send(r);
	}
	if (!A.have_channel) {
		if (A.state != ACCT_CHANNEL)
			acct_channel();
	} else if (A.reopen_after_auth) {
		A.reopen_after_auth = 0;
		acct_set_state(ACCT_CONNECTING);
		if (ws_open(A.ws, A.ch.channel_url, A.token) == -1)
			acct_channel();
	} else if (A.state == ACCT_DOWN || A.state == ACCT_AUTH)
		acct_set_state(A.subscribed ? ACCT_READY : ACCT_CONNECTING);
}

static void
acct_auth(void)
{
	struct kandy_grant	 g;
	char			 path[64], *form;

	if (A.auth_req != NULL)
		return;
	if (A.token == NULL && A.state != ACCT_DOWN)
		acct_set_state(ACCT_AUTH);
	memset(&g, 0, sizeof(g));
	g.client_id = kd_cfg.client_id;
	if (kd_cfg.grant == CFG_GRANT_PASSWORD) {
		g.type = GRANT_PASSWORD;
		g.username = kd_cfg.user;
		g.password = A.secret;
	} else {
		g.type = GRANT_CLIENT_CREDENTIALS;
		g.client_secret = A.secret;
	}
	kandy_path(path, sizeof(path), KP_TOKEN, NULL, NULL);
	if ((form = kreq_token_form(&g)) == NULL) {
		acct_auth_failed(0, NULL, "cannot build the token request");
		return;
	}
	A.auth_req = http_request(A.hc, "POST", path, NULL,
	    "application/x-www-form-urlencoded", form, strlen(form),
	    KD_API_TIMEOUT_MS, acct_auth_done, NULL);
	explicit_bzero(form, strlen(form));
	free(form);
	if (A.auth_req == NULL)
		acct_auth_failed(0, NULL, "cannot queue the token request");
}

/*
 * Start the account once the context exists.  secret: password or client
 * secret (copied).
 */
void
acct_start(struct lws_context *lc, const struct kd_endpoint *ep,
    const char *secret)
{
	struct ws_conf	 wc;
	unsigned char	 r[8];

	TAILQ_INIT(&A.waiting);
	TAILQ_INIT(&A.inflight);
	A.lc = lc;
	A.ep = *ep;
	arc4random_buf(r, sizeof(r));
	snprintf(A.corr, sizeof(A.corr), "kandy-bridge-%02x%02x%02x%02x"
	    "%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
	if ((A.secret = strdup(secret != NULL ? secret : "")) == NULL)
		fatal("strdup");
	if ((A.hc = http_client_new(lc, ep)) == NULL)
		fatalx("cannot make the HTTPS client");
	memset(&wc, 0, sizeof(wc));
	if (WSRPC()) {
		wc.raw_cb = wsrpc_message;
		wc.check_text = wsrpc_ping;
	}
	if ((A.ws = ws_new(lc, ep, &wc, acct_ws_notify, acct_ws_state,
	    NULL)) == NULL)
		fatalx("cannot make the WebSocket client");
	acct_auth();
}

/* A reload brought a new secret: grant again with it. */
void
acct_reconfigure(const char *secret)
{
	char	*s;

	if (A.hc == NULL || secret == NULL ||
	    (A.secret != NULL && strcmp(A.secret, secret) == 0))
		return;
	if ((s = strdup(secret)) == NULL)
		fatal("strdup");
	freezero(A.secret, strlen(A.secret));
	A.secret = s;
	acct_auth();
}

static void
row(struct child_ctx *c, uint64_t ctl, const char *name, const char *fmt, ...)
{
	char	 buf[ACCT_ERRLEN + 64];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	child_send(c, PROC_PARENT, IMSG_CTL_KANDY, ctl, -1, name, buf);
}

/* bridgectl show kandy */
void
acct_show(struct child_ctx *c, uint64_t ctl)
{
	struct ws_stats	 st;
	int64_t		 now = now_s();
	enum kandy_trunk t;
	unsigned int	 retry;

	row(c, ctl, "url", "%s", kd_cfg.url);
	row(c, ctl, "dialect", "%s", kd_dialect->name);
	row(c, ctl, "account", "%s", kd_cfg.grant == CFG_GRANT_PASSWORD ?
	    kd_cfg.user : kd_cfg.client_id);
	row(c, ctl, "grant", "%s", kd_cfg.grant == CFG_GRANT_PASSWORD ?
	    "password" : "client credentials");
	row(c, ctl, "user id", "%s", A.user[0] ? A.user : "-");
	row(c, ctl, "state", "%s", state_names[A.state]);
	t = acct_trunk(&retry);
	if (t == KANDY_TRUNK_DOWN)
		row(c, ctl, "trunk", "down (Retry-After %u s)", retry);
	else
		row(c, ctl, "trunk", "%s", t == KANDY_TRUNK_UP ? "up" :
		    "signing in");
	if (A.token != NULL)
		row(c, ctl, "token expiry", "%lld s (grants %u)",
		    (long long)(A.token_exp - now), A.grants);
	else
		row(c, ctl, "token expiry", "no token (grants %u)", A.grants);
	if (A.ws != NULL)
		ws_get_stats(A.ws, &st);
	else
		memset(&st, 0, sizeof(st));
	row(c, ctl, "channel", "%s %s%s", A.have_channel ? A.channel_id : "-",
	    A.state == ACCT_READY ? "up" : A.have_channel ? "down" : "",
	    A.subscribed ? ", subscribed" : "");
	row(c, ctl, "reconnects", "%u (connects %u, duplicates %u, "
	    "bad %u)", A.reconnects, st.connects, st.dups_dropped,
	    st.bad_dropped + A.rpc_bad);
	row(c, ctl, "turn expiry", A.have_turn ? "%lld s" : "-",
	    (long long)(A.turn_exp - now));
	row(c, ctl, "calls", "%u", calls_count());
	row(c, ctl, "last error", "%s", A.last_error[0] ? A.last_error : "-");
	row(c, ctl, "api latency", "last %.1f ms, average %.1f ms",
	    A.lat_last_ms, A.lat_avg_ms);
	child_send(c, PROC_PARENT, IMSG_CTL_END, ctl, -1);
}
