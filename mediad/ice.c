/*
 * WebRTC media legs on libnice: ICE, then DTLS-SRTP, then plain RTP in
 * and out.  See ice.h.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <nice/agent.h>

#include "dtls.h"
#include "fdwatch.h"
#include "ice.h"
#include "log.h"
#include "rtp.h"
#include "sockaddr.h"
#include "srtp.h"
#include "steer.h"
#include "tlstun.h"

#define ICE_COMPONENT	1	/* rtcp-mux: RTP and RTCP share it */
/*
 * libnice's idle-timeout: how long its 20 ms check timer goes on ticking
 * once no check is left, before it judges the components.  While
 * checking, its default (a slow peer may still nominate); once the pair
 * is nominated there is nothing left to judge, and 5 s of ticks cost a
 * call more CPU than its first minute of silence.
 */
#define ICE_IDLE_CHECKING_MS	5000
#define ICE_IDLE_READY_MS	50	/* the least libnice takes */
#define ICE_MTU		1500
#define ICE_BUFSZ	(ICE_MTU + SRTCP_TRAILER_ROOM)

struct ice_leg {
	NiceAgent		*agent;
	guint			 stream;
	GMainContext		*ctx;
	const struct fd_watcher	*fdw;		/* from the config */
	int			 offerer;	/* from the config */
	int			 relay_only;	/* from the config */
	int			 retire_dtls;	/* from the config */
	int			 no_steer;	/* from the config */
	struct ice_callbacks	 cb;
	int			 gathering;
	int			 gathered;
	int			 remote_set;
	int			 connected;
	int			 failed;
	int			 restarting;	/* we offered a restart */
	guint			 state;		/* libnice's, of our component */
	/* The fast path: the selected pair's socket, read and written here */
	void			*taken;
	int			 fast_fd;	/* read and written */
	int			 fast_owner;	/* libnice's, under it */
	int			 steered;	/* fast_fd is our own */
	GSocket			*fast_sock;
	struct sockaddr_storage	 fast_peer;
	char			 remote_ufrag[MEDIA_UFRAGLEN];
	char			 remote_pwd[MEDIA_PWDLEN];
	char			 remote_fp[MEDIA_FPLEN];
	enum dtls_role		 role;
	struct dtls_session	*dtls;
	int			 dtls_retire;	/* at the first SRTP packet */
	struct srtp_pair	*srtp;
	GSource			*dtls_timer;
	struct tls_tunnel	*tunnels[ICE_MAXSERVERS];
	struct ice_leg_stats	 stats;
	/*
	 * A ClientHello that came before the remote description (the peer
	 * can finish ICE first): kept and fed to the session once it exists.
	 */
	size_t			 early_len;
	uint8_t			*early;
};

/*
 * Packet buffers, one for the process: a packet is read, unprotected and
 * handed on (or copied, protected and sent) before the next is touched,
 * and nothing in between reads another leg's packet.
 */
static uint8_t	 inbuf[ICE_BUFSZ];
static uint8_t	 outbuf[ICE_BUFSZ];

static void	fast_update(struct ice_leg *);
static void	srtp_input(struct ice_leg *, size_t);

const char *
ice_event_name(enum ice_event ev)
{
	switch (ev) {
	case ICE_EV_GATHERED:
		return ("gathered");
	case ICE_EV_CONNECTED:
		return ("connected");
	case ICE_EV_READY:
		return ("ready");
	case ICE_EV_FAILED:
		return ("failed");
	case ICE_EV_CLOSED:
		return ("closed");
	}
	return ("unknown");
}

static void
leg_event(struct ice_leg *leg, enum ice_event ev)
{
	log_debug("ice: leg %p %s", (void *)leg, ice_event_name(ev));
	if (leg->cb.event != NULL)
		leg->cb.event(leg, ev, leg->cb.arg);
}

static void
leg_fail(struct ice_leg *leg, const char *why)
{
	if (leg->failed)
		return;
	leg->failed = 1;
	log_warnx("ice: leg %p failed: %s", (void *)leg, why);
	leg_event(leg, ICE_EV_FAILED);
}

static int
to_nice_address(const struct sockaddr_storage *ss, NiceAddress *a)
{
	if (ss_len(ss) == 0)
		return (-1);
	nice_address_init(a);
	nice_address_set_from_sockaddr(a, (const struct sockaddr *)ss);
	return (nice_address_is_valid(a) ? 0 : -1);
}

/* DTLS transport: datagrams go over the selected pair. */
static int
dtls_send(void *arg, const uint8_t *buf, size_t len)
{
	struct ice_leg	*leg = arg;

	if (nice_agent_send(leg->agent, leg->stream, ICE_COMPONENT, len,
	    (const gchar *)buf) < 0)
		return (-1);
	return (0);
}

static gboolean
dtls_timer_fired(gpointer arg)
{
	struct ice_leg	*leg = arg;

	g_source_unref(leg->dtls_timer);
	leg->dtls_timer = NULL;
	if (leg->dtls != NULL)
		dtls_session_timer(leg->dtls);
	return (G_SOURCE_REMOVE);
}

static void
dtls_timer(void *arg, unsigned int ms)
{
	struct ice_leg	*leg = arg;

	if (leg->dtls_timer != NULL) {
		g_source_destroy(leg->dtls_timer);
		g_source_unref(leg->dtls_timer);
		leg->dtls_timer = NULL;
	}
	if (ms == 0)
		return;
	leg->dtls_timer = g_timeout_source_new(ms);
	g_source_set_callback(leg->dtls_timer, dtls_timer_fired, leg, NULL);
	g_source_attach(leg->dtls_timer, leg->ctx);
}

static void
dtls_state(void *arg, enum dtls_state st, const struct srtp_keymat *keys)
{
	struct ice_leg	*leg = arg;

	switch (st) {
	case DTLS_STATE_CONNECTED:
		if ((leg->srtp = srtp_pair_new(keys)) == NULL) {
			leg_fail(leg, "cannot key SRTP");
			return;
		}
		log_info("ice: leg %p media ready, %s", (void *)leg,
		    srtp_profile_name(keys->profile));
		leg->dtls_retire = leg->retire_dtls;
		leg_event(leg, ICE_EV_READY);
		break;
	case DTLS_STATE_FAILED:
		leg_fail(leg, "DTLS handshake failed");
		break;
	case DTLS_STATE_CLOSED:
		srtp_pair_free(leg->srtp);
		leg->srtp = NULL;
		leg_event(leg, ICE_EV_CLOSED);
		break;
	default:
		break;
	}
}

static void
on_gathering_done(NiceAgent *agent, guint stream, gpointer arg)
{
	struct ice_leg	*leg = arg;

	if (stream != leg->stream || leg->gathered)
		return;
	leg->gathered = 1;
	leg_event(leg, ICE_EV_GATHERED);
}

static void
on_state_changed(NiceAgent *agent, guint stream, guint component,
    guint state, gpointer arg)
{
	struct ice_leg	*leg = arg;

	if (stream != leg->stream || component != ICE_COMPONENT)
		return;
	log_debug("ice: leg %p component %s", (void *)leg,
	    nice_component_state_to_string(state));
	leg->state = state;
	fast_update(leg);
	switch (state) {
	case NICE_COMPONENT_STATE_CONNECTED:
	case NICE_COMPONENT_STATE_READY:
		if (state == NICE_COMPONENT_STATE_READY)
			g_object_set(agent, "idle-timeout", ICE_IDLE_READY_MS,
			    NULL);
		if (leg->connected)
			break;
		leg->connected = 1;
		leg_event(leg, ICE_EV_CONNECTED);
		if (leg->dtls != NULL && leg->role == DTLS_ROLE_CLIENT &&
		    dtls_session_start(leg->dtls) == -1)
			leg_fail(leg, "DTLS start failed");
		break;
	case NICE_COMPONENT_STATE_FAILED:
		leg_fail(leg, "ICE failed");
		break;
	default:
		break;
	}
}

static void
on_selected_pair(NiceAgent *agent, guint stream, guint component,
    NiceCandidate *local, NiceCandidate *remote, gpointer arg)
{
	char	 l[NICE_ADDRESS_STRING_LEN], r[NICE_ADDRESS_STRING_LEN];

	nice_address_to_string(&local->addr, l);
	nice_address_to_string(&remote->addr, r);
	log_debug("ice: leg %p selected %s:%u -> %s:%u", arg, l,
	    nice_address_get_port(&local->addr), r,
	    nice_address_get_port(&remote->addr));
	fast_update(arg);
}

static void
on_recv(NiceAgent *agent, guint stream, guint component, guint len,
    gchar *data, gpointer arg)
{
	struct ice_leg	*leg = arg;
	const uint8_t	*buf = (const uint8_t *)data;
	size_t		 n = len;

	switch (pkt_classify(buf, n)) {
	case PKT_DTLS:
		if (leg->dtls == NULL) {
			if (n > ICE_MTU || (leg->early == NULL &&
			    (leg->early = malloc(ICE_MTU)) == NULL))
				break;
			memcpy(leg->early, buf, n);
			leg->early_len = n;
			return;
		}
		dtls_session_input(leg->dtls, buf, n);
		return;
	case PKT_RTP:
	case PKT_RTCP:
		if (n > ICE_MTU)
			break;
		memcpy(inbuf, buf, n);
		srtp_input(leg, n);
		return;
	default:
		break;
	}
	leg->stats.dropped++;
}

/* An SRTP or SRTCP packet in inbuf: unprotected and handed on. */
static void
srtp_input(struct ice_leg *leg, size_t n)
{
	int	 rv, rtcp;

	if (leg->srtp == NULL)
		goto drop;
	/* Unprotecting keeps the header: the class holds for the result. */
	rtcp = pkt_classify(inbuf, n) == PKT_RTCP;
	if (rtcp)
		rv = srtp_pair_unprotect_rtcp(leg->srtp, inbuf, &n);
	else
		rv = srtp_pair_unprotect(leg->srtp, inbuf, &n);
	if (rv == SRTP_EAUTH) {
		leg->stats.auth_fail++;
		return;
	}
	if (rv == SRTP_EREPLAY) {
		leg->stats.replayed++;
		return;
	}
	if (rv != 0)
		goto drop;
	leg->stats.last_in_us = (uint64_t)g_get_monotonic_time();
	leg->stats.bytes_in += n;
	/* The peer has our keys, so it is done with DTLS: we are too. */
	if (leg->dtls_retire && leg->dtls != NULL) {
		leg->dtls_retire = 0;
		dtls_session_retire(leg->dtls);
	}
	if (rtcp) {
		leg->stats.rtcp_in++;
		if (leg->cb.rtcp != NULL)
			leg->cb.rtcp(leg, inbuf, n, leg->cb.arg);
	} else {
		leg->stats.rtp_in++;
		if (leg->cb.rtp != NULL)
			leg->cb.rtp(leg, inbuf, n, leg->cb.arg);
	}
	return;
 drop:
	leg->stats.dropped++;
}

/*
 * The fast path.  Once ICE has settled on a pair whose local end is one
 * of our own UDP sockets (host, server- or peer-reflexive; never TURN),
 * the leg reads and writes that pair's address itself, from the owner's
 * loop, instead of through libnice and a GLib dispatch for every packet.
 * Where the kernel can steer (steer.c), a second socket on the same
 * address gets only datagrams that start like RTP/RTCP and libnice's
 * socket keeps the rest: the leg reads its own, SRTP from the selected
 * peer is relayed, RTP-like bytes from anyone else dropped.  Elsewhere
 * the leg takes libnice's socket and peeks at each datagram first: SRTP
 * from the selected peer is ours, anything else (STUN for consent
 * freshness and keepalives, DTLS, other addresses) is passed to libnice,
 * which reads it as before.  Either way libnice keeps its timers, so
 * consent checks go on; when it reports a state other than connected or
 * ready, or another pair, the path follows.
 */
static void
fast_off(struct ice_leg *leg)
{
	if (leg->taken != NULL) {
		leg->fdw->give(leg->taken);
		leg->taken = NULL;
	}
	if (leg->fast_sock != NULL) {
		g_object_unref(leg->fast_sock);
		leg->fast_sock = NULL;
	}
	if (leg->steered)
		close(leg->fast_fd);
	leg->steered = 0;
	leg->fast_fd = -1;
	leg->fast_owner = -1;
}

/* Our steered socket: only datagrams that start like RTP or RTCP. */
static void
steered_readable(int fd, void *arg)
{
	struct ice_leg		*leg = arg;
	struct sockaddr_storage	 from;
	socklen_t		 fromlen = sizeof(from);
	ssize_t			 n;

	n = recvfrom(fd, inbuf, sizeof(inbuf), MSG_TRUNC,
	    (struct sockaddr *)&from, &fromlen);
	if (n == -1)
		return;
	if (n > ICE_MTU || !ss_same(&from, &leg->fast_peer)) {
		leg->stats.dropped++;
		return;
	}
	srtp_input(leg, n);
}

static void
fast_readable(int fd, void *arg)
{
	struct ice_leg		*leg = arg;
	struct sockaddr_storage	 from;
	socklen_t		 fromlen = sizeof(from);
	uint8_t			 first;
	ssize_t			 n;

	n = recvfrom(fd, &first, 1, MSG_PEEK, (struct sockaddr *)&from,
	    &fromlen);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return;
	/* RFC 7983: 128-191 is RTP or RTCP. */
	if (n != 1 || first < 128 || first > 191 ||
	    !ss_same(&from, &leg->fast_peer)) {
		leg->fdw->pass(leg->taken);
		return;
	}
	n = recv(fd, inbuf, sizeof(inbuf), MSG_TRUNC);
	if (n == -1)
		return;
	if (n > ICE_MTU) {
		leg->stats.dropped++;
		return;
	}
	srtp_input(leg, n);
}

static void
fast_update(struct ice_leg *leg)
{
	NiceCandidate		*l, *r;
	GSocket			*gs = NULL;
	struct sockaddr_storage	 peer;
	int			 fd = -1;

	memset(&peer, 0, sizeof(peer));
	if (leg->fdw != NULL && !leg->failed &&
	    (leg->state == NICE_COMPONENT_STATE_CONNECTED ||
	    leg->state == NICE_COMPONENT_STATE_READY) &&
	    nice_agent_get_selected_pair(leg->agent, leg->stream,
	    ICE_COMPONENT, &l, &r) &&
	    l->type != NICE_CANDIDATE_TYPE_RELAYED &&
	    r->type != NICE_CANDIDATE_TYPE_RELAYED &&
	    l->transport == NICE_CANDIDATE_TRANSPORT_UDP &&
	    r->transport == NICE_CANDIDATE_TRANSPORT_UDP &&
	    (gs = nice_agent_get_selected_socket(leg->agent, leg->stream,
	    ICE_COMPONENT)) != NULL) {
		fd = g_socket_get_fd(gs);
		nice_address_copy_to_sockaddr(&r->addr,
		    (struct sockaddr *)&peer);
		if (ss_len(&peer) == 0)
			fd = -1;
	}
	if (fd != -1 && fd == leg->fast_owner && ss_same(&peer,
	    &leg->fast_peer)) {
		g_object_unref(gs);
		return;
	}
	fast_off(leg);
	if (fd == -1) {
		if (gs != NULL)
			g_object_unref(gs);
		return;
	}
	leg->fast_sock = gs;
	leg->fast_owner = fd;
	leg->fast_peer = peer;
	if (!leg->no_steer && (leg->fast_fd = steer_open(fd)) != -1) {
		leg->steered = 1;
		leg->taken = leg->fdw->take(leg->ctx, leg->fast_fd,
		    steered_readable, leg);
	} else {
		leg->fast_fd = fd;
		leg->taken = leg->fdw->take(leg->ctx, fd, fast_readable,
		    leg);
	}
	if (leg->taken == NULL) {
		fast_off(leg);
		return;
	}
	log_debug("ice: leg %p relays on its pair's address directly%s",
	    (void *)leg, leg->steered ? ", steered" : "");
}

static int
add_servers(struct ice_leg *leg, const struct ice_config *cfg)
{
	const struct ice_server	*s;
	NiceAddress		 a;
	char			 ip[NICE_ADDRESS_STRING_LEN];
	unsigned int		 i, port;
	int			 have_stun = 0;
	NiceRelayType		 type;

	for (i = 0; i < cfg->nservers; i++) {
		s = &cfg->servers[i];
		if (to_nice_address(&s->addr, &a) == -1) {
			log_warnx("ice: server %u has no usable address", i);
			return (-1);
		}
		nice_address_to_string(&a, ip);
		port = nice_address_get_port(&a);
		switch (s->kind) {
		case ICE_SERVER_STUN:
			/* libnice takes a single STUN server. */
			if (have_stun++)
				continue;
			g_object_set(leg->agent, "stun-server", ip,
			    "stun-server-port", port, NULL);
			continue;
		case ICE_SERVER_TURN_UDP:
			type = NICE_RELAY_TYPE_TURN_UDP;
			break;
		case ICE_SERVER_TURN_TCP:
			type = NICE_RELAY_TYPE_TURN_TCP;
			break;
		case ICE_SERVER_TURN_TLS:
			/*
			 * libnice speaks plain TCP for TURN_TLS in RFC 5245
			 * mode: go through our TLS tunnel instead.
			 */
			if ((leg->tunnels[i] = tls_tunnel_new(leg->ctx,
			    &s->addr, s->host)) == NULL)
				return (-1);
			if (to_nice_address(tls_tunnel_local(leg->tunnels[i]),
			    &a) == -1)
				return (-1);
			nice_address_to_string(&a, ip);
			port = nice_address_get_port(&a);
			type = NICE_RELAY_TYPE_TURN_TCP;
			break;
		default:
			log_warnx("ice: server %u has unknown kind", i);
			return (-1);
		}
		if (!nice_agent_set_relay_info(leg->agent, leg->stream,
		    ICE_COMPONENT, ip, port, s->user, s->pass, type)) {
			log_warnx("ice: TURN server %s:%u refused", ip, port);
			return (-1);
		}
	}
	return (0);
}

/*
 * Create a leg.  Nothing is sent until ice_leg_gather().  Returns NULL on
 * failure (logged).
 */
struct ice_leg *
ice_leg_new(const struct ice_config *cfg, const struct ice_callbacks *cb)
{
	struct ice_leg	*leg;
	NiceAddress	 a;
	unsigned int	 i;

	if (dtls_local_fingerprint() == NULL)
		fatalx("ice_leg_new before dtls_init");
	if (cfg->nlocal > ICE_MAXLOCALADDRS || cfg->nservers > ICE_MAXSERVERS)
		fatalx("ice_leg_new: bad configuration");
	if ((leg = calloc(1, sizeof(*leg))) == NULL) {
		log_warn("ice: calloc");
		return (NULL);
	}
	leg->fdw = cfg->fdw;
	leg->offerer = cfg->offerer;
	leg->relay_only = cfg->relay_only;
	leg->retire_dtls = cfg->dtls_retire;
	leg->no_steer = cfg->no_steer;
	leg->cb = *cb;
	leg->ctx = cfg->ctx;
	leg->fast_fd = -1;
	leg->fast_owner = -1;
	leg->agent = nice_agent_new_full(leg->ctx, NICE_COMPATIBILITY_RFC5245,
	    NICE_AGENT_OPTION_CONSENT_FRESHNESS);
	if (leg->agent == NULL) {
		log_warnx("ice: cannot create agent");
		free(leg);
		return (NULL);
	}
	/*
	 * Offerer controls (RFC 8445 6.1.1); ICE-TCP is not offered.  No
	 * UPnP: the bridge opens no ports on a home router, and GUPnP would
	 * run HTTP servers on every interface and double a call's memory.
	 */
	g_object_set(leg->agent, "controlling-mode",
	    cfg->offerer ? TRUE : FALSE, "ice-tcp", FALSE, "upnp", FALSE,
	    "idle-timeout", ICE_IDLE_CHECKING_MS, NULL);
	/* Relay only: checks and media from relayed candidates alone. */
	if (cfg->relay_only)
		g_object_set(leg->agent, "force-relay", TRUE, NULL);
	for (i = 0; i < cfg->nlocal; i++) {
		if (to_nice_address(&cfg->local[i], &a) == -1 ||
		    !nice_agent_add_local_address(leg->agent, &a)) {
			log_warnx("ice: unusable local address %u", i);
			goto fail;
		}
	}
	if ((leg->stream = nice_agent_add_stream(leg->agent, 1)) == 0) {
		log_warnx("ice: cannot add stream");
		goto fail;
	}
	if (cfg->port_min != 0 || cfg->port_max != 0)
		nice_agent_set_port_range(leg->agent, leg->stream,
		    ICE_COMPONENT, cfg->port_min, cfg->port_max);
	if (add_servers(leg, cfg) == -1)
		goto fail;
	g_signal_connect(leg->agent, "candidate-gathering-done",
	    G_CALLBACK(on_gathering_done), leg);
	g_signal_connect(leg->agent, "component-state-changed",
	    G_CALLBACK(on_state_changed), leg);
	g_signal_connect(leg->agent, "new-selected-pair-full",
	    G_CALLBACK(on_selected_pair), leg);
	if (!nice_agent_attach_recv(leg->agent, leg->stream, ICE_COMPONENT,
	    leg->ctx, on_recv, leg)) {
		log_warnx("ice: cannot attach receive callback");
		goto fail;
	}
	return (leg);
 fail:
	ice_leg_free(leg);
	return (NULL);
}

/* Start gathering; ICE_EV_GATHERED follows. */
int
ice_leg_gather(struct ice_leg *leg)
{
	if (leg->gathering)
		return (0);
	if (!nice_agent_gather_candidates(leg->agent, leg->stream)) {
		log_warnx("ice: gathering failed to start");
		return (-1);
	}
	leg->gathering = 1;
	return (0);
}

static void
cand_export(const NiceCandidate *nc, struct ice_cand *c)
{
	memset(c, 0, sizeof(*c));
	strlcpy(c->foundation, nc->foundation, sizeof(c->foundation));
	c->component = ICE_COMPONENT;
	c->transport = ICE_UDP;
	c->priority = nc->priority;
	switch (nc->type) {
	case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE:
		c->type = CAND_SRFLX;
		break;
	case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE:
		c->type = CAND_PRFLX;
		break;
	case NICE_CANDIDATE_TYPE_RELAYED:
		c->type = CAND_RELAY;
		break;
	default:
		c->type = CAND_HOST;
		break;
	}
	nice_address_copy_to_sockaddr(&nc->addr, (struct sockaddr *)&c->addr);
	if (c->type != CAND_HOST && nice_address_is_valid(&nc->base_addr))
		nice_address_copy_to_sockaddr(&nc->base_addr,
		    (struct sockaddr *)&c->raddr);
}

/*
 * Fill d with our credentials, fingerprint, setup and candidates.  Codecs,
 * direction and SSRC are the caller's business.  Returns -1 before
 * gathering is complete.
 */
int
ice_leg_local_desc(struct ice_leg *leg, struct media_webrtc_desc *d)
{
	GSList		*cands, *l;
	NiceCandidate	*nc;
	gchar		*ufrag = NULL, *pwd = NULL;
	int		 ok;

	if (!leg->gathered)
		return (-1);
	memset(d, 0, sizeof(*d));
	if (!nice_agent_get_local_credentials(leg->agent, leg->stream, &ufrag,
	    &pwd))
		return (-1);
	ok = strlcpy(d->ufrag, ufrag, sizeof(d->ufrag)) < sizeof(d->ufrag) &&
	    strlcpy(d->pwd, pwd, sizeof(d->pwd)) < sizeof(d->pwd);
	g_free(ufrag);
	g_free(pwd);
	if (!ok)
		return (-1);
	strlcpy(d->fingerprint, dtls_local_fingerprint(),
	    sizeof(d->fingerprint));
	/* Once a role is settled, re-offers keep it (RFC 8842 5.5). */
	if (!leg->remote_set)
		d->setup = leg->offerer ? SETUP_ACTPASS : SETUP_ACTIVE;
	else
		d->setup = leg->role == DTLS_ROLE_CLIENT ? SETUP_ACTIVE :
		    SETUP_PASSIVE;
	d->dir = MEDIA_SENDRECV;
	d->rtcp_mux = 1;
	cands = nice_agent_get_local_candidates(leg->agent, leg->stream,
	    ICE_COMPONENT);
	for (l = cands; l != NULL && d->ncands < MEDIA_MAXCANDS; l = l->next) {
		nc = l->data;
		if (nc->transport != NICE_CANDIDATE_TRANSPORT_UDP)
			continue;
		if (leg->relay_only &&
		    nc->type != NICE_CANDIDATE_TYPE_RELAYED)
			continue;
		cand_export(nc, &d->cands[d->ncands++]);
	}
	g_slist_free_full(cands, (GDestroyNotify)nice_candidate_free);
	return (0);
}

static NiceCandidate *
cand_import(const struct ice_leg *leg, const struct ice_cand *c)
{
	NiceCandidate	*nc;
	NiceCandidateType type;

	if (c->component != ICE_COMPONENT || c->transport != ICE_UDP ||
	    memchr(c->foundation, '\0', sizeof(c->foundation)) == NULL)
		return (NULL);
	switch (c->type) {
	case CAND_HOST:
		type = NICE_CANDIDATE_TYPE_HOST;
		break;
	case CAND_SRFLX:
		type = NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE;
		break;
	case CAND_PRFLX:
		type = NICE_CANDIDATE_TYPE_PEER_REFLEXIVE;
		break;
	case CAND_RELAY:
		type = NICE_CANDIDATE_TYPE_RELAYED;
		break;
	default:
		return (NULL);
	}
	nc = nice_candidate_new(type);
	nc->stream_id = leg->stream;
	nc->component_id = ICE_COMPONENT;
	nc->transport = NICE_CANDIDATE_TRANSPORT_UDP;
	nc->priority = c->priority;
	strlcpy(nc->foundation, c->foundation, sizeof(nc->foundation));
	if (to_nice_address(&c->addr, &nc->addr) == -1) {
		nice_candidate_free(nc);
		return (NULL);
	}
	return (nc);
}

static int
desc_usable(const struct media_webrtc_desc *d)
{
	if (memchr(d->ufrag, '\0', sizeof(d->ufrag)) == NULL ||
	    memchr(d->pwd, '\0', sizeof(d->pwd)) == NULL ||
	    memchr(d->fingerprint, '\0', sizeof(d->fingerprint)) == NULL ||
	    d->ufrag[0] == '\0' || d->pwd[0] == '\0' ||
	    d->fingerprint[0] == '\0' || d->ncands > MEDIA_MAXCANDS) {
		log_warnx("ice: remote description incomplete");
		return (0);
	}
	if (!d->rtcp_mux)
		log_warnx("ice: remote lacks rtcp-mux; using it anyway");
	return (1);
}

/* Hand credentials and candidates to the agent. */
static int
apply_ice(struct ice_leg *leg, const struct media_webrtc_desc *d)
{
	GSList		*list = NULL;
	NiceCandidate	*nc;
	unsigned int	 i, skipped = 0;
	int		 n;

	/* An ICE-lite peer never controls (RFC 8445 6.1.1). */
	if (d->ice_lite)
		g_object_set(leg->agent, "controlling-mode", TRUE, NULL);
	if (!nice_agent_set_remote_credentials(leg->agent, leg->stream,
	    d->ufrag, d->pwd)) {
		log_warnx("ice: remote credentials refused");
		return (-1);
	}
	strlcpy(leg->remote_ufrag, d->ufrag, sizeof(leg->remote_ufrag));
	strlcpy(leg->remote_pwd, d->pwd, sizeof(leg->remote_pwd));
	for (i = 0; i < d->ncands; i++) {
		if ((nc = cand_import(leg, &d->cands[i])) == NULL) {
			skipped++;
			continue;
		}
		list = g_slist_prepend(list, nc);
	}
	list = g_slist_reverse(list);
	n = list == NULL ? 0 : nice_agent_set_remote_candidates(leg->agent,
	    leg->stream, ICE_COMPONENT, list);
	g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
	if (n < 0) {
		log_warnx("ice: remote candidates refused");
		return (-1);
	}
	log_debug("ice: leg %p remote: %d candidates, %u skipped",
	    (void *)leg, n, skipped);
	return (0);
}

/* Start a DTLS association (again) with the given role and fingerprint. */
static int
new_dtls(struct ice_leg *leg, enum dtls_role role, const char *fp)
{
	struct dtls_callbacks	 dcb;

	if (leg->dtls != NULL) {
		dtls_timer(leg, 0);
		dtls_session_free(leg->dtls);
		leg->dtls = NULL;
	}
	srtp_pair_free(leg->srtp);
	leg->srtp = NULL;
	leg->role = role;
	strlcpy(leg->remote_fp, fp, sizeof(leg->remote_fp));
	dcb.send = dtls_send;
	dcb.timer = dtls_timer;
	dcb.state = dtls_state;
	dcb.arg = leg;
	if ((leg->dtls = dtls_session_new(role, fp, &dcb)) == NULL)
		return (-1);
	log_debug("ice: leg %p DTLS %s", (void *)leg,
	    role == DTLS_ROLE_CLIENT ? "client" : "server");
	if (leg->early_len > 0) {
		if (role == DTLS_ROLE_SERVER)
			dtls_session_input(leg->dtls, leg->early,
			    leg->early_len);
		leg->early_len = 0;
	}
	free(leg->early);
	leg->early = NULL;
	/* ICE may already be up if the peer's checks reached us first. */
	if (leg->connected && role == DTLS_ROLE_CLIENT &&
	    dtls_session_start(leg->dtls) == -1)
		return (-1);
	return (0);
}

/*
 * Apply the first remote description: credentials, candidates, and the
 * DTLS role from its setup attribute (offer or answer according to
 * cfg.offerer).  Returns -1 if it is unusable.
 */
int
ice_leg_set_remote(struct ice_leg *leg, const struct media_webrtc_desc *d)
{
	enum dtls_setup	 setup;

	if (leg->remote_set) {
		log_warnx("ice: remote description already applied");
		return (-1);
	}
	if (!desc_usable(d))
		return (-1);
	if (dtls_role_resolve(leg->offerer, d->setup, &setup,
	    &leg->role) == -1) {
		log_warnx("ice: remote DTLS setup %u not valid here",
		    d->setup);
		return (-1);
	}
	if (apply_ice(leg, d) == -1 || new_dtls(leg, leg->role,
	    d->fingerprint) == -1)
		return (-1);
	leg->remote_set = 1;
	return (0);
}

/*
 * Begin an ICE restart that we offer (RFC 8445 9): new local credentials,
 * which the next ice_leg_local_desc() returns.  Media keeps flowing on the
 * old pair until the answer comes through ice_leg_update_remote().
 */
int
ice_leg_restart(struct ice_leg *leg)
{
	g_object_set(leg->agent, "idle-timeout", ICE_IDLE_CHECKING_MS, NULL);
	if (!nice_agent_restart_stream(leg->agent, leg->stream)) {
		log_warnx("ice: restart refused");
		return (-1);
	}
	leg->restarting = 1;
	return (0);
}

/*
 * Apply a later description: a re-offer from the peer (is_offer) or the
 * answer to our re-offer.  New remote credentials mean an ICE restart;
 * a new fingerprint or a setup that contradicts our DTLS role means a new
 * DTLS association; anything else (hold, resume) leaves transport alone.
 */
int
ice_leg_update_remote(struct ice_leg *leg, const struct media_webrtc_desc *d,
    int is_offer)
{
	enum dtls_setup	 setup;
	enum dtls_role	 role = leg->role;
	int		 restart, rekey;

	if (!leg->remote_set)
		return (ice_leg_set_remote(leg, d));
	if (!desc_usable(d))
		return (-1);
	restart = strcmp(d->ufrag, leg->remote_ufrag) != 0 ||
	    strcmp(d->pwd, leg->remote_pwd) != 0;
	rekey = strcasecmp(d->fingerprint, leg->remote_fp) != 0;
	/* The roles stay unless the peer asks for the other one. */
	if ((d->setup == SETUP_ACTIVE && role != DTLS_ROLE_SERVER) ||
	    (d->setup == SETUP_PASSIVE && role != DTLS_ROLE_CLIENT)) {
		if (dtls_role_resolve(is_offer ? 0 : 1, d->setup, &setup,
		    &role) == -1)
			return (-1);
		rekey = 1;
	}
	if (restart) {
		/* The peer restarts: we need fresh credentials too. */
		g_object_set(leg->agent, "idle-timeout", ICE_IDLE_CHECKING_MS,
		    NULL);
		if (!leg->restarting && !nice_agent_restart_stream(leg->agent,
		    leg->stream)) {
			log_warnx("ice: restart refused");
			return (-1);
		}
		log_info("ice: leg %p ICE restart", (void *)leg);
		if (apply_ice(leg, d) == -1)
			return (-1);
	} else if (leg->restarting) {
		log_warnx("ice: answer to our restart kept old credentials");
		return (-1);
	}
	leg->restarting = 0;
	if (rekey) {
		log_info("ice: leg %p new DTLS association", (void *)leg);
		if (new_dtls(leg, role, d->fingerprint) == -1)
			return (-1);
	}
	return (0);
}

/* libnice's name for the component's state: "ready", "failed", ... */
const char *
ice_leg_ice_state(const struct ice_leg *leg)
{
	return (nice_component_state_to_string(
	    nice_agent_get_component_state(leg->agent, leg->stream,
	    ICE_COMPONENT)));
}

const char *
ice_leg_dtls_state(const struct ice_leg *leg)
{
	if (leg->failed && leg->dtls == NULL)
		return ("failed");
	if (leg->dtls == NULL)
		return ("none");
	return (dtls_state_name(dtls_session_state(leg->dtls)));
}

int
ice_leg_ready(const struct ice_leg *leg)
{
	return (leg->srtp != NULL && !leg->failed);
}

static int
send_protected(struct ice_leg *leg, const uint8_t *buf, size_t len, int rtcp)
{
	size_t	 n = len;
	int	 rv;

	/* Nothing leaves before DTLS has keyed SRTP. */
	if (leg->srtp == NULL || leg->failed || len > ICE_MTU) {
		leg->stats.dropped++;
		return (-1);
	}
	memcpy(outbuf, buf, len);
	rv = rtcp ? srtp_pair_protect_rtcp(leg->srtp, outbuf, &n,
	    sizeof(outbuf)) : srtp_pair_protect(leg->srtp, outbuf,
	    &n, sizeof(outbuf));
	if (rv != 0) {
		leg->stats.dropped++;
		return (-1);
	}
	if (leg->fast_fd != -1) {
		if (sendto(leg->fast_fd, outbuf, n, 0,
		    (struct sockaddr *)&leg->fast_peer,
		    ss_len(&leg->fast_peer)) == -1) {
			leg->stats.dropped++;
			return (-1);
		}
	} else if (nice_agent_send(leg->agent, leg->stream, ICE_COMPONENT, n,
	    (const gchar *)outbuf) < 0) {
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

/* Send one plain RTP packet; it is protected on the way out. */
int
ice_leg_send_rtp(struct ice_leg *leg, const uint8_t *buf, size_t len)
{
	if (pkt_classify(buf, len) != PKT_RTP || len < RTP_HDRLEN) {
		leg->stats.dropped++;
		return (-1);
	}
	return (send_protected(leg, buf, len, 0));
}

/* Send one plain RTCP compound packet. */
int
ice_leg_send_rtcp(struct ice_leg *leg, const uint8_t *buf, size_t len)
{
	if (pkt_classify(buf, len) != PKT_RTCP || len < 8) {
		leg->stats.dropped++;
		return (-1);
	}
	return (send_protected(leg, buf, len, 1));
}

const struct ice_leg_stats *
ice_leg_stats(const struct ice_leg *leg)
{
	return (&leg->stats);
}

/*
 * The candidate pair media flows on, for status output and call records.
 * Returns -1 while there is none.
 */
int
ice_leg_selected(struct ice_leg *leg, struct ice_cand *local,
    struct ice_cand *remote)
{
	NiceCandidate	*l, *r;

	if (!nice_agent_get_selected_pair(leg->agent, leg->stream,
	    ICE_COMPONENT, &l, &r))
		return (-1);
	cand_export(l, local);
	cand_export(r, remote);
	return (0);
}

void
ice_leg_free(struct ice_leg *leg)
{
	unsigned int	 i;

	if (leg == NULL)
		return;
	/* The owner is done with the leg: no more callbacks. */
	memset(&leg->cb, 0, sizeof(leg->cb));
	fast_off(leg);
	if (leg->dtls != NULL) {
		dtls_session_close(leg->dtls);
		dtls_session_free(leg->dtls);
	}
	dtls_timer(leg, 0);
	srtp_pair_free(leg->srtp);
	if (leg->agent != NULL) {
		g_signal_handlers_disconnect_by_data(leg->agent, leg);
		if (leg->stream != 0) {
			nice_agent_attach_recv(leg->agent, leg->stream,
			    ICE_COMPONENT, leg->ctx, NULL, NULL);
			nice_agent_remove_stream(leg->agent, leg->stream);
		}
		/*
		 * Release TURN allocations; the pending close keeps its own
		 * reference, so the agent goes when the loop has finished it.
		 */
		nice_agent_close_async(leg->agent, NULL, NULL);
		g_object_unref(leg->agent);
	}
	for (i = 0; i < ICE_MAXSERVERS; i++)
		tls_tunnel_free(leg->tunnels[i]);
	free(leg->early);
	free(leg);
}
