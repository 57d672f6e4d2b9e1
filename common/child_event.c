/*
 * libevent adapter for a child's channels.
 */
#include <event.h>
#include <stdlib.h>

#include "child.h"
#include "log.h"

static void
child_event_cb(int fd, short events, void *arg)
{
	struct child_chan	*ch = arg;
	int			 what = 0;

	if (events & EV_READ)
		what |= CHILD_IO_READ;
	if (events & EV_WRITE)
		what |= CHILD_IO_WRITE;
	child_chan_io(ch->ctx, ch, what);
}

static void
child_event_arm(struct child_ctx *ctx, struct child_chan *ch)
{
	short	 events = EV_READ | EV_PERSIST;

	if (ch->want_write)
		events |= EV_WRITE;
	event_assign(ch->loop, ctx->loop, ch->conn.fd, events, child_event_cb,
	    ch);
	event_add(ch->loop, NULL);
}

static void
child_event_watch(struct child_ctx *ctx, struct child_chan *ch)
{
	if ((ch->loop = calloc(1, sizeof(struct event))) == NULL)
		fatal("calloc");
	child_event_arm(ctx, ch);
}

static void
child_event_update(struct child_ctx *ctx, struct child_chan *ch)
{
	event_del(ch->loop);
	child_event_arm(ctx, ch);
}

static void
child_event_unwatch(struct child_ctx *ctx, struct child_chan *ch)
{
	event_del(ch->loop);
	free(ch->loop);
	ch->loop = NULL;
}

const struct child_loop_ops child_event_ops = {
	child_event_watch,
	child_event_update,
	child_event_unwatch
};
