/*
 * GLib adapter for a child's channels; the loop pointer is the
 * GMainContext that mediad (and libnice) run.
 */
#include <glib.h>
#include <glib-unix.h>

#include "child.h"
#include "log.h"

static gboolean
child_glib_cb(gint fd, GIOCondition cond, gpointer arg)
{
	struct child_chan	*ch = arg;
	int			 what = 0;

	if (cond & (G_IO_IN | G_IO_HUP | G_IO_ERR))
		what |= CHILD_IO_READ;
	if (cond & G_IO_OUT)
		what |= CHILD_IO_WRITE;
	child_chan_io(ch->ctx, ch, what);
	return (G_SOURCE_CONTINUE);
}

static void
child_glib_watch(struct child_ctx *ctx, struct child_chan *ch)
{
	GSource		*src;

	src = g_unix_fd_source_new(ch->conn.fd, G_IO_IN | G_IO_HUP | G_IO_ERR |
	    (ch->want_write ? G_IO_OUT : 0));
	g_source_set_callback(src, (GSourceFunc)(void (*)(void))child_glib_cb,
	    ch, NULL);
	g_source_attach(src, ctx->loop);
	ch->loop = src;
}

static void
child_glib_unwatch(struct child_ctx *ctx, struct child_chan *ch)
{
	g_source_destroy(ch->loop);
	g_source_unref(ch->loop);
	ch->loop = NULL;
}

static void
child_glib_update(struct child_ctx *ctx, struct child_chan *ch)
{
	child_glib_unwatch(ctx, ch);
	child_glib_watch(ctx, ch);
}

const struct child_loop_ops child_glib_ops = {
	child_glib_watch,
	child_glib_update,
	child_glib_unwatch
};
