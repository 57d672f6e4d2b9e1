/*
 * 50 calls at once through one real mediad, driven alone as in
 * test_mediad_call: this program plays its parent, sipd (a UDP socket per
 * call as the PBX's RTP) and kandyd (a libmedia WebRTC far end per call
 * answering mediad's offer).  Each call carries its own tone each way
 * (PBX side 400 + 50 i Hz, far side 425 + 50 i Hz); every call's far end
 * must receive its own PBX's packets, byte for byte, and its own tone,
 * and the same toward the PBX.  Then the parent asks for the figures of
 * every call (CTL_SHOW_MEDIA) and sipd frees them all, getting each
 * call's record figures (MEDIA_STATS).
 *
 *	test_mediad_many MEDIAD-BINARY [NCALLS]
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "cfg.h"
#include "dtls.h"
#include "g711.h"
#include "ice.h"
#include "ipc.h"
#include "log.h"
#include "media.h"
#include "mediad_drive.h"
#include "rtp.h"
#include "srtp.h"

#define MAXCALLS	64
#define NPKT		50		/* 1 s of audio each way */
#define CALL_BASE	0x5eed000000000000ULL
#define SETUP_S		45

struct tcall {
	uint64_t		 id;
	int			 n;
	int			 pbx_sock;
	struct sockaddr_in	 to;		/* mediad's RTP port for it */
	struct ice_leg		*far;
	int			 have_rtp_local;
	int			 sent_web_remote;
	int			 far_gathered, far_ready, far_failed;
	uint8_t			 pbx_sent[NPKT][DRIVE_SAMPLES];
	uint8_t			 far_sent[NPKT][DRIVE_SAMPLES];
	int			 far_intact, pbx_intact;
	int			 far_foreign, pbx_foreign;	/* not ours */
	double			 far_own, far_other;	/* tone power */
	double			 pbx_own, pbx_other;
	int			 rows, stats;
	char			 record[1300];
};

static struct ipc_conn	 parent, sipd, kandyd;
static struct tcall	 calls[MAXCALLS];
static int		 ncalls = 50;
static int		 nready, nrows, nstats, ended;

static double
pbx_freq(int i)
{
	return (400.0 + 50.0 * i);
}

static double
far_freq(int i)
{
	return (425.0 + 50.0 * i);
}

static struct tcall *
call_of(uint64_t id)
{
	if (id < CALL_BASE || id >= CALL_BASE + (uint64_t)ncalls)
		return (NULL);
	return (&calls[id - CALL_BASE]);
}

/* Payload of packet k of call c's stream?  -1: of no packet of it. */
static int
sent_index(uint8_t sent[][DRIVE_SAMPLES], const uint8_t *p)
{
	int	 k;

	for (k = 0; k < NPKT; k++)
		if (memcmp(sent[k], p, DRIVE_SAMPLES) == 0)
			return (k);
	return (-1);
}

static void
hear(const struct rtp_hdr *h, double own, double other, double *p_own,
    double *p_other)
{
	int16_t	 x[DRIVE_SAMPLES];
	int	 i;

	for (i = 0; i < DRIVE_SAMPLES; i++)
		x[i] = g711_ulaw_decode(h->payload[i]);
	*p_own += tone_power(x, DRIVE_SAMPLES, own, 8000);
	*p_other += tone_power(x, DRIVE_SAMPLES, other, 8000);
}

static void
far_event(struct ice_leg *l, enum ice_event ev, void *arg)
{
	struct tcall	*c = arg;

	if (ev == ICE_EV_GATHERED)
		c->far_gathered = 1;
	else if (ev == ICE_EV_READY && !c->far_ready) {
		c->far_ready = 1;
		nready++;
	} else if (ev == ICE_EV_FAILED)
		c->far_failed = 1;
}

static void
far_rtp(struct ice_leg *l, uint8_t *buf, size_t len, void *arg)
{
	struct tcall	*c = arg;
	struct rtp_hdr	 h;

	if (rtp_parse(buf, len, &h) == -1 || h.pt != 0 ||
	    h.paylen != DRIVE_SAMPLES)
		return;
	if (sent_index(c->pbx_sent, h.payload) != -1)
		c->far_intact++;
	else
		c->far_foreign++;
	/* Its own tone, against the next call's. */
	hear(&h, pbx_freq(c->n), pbx_freq(c->n + 1), &c->far_own,
	    &c->far_other);
}

static void
far_rtcp(struct ice_leg *l, uint8_t *buf, size_t len, void *arg)
{
}

static void
pbx_receive(struct tcall *c)
{
	struct rtp_hdr	 h;
	uint8_t		 buf[1500];
	ssize_t		 n;

	while ((n = recv(c->pbx_sock, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		if (rtp_parse(buf, n, &h) == -1 || h.pt != 0 ||
		    h.paylen != DRIVE_SAMPLES)
			continue;
		if (sent_index(c->far_sent, h.payload) != -1)
			c->pbx_intact++;
		else
			c->pbx_foreign++;
		hear(&h, far_freq(c->n), far_freq(c->n + 1), &c->pbx_own,
		    &c->pbx_other);
	}
}

/* The far end's answer: PCMU only. */
static void
far_answer(struct tcall *c)
{
	struct media_webrtc_desc	 d;

	if (ice_leg_local_desc(c->far, &d) == -1)
		errx(1, "call %d: far end has no description", c->n);
	d.ncodecs = 1;
	d.codecs[0] = (struct media_codec_desc){ CODEC_PCMU, 0, 1, 8000 };
	d.dir = MEDIA_SENDRECV;
	d.rtcp_mux = 1;
	ipc_send(&kandyd, IMSG_MEDIA_WEBRTC_REMOTE, c->id, -1, &d, sizeof(d));
	c->sent_web_remote = 1;
}

static void
take_web_local(struct tcall *c, struct ipc_msg *m)
{
	struct media_webrtc_desc	 d;
	const void			*p;
	size_t				 len;

	if (ipc_unpack(m, &p, &len) == -1 || len != sizeof(d))
		errx(1, "bad MEDIA_WEBRTC_LOCAL");
	memcpy(&d, p, sizeof(d));
	if (ice_leg_set_remote(c->far, &d) == -1 ||
	    ice_leg_gather(c->far) == -1)
		errx(1, "call %d: far end refused mediad's offer", c->n);
}

static void
take_rtp_local(struct tcall *c, struct ipc_msg *m)
{
	struct media_rtp_desc	 d;
	const void		*p;
	size_t			 len;

	if (ipc_unpack(m, &p, &len) == -1 || len != sizeof(d))
		errx(1, "bad MEDIA_RTP_LOCAL");
	memcpy(&d, p, sizeof(d));
	if (d.addr.ss_family != AF_INET)
		errx(1, "call %d: MEDIA_RTP_LOCAL not IPv4", c->n);
	memcpy(&c->to, &d.addr, sizeof(c->to));
	c->have_rtp_local = 1;
}

static void
take_row(struct ipc_msg *m)
{
	const char	*leg, *state, *path;
	uint64_t	 id, pin, pout, bin, bout;
	uint32_t	 lost, jit, plost, pjit, rtt, mos;
	struct tcall	*c;

	ipc_unpack(m, &id, &leg, &pin, &pout, &bin, &bout, &lost, &jit,
	    &plost, &pjit, &rtt, &mos, &state, &path);
	if ((c = call_of(id)) == NULL)
		errx(1, "CTL_MEDIA for unknown call %016llx",
		    (unsigned long long)id);
	nrows++;
	/* Each leg received and sent its second of audio, without loss. */
	if (pin >= NPKT * 9 / 10 && pout >= NPKT * 9 / 10 && lost == 0 &&
	    mos > 400 && bin > 0 && bout > 0)
		c->rows++;
	else
		printf("call %d %s leg: in %llu out %llu lost %u MOS %u "
		    "(%s, %s)\n", c->n, leg, (unsigned long long)pin,
		    (unsigned long long)pout, lost, mos, state, path);
}

static void
messages(struct ipc_conn *conn)
{
	struct ipc_msg	 m;
	struct tcall	*c;
	const char	*s;
	uint32_t	 ev;

	if (ipc_fill(conn) == 0)
		errx(1, "mediad closed the %s channel", proc_name(conn->self));
	while (ipc_next(conn, &m) == 1) {
		if (m.hdr.type == IMSG_CTL_MEDIA) {
			take_row(&m);
			continue;
		}
		if (m.hdr.type == IMSG_CTL_END) {
			ended = 1;
			continue;
		}
		if ((c = call_of(m.hdr.call)) == NULL)
			continue;
		switch (m.hdr.type) {
		case IMSG_MEDIA_RTP_LOCAL:
			take_rtp_local(c, &m);
			break;
		case IMSG_MEDIA_WEBRTC_LOCAL:
			take_web_local(c, &m);
			break;
		case IMSG_MEDIA_EVENT:
			ipc_unpack(&m, &ev, &s);
			if (ev != MEDIA_EV_ICE_CONNECTED &&
			    ev != MEDIA_EV_DTLS_CONNECTED)
				printf("call %d: MEDIA_EVENT %u %s\n", c->n,
				    ev, s);
			break;
		case IMSG_MEDIA_STATS:
			ipc_unpack(&m, &s);
			strlcpy(c->record, s, sizeof(c->record));
			c->stats++;
			nstats++;
			break;
		}
	}
}

/* GLib, the channels and the PBX sockets for ms or until *until >= want. */
static void
run(int ms, int *until, int want)
{
	struct pollfd	 pfd[3];
	gint64		 end = g_get_monotonic_time() + ms * 1000LL;
	int		 i;

	while (g_get_monotonic_time() < end &&
	    (until == NULL || *until < want)) {
		while (g_main_context_iteration(NULL, FALSE))
			;
		for (i = 0; i < ncalls; i++)
			if (calls[i].far_gathered && !calls[i].sent_web_remote)
				far_answer(&calls[i]);
		drive_flush(&kandyd);
		pfd[0].fd = sipd.fd;
		pfd[1].fd = kandyd.fd;
		pfd[2].fd = parent.fd;
		pfd[0].events = pfd[1].events = pfd[2].events = POLLIN;
		if (poll(pfd, 3, 2) > 0) {
			if (pfd[0].revents)
				messages(&sipd);
			if (pfd[1].revents)
				messages(&kandyd);
			if (pfd[2].revents)
				messages(&parent);
		}
		for (i = 0; i < ncalls; i++)
			pbx_receive(&calls[i]);
	}
}

static void
configure(void)
{
	struct cfg_media	 cm;
	struct ipc_msg		 m;
	struct pollfd		 p;
	int			 i, acked = 0;

	memset(&cm, 0, sizeof(cm));
	cm.rtp_low = 33000;
	cm.rtp_high = 33999;
	cm.ncodecs = 1;
	cm.codecs[0] = CODEC_PCMU;
	cm.timeout = 30;
	strlcpy(cm.public_address, "127.0.0.1", sizeof(cm.public_address));
	ipc_send(&parent, IMSG_CFG_BEGIN, 0, -1, 1);
	ipc_send(&parent, IMSG_CFG_MEDIA, 0, -1, &cm, sizeof(cm));
	ipc_send(&parent, IMSG_CFG_DONE, 0, -1, 1);
	drive_flush(&parent);
	for (i = 0; i < 1000 && !acked; i++) {
		p.fd = parent.fd;
		p.events = POLLIN;
		if (poll(&p, 1, 10) <= 0 || ipc_fill(&parent) <= 0)
			continue;
		while (ipc_next(&parent, &m) == 1)
			if (m.hdr.type == IMSG_CFG_ACK)
				acked = 1;
	}
	if (!acked)
		errx(1, "no CFG_ACK from mediad");
}

static void
call_start(struct tcall *c, int n)
{
	struct ice_callbacks	 icb = { far_event, far_rtp, far_rtcp, c };
	struct media_rtp_desc	 pbx;
	struct ice_config	 ic;
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof(sin);

	c->n = n;
	c->id = CALL_BASE + n;
	if ((c->pbx_sock = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		err(1, "socket");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(c->pbx_sock, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(c->pbx_sock, (struct sockaddr *)&sin, &slen) == -1)
		err(1, "bind");
	memset(&pbx, 0, sizeof(pbx));
	memcpy(&pbx.addr, &sin, sizeof(sin));
	pbx.dir = MEDIA_SENDRECV;
	pbx.ptime = 20;
	pbx.ncodecs = 1;
	pbx.codecs[0] = (struct media_codec_desc){ CODEC_PCMU, 0, 1, 8000 };

	memset(&ic, 0, sizeof(ic));
	ic.ctx = g_main_context_default();
	ic.nlocal = 1;
	sin.sin_port = 0;
	memcpy(&ic.local[0], &sin, sizeof(sin));
	if ((c->far = ice_leg_new(&ic, &icb)) == NULL)
		errx(1, "far end leg");
	ipc_send(&sipd, IMSG_MEDIA_ALLOC, c->id, -1, 0);
	ipc_send(&sipd, IMSG_MEDIA_RTP_REMOTE, c->id, -1, &pbx, sizeof(pbx));
}

int
main(int argc, char *argv[])
{
	struct tcall	*c;
	uint8_t		 buf[512];
	gint64		 t0, t_ready;
	size_t		 n;
	pid_t		 pid;
	int		 i, k, failed = 0, bad;

	if (argc != 2 && argc != 3)
		errx(2, "usage: test_mediad_many mediad [ncalls]");
	if (argc == 3 && ((ncalls = atoi(argv[2])) < 1 || ncalls > MAXCALLS))
		errx(2, "1 to %d calls", MAXCALLS);
	drive_init();
	pid = drive_start(argv[1], &parent, &sipd, &kandyd);
	configure();

	t0 = g_get_monotonic_time();
	for (i = 0; i < ncalls; i++)
		call_start(&calls[i], i);
	drive_flush(&sipd);
	run(SETUP_S * 1000, &nready, ncalls);
	t_ready = g_get_monotonic_time();
	printf("%d of %d calls up (ICE, DTLS-SRTP) in %.1f s\n", nready,
	    ncalls, (t_ready - t0) / 1e6);
	if (nready < ncalls) {
		for (i = 0; i < ncalls; i++)
			if (!calls[i].far_ready)
				printf("call %d: RTP side %s, far end gathered "
				    "%d, answered %d, failed %d\n", i,
				    calls[i].have_rtp_local ? "in" : "missing",
				    calls[i].far_gathered,
				    calls[i].sent_web_remote,
				    calls[i].far_failed);
		errx(1, "not every call came up");
	}

	/* One second of each call's tones, both ways, 20 ms apart. */
	for (k = 0; k < NPKT; k++) {
		for (i = 0; i < ncalls; i++) {
			c = &calls[i];
			n = drive_tone_packet(buf, sizeof(buf), pbx_freq(i), k,
			    0x10000000 + i);
			memcpy(c->pbx_sent[k], buf + n - DRIVE_SAMPLES,
			    DRIVE_SAMPLES);
			sendto(c->pbx_sock, buf, n, 0,
			    (struct sockaddr *)&c->to, sizeof(c->to));
			n = drive_tone_packet(buf, sizeof(buf), far_freq(i), k,
			    0x20000000 + i);
			memcpy(c->far_sent[k], buf + n - DRIVE_SAMPLES,
			    DRIVE_SAMPLES);
			ice_leg_send_rtp(c->far, buf, n);
		}
		run(20, NULL, 0);
	}
	run(1000, NULL, 0);

	bad = 0;
	for (i = 0; i < ncalls; i++) {
		c = &calls[i];
		if (c->far_intact >= NPKT * 9 / 10 &&
		    c->pbx_intact >= NPKT * 9 / 10 &&
		    c->far_foreign == 0 && c->pbx_foreign == 0 &&
		    c->far_own > 10 * c->far_other &&
		    c->pbx_own > 10 * c->pbx_other)
			continue;
		bad++;
		printf("call %d: far end %d/%d intact, %d foreign, %.0f Hz "
		    "%.2f vs %.2f; PBX %d/%d intact, %d foreign, %.0f Hz "
		    "%.2f vs %.2f\n", i, c->far_intact, NPKT, c->far_foreign,
		    pbx_freq(i), c->far_own, c->far_other, c->pbx_intact,
		    NPKT, c->pbx_foreign, far_freq(i), c->pbx_own,
		    c->pbx_other);
	}
	printf("audio: %d of %d calls carried their own tones both ways, "
	    "intact\n", ncalls - bad, ncalls);
	if (bad != 0)
		failed = 1;

	/* The parent asks for every call's figures, as bridgectl does. */
	ipc_send(&parent, IMSG_CTL_SHOW_MEDIA, 77, -1, (uint64_t)0);
	drive_flush(&parent);
	run(10000, &ended, 1);
	for (i = 0, bad = 0; i < ncalls; i++)
		if (calls[i].rows != 2)
			bad++;
	printf("figures: %d rows, %d calls with both legs counted and no "
	    "loss\n", nrows, ncalls - bad);
	if (!ended || nrows != 2 * ncalls || bad != 0)
		failed = 1;

	/* sipd frees every call and gets each one's record figures. */
	for (i = 0; i < ncalls; i++)
		ipc_send(&sipd, IMSG_MEDIA_FREE, calls[i].id, -1);
	drive_flush(&sipd);
	run(10000, &nstats, ncalls);
	for (i = 0, bad = 0; i < ncalls; i++)
		if (calls[i].stats != 1 ||
		    strstr(calls[i].record, "pbx_rx=") == NULL ||
		    strstr(calls[i].record, "pbx_lost=0 ") == NULL ||
		    strstr(calls[i].record, "kandy_lost=0 ") == NULL)
			bad++;
	printf("records: %d MEDIA_STATS, %d as expected; call 0: %s\n",
	    nstats, ncalls - bad, calls[0].record);
	if (bad != 0)
		failed = 1;

	for (i = 0; i < ncalls; i++) {
		ice_leg_free(calls[i].far);
		close(calls[i].pbx_sock);
	}
	if (drive_stop(pid))
		failed = 1;
	printf("%s: %d concurrent calls, %.1f s in all\n", failed ? "FAIL" :
	    "ok", ncalls, (g_get_monotonic_time() - t0) / 1e6);
	return (failed);
}
