/*
 * Start-up and parent plumbing shared by sipd, kandyd and mediad.  The
 * parent executes a child as
 *	<child> [-dv] -u user -r chroot
 * with the parent channel on descriptor 3.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "privdrop.h"

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

/*
 * Handles the parent's plumbing messages.  Returns 1 if m was one of them,
 * 0 if it is the caller's to handle.
 */
int
child_parent_msg(struct ipc_conn *c, struct ipc_msg *m,
    const struct child_hooks *h)
{
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
		if (h->cfg_done != NULL)
			h->cfg_done(d, h->arg);
		ipc_send(c, IMSG_CFG_ACK, 0, -1, d);
		return (1);
	case IMSG_PEER_FD:
		ipc_unpack(m, &b);
		if (b >= PROC_MAX || !(PROC_CHILDREN & PROC_BIT(b)) ||
		    b == c->self) {
			log_warnx("parent sent a channel to bad peer %u", b);
			close(m->fd);
			return (1);
		}
		log_debug("channel to %s received", proc_name(b));
		if (h->peer_fd != NULL)
			h->peer_fd(b, m->fd, h->arg);
		else
			close(m->fd);
		return (1);
	case IMSG_PEER_GONE:
		ipc_unpack(m, &b);
		if (b < PROC_MAX && h->peer_gone != NULL)
			h->peer_gone(b, h->arg);
		return (1);
	case IMSG_TEST_SANDBOX:
		sandbox_violate();
		return (1);
	}
	return (0);
}
