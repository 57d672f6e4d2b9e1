/*
 * Notification channels (WebSocket kind) and call-event subscriptions,
 * and the delivery of notifications to a user's channels.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kandysim.h"
#include "log.h"

struct channellist	 channels = TAILQ_HEAD_INITIALIZER(channels);
struct sublist		 subscriptions = TAILQ_HEAD_INITIALIZER(subscriptions);
static int		 nchannels, nsubs;

struct channel *
channel_find(const char *id)
{
	struct channel	*c;

	TAILQ_FOREACH(c, &channels, entry)
		if (strcmp(c->id, id) == 0)
			return (c);
	return (NULL);
}

static struct channel *
channel_of(struct user *u, const char *id)
{
	struct channel	*c = channel_find(id);

	return (c != NULL && c->user == u ? c : NULL);
}

/*
 * channelType comes back as "websockets": the SDK sends "Websockets" but
 * closes a channel on unsubscribe only when the stored type compares
 * equal to "websockets" (and fails otherwise).
 */
static json_t *
channel_json(struct channel *c)
{
	char	 url[512], res[512];

	snprintf(url, sizeof(url),
	    "/cpaas/notificationchannel/v1/%s/channels/%s/websocket",
	    c->user->name, c->id);
	snprintf(res, sizeof(res),
	    "/cpaas/notificationchannel/v1/%s/channels/%s", c->user->name,
	    c->id);
	return (json_pack("{s:s, s:{s:s}, s:i, s:s, s:s, s:s, s:s}",
	    "callbackURL", c->id, "channelData", "channelURL", url,
	    "channelLifetime", c->lifetime, "channelType", "websockets",
	    "clientCorrelator", c->correlator ? c->correlator : "",
	    "x-connCheckRole", c->server_role ? "server" : "client",
	    "resourceURL", res));
}

static void
channel_free(struct channel *c)
{
	int	 i;

	if (c->ws != NULL)
		ws_close(c->ws, 1000);
	for (i = 0; i < c->nqueue; i++)
		free(c->queue[i]);
	TAILQ_REMOVE(&channels, c, entry);
	nchannels--;
	free(c->correlator);
	free(c);
}

void
channel_attach(struct channel *c, struct wsconn *ws)
{
	int	 i;

	if (c->ws != NULL && c->ws != ws)
		ws_close(c->ws, 1000);
	c->ws = ws;
	for (i = 0; i < c->nqueue; i++) {
		ws_send(ws, c->queue[i]);
		free(c->queue[i]);
	}
	c->nqueue = 0;
}

void
channel_detach(struct channel *c)
{
	c->ws = NULL;
}

/* Send now, or hold (dropping the oldest) until a WebSocket attaches. */
void
channel_text(struct channel *c, const char *text)
{
	if (c->ws != NULL) {
		ws_send(c->ws, text);
		return;
	}
	if (c->nqueue == SIM_MAX_QUEUE) {
		free(c->queue[0]);
		memmove(c->queue, c->queue + 1,
		    (SIM_MAX_QUEUE - 1) * sizeof(c->queue[0]));
		c->nqueue--;
	}
	c->queue[c->nqueue++] = xstrdup(text);
}

void
channel_expire(void)
{
	struct channel	*c, *next;
	time_t		 now = time(NULL);

	for (c = TAILQ_FIRST(&channels); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->lifetime > 0 && c->expires <= now) {
			log_info("channel %s of %s expired", c->id,
			    c->user->name);
			channel_free(c);
		}
	}
}

static int
lifetime_value(json_t *v, int *out)
{
	if (v == NULL)
		return (0);
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > 86400 * 30)
		return (-1);
	*out = (int)json_integer_value(v);
	return (0);
}

static void
bad_input(struct simresp *resp, const char *part)
{
	resp_error(resp, 400, "serviceException", "SVC0002",
	    "Invalid input value for message part %1", part);
}

static void
not_found(struct simresp *resp, const char *what)
{
	resp_error(resp, 404, "serviceException", "SVC0001",
	    "A service error occurred. Error code is %1", what);
}

static void
channel_create(const struct simreq *req, struct simresp *resp,
    struct user *u)
{
	struct channel	*c;
	json_t		*body, *nc;
	const char	*type, *role;
	int		 lifetime = simconf.channel_lifetime;
	char		 uuid[40];

	if ((body = body_json(req, resp)) == NULL)
		return;
	nc = json_object_get(body, "notificationChannel");
	if (!json_is_object(nc)) {
		bad_input(resp, "notificationChannel");
		goto done;
	}
	type = jstr(nc, "channelType");
	role = jstr(nc, "x-connCheckRole");
	if (type != NULL && strcasecmp(type, "Websockets") != 0) {
		bad_input(resp, "channelType");
		goto done;
	}
	if (role != NULL && strcmp(role, "client") != 0 &&
	    strcmp(role, "server") != 0) {
		bad_input(resp, "x-connCheckRole");
		goto done;
	}
	if (lifetime_value(json_object_get(nc, "channelLifetime"),
	    &lifetime) == -1) {
		bad_input(resp, "channelLifetime");
		goto done;
	}
	if (nchannels >= SIM_MAX_CHANNELS) {
		resp_error(resp, 403, "policyException", "POL0001",
		    "A policy error occurred. Error code is %1",
		    "too many channels");
		goto done;
	}
	c = xcalloc(1, sizeof(*c));
	uuid_str(uuid, sizeof(uuid));
	snprintf(c->id, sizeof(c->id), "ws-%s", uuid);
	c->user = u;
	c->correlator = xstrdup(jstr(nc, "clientCorrelator"));
	c->lifetime = lifetime;
	c->expires = time(NULL) + lifetime;
	c->server_role = role != NULL && strcmp(role, "server") == 0;
	TAILQ_INSERT_TAIL(&channels, c, entry);
	nchannels++;
	log_debug("channel %s for %s", c->id, u->name);
	resp_json(resp, 201, json_pack("{s:o}", "notificationChannel",
	    channel_json(c)));
 done:
	json_decref(body);
}

void
api_channels(const struct simreq *req, struct simresp *resp, struct user *u,
    char **seg, int n)
{
	struct channel	*c;
	json_t		*body, *a, *v;
	char		 res[256];
	int		 lifetime;

	if (n == 0 && strcmp(req->method, "POST") == 0) {
		channel_create(req, resp, u);
		return;
	}
	if (n == 0 && strcmp(req->method, "GET") == 0) {
		a = json_array();
		TAILQ_FOREACH(c, &channels, entry)
			if (c->user == u)
				json_array_append_new(a, channel_json(c));
		snprintf(res, sizeof(res),
		    "/cpaas/notificationchannel/v1/%s/channels", u->name);
		resp_json(resp, 200, json_pack("{s:{s:o, s:s}}",
		    "notificationChannelList", "notificationChannel", a,
		    "resourceURL", res));
		return;
	}
	if (n < 1 || n > 3 || (c = channel_of(u, seg[0])) == NULL) {
		not_found(resp, "no such channel");
		return;
	}
	/* The SDK extends the lifetime at {channelURL}/channelLifetime. */
	if (n == 3 && strcmp(seg[1], "websocket") == 0) {
		seg[1] = seg[2];
		n = 2;
	}
	if (n == 1 && strcmp(req->method, "GET") == 0) {
		resp_json(resp, 200, json_pack("{s:o}", "notificationChannel",
		    channel_json(c)));
		return;
	}
	if (n == 1 && strcmp(req->method, "DELETE") == 0) {
		channel_free(c);
		resp->status = 204;
		return;
	}
	if (n == 2 && strcmp(seg[1], "channelLifetime") == 0 &&
	    strcmp(req->method, "PUT") == 0) {
		if ((body = body_json(req, resp)) == NULL)
			return;
		v = json_object_get(json_object_get(body,
		    "notificationChannelLifetime"), "channelLifetime");
		if (v == NULL || lifetime_value(v, &lifetime) == -1)
			bad_input(resp, "channelLifetime");
		else {
			c->lifetime = lifetime;
			c->expires = time(NULL) + lifetime;
			resp_json(resp, 200, json_pack("{s:{s:i}}",
			    "notificationChannelLifetime", "channelLifetime",
			    lifetime));
		}
		json_decref(body);
		return;
	}
	if (n == 2 && strcmp(seg[1], "channelLifetime") == 0 &&
	    strcmp(req->method, "GET") == 0) {
		resp_json(resp, 200, json_pack("{s:{s:i}}",
		    "notificationChannelLifetime", "channelLifetime",
		    c->lifetime));
		return;
	}
	resp_error(resp, 405, "serviceException", "SVC0001",
	    "A service error occurred. Error code is %1", "method not allowed");
}

/* The channel a subscription's notifyURL names (its id appears in it). */
static struct channel *
sub_channel(struct subscription *s)
{
	struct channel	*c;

	TAILQ_FOREACH(c, &channels, entry)
		if (c->user == s->user && strstr(s->notify_url, c->id) != NULL)
			return (c);
	return (NULL);
}

static json_t *
sub_json(struct subscription *s)
{
	char	 res[256];

	snprintf(res, sizeof(res),
	    "/cpaas/webrtcsignaling/v1/%s/subscriptions/%s", s->user->name,
	    s->id);
	return (json_pack("{s:{s:s}, s:s, s:s}", "callbackReference",
	    "notifyURL", s->notify_url, "clientCorrelator",
	    s->correlator ? s->correlator : "", "resourceURL", res));
}

static void
sub_free(struct subscription *s)
{
	TAILQ_REMOVE(&subscriptions, s, entry);
	nsubs--;
	free(s->notify_url);
	free(s->correlator);
	free(s);
}

static void
sub_create(const struct simreq *req, struct simresp *resp, struct user *u)
{
	struct subscription	*s;
	json_t			*body, *ns;
	const char		*url;
	char			 uuid[40];

	if ((body = body_json(req, resp)) == NULL)
		return;
	ns = json_object_get(body, "wrtcsNotificationSubscription");
	url = jstr(json_object_get(ns, "callbackReference"), "notifyURL");
	if (!json_is_object(ns))
		bad_input(resp, "wrtcsNotificationSubscription");
	else if (url == NULL || *url == '\0' || strlen(url) > 512)
		bad_input(resp, "notifyURL");
	else if (nsubs >= SIM_MAX_SUBS)
		resp_error(resp, 403, "policyException", "POL0001",
		    "A policy error occurred. Error code is %1",
		    "too many subscriptions");
	else {
		s = xcalloc(1, sizeof(*s));
		uuid_str(uuid, sizeof(uuid));
		snprintf(s->id, sizeof(s->id), "%s", uuid);
		s->user = u;
		s->notify_url = xstrdup(url);
		s->correlator = xstrdup(jstr(ns, "clientCorrelator"));
		if (sub_channel(s) == NULL) {
			free(s->notify_url);
			free(s->correlator);
			free(s);
			bad_input(resp, "notifyURL");
		} else {
			TAILQ_INSERT_TAIL(&subscriptions, s, entry);
			nsubs++;
			resp_json(resp, 201, json_pack("{s:o}",
			    "wrtcsNotificationSubscription", sub_json(s)));
		}
	}
	json_decref(body);
}

void
api_subscriptions(const struct simreq *req, struct simresp *resp,
    struct user *u, char **seg, int n)
{
	struct subscription	*s;
	json_t			*a;
	char			 res[256];

	if (n == 0 && strcmp(req->method, "POST") == 0) {
		sub_create(req, resp, u);
		return;
	}
	if (n == 0 && strcmp(req->method, "GET") == 0) {
		a = json_array();
		TAILQ_FOREACH(s, &subscriptions, entry)
			if (s->user == u)
				json_array_append_new(a, sub_json(s));
		snprintf(res, sizeof(res),
		    "/cpaas/webrtcsignaling/v1/%s/subscriptions", u->name);
		resp_json(resp, 200, json_pack("{s:{s:o, s:s}}",
		    "wrtcsNotificationSubscriptionList",
		    "wrtcsNotificationSubscription", a, "resourceURL", res));
		return;
	}
	if (n != 1) {
		not_found(resp, "no such subscription");
		return;
	}
	TAILQ_FOREACH(s, &subscriptions, entry)
		if (s->user == u && strcmp(s->id, seg[0]) == 0)
			break;
	if (s == NULL)
		not_found(resp, "no such subscription");
	else if (strcmp(req->method, "GET") == 0)
		resp_json(resp, 200, json_pack("{s:o}",
		    "wrtcsNotificationSubscription", sub_json(s)));
	else if (strcmp(req->method, "DELETE") == 0) {
		sub_free(s);
		resp->status = 204;
	} else
		resp_error(resp, 405, "serviceException", "SVC0001",
		    "A service error occurred. Error code is %1",
		    "method not allowed");
}

/* Forget every channel and subscription (the fuzzer keeps state small). */
void
channels_clear(void)
{
	struct channel		*c;
	struct subscription	*s;

	while ((s = TAILQ_FIRST(&subscriptions)) != NULL)
		sub_free(s);
	while ((c = TAILQ_FIRST(&channels)) != NULL)
		channel_free(c);
}

int
user_subscribed(struct user *u)
{
	struct subscription	*s;

	TAILQ_FOREACH(s, &subscriptions, entry)
		if (s->user == u && sub_channel(s) != NULL)
			return (1);
	return (0);
}

/*
 * Deliver {key: obj} with a fresh unique id to every channel the user
 * subscribed with.  Takes obj.  Returns the number of channels reached.
 */
int
user_notify(struct user *u, const char *key, json_t *obj)
{
	struct subscription	*s;
	struct channel		*c, *done[SIM_MAX_SUBS];
	json_t			*msg;
	char			*text, id[40];
	int			 n = 0, i;

	uuid_str(id, sizeof(id));
	json_object_set_new(obj, "id", json_string(id));
	msg = json_pack("{s:o}", key, obj);
	text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (text == NULL)
		return (0);
	TAILQ_FOREACH(s, &subscriptions, entry) {
		if (s->user != u || (c = sub_channel(s)) == NULL)
			continue;
		/* Two subscriptions on one channel still get one copy. */
		for (i = 0; i < n; i++)
			if (done[i] == c)
				break;
		if (i < n || n == SIM_MAX_SUBS)
			continue;
		done[n++] = c;
		channel_text(c, text);
	}
	log_debug("notify %s: %s to %d channel(s)", u->name, key, n);
	free(text);
	return (n);
}
