/*
 * A child's IPC on libevent: the parent channel and one channel per peer.
 */
#ifndef KB_CHILD_EVENT_H
#define KB_CHILD_EVENT_H

#include "child.h"
#include "ipc_event.h"

typedef void	(*child_dispatch_fn)(enum kb_proc, struct ipc_msg *);

struct child_event {
	struct event_base	*base;
	enum kb_proc		 self;
	struct ipc_ev		 chan[PROC_MAX];	/* by peer; parent included */
	child_dispatch_fn	 dispatch;		/* everything not plumbing */
	struct child_hooks	 hooks;
};

void	child_event_init(struct child_event *, struct event_base *,
	    enum kb_proc, child_dispatch_fn);
int	child_event_send(struct child_event *, enum kb_proc, uint16_t,
	    uint64_t, int, ...);

#endif /* KB_CHILD_EVENT_H */
