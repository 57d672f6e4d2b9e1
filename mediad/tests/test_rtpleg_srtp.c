/*
 * RTP legs with SDES keys on loopback: plain in and out of the leg, SRTP
 * and SRTCP on the wire both ways (read back by a separate libsrtp
 * context), forged and plain packets refused and never latched to, a
 * rekey from re-INVITE keys, and plain RTP again when keys go away.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "log.h"
#include "rtp.h"
#include "rtpleg.h"
#include "srtp.h"

static int	 failures;

struct side {
	int		 nrtp, nrtcp;
	uint8_t		 last[512];
	size_t		 lastlen;
};

static void
on_pkt(struct side *s, int rtcp, const uint8_t *buf, size_t len)
{
	if (rtcp)
		s->nrtcp++;
	else
		s->nrtp++;
	memcpy(s->last, buf, len);
	s->lastlen = len;
}

static void
on_rtp(struct rtp_leg *leg, uint8_t *buf, size_t len, void *arg)
{
	on_pkt(arg, 0, buf, len);
}

static void
on_rtcp(struct rtp_leg *leg, uint8_t *buf, size_t len, void *arg)
{
	on_pkt(arg, 1, buf, len);
}

static void
spin(GMainContext *ctx)
{
	int	 i;

	for (i = 0; i < 20; i++) {
		usleep(2000);
		while (g_main_context_iteration(ctx, FALSE))
			;
	}
}

static void
addr(struct sockaddr_storage *ss, uint16_t port)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin->sin_port = htons(port);
}

static size_t
rtp_packet(uint8_t *buf, uint16_t seq, uint32_t ssrc)
{
	struct rtp_hdr	 h;
	size_t		 n, i;

	memset(&h, 0, sizeof(h));
	h.pt = 0;
	h.seq = seq;
	h.ts = seq * 160;
	h.ssrc = ssrc;
	n = rtp_write_header(buf, 64, &h);
	for (i = 0; i < 160; i++)
		buf[n + i] = (uint8_t)(seq * 7 + i);
	return (n + 160);
}

static void
key(struct media_crypto *k, uint8_t suite, uint8_t seed)
{
	int	 i;

	memset(k, 0, sizeof(*k));
	k->suite = suite;
	k->tag = 1;
	for (i = 0; i < MEDIA_SRTP_KEYLEN; i++)
		k->key[i] = seed + i * 5;
}

/* A bare UDP socket on loopback standing for the PBX. */
static int
raw_socket(uint16_t *port)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	int			 fd;

	addr(&ss, 0);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return (-1);
	*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return (fd);
}

static void
send_to_port(int fd, uint16_t port, const uint8_t *buf, size_t len)
{
	struct sockaddr_storage	 ss;

	addr(&ss, port);
	sendto(fd, buf, len, 0, (struct sockaddr *)&ss,
	    sizeof(struct sockaddr_in));
}

int
main(void)
{
	GMainContext		*ctx;
	struct rtp_leg_config	 cfg;
	struct rtp_leg_callbacks cb;
	struct media_rtp_desc	 da, db, dr;
	struct media_crypto	 ka, kb, ka2, none;
	struct srtp_keymat	 km;
	struct srtp_pair	*pbx;
	struct rtp_leg		*a, *b;
	static struct side	 sa, sb;
	uint8_t			 pkt[512], got[600];
	ssize_t			 r;
	size_t			 n, m;
	uint16_t		 base, rport;
	int			 fd;

	log_init(1, 0, 0);
	srtp_pair_global_init();
	ctx = g_main_context_new();
	base = 30000 + (getpid() % 200) * 100;
	memset(&cfg, 0, sizeof(cfg));
	cfg.ctx = ctx;
	addr(&cfg.bind, 0);
	cfg.port_min = base;
	cfg.port_max = base + 99;
	cfg.latch = 1;
	cb.rtp = on_rtp;
	cb.rtcp = on_rtcp;
	cb.arg = &sa;
	a = rtp_leg_new(&cfg, &cb);
	cb.arg = &sb;
	b = rtp_leg_new(&cfg, &cb);
	if (a == NULL || b == NULL)
		return (1);
	memset(&da, 0, sizeof(da));
	memset(&db, 0, sizeof(db));
	addr(&da.addr, rtp_leg_port(a));
	addr(&db.addr, rtp_leg_port(b));
	CHECK(rtp_leg_set_remote(a, &db) == 0 && rtp_leg_set_remote(b, &da) == 0);
	key(&ka, CRYPTO_AES_CM_128_HMAC_SHA1_80, 1);
	key(&kb, CRYPTO_AES_CM_128_HMAC_SHA1_80, 100);
	CHECK(rtp_leg_set_srtp(a, &ka, &kb) == 0);
	CHECK(rtp_leg_set_srtp(b, &kb, &ka) == 0);

	/* Plain at both ends, both ways, RTP and RTCP. */
	n = rtp_packet(pkt, 1, 42);
	CHECK(rtp_leg_send_rtp(a, pkt, n) == 0);
	spin(ctx);
	CHECK(sb.nrtp == 1 && sb.lastlen == n && memcmp(sb.last, pkt, n) == 0);
	CHECK(rtp_leg_stats(a)->bytes_out == n + 10);	/* 80-bit tag */
	n = rtp_packet(pkt, 9, 43);
	CHECK(rtp_leg_send_rtp(b, pkt, n) == 0);
	spin(ctx);
	CHECK(sa.nrtp == 1 && sa.lastlen == n && memcmp(sa.last, pkt, n) == 0);
	n = rtcp_write_rr(pkt, sizeof(pkt), 42, NULL, 0);
	CHECK(rtp_leg_send_rtcp(a, pkt, n) == 0);
	spin(ctx);
	CHECK(sb.nrtcp == 1 && sb.lastlen == n && memcmp(sb.last, pkt, n) == 0);

	/* On the wire: SRTP that a context of the PBX's keys reads back. */
	if ((fd = raw_socket(&rport)) == -1)
		return (1);
	memset(&dr, 0, sizeof(dr));
	addr(&dr.addr, rport);
	dr.rtcp_port = rport;
	CHECK(rtp_leg_set_remote(a, &dr) == 0);
	n = rtp_packet(pkt, 2, 42);
	CHECK(rtp_leg_send_rtp(a, pkt, n) == 0);
	r = recv(fd, got, sizeof(got), 0);
	CHECK(r == (ssize_t)n + 10);
	CHECK(r > 12 && memcmp(got + 12, pkt + 12, n - 12) != 0);
	memset(&km, 0, sizeof(km));
	km.profile = SRTP_PROFILE_AES128_CM_SHA1_80;
	memcpy(km.local, kb.key, sizeof(km.local));
	memcpy(km.remote, ka.key, sizeof(km.remote));
	pbx = srtp_pair_new(&km);
	CHECK(pbx != NULL);
	m = r;
	CHECK(srtp_pair_unprotect(pbx, got, &m) == 0 && m == n &&
	    memcmp(got, pkt, n) == 0);

	/* From the PBX: plain and forged packets are dropped, not latched. */
	n = rtp_packet(pkt, 10, 77);
	send_to_port(fd, rtp_leg_port(a), pkt, n);
	spin(ctx);
	CHECK(sa.nrtp == 1 && rtp_leg_stats(a)->latched == 0);
	memcpy(got, pkt, n);
	m = n;
	CHECK(srtp_pair_protect(pbx, got, &m, sizeof(got)) == 0);
	got[20] ^= 1;
	send_to_port(fd, rtp_leg_port(a), got, m);
	spin(ctx);
	CHECK(sa.nrtp == 1 && rtp_leg_stats(a)->dropped == 2);
	/* A good one is taken (and the port followed: latching). */
	n = rtp_packet(pkt, 11, 77);
	memcpy(got, pkt, n);
	m = n;
	CHECK(srtp_pair_protect(pbx, got, &m, sizeof(got)) == 0);
	send_to_port(fd, rtp_leg_port(a), got, m);
	spin(ctx);
	CHECK(sa.nrtp == 2 && sa.lastlen == n && memcmp(sa.last, pkt, n) == 0);
	/* The same packet again is a replay. */
	send_to_port(fd, rtp_leg_port(a), got, m);
	spin(ctx);
	CHECK(sa.nrtp == 2 && rtp_leg_stats(a)->dropped == 3);

	/* Re-INVITE: a's key changes; b rekeys its inbound side only. */
	CHECK(rtp_leg_set_remote(a, &db) == 0);
	key(&ka2, CRYPTO_AES_CM_128_HMAC_SHA1_80, 200);
	CHECK(rtp_leg_set_srtp(a, &ka2, &kb) == 0);
	CHECK(rtp_leg_set_srtp(b, &kb, &ka2) == 0);
	n = rtp_packet(pkt, 3, 42);
	CHECK(rtp_leg_send_rtp(a, pkt, n) == 0);
	n = rtp_packet(pkt, 10, 43);
	CHECK(rtp_leg_send_rtp(b, pkt, n) == 0);
	spin(ctx);
	CHECK(sb.nrtp == 2);
	CHECK(sa.nrtp == 3 && sa.lastlen == n && memcmp(sa.last, pkt, n) == 0);
	/* The same keys again change nothing: replay state is kept. */
	CHECK(rtp_leg_set_srtp(b, &kb, &ka2) == 0);
	n = rtp_packet(pkt, 4, 42);
	CHECK(rtp_leg_send_rtp(a, pkt, n) == 0);
	spin(ctx);
	CHECK(sb.nrtp == 3 && memcmp(sb.last, pkt, n) == 0);

	/* The 32-bit tag suite: 4 bytes of tag on RTP. */
	key(&ka, CRYPTO_AES_CM_128_HMAC_SHA1_32, 7);
	kb.suite = CRYPTO_AES_CM_128_HMAC_SHA1_32;
	CHECK(rtp_leg_set_srtp(a, &ka, &kb) == 0);
	CHECK(rtp_leg_set_srtp(b, &kb, &ka) == 0);
	n = rtp_packet(pkt, 5, 42);
	m = rtp_leg_stats(a)->bytes_out;
	CHECK(rtp_leg_send_rtp(a, pkt, n) == 0);
	spin(ctx);
	CHECK(rtp_leg_stats(a)->bytes_out - m == n + 4);
	CHECK(sb.nrtp == 4 && memcmp(sb.last, pkt, n) == 0);

	/* Keys gone: plain RTP again. */
	memset(&none, 0, sizeof(none));
	CHECK(rtp_leg_set_srtp(a, &ka, &none) == 0);
	CHECK(rtp_leg_set_srtp(b, &kb, &none) == 0);
	n = rtp_packet(pkt, 6, 42);
	m = rtp_leg_stats(a)->bytes_out;
	CHECK(rtp_leg_send_rtp(a, pkt, n) == 0);
	spin(ctx);
	CHECK(rtp_leg_stats(a)->bytes_out - m == n);
	CHECK(sb.nrtp == 5 && memcmp(sb.last, pkt, n) == 0);

	srtp_pair_free(pbx);
	close(fd);
	rtp_leg_free(a);
	rtp_leg_free(b);
	g_main_context_unref(ctx);
	if (failures) {
		fprintf(stderr, "%d failures\n", failures);
		return (1);
	}
	return (0);
}
