/*
 * Starting, watching and restarting the children.  Every pair of processes
 * gets its own socketpair: the parent keeps one end of each child's
 * channel, and hands both ends of a child-to-child channel out with
 * PEER_FD, so signalling never hops through the parent.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bridged.h"
#include "config.h"
#include "log.h"

static void	child_spawn(struct child *);
static void	child_dispatch(struct ipc_ev *, struct ipc_msg *, void *);
static void	child_closed(struct ipc_ev *, void *);
static void	child_restart_cb(int, short, void *);
static void	child_relink_cb(int, short, void *);
static void	child_schedule_restart(struct child *);

struct child *
child_get(enum kb_proc id)
{
	return (&env->children[id]);
}

const char *
child_state_name(enum child_state s)
{
	switch (s) {
	case CHILD_STOPPED:
		return ("stopped");
	case CHILD_STARTING:
		return ("starting");
	case CHILD_RUNNING:
		return ("running");
	case CHILD_RESTARTING:
		return ("restarting");
	}
	return ("unknown");
}

static int
child_alive(const struct child *c)
{
	return (c->state == CHILD_STARTING || c->state == CHILD_RUNNING);
}

void
children_start(void)
{
	struct child	*c;
	int		 i;

	for (i = PROC_SIPD; i <= PROC_MEDIAD; i++) {
		c = child_get(i);
		c->id = i;
		c->iev.conn.fd = -1;
		evtimer_assign(&c->restart_ev, env->base, child_restart_cb, c);
		evtimer_assign(&c->relink_ev, env->base, child_relink_cb, c);
	}
	for (i = PROC_SIPD; i <= PROC_MEDIAD; i++)
		child_spawn(child_get(i));
}

/*
 * Connects c with every other live child through a fresh socketpair.
 */
static void
child_link(struct child *c, struct child *o)
{
	int	 sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sv) == -1) {
		log_warn("socketpair for %s-%s", proc_name(c->id),
		    proc_name(o->id));
		return;
	}
	ipc_ev_send(&c->iev, IMSG_PEER_FD, 0, sv[0], o->id);
	ipc_ev_send(&o->iev, IMSG_PEER_FD, 0, sv[1], c->id);
}

static void
child_link_peers(struct child *c)
{
	struct child	*o;
	int		 i;

	for (i = PROC_SIPD; i <= PROC_MEDIAD; i++) {
		o = child_get(i);
		if (o != c && child_alive(o))
			child_link(c, o);
	}
}

/*
 * A channel between two live children broke (one refused the other's
 * frame): after a pause, give the pair a new one.  A child that died is
 * linked afresh when it restarts instead.
 */
static void
child_relink_cb(int fd, short events, void *arg)
{
	struct child	*c = arg, *o;
	int		 i;

	for (i = PROC_SIPD; i <= PROC_MEDIAD; i++) {
		o = child_get(i);
		if (!(c->relink & PROC_BIT(i)))
			continue;
		c->relink &= ~PROC_BIT(i);
		if (c->state != CHILD_RUNNING || o->state != CHILD_RUNNING ||
		    (c->links & PROC_BIT(i)) || (o->links & PROC_BIT(c->id)))
			continue;
		log_warnx("relinking %s and %s", proc_name(c->id),
		    proc_name(o->id));
		child_link(c, o);
	}
}

static void
child_peer_down(struct child *c, uint8_t peer)
{
	struct timeval	 tv = { RELINK_DELAY_SEC, 0 };

	if (peer == c->id || !(PROC_CHILDREN & PROC_BIT(peer)))
		return;
	c->relink |= PROC_BIT(peer);
	if (!evtimer_pending(&c->relink_ev, NULL))
		evtimer_add(&c->relink_ev, &tv);
}

static void
child_spawn(struct child *c)
{
	char		 path[1024];
	char		*argv[9];
	int		 argc = 0, sv[2];
	pid_t		 pid;

	snprintf(path, sizeof(path), "%s/%s", env->libexecdir,
	    proc_name(c->id));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sv) == -1) {
		log_warn("socketpair for %s", proc_name(c->id));
		goto retry;
	}
	argv[argc++] = (char *)proc_name(c->id);
	if (env->foreground)
		argv[argc++] = "-d";
	if (env->verbose)
		argv[argc++] = "-v";
	argv[argc++] = "-u";
	argv[argc++] = env->conf->user;
	argv[argc++] = "-r";
	argv[argc++] = env->conf->chroot;
	argv[argc] = NULL;

	switch (pid = fork()) {
	case -1:
		log_warn("fork %s", proc_name(c->id));
		close(sv[0]);
		close(sv[1]);
		goto retry;
	case 0:
		/* The child's end becomes descriptor 3, inherited. */
		if (dup2(sv[1], PROC_PARENT_FD) == -1)
			_exit(127);
		closefrom(PROC_PARENT_FD + 1);
		execv(path, argv);
		dprintf(STDERR_FILENO, "bridged: exec %s: %s\n", path,
		    strerror(errno));
		_exit(127);
	}
	close(sv[1]);
	c->pid = pid;
	c->state = CHILD_STARTING;
	c->started = time(NULL);
	c->cfg_acked = 0;
	c->links = 0;
	ipc_ev_init(&c->iev, env->base, sv[0], PROC_PARENT, c->id,
	    child_dispatch, child_closed, c);
	log_debug("started %s, pid %d", proc_name(c->id), pid);
	child_link_peers(c);
	config_send(c);
	return;
 retry:
	child_schedule_restart(c);
}

static void
child_schedule_restart(struct child *c)
{
	struct timeval	 tv;
	uint64_t	 ms;
	int		 i;

	if (time(NULL) - c->started >= RESTART_STABLE_SEC)
		c->quick_deaths = 0;
	ms = RESTART_MIN_MS;
	for (i = 0; i < (int)c->quick_deaths && ms < RESTART_MAX_MS; i++)
		ms *= 2;
	if (ms > RESTART_MAX_MS)
		ms = RESTART_MAX_MS;
	c->quick_deaths++;
	c->state = CHILD_RESTARTING;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(&c->restart_ev, &tv);
	log_info("restarting %s in %llu ms", proc_name(c->id),
	    (unsigned long long)ms);
}

static void
child_restart_cb(int fd, short events, void *arg)
{
	struct child	*c = arg;

	if (c == NULL || env->stopping)
		return;
	c->restarts++;
	child_spawn(c);
}

/*
 * A child is gone: close its channel, tell the others, schedule a restart.
 * Called from the reaper with the exit status, or when its channel broke.
 */
static void
child_lost(struct child *c)
{
	int	 i;

	ipc_ev_clear(&c->iev);
	for (i = PROC_SIPD; i <= PROC_MEDIAD; i++) {
		if (i != (int)c->id && child_alive(child_get(i)))
			ipc_ev_send(&child_get(i)->iev, IMSG_PEER_GONE, 0, -1,
			    c->id);
	}
	if (!env->stopping)
		child_schedule_restart(c);
	else
		c->state = CHILD_STOPPED;
}

void
children_reap(void)
{
	struct child	*c;
	pid_t		 pid;
	int		 status, i;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (c = NULL, i = PROC_SIPD; i <= PROC_MEDIAD; i++)
			if (child_get(i)->pid == pid)
				c = child_get(i);
		if (c == NULL)
			continue;
		if (WIFSIGNALED(status))
			snprintf(c->last_exit, sizeof(c->last_exit),
			    "killed by signal %d (%s)", WTERMSIG(status),
			    strsignal(WTERMSIG(status)));
		else
			snprintf(c->last_exit, sizeof(c->last_exit),
			    "exited with status %d", WEXITSTATUS(status));
		c->pid = 0;
		if (env->stopping) {
			c->state = CHILD_STOPPED;
			continue;
		}
		log_warnx("%s (pid %d) %s", proc_name(c->id), pid,
		    c->last_exit);
		if (child_alive(c))
			child_lost(c);
	}
}

static void
child_closed(struct ipc_ev *iev, void *arg)
{
	struct child	*c = arg;

	/*
	 * The channel broke before the process was reaped: make sure it
	 * is gone; the reaper then restarts it.
	 */
	if (c->pid > 0) {
		log_warnx("%s: channel lost, stopping pid %d",
		    proc_name(c->id), c->pid);
		kill(c->pid, SIGKILL);
	}
	ipc_ev_clear(&c->iev);
}

static void
child_dispatch(struct ipc_ev *iev, struct ipc_msg *m, void *arg)
{
	struct child	*c = arg;
	uint32_t	 gen;
	uint8_t		 peer, up;

	switch (m->hdr.type) {
	case IMSG_CFG_ACK:
		ipc_unpack(m, &gen);
		c->cfg_acked = gen;
		if (c->state == CHILD_STARTING) {
			c->state = CHILD_RUNNING;
			log_info("%s running, pid %d", proc_name(c->id),
			    c->pid);
		}
		break;
	case IMSG_PEER_LINK:
		ipc_unpack(m, &peer, &up);
		if (peer < PROC_MAX) {
			if (up)
				c->links |= PROC_BIT(peer);
			else {
				c->links &= ~PROC_BIT(peer);
				child_peer_down(c, peer);
			}
		}
		break;
	case IMSG_RESOLVE:
		resolve_request(c, m);
		break;
	case IMSG_AUTH_CHECK:
		auth_check(c, m);
		break;
	case IMSG_AUTH_ANSWER:
		auth_answer(c, m);
		break;
	case IMSG_CTL_CALL:
	case IMSG_CTL_REG:
	case IMSG_CTL_KANDY:
	case IMSG_CTL_MEDIA:
	case IMSG_CTL_RESULT:
	case IMSG_CTL_END:
		control_relay(c, m);
		break;
	default:
		log_warnx("%s sent unexpected %s", proc_name(c->id),
		    ipc_typename(m->hdr.type));
		break;
	}
}

/*
 * Stops all children: SIGTERM, then SIGKILL for any still there after
 * BRIDGED_STOP_TIMEOUT seconds.
 */
void
children_stop(void)
{
	struct child	*c;
	struct timespec	 ts = { 0, 20 * 1000 * 1000 };
	int		 i, left, tries;

	for (i = PROC_SIPD; i <= PROC_MEDIAD; i++) {
		c = child_get(i);
		evtimer_del(&c->restart_ev);
		evtimer_del(&c->relink_ev);
		if (c->pid > 0)
			kill(c->pid, SIGTERM);
		ipc_ev_clear(&c->iev);
	}
	for (tries = 0; tries < BRIDGED_STOP_TIMEOUT * 50; tries++) {
		children_reap();
		for (left = 0, i = PROC_SIPD; i <= PROC_MEDIAD; i++)
			if (child_get(i)->pid > 0)
				left++;
		if (left == 0)
			return;
		nanosleep(&ts, NULL);
	}
	for (i = PROC_SIPD; i <= PROC_MEDIAD; i++) {
		c = child_get(i);
		if (c->pid > 0) {
			log_warnx("%s did not stop, killing it",
			    proc_name(c->id));
			kill(c->pid, SIGKILL);
		}
	}
	children_reap();
}
