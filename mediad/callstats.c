/*
 * A call's media figures, leg by leg: what `bridgectl show calls` and
 * `show call ID` print (CTL_MEDIA rows) and the media part of the call
 * record (MEDIA_STATS to sipd).  The relay knows the streams (packets,
 * loss, jitter, round trip from RTCP), the legs know bytes, states and
 * addresses; the E-model turns them into a MOS.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "emodel.h"
#include "log.h"
#include "mediad.h"

static void
addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char	 h[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, h, sizeof(h));
		snprintf(buf, len, "%s:%u", h, ntohs(sin->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, h, sizeof(h));
		snprintf(buf, len, "[%s]:%u", h, ntohs(sin6->sin6_port));
	} else
		strlcpy(buf, "-", len);
}

const char *
cand_type_name(uint8_t type)
{
	switch (type) {
	case CAND_HOST:
		return ("host");
	case CAND_SRFLX:
		return ("srflx");
	case CAND_PRFLX:
		return ("prflx");
	case CAND_RELAY:
		return ("relay");
	}
	return ("?");
}

/*
 * The figures common to both legs: bytes from the leg, the streams from
 * the relay (none before it exists) and the MOS from them.
 */
static void
stream_figures(struct leg_figures *f, const struct relay_side_stats *rs,
    uint64_t bytes_in, uint64_t bytes_out)
{
	double		 loss = 0, seen;
	uint32_t	 jitter;

	memset(f, 0, sizeof(*f));
	f->bytes_in = bytes_in;
	f->bytes_out = bytes_out;
	f->rtt_us = FIGURE_UNKNOWN;
	if (rs == NULL)
		return;
	f->pkts_in = rs->received;
	f->pkts_out = rs->forwarded;
	f->lost = rs->lost > 0 ? (uint32_t)rs->lost : 0;
	f->jitter_us = rs->jitter_us;
	f->rtt_us = rs->have_rtt ? rs->rtt_us : FIGURE_UNKNOWN;
	if (rs->have_view) {
		f->peer_lost = rs->view_lost > 0 ? (uint32_t)rs->view_lost : 0;
		f->peer_jitter_us = rs->view_jitter_us;
	}
	if (f->pkts_in == 0) {
		f->mos100 = 0;
		return;
	}
	/* The worse of the two directions on this leg's path. */
	seen = (double)f->pkts_in + f->lost;
	if (seen > 0)
		loss = 100.0 * f->lost / seen;
	if (f->pkts_out > 0 && 100.0 * f->peer_lost / f->pkts_out > loss)
		loss = 100.0 * f->peer_lost / f->pkts_out;
	jitter = (rs->jitter_us > rs->view_jitter_us ? rs->jitter_us :
	    rs->view_jitter_us) / 1000;
	f->mos100 = (uint32_t)(emodel_mos(rs->have_rtt ? rs->rtt_us / 1000 :
	    EMODEL_RTT_UNKNOWN, jitter, loss) * 100 + 0.5);
}

void
figures_pbx(struct leg_figures *f, const struct relay_side_stats *rs,
    const struct rtp_leg *l)
{
	const struct rtp_leg_stats	*ls = rtp_leg_stats(l);
	struct sockaddr_storage		 ss;
	char				 a[64];

	stream_figures(f, rs, ls->bytes_in, ls->bytes_out);
	if (rtp_leg_peer(l, &ss) == -1) {
		strlcpy(f->state, "waiting", sizeof(f->state));
		snprintf(f->path, sizeof(f->path), "port %u", rtp_leg_port(l));
		return;
	}
	strlcpy(f->state, ls->rtp_in == 0 ? "waiting" : ls->latched ?
	    "latched" : "receiving", sizeof(f->state));
	addr_str(&ss, a, sizeof(a));
	snprintf(f->path, sizeof(f->path), "port %u <-> %s", rtp_leg_port(l),
	    a);
}

void
figures_web(struct leg_figures *f, const struct relay_side_stats *rs,
    struct ice_leg *l)
{
	const struct ice_leg_stats	*ls = ice_leg_stats(l);
	struct ice_cand			 lc, rc;
	char				 a[64], b[64];

	stream_figures(f, rs, ls->bytes_in, ls->bytes_out);
	snprintf(f->state, sizeof(f->state), "ice %s, dtls %s",
	    ice_leg_ice_state(l), ice_leg_dtls_state(l));
	if (ice_leg_selected(l, &lc, &rc) == -1) {
		strlcpy(f->path, "-", sizeof(f->path));
		return;
	}
	addr_str(&lc.addr, a, sizeof(a));
	addr_str(&rc.addr, b, sizeof(b));
	snprintf(f->path, sizeof(f->path), "%s %s <-> %s %s",
	    cand_type_name(lc.type), a, cand_type_name(rc.type), b);
	strlcpy(f->pair, cand_type_name(lc.type), sizeof(f->pair));
	strlcat(f->pair, "/", sizeof(f->pair));
	strlcat(f->pair, cand_type_name(rc.type), sizeof(f->pair));
}

/* One CTL_MEDIA row to the parent, for the control connection ctl. */
void
figures_send(uint64_t ctl, uint64_t call, const char *leg,
    const struct leg_figures *f)
{
	child_send(&mediad_ctx, PROC_PARENT, IMSG_CTL_MEDIA, ctl, -1, call,
	    leg, f->pkts_in, f->pkts_out, f->bytes_in, f->bytes_out, f->lost,
	    f->jitter_us, f->peer_lost, f->peer_jitter_us, f->rtt_us,
	    f->mos100, f->state, f->path);
}

static void
leg_record(char *buf, size_t len, const char *leg,
    const struct leg_figures *f)
{
	char	 rtt[24], mos[16];

	if (f->rtt_us == FIGURE_UNKNOWN)
		strlcpy(rtt, "-", sizeof(rtt));
	else
		snprintf(rtt, sizeof(rtt), "%.1f", f->rtt_us / 1000.0);
	if (f->mos100 == 0)
		strlcpy(mos, "-", sizeof(mos));
	else
		snprintf(mos, sizeof(mos), "%u.%02u", f->mos100 / 100,
		    f->mos100 % 100);
	snprintf(buf, len, "%s_rx=%llu %s_tx=%llu %s_rx_bytes=%llu "
	    "%s_tx_bytes=%llu %s_lost=%u %s_jitter_ms=%.1f %s_peer_lost=%u "
	    "%s_rtt_ms=%s %s_mos=%s", leg, (unsigned long long)f->pkts_in,
	    leg, (unsigned long long)f->pkts_out, leg,
	    (unsigned long long)f->bytes_in, leg,
	    (unsigned long long)f->bytes_out, leg, f->lost, leg,
	    f->jitter_us / 1000.0, leg, f->peer_lost, leg, rtt, leg, mos);
}

/*
 * The media part of the call record: key=value pairs, no spaces inside a
 * value, documented in docs/mediad.md and bridged(8).
 */
void
figures_record(char *buf, size_t len, const struct leg_figures *pbx,
    const struct leg_figures *web)
{
	char	 a[512], b[512];

	leg_record(a, sizeof(a), "pbx", pbx);
	leg_record(b, sizeof(b), "kandy", web);
	snprintf(buf, len, "%s %s ice_pair=%s", a, b,
	    web->pair[0] != '\0' ? web->pair : "-");
}
