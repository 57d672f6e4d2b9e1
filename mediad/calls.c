/*
 * Calls in mediad: for each call id one PBX leg (plain RTP), one WebRTC
 * leg (ICE, DTLS-SRTP) and the relay between them, built from what sipd
 * and kandyd describe.  Messages about one call may come from the two in
 * any order; a call exists from its first message and ends with
 * MEDIA_FREE.  Nothing a peer sends is trusted: every description passes
 * its *_valid() check first.
 *
 * Outbound (MEDIA_ALLOC 0): the PBX offered (MEDIA_RTP_REMOTE); we answer
 * it with its codecs that we relay, in its order, and offer the same
 * codecs to Kandy once gathering is done.  Inbound (MEDIA_ALLOC 1): Kandy
 * offered (MEDIA_WEBRTC_REMOTE); we offer its codecs to the PBX and answer
 * Kandy with them once gathering is done.  Late offer (MEDIA_ALLOC 2: the
 * PBX's INVITE had no SDP): we offer the configured codecs to the PBX at
 * once and the same to Kandy; the PBX's answer (from its ACK) comes as the
 * first MEDIA_RTP_REMOTE.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/tree.h>
#ifndef __unused
#define __unused	__attribute__((__unused__))	/* for RB_GENERATE_STATIC */
#endif
#include <netinet/in.h>
#include <arpa/inet.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "dtls.h"
#include "dtmf.h"
#include "gloop.h"
#include "ice.h"
#include "log.h"
#include "media.h"
#include "mediad.h"
#include "relay.h"
#include "rtp.h"
#include "rtpleg.h"

#define SETUP_TIMEOUT_S		30	/* remote description to SRTP keyed */
#define TURN_WAIT_S		5	/* for Kandy's TURN credentials */
#define TRIM_EVERY_US		(2 * G_USEC_PER_SEC)
#define TE_PT_DEFAULT		101
#define DTMF_VOLUME		10	/* -dBm0 */
#define DTMF_STEP		160	/* clock units per packet: 20 ms */
#define DTMF_MIN_MS		40
#define DTMF_SSRC		0x47330000U	/* input SSRC of our digits */

/* cfg_ice_server.scheme and .transport, as bridged.conf(5) names them */
enum { SCHEME_STUN = 0, SCHEME_STUNS, SCHEME_TURN, SCHEME_TURNS };
enum { SERVER_UDP = 0, SERVER_TCP };

/*
 * What a call keeps of a WebRTC description once it has been sent or
 * applied: the relay's part.  The whole description (about 5 KiB, mostly
 * candidates) lives only while it is needed: ours while it is sent, the
 * remote one until libnice has it.
 */
struct web_media {
	uint32_t		 ssrc;
	uint8_t			 dir;
	uint8_t			 ncodecs;
	struct media_codec_desc	 codecs[MEDIA_MAXCODECS];
};

struct mcall {
	RB_ENTRY(mcall)		 entry;
	uint64_t		 id;
	int			 inbound;	/* Kandy made the offer */
	int			 late;		/* the PBX sent no offer: ours first */
	int			 allocated;	/* MEDIA_ALLOC seen */
	struct rtp_leg		*pbx;
	struct ice_leg		*web;
	struct media_relay	*relay;
	struct gloop		*loop;		/* the legs' GLib context */
	struct media_rtp_desc	 pbx_remote;
	struct media_rtp_desc	 pbx_local;
	struct web_media	 web_local;
	struct web_media	 web_remote;
	struct media_webrtc_desc *web_pending;	/* remote, not applied yet */
	int			 have_pbx_remote;
	int			 sent_pbx_local;
	int			 gathered;
	int			 sent_web_local;
	int			 have_web_remote;
	int			 applied_web_remote;
	int			 web_start;	/* inbound: our answer is going */
	int			 ready;
	int			 timed_out;
	int			 failed;	/* reported; waiting for MEDIA_FREE */
	uint64_t		 created_us;
	uint64_t		 remote_us;	/* remote description applied */
	uint64_t		 held_us;	/* last seen on hold */
	uint64_t		 turn_wait_us;	/* since: Kandy's TURN credentials */
	struct dtmf_tx		 dtmf;		/* a digit we inject */
	GSource			*dtmf_timer;
	uint32_t		 dtmf_n;	/* digits injected so far */
	uint16_t		 dtmf_seq;
};

RB_HEAD(mcalls, mcall);
static int	mcall_cmp(struct mcall *, struct mcall *);
RB_GENERATE_STATIC(mcalls, mcall, entry, mcall_cmp);

static struct mcalls	 calls = RB_INITIALIZER(&calls);
static uint64_t		 trimmed_at;	/* freed memory last given back */
static unsigned long	 trimmed_retired; /* dtls_retired_count() then */
static unsigned int	 ncalls;
static char		 turn_user[ICE_USERLEN];
static char		 turn_pass[ICE_PASSLEN];

static void	mcall_progress(struct mcall *);
static int	mcall_turn_retry(struct mcall *);

static int
mcall_cmp(struct mcall *a, struct mcall *b)
{
	return (a->id < b->id ? -1 : a->id > b->id);
}

void
calls_init(void)
{
	RB_INIT(&calls);
}

unsigned int
calls_count(void)
{
	return (ncalls);
}

/*
 * TURN credentials from Kandy: calls made from now on allocate with them.
 * Running calls keep the allocations they have, which libnice refreshes
 * with the credentials they were made with: it has no way to change them,
 * and giving a gathered agent the server again makes no new allocation
 * (docs/mediad.md, "TURN credentials").
 */
void
calls_turn_creds(const char *user, const char *pass, uint32_t life)
{
	struct mcall	*c;

	if (strcmp(user, turn_user) == 0 && strcmp(pass, turn_pass) == 0)
		return;
	strlcpy(turn_user, user, sizeof(turn_user));
	strlcpy(turn_pass, pass, sizeof(turn_pass));
	log_info("TURN credentials for %u s from Kandy, for new calls; %u "
	    "running call(s) keep their allocations", life, ncalls);
	/* Calls that waited for them go on. */
	RB_FOREACH(c, mcalls, &calls)
		mcall_turn_retry(c);
}

static void
report(struct mcall *c, enum media_event ev, const char *detail)
{
	if (ev == MEDIA_EV_ERROR || ev == MEDIA_EV_ICE_FAILED ||
	    ev == MEDIA_EV_DTLS_FAILED)
		c->failed = 1;
	child_send(&mediad_ctx, PROC_SIPD, IMSG_MEDIA_EVENT, c->id, -1, ev,
	    detail);
	child_send(&mediad_ctx, PROC_KANDYD, IMSG_MEDIA_EVENT, c->id, -1, ev,
	    detail);
}

/*
 * The address our legs use: the configured public address when it is an
 * IP literal, otherwise loopback for the PBX side's bind and every
 * interface for ICE.
 */
static int
local_addr(struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	const char		*a = mediad_conf.media.public_address;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, a, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		return (0);
	}
	if (inet_pton(AF_INET6, a, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		return (0);
	}
	return (-1);
}

/* A TURN server in the configuration takes Kandy's credentials. */
static int
turn_from_kandy(void)
{
	const struct cfg_ice_server	*s;
	unsigned int			 i;

	for (i = 0; i < mediad_conf.nservers; i++) {
		s = &mediad_conf.servers[i];
		if ((s->scheme == SCHEME_TURN || s->scheme == SCHEME_TURNS) &&
		    *s->username == '\0')
			return (1);
	}
	return (0);
}

/*
 * Whether the call's ICE leg waits for Kandy's TURN credentials before it
 * gathers.  kandyd asks for them once the account is ready, and a call
 * can come in just before they do: gathering then would give no relayed
 * candidate, which a relay-only bridge needs.  The call waits for them
 * (calls_turn_creds()), TURN_WAIT_S at most (mcall_tick()), then gathers
 * with what it has.
 */
static int
turn_pending(struct mcall *c)
{
	uint64_t	 now = g_get_monotonic_time();

	if (turn_user[0] != '\0' || !turn_from_kandy())
		return (0);
	if (c->turn_wait_us == 0) {
		c->turn_wait_us = now;
		log_info("call %016llx: waiting for TURN credentials from "
		    "Kandy", (unsigned long long)c->id);
	}
	if (now - c->turn_wait_us < TURN_WAIT_S * G_USEC_PER_SEC)
		return (1);
	log_warnx("call %016llx: no TURN credentials from Kandy after %d s; "
	    "gathering without them", (unsigned long long)c->id, TURN_WAIT_S);
	return (0);
}

/*
 * A call whose ICE leg waits for Kandy's TURN credentials goes on if they
 * came or the wait is over.  Whether it was waiting.
 */
static int
mcall_turn_retry(struct mcall *c)
{
	if (c->turn_wait_us == 0 || c->web != NULL || c->failed)
		return (0);
	mcall_progress(c);
	gloop_refresh(c->loop);
	return (1);
}

static int
ice_servers(struct ice_config *ic)
{
	const struct cfg_ice_server	*s;
	struct ice_server		*is;
	unsigned int			 i;

	for (i = 0; i < mediad_conf.nservers && ic->nservers < ICE_MAXSERVERS;
	    i++) {
		s = &mediad_conf.servers[i];
		is = &ic->servers[ic->nservers];
		memset(is, 0, sizeof(*is));
		switch (s->scheme) {
		case SCHEME_STUN:
			is->kind = ICE_SERVER_STUN;
			break;
		case SCHEME_TURN:
			is->kind = s->transport == SERVER_TCP ?
			    ICE_SERVER_TURN_TCP : ICE_SERVER_TURN_UDP;
			break;
		case SCHEME_TURNS:
			is->kind = ICE_SERVER_TURN_TLS;
			break;
		default:
			log_warnx("ICE server %s: stuns is not supported",
			    s->host);
			continue;
		}
		/* Literals, or names the parent resolved (mediad.c). */
		if (mediad_conf.addrs[i].ss_family == AF_UNSPEC) {
			log_warnx("ICE server %s: no address (yet)", s->host);
			continue;
		}
		is->addr = mediad_conf.addrs[i];
		strlcpy(is->host, s->host, sizeof(is->host));
		if (is->kind != ICE_SERVER_STUN) {
			if (*s->username != '\0') {
				strlcpy(is->user, s->username, sizeof(is->user));
				strlcpy(is->pass, s->password, sizeof(is->pass));
			} else {
				strlcpy(is->user, turn_user, sizeof(is->user));
				strlcpy(is->pass, turn_pass, sizeof(is->pass));
			}
		}
		ic->nservers++;
	}
	return (0);
}

static int
codec_index(const struct media_codec_desc *c, unsigned int n, uint8_t codec)
{
	unsigned int	 i;

	for (i = 0; i < n; i++)
		if (c[i].codec == codec)
			return (i);
	return (-1);
}

static int
configured(uint8_t codec)
{
	const struct cfg_media	*m = &mediad_conf.media;
	unsigned int		 i;

	if (codec == CODEC_TELEPHONE_EVENT)
		return (m->telephone_event);
	for (i = 0; i < m->ncodecs && i < MEDIA_MAXCODECS; i++)
		if (m->codecs[i] == codec)
			return (1);
	return (0);
}

/*
 * The codecs both the offer and our configuration have, in the offer's
 * order and with its payload types: what we answer and what we relay.
 */
static unsigned int
common_codecs(const struct media_codec_desc *offer, unsigned int n,
    struct media_codec_desc *out)
{
	unsigned int	 i, k = 0;

	for (i = 0; i < n && k < MEDIA_MAXCODECS; i++) {
		if (offer[i].codec == CODEC_OPUS || !configured(offer[i].codec))
			continue;
		if (codec_index(out, k, offer[i].codec) != -1)
			continue;
		out[k++] = offer[i];
	}
	/* Events alone carry no audio. */
	if (k == 1 && out[0].codec == CODEC_TELEPHONE_EVENT)
		k = 0;
	return (k);
}

/*
 * Our offer to a PBX that sent none (late offer): the configured codecs
 * in their order, with static payload types, and telephone-event.
 */
static unsigned int
configured_offer(struct media_codec_desc *out)
{
	const struct cfg_media	*m = &mediad_conf.media;
	unsigned int		 i, k = 0;

	for (i = 0; i < m->ncodecs && i < MEDIA_MAXCODECS &&
	    k < MEDIA_MAXCODECS - 1; i++)
		if (m->codecs[i] == CODEC_PCMU || m->codecs[i] == CODEC_PCMA)
			out[k++] = (struct media_codec_desc){ m->codecs[i],
			    m->codecs[i] == CODEC_PCMU ? 0 : 8, 1, 8000 };
	if (k > 0 && m->telephone_event)
		out[k++] = (struct media_codec_desc){ CODEC_TELEPHONE_EVENT,
		    TE_PT_DEFAULT, 1, 8000 };
	return (k);
}

static uint8_t
answer_dir(uint8_t offered)
{
	switch (offered) {
	case MEDIA_SENDONLY:
		return (MEDIA_RECVONLY);
	case MEDIA_RECVONLY:
		return (MEDIA_SENDONLY);
	default:
		return (offered);
	}
}

static void
web_media_keep(struct web_media *m, const struct media_webrtc_desc *d)
{
	m->ssrc = d->ssrc;
	m->dir = d->dir;
	m->ncodecs = d->ncodecs;
	memcpy(m->codecs, d->codecs, sizeof(m->codecs));
}

/* A description with the relay's part only, for media_relay_update(). */
static void
web_media_desc(const struct web_media *m, struct media_webrtc_desc *d)
{
	memset(d, 0, sizeof(*d));
	d->ssrc = m->ssrc;
	d->dir = m->dir;
	d->ncodecs = m->ncodecs;
	memcpy(d->codecs, m->codecs, sizeof(d->codecs));
}

static struct mcall *
mcall_get(uint64_t id, int create)
{
	struct mcall	 key, *c;

	key.id = id;
	if ((c = RB_FIND(mcalls, &calls, &key)) != NULL || !create)
		return (c);
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("call %016llx", (unsigned long long)id);
		return (NULL);
	}
	c->id = id;
	c->created_us = g_get_monotonic_time();
	RB_INSERT(mcalls, &calls, c);
	ncalls++;
	return (c);
}

static void
dtmf_stop(struct mcall *c)
{
	if (c->dtmf_timer != NULL) {
		g_source_destroy(c->dtmf_timer);
		g_source_unref(c->dtmf_timer);
		c->dtmf_timer = NULL;
	}
	c->dtmf.active = 0;
}

/*
 * One packet of the digit being injected.  It enters the relay as if the
 * PBX had sent it with its telephone-event payload type and a source of
 * its own, so the relay renumbers it to Kandy's payload type and keeps the
 * stream toward Kandy continuous (one SSRC, sequence without a gap).
 */
static gboolean
dtmf_step(gpointer arg)
{
	struct mcall	*c = arg;
	struct rtp_hdr	 h;
	uint8_t		 buf[64];
	size_t		 n, k;
	int		 marker, pt;

	pt = codec_index(c->pbx_remote.codecs, c->pbx_remote.ncodecs,
	    CODEC_TELEPHONE_EVENT);
	if (c->relay == NULL || pt == -1)
		goto done;
	memset(&h, 0, sizeof(h));
	h.pt = c->pbx_remote.codecs[pt].pt;
	h.ssrc = DTMF_SSRC + c->dtmf_n;
	h.seq = c->dtmf_seq++;
	h.ts = 0;	/* one timestamp for the whole event */
	n = rtp_write_header(buf, sizeof(buf), &h);
	if ((k = dtmf_tx_next(&c->dtmf, buf + n, sizeof(buf) - n,
	    &marker)) == 0)
		goto done;
	if (marker)
		buf[1] |= 0x80;
	media_relay_pbx_rtp(c->relay, buf, n + k);
	if (c->dtmf.active)
		return (G_SOURCE_CONTINUE);
 done:
	c->dtmf.active = 0;
	if (c->dtmf_timer != NULL) {
		g_source_unref(c->dtmf_timer);
		c->dtmf_timer = NULL;
	}
	return (G_SOURCE_REMOVE);
}

/* MEDIA_DTMF: a digit from SIP INFO, sent to Kandy as RFC 4733. */
static void
dtmf_inject(struct mcall *c, uint8_t event, uint32_t ms)
{
	uint32_t	 total;
	int		 ch;

	if ((ch = rtp_dtmf_char(event)) == -1) {
		log_warnx("call %016llx: DTMF event %u refused",
		    (unsigned long long)c->id, event);
		return;
	}
	if (!c->ready || c->relay == NULL || codec_index(c->pbx_remote.codecs,
	    c->pbx_remote.ncodecs, CODEC_TELEPHONE_EVENT) == -1 ||
	    codec_index(c->web_remote.codecs, c->web_remote.ncodecs,
	    CODEC_TELEPHONE_EVENT) == -1) {
		log_warnx("call %016llx: digit %c not sent: no media or no "
		    "telephone-event on both sides", (unsigned long long)c->id,
		    ch);
		return;
	}
	if (ms < DTMF_MIN_MS)
		ms = DTMF_MIN_MS;
	total = ms > 0xffff / 8 ? 0xffff : ms * 8;
	/* A new digit cuts the one still being sent short. */
	dtmf_stop(c);
	if (dtmf_tx_start(&c->dtmf, ch, DTMF_VOLUME, total, DTMF_STEP) == -1)
		return;
	c->dtmf_n++;
	log_debug("call %016llx: digit %c for %u ms to Kandy",
	    (unsigned long long)c->id, ch, ms);
	if (dtmf_step(c) == G_SOURCE_REMOVE)
		return;
	c->dtmf_timer = g_timeout_source_new(DTMF_STEP / 8);
	g_source_set_callback(c->dtmf_timer, dtmf_step, c, NULL);
	g_source_attach(c->dtmf_timer, gloop_context(c->loop));
}

/* Both legs' figures; a leg not made yet reads as nothing. */
static void
mcall_figures(struct mcall *c, struct leg_figures *pbx,
    struct leg_figures *web)
{
	struct media_relay_stats	 rs;

	if (c->relay != NULL)
		media_relay_stats(c->relay, &rs);
	memset(pbx, 0, sizeof(*pbx));
	memset(web, 0, sizeof(*web));
	pbx->rtt_us = web->rtt_us = FIGURE_UNKNOWN;
	strlcpy(pbx->state, "none", sizeof(pbx->state));
	strlcpy(web->state, "none", sizeof(web->state));
	strlcpy(pbx->path, "-", sizeof(pbx->path));
	strlcpy(web->path, "-", sizeof(web->path));
	if (c->pbx != NULL)
		figures_pbx(pbx, c->relay != NULL ? &rs.pbx : NULL, c->pbx);
	if (c->web != NULL)
		figures_web(web, c->relay != NULL ? &rs.web : NULL, c->web);
}

/*
 * CTL_SHOW_MEDIA: two rows (PBX leg, Kandy leg) for the call asked about
 * or for every call, then CTL_END, tagged with the control connection.
 */
void
calls_show(struct ipc_msg *m)
{
	struct leg_figures	 pbx, web;
	struct mcall		*c, key;
	uint64_t		 id;

	if (ipc_unpack(m, &id) == -1)
		fatalx("CTL_SHOW_MEDIA: bad payload");
	key.id = id;
	for (c = id != 0 ? RB_FIND(mcalls, &calls, &key) :
	    RB_MIN(mcalls, &calls); c != NULL;
	    c = id != 0 ? NULL : RB_NEXT(mcalls, &calls, c)) {
		mcall_figures(c, &pbx, &web);
		figures_send(m->hdr.call, c->id, "pbx", &pbx);
		figures_send(m->hdr.call, c->id, "kandy", &web);
	}
	child_send(&mediad_ctx, PROC_PARENT, IMSG_CTL_END, m->hdr.call, -1);
}

/*
 * The call is over: its media figures go to sipd, which writes the call
 * record, then everything goes.
 */
static void
mcall_free(struct mcall *c)
{
	struct leg_figures	 pbx, web;
	char			 rec[1200];

	mcall_figures(c, &pbx, &web);
	figures_record(rec, sizeof(rec), &pbx, &web);
	log_debug("call %016llx media: %s; %llu packets from strangers on "
	    "the PBX leg, %llu failing SRTP authentication on the Kandy leg",
	    (unsigned long long)c->id, rec, c->pbx != NULL ?
	    (unsigned long long)rtp_leg_stats(c->pbx)->foreign : 0ULL,
	    c->web != NULL ?
	    (unsigned long long)ice_leg_stats(c->web)->auth_fail : 0ULL);
	child_send(&mediad_ctx, PROC_SIPD, IMSG_MEDIA_STATS, c->id, -1, rec);
	media_relay_free(c->relay);
	ice_leg_free(c->web);
	rtp_leg_free(c->pbx);
	free(c->web_pending);
	dtmf_stop(c);
	gloop_release(c->loop);
	RB_REMOVE(mcalls, &calls, c);
	ncalls--;
	free(c);
}

/* Once a second: media that stopped, or a setup that never finished. */
static void
mcall_tick(struct mcall *c)
{
	uint64_t	 now = g_get_monotonic_time(), last = 0, t;
	uint32_t	 limit = mediad_conf.media.timeout;

	/* Waiting for Kandy's TURN credentials: at most TURN_WAIT_S. */
	if (mcall_turn_retry(c))
		return;
	/* A description for a call no one allocated: dropped in time. */
	if (!c->allocated) {
		if (now - c->created_us > SETUP_TIMEOUT_S * G_USEC_PER_SEC) {
			log_warnx("call %016llx: never allocated, dropped",
			    (unsigned long long)c->id);
			mcall_free(c);
		}
		return;
	}
	if (!c->ready) {
		if (c->remote_us != 0 && !c->timed_out &&
		    now - c->remote_us > SETUP_TIMEOUT_S * G_USEC_PER_SEC) {
			c->timed_out = 1;
			report(c, MEDIA_EV_ICE_FAILED, "no media path in time");
		}
		return;
	}
	if (limit == 0 || c->timed_out)
		return;
	/*
	 * On hold nothing need flow: either side's description says so, and
	 * a PBX's sendonly hold may send no music at all.  The wait starts
	 * again when the call comes off hold.
	 */
	if ((c->have_pbx_remote && c->pbx_remote.dir != MEDIA_SENDRECV) ||
	    (c->have_web_remote && c->web_remote.dir != MEDIA_SENDRECV)) {
		c->held_us = now;
		return;
	}
	if (c->pbx != NULL)
		last = rtp_leg_stats(c->pbx)->last_in_us;
	if (c->web != NULL && (t = ice_leg_stats(c->web)->last_in_us) > last)
		last = t;
	if (last == 0)
		last = c->remote_us;
	if (c->held_us > last)
		last = c->held_us;
	if (now - last > (uint64_t)limit * G_USEC_PER_SEC) {
		c->timed_out = 1;
		log_info("call %016llx: no media for %u s",
		    (unsigned long long)c->id, limit);
		report(c, MEDIA_EV_TIMEOUT, "no media");
	}
}

void
calls_tick(void)
{
	struct mcall	*c, *next;
	uint64_t	 now;

	for (c = RB_MIN(mcalls, &calls); c != NULL; c = next) {
		next = RB_NEXT(mcalls, &calls, c);
		mcall_tick(c);
	}
	/*
	 * A call's DTLS record buffers (32 KiB) are freed when the peer's
	 * first SRTP comes (dtls_session_retire()), which may be long after
	 * the handshake: a call on hold from the start, Kandy's media late.
	 * Between live allocations glibc keeps them resident unless asked,
	 * so ask after retirements, at most every TRIM_EVERY_US.
	 */
	now = (uint64_t)g_get_monotonic_time();
	if (dtls_retired_count() != trimmed_retired &&
	    now - trimmed_at >= TRIM_EVERY_US) {
		trimmed_retired = dtls_retired_count();
		trimmed_at = now;
#ifdef __GLIBC__
		malloc_trim(0);
#endif
	}
}

static void
pbx_rtp(struct rtp_leg *l, uint8_t *buf, size_t len, void *arg)
{
	struct mcall	*c = arg;

	/* While our digit is on the wire the PBX's audio waits. */
	if (c->relay != NULL && !c->dtmf.active)
		media_relay_pbx_rtp(c->relay, buf, len);
}

static void
pbx_rtcp(struct rtp_leg *l, uint8_t *buf, size_t len, void *arg)
{
	struct mcall	*c = arg;

	if (c->relay != NULL)
		media_relay_pbx_rtcp(c->relay, buf, len);
}

static void
web_rtp(struct ice_leg *l, uint8_t *buf, size_t len, void *arg)
{
	struct mcall	*c = arg;

	if (c->relay != NULL)
		media_relay_web_rtp(c->relay, buf, len);
}

static void
web_rtcp(struct ice_leg *l, uint8_t *buf, size_t len, void *arg)
{
	struct mcall	*c = arg;

	if (c->relay != NULL)
		media_relay_web_rtcp(c->relay, buf, len);
}

static void
web_event(struct ice_leg *l, enum ice_event ev, void *arg)
{
	struct mcall	*c = arg;

	log_debug("call %016llx: %s", (unsigned long long)c->id,
	    ice_event_name(ev));
	switch (ev) {
	case ICE_EV_GATHERED:
		c->gathered = 1;
		mcall_progress(c);
		break;
	case ICE_EV_CONNECTED:
		report(c, MEDIA_EV_ICE_CONNECTED, "");
		break;
	case ICE_EV_READY:
		c->ready = 1;
		if (c->relay != NULL)
			media_relay_web_ready(c->relay);
		report(c, MEDIA_EV_DTLS_CONNECTED, "");
		break;
	case ICE_EV_FAILED:
		report(c, c->applied_web_remote && !c->ready &&
		    ice_leg_stats(l)->rtp_in == 0 ? MEDIA_EV_ICE_FAILED :
		    MEDIA_EV_DTLS_FAILED, "");
		break;
	case ICE_EV_CLOSED:
		report(c, MEDIA_EV_ERROR, "Kandy closed DTLS");
		break;
	}
}

/* The call's GLib context and its PBX leg, made once per call. */
static int
mcall_pbx_leg(struct mcall *c)
{
	struct rtp_leg_config		 rc;
	struct rtp_leg_callbacks	 rcb = { pbx_rtp, pbx_rtcp, c };
	struct sockaddr_in		*sin = (struct sockaddr_in *)&rc.bind;

	if ((c->loop = gloop_new()) == NULL) {
		report(c, MEDIA_EV_ERROR, "out of memory");
		return (-1);
	}
	memset(&rc, 0, sizeof(rc));
	rc.ctx = gloop_context(c->loop);
	rc.fdw = &gloop_watcher;
	if (local_addr(&rc.bind) == -1) {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
	}
	rc.port_min = mediad_conf.media.rtp_low;
	rc.port_max = mediad_conf.media.rtp_high;
	rc.rtcp_mux = 0;
	rc.latch = 1;
	if ((c->pbx = rtp_leg_new(&rc, &rcb)) == NULL) {
		report(c, MEDIA_EV_ERROR, "no RTP port free");
		return (-1);
	}
	return (0);
}

/* The ICE leg toward Kandy and the relay between the legs. */
static int
mcall_web_leg(struct mcall *c)
{
	struct ice_config		 ic;
	struct ice_callbacks		 icb = { web_event, web_rtp, web_rtcp, c };

	memset(&ic, 0, sizeof(ic));
	ic.ctx = gloop_context(c->loop);
	ic.fdw = &gloop_watcher;
	/* Memory over a DTLS goodbye: see dtls_session_retire(). */
	ic.dtls_retire = 1;
	ic.offerer = !c->inbound;
	ic.relay_only = mediad_conf.media.relay_only;
	if (local_addr(&ic.local[0]) == 0)
		ic.nlocal = 1;
	ice_servers(&ic);
	c->web = ice_leg_new(&ic, &icb);
	explicit_bzero(&ic, sizeof(ic));
	if (c->web == NULL || ice_leg_gather(c->web) == -1) {
		report(c, MEDIA_EV_ERROR, "cannot start ICE");
		return (-1);
	}
	if ((c->relay = media_relay_new(gloop_context(c->loop), c->pbx,
	    c->web, 0)) == NULL) {
		report(c, MEDIA_EV_ERROR, "cannot make the relay");
		return (-1);
	}
	return (0);
}

/*
 * Both legs and the relay, made once per call; the ICE leg and the relay
 * may come later, once Kandy's TURN credentials are in (turn_pending()).
 */
static int
mcall_legs(struct mcall *c)
{
	if (c->pbx == NULL && mcall_pbx_leg(c) == -1)
		return (-1);
	if (c->web != NULL || turn_pending(c))
		return (0);
	return (mcall_web_leg(c));
}

/*
 * Our SDES key for the PBX leg, made once per call and kept across
 * re-INVITEs.  sipd uses it only when the PBX offers SRTP or bridged.conf
 * says to offer it; in an answer it takes the offer's suite and tag.
 */
static void
pbx_local_key(struct media_crypto *k)
{
	k->suite = CRYPTO_AES_CM_128_HMAC_SHA1_80;
	k->tag = 1;
	arc4random_buf(k->key, sizeof(k->key));
}

/* Our RTP side: the bound port at our address, the agreed codecs. */
static void
pbx_local_desc(struct mcall *c, const struct media_codec_desc *codecs,
    unsigned int n, uint8_t dir)
{
	struct media_rtp_desc	*d = &c->pbx_local;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&d->addr;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&d->addr;
	uint16_t		 port = rtp_leg_port(c->pbx);

	memset(d, 0, sizeof(*d));
	if (local_addr(&d->addr) == -1) {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	}
	if (d->addr.ss_family == AF_INET)
		sin->sin_port = htons(port);
	else
		sin6->sin6_port = htons(port);
	d->rtcp_port = port + 1;
	d->dir = dir;
	d->ptime = 20;
	d->ncodecs = n;
	memcpy(d->codecs, codecs, n * sizeof(codecs[0]));
	pbx_local_key(&d->crypto);
}

static void
relay_update(struct mcall *c)
{
	struct media_webrtc_desc	 local, remote;

	if (c->relay == NULL || !c->have_pbx_remote || !c->sent_web_local ||
	    !c->have_web_remote)
		return;
	web_media_desc(&c->web_local, &local);
	web_media_desc(&c->web_remote, &remote);
	if (media_relay_update(c->relay, &c->pbx_remote, &local,
	    &remote) == -1)
		log_warnx("call %016llx: no codec can be relayed",
		    (unsigned long long)c->id);
	/* Kandy's answer applied, or ours on its way (inbound). */
	if (c->applied_web_remote)
		media_relay_answered(c->relay);
}

/*
 * Moves a call on with what it has: answers and offers go out as soon as
 * what they depend on is in.
 */
static void
mcall_progress(struct mcall *c)
{
	struct media_webrtc_desc	 d;
	struct media_codec_desc		 codecs[MEDIA_MAXCODECS];
	const struct media_codec_desc	*offer;
	unsigned int			 n, noffer;

	if (!c->allocated || c->failed || mcall_legs(c) == -1)
		return;
	/*
	 * Outbound the PBX offered: answer it with its codecs we relay, then
	 * offer those to Kandy.  Inbound Kandy offered: offer its codecs to
	 * the PBX, then answer Kandy with them.
	 */
	offer = c->inbound ? c->web_remote.codecs : c->pbx_remote.codecs;
	noffer = c->inbound ? c->web_remote.ncodecs : c->pbx_remote.ncodecs;
	if ((c->late || (c->inbound ? c->have_web_remote :
	    c->have_pbx_remote)) && !c->sent_pbx_local) {
		n = c->late ? configured_offer(codecs) :
		    common_codecs(offer, noffer, codecs);
		if (n == 0) {
			report(c, MEDIA_EV_ERROR, "no common codec");
			return;
		}
		pbx_local_desc(c, codecs, n, c->inbound || c->late ?
		    MEDIA_SENDRECV : answer_dir(c->pbx_remote.dir));
		c->sent_pbx_local = 1;
		child_send(&mediad_ctx, PROC_SIPD, IMSG_MEDIA_RTP_LOCAL, c->id,
		    -1, &c->pbx_local, sizeof(c->pbx_local));
	}
	if (c->sent_pbx_local && c->gathered && !c->sent_web_local) {
		if (ice_leg_local_desc(c->web, &d) == -1)
			return;
		d.ncodecs = c->pbx_local.ncodecs;
		memcpy(d.codecs, c->pbx_local.codecs, sizeof(d.codecs));
		d.dir = c->inbound ? answer_dir(c->web_remote.dir) :
		    c->have_pbx_remote ? c->pbx_remote.dir : MEDIA_SENDRECV;
		d.rtcp_mux = 1;
		web_media_keep(&c->web_local, &d);
		c->sent_web_local = 1;
		child_send(&mediad_ctx, PROC_KANDYD, IMSG_MEDIA_WEBRTC_LOCAL,
		    c->id, -1, &d, sizeof(d));
	}
	/*
	 * Checks start once Kandy can answer them with a nomination: after
	 * our offer went out, or inbound once kandyd sends our answer
	 * (MEDIA_WEBRTC_START), however long 3CX rings before that.
	 */
	if (c->web_pending != NULL && !c->applied_web_remote &&
	    c->web != NULL && (c->inbound ? c->web_start : c->sent_web_local)) {
		if (ice_leg_set_remote(c->web, c->web_pending) == -1) {
			report(c, MEDIA_EV_ICE_FAILED, "remote description "
			    "refused");
			return;
		}
		explicit_bzero(c->web_pending, sizeof(*c->web_pending));
		free(c->web_pending);
		c->web_pending = NULL;
		c->applied_web_remote = 1;
		c->remote_us = g_get_monotonic_time();
	}
	relay_update(c);
}

/*
 * A later description from Kandy.  An offer says setup:actpass (RFC 8842:
 * answers never do): hold, resume or an ICE restart from Kandy, answered
 * with a new MEDIA_WEBRTC_LOCAL.  Anything else answers a re-offer of
 * ours.
 */
static void
web_reoffer(struct mcall *c, const struct media_webrtc_desc *wd)
{
	struct media_webrtc_desc	 d;
	int				 offer = wd->setup == SETUP_ACTPASS;

	web_media_keep(&c->web_remote, wd);
	if (ice_leg_update_remote(c->web, wd, offer) == -1) {
		log_warnx("call %016llx: new Kandy description refused",
		    (unsigned long long)c->id);
		return;
	}
	if (offer && ice_leg_local_desc(c->web, &d) == 0) {
		d.ssrc = c->web_local.ssrc;
		d.ncodecs = c->web_local.ncodecs;
		memcpy(d.codecs, c->web_local.codecs, sizeof(d.codecs));
		d.dir = answer_dir(wd->dir);
		d.rtcp_mux = 1;
		web_media_keep(&c->web_local, &d);
		child_send(&mediad_ctx, PROC_KANDYD, IMSG_MEDIA_WEBRTC_LOCAL,
		    c->id, -1, &d, sizeof(d));
		log_debug("call %016llx: Kandy re-offer, %s",
		    (unsigned long long)c->id, media_dir_name(wd->dir));
	}
	relay_update(c);
}

static int
take_blob(struct ipc_msg *m, void *dst, size_t size)
{
	const void	*p;
	size_t		 len;

	if (ipc_unpack(m, &p, &len) == -1 || len != size) {
		log_warnx("call %016llx: %s of %zu bytes refused",
		    (unsigned long long)m->hdr.call,
		    ipc_typename(m->hdr.type), len);
		return (-1);
	}
	memcpy(dst, p, size);
	return (0);
}

static void	call_msg(enum kb_proc, struct ipc_msg *);

/*
 * A message may add sources or timers to its call's GLib context from
 * outside that context's dispatch: the loop looks at it again after.
 */
void
calls_dispatch(enum kb_proc from, struct ipc_msg *m)
{
	struct mcall	*c;

	call_msg(from, m);
	if (m->hdr.call != 0 && (c = mcall_get(m->hdr.call, 0)) != NULL)
		gloop_refresh(c->loop);
}

static void
call_msg(enum kb_proc from, struct ipc_msg *m)
{
	struct media_rtp_desc	 rd;
	struct media_webrtc_desc wd;
	struct mcall		*c;
	const char		*why;
	uint32_t		 dur;
	uint8_t			 b;
	int			 reoffer;

	if (!mediad_configured) {
		log_warnx("%s from %s before the configuration: refused",
		    ipc_typename(m->hdr.type), proc_name(from));
		if (m->hdr.call != 0)
			child_send(&mediad_ctx, from, IMSG_MEDIA_EVENT,
			    m->hdr.call, -1, MEDIA_EV_ERROR, "not configured");
		return;
	}
	if (m->hdr.call == 0) {
		log_warnx("%s from %s without a call id",
		    ipc_typename(m->hdr.type), proc_name(from));
		return;
	}
	switch (m->hdr.type) {
	case IMSG_MEDIA_ALLOC:
		ipc_unpack(m, &b);
		if ((c = mcall_get(m->hdr.call, 1)) == NULL)
			return;
		if (c->allocated) {
			log_warnx("call %016llx allocated twice",
			    (unsigned long long)c->id);
			return;
		}
		c->allocated = 1;
		c->inbound = b == 1;
		c->late = b == 2;
		log_debug("call %016llx: %s", (unsigned long long)c->id,
		    c->inbound ? "Kandy offers" : c->late ? "we offer to both" :
		    "the PBX offers");
		mcall_progress(c);
		break;
	case IMSG_MEDIA_RTP_REMOTE:
		if (take_blob(m, &rd, sizeof(rd)) == -1)
			return;
		if (media_rtp_valid(&rd, &why) == -1) {
			log_warnx("call %016llx: PBX description refused: %s",
			    (unsigned long long)m->hdr.call, why);
			return;
		}
		if ((c = mcall_get(m->hdr.call, 1)) == NULL)
			return;
		/*
		 * Once answered, a new PBX description is a re-INVITE's offer
		 * (hold, resume, a new address): answered with the same
		 * codecs and the direction that mirrors it.  Inbound, the
		 * first one is the PBX's answer to ours.
		 */
		reoffer = c->sent_pbx_local && (!(c->inbound || c->late) ||
		    c->have_pbx_remote);
		c->pbx_remote = rd;
		c->have_pbx_remote = 1;
		if (reoffer) {
			c->pbx_local.dir = answer_dir(rd.dir);
			child_send(&mediad_ctx, PROC_SIPD, IMSG_MEDIA_RTP_LOCAL,
			    c->id, -1, &c->pbx_local, sizeof(c->pbx_local));
			log_debug("call %016llx: PBX re-offer, %s",
			    (unsigned long long)c->id,
			    media_dir_name(rd.dir));
		}
		mcall_progress(c);
		if (c->pbx != NULL && rtp_leg_set_remote(c->pbx, &rd) == -1)
			log_warnx("call %016llx: PBX address not usable",
			    (unsigned long long)c->id);
		if (c->pbx != NULL && c->sent_pbx_local &&
		    rtp_leg_set_srtp(c->pbx, &c->pbx_local.crypto,
		    &rd.crypto) == -1)
			report(c, MEDIA_EV_ERROR, "cannot key SRTP");
		explicit_bzero(&rd, sizeof(rd));
		break;
	case IMSG_MEDIA_WEBRTC_REMOTE:
		if (take_blob(m, &wd, sizeof(wd)) == -1)
			return;
		if (media_webrtc_valid(&wd, &why) == -1) {
			log_warnx("call %016llx: Kandy description refused: %s",
			    (unsigned long long)m->hdr.call, why);
			return;
		}
		if ((c = mcall_get(m->hdr.call, 1)) == NULL)
			return;
		if (c->applied_web_remote) {
			web_reoffer(c, &wd);
			return;
		}
		/* A second one before the first was applied replaces it. */
		if (c->web_pending == NULL &&
		    (c->web_pending = malloc(sizeof(wd))) == NULL) {
			log_warn("call %016llx", (unsigned long long)c->id);
			report(c, MEDIA_EV_ERROR, "out of memory");
			return;
		}
		*c->web_pending = wd;
		web_media_keep(&c->web_remote, &wd);
		c->have_web_remote = 1;
		mcall_progress(c);
		break;
	case IMSG_MEDIA_WEBRTC_START:
		if ((c = mcall_get(m->hdr.call, 0)) == NULL || !c->inbound) {
			log_warnx("call %016llx: MEDIA_WEBRTC_START for no "
			    "inbound call", (unsigned long long)m->hdr.call);
			return;
		}
		c->web_start = 1;
		mcall_progress(c);
		break;
	case IMSG_MEDIA_DTMF:
		ipc_unpack(m, &b, &dur);
		if ((c = mcall_get(m->hdr.call, 0)) == NULL) {
			log_warnx("call %016llx: digit for an unknown call",
			    (unsigned long long)m->hdr.call);
			return;
		}
		dtmf_inject(c, b, dur);
		break;
	case IMSG_MEDIA_FREE:
		if ((c = mcall_get(m->hdr.call, 0)) == NULL) {
			/* sipd waits for the figures to write its record. */
			if (from == PROC_SIPD)
				child_send(&mediad_ctx, PROC_SIPD,
				    IMSG_MEDIA_STATS, m->hdr.call, -1, "");
			return;
		}
		log_debug("call %016llx: freed by %s",
		    (unsigned long long)c->id, proc_name(from));
		mcall_free(c);
		break;
	default:
		log_warnx("unexpected %s from %s", ipc_typename(m->hdr.type),
		    proc_name(from));
		break;
	}
}
