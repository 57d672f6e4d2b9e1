/*
 * What every child process shares: its command line, its start-up steps,
 * and its channels (the parent's and one per peer), with the parent's
 * plumbing messages handled here.  The event loop is the child's own: a
 * small adapter (child_event.c, child_lws.c, child_su.c) watches each
 * channel's descriptor and calls child_chan_io() when it is ready.
 */
#ifndef KB_CHILD_H
#define KB_CHILD_H

#include "ipc.h"
#include "proc.h"

struct child_opts {
	enum kb_proc	 self;
	int		 foreground;
	int		 verbose;
	const char	*user;
	const char	*chroot;
};

struct child_ctx;

struct child_chan {
	struct child_ctx *ctx;
	struct ipc_conn	 conn;		/* conn.fd == -1: not connected */
	void		*loop;		/* the adapter's watcher */
	int		 want_write;	/* what the adapter watches for now */
};

/* How an event loop watches a channel's descriptor. */
struct child_loop_ops {
	void	(*watch)(struct child_ctx *, struct child_chan *);
	void	(*update)(struct child_ctx *, struct child_chan *);
	void	(*unwatch)(struct child_ctx *, struct child_chan *);
};

typedef void	(*child_dispatch_fn)(struct child_ctx *, enum kb_proc,
		    struct ipc_msg *);

struct child_ctx {
	enum kb_proc			 self;
	struct child_chan		 chan[PROC_MAX];	/* by peer */
	const struct child_loop_ops	*ops;
	void				*loop;		/* the adapter's loop */
	child_dispatch_fn		 dispatch;	/* all but plumbing */
	void	(*peer_up)(struct child_ctx *, enum kb_proc);
	void	(*peer_down)(struct child_ctx *, enum kb_proc);
	void	(*cfg_done)(struct child_ctx *, uint32_t);
	void				*arg;		/* the child's own */
};

#define CHILD_IO_READ	0x1
#define CHILD_IO_WRITE	0x2

/* child.c */
void	child_init(int, char **, enum kb_proc, struct child_opts *);
void	child_drop(const struct child_opts *);
void	child_ctx_init(struct child_ctx *, enum kb_proc,
	    const struct child_loop_ops *, void *, child_dispatch_fn);
void	child_chan_io(struct child_ctx *, struct child_chan *, int);
int	child_send(struct child_ctx *, enum kb_proc, uint16_t, uint64_t, int,
	    ...);
int	child_connected(const struct child_ctx *, enum kb_proc);
void	child_ctx_switch(struct child_ctx *, const struct child_loop_ops *,
	    void *);
void	child_ctx_poll_until(struct child_ctx *, int (*)(struct child_ctx *));
extern const struct child_loop_ops child_poll_ops;

/* child_event.c: libevent; its loop pointer is a struct event_base */
extern const struct child_loop_ops child_event_ops;
/* child_su.c: sofia-sip; its loop pointer is an su_root_t */
extern const struct child_loop_ops child_su_ops;
/*
 * child_lws.c: libwebsockets; its loop pointer is a struct lws_vhost
 * whose protocols include child_lws_protocol
 */
extern const struct child_loop_ops child_lws_ops;
struct lws_protocols;
extern const struct lws_protocols child_lws_protocol;

#endif /* KB_CHILD_H */
