/*
 * Start-up and parent plumbing shared by sipd, kandyd and mediad.  The
 * parent executes a child as
 *	<child> [-dv] -u user -r chroot
 * with the parent channel on descriptor 3.
 */
#include <sys/stat.h>

#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "privdrop.h"

#ifdef __SANITIZE_ADDRESS__
/*
 * LeakSanitizer's exit-time scan needs ptrace and /proc, which a
 * sandboxed child may not use; sanitizer builds of the children check
 * memory errors but not leaks.
 */
const char	*__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return ("detect_leaks=0");
}
#endif

static __dead void
child_usage(const char *name)
{
	fatalx("usage: %s [-dv] -u user -r chroot (started by bridged)",
	    name);
}

void
child_init(int argc, char **argv, enum kb_proc self, struct child_opts *o)
{
	struct stat	 st;
	int		 ch, fl;

	o->self = self;
	o->foreground = 0;
	o->verbose = 0;
	o->user = KB_USER;
	o->chroot = KB_CHROOT;
	/* Log to stderr until we know what the parent wants. */
	log_init(1, 0, LOG_DAEMON);
	log_procinit(proc_name(self));
	while ((ch = getopt(argc, argv, "dr:u:v")) != -1) {
		switch (ch) {
		case 'd':
			o->foreground = 1;
			break;
		case 'r':
			o->chroot = optarg;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'v':
			o->verbose++;
			break;
		default:
			child_usage(proc_name(self));
		}
	}
	if (optind != argc)
		child_usage(proc_name(self));
	if (geteuid() != 0)
		fatalx("need root privileges");
	nocoredump();
	if (fstat(PROC_PARENT_FD, &st) == -1 || !S_ISSOCK(st.st_mode))
		fatalx("descriptor %d is not the parent channel; "
		    "%s is started by bridged", PROC_PARENT_FD,
		    proc_name(self));
	if ((fl = fcntl(PROC_PARENT_FD, F_GETFL)) == -1 ||
	    fcntl(PROC_PARENT_FD, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    fcntl(PROC_PARENT_FD, F_SETFD, FD_CLOEXEC) == -1)
		fatal("fcntl parent channel");
	log_init(o->foreground, o->verbose, LOG_DAEMON);
	log_procinit(proc_name(self));
	/* The parent handles terminal signals; we end when it does. */
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
}

void
child_drop(const struct child_opts *o)
{
	privdrop(o->user, o->chroot);
	log_debug("running as %s in %s", o->user, o->chroot);
}

void
child_ctx_init(struct child_ctx *ctx, enum kb_proc self,
    const struct child_loop_ops *ops, void *loop, child_dispatch_fn dispatch)
{
	int	 i;

	memset(ctx, 0, sizeof(*ctx));
	ctx->self = self;
	ctx->ops = ops;
	ctx->loop = loop;
	ctx->dispatch = dispatch;
	for (i = 0; i < PROC_MAX; i++) {
		ctx->chan[i].ctx = ctx;
		ipc_init(&ctx->chan[i].conn, -1, self, i);
	}
	ipc_init(&ctx->chan[PROC_PARENT].conn, PROC_PARENT_FD, self,
	    PROC_PARENT);
	ops->watch(ctx, &ctx->chan[PROC_PARENT]);
}

/*
 * Moves every channel to another event loop, e.g. once a library's loop
 * exists that could not be created before the configuration arrived.
 */
void
child_ctx_switch(struct child_ctx *ctx, const struct child_loop_ops *ops,
    void *loop)
{
	int	 i;

	for (i = 0; i < PROC_MAX; i++)
		if (ctx->chan[i].conn.fd != -1)
			ctx->ops->unwatch(ctx, &ctx->chan[i]);
	ctx->ops = ops;
	ctx->loop = loop;
	for (i = 0; i < PROC_MAX; i++)
		if (ctx->chan[i].conn.fd != -1)
			ops->watch(ctx, &ctx->chan[i]);
}

/*
 * Serves the channels with poll(2) until done() says so; for the start of
 * a child whose own loop needs the configuration first.
 */
void
child_ctx_poll_until(struct child_ctx *ctx, int (*done)(struct child_ctx *))
{
	struct pollfd	 pfd[PROC_MAX];
	int		 i, n, map[PROC_MAX];

	while (!done(ctx)) {
		for (n = 0, i = 0; i < PROC_MAX; i++) {
			if (ctx->chan[i].conn.fd == -1)
				continue;
			pfd[n].fd = ctx->chan[i].conn.fd;
			pfd[n].events = POLLIN |
			    (ipc_pending(&ctx->chan[i].conn) ? POLLOUT : 0);
			map[n++] = i;
		}
		if (poll(pfd, n, -1) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		for (i = 0; i < n; i++) {
			if (pfd[i].revents == 0)
				continue;
			child_chan_io(ctx, &ctx->chan[map[i]],
			    (pfd[i].revents & POLLOUT ? CHILD_IO_WRITE : 0) |
			    (pfd[i].revents & ~POLLOUT ? CHILD_IO_READ : 0));
		}
	}
}

static void
child_poll_nop(struct child_ctx *ctx, struct child_chan *ch)
{
}

/* The watcher of child_ctx_poll_until(): it looks at every channel itself. */
const struct child_loop_ops child_poll_ops = {
	child_poll_nop,
	child_poll_nop,
	child_poll_nop
};

int
child_connected(const struct child_ctx *ctx, enum kb_proc p)
{
	return (p < PROC_MAX && ctx->chan[p].conn.fd != -1);
}

static void
child_chan_close(struct child_ctx *ctx, struct child_chan *ch)
{
	enum kb_proc	 peer = ch->conn.peer;

	if (ch->conn.fd == -1)
		return;
	ctx->ops->unwatch(ctx, ch);
	ipc_clear(&ch->conn);
	ipc_init(&ch->conn, -1, ctx->self, peer);
	ch->want_write = 0;
	if (peer == PROC_PARENT)
		fatalx("parent channel closed");
	log_debug("channel to %s closed", proc_name(peer));
	child_send(ctx, PROC_PARENT, IMSG_PEER_LINK, 0, -1, peer, 0);
	if (ctx->peer_down != NULL)
		ctx->peer_down(ctx, peer);
}

static void
child_chan_update(struct child_ctx *ctx, struct child_chan *ch)
{
	if (ch->conn.fd != -1 && ch->want_write != ipc_pending(&ch->conn)) {
		ch->want_write = ipc_pending(&ch->conn);
		ctx->ops->update(ctx, ch);
	}
}

static void
child_peer_fd(struct child_ctx *ctx, enum kb_proc peer, int fd)
{
	struct child_chan	*ch = &ctx->chan[peer];

	child_chan_close(ctx, ch);
	ipc_init(&ch->conn, fd, ctx->self, peer);
	ch->want_write = 0;
	ctx->ops->watch(ctx, ch);
	/* Proves the channel works: the peer reports our hello. */
	child_send(ctx, peer, IMSG_PEER_HELLO, 0, -1, ctx->self);
}

/*
 * A peer's first frame.  Returns 1 if m was it.
 */
static int
child_peer_msg(struct child_ctx *ctx, enum kb_proc peer, struct ipc_msg *m)
{
	uint8_t	 b;

	if (m->hdr.type != IMSG_PEER_HELLO)
		return (0);
	ipc_unpack(m, &b);
	if (b != peer) {
		log_warnx("%s says it is %s", proc_name(peer), proc_name(b));
		return (1);
	}
	log_debug("channel to %s up", proc_name(peer));
	child_send(ctx, PROC_PARENT, IMSG_PEER_LINK, 0, -1, peer, 1);
	if (ctx->peer_up != NULL)
		ctx->peer_up(ctx, peer);
	return (1);
}

/*
 * Handles the parent's plumbing messages.  Returns 1 if m was one of them,
 * 0 if it is the child's own to handle.
 */
static int
child_parent_msg(struct child_ctx *ctx, struct ipc_msg *m)
{
	struct ipc_conn	*c = &ctx->chan[PROC_PARENT].conn;
	uint32_t	 d;
	uint8_t		 b;

	switch (m->hdr.type) {
	case IMSG_CFG_BEGIN:
		return (1);
	case IMSG_CFG_LOG:
		ipc_unpack(m, &d);
		log_setverbose(d);
		return (1);
	case IMSG_CFG_DONE:
		ipc_unpack(m, &d);
		if (ctx->cfg_done != NULL)
			ctx->cfg_done(ctx, d);
		ipc_send(c, IMSG_CFG_ACK, 0, -1, d);
		return (1);
	case IMSG_PEER_FD:
		ipc_unpack(m, &b);
		if (b >= PROC_MAX || !(PROC_CHILDREN & PROC_BIT(b)) ||
		    b == ctx->self) {
			log_warnx("parent sent a channel to bad peer %u", b);
			close(m->fd);
			return (1);
		}
		child_peer_fd(ctx, b, m->fd);
		return (1);
	case IMSG_PEER_GONE:
		ipc_unpack(m, &b);
		if (b < PROC_MAX && b != PROC_PARENT)
			child_chan_close(ctx, &ctx->chan[b]);
		return (1);
	case IMSG_TEST_SANDBOX:
		sandbox_violate();
		return (1);
	}
	return (0);
}

/*
 * The adapter calls this when a channel's descriptor is ready.  A peer
 * that breaks framing is logged and its channel closed.
 */
void
child_chan_io(struct child_ctx *ctx, struct child_chan *ch, int what)
{
	struct ipc_msg	 m;
	ssize_t		 n;
	int		 rv;

	if ((what & CHILD_IO_WRITE) && ch->conn.fd != -1 &&
	    ipc_flush(&ch->conn) == -1) {
		log_warnx("ipc to %s: %s", proc_name(ch->conn.peer),
		    ipc_strerror(&ch->conn));
		child_chan_close(ctx, ch);
		return;
	}
	if ((what & CHILD_IO_READ) && ch->conn.fd != -1) {
		n = ipc_fill(&ch->conn);
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
			if (n == -1)
				log_warnx("ipc from %s: %s",
				    proc_name(ch->conn.peer),
				    ipc_strerror(&ch->conn));
			child_chan_close(ctx, ch);
			return;
		}
		while (ch->conn.fd != -1 &&
		    (rv = ipc_next(&ch->conn, &m)) == 1) {
			if (ch->conn.peer == PROC_PARENT ?
			    child_parent_msg(ctx, &m) :
			    child_peer_msg(ctx, ch->conn.peer, &m))
				continue;
			ctx->dispatch(ctx, ch->conn.peer, &m);
		}
		if (ch->conn.fd != -1 && rv == -1) {
			log_warnx("ipc from %s: bad frame: %s",
			    proc_name(ch->conn.peer), ipc_strerror(&ch->conn));
			child_chan_close(ctx, ch);
			return;
		}
	}
	/* Replies queued by the handlers wait for writability. */
	child_chan_update(ctx, ch);
}

/*
 * Sends to a peer or the parent.  A channel that is down (its process is
 * restarting) drops the message.
 */
int
child_send(struct child_ctx *ctx, enum kb_proc to, uint16_t type,
    uint64_t call, int fd, ...)
{
	struct child_chan	*ch = &ctx->chan[to];
	va_list			 ap;
	int			 rv;

	if (ch->conn.fd == -1) {
		log_debug("%s dropped: %s is not connected",
		    ipc_typename(type), proc_name(to));
		if (fd != -1)
			close(fd);
		return (-1);
	}
	va_start(ap, fd);
	rv = ipc_vsend(&ch->conn, type, call, fd, ap);
	va_end(ap);
	if (rv == -1)
		log_warnx("ipc to %s: %s", proc_name(to),
		    ipc_strerror(&ch->conn));
	child_chan_update(ctx, ch);
	return (rv);
}
