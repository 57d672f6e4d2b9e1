/*
 * A real mediad driven alone: this program plays its parent
 * (configuration), sipd (the PBX's description, a UDP socket as the PBX's
 * RTP, SIP INFO digits) and kandyd (a WebRTC far end of its own, built with
 * libmedia, answering mediad's offer).  Every packet of a tone sent by the
 * "PBX" must arrive at the far end with the very samples sent, and the
 * same the other way; each direction must be one stream (one SSRC,
 * sequence without a break); the far end's events payload type (126) is
 * not the PBX's (101); junk on mediad's RTP port must not disturb the
 * call; a MEDIA_DTMF digit must arrive at the far end as exactly one RFC
 * 4733 event on the far end's payload type, in the same stream as the
 * audio; MEDIA_FREE ends the call.
 *
 *	test_mediad_call MEDIAD-BINARY
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "cfg.h"
#include "dtmf.h"
#include "dtls.h"
#include "g711.h"
#include "ice.h"
#include "ipc.h"
#include "log.h"
#include "media.h"
#include "mediad_drive.h"
#include "rtp.h"
#include "srtp.h"

#define CALL		0x1234abcd5678ef01ULL
#define SAMPLES		DRIVE_SAMPLES
#define PBX_FREQ	1000.0
#define FAR_FREQ	697.0

static struct ipc_conn	 parent, sipd, kandyd;
static int		 pbx_sock;
static struct ice_leg	*far;
static int		 far_gathered, far_ready, far_failed;
static double		 far_heard, pbx_heard;	/* tone power, summed */
static int		 far_pkts, pbx_pkts;
static int		 events_s, events_k;	/* DTLS_CONNECTED seen */
#define NPKT		100
#define PT_EV_PBX	101
#define PT_EV_FAR	126
static uint8_t		 pbx_sent[NPKT][SAMPLES], far_sent[NPKT][SAMPLES];
static int		 far_intact, pbx_intact;
/* Inbound: what the PBX says after its answer, before DTLS is done. */
#define EARLY_PKT	15
#define EARLY_FREQ	770.0
static uint8_t		 early_sent[EARLY_PKT][SAMPLES];
static int		 early_got, early_order = 1;
/* The stream the far end receives: SSRC, sequence, events. */
static uint32_t		 far_ssrc;
static uint16_t		 far_seq;
static int		 far_any, far_breaks, far_ssrcs;
static int		 far_digits, far_digit = -1, far_ev_pkts, far_ev_ts_bad;
static uint32_t		 far_ev_ts;
static struct dtmf_rx	 far_dtmf;
static uint32_t		 pbx_ssrc;
static uint16_t		 pbx_seq;
static int		 pbx_any, pbx_breaks;
static struct media_rtp_desc	 rtp_local;
#define STUN_NAME	"stun.bridge.test"
static int		 stun_sock, stun_requests;
#define MEDIA_TIMEOUT	3	/* s */
static int		 timeouts;	/* MEDIA_EV_TIMEOUT at sipd */
static struct media_webrtc_desc	 web_local;
static int		 have_rtp_local, have_web_local;

static void
far_event(struct ice_leg *l, enum ice_event ev, void *arg)
{
	if (ev == ICE_EV_GATHERED)
		far_gathered = 1;
	else if (ev == ICE_EV_READY)
		far_ready = 1;
	else if (ev == ICE_EV_FAILED)
		far_failed = 1;
}

static void
far_rtp(struct ice_leg *l, uint8_t *buf, size_t len, void *arg)
{
	struct rtp_hdr	 h;
	int16_t		 x[SAMPLES];
	size_t		 i;

	struct rtp_dtmf	 ev;
	int		 k;

	if (rtp_parse(buf, len, &h) == -1)
		return;
	if (far_any && h.seq != (uint16_t)(far_seq + 1))
		far_breaks++;
	if (far_any && h.ssrc != far_ssrc)
		far_ssrcs++;
	far_any = 1;
	far_seq = h.seq;
	far_ssrc = h.ssrc;
	if (h.pt == PT_EV_FAR) {
		if (far_ev_pkts++ == 0)
			far_ev_ts = h.ts;
		else if (h.ts != far_ev_ts)
			far_ev_ts_bad++;
		if (dtmf_rx_packet(&far_dtmf, &h, &ev) == 1) {
			far_digits++;
			far_digit = ev.event;
		}
		return;
	}
	if (h.pt != 0 || h.paylen != SAMPLES)
		return;
	for (k = 0; k < EARLY_PKT; k++)
		if (memcmp(h.payload, early_sent[k], SAMPLES) == 0) {
			if (k != early_got)
				early_order = 0;
			early_got++;
			return;
		}
	for (k = 0; k < NPKT; k++)
		if (memcmp(h.payload, pbx_sent[k], SAMPLES) == 0) {
			far_intact++;
			break;
		}
	for (i = 0; i < SAMPLES; i++)
		x[i] = g711_ulaw_decode(h.payload[i]);
	far_heard += tone_power(x, SAMPLES, PBX_FREQ, 8000);
	far_pkts++;
}

static void
far_rtcp(struct ice_leg *l, uint8_t *buf, size_t len, void *arg)
{
}

static void
pbx_receive(void)
{
	uint8_t		 buf[1500];
	struct rtp_hdr	 h;
	int16_t		 x[SAMPLES];
	ssize_t		 n;
	int		 k;

	while ((n = recv(pbx_sock, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		if (rtp_parse(buf, n, &h) == -1 || h.pt != 0 ||
		    h.paylen != SAMPLES)
			continue;
		if (pbx_any && (h.seq != (uint16_t)(pbx_seq + 1) ||
		    h.ssrc != pbx_ssrc))
			pbx_breaks++;
		pbx_any = 1;
		pbx_seq = h.seq;
		pbx_ssrc = h.ssrc;
		for (k = 0; k < NPKT; k++)
			if (memcmp(h.payload, far_sent[k], SAMPLES) == 0) {
				pbx_intact++;
				break;
			}
		for (k = 0; k < SAMPLES; k++)
			x[k] = g711_ulaw_decode(h.payload[k]);
		pbx_heard += tone_power(x, SAMPLES, FAR_FREQ, 8000);
		pbx_pkts++;
	}
}

/* Our STUN server: a Binding success with XOR-MAPPED-ADDRESS. */
static void
stun_serve(void)
{
	struct sockaddr_in	 from;
	socklen_t		 flen = sizeof(from);
	uint8_t			 buf[1500], out[32];
	uint32_t		 a;
	ssize_t			 n;

	while ((n = recvfrom(stun_sock, buf, sizeof(buf), MSG_DONTWAIT,
	    (struct sockaddr *)&from, &flen)) > 0) {
		if (n < 20 || get16(buf) != 0x0001 ||
		    get32(buf + 4) != 0x2112a442)
			continue;
		stun_requests++;
		put16(out, 0x0101);
		put16(out + 2, 12);
		memcpy(out + 4, buf + 4, 16);	/* cookie, transaction */
		put16(out + 20, 0x0020);	/* XOR-MAPPED-ADDRESS */
		put16(out + 22, 8);
		out[24] = 0;
		out[25] = 1;			/* IPv4 */
		put16(out + 26, ntohs(from.sin_port) ^ 0x2112);
		a = ntohl(from.sin_addr.s_addr) ^ 0x2112a442;
		put32(out + 28, a);
		sendto(stun_sock, out, sizeof(out), 0,
		    (struct sockaddr *)&from, flen);
		flen = sizeof(from);
	}
}

static void
peer_messages(struct ipc_conn *c)
{
	struct ipc_msg	 m;
	const void	*p;
	const char	*detail;
	size_t		 len;
	uint32_t	 ev;

	if (ipc_fill(c) == 0)
		errx(1, "mediad closed the %s channel", proc_name(c->self));
	while (ipc_next(c, &m) == 1) {
		switch (m.hdr.type) {
		case IMSG_MEDIA_RTP_LOCAL:
			ipc_unpack(&m, &p, &len);
			if (len != sizeof(rtp_local) || m.hdr.call != CALL)
				errx(1, "bad MEDIA_RTP_LOCAL");
			memcpy(&rtp_local, p, len);
			have_rtp_local = 1;
			break;
		case IMSG_MEDIA_WEBRTC_LOCAL:
			ipc_unpack(&m, &p, &len);
			if (len != sizeof(web_local) || m.hdr.call != CALL)
				errx(1, "bad MEDIA_WEBRTC_LOCAL");
			memcpy(&web_local, p, len);
			have_web_local = 1;
			break;
		case IMSG_MEDIA_EVENT:
			ipc_unpack(&m, &ev, &detail);
			printf("%s got MEDIA_EVENT %u %s\n", proc_name(c->self),
			    ev, detail);
			if (ev == MEDIA_EV_TIMEOUT && c == &sipd)
				timeouts++;
			if (ev == MEDIA_EV_DTLS_CONNECTED)
				*(c == &sipd ? &events_s : &events_k) += 1;
			break;
		default:
			break;
		}
	}
}

/* Runs GLib and our sockets for ms milliseconds or until *flag. */
static void
run(int ms, int *flag)
{
	struct pollfd	 pfd[3];
	gint64		 end = g_get_monotonic_time() + ms * 1000LL;

	while (g_get_monotonic_time() < end && (flag == NULL || !*flag)) {
		while (g_main_context_iteration(NULL, FALSE))
			;
		pfd[0].fd = sipd.fd;
		pfd[1].fd = kandyd.fd;
		pfd[2].fd = parent.fd;
		pfd[0].events = pfd[1].events = pfd[2].events = POLLIN;
		if (poll(pfd, 3, 5) > 0) {
			if (pfd[0].revents)
				peer_messages(&sipd);
			if (pfd[1].revents)
				peer_messages(&kandyd);
			if (pfd[2].revents && ipc_fill(&parent) == 0)
				errx(1, "mediad closed its parent channel");
		}
		pbx_receive();
		stun_serve();
	}
}

/* Kandy re-offers d; mediad's answer in web_local within 2 s, if any. */
static void
kandy_reoffer(const struct media_webrtc_desc *d)
{
	have_web_local = 0;
	ipc_send(&kandyd, IMSG_MEDIA_WEBRTC_REMOTE, CALL, -1, d, sizeof(*d));
	drive_flush(&kandyd);
	run(2000, &have_web_local);
}

/*
 * Random bytes, never RTP of a payload type the PBX offered: such a packet
 * from the PBX's address would be the PBX's audio, not junk.
 */
static void
junk(uint8_t *buf, size_t len)
{
	arc4random_buf(buf, len);
	if ((buf[1] & 0x7f) == 0 || (buf[1] & 0x7f) == PT_EV_PBX)
		buf[1] ^= 0x10;
}

/* 10 packets of tone each way; what arrived where. */
static void
both_ways(const struct sockaddr_in *to, uint32_t ssrc, int base,
    int *to_far, int *to_pbx)
{
	uint8_t	 buf[512];
	size_t	 n;
	int	 f = far_pkts, p = pbx_pkts, i;

	for (i = 0; i < 10; i++) {
		n = drive_tone_packet(buf, sizeof(buf), PBX_FREQ, base + i, ssrc);
		sendto(pbx_sock, buf, n, 0, (const struct sockaddr *)to,
		    sizeof(*to));
		n = drive_tone_packet(buf, sizeof(buf), FAR_FREQ, base + i,
		    0x22222222);
		ice_leg_send_rtp(far, buf, n);
		run(20, NULL);
	}
	run(300, NULL);
	*to_far = far_pkts - f;
	*to_pbx = pbx_pkts - p;
}

/* The far end's description: PCMU, and events on its own pt. */
static int
far_desc(struct media_webrtc_desc *d)
{
	if (ice_leg_local_desc(far, d) == -1)
		return (-1);
	d->ncodecs = 2;
	d->codecs[0] = (struct media_codec_desc){ CODEC_PCMU, 0, 1, 8000 };
	d->codecs[1] = (struct media_codec_desc){ CODEC_TELEPHONE_EVENT,
	    PT_EV_FAR, 1, 8000 };
	d->dir = MEDIA_SENDRECV;
	d->rtcp_mux = 1;
	return (0);
}

int
main(int argc, char *argv[])
{
	struct cfg_media	 cm;
	struct media_rtp_desc	 pbx;
	struct media_webrtc_desc fd_desc;
	struct ice_config	 ic;
	struct ice_callbacks	 icb = { far_event, far_rtp, far_rtcp, NULL };
	struct sockaddr_in	 sin, *to;
	struct ipc_msg		 m;
	struct cfg_ice_server	 is;
	const char		*host, *serv;
	uint32_t		 rid;
	int			 acked = 0, resolved = 0, hf, hp, inbound, late;
	uint8_t			 buf[512];
	size_t			 n;
	socklen_t		 slen;
	pid_t			 pid;
	int			 i, failed = 0;

	if (argc != 2 && !(argc == 3 && (strcmp(argv[2], "inbound") == 0 ||
	    strcmp(argv[2], "late") == 0)))
		errx(2, "usage: test_mediad_call mediad [inbound | late]");
	inbound = argc == 3 && strcmp(argv[2], "inbound") == 0;
	late = argc == 3 && strcmp(argv[2], "late") == 0;
	drive_init();

	pid = drive_start(argv[1], &parent, &sipd, &kandyd);

	memset(&cm, 0, sizeof(cm));
	cm.rtp_low = 32000;
	cm.rtp_high = 32999;
	cm.ncodecs = 2;
	cm.codecs[0] = CODEC_PCMU;
	cm.codecs[1] = CODEC_PCMA;
	cm.telephone_event = 1;
	cm.timeout = MEDIA_TIMEOUT;
	strlcpy(cm.public_address, "127.0.0.1", sizeof(cm.public_address));
	ipc_send(&parent, IMSG_CFG_BEGIN, 0, -1, 1);
	ipc_send(&parent, IMSG_CFG_MEDIA, 0, -1, &cm, sizeof(cm));
	/* A STUN server by name: mediad must ask us, its parent. */
	if ((stun_sock = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		err(1, "socket");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	slen = sizeof(sin);
	if (bind(stun_sock, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(stun_sock, (struct sockaddr *)&sin, &slen) == -1)
		err(1, "stun socket");
	memset(&is, 0, sizeof(is));
	strlcpy(is.host, STUN_NAME, sizeof(is.host));
	is.port = ntohs(sin.sin_port);
	is.scheme = 0;		/* stun */
	ipc_send(&parent, IMSG_CFG_ICE_SERVER, 0, -1, &is, sizeof(is));
	ipc_send(&parent, IMSG_CFG_DONE, 0, -1, 1);
	drive_flush(&parent);
	/* Calls wait for the configuration, as in the bridge. */
	for (i = 0; i < 500 && !acked; i++) {
		struct pollfd	 p = { parent.fd, POLLIN, 0 };

		if (poll(&p, 1, 10) <= 0 || ipc_fill(&parent) <= 0)
			continue;
		while (ipc_next(&parent, &m) == 1) {
			if (m.hdr.type == IMSG_CFG_ACK)
				acked = 1;
			if (m.hdr.type != IMSG_RESOLVE ||
			    ipc_unpack(&m, &rid, &host, &serv) == -1)
				continue;
			printf("ok: mediad asked its parent for %s\n", host);
			if (strcmp(host, STUN_NAME) != 0)
				errx(1, "RESOLVE for %s", host);
			resolved = 1;
			ipc_send(&parent, IMSG_RESOLVE_ADDR, 0, -1, rid,
			    (struct sockaddr *)&sin);
			ipc_send(&parent, IMSG_RESOLVE_DONE, 0, -1, rid, 0, "");
			drive_flush(&parent);
		}
	}
	if (!acked)
		errx(1, "no CFG_ACK from mediad");
	if (!resolved)
		errx(1, "no RESOLVE for the STUN server's name");
	/* The answers reach mediad before the call does. */
	usleep(200 * 1000);

	/* The PBX's RTP socket and its offer: PCMU and events on 101. */
	if ((pbx_sock = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		err(1, "socket");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(pbx_sock, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		err(1, "bind");
	slen = sizeof(sin);
	getsockname(pbx_sock, (struct sockaddr *)&sin, &slen);
	memset(&pbx, 0, sizeof(pbx));
	memcpy(&pbx.addr, &sin, sizeof(sin));
	pbx.dir = MEDIA_SENDRECV;
	pbx.ptime = 20;
	pbx.ncodecs = 2;
	pbx.codecs[0] = (struct media_codec_desc){ CODEC_PCMU, 0, 1, 8000 };
	pbx.codecs[1] = (struct media_codec_desc){ CODEC_TELEPHONE_EVENT,
	    PT_EV_PBX, 1, 8000 };
	/* The far end, as Kandy's media server. */
	memset(&ic, 0, sizeof(ic));
	ic.ctx = g_main_context_default();
	ic.offerer = inbound;
	ic.nlocal = 1;
	memcpy(&ic.local[0], &sin, sizeof(sin));
	((struct sockaddr_in *)&ic.local[0])->sin_port = 0;
	if ((far = ice_leg_new(&ic, &icb)) == NULL)
		errx(1, "far end leg");
	if (inbound) {
		/* Kandy offers first: its description, then the call. */
		if (ice_leg_gather(far) == -1)
			errx(1, "far end leg");
		run(5000, &far_gathered);
		if (!far_gathered || far_desc(&fd_desc) == -1)
			errx(1, "far end did not gather");
		ipc_send(&kandyd, IMSG_MEDIA_ALLOC, CALL, -1, 1);
		ipc_send(&kandyd, IMSG_MEDIA_WEBRTC_REMOTE, CALL, -1, &fd_desc,
		    sizeof(fd_desc));
		drive_flush(&kandyd);
	} else
		ipc_send(&sipd, IMSG_MEDIA_ALLOC, CALL, -1, late ? 2 : 0);
	/*
	 * Bad blobs first: a short one, one that fails media_rtp_valid(),
	 * a WebRTC description and a digit for calls no one allocated.
	 * mediad must log them and carry on with the good one.
	 */
	{
		struct media_rtp_desc		 bad = pbx;
		struct media_webrtc_desc	 wbad;

		ipc_send(&sipd, IMSG_MEDIA_RTP_REMOTE, CALL, -1, &pbx, 10);
		bad.ncodecs = 200;
		ipc_send(&sipd, IMSG_MEDIA_RTP_REMOTE, CALL, -1, &bad,
		    sizeof(bad));
		memset(&wbad, 0xff, sizeof(wbad));
		ipc_send(&kandyd, IMSG_MEDIA_WEBRTC_REMOTE, CALL + 1, -1,
		    &wbad, sizeof(wbad));
		ipc_send(&sipd, IMSG_MEDIA_DTMF, CALL + 2, -1, 1, 100);
		drive_flush(&kandyd);
	}
	if (inbound) {
		/* mediad offers Kandy's codecs to the PBX. */
		drive_flush(&sipd);
		run(5000, &have_rtp_local);
		if (!have_rtp_local)
			errx(1, "no MEDIA_RTP_LOCAL (offer to the PBX)");
		if (rtp_local.ncodecs != 2 ||
		    rtp_local.codecs[0].codec != CODEC_PCMU ||
		    rtp_local.codecs[1].pt != PT_EV_FAR)
			errx(1, "offer to the PBX does not carry Kandy's codecs");
		printf("ok: mediad offered the PBX Kandy's codecs (events on "
		    "%u)\n", rtp_local.codecs[1].pt);
	}
	if (late) {
		/* The PBX sent no offer: mediad offers the configured codecs. */
		drive_flush(&sipd);
		run(5000, &have_rtp_local);
		if (!have_rtp_local)
			errx(1, "no MEDIA_RTP_LOCAL (late offer to the PBX)");
		if (rtp_local.ncodecs != 3 ||
		    rtp_local.codecs[0].codec != CODEC_PCMU ||
		    rtp_local.codecs[1].codec != CODEC_PCMA ||
		    rtp_local.codecs[2].codec != CODEC_TELEPHONE_EVENT ||
		    rtp_local.dir != MEDIA_SENDRECV)
			errx(1, "late offer to the PBX: not the configured "
			    "codecs");
		printf("ok: late offer: mediad offered the PBX the configured "
		    "codecs first\n");
	}
	/* Outbound the PBX's offer, inbound its answer (events on 101). */
	ipc_send(&sipd, IMSG_MEDIA_RTP_REMOTE, CALL, -1, &pbx, sizeof(pbx));
	drive_flush(&sipd);

	run(5000, &have_rtp_local);
	if (!have_rtp_local)
		errx(1, "no MEDIA_RTP_LOCAL from mediad");
	to = (struct sockaddr_in *)&rtp_local.addr;
	printf("ok: mediad's RTP side for the PBX: %s:%u, %u codecs, first "
	    "pt %u\n", inet_ntoa(to->sin_addr), ntohs(to->sin_port),
	    rtp_local.ncodecs, rtp_local.codecs[0].pt);
	if (!inbound && !late && (rtp_local.ncodecs != 2 ||
	    rtp_local.codecs[0].codec != CODEC_PCMU ||
	    rtp_local.codecs[1].pt != PT_EV_PBX))
		errx(1, "answer to the PBX does not keep its codecs");
	run(5000, &have_web_local);
	if (!have_web_local)
		errx(1, "no MEDIA_WEBRTC_LOCAL from mediad");
	printf("ok: mediad's WebRTC side: %u candidates, setup %u\n",
	    web_local.ncands, web_local.setup);
	if (web_local.setup != (inbound ? SETUP_ACTIVE : SETUP_ACTPASS))
		errx(1, "wrong DTLS setup toward Kandy");

	if (inbound) {
		/* kandyd sends mediad's answer to Kandy: ICE may start. */
		ipc_send(&kandyd, IMSG_MEDIA_WEBRTC_START, CALL, -1);
		drive_flush(&kandyd);
		/*
		 * The PBX's user speaks at once; Kandy is 300 ms away, so
		 * its side starts late.  What was said is kept and sent when
		 * SRTP is keyed.
		 */
		for (i = 0; i < EARLY_PKT; i++) {
			n = drive_tone_packet(buf, sizeof(buf), EARLY_FREQ, i,
			    0x11111110);
			buf[n - SAMPLES] = (uint8_t)i;	/* tells them apart */
			memcpy(early_sent[i], buf + n - SAMPLES, SAMPLES);
			sendto(pbx_sock, buf, n, 0,
			    (struct sockaddr *)&rtp_local.addr,
			    sizeof(struct sockaddr_in));
			run(20, NULL);
		}
		if (ice_leg_set_remote(far, &web_local) == -1)
			errx(1, "far end refused mediad's answer");
	} else {
		/* The far end answers mediad's offer. */
		if (ice_leg_set_remote(far, &web_local) == -1 ||
		    ice_leg_gather(far) == -1)
			errx(1, "far end leg");
		run(5000, &far_gathered);
		if (!far_gathered || far_desc(&fd_desc) == -1)
			errx(1, "far end did not gather");
		ipc_send(&kandyd, IMSG_MEDIA_WEBRTC_REMOTE, CALL, -1, &fd_desc,
		    sizeof(fd_desc));
		drive_flush(&kandyd);
	}
	run(10000, &far_ready);
	if (!far_ready)
		errx(1, "far end: ICE/DTLS not ready (failed %d)", far_failed);
	printf("ok: ICE and DTLS-SRTP up between mediad and the far end\n");
	if (inbound) {
		run(300, NULL);
		printf("far end: %d of the PBX's %d packets from before DTLS, "
		    "%s\n", early_got, EARLY_PKT, early_order ? "in order" :
		    "out of order");
		if (early_got != EARLY_PKT || !early_order) {
			warnx("what the PBX said before DTLS was lost");
			failed = 1;
		}
	}

	/* Junk first, then 2 s of tone each way. */
	for (i = 0; i < 50; i++) {
		junk(buf, sizeof(buf));
		sendto(pbx_sock, buf, 1 + arc4random_uniform(sizeof(buf)), 0,
		    (struct sockaddr *)to, sizeof(*to));
	}
	for (i = 0; i < NPKT; i++) {
		n = drive_tone_packet(buf, sizeof(buf), PBX_FREQ, i, 0x11111111);
		memcpy(pbx_sent[i], buf + n - SAMPLES, SAMPLES);
		sendto(pbx_sock, buf, n, 0, (struct sockaddr *)to, sizeof(*to));
		n = drive_tone_packet(buf, sizeof(buf), FAR_FREQ, i, 0x22222222);
		memcpy(far_sent[i], buf + n - SAMPLES, SAMPLES);
		ice_leg_send_rtp(far, buf, n);
		/* Junk in the middle of the call too. */
		if (i % 10 == 5) {
			junk(buf, sizeof(buf));
			sendto(pbx_sock, buf, 1 + arc4random_uniform(64), 0,
			    (struct sockaddr *)to, sizeof(*to));
		}
		run(20, NULL);
	}
	run(500, NULL);
	printf("far end: %d of %d packets with the very samples sent, %d "
	    "sequence breaks, %d SSRC changes; PBX: %d of %d intact, %d "
	    "breaks\n", far_intact, NPKT, far_breaks, far_ssrcs, pbx_intact,
	    NPKT, pbx_breaks);
	if (far_intact < NPKT - 2 || pbx_intact < NPKT - 2 ||
	    far_breaks != 0 || far_ssrcs != 0 || pbx_breaks != 0) {
		warnx("audio not relayed intact and continuous");
		failed = 1;
	}

	/* SIP INFO '7' for 100 ms: RFC 4733 at the far end on pt 126. */
	ipc_send(&sipd, IMSG_MEDIA_DTMF, CALL, -1, 7, 100);
	drive_flush(&sipd);
	run(1000, NULL);
	printf("far end: %d digit(s), last %d, %d event packets (%d with "
	    "another timestamp), %d sequence breaks, %d SSRC changes\n",
	    far_digits, far_digit, far_ev_pkts, far_ev_ts_bad, far_breaks,
	    far_ssrcs);
	if (far_digits != 1 || far_digit != 7 || far_ev_pkts < 5 ||
	    far_ev_ts_bad != 0 || far_breaks != 0 || far_ssrcs != 0) {
		warnx("MEDIA_DTMF did not arrive as one RFC 4733 event");
		failed = 1;
	}
	/*
	 * Kandy holds (re-offer, setup:actpass, sendonly): mediad answers
	 * recvonly and sends nothing toward Kandy; Kandy's audio still
	 * reaches the PBX.  Then Kandy resumes.
	 */
	fd_desc.setup = SETUP_ACTPASS;
	fd_desc.dir = MEDIA_SENDONLY;
	kandy_reoffer(&fd_desc);
	both_ways(to, 0x11111111, NPKT, &hf, &hp);
	printf("Kandy holds: answer %s, %d packets to the far end, %d to the "
	    "PBX\n", have_web_local ? media_dir_name(web_local.dir) : "none",
	    hf, hp);
	if (!have_web_local || web_local.dir != MEDIA_RECVONLY || hf != 0 ||
	    hp < 8) {
		warnx("Kandy's hold not answered or not honoured");
		failed = 1;
	}
	fd_desc.dir = MEDIA_SENDRECV;
	kandy_reoffer(&fd_desc);
	if (!have_web_local || web_local.dir != MEDIA_SENDRECV) {
		warnx("Kandy's resume not answered sendrecv");
		failed = 1;
	}

	/*
	 * Kandy restarts ICE: a re-offer with new credentials, answered
	 * with new ones, and the audio goes on in the same streams.  mediad
	 * reads the selected pair's socket itself once ICE has settled;
	 * this checks that the path follows a restart.  Junk from a
	 * stranger at that socket, some of it looking like RTP, changes
	 * nothing.
	 */
	{
		char	 old_ufrag[MEDIA_UFRAGLEN];
		int	 js, breaks = far_breaks;

		strlcpy(old_ufrag, web_local.ufrag, sizeof(old_ufrag));
		if (ice_leg_restart(far) == -1 || far_desc(&fd_desc) == -1)
			errx(1, "far end cannot restart ICE");
		fd_desc.setup = SETUP_ACTPASS;
		kandy_reoffer(&fd_desc);
		if (!have_web_local || strcmp(web_local.ufrag, old_ufrag) == 0 ||
		    web_local.ncands == 0 ||
		    ice_leg_update_remote(far, &web_local, 0) == -1) {
			warnx("ICE restart not answered with new credentials");
			failed = 1;
		}
		run(1000, NULL);
		if ((js = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
			err(1, "socket");
		for (i = 0; i < 40; i++) {
			junk(buf, 200);
			if (i % 2 == 0)
				buf[0] = 0x80;	/* RTP's first byte */
			sendto(js, buf, 200, 0, (const struct sockaddr *)
			    &web_local.cands[0].addr, sizeof(struct sockaddr_in));
		}
		close(js);
		both_ways(to, 0x11111111, NPKT + 10, &hf, &hp);
		printf("after an ICE restart and junk at mediad's ICE port: %d "
		    "packets to the far end, %d to the PBX, %d new sequence "
		    "breaks, %d SSRC changes\n", hf, hp, far_breaks - breaks,
		    far_ssrcs);
		if (hf < 8 || hp < 8 || far_breaks != breaks || far_ssrcs != 0) {
			warnx("audio did not go on after the ICE restart");
			failed = 1;
		}
	}

	/*
	 * kandyd goes away (a restart): its call keeps its audio, and the
	 * PBX's audio after the digit still reaches the far end.
	 */
	close(kandyd.fd);
	kandyd.fd = -1;
	ipc_send(&parent, IMSG_PEER_GONE, 0, -1, PROC_KANDYD);
	drive_flush(&parent);
	far_intact = 0;
	for (i = 0; i < 10; i++) {
		n = drive_tone_packet(buf, sizeof(buf), PBX_FREQ, i, 0x33333333);
		sendto(pbx_sock, buf, n, 0, (struct sockaddr *)to, sizeof(*to));
		run(20, NULL);
	}
	run(300, NULL);
	printf("far end: %d of 10 packets after hold, resume, the digit and kandyd's "
	    "exit, %d sequence breaks\n", far_intact, far_breaks);
	if (far_intact < 8 || far_breaks != 0 || far_ssrcs != 0) {
		warnx("audio after the digit not relayed in the same stream");
		failed = 1;
	}

	/* The PBX holds (re-INVITE sendonly): answered recvonly, obeyed. */
	pbx.dir = MEDIA_SENDONLY;
	have_rtp_local = 0;
	ipc_send(&sipd, IMSG_MEDIA_RTP_REMOTE, CALL, -1, &pbx, sizeof(pbx));
	drive_flush(&sipd);
	run(2000, &have_rtp_local);
	both_ways(to, 0x33333333, 10, &hf, &hp);
	printf("PBX holds: answer %s, %d packets to the far end, %d to the "
	    "PBX\n", have_rtp_local ? media_dir_name(rtp_local.dir) : "none",
	    hf, hp);
	if (!have_rtp_local || rtp_local.dir != MEDIA_RECVONLY || hf < 8 ||
	    hp != 0) {
		warnx("the PBX's hold not answered or not honoured");
		failed = 1;
	}
	printf("far end heard %d packets (mean %.0f Hz power %.3f); PBX heard "
	    "%d (mean %.0f Hz power %.3f)\n", far_pkts, PBX_FREQ,
	    far_pkts ? far_heard / far_pkts : 0, pbx_pkts, FAR_FREQ,
	    pbx_pkts ? pbx_heard / pbx_pkts : 0);
	if (far_pkts < 90 || far_heard / far_pkts < 0.1) {
		warnx("the PBX's tone did not reach the far end intact");
		failed = 1;
	}
	if (pbx_pkts < 90 || pbx_heard / pbx_pkts < 0.1) {
		warnx("the far end's tone did not reach the PBX intact");
		failed = 1;
	}
	if (events_s < 1 || events_k < 1) {
		warnx("DTLS connection not reported to sipd and kandyd");
		failed = 1;
	}

	/* Then silence: held, no media timeout, however long. */
	if (timeouts != 0) {
		warnx("media timeout reported while media flowed");
		failed = 1;
	}
	run((MEDIA_TIMEOUT + 2) * 1000, NULL);
	printf("after %d s of silence on hold: %d media timeout event(s)\n",
	    MEDIA_TIMEOUT + 2, timeouts);
	if (timeouts != 0) {
		warnx("media timeout on hold");
		failed = 1;
	}
	/* Resumed, silence: the media timeout, reported once. */
	pbx.dir = MEDIA_SENDRECV;
	ipc_send(&sipd, IMSG_MEDIA_RTP_REMOTE, CALL, -1, &pbx, sizeof(pbx));
	drive_flush(&sipd);
	run((MEDIA_TIMEOUT + 3) * 1000, NULL);
	printf("after %d s of silence: %d media timeout event(s) at sipd\n",
	    MEDIA_TIMEOUT + 3, timeouts);
	if (timeouts != 1) {
		warnx("no single media timeout after silence");
		failed = 1;
	}
	printf("STUN server (resolved by name through the parent): %d "
	    "binding requests\n", stun_requests);
	if (stun_requests < 1) {
		warnx("mediad did not use the STUN server it had resolved");
		failed = 1;
	}

	ipc_send(&sipd, IMSG_MEDIA_FREE, CALL, -1);
	drive_flush(&sipd);
	run(300, NULL);
	ice_leg_free(far);
	if (drive_stop(pid))
		failed = 1;
	if (!failed)
		printf("ok: tones both ways intact through mediad, junk "
		    "ignored, digit relayed as RFC 4733\n");
	return (failed);
}
