/*
 * CPU cost of relaying one 172-byte RTP packet from the PBX side to the
 * WebRTC side, the way mediad does it: UDP receive on the PBX leg, stream
 * continuity rewrite, SRTP protect, libnice send; plus, in the same
 * process, the far end's receive and SRTP unprotect.  Loopback, one GLib
 * context.  Prints CPU microseconds per packet (median of runs).
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dtls.h"
#include "ice.h"
#include "log.h"
#include "rtp.h"
#include "rtpleg.h"
#include "rtpseq.h"

#define RUNS	5
#define BATCH	32	/* packets in flight before the loop runs */

struct bench {
	struct rtp_leg		*pbx;
	struct ice_leg		*bridge, *far;
	struct rtp_seqmap	 map;
	int			 gathered[2], ready[2];
	unsigned long		 arrived;
	uint64_t		 now;
};

static double
cpu_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (ts.tv_sec * 1e6 + ts.tv_nsec / 1e3);
}

static void
pbx_rtp(struct rtp_leg *l, uint8_t *buf, size_t len, void *arg)
{
	struct bench	*b = arg;

	b->now += 20000;
	rtp_seqmap_apply(&b->map, buf, len, b->now);
	ice_leg_send_rtp(b->bridge, buf, len);
}

static void
far_rtp(struct ice_leg *l, uint8_t *buf, size_t len, void *arg)
{
	((struct bench *)arg)->arrived++;
}

static void
event(struct ice_leg *l, enum ice_event ev, void *arg)
{
	struct bench	*b = arg;
	int		 i = l == b->bridge ? 0 : 1;

	if (ev == ICE_EV_GATHERED)
		b->gathered[i] = 1;
	else if (ev == ICE_EV_READY)
		b->ready[i] = 1;
	else if (ev == ICE_EV_FAILED) {
		fprintf(stderr, "leg failed\n");
		exit(1);
	}
}

static void
loopback(struct sockaddr_storage *ss, uint16_t port)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin->sin_port = htons(port);
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

int
main(int argc, char *argv[])
{
	GMainContext		*ctx;
	static struct bench	 b;
	struct ice_config	 icfg;
	struct ice_callbacks	 icb;
	struct rtp_leg_config	 rcfg;
	struct rtp_leg_callbacks rcb;
	struct media_webrtc_desc d1, d2;
	struct media_rtp_desc	 pd;
	struct sockaddr_storage	 ss, to;
	struct rtp_hdr		 h;
	socklen_t		 len = sizeof(ss);
	uint8_t			 pkt[172];
	double			 res[RUNS], t0, baseline[RUNS];
	unsigned long		 count = 20000, i, want;
	int			 fd, run, k;
	uint16_t		 seq = 0;

	if (argc > 1)
		count = strtoul(argv[1], NULL, 10);
	log_init(1, 0, 0);
	if (dtls_init() == -1)
		return (1);
	ctx = g_main_context_new();

	loopback(&ss, 0);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return (1);
	memset(&rcfg, 0, sizeof(rcfg));
	rcfg.ctx = ctx;
	loopback(&rcfg.bind, 0);
	rcfg.port_min = 50000 + (getpid() % 50) * 100;
	rcfg.port_max = rcfg.port_min + 99;
	rcb.rtp = pbx_rtp;
	rcb.rtcp = NULL;
	rcb.arg = &b;
	if ((b.pbx = rtp_leg_new(&rcfg, &rcb)) == NULL)
		return (1);
	memset(&pd, 0, sizeof(pd));
	pd.addr = ss;
	rtp_leg_set_remote(b.pbx, &pd);
	rtp_seqmap_init(&b.map, 0x5eed, 8000, 1, 1);

	memset(&icfg, 0, sizeof(icfg));
	icfg.ctx = ctx;
	icfg.nlocal = 1;
	loopback(&icfg.local[0], 0);
	icb.event = event;
	icb.rtcp = NULL;
	icb.arg = &b;
	icfg.offerer = 1;
	icb.rtp = NULL;
	b.bridge = ice_leg_new(&icfg, &icb);
	icfg.offerer = 0;
	icb.rtp = far_rtp;
	b.far = ice_leg_new(&icfg, &icb);
	if (b.bridge == NULL || b.far == NULL)
		return (1);
	ice_leg_gather(b.bridge);
	ice_leg_gather(b.far);
	while (!(b.gathered[0] && b.gathered[1]))
		g_main_context_iteration(ctx, TRUE);
	ice_leg_local_desc(b.bridge, &d1);
	ice_leg_set_remote(b.far, &d1);
	ice_leg_local_desc(b.far, &d2);
	ice_leg_set_remote(b.bridge, &d2);
	while (!(b.ready[0] && b.ready[1]))
		g_main_context_iteration(ctx, TRUE);

	memset(&h, 0, sizeof(h));
	h.pt = 8;
	h.ssrc = 0x3cc;
	rtp_write_header(pkt, sizeof(pkt), &h);
	memset(pkt + RTP_HDRLEN, 0xd5, sizeof(pkt) - RTP_HDRLEN);
	loopback(&to, rtp_leg_port(b.pbx));

	for (run = 0; run < RUNS; run++) {
		/* The PBX's own sendto, measured alone, is subtracted. */
		t0 = cpu_us();
		for (i = 0; i < count; i++)
			sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&ss,
			    sizeof(struct sockaddr_in));
		baseline[run] = (cpu_us() - t0) / count;
		while (recv(fd, pkt + 100, 1, MSG_DONTWAIT) > 0)
			;
		memset(pkt + RTP_HDRLEN, 0xd5, 4);

		want = b.arrived + count;
		t0 = cpu_us();
		for (i = 0; i < count; i += BATCH) {
			for (k = 0; k < BATCH; k++) {
				put16(pkt + 2, seq++);
				sendto(fd, pkt, sizeof(pkt), 0,
				    (struct sockaddr *)&to,
				    sizeof(struct sockaddr_in));
			}
			while (g_main_context_iteration(ctx, FALSE))
				;
		}
		while (b.arrived < want - count / 100 &&
		    g_main_context_iteration(ctx, FALSE))
			;
		res[run] = (cpu_us() - t0) / count - baseline[run];
	}
	qsort(res, RUNS, sizeof(double), cmp_double);
	qsort(baseline, RUNS, sizeof(double), cmp_double);
	printf("relay PBX -> WebRTC, 172-byte RTP, median of %d runs x %lu "
	    "packets\n", RUNS, count);
	printf("  bridge step + far-end receive/unprotect: %.2f us/packet\n",
	    res[RUNS / 2]);
	printf("  (PBX sendto excluded: %.2f us/packet)\n", baseline[RUNS / 2]);
	printf("  delivered %lu of %lu\n", b.arrived, count * RUNS);
	ice_leg_free(b.bridge);
	ice_leg_free(b.far);
	rtp_leg_free(b.pbx);
	return (0);
}
