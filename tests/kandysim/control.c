/*
 * The control API under /_sim/ that tests use to script kandysim: users,
 * number rules, incoming calls, the call list, the request log, settings
 * and misbehaviour.  JSON in, JSON out; never authenticated (loopback).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "kandysim.h"
#include "log.h"
#include "simmedia.h"

static void
cerr(struct simresp *resp, int status, const char *msg)
{
	resp_json(resp, status, json_pack("{s:s}", "error", msg));
}

static int
is(const struct simreq *req, const char *method)
{
	return (strcmp(req->method, method) == 0);
}

/* Body as a JSON object; an empty body is an empty object. */
static json_t *
cbody(const struct simreq *req, struct simresp *resp)
{
	json_t	*o;

	if (req->bodylen == 0)
		return (json_object());
	if ((o = json_object_loadb(req->body, req->bodylen)) == NULL) {
		cerr(resp, 400, "malformed JSON");
		return (NULL);
	}
	return (o);
}

static int
int_opt(json_t *o, const char *key, int min, int max, int *out)
{
	json_t	*v = json_object_get(o, key);

	if (v == NULL)
		return (0);
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max)
		return (-1);
	*out = (int)json_integer_value(v);
	return (1);
}

static json_t *
config_json(void)
{
	return (json_pack("{s:i, s:i, s:i, s:s, s:i, s:i, s:i, s:s}",
	    "token_lifetime", simconf.token_lifetime,
	    "refresh_lifetime", simconf.refresh_lifetime,
	    "turn_ttl", simconf.turn_ttl, "domain", simconf.domain,
	    "conncheck_interval", simconf.conncheck_interval,
	    "channel_lifetime", simconf.channel_lifetime,
	    "ring_delay_ms", simconf.ring_delay_ms,
	    "media", simmedia->name));
}

static void
ctl_config(const struct simreq *req, struct simresp *resp)
{
	json_t		*o;
	const char	*s;
	int		 bad = 0;

	if (is(req, "GET")) {
		resp_json(resp, 200, config_json());
		return;
	}
	if ((o = cbody(req, resp)) == NULL)
		return;
	bad |= int_opt(o, "token_lifetime", 1, 86400 * 30,
	    &simconf.token_lifetime) == -1;
	bad |= int_opt(o, "refresh_lifetime", 1, 86400 * 30,
	    &simconf.refresh_lifetime) == -1;
	bad |= int_opt(o, "turn_ttl", 1, 86400 * 30, &simconf.turn_ttl) == -1;
	bad |= int_opt(o, "conncheck_interval", 1, 3600,
	    &simconf.conncheck_interval) == -1;
	bad |= int_opt(o, "channel_lifetime", 0, 86400 * 30,
	    &simconf.channel_lifetime) == -1;
	bad |= int_opt(o, "ring_delay_ms", 0, 600000,
	    &simconf.ring_delay_ms) == -1;
	if ((s = jstr(o, "turn_secret")) != NULL &&
	    strlcpy(simconf.turn_secret, s, sizeof(simconf.turn_secret)) >=
	    sizeof(simconf.turn_secret))
		bad = 1;
	if ((s = jstr(o, "domain")) != NULL &&
	    strlcpy(simconf.domain, s, sizeof(simconf.domain)) >=
	    sizeof(simconf.domain))
		bad = 1;
	json_decref(o);
	if (bad)
		cerr(resp, 400, "bad value");
	else
		resp_json(resp, 200, config_json());
}

static void
ctl_users(const struct simreq *req, struct simresp *resp)
{
	json_t		*o;
	struct user	*u;
	const char	*name, *cid;

	if (is(req, "GET")) {
		resp_json(resp, 200, json_pack("{s:o}", "users",
		    users_json()));
		return;
	}
	if (!is(req, "POST")) {
		cerr(resp, 405, "method not allowed");
		return;
	}
	if ((o = cbody(req, resp)) == NULL)
		return;
	name = jstr(o, "username");
	cid = jstr(o, "client_id");
	if (jstr(o, "password") == NULL && cid == NULL)
		cerr(resp, 400, "password or client_id needed");
	else if ((u = user_add(name, jstr(o, "password"), cid,
	    jstr(o, "client_secret"))) == NULL)
		cerr(resp, 400, "bad username or too many users");
	else
		resp_json(resp, 201, json_pack("{s:s}", "username", u->name));
	json_decref(o);
}

static void
ctl_rules(const struct simreq *req, struct simresp *resp)
{
	json_t	*o, *v, *r;
	char	 err[64];
	size_t	 i;

	if (is(req, "DELETE")) {
		rules_clear();
		resp->status = 204;
		return;
	}
	if (is(req, "POST")) {
		if ((o = cbody(req, resp)) == NULL)
			return;
		/* One rule, or {"rules":[...]} for several. */
		err[0] = '\0';
		v = json_object_get(o, "rules");
		if (json_is_array(v)) {
			json_array_foreach(v, i, r)
				if (rule_add(r, err, sizeof(err)) == -1)
					break;
		} else
			rule_add(o, err, sizeof(err));
		json_decref(o);
		if (err[0] != '\0') {
			cerr(resp, 400, err);
			return;
		}
	}
	if (!is(req, "GET") && !is(req, "POST")) {
		cerr(resp, 405, "method not allowed");
		return;
	}
	resp_json(resp, is(req, "POST") ? 201 : 200, json_pack("{s:o}",
	    "rules", rules_json()));
}

static void
ctl_incoming(const struct simreq *req, struct simresp *resp)
{
	struct call	*c;
	json_t		*o;
	const char	*from, *to;
	char		 err[64];
	int		 hangup = 0;

	if (!is(req, "POST")) {
		cerr(resp, 405, "method not allowed");
		return;
	}
	if ((o = cbody(req, resp)) == NULL)
		return;
	from = jstr(o, "from");
	to = jstr(o, "to");
	if (from == NULL || to == NULL || strlen(from) > 100 ||
	    strlen(to) > 100)
		cerr(resp, 400, "from and to needed");
	else if (int_opt(o, "hangup_after_ms", 0, 86400000, &hangup) == -1)
		cerr(resp, 400, "bad hangup_after_ms");
	else if (jstr(o, "media") != NULL && strlen(jstr(o, "media")) >= SIM_MEDIA_MAX)
		cerr(resp, 400, "bad media");
	else if ((c = call_incoming(from, to, jstr(o, "user"),
	    jstr(o, "media"), hangup, err, sizeof(err))) == NULL)
		cerr(resp, strncmp(err, "no such", 7) == 0 ||
		    strstr(err, "subscription") != NULL ? 404 : 503, err);
	else
		resp_json(resp, 201, json_pack("{s:i, s:s}", "call_id",
		    c->id, "session", c->leg[1].sid));
	json_decref(o);
}

/* {"name","format":"s16le","rate":8000,"pcm_base64"} */
static void
sample_post(struct simresp *resp, json_t *o)
{
	const char	*name, *fmt, *b64;
	json_t		*rate;
	uint8_t		*pcm;
	size_t		 len;
	char		 err[128];
	int		 n;

	name = jstr(o, "name");
	fmt = jstr(o, "format");
	rate = json_object_get(o, "rate");
	if (name == NULL || (b64 = jstr(o, "pcm_base64")) == NULL) {
		cerr(resp, 400, "name and pcm_base64 needed");
		return;
	}
	if ((fmt != NULL && strcmp(fmt, "s16le") != 0) || (rate != NULL &&
	    (!json_is_integer(rate) ||
	    json_integer_value(rate) != SAMPLE_RATE))) {
		cerr(resp, 400, "only format s16le at rate 8000");
		return;
	}
	len = strlen(b64);
	if (len % 4 != 0 || strspn(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/=") != len) {
		cerr(resp, 400, "bad base64");
		return;
	}
	pcm = xcalloc(1, len / 4 * 3 + 4);
	n = lws_b64_decode_string_len(b64, (int)len, (char *)pcm,
	    (int)(len / 4 * 3 + 3));
	if (n < 0 || (len > 0 && n == 0))
		cerr(resp, 400, "bad base64");
	else if (n & 1)
		cerr(resp, 400, "odd number of bytes: not 16-bit samples");
	else if (sample_add(name, sample_pcm(pcm, n), n / 2, err,
	    sizeof(err)) == -1)
		cerr(resp, 400, err);
	else
		resp_json(resp, 201, json_pack("{s:s, s:i}", "name", name,
		    "samples", n / 2));
	free(pcm);
}

/* /_sim/samples, /_sim/samples/{name} */
static void
ctl_samples(const struct simreq *req, struct simresp *resp, char **seg,
    int n)
{
	json_t	*o;

	if (n == 0 && is(req, "GET"))
		resp_json(resp, 200, json_pack("{s:o}", "samples",
		    samples_json()));
	else if (n == 0 && is(req, "POST")) {
		if ((o = cbody(req, resp)) == NULL)
			return;
		sample_post(resp, o);
		json_decref(o);
	} else if (n == 1 && is(req, "DELETE")) {
		if (sample_delete(seg[0]) == -1)
			cerr(resp, 404, "no such sample");
		else
			resp->status = 204;
	} else if (n <= 1)
		cerr(resp, 405, "method not allowed");
	else
		cerr(resp, 404, "no such resource");
}

/* The direction a re-offer asks for, by its SDP name; -1 unknown. */
static int
dir_value(const char *s)
{
	static const char *const names[] = { "sendrecv", "sendonly",
	    "recvonly", "inactive" };
	int	 i;

	for (i = 0; s != NULL && i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return (i);
	return (-1);
}

/* /_sim/calls/{id}/dtmf, /recording and /reoffer */
static void
ctl_call_media(const struct simreq *req, struct simresp *resp,
    struct call *c, const char *what)
{
	json_t		*o, *r;
	const char	*digits;
	int		 dir, rv;

	if (strcmp(what, "dtmf") == 0 && is(req, "POST")) {
		if ((o = cbody(req, resp)) == NULL)
			return;
		if ((digits = jstr(o, "digits")) == NULL || c->media == NULL ||
		    simmedia->dtmf == NULL)
			cerr(resp, 400, "no digits or no media");
		else if (simmedia->dtmf(c->media, digits) == -1)
			cerr(resp, 400, "digits refused");
		else
			resp->status = 204;
		json_decref(o);
	} else if (strcmp(what, "reoffer") == 0 && is(req, "POST")) {
		if ((o = cbody(req, resp)) == NULL)
			return;
		if ((dir = dir_value(jstr(o, "direction"))) == -1)
			cerr(resp, 400, "bad direction");
		else if ((rv = call_reoffer(c, dir)) == -1)
			cerr(resp, 409, "not connected to a user, or a re-offer "
			    "is pending");
		else if (rv == -2)
			cerr(resp, 400, "no media to re-offer");
		else
			resp->status = 204;
		json_decref(o);
	} else if (strcmp(what, "recording") == 0 && is(req, "GET")) {
		if (c->media == NULL || simmedia->recording == NULL ||
		    (r = simmedia->recording(c->media)) == NULL)
			cerr(resp, 404, "no recording");
		else
			resp_json(resp, 200, r);
	} else if (strcmp(what, "dtmf") == 0 || strcmp(what, "recording") == 0 ||
	    strcmp(what, "reoffer") == 0)
		cerr(resp, 405, "method not allowed");
	else
		cerr(resp, 404, "no such resource");
}

static void
ctl_calls(const struct simreq *req, struct simresp *resp, char **seg, int n)
{
	struct call	*c;
	json_t		*a, *o;
	const char	*errstr;
	u_int		 id;
	int		 cause = 200;

	if (n == 0 && is(req, "GET")) {
		a = json_array();
		TAILQ_FOREACH(c, &calls, entry)
			json_array_append_new(a, call_json(c));
		resp_json(resp, 200, json_pack("{s:o}", "calls", a));
		return;
	}
	if (n != 1 && n != 2) {
		cerr(resp, 404, "no such resource");
		return;
	}
	id = strtonum(seg[0], 1, UINT32_MAX, &errstr);
	if (errstr != NULL || (c = call_find(id)) == NULL) {
		cerr(resp, 404, "no such call");
		return;
	}
	if (n == 2)
		ctl_call_media(req, resp, c, seg[1]);
	else if (is(req, "GET"))
		resp_json(resp, 200, call_json(c));
	else if (is(req, "DELETE")) {
		if ((o = cbody(req, resp)) == NULL)
			return;
		if (int_opt(o, "cause", 100, 699, &cause) == -1)
			cerr(resp, 400, "bad cause");
		else if (call_hangup(c, jstr(o, "reason"), cause) == -1)
			cerr(resp, 409, "call already ended");
		else
			resp->status = 204;
		json_decref(o);
	} else
		cerr(resp, 405, "method not allowed");
}

static void
ctl_log(const struct simreq *req, struct simresp *resp)
{
	const char	*errstr;
	char		*since;
	uint64_t	 s = 0;

	if (is(req, "DELETE")) {
		reqlog_clear();
		resp->status = 204;
		return;
	}
	if (req->query != NULL &&
	    (since = form_value(req->query, strlen(req->query), "since")) !=
	    NULL) {
		s = strtonum(since, 0, LLONG_MAX, &errstr);
		free(since);
		if (errstr != NULL) {
			cerr(resp, 400, "bad since");
			return;
		}
	}
	resp_json(resp, 200, json_pack("{s:o}", "requests", reqlog_json(s)));
}

static void
ctl_misbehave(const struct simreq *req, struct simresp *resp, char **seg,
    int n)
{
	struct user	*u = NULL;
	struct channel	*ch;
	json_t		*o;
	const char	*name;
	int		 code = 1001, count = 1, status = 503, ms = 1000;
	int		 sent = 0;

	if (!is(req, "POST") || n != 1) {
		cerr(resp, 404, "no such misbehaviour");
		return;
	}
	if ((o = cbody(req, resp)) == NULL)
		return;
	if ((name = jstr(o, "user")) != NULL && (u = user_find(name)) == NULL) {
		cerr(resp, 404, "no such user");
		goto done;
	}
	if (int_opt(o, "code", 1000, 4999, &code) == -1 ||
	    int_opt(o, "count", 0, 1000000, &count) == -1 ||
	    int_opt(o, "status", 400, 599, &status) == -1 ||
	    int_opt(o, "ms", 0, 600000, &ms) == -1) {
		cerr(resp, 400, "bad value");
		goto done;
	}
	if (strcmp(seg[0], "drop-websockets") == 0)
		ws_drop_all(u, code);
	else if (strcmp(seg[0], "expire-tokens") == 0)
		auth_expire(u);
	else if (strcmp(seg[0], "fail") == 0) {
		simbad.fail_count = count;
		simbad.fail_status = status;
	} else if (strcmp(seg[0], "delay") == 0) {
		simbad.delay_count = count;
		simbad.delay_ms = ms;
	} else if (strcmp(seg[0], "malformed") == 0) {
		TAILQ_FOREACH(ch, &channels, entry)
			if (u == NULL || ch->user == u) {
				channel_text(ch,
				    "{\"wrtcsEventNotification\":{\"id\":");
				sent++;
			}
		resp_json(resp, 200, json_pack("{s:i}", "channels", sent));
		goto done;
	} else {
		cerr(resp, 404, "no such misbehaviour");
		goto done;
	}
	resp->status = 204;
 done:
	json_decref(o);
}

void
control_handle(const struct simreq *req, struct simresp *resp, char **seg,
    int n)
{
	if (n == 0 || strcmp(seg[0], "status") == 0) {
		resp_json(resp, 200, json_pack("{s:s, s:s, s:b}", "service",
		    "kandysim", "media", simmedia->name, "real_media",
		    strcmp(simmedia->name, "stub") != 0));
	} else if (strcmp(seg[0], "blank.html") == 0 && n == 1) {
		/* An empty page on this origin, for browser-based tests. */
		resp->status = 200;
		resp->ctype = "text/html";
		resp->body = xstrdup("<!doctype html><title>kandysim</title>");
	} else if (strcmp(seg[0], "config") == 0 && n == 1)
		ctl_config(req, resp);
	else if (strcmp(seg[0], "users") == 0 && n == 1)
		ctl_users(req, resp);
	else if (strcmp(seg[0], "rules") == 0 && n == 1)
		ctl_rules(req, resp);
	else if (strcmp(seg[0], "incoming") == 0 && n == 1)
		ctl_incoming(req, resp);
	else if (strcmp(seg[0], "calls") == 0)
		ctl_calls(req, resp, seg + 1, n - 1);
	else if (strcmp(seg[0], "samples") == 0)
		ctl_samples(req, resp, seg + 1, n - 1);
	else if (strcmp(seg[0], "log") == 0 && n == 1)
		ctl_log(req, resp);
	else if (strcmp(seg[0], "misbehave") == 0)
		ctl_misbehave(req, resp, seg + 1, n - 1);
	else if (strcmp(seg[0], "reset") == 0 && n == 1 && is(req, "POST")) {
		calls_reset();
		rules_clear();
		reqlog_clear();
		memset(&simbad, 0, sizeof(simbad));
		resp->status = 204;
	} else
		cerr(resp, 404, "no such resource");
}
