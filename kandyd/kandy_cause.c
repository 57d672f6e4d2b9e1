/*
 * What a Kandy failure means to the PBX: the SIP final response sipd
 * sends for a call Kandy could not place or ended before the answer.
 * 3CX fails over to its next route on 503, 480 and 404, and gives up on
 * 486 and 6xx, so the mapping decides whether a call is retried
 * elsewhere.  docs/kandy.md has the table.
 */
#include <string.h>

#include "kandyd.h"

#define RETRY_AFTER	30	/* s, on 503 caused by Kandy trouble */

static void
outcome(struct sip_outcome *o, int code, int retry, const char *reason)
{
	o->code = code;
	o->retry_after = retry;
	o->reason = reason;
}

/*
 * A failed request toward Kandy (session create, answer): status is the
 * HTTP status, 0 when no response came (connection, TLS, timeout); e is
 * the parsed error body or NULL.  A 401 reaches here only after the
 * token was renewed and the request failed again.
 */
void
kandy_http_to_sip(int status, const struct kandy_error *e,
    struct sip_outcome *o)
{
	if (status == 0)
		outcome(o, 503, RETRY_AFTER, "Kandy unreachable");
	else if (status == 401)
		outcome(o, 503, RETRY_AFTER, "Kandy authentication failed");
	else if (status == 403)
		outcome(o, 403, 0, e != NULL && e->kind == KERR_POLICY ?
		    "Kandy policy refused the call" : "Kandy refused the call");
	else if (status == 400 || status == 404)
		outcome(o, 404, 0, "Kandy rejected the destination");
	else if (status == 408 || status == 429 || status >= 500)
		outcome(o, 503, RETRY_AFTER, "Kandy unavailable");
	else
		outcome(o, 503, 0, "Kandy request failed");
}

/* A session that ended before the answer, by the cause Kandy gave. */
void
kandy_end_to_sip(enum kandy_event ev, int reason_code, struct sip_outcome *o)
{
	if (ev == KE_CANCELLED) {
		outcome(o, 487, 0, "Request Terminated");
		return;
	}
	switch (reason_code) {
	case 403:
		outcome(o, 403, 0, "Forbidden");
		break;
	case 404:
	case 484:
		outcome(o, 404, 0, "Not Found");
		break;
	case 486:
	case 600:
		outcome(o, 486, 0, "Busy Here");
		break;
	case 487:
		outcome(o, 487, 0, "Request Terminated");
		break;
	case 488:
		outcome(o, 488, 0, "Not Acceptable Here");
		break;
	case 603:
		outcome(o, 603, 0, "Decline");
		break;
	default:
		if (reason_code >= 500 && reason_code < 600)
			outcome(o, 503, RETRY_AFTER, "Kandy unavailable");
		else
			/* 0 (no cause), 408, 480 and the rest: no answer. */
			outcome(o, 480, 0, "Temporarily Unavailable");
		break;
	}
}
