/*
 * Call records.  sipd knows when a call started and was answered and how
 * both sides ended it; mediad sends the media figures (MEDIA_STATS) when
 * it frees the call, before or after sipd ends it.  The record is logged
 * when both are in, or without media figures when mediad has not
 * answered within CALLREC_WAIT_MS.  Format: docs/mediad.md, bridged(8).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sofia-sip/su.h>
#include <sofia-sip/su_time.h>
#include <sofia-sip/su_wait.h>

#include "callrec.h"
#include "log.h"

#define CALLREC_WAIT_MS	3000

static TAILQ_HEAD(, callrec)	 waiting = TAILQ_HEAD_INITIALIZER(waiting);
static su_timer_t		*timer;

static uint64_t
now_ms(void)
{
	return (su_monotime(NULL) / 1000000);
}

/* Quotes stay out of quoted values: the line must parse. */
static void
copy_cause(char *dst, size_t len, const char *src)
{
	size_t	 i;

	strlcpy(dst, src, len);
	for (i = 0; dst[i] != '\0'; i++)
		if (dst[i] == '"' || (unsigned char)dst[i] < 0x20)
			dst[i] = '\'';
}

void
callrec_start(struct callrec *r, uint64_t id, const char *dir,
    const char *from, const char *to)
{
	r->id = id;
	strlcpy(r->dir, dir, sizeof(r->dir));
	copy_cause(r->from, sizeof(r->from), *from ? from : "-");
	copy_cause(r->to, sizeof(r->to), *to ? to : "-");
	r->start = time(NULL);
	r->start_ms = now_ms();
}

void
callrec_answered(struct callrec *r)
{
	if (r->answer_ms == 0)
		r->answer_ms = now_ms();
}

static void
callrec_log(struct callrec *r)
{
	char		 start[32], setup[24];
	struct tm	 tm;
	uint64_t	 dur = 0;

	gmtime_r(&r->start, &tm);
	strftime(start, sizeof(start), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (r->answer_ms != 0) {
		snprintf(setup, sizeof(setup), "%.3f",
		    (r->answer_ms - r->start_ms) / 1000.0);
		dur = r->end_ms - r->answer_ms;
	} else
		strlcpy(setup, "-", sizeof(setup));
	log_info("call record %016llx: dir=%s from=%s to=%s start=%s "
	    "setup_s=%s duration_s=%.3f sip=\"%s\" kandy=\"%s\" %s",
	    (unsigned long long)r->id, r->dir, r->from, r->to, start, setup,
	    dur / 1000.0, r->sip, r->kandy,
	    r->media[0] != '\0' ? r->media : "media=none");
}

static void
callrec_expire(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	struct callrec	*r;
	uint64_t	 now = now_ms();

	while ((r = TAILQ_FIRST(&waiting)) != NULL &&
	    now - r->end_ms >= CALLREC_WAIT_MS) {
		TAILQ_REMOVE(&waiting, r, entry);
		log_debug("call %016llx: no media figures from mediad",
		    (unsigned long long)r->id);
		callrec_log(r);
		free(r);
	}
	if (!TAILQ_EMPTY(&waiting))
		su_timer_set(timer, callrec_expire, NULL);
}

void
callrec_init(su_root_t *root)
{
	if ((timer = su_timer_create(su_root_task(root), CALLREC_WAIT_MS)) ==
	    NULL)
		fatalx("call records: no timer");
}

/*
 * MEDIA_STATS from mediad: r is the live call's record, or NULL when sipd
 * has ended the call already (then it may be waiting).
 */
void
callrec_media(struct callrec *r, uint64_t id, const char *media)
{
	if (r != NULL) {
		if (*media != '\0')
			strlcpy(r->media, media, sizeof(r->media));
		return;
	}
	TAILQ_FOREACH(r, &waiting, entry)
		if (r->id == id)
			break;
	if (r == NULL)
		return;
	TAILQ_REMOVE(&waiting, r, entry);
	strlcpy(r->media, media, sizeof(r->media));
	callrec_log(r);
	free(r);
}

/*
 * The call is over for sipd.  With media to come (wait), the record
 * waits for mediad's figures, unless they are in already.
 */
void
callrec_end(struct callrec *r, const char *sip, const char *kandy, int wait)
{
	struct callrec	*w;

	if (r->id == 0)
		return;		/* never started */
	copy_cause(r->sip, sizeof(r->sip), sip);
	copy_cause(r->kandy, sizeof(r->kandy), kandy);
	r->end_ms = now_ms();
	if (!wait || r->media[0] != '\0' || (w = malloc(sizeof(*w))) ==
	    NULL) {
		callrec_log(r);
		return;
	}
	*w = *r;
	if (TAILQ_EMPTY(&waiting))
		su_timer_set(timer, callrec_expire, NULL);
	TAILQ_INSERT_TAIL(&waiting, w, entry);
}
