/*
 * Plain RTP legs on loopback: port pairs from a range, RTP and RTCP both
 * ways byte for byte, packets from strangers refused, latching to the
 * peer's real port (and never to another host), rtcp-mux, exhaustion.
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

static int	 failures;

struct side {
	int		 nrtp, nrtcp;
	uint8_t		 last[512];
	size_t		 lastlen;
};

static void
on_rtp(struct rtp_leg *leg, uint8_t *buf, size_t len, void *arg)
{
	struct side	*s = arg;

	s->nrtp++;
	memcpy(s->last, buf, len);
	s->lastlen = len;
}

static void
on_rtcp(struct rtp_leg *leg, uint8_t *buf, size_t len, void *arg)
{
	struct side	*s = arg;

	s->nrtcp++;
	memcpy(s->last, buf, len);
	s->lastlen = len;
}

static void
spin(GMainContext *ctx)
{
	int	 i;

	/* Loopback delivers at once; a few passes are plenty. */
	for (i = 0; i < 20; i++) {
		usleep(2000);
		while (g_main_context_iteration(ctx, FALSE))
			;
	}
}

static void
addr(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &sin->sin_addr);
	sin->sin_port = htons(port);
}

static size_t
rtp_packet(uint8_t *buf, uint16_t seq)
{
	struct rtp_hdr	 h;
	size_t		 n, i;

	memset(&h, 0, sizeof(h));
	h.pt = 8;
	h.seq = seq;
	h.ssrc = 42;
	n = rtp_write_header(buf, 64, &h);
	for (i = 0; i < 160; i++)
		buf[n + i] = (uint8_t)(seq * 3 + i);
	return (n + 160);
}

/* A bare UDP socket standing for some other sender. */
static int
stranger(const char *ip, uint16_t *port)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	int			 fd;

	addr(&ss, ip, 0);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return (-1);
	*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return (fd);
}

static void
send_from(int fd, uint16_t port, const uint8_t *buf, size_t len)
{
	struct sockaddr_storage	 ss;

	addr(&ss, "127.0.0.1", port);
	sendto(fd, buf, len, 0, (struct sockaddr *)&ss,
	    sizeof(struct sockaddr_in));
}

int
main(void)
{
	GMainContext		*ctx;
	struct rtp_leg_config	 cfg;
	struct rtp_leg_callbacks cb;
	struct media_rtp_desc	 da, db, pd4;
	struct rtp_leg		*a, *b, *c, *d;
	static struct side	 sa, sb, sc;
	uint8_t			 pkt[512], got[512];
	size_t			 n;
	uint16_t		 base, sport, s2port;
	int			 fd, fd2;

	log_init(1, 0, 0);
	ctx = g_main_context_new();
	memset(&pd4, 0, sizeof(pd4));
	addr(&pd4.addr, "127.0.0.1", 4000);
	base = 20000 + (getpid() % 200) * 100;
	memset(&cfg, 0, sizeof(cfg));
	cfg.ctx = ctx;
	addr(&cfg.bind, "127.0.0.1", 0);
	cfg.port_min = base;
	cfg.port_max = base + 99;
	cb.rtp = on_rtp;
	cb.rtcp = on_rtcp;

	cb.arg = &sa;
	a = rtp_leg_new(&cfg, &cb);
	cb.arg = &sb;
	b = rtp_leg_new(&cfg, &cb);
	CHECK(a != NULL && b != NULL);
	if (a == NULL || b == NULL)
		return (1);
	CHECK(rtp_leg_port(a) % 2 == 0 && rtp_leg_port(b) % 2 == 0);
	CHECK(rtp_leg_port(a) != rtp_leg_port(b));
	CHECK(rtp_leg_port(a) >= base && rtp_leg_port(a) + 1 <= base + 99);

	/* Nothing goes anywhere before the remote is known. */
	n = rtp_packet(pkt, 1);
	CHECK(rtp_leg_send_rtp(a, pkt, n) == -1);

	memset(&da, 0, sizeof(da));
	memset(&db, 0, sizeof(db));
	addr(&da.addr, "127.0.0.1", rtp_leg_port(a));
	addr(&db.addr, "127.0.0.1", rtp_leg_port(b));
	CHECK(rtp_leg_set_remote(a, &db) == 0);
	CHECK(rtp_leg_set_remote(b, &da) == 0);

	CHECK(rtp_leg_send_rtp(a, pkt, n) == 0);
	spin(ctx);
	CHECK(sb.nrtp == 1 && sb.lastlen == n && memcmp(sb.last, pkt, n) == 0);
	CHECK(rtp_leg_stats(b)->last_in_us > 0 &&
	    rtp_leg_stats(a)->last_in_us == 0);
	n = rtp_packet(pkt, 2);
	CHECK(rtp_leg_send_rtp(b, pkt, n) == 0);
	spin(ctx);
	CHECK(sa.nrtp == 1 && sa.lastlen == n && memcmp(sa.last, pkt, n) == 0);
	/* RTCP over port + 1. */
	n = rtcp_write_rr(pkt, sizeof(pkt), 42, NULL, 0);
	CHECK(rtp_leg_send_rtcp(a, pkt, n) == 0);
	spin(ctx);
	CHECK(sb.nrtcp == 1 && sb.lastlen == n && memcmp(sb.last, pkt, n) == 0);

	/* A stranger on the right host but the wrong port: refused. */
	fd = stranger("127.0.0.1", &sport);
	n = rtp_packet(pkt, 3);
	send_from(fd, rtp_leg_port(a), pkt, n);
	spin(ctx);
	CHECK(sa.nrtp == 1 && rtp_leg_stats(a)->foreign == 1);

	/* With latching, the peer's real port is followed... */
	cfg.latch = 1;
	cb.arg = &sc;
	c = rtp_leg_new(&cfg, &cb);
	CHECK(c != NULL);
	CHECK(rtp_leg_set_remote(c, &db) == 0);
	send_from(fd, rtp_leg_port(c), pkt, n);
	spin(ctx);
	CHECK(sc.nrtp == 1 && rtp_leg_stats(c)->latched == 1);
	n = rtp_packet(pkt, 4);
	CHECK(rtp_leg_send_rtp(c, pkt, n) == 0);
	CHECK(recv(fd, got, sizeof(got), MSG_DONTWAIT) == (ssize_t)n &&
	    memcmp(got, pkt, n) == 0);
	/* ...but not to another host, nor on a malformed packet. */
	fd2 = stranger("127.0.0.2", &s2port);
	if (fd2 != -1) {
		send_from(fd2, rtp_leg_port(c), pkt, n);
		spin(ctx);
		CHECK(sc.nrtp == 1 && rtp_leg_stats(c)->foreign == 1);
		close(fd2);
	}
	{
		int	 fd3;
		uint16_t p3;

		fd3 = stranger("127.0.0.1", &p3);
		memset(got, 0, 8);
		got[0] = 0x80;		/* RTP version, but 8 bytes long */
		send_from(fd3, rtp_leg_port(c), got, 8);
		spin(ctx);
		CHECK(rtp_leg_stats(c)->latched == 1);
		CHECK(rtp_leg_send_rtp(c, pkt, n) == 0);
		CHECK(recv(fd, got, sizeof(got), MSG_DONTWAIT) == (ssize_t)n);
		close(fd3);
	}
	/* Not RTP at all (a STUN-looking packet) is dropped. */
	memset(got, 0, 20);
	send_from(fd, rtp_leg_port(c), got, 20);
	spin(ctx);
	CHECK(sc.nrtp == 1 && rtp_leg_stats(c)->dropped >= 1);
	close(fd);
	rtp_leg_free(c);

	/* rtcp-mux: RTCP arrives on the RTP port. */
	cfg.latch = 0;
	cfg.rtcp_mux = 1;
	memset(&sc, 0, sizeof(sc));
	c = rtp_leg_new(&cfg, &cb);
	CHECK(c != NULL);
	addr(&da.addr, "127.0.0.1", rtp_leg_port(c));
	da.rtcp_mux = 1;
	fd = stranger("127.0.0.1", &sport);
	addr(&db.addr, "127.0.0.1", sport);
	CHECK(rtp_leg_set_remote(c, &db) == 0);
	n = rtcp_write_rr(pkt, sizeof(pkt), 7, NULL, 0);
	send_from(fd, rtp_leg_port(c), pkt, n);
	n = rtp_packet(pkt, 9);
	send_from(fd, rtp_leg_port(c), pkt, n);
	spin(ctx);
	CHECK(sc.nrtcp == 1 && sc.nrtp == 1);
	CHECK(rtp_leg_send_rtcp(c, pkt, 8) == 0);
	CHECK(recv(fd, got, sizeof(got), MSG_DONTWAIT) == 8);
	close(fd);
	rtp_leg_free(c);

	/* A range with one pair: the second leg finds none. */
	cfg.rtcp_mux = 0;
	cfg.port_min = base + 100;
	cfg.port_max = base + 101;
	c = rtp_leg_new(&cfg, &cb);
	d = rtp_leg_new(&cfg, &cb);
	CHECK(c != NULL && d == NULL);
	rtp_leg_free(c);

	rtp_leg_free(a);
	rtp_leg_free(b);

	/* IPv6, where the host has ::1. */
	memset(&cfg.bind, 0, sizeof(cfg.bind));
	((struct sockaddr_in6 *)&cfg.bind)->sin6_family = AF_INET6;
	((struct sockaddr_in6 *)&cfg.bind)->sin6_addr = in6addr_loopback;
	cfg.port_min = base;
	cfg.port_max = base + 99;
	memset(&sa, 0, sizeof(sa));
	memset(&sb, 0, sizeof(sb));
	cb.arg = &sa;
	a = rtp_leg_new(&cfg, &cb);
	cb.arg = &sb;
	b = rtp_leg_new(&cfg, &cb);
	if (a != NULL && b != NULL) {
		da.addr = cfg.bind;
		((struct sockaddr_in6 *)&da.addr)->sin6_port =
		    htons(rtp_leg_port(a));
		db.addr = cfg.bind;
		((struct sockaddr_in6 *)&db.addr)->sin6_port =
		    htons(rtp_leg_port(b));
		CHECK(rtp_leg_set_remote(a, &db) == 0);
		CHECK(rtp_leg_set_remote(b, &da) == 0);
		n = rtp_packet(pkt, 77);
		CHECK(rtp_leg_send_rtp(a, pkt, n) == 0);
		spin(ctx);
		CHECK(sb.nrtp == 1 && sb.lastlen == n &&
		    memcmp(sb.last, pkt, n) == 0);
		/* An IPv4 peer for an IPv6 leg is refused. */
		CHECK(rtp_leg_set_remote(a, &pd4) == -1);
	} else
		fprintf(stderr, "no ::1 here, IPv6 not tested\n");
	rtp_leg_free(a);
	rtp_leg_free(b);
	g_main_context_unref(ctx);
	if (failures > 0) {
		fprintf(stderr, "%d failures\n", failures);
		return (1);
	}
	return (0);
}
