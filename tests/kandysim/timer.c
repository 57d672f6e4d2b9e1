/*
 * One-shot timers on the libwebsockets scheduler.  Without a context (the
 * fuzzer and the corpus runner) timers never fire.
 */
#include <stdlib.h>
#include <time.h>

#include <libwebsockets.h>

#include "kandysim.h"

struct simtimer {
	lws_sorted_usec_list_t	 sul;	/* first: the callback gets &sul */
	void			(*cb)(void *);
	void			*arg;
};

static struct lws_context	*timer_ctx;

void
timer_setcontext(void *ctx)
{
	timer_ctx = ctx;
}

int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void
timer_fire(lws_sorted_usec_list_t *sul)
{
	struct simtimer	*t = (struct simtimer *)sul;

	t->cb(t->arg);
}

struct simtimer *
timer_new(void (*cb)(void *), void *arg)
{
	struct simtimer	*t;

	t = xcalloc(1, sizeof(*t));
	t->cb = cb;
	t->arg = arg;
	return (t);
}

void
timer_add(struct simtimer *t, int ms)
{
	if (timer_ctx == NULL || t == NULL)
		return;
	lws_sul_schedule(timer_ctx, 0, &t->sul, timer_fire,
	    (lws_usec_t)ms * LWS_US_PER_MS);
}

void
timer_del(struct simtimer *t)
{
	if (timer_ctx == NULL || t == NULL)
		return;
	lws_sul_cancel(&t->sul);
}

void
timer_free(struct simtimer *t)
{
	if (t == NULL)
		return;
	timer_del(t);
	free(t);
}
