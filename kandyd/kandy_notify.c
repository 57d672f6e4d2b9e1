/*
 * Messages arriving on the notification channel: keepalive and the call
 * notifications.  Each is one top-level key naming its kind; the call
 * notifications carry a unique id (duplicates are dropped by the caller
 * with the kandy_dedup ring below) and a link to their session.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kandyd.h"

static char	 notify_err[160];

static const struct {
	const char	*key;
	enum kandy_ntype type;
} ntypes[] = {
	{ "connCheck",				KN_CONNCHECK },
	{ "connAck",				KN_CONNACK },
	{ "wrtcsSessionInvitationNotification",	KN_INVITATION },
	{ "wrtcsEventNotification",		KN_EVENT },
	{ "wrtcsAcceptanceNotification",	KN_ACCEPTANCE },
	{ "wrtcsOfferNotification",		KN_OFFER },
	{ "wrtcsAnswerNotification",		KN_ANSWER },
	{ "wrtcsIceNotification",		KN_ICE },
};

static const struct {
	const char	*name;
	enum kandy_event ev;
} events[] = {
	{ "Ringing",		KE_RINGING },
	{ "SessionEnded",	KE_SESSION_ENDED },
	{ "Cancelled",		KE_CANCELLED },
	{ "TransferCompleted",	KE_TRANSFER_COMPLETED },
	{ "TransferFailed",	KE_TRANSFER_FAILED },
};

static int
nerr(const char **errstr, const char *kind, const char *field,
    const char *what)
{
	snprintf(notify_err, sizeof(notify_err), "%s: '%s' %s", kind, field,
	    what);
	*errstr = notify_err;
	return (-1);
}

static int
req_str(json_t *o, const char *key, char *dst, size_t len, const char *kind,
    const char **errstr)
{
	switch (json_guard_str(o, key, dst, len)) {
	case 1:
		return (0);
	case 0:
		return (nerr(errstr, kind, key, "missing"));
	default:
		return (nerr(errstr, kind, key, "of wrong type or too long"));
	}
}

static int
opt_str(json_t *o, const char *key, char *dst, size_t len, const char *kind,
    const char **errstr)
{
	if (json_guard_str(o, key, dst, len) == -1)
		return (nerr(errstr, kind, key, "of wrong type or too long"));
	return (0);
}

/* {"offer":{"sdp":"..."}} or {"answer":{"sdp":"..."}} */
static int
sdp_member(json_t *o, const char *key, struct kandy_notify *n,
    const char *kind, const char **errstr)
{
	json_t	*m, *s;

	if ((m = json_object_get(o, key)) == NULL)
		return (nerr(errstr, kind, key, "missing"));
	if (!json_is_object(m) || (s = json_object_get(m, "sdp")) == NULL ||
	    !json_is_string(s))
		return (nerr(errstr, kind, key, "has no sdp string"));
	if (json_string_length(s) == 0 || json_string_length(s) > SDP_MAXLEN)
		return (nerr(errstr, kind, key, "sdp empty or too large"));
	if ((n->sdp = strdup(json_string_value(s))) == NULL)
		return (nerr(errstr, kind, key, "out of memory"));
	n->sdplen = json_string_length(s);
	return (0);
}

/* One link entry: 0 names our session, 1 names something else, -1 bad. */
static int
link_entry(json_t *l, struct kandy_notify *n)
{
	char	 href[KANDY_URLLEN];

	if (!json_is_object(l) ||
	    json_guard_str(l, "href", href, sizeof(href)) != 1)
		return (-1);
	if (kandy_id_from_url(href, "/sessions/", n->session_id,
	    sizeof(n->session_id)) == 0)
		return (0);
	return (1);
}

/* link: [{"href": ".../sessions/<sid>", "rel": ...}, ...] or one object */
static int
session_link(json_t *o, struct kandy_notify *n, const char *kind,
    const char **errstr)
{
	json_t	*links, *l;
	size_t	 i;
	int	 rv = 1;

	if ((links = json_object_get(o, "link")) == NULL)
		return (nerr(errstr, kind, "link", "missing"));
	if (json_is_object(links))
		rv = link_entry(links, n);
	else if (json_is_array(links) && json_array_size(links) <= 8) {
		json_array_foreach(links, i, l)
			if ((rv = link_entry(l, n)) != 1)
				break;
	} else
		return (nerr(errstr, kind, "link", "not a short array"));
	if (rv == -1)
		return (nerr(errstr, kind, "link", "entry without href"));
	if (rv == 1)
		return (nerr(errstr, kind, "link", "names no session"));
	return (0);
}

void
kandy_notify_free(struct kandy_notify *n)
{
	free(n->sdp);
	n->sdp = NULL;
}

int
kandy_notify_parse(const char *buf, size_t len, struct kandy_notify *n,
    const char **errstr)
{
	json_t		*j, *o;
	const char	*key, *kind;
	char		 ev[64];
	size_t		 i;
	int64_t		 v;

	memset(n, 0, sizeof(*n));
	if ((j = json_guard_load(buf, len, KANDY_NOTIFYMAX, errstr)) == NULL)
		return (-1);
	if (json_object_size(j) != 1) {
		*errstr = "notification must have exactly one top-level key";
		goto fail;
	}
	key = json_object_iter_key(json_object_iter(j));
	o = json_object_iter_value(json_object_iter(j));
	for (i = 0; i < sizeof(ntypes) / sizeof(ntypes[0]); i++)
		if (strcmp(key, ntypes[i].key) == 0)
			break;
	if (i == sizeof(ntypes) / sizeof(ntypes[0])) {
		/* Kinds we did not subscribe to are ignored, not errors. */
		n->type = KN_UNKNOWN;
		json_decref(j);
		return (0);
	}
	n->type = ntypes[i].type;
	kind = ntypes[i].key;
	if (!json_is_object(o)) {
		nerr(errstr, kind, kind, "is not an object");
		goto fail;
	}

	switch (n->type) {
	case KN_CONNCHECK:
		if (json_guard_int(o, "interval", 86400, &v) == -1) {
			nerr(errstr, kind, "interval", "not a sane integer");
			goto fail;
		}
		n->interval = v;
		/* FALLTHROUGH */
	case KN_CONNACK:
		json_decref(j);
		return (0);
	default:
		break;
	}

	if (req_str(o, "id", n->id, sizeof(n->id), kind, errstr) == -1)
		goto fail;
	if (n->id[0] == '\0') {
		nerr(errstr, kind, "id", "empty");
		goto fail;
	}
	if (session_link(o, n, kind, errstr) == -1)
		goto fail;

	switch (n->type) {
	case KN_INVITATION:
		if (sdp_member(o, "offer", n, kind, errstr) == -1 ||
		    opt_str(o, "originatorName", n->originator_name,
		    sizeof(n->originator_name), kind, errstr) == -1 ||
		    req_str(o, "originatorAddress", n->originator_address,
		    sizeof(n->originator_address), kind, errstr) == -1 ||
		    opt_str(o, "tParticipantAddress", n->participant_address,
		    sizeof(n->participant_address), kind, errstr) == -1)
			goto fail;
		break;
	case KN_EVENT:
		if (req_str(o, "eventType", ev, sizeof(ev), kind,
		    errstr) == -1)
			goto fail;
		n->event = KE_OTHER;
		for (i = 0; i < sizeof(events) / sizeof(events[0]); i++)
			if (strcmp(ev, events[i].name) == 0)
				n->event = events[i].ev;
		if (opt_str(o, "reasonText", n->reason, sizeof(n->reason),
		    kind, errstr) == -1)
			goto fail;
		/* SIP-style cause (assumed name); out of range is ignored. */
		if (json_guard_int(o, "reasonCode", 699, &v) == 1 && v >= 100)
			n->reason_code = v;
		break;
	case KN_ACCEPTANCE:
	case KN_ANSWER:
		if (sdp_member(o, "answer", n, kind, errstr) == -1)
			goto fail;
		break;
	case KN_OFFER:
		if (sdp_member(o, "offer", n, kind, errstr) == -1)
			goto fail;
		break;
	default:
		/* Trickled candidates: we use full SDP, nothing to read. */
		break;
	}
	json_decref(j);
	return (0);
 fail:
	json_decref(j);
	kandy_notify_free(n);
	memset(n, 0, sizeof(*n));
	return (-1);
}

const char *
kandy_ntype_name(enum kandy_ntype t)
{
	size_t	 i;

	for (i = 0; i < sizeof(ntypes) / sizeof(ntypes[0]); i++)
		if (ntypes[i].type == t)
			return (ntypes[i].key);
	return ("unknown");
}

const char *
kandy_event_name(enum kandy_event e)
{
	size_t	 i;

	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		if (events[i].ev == e)
			return (events[i].name);
	return ("other");
}

/*
 * Recently seen notification ids.  Returns 1 if id was seen before,
 * otherwise remembers it (evicting the oldest) and returns 0.
 */
int
kandy_dedup_seen(struct kandy_dedup *d, const char *id)
{
	unsigned int	 i;

	for (i = 0; i < d->count; i++)
		if (strcmp(d->ids[i], id) == 0)
			return (1);
	strlcpy(d->ids[d->next], id, sizeof(d->ids[0]));
	d->next = (d->next + 1) % KANDY_DEDUPN;
	if (d->count < KANDY_DEDUPN)
		d->count++;
	return (0);
}
