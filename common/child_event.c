/*
 * Wires a child's channels into libevent: the parent channel on
 * descriptor 3, peer channels as the parent hands them over.  Losing the
 * parent ends the child; losing a peer only closes that channel.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child_event.h"
#include "log.h"

static void
child_event_msg(struct ipc_ev *iev, struct ipc_msg *m, void *arg)
{
	struct child_event	*ce = arg;

	/* Replies queued here are flushed by the adapter afterwards. */
	if (iev->conn.peer == PROC_PARENT &&
	    child_parent_msg(&iev->conn, m, &ce->hooks))
		return;
	ce->dispatch(iev->conn.peer, m);
}

static void
child_event_closed(struct ipc_ev *iev, void *arg)
{
	enum kb_proc	 peer = iev->conn.peer;

	ipc_ev_clear(iev);
	if (peer == PROC_PARENT)
		fatalx("parent channel closed");
	log_debug("channel to %s closed", proc_name(peer));
}

static void
child_event_peer_fd(enum kb_proc peer, int fd, void *arg)
{
	struct child_event	*ce = arg;
	struct ipc_ev		*iev = &ce->chan[peer];

	if (iev->conn.fd != -1)
		ipc_ev_clear(iev);
	ipc_ev_init(iev, ce->base, fd, ce->self, peer, child_event_msg,
	    child_event_closed, ce);
}

static void
child_event_peer_gone(enum kb_proc peer, void *arg)
{
	struct child_event	*ce = arg;

	if (ce->chan[peer].conn.fd != -1)
		ipc_ev_clear(&ce->chan[peer]);
	log_debug("%s is restarting", proc_name(peer));
}

void
child_event_init(struct child_event *ce, struct event_base *base,
    enum kb_proc self, child_dispatch_fn dispatch)
{
	int	 i;

	memset(ce, 0, sizeof(*ce));
	ce->base = base;
	ce->self = self;
	ce->dispatch = dispatch;
	ce->hooks.peer_fd = child_event_peer_fd;
	ce->hooks.peer_gone = child_event_peer_gone;
	ce->hooks.arg = ce;
	for (i = 0; i < PROC_MAX; i++)
		ce->chan[i].conn.fd = -1;
	ipc_ev_init(&ce->chan[PROC_PARENT], base, PROC_PARENT_FD, self,
	    PROC_PARENT, child_event_msg, child_event_closed, ce);
}

/*
 * Sends to a peer or the parent; a channel that is down (its process is
 * restarting) drops the message and says so.
 */
int
child_event_send(struct child_event *ce, enum kb_proc to, uint16_t type,
    uint64_t call, int fd, ...)
{
	struct ipc_ev	*iev = &ce->chan[to];
	va_list		 ap;
	int		 rv;

	if (iev->conn.fd == -1) {
		log_debug("%s dropped: %s is not connected",
		    ipc_typename(type), proc_name(to));
		if (fd != -1)
			close(fd);
		return (-1);
	}
	va_start(ap, fd);
	rv = ipc_ev_vsend(iev, type, call, fd, ap);
	va_end(ap);
	return (rv);
}
