/*
 * GLib main contexts on a libevent loop (gloop.h).  For each context we
 * run GLib's own iteration step by step: prepare and query give the
 * descriptors and the timeout it waits for, libevent watches them, and
 * when one is ready (or the timeout passes) check and dispatch run that
 * context alone.  The epoll set holds every context's descriptors, so the
 * cost of a wake-up does not grow with the number of calls.
 *
 * Whoever changes a context from outside its own dispatch (adds a source
 * or a timer) calls gloop_refresh(), because GLib only tells a context's
 * owner of new sources through the poll it is not running.
 *
 * A leg may take a descriptor for itself (gloop_watcher, fdwatch.h): its
 * packets then go from epoll to the leg with no GLib step between, and
 * GLib's sources on it (libnice's) run only when the leg passes it on.
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <glib.h>

#include "fdwatch.h"
#include "gloop.h"
#include "log.h"

#define GLOOP_NFDS_MIN		8
#define GLOOP_DRAIN_US		(10 * G_USEC_PER_SEC)
#define GLOOP_AGAIN		3	/* extra runs of a still-ready context */

struct gloop_watch {
	struct event	*ev;
	struct gloop	*g;
	int		 i;		/* index in g->fds */
};

struct gloop_take {
	TAILQ_ENTRY(gloop_take)	 entry;
	struct gloop		*g;
	int			 fd;
	struct event		*ev;
	void			(*cb)(int, void *);
	void			*arg;
};

struct gloop {
	GMainContext		*ctx;
	TAILQ_HEAD(, gloop_take) takes;
	struct event		*timer;
	GPollFD			*fds;	/* what the last query asked for */
	struct gloop_watch	*watch;	/* the same index: its event */
	int			 nfds;
	GPollFD			*next;	/* the next query, to compare */
	int			 cap;
	gint			 prio;
	int			 wake_fd;	/* GLib's own wake-up, -1: none */
	int			 released;
	gint64			 released_us;
	int			 depth;		/* inside gloop_run() */
	int			 dead;		/* free when depth is 0 */
};

static struct event_base	*gloop_base;
static GHashTable		*gloop_by_ctx;
static unsigned int		 gloop_n;

static int	gloop_prepare(struct gloop *);

void
gloop_init(struct event_base *base)
{
	gloop_base = base;
	gloop_by_ctx = g_hash_table_new(g_direct_hash, g_direct_equal);
}

unsigned int
gloop_count(void)
{
	return (gloop_n);
}

GMainContext *
gloop_context(const struct gloop *g)
{
	return (g->ctx);
}

static void
gloop_unwatch(struct gloop *g)
{
	int	 i;

	for (i = 0; i < g->nfds; i++)
		if (g->watch[i].ev != NULL) {
			event_free(g->watch[i].ev);
			g->watch[i].ev = NULL;
		}
}

static void
gloop_free(struct gloop *g)
{
	struct gloop_take	*t;

	while ((t = TAILQ_FIRST(&g->takes)) != NULL) {
		TAILQ_REMOVE(&g->takes, t, entry);
		event_free(t->ev);
		free(t);
	}
	g_hash_table_remove(gloop_by_ctx, g->ctx);
	gloop_unwatch(g);
	event_free(g->timer);
	g_main_context_release(g->ctx);
	g_main_context_unref(g->ctx);
	free(g->fds);
	free(g->next);
	free(g->watch);
	free(g);
	gloop_n--;
}

/*
 * One of the context's descriptors is ready, or its timeout passed.  A
 * source still ready after the dispatch (libnice's timers often are: one
 * runs, the next is due) runs here again, a few times at most, rather
 * than after a trip through epoll.
 */
static void
gloop_run(struct gloop *g, int i, short what)
{
	int	 again;

	if (i >= 0 && i < g->nfds) {
		if (what & EV_READ)
			g->fds[i].revents |= g->fds[i].events &
			    (G_IO_IN | G_IO_PRI);
		if (what & EV_WRITE)
			g->fds[i].revents |= g->fds[i].events & G_IO_OUT;
	}
	g->depth++;
	for (again = 0; ; again++) {
		if (g_main_context_check(g->ctx, g->prio, g->fds, g->nfds))
			g_main_context_dispatch(g->ctx);
		for (i = 0; i < g->nfds; i++)
			g->fds[i].revents = 0;
		if (!gloop_prepare(g) || again == GLOOP_AGAIN)
			break;
	}
	g->depth--;
	if (g->dead && g->depth == 0)
		gloop_free(g);
}

static void
gloop_fd_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gloop_watch	*w = arg;

	gloop_run(w->g, w->i, what);
}

static void
gloop_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	gloop_run(arg, -1, 0);
}

static int
gloop_grow(struct gloop *g, int want)
{
	GPollFD			*fds, *next;
	struct gloop_watch	*watch;
	int			 cap = g->cap;

	/* The events point at their watch, which may move: made again. */
	gloop_unwatch(g);
	g->nfds = 0;
	while (cap < want)
		cap *= 2;
	fds = reallocarray(g->fds, cap, sizeof(*fds));
	if (fds != NULL)
		g->fds = fds;
	next = reallocarray(g->next, cap, sizeof(*next));
	if (next != NULL)
		g->next = next;
	watch = reallocarray(g->watch, cap, sizeof(*watch));
	if (watch != NULL)
		g->watch = watch;
	if (fds == NULL || next == NULL || watch == NULL)
		return (-1);
	g->cap = cap;
	return (0);
}

static int
gloop_taken(struct gloop *g, int fd)
{
	struct gloop_take	*t;

	TAILQ_FOREACH(t, &g->takes, entry)
		if (t->fd == fd)
			return (1);
	return (0);
}

/* Watch what the last query asked for, if it differs from what we do. */
static void
gloop_watch(struct gloop *g, int n)
{
	struct gloop_watch	*w;
	short			 ev;
	int			 i;

	if (n == g->nfds) {
		for (i = 0; i < n; i++)
			if (g->next[i].fd != g->fds[i].fd ||
			    g->next[i].events != g->fds[i].events)
				break;
		if (i == n)
			return;
	}
	gloop_unwatch(g);
	memcpy(g->fds, g->next, n * sizeof(*g->fds));
	g->nfds = n;
	for (i = 0; i < n; i++) {
		w = &g->watch[i];
		w->g = g;
		w->i = i;
		w->ev = NULL;
		g->fds[i].revents = 0;
		ev = EV_PERSIST;
		if (g->fds[i].events & (G_IO_IN | G_IO_PRI))
			ev |= EV_READ;
		if (g->fds[i].events & G_IO_OUT)
			ev |= EV_WRITE;
		if (!(ev & (EV_READ | EV_WRITE)))
			continue;	/* errors come as readiness to read */
		/*
		 * GLib writes to its wake-up descriptor whenever a source's
		 * descriptors are blocked or unblocked around a dispatch:
		 * twice a packet.  Only another thread would need the
		 * wake-up, and a call's context has none, so it is not
		 * watched (gloop_refresh() stands in for it).
		 */
		if (g->fds[i].fd == g->wake_fd || gloop_taken(g, g->fds[i].fd))
			continue;
		if ((w->ev = event_new(gloop_base, g->fds[i].fd, ev,
		    gloop_fd_cb, w)) == NULL || event_add(w->ev, NULL) == -1)
			fatalx("gloop: cannot watch descriptor %d",
			    g->fds[i].fd);
	}
}

/*
 * Ask the context what it waits for next; watch that.  Returns whether a
 * source is ready now.
 */
static int
gloop_prepare(struct gloop *g)
{
	struct timeval	 tv;
	gint64		 left;
	gint		 timeout;
	int		 n, ready, empty;

	ready = g_main_context_prepare(g->ctx, &g->prio);
	while ((n = g_main_context_query(g->ctx, g->prio, &timeout, g->next,
	    g->cap)) > g->cap)
		if (gloop_grow(g, n) == -1)
			fatalx("gloop: out of memory");
	gloop_watch(g, n);
	if (ready)
		timeout = 0;
	if (g->released) {
		/* Only GLib's own wake-up left, and no timeout: it is done. */
		empty = n == 0 || (n == 1 && g->fds[0].fd == g->wake_fd);
		left = GLOOP_DRAIN_US - (g_get_monotonic_time() -
		    g->released_us);
		if ((empty && timeout < 0) || left <= 0) {
			if (!empty || timeout >= 0)
				log_debug("gloop: context %p given up with "
				    "sources left", (void *)g->ctx);
			g->dead = 1;
			return (0);
		}
		if (timeout < 0 || timeout > left / 1000)
			timeout = left / 1000 + 1;
	}
	if (timeout < 0) {
		event_del(g->timer);
		return (0);
	}
	tv.tv_sec = timeout / 1000;
	tv.tv_usec = (timeout % 1000) * 1000;
	event_add(g->timer, &tv);
	return (ready);
}

static struct gloop *
gloop_make(GMainContext *ctx, int own)
{
	struct gloop	*g;
	gint		 timeout;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return (NULL);
	g->ctx = ctx;
	TAILQ_INIT(&g->takes);
	g->wake_fd = -1;
	g->cap = GLOOP_NFDS_MIN;
	g->fds = calloc(g->cap, sizeof(*g->fds));
	g->next = calloc(g->cap, sizeof(*g->next));
	g->watch = calloc(g->cap, sizeof(*g->watch));
	g->timer = evtimer_new(gloop_base, gloop_timer_cb, g);
	if (g->fds == NULL || g->next == NULL || g->watch == NULL ||
	    g->timer == NULL || !g_main_context_acquire(ctx)) {
		if (g->timer != NULL)
			event_free(g->timer);
		free(g->fds);
		free(g->next);
		free(g->watch);
		free(g);
		return (NULL);
	}
	gloop_n++;
	g_hash_table_insert(gloop_by_ctx, ctx, g);
	if (own) {
		/* A context without sources polls its wake-up alone. */
		g_main_context_prepare(ctx, &g->prio);
		if (g_main_context_query(ctx, g->prio, &timeout, g->next,
		    g->cap) == 1)
			g->wake_fd = g->next[0].fd;
	}
	gloop_prepare(g);
	return (g);
}

/* A new context of our own; NULL if out of memory. */
struct gloop *
gloop_new(void)
{
	struct gloop	*g;
	GMainContext	*ctx;

	ctx = g_main_context_new();
	if ((g = gloop_make(ctx, 1)) == NULL) {
		g_main_context_unref(ctx);
		return (NULL);
	}
	return (g);
}

/* An existing context (GLib's default one), driven for good. */
struct gloop *
gloop_adopt(GMainContext *ctx)
{
	return (gloop_make(g_main_context_ref(ctx), 0));
}

/* Something outside the context's dispatch changed it: look again. */
void
gloop_refresh(struct gloop *g)
{
	if (g == NULL || g->dead)
		return;
	g->depth++;
	gloop_prepare(g);
	g->depth--;
	if (g->dead && g->depth == 0)
		gloop_free(g);
}

/*
 * The owner is done with the context.  What is still on it (libnice
 * releasing TURN allocations after nice_agent_close_async(), say) runs to
 * its end, for GLOOP_DRAIN_US at most; then the context goes.
 */
void
gloop_release(struct gloop *g)
{
	if (g == NULL)
		return;
	g->released = 1;
	g->released_us = g_get_monotonic_time();
	gloop_refresh(g);
}

/* The set of watched descriptors changed: made again at the next look. */
static void
gloop_rewatch(struct gloop *g)
{
	gloop_unwatch(g);
	g->nfds = 0;
	if (g->depth == 0)
		gloop_refresh(g);
}

static void
gloop_take_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gloop_take	*t = arg;

	t->cb(fd, t->arg);
}

static void *
gloop_take(GMainContext *ctx, int fd, void (*cb)(int, void *), void *arg)
{
	struct gloop		*g;
	struct gloop_take	*t;

	if ((g = g_hash_table_lookup(gloop_by_ctx, ctx)) == NULL ||
	    (t = calloc(1, sizeof(*t))) == NULL)
		return (NULL);
	t->g = g;
	t->fd = fd;
	t->cb = cb;
	t->arg = arg;
	if ((t->ev = event_new(gloop_base, fd, EV_READ | EV_PERSIST,
	    gloop_take_cb, t)) == NULL) {
		free(t);
		return (NULL);
	}
	/* From now on GLib's sources on fd are not watched. */
	TAILQ_INSERT_TAIL(&g->takes, t, entry);
	gloop_rewatch(g);
	if (event_add(t->ev, NULL) == -1)
		fatalx("gloop: cannot watch descriptor %d", fd);
	return (t);
}

/* GLib's sources on a taken descriptor see it readable and run. */
static void
gloop_pass(void *arg)
{
	struct gloop_take	*t = arg;
	struct gloop		*g = t->g;
	int			 i;

	if (g->depth > 0) {
		/* Inside the context's dispatch: at the next turn. */
		event_active(t->ev, EV_READ, 1);
		return;
	}
	for (i = 0; i < g->nfds; i++)
		if (g->fds[i].fd == t->fd)
			g->fds[i].revents |= g->fds[i].events &
			    (G_IO_IN | G_IO_PRI);
	gloop_run(g, -1, 0);
}

static void
gloop_give(void *arg)
{
	struct gloop_take	*t = arg;
	struct gloop		*g = t->g;

	TAILQ_REMOVE(&g->takes, t, entry);
	event_free(t->ev);
	free(t);
	gloop_rewatch(g);
}

const struct fd_watcher gloop_watcher = {
	gloop_take,
	gloop_pass,
	gloop_give
};
