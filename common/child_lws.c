/*
 * libwebsockets adapter for a child's channels (kandyd).  Each channel's
 * descriptor is adopted as a raw file; lws polls a duplicate so that lws
 * closing its wsi never closes the channel under us.  The loop pointer is
 * the struct lws_vhost, and the vhost must list child_lws_protocol.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "child.h"
#include "log.h"

struct child_lws {
	struct lws	*wsi;
	int		 closing;	/* we asked lws to drop the wsi */
};

static int
child_lws_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct child_chan	*ch = lws_get_opaque_user_data(wsi);
	struct child_lws	*l;

	if (ch == NULL)
		return (0);
	l = ch->loop;
	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		child_chan_io(ch->ctx, ch, CHILD_IO_READ);
		break;
	case LWS_CALLBACK_RAW_WRITEABLE_FILE:
		child_chan_io(ch->ctx, ch, CHILD_IO_WRITE);
		/* lws reports once per request: a partial flush asks again. */
		if (ch->want_write && (l = ch->loop) != NULL && l->wsi != NULL)
			lws_callback_on_writable(l->wsi);
		break;
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		if (l != NULL && l->wsi == wsi) {
			l->wsi = NULL;
			if (!l->closing)
				child_chan_io(ch->ctx, ch, CHILD_IO_READ);
		}
		break;
	default:
		break;
	}
	return (0);
}

const struct lws_protocols child_lws_protocol = {
	"kb-ipc", child_lws_cb, 0, 0, 0, NULL, 0
};

static void
child_lws_watch(struct child_ctx *ctx, struct child_chan *ch)
{
	lws_adopt_desc_t	 ad;
	struct child_lws	*l;
	int			 fd;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		fatal("calloc");
	if ((fd = dup(ch->conn.fd)) == -1)
		fatal("dup");
	memset(&ad, 0, sizeof(ad));
	ad.vh = ctx->loop;
	ad.type = LWS_ADOPT_RAW_FILE_DESC;
	ad.fd.filefd = fd;
	ad.vh_prot_name = child_lws_protocol.name;
	ad.opaque = ch;
	ch->loop = l;
	if ((l->wsi = lws_adopt_descriptor_vhost_via_info(&ad)) == NULL)
		fatalx("lws cannot adopt the %s channel",
		    proc_name(ch->conn.peer));
	if (ch->want_write)
		lws_callback_on_writable(l->wsi);
}

static void
child_lws_update(struct child_ctx *ctx, struct child_chan *ch)
{
	struct child_lws	*l = ch->loop;

	/* lws reports writability once per request. */
	if (ch->want_write && l->wsi != NULL)
		lws_callback_on_writable(l->wsi);
}

static void
child_lws_unwatch(struct child_ctx *ctx, struct child_chan *ch)
{
	struct child_lws	*l = ch->loop;

	if (l->wsi != NULL) {
		l->closing = 1;
		lws_set_opaque_user_data(l->wsi, NULL);
		lws_set_timeout(l->wsi, PENDING_TIMEOUT_CLOSE_SEND,
		    LWS_TO_KILL_ASYNC);
	}
	free(l);
	ch->loop = NULL;
}

const struct child_loop_ops child_lws_ops = {
	child_lws_watch,
	child_lws_update,
	child_lws_unwatch
};
