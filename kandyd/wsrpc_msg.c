/*
 * Messages of the wsrpc dialect from Kandy (untrusted): responses to our
 * requests ({"type":"response","id","result"|"error"}) and call events
 * ({"type":"event","method","params"}).  Events become the same struct
 * kandy_notify the cpaas notifications do, the callId as session id, so
 * one call engine serves both dialects.
 */
#include <stdlib.h>
#include <string.h>

#include "kandyd.h"

static const struct {
	const char		*method;
	enum kandy_ntype	 type;
	enum kandy_event	 event;
	int			 sdp;		/* 1 required */
} wsrpc_events[] = {
	{ "call.incomingCall",	KN_INVITATION,	KE_OTHER,	1 },
	{ "call.ringing",	KN_EVENT,	KE_RINGING,	0 },
	{ "call.answered",	KN_ACCEPTANCE,	KE_OTHER,	1 },
	{ "call.offer",		KN_OFFER,	KE_OTHER,	1 },
	{ "call.answer",	KN_ANSWER,	KE_OTHER,	1 },
	{ "call.ended",		KN_EVENT,	KE_SESSION_ENDED, 0 },
};

static int
wsrpc_response(json_t *j, struct wsrpc_msg *w, const char **errstr)
{
	json_t	*res, *err;
	int64_t	 v;

	w->kind = WR_RESPONSE;
	if (json_guard_int(j, "id", INT32_MAX, &w->id) != 1) {
		*errstr = "response without a usable id";
		return (-1);
	}
	res = json_object_get(j, "result");
	err = json_object_get(j, "error");
	if (json_is_object(res)) {
		w->ok = 1;
		if (json_guard_str(res, "callId", w->callid,
		    sizeof(w->callid)) == -1 || (w->callid[0] != '\0' &&
		    !kandy_id_valid(w->callid))) {
			*errstr = "unusable callId in a response";
			return (-1);
		}
		return (0);
	}
	if (!json_is_object(err) ||
	    json_guard_int(err, "code", 999, &v) != 1 ||
	    json_guard_str(err, "message", w->message,
	    sizeof(w->message)) == -1) {
		*errstr = "response without result or usable error";
		return (-1);
	}
	w->code = (int)v;
	return (0);
}

static int
wsrpc_event(json_t *j, struct wsrpc_msg *w, const char **errstr)
{
	struct kandy_notify	*n = &w->n;
	json_t			*p, *sdp;
	char			 method[64], reason[32];
	size_t			 i, len;
	int64_t			 cause;

	w->kind = WR_EVENT;
	p = json_object_get(j, "params");
	if (json_guard_str(j, "method", method, sizeof(method)) != 1 ||
	    !json_is_object(p)) {
		*errstr = "event without method or params";
		return (-1);
	}
	for (i = 0; i < sizeof(wsrpc_events) / sizeof(wsrpc_events[0]); i++)
		if (strcmp(method, wsrpc_events[i].method) == 0)
			break;
	if (i == sizeof(wsrpc_events) / sizeof(wsrpc_events[0])) {
		w->kind = WR_IGNORE;	/* call.transfer and the like */
		return (0);
	}
	n->type = wsrpc_events[i].type;
	n->event = wsrpc_events[i].event;
	if (json_guard_str(p, "callId", n->session_id,
	    sizeof(n->session_id)) != 1 || !kandy_id_valid(n->session_id)) {
		*errstr = "event without a usable callId";
		return (-1);
	}
	if (json_guard_str(p, "from", n->originator_address,
	    sizeof(n->originator_address)) == -1 ||
	    json_guard_str(p, "fromName", n->originator_name,
	    sizeof(n->originator_name)) == -1 ||
	    json_guard_str(p, "to", n->participant_address,
	    sizeof(n->participant_address)) == -1 ||
	    json_guard_str(p, "reason", reason, sizeof(reason)) == -1 ||
	    json_guard_int(p, "cause", 699, &cause) == -1) {
		*errstr = "unusable event parameters";
		return (-1);
	}
	n->reason_code = (int)cause;
	if (strcmp(reason, "cancelled") == 0)
		n->event = KE_CANCELLED;
	if (n->type == KN_EVENT && n->event != KE_RINGING)
		strlcpy(n->reason, reason, sizeof(n->reason));
	sdp = json_object_get(p, "sdp");
	if (!wsrpc_events[i].sdp)
		return (0);
	if (!json_is_string(sdp) ||
	    (len = json_string_length(sdp)) == 0 || len > SDP_MAXLEN ||
	    strlen(json_string_value(sdp)) != len) {
		*errstr = "event without a usable sdp";
		return (-1);
	}
	if ((n->sdp = strdup(json_string_value(sdp))) == NULL) {
		*errstr = "out of memory";
		return (-1);
	}
	n->sdplen = len;
	return (0);
}

/*
 * One message from the wsrpc WebSocket.  0 and *w filled (an event's sdp
 * is ours to free with kandy_notify_free), or -1 with *errstr.
 */
int
wsrpc_parse(const char *buf, size_t len, struct wsrpc_msg *w,
    const char **errstr)
{
	json_t	*j;
	char	 type[16];
	int	 rv = -1;

	memset(w, 0, sizeof(*w));
	if ((j = json_guard_load(buf, len, KANDY_NOTIFYMAX, errstr)) == NULL)
		return (-1);
	if (!json_is_object(j) ||
	    json_guard_str(j, "type", type, sizeof(type)) != 1)
		*errstr = "not a wsrpc message";
	else if (strcmp(type, "response") == 0)
		rv = wsrpc_response(j, w, errstr);
	else if (strcmp(type, "event") == 0)
		rv = wsrpc_event(j, w, errstr);
	else {
		w->kind = WR_IGNORE;	/* requests from Kandy: none known */
		rv = 0;
	}
	json_decref(j);
	if (rv == -1)
		kandy_notify_free(&w->n);
	return (rv);
}
