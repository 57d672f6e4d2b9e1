/*
 * Call control in the wsrpc dialect: requests with ids over the one
 * WebSocket the account keeps open (call.make, answer, ringing, end),
 * their responses matched by id, and call events handed to the call
 * engine as notifications.  The call id is ours for outgoing calls
 * (kb-<16 hex>) and Kandy's for incoming ones; it serves as session id.
 * The dialect has no re-offer of ours and no call audit: Kandy ends the
 * calls of a WebSocket that closes.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "log.h"
#include "daemon.h"

struct dl_req {
	TAILQ_ENTRY(dl_req)	 entry;
	int64_t			 id;
	dl_done_cb		 cb;
	void			*arg;
	char			 callid[KANDY_IDLEN];
	lws_sorted_usec_list_t	 sul;		/* no response in time */
};

static TAILQ_HEAD(, dl_req)	 pending = TAILQ_HEAD_INITIALIZER(pending);
static int64_t			 next_id = 1;	/* 0 is the keepalive ping */

static void
req_free(struct dl_req *d)
{
	lws_sul_cancel(&d->sul);
	TAILQ_REMOVE(&pending, d, entry);
	free(d);
}

static void
req_timeout(lws_sorted_usec_list_t *sul)
{
	struct dl_req	*d = lws_container_of(sul, struct dl_req, sul);
	dl_done_cb	 cb = d->cb;
	void		*arg = d->arg;

	log_warnx("wsrpc: no response to request %lld",
	    (long long)d->id);
	acct_note_error("wsrpc request", 0, NULL);
	req_free(d);
	if (cb != NULL)
		cb(0, "", NULL, arg);
}

/*
 * Send {"type":"request","method","id","params"}; params is taken.  NULL
 * when the WebSocket is not up.
 */
static struct dl_req *
rpc_request(const char *method, const char *callid, json_t *params,
    dl_done_cb cb, void *arg)
{
	struct dl_req	*d;
	json_t		*j;
	char		*text;

	if (params == NULL || (d = calloc(1, sizeof(*d))) == NULL) {
		json_decref(params);
		return (NULL);
	}
	d->id = next_id++;
	if (next_id > INT32_MAX)
		next_id = 1;
	d->cb = cb;
	d->arg = arg;
	strlcpy(d->callid, callid, sizeof(d->callid));
	j = json_pack("{s:s,s:s,s:I,s:o}", "type", "request", "method",
	    method, "id", (json_int_t)d->id, "params", params);
	text = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (text == NULL || acct_ws_send(text) == -1) {
		free(text);
		free(d);
		return (NULL);
	}
	free(text);
	TAILQ_INSERT_TAIL(&pending, d, entry);
	lws_sul_schedule(acct_lws(), 0, &d->sul, req_timeout,
	    (lws_usec_t)KD_API_TIMEOUT_MS * LWS_US_PER_MS);
	log_debug("wsrpc: %s %s (request %lld)", method, callid,
	    (long long)d->id);
	return (d);
}

static struct dl_req *
wsrpc_make(const char *dest, const char *sdp, dl_done_cb cb, void *arg)
{
	unsigned char	 r[8];
	char		 callid[KANDY_IDLEN];

	arc4random_buf(r, sizeof(r));
	snprintf(callid, sizeof(callid), "kb-%02x%02x%02x%02x%02x%02x%02x%02x",
	    r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
	return (rpc_request("call.make", callid, json_pack("{s:s,s:s,s:s,s:s}",
	    "callId", callid, "destination", dest, "sdp", sdp, "mediaType",
	    "audio"), cb, arg));
}

static struct dl_req *
wsrpc_answer(const char *callid, const char *sdp, dl_done_cb cb, void *arg)
{
	return (rpc_request("call.answer", callid, json_pack("{s:s,s:s}",
	    "callId", callid, "sdp", sdp), cb, arg));
}

static void
wsrpc_ringing(const char *callid)
{
	rpc_request("call.ringing", callid, json_pack("{s:s}", "callId",
	    callid), NULL, NULL);
}

static void
wsrpc_end(const char *callid)
{
	rpc_request("call.end", callid, json_pack("{s:s}", "callId", callid),
	    NULL, NULL);
}

static void
wsrpc_cancel(struct dl_req *d)
{
	req_free(d);
}

const struct kd_dialect dialect_wsrpc = {
	.name = "wsrpc",
	.make = wsrpc_make,
	.answer = wsrpc_answer,
	.update = NULL,
	.audit = NULL,
	.ringing = wsrpc_ringing,
	.end = wsrpc_end,
	.cancel = wsrpc_cancel,
};

/* The keepalive: any message that comes back shows the socket alive. */
const char wsrpc_ping[] = "{\"type\":\"request\",\"method\":\"ping\",\"id\":0}";

static void
wsrpc_response(const struct wsrpc_msg *w)
{
	struct kandy_error	 ke;
	struct dl_req		*d;
	dl_done_cb		 cb;
	void			*arg;
	char			 callid[KANDY_IDLEN];

	TAILQ_FOREACH(d, &pending, entry)
		if (d->id == w->id)
			break;
	if (d == NULL) {
		if (w->id != 0)
			log_debug("wsrpc: response to %lld that no one waits "
			    "for", (long long)w->id);
		return;
	}
	cb = d->cb;
	arg = d->arg;
	strlcpy(callid, w->callid[0] != '\0' ? w->callid : d->callid,
	    sizeof(callid));
	req_free(d);
	if (w->ok) {
		if (cb != NULL)
			cb(200, callid, NULL, arg);
		return;
	}
	memset(&ke, 0, sizeof(ke));
	ke.kind = KERR_SERVICE;
	snprintf(ke.message_id, sizeof(ke.message_id), "wsrpc %d", w->code);
	strlcpy(ke.text, w->message, sizeof(ke.text));
	acct_note_error("wsrpc request", w->code, &ke);
	if (cb != NULL)
		cb(w->code >= 400 && w->code <= 599 ? w->code : 400, "", &ke,
		    arg);
}

/* A text message from the wsrpc WebSocket. */
void
wsrpc_message(const char *buf, size_t len)
{
	struct wsrpc_msg	 w;
	const char		*err = NULL;

	if (wsrpc_parse(buf, len, &w, &err) == -1) {
		log_warnx("wsrpc: dropped message: %s", err);
		acct_bad_message();
		return;
	}
	if (w.kind == WR_RESPONSE)
		wsrpc_response(&w);
	else if (w.kind == WR_EVENT)
		calls_notify(&w.n);
	kandy_notify_free(&w.n);
}

/* The WebSocket went: requests in flight get no answer. */
void
wsrpc_lost(void)
{
	struct dl_req	*d;
	dl_done_cb	 cb;
	void		*arg;

	while ((d = TAILQ_FIRST(&pending)) != NULL) {
		cb = d->cb;
		arg = d->arg;
		req_free(d);
		if (cb != NULL)
			cb(0, "", NULL, arg);
	}
}
