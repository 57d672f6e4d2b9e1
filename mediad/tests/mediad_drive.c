/*
 * What the tests that drive mediad alone share: starting it with its
 * channels, flushing them, and PCMU packets of a tone.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <err.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dtls.h"
#include "g711.h"
#include "log.h"
#include "mediad_drive.h"
#include "rtp.h"
#include "srtp.h"

/* The test's own side: root (mediad drops to _bridged), DTLS, SRTP. */
void
drive_init(void)
{
	if (geteuid() != 0) {
		printf("SKIP: needs root\n");
		exit(77);
	}
	log_init(1, 0, 0);
	signal(SIGPIPE, SIG_IGN);
	if (dtls_init() == -1)
		errx(1, "dtls_init");
	srtp_pair_global_init();
}

/* Ends mediad; returns 1 if it had died of anything else. */
int
drive_stop(pid_t pid)
{
	int	 status;

	kill(pid, SIGTERM);
	if (waitpid(pid, &status, 0) == -1)
		err(1, "waitpid");
	if (WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM) {
		warnx("mediad died of signal %d", WTERMSIG(status));
		return (1);
	}
	return (0);
}

void
drive_flush(struct ipc_conn *c)
{
	while (ipc_pending(c))
		if (ipc_flush(c) == -1)
			errx(1, "flush: %s", ipc_strerror(c));
}

static void
peer_pair(struct ipc_conn *parent, struct ipc_conn *mine, enum kb_proc who)
{
	int	 sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == -1)
		err(1, "socketpair");
	ipc_init(mine, sv[0], who, PROC_MEDIAD);
	ipc_send(parent, IMSG_PEER_FD, 0, sv[1], who);
}

static pid_t
drive_exec(const char *mediad, const char *flags, struct ipc_conn *parent,
    struct ipc_conn *sipd, struct ipc_conn *kandyd)
{
	char	*args[] = { (char *)mediad, (char *)flags, "-u", "_bridged",
		    "-r", "/var/empty", NULL };
	pid_t	 pid;
	int	 sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == -1)
		err(1, "socketpair");
	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid == 0) {
		dup2(sv[1], 3);
		closefrom(4);
		execv(mediad, args);
		_exit(127);
	}
	close(sv[1]);
	ipc_init(parent, sv[0], PROC_PARENT, PROC_MEDIAD);
	peer_pair(parent, sipd, PROC_SIPD);
	peer_pair(parent, kandyd, PROC_KANDYD);
	return (pid);
}

/*
 * Runs mediad (sandboxed, in the foreground, verbose) with its parent
 * channel and hands it channels to "sipd" and "kandyd".
 */
pid_t
drive_start(const char *mediad, struct ipc_conn *parent,
    struct ipc_conn *sipd, struct ipc_conn *kandyd)
{
	return (drive_exec(mediad, "-dv", parent, sipd, kandyd));
}

/* The same, not verbose: a load of many calls logs nothing per call. */
pid_t
drive_start_quiet(const char *mediad, struct ipc_conn *parent,
    struct ipc_conn *sipd, struct ipc_conn *kandyd)
{
	return (drive_exec(mediad, "-d", parent, sipd, kandyd));
}

/* Packet i of a tone as PCMU, its timestamp following i. */
size_t
drive_tone_packet(uint8_t *buf, size_t size, double freq, int i,
    uint32_t ssrc)
{
	struct rtp_hdr	 h;
	int16_t		 x[DRIVE_SAMPLES];
	size_t		 n;
	int		 k;

	memset(&h, 0, sizeof(h));
	h.pt = 0;
	h.seq = 1000 + i;
	h.ts = i * DRIVE_SAMPLES;
	h.ssrc = ssrc;
	h.marker = i == 0;
	n = rtp_write_header(buf, size, &h);
	tone_fill(x, DRIVE_SAMPLES, freq, 0.5, 8000,
	    (uint64_t)i * DRIVE_SAMPLES);
	for (k = 0; k < DRIVE_SAMPLES; k++)
		buf[n + k] = g711_ulaw_encode(x[k]);
	return (n + DRIVE_SAMPLES);
}
