/*
 * Memory per call, by stage: N calls' legs made the way mediad makes them
 * (rtp_leg_new, ice_leg_new and gather, DTLS to a far end, SRTP keyed,
 * DTLS retired at the far end's first SRTP packet) on one GMainContext,
 * with malloc'd bytes (mallinfo2), VmRSS and RssAnon (VmRSS without the
 * library code the first call pages in) noted after each stage.  The far
 * ends run in a child process so that only our side is counted.
 * Usage: bench_callmem [N]
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib-unix.h>

#include "dtls.h"
#include "ice.h"
#include "log.h"
#include "rtpleg.h"

#define MAXCALLS	2000
#define WAIT_SECS	120

struct desc_msg {
	uint32_t		 idx;
	struct media_webrtc_desc d;
};

struct far {
	struct ice_leg		*leg;
	struct desc_msg		 offer;
	int			 fd;
};

static GMainContext	*ctx;
static struct ice_leg	*legs[MAXCALLS];
static struct far	 fars[MAXCALLS];
static int		 ngathered, nready, nfailed, nretired;

static void
loopback(struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

/* VmRSS and RssAnon of /proc/self/status, in KiB. */
static void
rss_kib(long *rss, long *anon)
{
	FILE	*f;
	char	 line[256];

	*rss = *anon = -1;
	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", rss) != 1)
			(void)sscanf(line, "RssAnon: %ld kB", anon);
	fclose(f);
}

static void
near_rtp(struct ice_leg *leg, uint8_t *buf, size_t len, void *arg)
{
	(void)leg;
	(void)buf;
	(void)len;
	(void)arg;
	nretired++;
}

static void
near_event(struct ice_leg *leg, enum ice_event ev, void *arg)
{
	(void)leg;
	(void)arg;
	if (ev == ICE_EV_GATHERED)
		ngathered++;
	else if (ev == ICE_EV_READY)
		nready++;
	else if (ev == ICE_EV_FAILED)
		nfailed++;
}

static void
far_event(struct ice_leg *leg, enum ice_event ev, void *arg)
{
	struct far	*f = arg;
	struct desc_msg	 m;
	uint8_t		 rtp[12 + 160];

	/* One SRTP packet: what lets mediad's side retire its DTLS. */
	if (ev == ICE_EV_READY) {
		memset(rtp, 0xff, sizeof(rtp));
		memset(rtp, 0, 12);
		rtp[0] = 0x80;
		rtp[11] = 1;	/* SSRC 1, PCMU, sequence 0 */
		if (ice_leg_send_rtp(leg, rtp, sizeof(rtp)) == -1)
			fatalx("far: send_rtp");
		return;
	}
	if (ev != ICE_EV_GATHERED)
		return;
	if (ice_leg_set_remote(leg, &f->offer.d) == -1)
		fatalx("far: set_remote");
	memset(&m, 0, sizeof(m));
	m.idx = f->offer.idx;
	if (ice_leg_local_desc(leg, &m.d) == -1)
		fatalx("far: local_desc");
	if (write(f->fd, &m, sizeof(m)) != (ssize_t)sizeof(m))
		fatal("far: write");
}

static gboolean
far_read(gint fd, GIOCondition cond, gpointer arg)
{
	struct ice_callbacks	 cb = { far_event, NULL, NULL, NULL };
	struct ice_config	 cfg;
	struct far		*f;
	struct desc_msg		 m;

	(void)cond;
	(void)arg;
	if (read(fd, &m, sizeof(m)) != (ssize_t)sizeof(m))
		exit(0);
	if (m.idx >= MAXCALLS)
		fatalx("far: bad index");
	f = &fars[m.idx];
	f->offer = m;
	f->fd = fd;
	memset(&cfg, 0, sizeof(cfg));
	cfg.ctx = ctx;
	cfg.nlocal = 1;
	loopback(&cfg.local[0]);
	cb.arg = f;
	if ((f->leg = ice_leg_new(&cfg, &cb)) == NULL ||
	    ice_leg_gather(f->leg) == -1)
		fatalx("far: leg");
	return (G_SOURCE_CONTINUE);
}

static void
far_end(int fd)
{
	if (dtls_init() == -1)
		fatalx("far: dtls_init");
	g_unix_fd_add_full(G_PRIORITY_DEFAULT, fd, G_IO_IN, far_read,
	    NULL, NULL);
	for (;;)
		g_main_context_iteration(ctx, TRUE);
}

static gboolean
near_read(gint fd, GIOCondition cond, gpointer arg)
{
	struct desc_msg	 m;

	(void)cond;
	(void)arg;
	if (read(fd, &m, sizeof(m)) != (ssize_t)sizeof(m) || m.idx >= MAXCALLS)
		fatalx("near: far end went away");
	if (ice_leg_set_remote(legs[m.idx], &m.d) == -1)
		fatalx("near: set_remote");
	return (G_SOURCE_CONTINUE);
}

static void
wait_for(int *counter, int n)
{
	gint64	 end = g_get_monotonic_time() + WAIT_SECS * G_USEC_PER_SEC;

	while (*counter + nfailed < n && g_get_monotonic_time() < end)
		g_main_context_iteration(ctx, TRUE);
	if (nfailed > 0 || *counter < n)
		fatalx("only %d of %d legs got there (%d failed)", *counter, n,
		    nfailed);
}

static struct {
	size_t	heap;
	long	rss;
	long	anon;
} last;

static int
no_send(void *arg, const uint8_t *buf, size_t len)
{
	(void)arg;
	(void)buf;
	(void)len;
	return (0);
}

static void
stage(const char *what, int n)
{
	struct mallinfo2	 mi = mallinfo2();
	size_t			 heap = mi.uordblks + mi.hblkhd;
	long			 rss, anon;

	rss_kib(&rss, &anon);
	if (n > 0)
		printf("%-28s %8.1f KiB malloc %8.1f KiB RSS %8.1f KiB anon"
		    "  per call\n", what,
		    ((double)heap - (double)last.heap) / 1024.0 / n,
		    (double)(rss - last.rss) / n,
		    (double)(anon - last.anon) / n);
	last.heap = heap;
	last.rss = rss;
	last.anon = anon;
}

int
main(int argc, char **argv)
{
	struct rtp_leg_callbacks rcb = { NULL, NULL, NULL };
	struct ice_callbacks	 icb = { near_event, near_rtp, NULL, NULL };
	struct rtp_leg		*rtp[MAXCALLS];
	struct rtp_leg_config	 rc;
	struct ice_config	 ic;
	struct desc_msg		 m;
	size_t			 heap0;
	long			 rss0, anon0;
	int			 sp[2], i, n = 200, status;
	pid_t			 pid;

	if (argc > 1)
		n = atoi(argv[1]);
	if (n < 1 || n > MAXCALLS)
		fatalx("usage: bench_callmem [1..%d]", MAXCALLS);
	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init(1, getenv("VERBOSE") != NULL, 0);
	ctx = g_main_context_default();
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) == -1)
		fatal("socketpair");
	for (i = 0; i < 2; i++) {
		status = 8 * 1024 * 1024;
		if (setsockopt(sp[i], SOL_SOCKET, SO_SNDBUFFORCE, &status,
		    sizeof(status)) == -1)
			(void)setsockopt(sp[i], SOL_SOCKET, SO_SNDBUF, &status,
			    sizeof(status));
	}
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		close(sp[0]);
		far_end(sp[1]);
	}
	close(sp[1]);
	if (dtls_init() == -1)
		fatalx("dtls_init");
	g_unix_fd_add_full(G_PRIORITY_DEFAULT, sp[0], G_IO_IN, near_read,
	    NULL, NULL);

	printf("%d calls, our side only (far ends in another process)\n", n);
	stage("start", 0);
	heap0 = last.heap;
	rss0 = last.rss;
	anon0 = last.anon;

	memset(&rc, 0, sizeof(rc));
	rc.ctx = ctx;
	loopback(&rc.bind);
	rc.port_min = 30000;
	rc.port_max = 39999;
	rc.latch = 1;
	for (i = 0; i < n; i++)
		if ((rtp[i] = rtp_leg_new(&rc, &rcb)) == NULL)
			fatalx("rtp_leg_new");
	stage("rtp_leg_new", n);

	memset(&ic, 0, sizeof(ic));
	ic.ctx = ctx;
	ic.offerer = 1;
	ic.dtls_retire = 1;	/* as mediad: see dtls_session_retire() */
	ic.nlocal = 1;
	loopback(&ic.local[0]);
	for (i = 0; i < n; i++)
		if ((legs[i] = ice_leg_new(&ic, &icb)) == NULL)
			fatalx("ice_leg_new");
	stage("ice_leg_new", n);

	for (i = 0; i < n; i++)
		if (ice_leg_gather(legs[i]) == -1)
			fatalx("ice_leg_gather");
	wait_for(&ngathered, n);
	stage("ice gathered", n);

	for (i = 0; i < n; i++) {
		memset(&m, 0, sizeof(m));
		m.idx = i;
		if (ice_leg_local_desc(legs[i], &m.d) == -1)
			fatalx("local_desc");
		if (write(sp[0], &m, sizeof(m)) != (ssize_t)sizeof(m))
			fatal("write");
		/* Take answers as they come, so neither side blocks. */
		while (g_main_context_iteration(ctx, FALSE))
			;
	}
	wait_for(&nready, n);
	stage("ICE+DTLS done, SRTP keyed", n);

	/* Let consent checks and timers settle, as in a held call. */
	{
		gint64 end = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;

		while (g_get_monotonic_time() < end)
			if (!g_main_context_iteration(ctx, FALSE))
				g_usleep(1000);
	}
	wait_for(&nretired, n);
	stage("DTLS retired, 2 s later", n);
	malloc_trim(0);
	stage("after malloc_trim(0)", n);

	printf("%-28s %8.1f KiB malloc %8.1f KiB RSS %8.1f KiB anon  per call"
	    "\n", "total", ((double)last.heap - (double)heap0) / 1024.0 / n,
	    (double)(last.rss - rss0) / n, (double)(last.anon - anon0) / n);

	/* For scale: what a DTLS session holds before it has said a word. */
	{
		struct dtls_callbacks	 dcb = { no_send, NULL, NULL, NULL };
		struct dtls_session	*ds[MAXCALLS];

		stage("", 0);
		for (i = 0; i < n; i++)
			if ((ds[i] = dtls_session_new(DTLS_ROLE_SERVER,
			    dtls_local_fingerprint(), &dcb)) == NULL)
				fatalx("dtls_session_new");
		stage("(dtls_session_new alone)", n);
		for (i = 0; i < n; i++)
			dtls_session_free(ds[i]);
	}

	for (i = 0; i < n; i++) {
		ice_leg_free(legs[i]);
		rtp_leg_free(rtp[i]);
	}
	close(sp[0]);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	return (0);
}
