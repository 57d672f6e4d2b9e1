/*
 * Kandy's answers to our requests: tokens, the notification channel,
 * TURN credentials, a created session, and the two error shapes.
 * Every field is type-checked and bounded; a missing required field or
 * a wrong type is an error with a message naming the field.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "kandyd.h"

static char	 resp_err[128];

static int
field_error(const char **errstr, const char *what, const char *field, int rv)
{
	snprintf(resp_err, sizeof(resp_err), "%s: '%s' %s", what, field,
	    rv == 0 ? "missing" : "of wrong type or too long");
	*errstr = resp_err;
	return (-1);
}

/* Required string: anything but a clean copy is an error. */
#define REQ_STR(obj, key, dst, what) do {				\
	int req_rv = json_guard_str((obj), (key), (dst), sizeof(dst));	\
	if (req_rv != 1) {						\
		field_error(errstr, (what), (key), req_rv);		\
		goto fail;						\
	}								\
} while (0)

/* Optional string: absent is fine, a wrong type is not. */
#define OPT_STR(obj, key, dst, what) do {				\
	if (json_guard_str((obj), (key), (dst), sizeof(dst)) == -1) {	\
		field_error(errstr, (what), (key), -1);			\
		goto fail;						\
	}								\
} while (0)

static json_t *
member_obj(json_t *j, const char *key, const char *what, const char **errstr)
{
	json_t	*o;

	if ((o = json_object_get(j, key)) == NULL || !json_is_object(o)) {
		field_error(errstr, what, key, o == NULL ? 0 : -1);
		return (NULL);
	}
	return (o);
}

/* A server path we will reuse: absolute, printable, no "..", no query. */
int
kandy_url_path_valid(const char *p)
{
	if (p[0] != '/' || strstr(p, "..") != NULL || strstr(p, "//") != NULL)
		return (0);
	for (; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    strchr("?#%\\\"", *p) != NULL)
			return (0);
	return (1);
}

/* The last segment of ".../<marker>/<id>[/...]" when it is a usable id. */
int
kandy_id_from_url(const char *url, const char *marker, char *id, size_t len)
{
	const char	*p, *e;
	size_t		 n;

	if ((p = strstr(url, marker)) == NULL)
		return (-1);
	p += strlen(marker);
	if ((e = strchr(p, '/')) == NULL)
		e = p + strlen(p);
	n = e - p;
	if (n == 0 || n >= len || n >= KANDY_IDLEN)
		return (-1);
	memcpy(id, p, n);
	id[n] = '\0';
	return (kandy_id_valid(id) ? 0 : -1);
}

int
kresp_token(const char *buf, size_t len, struct kandy_token *t,
    const char **errstr)
{
	char	 type[32];
	json_t	*j;
	int64_t	 v;

	memset(t, 0, sizeof(*t));
	if ((j = json_guard_load(buf, len, KANDY_RESPMAX, errstr)) == NULL)
		return (-1);
	REQ_STR(j, "access_token", t->access_token, "token");
	OPT_STR(j, "id_token", t->id_token, "token");
	OPT_STR(j, "token_type", type, "token");
	if (type[0] != '\0' && strcasecmp(type, "bearer") != 0) {
		*errstr = "token: token_type is not bearer";
		goto fail;
	}
	if (json_guard_int(j, "expires_in", INT32_MAX, &v) == -1) {
		field_error(errstr, "token", "expires_in", -1);
		goto fail;
	}
	t->expires_in = v;
	json_decref(j);
	return (0);
 fail:
	json_decref(j);
	explicit_bzero(t, sizeof(*t));
	return (-1);
}

int
kresp_channel(const char *buf, size_t len, struct kandy_channel *c,
    const char **errstr)
{
	json_t	*j, *nc, *cd;
	int64_t	 v;

	memset(c, 0, sizeof(*c));
	if ((j = json_guard_load(buf, len, KANDY_RESPMAX, errstr)) == NULL)
		return (-1);
	if ((nc = member_obj(j, "notificationChannel", "channel",
	    errstr)) == NULL)
		goto fail;
	REQ_STR(nc, "callbackURL", c->callback_url, "channel");
	REQ_STR(nc, "resourceURL", c->resource_url, "channel");
	if ((cd = member_obj(nc, "channelData", "channel", errstr)) == NULL)
		goto fail;
	REQ_STR(cd, "channelURL", c->channel_url, "channel");
	if (!kandy_url_path_valid(c->channel_url) ||
	    !kandy_url_path_valid(c->resource_url)) {
		*errstr = "channel: channelURL or resourceURL not a clean path";
		goto fail;
	}
	if (json_guard_int(nc, "channelLifetime", INT32_MAX, &v) == -1) {
		field_error(errstr, "channel", "channelLifetime", -1);
		goto fail;
	}
	c->lifetime = v;
	json_decref(j);
	return (0);
 fail:
	json_decref(j);
	return (-1);
}

int
kresp_turn(const char *buf, size_t len, struct kandy_turn *t,
    const char **errstr)
{
	json_t	*j, *o;
	int64_t	 v;

	memset(t, 0, sizeof(*t));
	if ((j = json_guard_load(buf, len, KANDY_RESPMAX, errstr)) == NULL)
		return (-1);
	if ((o = member_obj(j, "wrtcsTurnCredentials", "turn",
	    errstr)) == NULL)
		goto fail;
	REQ_STR(o, "username", t->username, "turn");
	REQ_STR(o, "password", t->password, "turn");
	/* The expiry's name is not published: "expires", seconds. */
	if (json_guard_int(o, "expires", INT32_MAX, &v) == -1) {
		field_error(errstr, "turn", "expires", -1);
		goto fail;
	}
	t->expires = v;
	json_decref(j);
	return (0);
 fail:
	json_decref(j);
	explicit_bzero(t, sizeof(*t));
	return (-1);
}

int
kresp_session(const char *buf, size_t len, char *sid, size_t sidlen,
    const char **errstr)
{
	char	 url[KANDY_URLLEN];
	json_t	*j, *o;

	if ((j = json_guard_load(buf, len, KANDY_RESPMAX, errstr)) == NULL)
		return (-1);
	if ((o = member_obj(j, "wrtcsSession", "session", errstr)) == NULL)
		goto fail;
	REQ_STR(o, "resourceURL", url, "session");
	if (kandy_id_from_url(url, "/sessions/", sid, sidlen) == -1) {
		*errstr = "session: no usable session id in resourceURL";
		goto fail;
	}
	json_decref(j);
	return (0);
 fail:
	json_decref(j);
	return (-1);
}

/*
 * {"requestError":{"serviceException"|"policyException":{"messageId",
 * "text","variables"}}} or OAuth's {"error","error_description"}.
 * The text's %1 placeholders are left as they are.
 */
int
kresp_error(const char *buf, size_t len, struct kandy_error *e,
    const char **errstr)
{
	json_t	*j, *re, *ex;

	memset(e, 0, sizeof(*e));
	if ((j = json_guard_load(buf, len, KANDY_RESPMAX, errstr)) == NULL)
		return (-1);
	if ((re = json_object_get(j, "requestError")) != NULL) {
		if (!json_is_object(re)) {
			*errstr = "requestError is not an object";
			goto fail;
		}
		if ((ex = json_object_get(re, "serviceException")) != NULL)
			e->kind = KERR_SERVICE;
		else if ((ex = json_object_get(re,
		    "policyException")) != NULL)
			e->kind = KERR_POLICY;
		else {
			*errstr = "requestError without an exception";
			goto fail;
		}
		if (!json_is_object(ex)) {
			*errstr = "requestError exception is not an object";
			goto fail;
		}
		REQ_STR(ex, "messageId", e->message_id, "requestError");
		OPT_STR(ex, "text", e->text, "requestError");
	} else if (json_object_get(j, "error") != NULL) {
		e->kind = KERR_OAUTH;
		REQ_STR(j, "error", e->message_id, "oauth error");
		OPT_STR(j, "error_description", e->text, "oauth error");
	} else {
		*errstr = "not a Kandy error body";
		goto fail;
	}
	json_decref(j);
	return (0);
 fail:
	json_decref(j);
	memset(e, 0, sizeof(*e));
	return (-1);
}
