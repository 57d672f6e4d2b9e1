/*
 * Request bodies and paths for the Kandy CPaaS API (docs/kandy.md).
 * Bodies are built with jansson, so every string is escaped; the caller
 * frees what is returned.  Ids that end up in paths are checked first.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kandyd.h"

static char *
dump(json_t *j)
{
	char	*s;

	if (j == NULL)
		return (NULL);
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return (s);
}

/* application/x-www-form-urlencoded: unreserved as-is, space as '+'. */
int
url_encode(const char *in, char *out, size_t outlen)
{
	static const char	 hex[] = "0123456789ABCDEF";
	size_t			 o = 0;
	unsigned char		 c;
	int			 unreserved;

	for (; *in != '\0'; in++) {
		c = *in;
		unreserved = isalnum(c) || c == '-' || c == '.' || c == '_' ||
		    c == '~';
		/* Room for this character's encoding and the NUL. */
		if (o + (unreserved || c == ' ' ? 1 : 3) >= outlen)
			return (-1);
		if (unreserved)
			out[o++] = c;
		else if (c == ' ')
			out[o++] = '+';
		else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (o >= outlen)
		return (-1);
	out[o] = '\0';
	return (o);
}

static int
form_add(char *buf, size_t len, const char *key, const char *val)
{
	char	 enc[KANDY_FORMLEN];
	size_t	 n = strlen(buf);

	if (val == NULL || url_encode(val, enc, sizeof(enc)) == -1)
		return (-1);
	if (snprintf(buf + n, len - n, "%s%s=%s", n ? "&" : "", key, enc) >=
	    (int)(len - n))
		return (-1);
	return (0);
}

char *
kreq_token_form(const struct kandy_grant *g)
{
	char	*buf;
	int	 rv = 0;

	if ((buf = calloc(1, KANDY_FORMLEN)) == NULL)
		return (NULL);
	rv |= form_add(buf, KANDY_FORMLEN, "client_id", g->client_id);
	if (g->type == GRANT_PASSWORD) {
		rv |= form_add(buf, KANDY_FORMLEN, "username", g->username);
		rv |= form_add(buf, KANDY_FORMLEN, "password", g->password);
		rv |= form_add(buf, KANDY_FORMLEN, "grant_type", "password");
	} else {
		rv |= form_add(buf, KANDY_FORMLEN, "client_secret",
		    g->client_secret);
		rv |= form_add(buf, KANDY_FORMLEN, "grant_type",
		    "client_credentials");
	}
	rv |= form_add(buf, KANDY_FORMLEN, "scope", "openid");
	if (rv != 0) {
		explicit_bzero(buf, KANDY_FORMLEN);
		free(buf);
		return (NULL);
	}
	return (buf);
}

char *
kreq_channel(const char *correlator, int lifetime)
{
	json_t	*nc;

	if (lifetime > 0)
		nc = json_pack("{s:i,s:s,s:s,s:s}", "channelLifetime", lifetime,
		    "channelType", "Websockets", "clientCorrelator", correlator,
		    "x-connCheckRole", "client");
	else
		nc = json_pack("{s:s,s:s,s:s}", "channelType", "Websockets",
		    "clientCorrelator", correlator, "x-connCheckRole", "client");
	return (dump(json_pack("{s:o}", "notificationChannel", nc)));
}

char *
kreq_channel_lifetime(int lifetime)
{
	return (dump(json_pack("{s:{s:i}}", "notificationChannelLifetime",
	    "channelLifetime", lifetime)));
}

char *
kreq_subscription(const char *correlator, const char *notify_url)
{
	return (dump(json_pack("{s:{s:{s:s},s:s}}",
	    "wrtcsNotificationSubscription", "callbackReference",
	    "notifyURL", notify_url, "clientCorrelator", correlator)));
}

char *
kreq_turn(const char *correlator)
{
	return (dump(json_pack("{s:{s:s}}", "wrtcsTurnCredentials",
	    "clientCorrelator", correlator)));
}

char *
kreq_session_create(const char *correlator, const char *to, const char *name,
    const char *sdp)
{
	json_t	*s;

	if (name != NULL && *name != '\0')
		s = json_pack("{s:s,s:s,s:s,s:{s:s}}", "clientCorrelator",
		    correlator, "tParticipantAddress", to, "tParticipantName",
		    name, "offer", "sdp", sdp);
	else
		s = json_pack("{s:s,s:s,s:{s:s}}", "clientCorrelator",
		    correlator, "tParticipantAddress", to, "offer", "sdp", sdp);
	return (dump(json_pack("{s:o}", "wrtcsSession", s)));
}

char *
kreq_session_status(const char *correlator, const char *status)
{
	return (dump(json_pack("{s:{s:s,s:s}}", "wrtcsSessionStatus",
	    "clientCorrelator", correlator, "status", status)));
}

char *
kreq_answer(const char *correlator, const char *sdp)
{
	return (dump(json_pack("{s:{s:s,s:s}}", "wrtcsAnswer",
	    "clientCorrelator", correlator, "sdp", sdp)));
}

char *
kreq_offer(const char *correlator, const char *sdp)
{
	return (dump(json_pack("{s:{s:s,s:s}}", "wrtcsOffer",
	    "clientCorrelator", correlator, "sdp", sdp)));
}

char *
kreq_forward(const char *correlator, const char *address)
{
	return (dump(json_pack("{s:{s:s,s:s}}", "wrtcsForward",
	    "clientCorrelator", correlator, "address", address)));
}

char *
kreq_transfer(const char *correlator, const char *address, const char *sid)
{
	json_t	*t;

	if (sid != NULL)
		t = json_pack("{s:s,s:s,s:s}", "clientCorrelator", correlator,
		    "address", address, "sessionId", sid);
	else
		t = json_pack("{s:s,s:s}", "clientCorrelator", correlator,
		    "address", address);
	return (dump(json_pack("{s:o}", "wrtcsTransfer", t)));
}

/* An id from the server or config that goes into a path segment. */
int
kandy_id_valid(const char *s)
{
	size_t	 len = strlen(s);

	if (len == 0 || len >= KANDY_IDLEN || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return (0);
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("-._~@+", *s) == NULL)
			return (0);
	return (1);
}

static const struct {
	const char	*fmt;
	int		 has_id;
} kandy_paths[] = {
	[KP_TOKEN] =		{ "/cpaas/auth/v1/token", 0 },
	[KP_CHANNELS] =		{ "/cpaas/notificationchannel/v1/%s/channels", 0 },
	[KP_CHANNEL] =		{ "/cpaas/notificationchannel/v1/%s/channels/%s", 1 },
	[KP_SUBSCRIPTIONS] =	{ "/cpaas/webrtcsignaling/v1/%s/subscriptions", 0 },
	[KP_SUBSCRIPTION] =	{ "/cpaas/webrtcsignaling/v1/%s/subscriptions/%s", 1 },
	[KP_TURN] =		{ "/cpaas/webrtcsignaling/v1/%s/turn", 0 },
	[KP_SESSIONS] =		{ "/cpaas/webrtcsignaling/v1/%s/sessions", 0 },
	[KP_SESSION] =		{ "/cpaas/webrtcsignaling/v1/%s/sessions/%s", 1 },
	[KP_SESSION_STATUS] =	{ "/cpaas/webrtcsignaling/v1/%s/sessions/%s/status", 1 },
	[KP_SESSION_ANSWER] =	{ "/cpaas/webrtcsignaling/v1/%s/sessions/%s/answer", 1 },
	[KP_SESSION_UPDATE] =	{ "/cpaas/webrtcsignaling/v1/%s/sessions/%s/update", 1 },
	[KP_SESSION_FORWARD] =	{ "/cpaas/webrtcsignaling/v1/%s/sessions/%s/forward", 1 },
	[KP_SESSION_TRANSFER] =	{ "/cpaas/webrtcsignaling/v1/%s/sessions/%s/transfer", 1 },
};

int
kandy_path(char *buf, size_t len, enum kandy_path_kind kind, const char *user,
    const char *id)
{
	int	 n;

	if (kind < 0 || kind >= KP_MAX)
		return (-1);
	if (kind != KP_TOKEN && (user == NULL || !kandy_id_valid(user)))
		return (-1);
	if (kandy_paths[kind].has_id) {
		if (id == NULL || !kandy_id_valid(id))
			return (-1);
		n = snprintf(buf, len, kandy_paths[kind].fmt, user, id);
	} else if (kind == KP_TOKEN)
		n = snprintf(buf, len, "%s", kandy_paths[kind].fmt);
	else
		n = snprintf(buf, len, kandy_paths[kind].fmt, user);
	if (n < 0 || (size_t)n >= len)
		return (-1);
	return (n);
}
