/*
 * Drives one child alone through a socketpair, playing the parent: the
 * child must take a configuration and acknowledge it, and must end in an
 * orderly way (logged, exit status 1, no signal) when the "parent" sends
 * a malformed frame or hangs up mid-frame.
 *
 *	drive_child CHILD-BINARY ack|garbage|badpayload|misdirected|truncated
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "ipc.h"

static pid_t
spawn(const char *path, int *fdp)
{
	char	*argv[] = { (char *)path, "-d", "-u", "_bridged", "-r",
		    "/var/empty", NULL };
	int	 sv[2];
	pid_t	 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == -1)
		err(1, "socketpair");
	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid == 0) {
		if (dup2(sv[1], 3) == -1)
			_exit(127);
		closefrom(4);
		execv(path, argv);
		_exit(127);
	}
	close(sv[1]);
	*fdp = sv[0];
	return (pid);
}

/* The smallest configuration each child accepts. */
static void
send_config(struct ipc_conn *c, const char *child)
{
	struct cfg_sip		 sip;
	struct cfg_kandy	 kandy;
	struct cfg_media	 media;
	struct cfg_sip_listen	 l;
	struct sockaddr_in	*sin;

	if (strstr(child, "sipd") != NULL) {
		memset(&sip, 0, sizeof(sip));
		strlcpy(sip.realm, "test", sizeof(sip.realm));
		strlcpy(sip.trunk_user, "3cx", sizeof(sip.trunk_user));
		sip.digest_md5 = 1;
		sip.max_calls = 10;
		sip.max_cps = 10;
		sip.session_expires = 1800;
		sip.min_se = 90;
		sip.noanswer_timeout = 60;
		sip.register_min_expires = 60;
		sip.register_max_expires = 3600;
		sip.auth_failures = 5;
		sip.auth_ban = 60;
		ipc_send(c, IMSG_CFG_SIP, 0, -1, &sip, sizeof(sip));
		memset(&l, 0, sizeof(l));
		sin = (struct sockaddr_in *)&l.ss;
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		l.port = 20000 + getpid() % 20000;
		sin->sin_port = htons(l.port);
		ipc_send(c, IMSG_CFG_SIP_LISTEN, 0, -1, &l, sizeof(l), "", "");
	} else if (strstr(child, "kandyd") != NULL) {
		memset(&kandy, 0, sizeof(kandy));
		strlcpy(kandy.url, "https://127.0.0.1:18443", sizeof(kandy.url));
		kandy.port = 18443;
		ipc_send(c, IMSG_CFG_KANDY, 0, -1, &kandy, sizeof(kandy));
	} else if (strstr(child, "mediad") != NULL) {
		memset(&media, 0, sizeof(media));
		media.rtp_low = 30000;
		media.rtp_high = 30999;
		media.timeout = 60;
		ipc_send(c, IMSG_CFG_MEDIA, 0, -1, &media, sizeof(media));
	}
}

/* Waits up to ms for one frame from the child. */
static int
receive(struct ipc_conn *c, struct ipc_msg *m, int ms)
{
	struct pollfd	 pfd;
	int		 rv;

	for (;;) {
		if ((rv = ipc_next(c, m)) != 0)
			return (rv);
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, ms) <= 0)
			return (-2);
		if (ipc_fill(c) == 0)
			return (-3);
	}
}

static void
flush(struct ipc_conn *c)
{
	while (ipc_pending(c))
		if (ipc_flush(c) == -1)
			errx(1, "flush: %s", ipc_strerror(c));
}

/* The child's exit: 0 for an orderly exit with status 1. */
static int
orderly_exit(pid_t pid)
{
	struct timespec	 ts = { 0, 50 * 1000 * 1000 };
	int		 i, status;

	for (i = 0; i < 100; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			if (WIFSIGNALED(status)) {
				warnx("child killed by signal %d",
				    WTERMSIG(status));
				return (-1);
			}
			if (WEXITSTATUS(status) != 1) {
				warnx("child exited with %d",
				    WEXITSTATUS(status));
				return (-1);
			}
			return (0);
		}
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	warnx("child still running after bad input");
	return (-1);
}

int
main(int argc, char *argv[])
{
	struct ipc_conn	 c;
	struct ipc_msg	 m;
	struct ipc_hdr	 hdr;
	uint32_t	 gen = 42, got = 0;
	pid_t		 pid;
	int		 fd, rv;
	const char	*mode;

	if (argc != 3)
		errx(2, "usage: drive_child child "
		    "ack|garbage|badpayload|misdirected|truncated");
	mode = argv[2];
	signal(SIGPIPE, SIG_IGN);
	pid = spawn(argv[1], &fd);
	ipc_init(&c, fd, PROC_PARENT, strstr(argv[1], "kandyd") ? PROC_KANDYD :
	    strstr(argv[1], "mediad") ? PROC_MEDIAD : PROC_SIPD);

	ipc_send(&c, IMSG_CFG_BEGIN, 0, -1, gen);
	ipc_send(&c, IMSG_CFG_LOG, 0, -1, 1);
	send_config(&c, argv[1]);
	ipc_send(&c, IMSG_CFG_DONE, 0, -1, gen);
	flush(&c);
	/* Requests the child makes of its parent may come first. */
	while ((rv = receive(&c, &m, 5000)) == 1 && m.hdr.type != IMSG_CFG_ACK)
		printf("child sent %s\n", ipc_typename(m.hdr.type));
	if (rv != 1 || ipc_unpack(&m, &got) == -1 || got != gen) {
		kill(pid, SIGKILL);
		errx(1, "no CFG_ACK for generation %u (rv %d)", gen, rv);
	}
	printf("ok: %s acknowledged configuration %u\n", argv[1], got);
	if (strcmp(mode, "ack") == 0) {
		kill(pid, SIGTERM);
		ipc_clear(&c);
		return (0);
	}

	if (strcmp(mode, "garbage") == 0) {
		/* Type 0 is no message. */
		ipc_compose(&c, IMSG_NONE, 0, -1, NULL, 0);
	} else if (strcmp(mode, "badpayload") == 0) {
		/* A known type whose payload breaks its format. */
		ipc_compose(&c, IMSG_CFG_DONE, 0, -1, "abc", 3);
	} else if (strcmp(mode, "misdirected") == 0) {
		/* A message only a child may send. */
		ipc_compose(&c, IMSG_CFG_ACK, 0, -1, &gen, sizeof(gen));
	} else if (strcmp(mode, "truncated") == 0) {
		/* A header promising more than will ever come. */
		memset(&hdr, 0, sizeof(hdr));
		hdr.type = IMSG_CFG_BEGIN;
		hdr.len = 4000;
		if (write(fd, &hdr, sizeof(hdr)) != sizeof(hdr))
			err(1, "write");
		close(fd);
		fd = -1;
	} else
		errx(2, "unknown mode %s", mode);
	if (fd != -1)
		flush(&c);
	if (orderly_exit(pid) == -1)
		errx(1, "%s: child did not end in order", mode);
	printf("ok: %s: child logged and exited with status 1\n", mode);
	ipc_clear(&c);
	return (0);
}
