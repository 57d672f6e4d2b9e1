/*
 * Plain RTP legs on UDP.  See rtpleg.h.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>

#include "fdwatch.h"
#include "log.h"
#include "rtp.h"
#include "sockaddr.h"
#include "rtpleg.h"
#include "srtp.h"

#define RTPLEG_MTU	1500
/*
 * Datagrams per wakeup.  One: a call's port rarely holds a second packet,
 * and reading on to EAGAIN would cost a system call for every packet;
 * what is left makes the (level-triggered) poll fire again.
 */
#define RTPLEG_BURST	1

struct rtp_sock {
	int		 fd;
	GSource		*src;
	void		*taken;		/* by cfg.fdw instead */
	struct rtp_leg	*leg;
	int		 rtcp;		/* RTCP port of a non-muxed pair */
};

struct rtp_leg {
	struct rtp_leg_config	 cfg;
	struct rtp_leg_callbacks cb;
	struct rtp_sock		 s[2];	/* RTP, RTCP (unused with mux) */
	uint16_t		 port;
	int			 have_remote;
	struct sockaddr_storage	 rtp_to;
	struct sockaddr_storage	 rtcp_to;
	struct rtp_leg_stats	 stats;
	/* SDES-SRTP: keyed when suite is set; no plain RTP then. */
	struct media_crypto	 tx_key, rx_key;
	struct srtp_pair	*srtp;
};

/*
 * Packet buffers for every leg: the process is single-threaded and
 * neither buffer lives across a return to the loop.  A packet read into
 * rxbuf is handed to the callback and may go out on another leg, which
 * protects its copy in txbuf: the two are never the same.  Nothing in a
 * callback reads another RTP socket.  Per leg they were 3 KiB a call.
 */
static uint8_t	rxbuf[RTPLEG_MTU];
static uint8_t	txbuf[RTPLEG_MTU + SRTCP_TRAILER_ROOM];

static int
bind_port(const struct sockaddr_storage *local, uint16_t port)
{
	struct sockaddr_storage	 ss = *local;
	int			 fd;

	ss_set_port(&ss, port);
	if ((fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (bind(fd, (struct sockaddr *)&ss, ss_len(&ss)) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/* Take an even port (and the odd one above it without rtcp-mux). */
static int
alloc_ports(struct rtp_leg *leg)
{
	unsigned int	 lo, hi, span, start, i;
	uint16_t	 port;
	int		 rtp, rtcp;

	lo = (leg->cfg.port_min + 1) & ~1u;
	hi = leg->cfg.port_max;
	if (lo == 0 || hi < lo + 1 || hi > 65535) {
		log_warnx("rtp: bad port range %u-%u", leg->cfg.port_min,
		    leg->cfg.port_max);
		return (-1);
	}
	span = (hi - lo) / 2 + 1;
	/* Random start: less predictable, and a churn-free spread. */
	start = arc4random_uniform(span);
	for (i = 0; i < span; i++) {
		port = lo + ((start + i) % span) * 2;
		if (!leg->cfg.rtcp_mux && (unsigned int)port + 1 > hi)
			continue;
		if ((rtp = bind_port(&leg->cfg.bind, port)) == -1)
			continue;
		rtcp = -1;
		if (!leg->cfg.rtcp_mux &&
		    (rtcp = bind_port(&leg->cfg.bind, port + 1)) == -1) {
			close(rtp);
			continue;
		}
		leg->s[0].fd = rtp;
		leg->s[1].fd = rtcp;
		leg->port = port;
		return (0);
	}
	log_warnx("rtp: no free port in %u-%u", lo, hi);
	return (-1);
}

/* SRTP or SRTCP in rxbuf to plain, in place. */
static int
srtp_in(struct rtp_leg *leg, enum pkt_kind kind, size_t *n)
{
	int	 rv;

	if (leg->srtp == NULL)
		return (-1);
	rv = kind == PKT_RTP ? srtp_pair_unprotect(leg->srtp, rxbuf, n) :
	    srtp_pair_unprotect_rtcp(leg->srtp, rxbuf, n);
	if (rv != 0)
		log_debug("rtp: leg %p: %s refused (%s)", (void *)leg,
		    kind == PKT_RTP ? "SRTP" : "SRTCP", rv == SRTP_EAUTH ?
		    "authentication" : rv == SRTP_EREPLAY ? "replay" :
		    "malformed");
	return (rv == 0 ? 0 : -1);
}

static uint16_t
srtp_profile(uint8_t suite)
{
	return (suite == CRYPTO_AES_CM_128_HMAC_SHA1_32 ?
	    SRTP_PROFILE_AES128_CM_SHA1_32 : SRTP_PROFILE_AES128_CM_SHA1_80);
}

/*
 * SDES keys from the SDPs: ours (local) and the PBX's (remote), whose
 * suite both directions use.  No remote suite: plain RTP.  A new remote
 * key alone rekeys the inbound side only; a new suite or a new key of
 * ours starts both afresh.  On failure the leg sends and takes nothing
 * rather than fall back to plain RTP.
 */
int
rtp_leg_set_srtp(struct rtp_leg *leg, const struct media_crypto *local,
    const struct media_crypto *remote)
{
	struct srtp_keymat	 km;
	int			 same_tx;

	if (remote->suite == CRYPTO_NONE) {
		if (leg->srtp != NULL)
			log_info("rtp: leg %p: SRTP off", (void *)leg);
		srtp_pair_free(leg->srtp);
		leg->srtp = NULL;
		explicit_bzero(&leg->tx_key, sizeof(leg->tx_key));
		explicit_bzero(&leg->rx_key, sizeof(leg->rx_key));
		return (0);
	}
	same_tx = leg->srtp != NULL && leg->rx_key.suite == remote->suite &&
	    memcmp(leg->tx_key.key, local->key, MEDIA_SRTP_KEYLEN) == 0;
	if (same_tx && memcmp(leg->rx_key.key, remote->key,
	    MEDIA_SRTP_KEYLEN) == 0)
		return (0);
	leg->tx_key = *local;
	leg->rx_key = *remote;
	if (same_tx) {
		if (srtp_pair_rekey_remote(leg->srtp,
		    srtp_profile(remote->suite), remote->key) == 0) {
			log_debug("rtp: leg %p: new SRTP key from the peer",
			    (void *)leg);
			return (0);
		}
	}
	srtp_pair_free(leg->srtp);
	memset(&km, 0, sizeof(km));
	km.profile = srtp_profile(remote->suite);
	memcpy(km.local, local->key, sizeof(km.local));
	memcpy(km.remote, remote->key, sizeof(km.remote));
	leg->srtp = srtp_pair_new(&km);
	explicit_bzero(&km, sizeof(km));
	if (leg->srtp == NULL) {
		log_warnx("rtp: leg %p: cannot key SRTP", (void *)leg);
		return (-1);
	}
	log_debug("rtp: leg %p: SRTP %s", (void *)leg,
	    media_crypto_name(remote->suite));
	return (0);
}

static void
deliver(struct rtp_leg *leg, struct rtp_sock *s, size_t n,
    const struct sockaddr_storage *from)
{
	struct sockaddr_storage	*peer;
	enum pkt_kind		 kind;
	size_t			 wire = n;	/* counted as sent, like ours */

	kind = pkt_classify(rxbuf, n);
	if (s->rtcp)
		kind = kind == PKT_RTP || kind == PKT_RTCP ? PKT_RTCP :
		    PKT_UNKNOWN;
	if (kind != PKT_RTP && kind != PKT_RTCP) {
		leg->stats.dropped++;
		return;
	}
	peer = kind == PKT_RTCP && !leg->cfg.rtcp_mux ? &leg->rtcp_to :
	    &leg->rtp_to;
	if (!leg->have_remote || !ss_same_host(from, peer)) {
		leg->stats.foreign++;
		return;
	}
	/* Before latching: only an authentic packet may move us. */
	if (leg->rx_key.suite != CRYPTO_NONE && srtp_in(leg, kind, &n) == -1) {
		leg->stats.dropped++;
		return;
	}
	if (ss_port(from) != ss_port(peer)) {
		if (!leg->cfg.latch) {
			leg->stats.foreign++;
			return;
		}
		/* Only a well-formed packet may move us. */
		if (kind == PKT_RTP) {
			struct rtp_hdr	 h;

			if (rtp_parse(rxbuf, n, &h) == -1) {
				leg->stats.dropped++;
				return;
			}
		} else if (rtcp_walk(rxbuf, n, NULL, NULL) != 0) {
			leg->stats.dropped++;
			return;
		}
		ss_set_port(peer, ss_port(from));
		leg->stats.latched++;
		log_debug("rtp: leg %p follows the peer to port %u",
		    (void *)leg, ss_port(from));
	}
	leg->stats.last_in_us = (uint64_t)g_get_monotonic_time();
	leg->stats.bytes_in += wire;
	if (kind == PKT_RTP) {
		leg->stats.rtp_in++;
		if (leg->cb.rtp != NULL)
			leg->cb.rtp(leg, rxbuf, n, leg->cb.arg);
	} else {
		leg->stats.rtcp_in++;
		if (leg->cb.rtcp != NULL)
			leg->cb.rtcp(leg, rxbuf, n, leg->cb.arg);
	}
}

static gboolean
readable(gint fd, GIOCondition cond, gpointer arg)
{
	struct rtp_sock		*s = arg;
	struct rtp_leg		*leg = s->leg;
	struct sockaddr_storage	 from;
	socklen_t		 fromlen;
	ssize_t			 n;
	int			 i;

	for (i = 0; i < RTPLEG_BURST; i++) {
		fromlen = sizeof(from);
		n = recvfrom(fd, rxbuf, sizeof(rxbuf), MSG_TRUNC,
		    (struct sockaddr *)&from, &fromlen);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				log_warn("rtp: recvfrom");
			break;
		}
		if ((size_t)n > sizeof(rxbuf)) {
			leg->stats.dropped++;
			continue;
		}
		deliver(leg, s, n, &from);
	}
	return (G_SOURCE_CONTINUE);
}

static void
taken_readable(int fd, void *arg)
{
	readable(fd, G_IO_IN, arg);
}

static void
watch(struct rtp_leg *leg, int i)
{
	struct rtp_sock	*s = &leg->s[i];

	s->leg = leg;
	s->rtcp = i == 1;
	/* Straight from the owner's loop when it can: no GLib step. */
	if (leg->cfg.fdw != NULL && (s->taken = leg->cfg.fdw->take(
	    leg->cfg.ctx, s->fd, taken_readable, s)) != NULL)
		return;
	s->src = g_unix_fd_source_new(s->fd, G_IO_IN);
	/*
	 * Not blocked while it runs: GLib would take the descriptor out of
	 * the poll set and put it back around every packet.
	 */
	g_source_set_can_recurse(s->src, TRUE);
	g_source_set_callback(s->src, G_SOURCE_FUNC(readable),
	    s, NULL);
	g_source_attach(s->src, leg->cfg.ctx);
}

/* Bind the leg's port(s) and start listening.  NULL on failure (logged). */
struct rtp_leg *
rtp_leg_new(const struct rtp_leg_config *cfg,
    const struct rtp_leg_callbacks *cb)
{
	struct rtp_leg	*leg;

	if ((leg = calloc(1, sizeof(*leg))) == NULL) {
		log_warn("rtp: calloc");
		return (NULL);
	}
	leg->cfg = *cfg;
	leg->cb = *cb;
	leg->s[0].fd = leg->s[1].fd = -1;
	if (ss_len(&cfg->bind) == 0 || alloc_ports(leg) == -1) {
		free(leg);
		return (NULL);
	}
	watch(leg, 0);
	if (leg->s[1].fd != -1)
		watch(leg, 1);
	return (leg);
}

uint16_t
rtp_leg_port(const struct rtp_leg *leg)
{
	return (leg->port);
}

/* Where the PBX wants media (from its SDP, via sipd).  Can change mid-call. */
int
rtp_leg_set_remote(struct rtp_leg *leg, const struct media_rtp_desc *d)
{
	uint16_t	 port;

	if (ss_len(&d->addr) == 0 || (port = ss_port(&d->addr)) == 0) {
		log_warnx("rtp: remote description without address");
		return (-1);
	}
	if (d->addr.ss_family != leg->cfg.bind.ss_family) {
		log_warnx("rtp: remote address family differs from ours");
		return (-1);
	}
	leg->rtp_to = d->addr;
	leg->rtcp_to = d->addr;
	if (!leg->cfg.rtcp_mux)
		ss_set_port(&leg->rtcp_to, d->rtcp_port != 0 ? d->rtcp_port :
		    port + 1);
	leg->have_remote = 1;
	return (0);
}

static int
send_to(struct rtp_leg *leg, int rtcp, const uint8_t *buf, size_t len)
{
	const struct sockaddr_storage	*to;
	int				 fd;

	if (!leg->have_remote) {
		leg->stats.dropped++;
		return (-1);
	}
	if (leg->rx_key.suite != CRYPTO_NONE) {
		if (leg->srtp == NULL || len > RTPLEG_MTU) {
			leg->stats.dropped++;
			return (-1);
		}
		memcpy(txbuf, buf, len);
		if ((rtcp ? srtp_pair_protect_rtcp(leg->srtp, txbuf, &len,
		    sizeof(txbuf)) : srtp_pair_protect(leg->srtp,
		    txbuf, &len, sizeof(txbuf))) != 0) {
			leg->stats.dropped++;
			return (-1);
		}
		buf = txbuf;
	}
	to = rtcp ? &leg->rtcp_to : &leg->rtp_to;
	fd = rtcp && !leg->cfg.rtcp_mux ? leg->s[1].fd : leg->s[0].fd;
	if (sendto(fd, buf, len, 0, (const struct sockaddr *)to,
	    ss_len(to)) == -1) {
		leg->stats.dropped++;
		return (-1);
	}
	leg->stats.bytes_out += len;
	if (rtcp)
		leg->stats.rtcp_out++;
	else
		leg->stats.rtp_out++;
	return (0);
}

int
rtp_leg_send_rtp(struct rtp_leg *leg, const uint8_t *buf, size_t len)
{
	return (send_to(leg, 0, buf, len));
}

int
rtp_leg_send_rtcp(struct rtp_leg *leg, const uint8_t *buf, size_t len)
{
	return (send_to(leg, 1, buf, len));
}

/* Where RTP goes now (after latching); -1 before the peer is known. */
int
rtp_leg_peer(const struct rtp_leg *l, struct sockaddr_storage *ss)
{
	if (!l->have_remote)
		return (-1);
	*ss = l->rtp_to;
	return (0);
}

const struct rtp_leg_stats *
rtp_leg_stats(const struct rtp_leg *leg)
{
	return (&leg->stats);
}

void
rtp_leg_free(struct rtp_leg *leg)
{
	int	 i;

	if (leg == NULL)
		return;
	for (i = 0; i < 2; i++) {
		if (leg->s[i].taken != NULL)
			leg->cfg.fdw->give(leg->s[i].taken);
		if (leg->s[i].src != NULL) {
			g_source_destroy(leg->s[i].src);
			g_source_unref(leg->s[i].src);
		}
		if (leg->s[i].fd != -1)
			close(leg->s[i].fd);
	}
	srtp_pair_free(leg->srtp);
	explicit_bzero(leg, sizeof(*leg));
	free(leg);
}
