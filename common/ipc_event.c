/*
 * libevent adapter: one event per connection, write interest only while
 * frames are queued.  A peer that breaks framing is logged and closed.
 */
#include <errno.h>
#include <event.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "ipc_event.h"
#include "log.h"

static void	ipc_ev_handler(int, short, void *);

static void
ipc_ev_update(struct ipc_ev *iev)
{
	short	 events = EV_READ;

	if (ipc_pending(&iev->conn))
		events |= EV_WRITE;
	if (iev->active && events == iev->events)
		return;
	if (iev->active)
		event_del(&iev->ev);
	event_assign(&iev->ev, iev->base, iev->conn.fd, events | EV_PERSIST,
	    ipc_ev_handler, iev);
	event_add(&iev->ev, NULL);
	iev->events = events;
	iev->active = 1;
}

void
ipc_ev_init(struct ipc_ev *iev, struct event_base *base, int fd,
    enum kb_proc self, enum kb_proc peer, ipc_ev_dispatch dispatch,
    ipc_ev_closed closed, void *arg)
{
	memset(iev, 0, sizeof(*iev));
	ipc_init(&iev->conn, fd, self, peer);
	iev->base = base;
	iev->dispatch = dispatch;
	iev->closed = closed;
	iev->arg = arg;
	ipc_ev_update(iev);
}

void
ipc_ev_clear(struct ipc_ev *iev)
{
	if (iev->active)
		event_del(&iev->ev);
	iev->active = 0;
	ipc_clear(&iev->conn);
}

static void
ipc_ev_lost(struct ipc_ev *iev)
{
	if (iev->active)
		event_del(&iev->ev);
	iev->active = 0;
	iev->closed(iev, iev->arg);
}

int
ipc_ev_vsend(struct ipc_ev *iev, uint16_t type, uint64_t call, int fd,
    va_list ap)
{
	int	 rv;

	if (iev->conn.fd == -1) {
		if (fd != -1)
			close(fd);
		return (-1);
	}
	if ((rv = ipc_vsend(&iev->conn, type, call, fd, ap)) == -1)
		log_warnx("ipc to %s: %s", proc_name(iev->conn.peer),
		    ipc_strerror(&iev->conn));
	ipc_ev_update(iev);
	return (rv);
}

int
ipc_ev_send(struct ipc_ev *iev, uint16_t type, uint64_t call, int fd, ...)
{
	va_list	 ap;
	int	 rv;

	va_start(ap, fd);
	rv = ipc_ev_vsend(iev, type, call, fd, ap);
	va_end(ap);
	return (rv);
}

/* Queues a frame whose payload is already packed (a relayed frame). */
int
ipc_ev_compose(struct ipc_ev *iev, uint16_t type, uint64_t call,
    const void *data, size_t len)
{
	int	 rv;

	if (iev->conn.fd == -1)
		return (-1);
	if ((rv = ipc_compose(&iev->conn, type, call, -1, data, len)) == -1)
		log_warnx("ipc to %s: %s", proc_name(iev->conn.peer),
		    ipc_strerror(&iev->conn));
	ipc_ev_update(iev);
	return (rv);
}

void
ipc_ev_close_when_flushed(struct ipc_ev *iev)
{
	iev->closing = 1;
	if (!ipc_pending(&iev->conn))
		ipc_ev_lost(iev);
}

static void
ipc_ev_handler(int fd, short events, void *arg)
{
	struct ipc_ev	*iev = arg;
	struct ipc_msg	 m;
	ssize_t		 n;
	int		 rv;

	if (events & EV_WRITE) {
		if (ipc_flush(&iev->conn) == -1) {
			log_warnx("ipc to %s: %s", proc_name(iev->conn.peer),
			    ipc_strerror(&iev->conn));
			ipc_ev_lost(iev);
			return;
		}
		if (iev->closing && !ipc_pending(&iev->conn)) {
			ipc_ev_lost(iev);
			return;
		}
	}
	if (events & EV_READ) {
		n = ipc_fill(&iev->conn);
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
			if (n == -1)
				log_warnx("ipc from %s: %s",
				    proc_name(iev->conn.peer),
				    ipc_strerror(&iev->conn));
			ipc_ev_lost(iev);
			return;
		}
		while ((rv = ipc_next(&iev->conn, &m)) == 1) {
			iev->dispatch(iev, &m, iev->arg);
			if (iev->conn.fd == -1 || !iev->active)
				return;
		}
		if (rv == -1) {
			log_warnx("ipc from %s: bad frame: %s",
			    proc_name(iev->conn.peer),
			    ipc_strerror(&iev->conn));
			ipc_ev_lost(iev);
			return;
		}
	}
	ipc_ev_update(iev);
}
