/*
 * Load on a real mediad: N concurrent G.711 20 ms calls, each with its
 * RTP leg toward "3CX" (one UDP socket of ours for every call) and its
 * WebRTC leg toward an echo peer built from libmedia (ICE, DTLS-SRTP),
 * in this process.  mediad is driven over its IPC socketpairs as its
 * own tests do: we are its parent, sipd and kandyd.
 *
 * Every PBX packet carries its call and its send time (monotonic µs);
 * the echo peer notes the one-way delay, stamps the packet again and
 * sends it back, and the PBX side notes that delay too.  For each step
 * of N: loss each way, p50/p99 of the one-way delay (mediad plus the
 * kernel's loopback, to the kernel's time of arrival on our socket, so
 * not our own scheduling), mediad's CPU time
 * (/proc/PID/stat) per call-second and per relayed packet, and its RSS
 * growth per call.
 *
 * The echo peers run the way mediad runs its calls: each on a GLib
 * context of its own driven from one libevent loop (gloop.c), reading
 * their selected sockets directly, so that the generator's cost per
 * packet does not grow with the number of calls and the relay, not the
 * generator, is what is measured.
 *
 *	mediad_load MEDIAD [SECONDS [N ...]]
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <glib.h>
#include <glib-unix.h>

#include "cfg.h"
#include "dtls.h"
#include "fdwatch.h"
#include "gloop.h"
#include "ice.h"
#include "ipc.h"
#include "log.h"
#include "media.h"
#include "rtp.h"
#include "srtp.h"

#include "mediad_drive.h"

#include "loadsend.h"
#include "loadstat.h"

#define MAXCALLS	2000
#define CALLBASE	0x4c4f414400000000ULL	/* "LOAD" */
#define PT_EV		101
#define SETUP_MAX	200	/* calls set up together */

struct call {
	uint64_t		 id;
	struct ice_leg		*far;
	struct gloop		*loop;		/* far's GLib context */
	void			*taken;		/* its socket, from gloop */
	int			 far_fd;	/* that socket, -1: none */
	struct sockaddr_in	 to;		/* mediad's RTP port */
	struct media_webrtc_desc web;
	int			 have_rtp, have_web, gathered, ready, failed;
	uint16_t		 seq, far_seq;
};

static struct call	 calls[MAXCALLS];
static int		 ncalls;
static struct ipc_conn	 parent, sipd, kandyd;
static int		 pbx_sock;
static struct sockaddr_in pbx_addr;
static struct load_dir	 to_far, to_pbx, late;
static int		 sending, sending_done;
static struct load_sched sched;
static struct event_base *base;

static struct call *
call_of(uint64_t id)
{
	uint64_t	 i = id - CALLBASE;

	return (i < (uint64_t)ncalls ? &calls[i] : NULL);
}

static void
far_event(struct ice_leg *l, enum ice_event ev, void *arg)
{
	struct call	*c = arg;

	if (ev == ICE_EV_GATHERED)
		c->gathered = 1;
	else if (ev == ICE_EV_READY)
		c->ready = 1;
	else if (ev == ICE_EV_FAILED)
		c->failed = 1;
}

/*
 * The echo legs take their sockets from gloop (fdwatch.h) through us, so
 * that we know each call's socket and can ask the kernel when its last
 * packet came.
 */
static void *
far_take(GMainContext *ctx, int fd, void (*cb)(int, void *), void *leg)
{
	void	*t;
	int	 i;

	if ((t = gloop_watcher.take(ctx, fd, cb, leg)) == NULL)
		return (NULL);
	for (i = 0; i < ncalls; i++)
		if (calls[i].far == leg) {
			calls[i].taken = t;
			calls[i].far_fd = fd;
		}
	return (t);
}

static void
far_give(void *t)
{
	int	 i;

	for (i = 0; i < ncalls; i++)
		if (calls[i].taken == t) {
			calls[i].taken = NULL;
			calls[i].far_fd = -1;
		}
	gloop_watcher.give(t);
}

static struct fd_watcher far_watcher;

/*
 * The echo: note the delay, stamp again, send back.  The delay runs to
 * the kernel's time of arrival when the packet came on the leg's own
 * socket (the fast path: every packet once media flows), else to now.
 */
static void
far_rtp(struct ice_leg *l, uint8_t *buf, size_t len, void *arg)
{
	struct call	*c = arg;
	struct rtp_hdr	 h;
	uint64_t	 now = g_get_monotonic_time(), at, sent;

	if (rtp_parse(buf, len, &h) == -1 || h.paylen != LOAD_SAMPLES)
		return;
	sent = load_stamp(h.payload);
	if ((at = load_rx_time(c->far_fd)) < sent || at > now)
		at = now;
	if (sending)
		load_note(&to_far, at - sent);
	load_restamp(buf + (h.payload - buf), now);
	put16(buf + 2, ++c->far_seq);
	ice_leg_send_rtp(l, buf, len);
}

static void
far_rtcp(struct ice_leg *l, uint8_t *buf, size_t len, void *arg)
{
}

static gboolean
peer_readable(gint fd, GIOCondition cond, gpointer arg)
{
	struct ipc_conn	*ic = arg;
	struct ipc_msg	 m;
	struct call	*c;
	const void	*p;
	size_t		 len;

	if (ipc_fill(ic) == 0)
		errx(1, "mediad closed the %s channel", proc_name(ic->self));
	while (ipc_next(ic, &m) == 1) {
		if ((c = call_of(m.hdr.call)) == NULL)
			continue;
		switch (m.hdr.type) {
		case IMSG_MEDIA_RTP_LOCAL:
			if (ipc_unpack(&m, &p, &len) == -1 ||
			    len != sizeof(struct media_rtp_desc))
				errx(1, "bad MEDIA_RTP_LOCAL");
			memcpy(&c->to, &((const struct media_rtp_desc *)p)->addr,
			    sizeof(c->to));
			c->have_rtp = 1;
			break;
		case IMSG_MEDIA_WEBRTC_LOCAL:
			if (ipc_unpack(&m, &p, &len) == -1 ||
			    len != sizeof(c->web))
				errx(1, "bad MEDIA_WEBRTC_LOCAL");
			memcpy(&c->web, p, len);
			c->have_web = 1;
			break;
		default:
			break;
		}
	}
	return (G_SOURCE_CONTINUE);
}

/* Runs the loop for ms milliseconds, or until done() says so. */
static void
run(int ms, int (*done)(int), int arg)
{
	gint64	 end = g_get_monotonic_time() + ms * 1000LL;

	while (g_get_monotonic_time() < end && (done == NULL || !done(arg)))
		event_base_loop(base, EVLOOP_ONCE);
}

static gboolean
wake(gpointer arg)
{
	return (G_SOURCE_CONTINUE);
}

static int
all_local(int upto)
{
	int	 i;

	for (i = 0; i < upto; i++)
		if (!calls[i].have_rtp || !calls[i].have_web)
			return (0);
	return (1);
}

static int
all_gathered(int upto)
{
	int	 i;

	for (i = 0; i < upto; i++)
		if (calls[i].far != NULL && !calls[i].gathered)
			return (0);
	return (1);
}

static int
all_ready(int upto)
{
	int	 i;

	for (i = 0; i < upto; i++)
		if (!calls[i].ready && !calls[i].failed)
			return (0);
	return (1);
}

/* Calls [from, to): the PBX offers, mediad offers the far end, it answers. */
static int
add_calls(int from, int to)
{
	struct ice_callbacks	 icb = { far_event, far_rtp, far_rtcp, NULL };
	struct media_rtp_desc	 pbx;
	struct media_webrtc_desc d;
	struct ice_config	 ic;
	struct call		*c;
	int			 i, ready = 0;

	memset(&pbx, 0, sizeof(pbx));
	memcpy(&pbx.addr, &pbx_addr, sizeof(pbx_addr));
	pbx.dir = MEDIA_SENDRECV;
	pbx.ptime = 20;
	pbx.ncodecs = 2;
	pbx.codecs[0] = (struct media_codec_desc){ CODEC_PCMU, 0, 1, 8000 };
	pbx.codecs[1] = (struct media_codec_desc){ CODEC_TELEPHONE_EVENT,
	    PT_EV, 1, 8000 };
	ncalls = to;
	for (i = from; i < to; i++) {
		c = &calls[i];
		memset(c, 0, sizeof(*c));
		c->id = CALLBASE + i;
		c->far_fd = -1;
		ipc_send(&sipd, IMSG_MEDIA_ALLOC, c->id, -1, 0);
		ipc_send(&sipd, IMSG_MEDIA_RTP_REMOTE, c->id, -1, &pbx,
		    sizeof(pbx));
		drive_flush(&sipd);
	}
	run(30000, all_local, to);
	memset(&ic, 0, sizeof(ic));
	far_watcher = gloop_watcher;
	far_watcher.take = far_take;
	far_watcher.give = far_give;
	ic.fdw = &far_watcher;
	ic.dtls_retire = 1;
	/*
	 * Kandy's media servers are other hosts.  Here the far end shares
	 * the kernel, and a steered socket's selector would run in mediad's
	 * sendto (loopback delivers in the sender's context) and be billed
	 * to the relay; rtpengine_load's far end is a plain socket too.
	 */
	ic.no_steer = 1;
	ic.nlocal = 1;
	memcpy(&ic.local[0], &pbx_addr, sizeof(pbx_addr));
	((struct sockaddr_in *)&ic.local[0])->sin_port = 0;
	for (i = from; i < to; i++) {
		c = &calls[i];
		if (!c->have_web)
			continue;
		icb.arg = c;
		if ((c->loop = gloop_new()) == NULL)
			errx(1, "far end context %d", i);
		ic.ctx = gloop_context(c->loop);
		if ((c->far = ice_leg_new(&ic, &icb)) == NULL ||
		    ice_leg_set_remote(c->far, &c->web) == -1 ||
		    ice_leg_gather(c->far) == -1)
			errx(1, "far end leg %d", i);
		gloop_refresh(c->loop);
	}
	run(30000, all_gathered, to);
	for (i = from; i < to; i++) {
		c = &calls[i];
		if (!c->gathered || ice_leg_local_desc(c->far, &d) == -1)
			continue;
		d.ncodecs = 1;
		d.codecs[0] = (struct media_codec_desc){ CODEC_PCMU, 0, 1,
		    8000 };
		d.dir = MEDIA_SENDRECV;
		d.rtcp_mux = 1;
		ipc_send(&kandyd, IMSG_MEDIA_WEBRTC_REMOTE, c->id, -1, &d,
		    sizeof(d));
		drive_flush(&kandyd);
	}
	run(60000, all_ready, to);
	for (i = 0; i < to; i++)
		ready += calls[i].ready;
	return (ready);
}

/* The PBX side of call i (loadsend.h): mediad's RTP port once it is up. */
static const struct sockaddr_in *
pbx_dest(int i, uint16_t **seq)
{
	struct call	*c = &calls[i];

	*seq = &c->seq;
	return (c->ready ? &c->to : NULL);
}

static void
pbx_tick(evutil_socket_t fd, short what, void *arg)
{
	if (load_sched_tick(&sched))
		sending_done = 1;
}

static void
pbx_readable(evutil_socket_t fd, short what, void *arg)
{
	load_pbx_receive(pbx_sock, &to_pbx, sending);
}

/*
 * Sends one packet per call every 20 ms, the calls spread over the 20 ms.
 * Only the tick wakes us: the echoes and the PBX side's reads wait for it
 * and go in one turn of the loop (their delays run to the kernel's time
 * of arrival), not a wake-up each.
 */
static void
load_window(int n, int seconds)
{
	struct pollfd	 p = { sched.tfd, POLLIN, 0 };

	sending_done = 0;
	load_sched_start(&sched, n, seconds);
	while (!sending_done) {
		if (poll(&p, 1, -1) == -1 && errno != EINTR)
			err(1, "poll");
		event_base_loop(base, EVLOOP_NONBLOCK);
	}
	/* The last packets' echoes. */
	run(300, NULL, 0);
}

int
main(int argc, char *argv[])
{
	int		 steps_default[] = { 50, 100, 200, 400, 800 };
	int		 steps[16], nsteps = 0, seconds = 5, i, n, up, added;
	int		 best = 0;
	struct cfg_media cm;
	struct ipc_msg	 m;
	struct load_proc p0, pi, pa, pb, ga, gb, ps, pu;
	struct event	*ev_pbx, *ev_tick;
	pid_t		 pid;
	int		 acked = 0;

	if (argc < 2)
		errx(2, "usage: mediad_load MEDIAD [SECONDS [N ...]]");
	if (argc > 2)
		seconds = atoi(argv[2]);
	for (i = 3; i < argc && nsteps < 16; i++)
		if ((n = atoi(argv[i])) > 0 && n <= MAXCALLS)
			steps[nsteps++] = n;
	if (nsteps == 0) {
		memcpy(steps, steps_default, sizeof(steps_default));
		nsteps = 5;
	}
	/* Root (mediad drops privileges), DTLS and SRTP as the tests have. */
	drive_init();
	/* The relay inherits the limit across the exec. */
	load_nofile(MAXCALLS);
	/*
	 * Two priorities: the tick runs before the echoes ready with it.
	 * (A limit on the callbacks run between two polls would hold the
	 * tick less behind a burst of echoes, but then EVLOOP_ONCE does not
	 * return while echoes keep coming, and run() overshoots.)
	 */
	if ((base = event_base_new()) == NULL ||
	    event_base_priority_init(base, 2) == -1)
		errx(1, "event_base_new");
	gloop_init(base);

	/* We are its parent, sipd and kandyd, as in mediad's own tests. */
	pid = drive_start_quiet(argv[1], &parent, &sipd, &kandyd);
	load_nice();
	load_relay_nice(pid);
	drive_flush(&parent);
	g_unix_fd_add(sipd.fd, G_IO_IN, peer_readable, &sipd);
	g_unix_fd_add(kandyd.fd, G_IO_IN, peer_readable, &kandyd);
	memset(&cm, 0, sizeof(cm));
	/* Below the kernel's ephemeral ports (32768-): room for 2,000 calls. */
	cm.rtp_low = 20000;
	cm.rtp_high = 32767;
	cm.ncodecs = 1;
	cm.codecs[0] = CODEC_PCMU;
	cm.telephone_event = 1;
	cm.timeout = 60;
	strlcpy(cm.public_address, "127.0.0.1", sizeof(cm.public_address));
	ipc_send(&parent, IMSG_CFG_BEGIN, 0, -1, 1);
	ipc_send(&parent, IMSG_CFG_MEDIA, 0, -1, &cm, sizeof(cm));
	ipc_send(&parent, IMSG_CFG_DONE, 0, -1, 1);
	drive_flush(&parent);
	for (i = 0; i < 1000 && !acked; i++) {
		struct pollfd	 p = { parent.fd, POLLIN, 0 };

		if (poll(&p, 1, 10) <= 0 || ipc_fill(&parent) <= 0)
			continue;
		while (ipc_next(&parent, &m) == 1)
			if (m.hdr.type == IMSG_CFG_ACK)
				acked = 1;
	}
	if (!acked)
		errx(1, "no CFG_ACK from mediad");
	/* Statistics and events to the parent: read and dropped. */
	g_unix_fd_add(parent.fd, G_IO_IN, peer_readable, &parent);
	g_timeout_add(5, wake, NULL);

	pbx_sock = load_pbx_socket(&pbx_addr);
	/* The ticks before anything else ready at the same time. */
	if ((ev_pbx = event_new(base, pbx_sock, EV_READ | EV_PERSIST,
	    pbx_readable, NULL)) == NULL || event_add(ev_pbx, NULL) == -1)
		errx(1, "pbx socket event");
	load_sched_init(&sched, pbx_sock, pbx_dest, &to_far, &late);
	if ((ev_tick = event_new(base, sched.tfd, EV_READ | EV_PERSIST,
	    pbx_tick, NULL)) == NULL || event_priority_set(ev_tick, 0) == -1 ||
	    event_add(ev_tick, NULL) == -1)
		errx(1, "timer event");
	/* IPC and the 5 ms wake-up stay on the default one. */
	if (gloop_adopt(g_main_context_default()) == NULL)
		errx(1, "gloop_adopt");

	run(500, NULL, 0);
	if (load_proc_read(pid, &p0) == -1)
		errx(1, "mediad's /proc entry");
	printf("mediad pid %d, idle RSS %lu KiB; %d s per step\n", (int)pid,
	    p0.rss_kib, seconds);
	load_header();
	for (i = 0; i < nsteps; i++) {
		if (steps[i] <= ncalls)
			continue;
		/* 800 handshakes at once time out; 200 at a time do not. */
		load_proc_read(pid, &ps);
		added = steps[i] - ncalls;
		for (up = 0; ncalls < steps[i];)
			up = add_calls(ncalls, ncalls + SETUP_MAX < steps[i] ?
			    ncalls + SETUP_MAX : steps[i]);
		load_proc_read(pid, &pu);
		/* ICE, DTLS and IPC of the calls added, with the rest idle. */
		printf("# set-up of %d calls: mediad %.0f us of CPU per call\n",
		    added, (double)(pu.cpu_ns - ps.cpu_ns) / 1e3 / added);
		run(LOAD_SETTLE_MS, NULL, 0);
		load_proc_read(pid, &pi);
		run(LOAD_SILENT_MS, NULL, 0);
		load_proc_read(pid, &pa);
		load_dir_reset(&to_far);
		load_dir_reset(&to_pbx);
		load_dir_reset(&late);
		load_relay_nice(pid);
		load_proc_read(pid, &pa);
		load_proc_read(getpid(), &ga);
		sending = 1;
		load_window(ncalls, seconds);
		sending = 0;
		load_proc_read(getpid(), &gb);
		load_proc_read(pid, &pb);
		to_pbx.sent = to_far.got;
		if (up == ncalls && load_report(ncalls, up, seconds, &to_far,
		    &to_pbx, &p0, &pi, &pa, &pb, &late, &ga, &gb))
			best = ncalls;
		else if (up < ncalls || load_loss(&to_far) > 5)
			break;
	}
	printf("max calls with < 0.1 %% loss and p99 < 1 ms: %d\n", best);
	return (drive_stop(pid));
}
