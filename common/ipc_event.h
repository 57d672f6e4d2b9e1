/*
 * libevent adapter for the IPC core.
 */
#ifndef KB_IPC_EVENT_H
#define KB_IPC_EVENT_H

#include <event.h>

#include "ipc.h"

struct ipc_ev;
typedef void	(*ipc_ev_dispatch)(struct ipc_ev *, struct ipc_msg *, void *);
typedef void	(*ipc_ev_closed)(struct ipc_ev *, void *);

struct ipc_ev {
	struct ipc_conn		 conn;
	struct event		 ev;
	struct event_base	*base;
	short			 events;
	int			 closing;	/* close once flushed */
	int			 active;
	ipc_ev_dispatch		 dispatch;
	ipc_ev_closed		 closed;
	void			*arg;
};

void	ipc_ev_init(struct ipc_ev *, struct event_base *, int, enum kb_proc,
	    enum kb_proc, ipc_ev_dispatch, ipc_ev_closed, void *);
int	ipc_ev_send(struct ipc_ev *, uint16_t, uint64_t, int, ...);
int	ipc_ev_vsend(struct ipc_ev *, uint16_t, uint64_t, int, va_list);
int	ipc_ev_compose(struct ipc_ev *, uint16_t, uint64_t, const void *,
	    size_t);
void	ipc_ev_close_when_flushed(struct ipc_ev *);
void	ipc_ev_clear(struct ipc_ev *);

#endif /* KB_IPC_EVENT_H */
