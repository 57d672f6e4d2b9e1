/*
 * sofia-sip su_root adapter for a child's channels; the loop pointer is
 * sipd's su_root_t.
 */
#include <stdlib.h>

#include "child.h"
#include "log.h"

#define SU_WAKEUP_ARG_T	struct child_chan
#include <sofia-sip/su_wait.h>

struct child_su {
	su_wait_t	 wait;
	int		 index;
};

static int
child_su_cb(su_root_magic_t *magic, su_wait_t *w, struct child_chan *ch)
{
	int	 ev, what = 0;

	ev = su_wait_events(w, ch->conn.fd);
	if (ev & (SU_WAIT_IN | SU_WAIT_HUP | SU_WAIT_ERR))
		what |= CHILD_IO_READ;
	if (ev & SU_WAIT_OUT)
		what |= CHILD_IO_WRITE;
	child_chan_io(ch->ctx, ch, what);
	return (0);
}

static int
child_su_events(const struct child_chan *ch)
{
	return (SU_WAIT_IN | (ch->want_write ? SU_WAIT_OUT : 0));
}

static void
child_su_watch(struct child_ctx *ctx, struct child_chan *ch)
{
	struct child_su	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("calloc");
	if (su_wait_create(&s->wait, ch->conn.fd, child_su_events(ch)) == -1)
		fatalx("su_wait_create");
	if ((s->index = su_root_register(ctx->loop, &s->wait, child_su_cb, ch,
	    0)) == -1)
		fatalx("su_root_register");
	ch->loop = s;
}

static void
child_su_update(struct child_ctx *ctx, struct child_chan *ch)
{
	struct child_su	*s = ch->loop;

	su_root_eventmask(ctx->loop, s->index, ch->conn.fd,
	    child_su_events(ch));
}

static void
child_su_unwatch(struct child_ctx *ctx, struct child_chan *ch)
{
	struct child_su	*s = ch->loop;

	su_root_deregister(ctx->loop, s->index);
	free(s);
	ch->loop = NULL;
}

const struct child_loop_ops child_su_ops = {
	child_su_watch,
	child_su_update,
	child_su_unwatch
};
