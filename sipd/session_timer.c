/*
 * Session timers (RFC 4028) for one dialog: what the PBX's INVITE,
 * re-INVITE or UPDATE asks for, what our responses and requests say, and
 * when the session is refreshed or ends.  call.c sends and answers; this
 * file only decides.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "engine.h"

#define MAXU(a, b)	((a) > (b) ? (a) : (b))
#define MINU(a, b)	((a) < (b) ? (a) : (b))

int
session_request(const struct sipd_config *conf, const sip_t *sip,
    struct session_timer *st, unsigned int *min_se)
{
	const sip_session_expires_t	*se = sip->sip_session_expires;
	unsigned int			 floor = conf->min_se;
	const char			*r;

	memset(st, 0, sizeof(*st));
	st->peer_supports = sip_has_feature(sip->sip_supported, "timer");
	if (conf->session_expires == 0)
		return (0);
	if (sip->sip_min_se != NULL && sip->sip_min_se->min_delta > floor)
		floor = sip->sip_min_se->min_delta;
	if (se != NULL) {
		if (se->x_delta < conf->min_se) {
			*min_se = conf->min_se;
			return (422);
		}
		/* Shorter than asked is allowed, not below their Min-SE. */
		st->interval = se->x_delta > conf->session_expires ?
		    MAXU(conf->session_expires, floor) : se->x_delta;
		r = se->x_refresher;
		if (r != NULL && strcasecmp(r, "uas") == 0)
			st->we_refresh = 1;
		else if (r != NULL && strcasecmp(r, "uac") == 0)
			st->we_refresh = 0;
		else
			st->we_refresh = !st->peer_supports;
	} else if (st->peer_supports) {
		/* It can do timers but did not ask: it refreshes. */
		st->interval = MAXU(conf->session_expires, floor);
		st->we_refresh = 0;
	}
	return (0);
}

void
session_answer_header(const struct session_timer *st, char *buf, size_t len)
{
	/* The PBX is the UAC of the request we answer. */
	snprintf(buf, len, "%u;refresher=%s", st->interval,
	    st->we_refresh ? "uas" : "uac");
}

void
session_response(const sip_t *sip, struct session_timer *st)
{
	const sip_session_expires_t	*se = sip->sip_session_expires;
	const char			*r;

	/* We are the UAC of the request this answers. */
	if (se == NULL || se->x_delta == 0) {
		st->interval = 0;
		return;
	}
	st->interval = se->x_delta;
	r = se->x_refresher;
	st->we_refresh = r == NULL || strcasecmp(r, "uas") != 0;
	st->peer_supports = 1;
}

void
session_arm(struct session_timer *st, time_t now)
{
	st->refresh_at = 0;
	st->expires_at = 0;
	if (st->interval == 0)
		return;
	if (st->we_refresh) {
		st->refresh_at = now + MAXU(st->interval / 2, 1);
		st->expires_at = now + st->interval;
	} else
		/* RFC 4028 section 10: end before the peer's last moment. */
		st->expires_at = now + st->interval -
		    MINU(32, st->interval / 3);
}
