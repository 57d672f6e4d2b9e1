/*
 * The control socket: bridgectl connects here and speaks the same framed
 * IPC as the children, with the CTL_* messages.  Access is by the socket's
 * file mode (0660).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <event.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bridged.h"
#include "log.h"

#define CONTROL_MAXCONNS	32

static int	control_nconns;
static uint32_t	control_lastid;

static void	control_accept(int, short, void *);
static void	control_dispatch(struct ipc_ev *, struct ipc_msg *, void *);
static void	control_closed(struct ipc_ev *, void *);

int
control_init(const char *path)
{
	struct sockaddr_un	 sun;
	mode_t			 old;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		log_warnx("control socket path %s too long", path);
		return (-1);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		log_warn("control socket");
		return (-1);
	}
	/* A socket left by a crashed bridged is replaced; a live one is not. */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		log_warnx("control socket %s in use: is bridged running?",
		    sun.sun_path);
		close(fd);
		return (-1);
	}
	if (unlink(sun.sun_path) == -1 && errno != ENOENT) {
		log_warn("unlink %s", sun.sun_path);
		close(fd);
		return (-1);
	}
	old = umask(S_IXUSR | S_IXGRP | S_IRWXO);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		log_warn("bind %s", sun.sun_path);
		umask(old);
		close(fd);
		return (-1);
	}
	umask(old);
	if (chmod(sun.sun_path, 0660) == -1 || listen(fd, 16) == -1) {
		log_warn("control socket %s", sun.sun_path);
		close(fd);
		unlink(sun.sun_path);
		return (-1);
	}
	env->ctl_fd = fd;
	event_assign(&env->ctl_ev, env->base, fd, EV_READ | EV_PERSIST,
	    control_accept, NULL);
	event_add(&env->ctl_ev, NULL);
	return (0);
}

void
control_cleanup(const char *path)
{
	struct ctl_conn	*cc;

	while ((cc = TAILQ_FIRST(&env->ctl_conns)) != NULL) {
		TAILQ_REMOVE(&env->ctl_conns, cc, entry);
		ipc_ev_clear(&cc->iev);
		free(cc);
	}
	if (env->ctl_fd > 0) {
		event_del(&env->ctl_ev);
		close(env->ctl_fd);
		unlink(path);
	}
}

static void
control_accept(int fd, short events, void *arg)
{
	struct ctl_conn	*cc;
	int		 cfd;

	if ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("control accept");
		return;
	}
	if (control_nconns >= CONTROL_MAXCONNS) {
		log_warnx("control: too many connections");
		close(cfd);
		return;
	}
	if ((cc = calloc(1, sizeof(*cc))) == NULL) {
		log_warn("control");
		close(cfd);
		return;
	}
	control_nconns++;
	cc->id = ++control_lastid;
	ipc_ev_init(&cc->iev, env->base, cfd, PROC_PARENT, PROC_CTL,
	    control_dispatch, control_closed, cc);
	TAILQ_INSERT_TAIL(&env->ctl_conns, cc, entry);
}

static void
control_closed(struct ipc_ev *iev, void *arg)
{
	struct ctl_conn	*cc = arg;

	TAILQ_REMOVE(&env->ctl_conns, cc, entry);
	ipc_ev_clear(&cc->iev);
	free(cc);
	control_nconns--;
}

static void
control_show_status(struct ipc_ev *iev)
{
	struct child	*c;
	char		 links[64];
	int		 i, p;

	ipc_ev_send(iev, IMSG_CTL_STATUS, 0, -1, "parent", (unsigned)getpid(),
	    "running", (uint64_t)env->started, 0U, "", "");
	for (i = PROC_SIPD; i <= PROC_MEDIAD; i++) {
		c = child_get(i);
		links[0] = '\0';
		for (p = PROC_SIPD; p <= PROC_MEDIAD; p++) {
			if (!(c->links & PROC_BIT(p)))
				continue;
			if (links[0] != '\0')
				strlcat(links, ",", sizeof(links));
			strlcat(links, proc_name(p), sizeof(links));
		}
		ipc_ev_send(iev, IMSG_CTL_STATUS, 0, -1, proc_name(c->id),
		    (unsigned)c->pid, child_state_name(c->state),
		    (uint64_t)c->started, c->restarts, links, c->last_exit);
	}
	ipc_ev_send(iev, IMSG_CTL_END, 0, -1);
}

/*
 * Passes a request to the child that can answer it, tagged with the
 * connection's id; the answer comes back through control_relay().
 */
static void
control_forward(struct ctl_conn *cc, enum kb_proc to, struct ipc_msg *m)
{
	struct child	*c = child_get(to);
	char		 why[64];

	if (c->state != CHILD_RUNNING) {
		snprintf(why, sizeof(why), "%s is %s", proc_name(to),
		    child_state_name(c->state));
		ipc_ev_send(&cc->iev, IMSG_CTL_RESULT, 0, -1, 1, why);
		return;
	}
	ipc_ev_compose(&c->iev, m->hdr.type, cc->id, m->data, m->hdr.len);
}

void
control_relay(struct child *c, struct ipc_msg *m)
{
	struct ctl_conn	*cc;

	/* The connection may have gone while the child worked. */
	TAILQ_FOREACH(cc, &env->ctl_conns, entry)
		if (cc->id == m->hdr.call) {
			ipc_ev_compose(&cc->iev, m->hdr.type, 0, m->data,
			    m->hdr.len);
			return;
		}
}

static void
control_dispatch(struct ipc_ev *iev, struct ipc_msg *m, void *arg)
{
	struct ctl_conn	*cc = arg;

	struct child	*c;
	char		 why[256];
	uint32_t	 v;
	uint8_t		 p;
	int		 rv;

	switch (m->hdr.type) {
	case IMSG_CTL_SHOW_STATUS:
		control_show_status(iev);
		break;
	case IMSG_CTL_RELOAD:
		log_info("reload requested by bridgectl");
		rv = bridged_reload(why, sizeof(why));
		if (rv == -1)
			log_warnx("reload failed, old configuration kept: %s",
			    why);
		ipc_ev_send(iev, IMSG_CTL_RESULT, 0, -1, rv == -1, why);
		break;
	case IMSG_CTL_LOG_VERBOSE:
		ipc_unpack(m, &v);
		bridged_setverbose(v != 0);
		log_info("log level %s", v ? "verbose" : "brief");
		ipc_ev_send(iev, IMSG_CTL_RESULT, 0, -1, 0,
		    v ? "logging verbose" : "logging brief");
		break;
	case IMSG_CTL_TEST_SANDBOX:
		ipc_unpack(m, &p);
		if (p >= PROC_MAX || !(PROC_CHILDREN & PROC_BIT(p)) ||
		    (c = child_get(p))->state != CHILD_RUNNING) {
			ipc_ev_send(iev, IMSG_CTL_RESULT, 0, -1, 1,
			    "no such running process");
			break;
		}
		log_warnx("sandbox test of %s requested by bridgectl",
		    proc_name(p));
		ipc_ev_send(&c->iev, IMSG_TEST_SANDBOX, 0, -1);
		ipc_ev_send(iev, IMSG_CTL_RESULT, 0, -1, 0,
		    "forbidden system call requested");
		break;
	case IMSG_CTL_SHOW_CALLS:
	case IMSG_CTL_SHOW_REGS:
	case IMSG_CTL_HANGUP:
		control_forward(cc, PROC_SIPD, m);
		break;
	case IMSG_CTL_SHOW_KANDY:
		control_forward(cc, PROC_KANDYD, m);
		break;
	case IMSG_CTL_SHOW_MEDIA:
		control_forward(cc, PROC_MEDIAD, m);
		break;
	default:
		log_warnx("control: unexpected %s", ipc_typename(m->hdr.type));
		break;
	}
}
