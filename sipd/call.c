/*
 * Calls from the PBX: INVITE (authenticated or trusted by source), the
 * number rules, the PBX's SDP, and the dialog until BYE.  What happens on
 * the Kandy side and with media is the backend's business; it answers
 * through sipd_call_ringing(), sipd_call_answer(), sipd_call_reject() and
 * sipd_call_hangup().
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/url.h>
#include <sofia-sip/hostdomain.h>
#include <sofia-sip/sip_extra.h>
#include <sofia-sip/auth_digest.h>
#include <sofia-sip/su_uniqueid.h>

#include "log.h"
#include "engine.h"
#include "dtmf_info.h"
#include "numrules.h"

/* 491s to our hold re-INVITE before we give up on it. */
#define CALL_HOLD_TRIES	3

/* A challenge from the PBX to our INVITE, and our answer. */
struct call_auth {
	int			 tried;		/* answered once already */
	int			 waiting;	/* for the parent's response */
	int			 proxy;		/* 407: Proxy-Authorization */
	enum digest_alg		 alg;
	int			 qop;		/* qop=auth offered */
	char			 realm[SIPD_NAMELEN];
	char			 nonce[SIPD_NAMELEN];
	char			 opaque[SIPD_NAMELEN];
	char			 cnonce[20];
	char			 header[1024];	/* our credentials, or "" */
};

struct call {
	TAILQ_ENTRY(call)	 entry;
	struct sipd		*sd;
	uint64_t		 id;
	nta_incoming_t		*irq;		/* the first INVITE */
	nta_leg_t		*leg;
	nta_outgoing_t		*bye;
	nta_outgoing_t		*invite;	/* ours, toward the PBX */
	nta_outgoing_t		*refresh;	/* our UPDATE or re-INVITE */
	nta_outgoing_t		*refresh_prev;	/* the last one answered */
	int			 refresh_invite;
	nta_outgoing_t		*hold;		/* our hold or resume re-INVITE */
	nta_outgoing_t		*hold_prev;	/* the last one answered */
	int			 hold_dir;	/* enum media_dir Kandy wants */
	int			 hold_sent;	/* the one in c->hold */
	int			 hold_cur;	/* the one the PBX took */
	int			 hold_set;	/* hold_cur is set */
	int			 hold_queued;	/* to send once nothing is out */
	int			 hold_tries;	/* 491s in a row */
	time_t			 hold_at;	/* not before (after a 491) */
	time_t			 peer_invite_until; /* the PBX's re-INVITE
						 * waits for its ACK */
	nta_incoming_t		*modify_irq;	/* that re-INVITE, ours to
						 * destroy once acknowledged */
	int			 remote_answer;	/* remote is an answer of the PBX */
	struct session_timer	 st;
	int			 peer_update;	/* the PBX allows UPDATE */
	int			 offer_pending;	/* our offer in a 200: answer in ACK */
	int			 late;		/* INVITE without SDP: we offer */
	char			 ruri[SIPD_URLLEN];	/* of our INVITE */
	char			 pai[SIPD_URLLEN + SIPD_NAMELEN + 32];	/* or "" */
	int			 retried_422;
	unsigned int		 out_interval;	/* of our last INVITE */
	unsigned int		 out_min_se;
	struct call_auth	 auth;		/* the PBX's challenge */
	int			 outgoing;
	char			 route[SIPD_URLLEN];	/* next hop, or "" */
	struct sdp_remote	 remote;
	struct sdp_local	 sdp;
	struct media_rtp_desc	 local;
	int			 answered;
	int			 confirmed;
	int			 closing;
	int			 ringing;
	int			 early;		/* the PBX's early media known */
	time_t			 created;
	time_t			 answered_at;
	char			 from[SIPD_USERLEN];
	char			 to[SIPD_USERLEN];
};

/* The next hop for requests toward the PBX on a call we made. */
static url_string_t const *
call_route(const struct call *c)
{
	const char	*r = c->route;

	return (*r != '\0' ? URL_STRING_MAKE(r) : NULL);
}

static int	call_leg_request(nta_leg_magic_t *, nta_leg_t *,
		    nta_incoming_t *, const sip_t *);
static int	call_irq_event(nta_incoming_magic_t *, nta_incoming_t *,
		    const sip_t *);
static void	call_ack_answer(struct call *, const sip_t *);
static nta_outgoing_t *call_out_invite(struct call *, unsigned int,
		    unsigned int);
static void	call_hold_try(struct call *, time_t);

static struct call *
call_find(struct sipd *sd, uint64_t id)
{
	struct call	*c;

	TAILQ_FOREACH(c, &sd->calls, entry)
		if (c->id == id && !c->closing)
			return (c);
	return (NULL);
}

static void
call_free(struct call *c)
{
	struct sipd	*sd = c->sd;

	TAILQ_REMOVE(&sd->calls, c, entry);
	sd->ncalls--;
	if (c->irq != NULL) {
		nta_incoming_bind(c->irq, NULL, NULL);
		nta_incoming_destroy(c->irq);
	}
	if (c->modify_irq != NULL)
		nta_incoming_destroy(c->modify_irq);
	if (c->bye != NULL)
		nta_outgoing_destroy(c->bye);
	if (c->invite != NULL)
		nta_outgoing_destroy(c->invite);
	if (c->refresh != NULL)
		nta_outgoing_destroy(c->refresh);
	if (c->refresh_prev != NULL)
		nta_outgoing_destroy(c->refresh_prev);
	if (c->hold != NULL)
		nta_outgoing_destroy(c->hold);
	if (c->hold_prev != NULL)
		nta_outgoing_destroy(c->hold_prev);
	if (c->leg != NULL)
		nta_leg_destroy(c->leg);
	free(c);
}

/* The PBX side ended the call: tell the backend, then forget it. */
static void
call_end(struct call *c, enum sipd_end why)
{
	struct sipd	*sd = c->sd;

	log_info("call %016llx: ended by the PBX (%s)", (unsigned long long)c->id,
	    why == SIPD_END_BYE ? "BYE" : why == SIPD_END_CANCEL ? "CANCEL" :
	    why == SIPD_END_TIMEOUT ? "timeout" :
	    why == SIPD_END_SESSION ? "session timer" : "error");
	if (sd->be.call_ended != NULL)
		sd->be.call_ended(sd->be.arg, c->id, why);
	call_free(c);
}

/* The dialled number from the Request-URI: sip: user part or tel: number. */
static int
call_number(const sip_t *sip, char *buf, size_t len)
{
	const url_t	*u = sip->sip_request->rq_url;
	const char	*s;
	char		 tmp[SIPD_USERLEN];
	size_t		 n;

	s = u->url_type == url_tel ? u->url_host : u->url_user;
	if (s == NULL || strlen(s) >= sizeof(tmp))
		return (-1);
	n = url_unescape_to(tmp, s, sizeof(tmp) - 1);
	tmp[n] = '\0';
	tmp[strcspn(tmp, ";")] = '\0';	/* ;phone-context and friends */
	return (strlcpy(buf, tmp, len) >= len ? -1 : 0);
}

static void copy_user(char *, size_t, const char *);

/*
 * The caller: P-Asserted-Identity, then Remote-Party-ID, then From (3CX
 * puts the caller in any of them, per trunk setting).
 */
static void
call_caller(const sip_t *sip, struct sipd_call_info *info)
{
	const sip_p_asserted_identity_t	*pai;
	const sip_remote_party_id_t	*rpid;
	const url_t			*u = NULL;
	const char			*name = NULL, *user;

	for (pai = sip_p_asserted_identity(sip); pai != NULL && u == NULL;
	    pai = pai->paid_next)
		if (pai->paid_url->url_type == url_tel ||
		    pai->paid_url->url_user != NULL)
			u = pai->paid_url, name = pai->paid_display;
	for (rpid = sip_remote_party_id(sip); rpid != NULL && u == NULL;
	    rpid = rpid->rpid_next)
		if (rpid->rpid_url->url_type == url_tel ||
		    rpid->rpid_url->url_user != NULL)
			u = rpid->rpid_url, name = rpid->rpid_display;
	if (u == NULL && sip->sip_from != NULL)
		u = sip->sip_from->a_url, name = sip->sip_from->a_display;
	if (u == NULL)
		return;
	/* sofia keeps a tel: number in the host or the user part. */
	user = u->url_user != NULL ? u->url_user : u->url_host;
	copy_user(info->from_user, sizeof(info->from_user), user);
	info->from_user[strcspn(info->from_user, ";")] = '\0';
	/* A display name without its quotes. */
	if (name != NULL && name[0] == '"') {
		copy_user(info->from_name, sizeof(info->from_name), name + 1);
		info->from_name[strcspn(info->from_name, "\"")] = '\0';
	} else
		copy_user(info->from_name, sizeof(info->from_name), name);
	if (info->from_name[0] == '\0' && sip->sip_from != NULL &&
	    sip->sip_from->a_display != NULL && u != sip->sip_from->a_url) {
		name = sip->sip_from->a_display;
		copy_user(info->from_name, sizeof(info->from_name),
		    name + (name[0] == '"'));
		info->from_name[strcspn(info->from_name, "\"")] = '\0';
	}
}

static void
copy_user(char *dst, size_t len, const char *src)
{
	size_t	 i;

	strlcpy(dst, src != NULL ? src : "", len);
	/* Whatever goes on to Kandy and the logs is printable. */
	for (i = 0; dst[i] != '\0'; i++)
		if ((unsigned char)dst[i] < 0x20 || dst[i] == 0x7f)
			dst[i] = '?';
}

/* After authentication (or without): take the call on. */
static int
call_start(struct sipd *sd, nta_incoming_t *irq, const sip_t *sip,
    const struct sockaddr *src)
{
	struct sipd_call_info	 info;
	struct sdp_remote	 remote;
	struct session_timer	 st;
	struct call		*c;
	char			 dialled[SIPD_USERLEN], num[NUMRULE_MAXDIGITS];
	char			 minse[16];
	unsigned int		 min_se;
	int			 rv, late;

	if (!sipd_can_take_calls(sd)) {
		nta_incoming_treply(irq, SIP_503_SERVICE_UNAVAILABLE,
		    SIPTAG_RETRY_AFTER_STR(SIPD_RETRY_AFTER), TAG_END());
		return (503);
	}
	memset(&info, 0, sizeof(info));
	if (call_number(sip, dialled, sizeof(dialled)) == -1)
		return (404);
	rv = numrule_apply(sd->conf.rules, sd->conf.nrules, NUMRULE_OUTBOUND,
	    dialled, num, sizeof(num));
	/* A Kandy user by name: sip:user@domain, with Kandy's domain. */
	if (rv == NUMRULE_BAD && numrule_kandy_user(dialled) &&
	    sd->conf.user_domain[0] != '\0' &&
	    strpbrk(sd->conf.user_domain, "@;?<> \"\t\r\n") == NULL) {
		strlcpy(info.number, dialled, sizeof(info.number));
		snprintf(info.kandy_addr, sizeof(info.kandy_addr), "sip:%s@%s",
		    dialled, sd->conf.user_domain);
	} else if (rv != NUMRULE_OK) {
		log_info("call to %s refused: %s", dialled,
		    numrule_result_name(rv));
		return (404);
	} else if (numrule_e164(num, info.number, sizeof(info.number)) == -1) {
		log_info("call to %s refused: %s is not E.164", dialled, num);
		return (484);
	} else if (numrule_kandy_address(info.number,
	    sd->conf.kandy_domain[0] ? sd->conf.kandy_domain : NULL,
	    info.kandy_addr, sizeof(info.kandy_addr)) == -1)
		return (404);

	/*
	 * sipd has no resolver in its chroot: in-dialog requests go to the
	 * Contact, so it must be an address.
	 */
	if (sip->sip_contact == NULL || sip->sip_contact->m_url->url_host ==
	    NULL || !host_is_ip_address(sip->sip_contact->m_url->url_host)) {
		log_info("call to %s refused: Contact is not an IP address",
		    dialled);
		nta_incoming_treply(irq, 400, "Contact Must Be An IP Address",
		    TAG_END());
		return (400);
	}
	/* Late offer: no SDP, ours goes in the 200, the answer in the ACK. */
	late = sip->sip_payload == NULL || sip->sip_payload->pl_len == 0;
	memset(&remote, 0, sizeof(remote));
	if (!late && sip->sip_content_type != NULL && (sip->sip_content_type->c_type ==
	    NULL || strcasecmp(sip->sip_content_type->c_type,
	    "application/sdp") != 0)) {
		nta_incoming_treply(irq, SIP_415_UNSUPPORTED_MEDIA,
		    SIPTAG_ACCEPT_STR("application/sdp"), TAG_END());
		return (415);
	}
	rv = late ? SDP_OK : sdp_parse_remote(sip->sip_payload->pl_data,
	    sip->sip_payload->pl_len, &remote);
	if (rv != SDP_OK) {
		log_info("call to %s refused: %s", dialled, sdp_strerror(rv));
		return (rv == SDP_EPARSE ? 400 : 488);
	}
	if (session_request(&sd->conf, sip, &st, &min_se) == 422) {
		log_info("call to %s refused: session interval too small",
		    dialled);
		snprintf(minse, sizeof(minse), "%u", min_se);
		nta_incoming_treply(irq, SIP_422_SESSION_TIMER_TOO_SMALL,
		    SIPTAG_MIN_SE_STR(minse), TAG_END());
		return (422);
	}

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (500);
	c->sd = sd;
	/* Call ids travel between processes: random, never 0, unique. */
	do {
		c->id = (uint64_t)arc4random() << 32 | arc4random();
	} while (c->id == 0 || call_find(sd, c->id) != NULL);
	c->irq = irq;
	c->remote = remote;
	c->late = late;
	c->st = st;
	c->peer_update = sip_is_allowed(sip->sip_allow, sip_method_update,
	    NULL);
	c->created = time(NULL);
	sdp_local_init(&c->sdp);
	c->leg = nta_leg_tcreate(sd->agent, call_leg_request,
	    (nta_leg_magic_t *)c,
	    SIPTAG_CALL_ID(sip->sip_call_id),
	    SIPTAG_FROM(sip->sip_to),	/* our side */
	    SIPTAG_TO(sip->sip_from),	/* theirs */
	    TAG_END());
	if (c->leg == NULL || nta_leg_tag(c->leg, NULL) == NULL) {
		if (c->leg != NULL)
			nta_leg_destroy(c->leg);
		free(c);
		return (500);
	}
	nta_leg_server_route(c->leg, sip->sip_record_route, sip->sip_contact);
	nta_incoming_tag(irq, nta_leg_get_tag(c->leg));
	nta_incoming_bind(irq, call_irq_event, (nta_incoming_magic_t *)c);
	TAILQ_INSERT_TAIL(&sd->calls, c, entry);
	sd->ncalls++;

	info.call = c->id;
	copy_user(info.to_user, sizeof(info.to_user), dialled);
	strlcpy(c->to, info.to_user, sizeof(c->to));
	call_caller(sip, &info);
	strlcpy(c->from, info.from_user, sizeof(c->from));
	memcpy(&info.src, src, src->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	log_info("call %016llx: from %s to %s (%s)", (unsigned long long)c->id,
	    info.from_user, dialled, info.kandy_addr);
	if (sd->be.call_new != NULL)
		sd->be.call_new(sd->be.arg, &info, c->late ? NULL :
		    &c->remote.rtp);
	else
		sipd_call_reject(sd, c->id, 503, NULL);
	return (0);
}

static void
invite_auth_done(struct sipd *sd, struct sipd_pending *p, int ok)
{
	struct sockaddr_storage	*src = p->arg;
	msg_t			*msg;
	sip_t			*sip;
	int			 status = 500;

	if (ok == 1 && (msg = nta_incoming_getrequest(p->irq)) != NULL) {
		if ((sip = sip_object(msg)) != NULL)
			status = call_start(sd, p->irq, sip,
			    (struct sockaddr *)src);
		msg_destroy(msg);
		if (status == 0) {
			free(src);
			return;		/* the call owns the transaction */
		}
		if (nta_incoming_status(p->irq) < 200)
			nta_incoming_treply(p->irq, status, NULL, TAG_END());
	}
	nta_incoming_destroy(p->irq);
	free(src);
}

int
call_invite(struct sipd *sd, nta_incoming_t *irq, const sip_t *sip,
    const struct sockaddr *src)
{
	struct sockaddr_storage	*copy;
	int			 status;

	nta_incoming_treply(irq, SIP_100_TRYING, TAG_END());
	if (sd->conf.max_cps != 0) {
		if (sd->cps_second != time(NULL)) {
			sd->cps_second = time(NULL);
			sd->cps_count = 0;
		}
		if (++sd->cps_count > sd->conf.max_cps) {
			log_info("call refused: more than %u calls a second",
			    sd->conf.max_cps);
			nta_incoming_treply(irq, SIP_503_SERVICE_UNAVAILABLE,
			    SIPTAG_RETRY_AFTER_STR("1"), TAG_END());
			return (503);
		}
	}
	if (!sipd_can_take_calls(sd)) {
		nta_incoming_treply(irq, SIP_503_SERVICE_UNAVAILABLE,
		    SIPTAG_RETRY_AFTER_STR(SIPD_RETRY_AFTER), TAG_END());
		return (503);
	}
	if (!sd->conf.invite_auth) {
		status = call_start(sd, irq, sip, src);
		return (status == 0 ? 0 : status < 200 ? 500 : status);
	}
	if ((copy = calloc(1, sizeof(*copy))) == NULL)
		return (500);
	memcpy(copy, src, src->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	if (sipd_authenticate(sd, irq, sip, src, 1, invite_auth_done, copy) ==
	    AUTH_PENDING)
		return (0);
	free(copy);
	status = nta_incoming_status(irq);
	return (status >= 300 ? status : 500);
}

/* ACK, CANCEL, or the transaction's end, for the first INVITE. */
static int
call_irq_event(nta_incoming_magic_t *magic, nta_incoming_t *irq,
    const sip_t *sip)
{
	struct call	*c = (struct call *)magic;
	struct sipd	*sd = c->sd;

	if (sip != NULL && sip->sip_request != NULL &&
	    sip->sip_request->rq_method == sip_method_cancel) {
		/* nta has answered the CANCEL and sent 487. */
		call_end(c, SIPD_END_CANCEL);
		return (0);
	}
	if (sip != NULL && sip->sip_request != NULL &&
	    sip->sip_request->rq_method == sip_method_ack) {
		if (c->offer_pending && sip->sip_payload != NULL &&
		    sip->sip_payload->pl_len > 0)
			call_ack_answer(c, sip);
		else if (c->offer_pending) {
			/* RFC 3261 14.2: no answer, the media stay. */
			log_warnx("call %016llx: no answer in the ACK",
			    (unsigned long long)c->id);
			c->offer_pending = 0;
		}
		if (c->late && c->remote.rtp.ncodecs == 0 && c->answered &&
		    !c->confirmed) {
			/* A late offer never answered: no media at all. */
			c->confirmed = 1;
			sipd_call_hangup(sd, c->id);
			if (sd->be.call_ended != NULL)
				sd->be.call_ended(sd->be.arg, c->id,
				    SIPD_END_ERROR);
			return (0);
		}
		if (c->answered && !c->confirmed) {
			c->confirmed = 1;
			log_debug("call %016llx: confirmed",
			    (unsigned long long)c->id);
			if (sd->be.call_confirmed != NULL)
				sd->be.call_confirmed(sd->be.arg, c->id);
		}
		return (0);
	}
	if (sip == NULL && c->answered && !c->confirmed) {
		/* 2xx retransmitted until timer H: no ACK came. */
		log_warnx("call %016llx: no ACK", (unsigned long long)c->id);
		sipd_call_hangup(sd, c->id);
		if (sd->be.call_ended != NULL)
			sd->be.call_ended(sd->be.arg, c->id, SIPD_END_TIMEOUT);
	}
	return (0);
}

/* The PBX's answer in the ACK to our offer in a 200 (re-INVITE without SDP). */
static void
call_ack_answer(struct call *c, const sip_t *sip)
{
	struct sipd		*sd = c->sd;
	struct sdp_remote	 remote;
	int			 rv;

	c->offer_pending = 0;
	rv = sdp_parse_remote(sip->sip_payload->pl_data,
	    sip->sip_payload->pl_len, &remote);
	if (rv != SDP_OK) {
		/* Too late to refuse: the media stay as they were. */
		log_warnx("call %016llx: the answer in the ACK: %s",
		    (unsigned long long)c->id, sdp_strerror(rv));
		return;
	}
	c->remote = remote;
	c->remote_answer = 1;
	if (sd->be.call_update != NULL)
		sd->be.call_update(sd->be.arg, c->id, &remote.rtp);
}

/* SIP INFO: DTMF as application/dtmf-relay or application/dtmf. */
static int
call_info(struct call *c, nta_incoming_t *irq, const sip_t *sip)
{
	struct sipd	*sd = c->sd;
	const char	*ctype;
	unsigned int	 ms;
	int		 event, rv;

	if (sip->sip_payload == NULL || sip->sip_payload->pl_len == 0)
		return (200);	/* an empty INFO is a keepalive */
	ctype = sip->sip_content_type != NULL ?
	    sip->sip_content_type->c_type : NULL;
	rv = dtmf_info_parse(ctype, sip->sip_payload->pl_data,
	    sip->sip_payload->pl_len, &event, &ms);
	if (rv == DTMF_ETYPE) {
		nta_incoming_treply(irq, SIP_415_UNSUPPORTED_MEDIA,
		    SIPTAG_ACCEPT_STR("application/dtmf-relay, application/dtmf"),
		    TAG_END());
		return (415);
	}
	if (rv != DTMF_OK) {
		log_debug("call %016llx: INFO with an unusable DTMF body",
		    (unsigned long long)c->id);
		return (400);
	}
	log_debug("call %016llx: INFO DTMF event %d, %u ms",
	    (unsigned long long)c->id, event, ms);
	if (sd->be.call_dtmf != NULL)
		sd->be.call_dtmf(sd->be.arg, c->id, event, ms);
	return (200);
}

/*
 * Our side as the dialog has it: mediad's, in the direction the PBX took
 * for Kandy's hold or resume once there was one.
 */
static void
call_local(const struct call *c, struct media_rtp_desc *l)
{
	*l = c->local;
	if (c->hold_set)
		l->dir = c->hold_cur;
}

/*
 * Our offer inside the dialog (a session refresh, a hold or resume, the
 * offer in a 200 to a re-INVITE without SDP), in direction dir (-1: the
 * dialog's).  On a call from the PBX it is written against the PBX's
 * last description, keeping its m-lines; an answer of the PBX does not
 * limit the direction of a new offer.
 */
static int
call_offer_body(struct call *c, int dir, char *body, size_t len)
{
	struct sipd		*sd = c->sd;
	struct media_rtp_desc	 l;
	struct sdp_remote	 r;
	int			 rv;

	call_local(c, &l);
	if (dir >= 0)
		l.dir = dir;
	if (c->outgoing)
		rv = sdp_write_offer(&c->sdp, &l, sd->conf.public_addr, body,
		    len);
	else {
		r = c->remote;
		if (c->remote_answer)
			r.rtp.dir = MEDIA_SENDRECV;
		rv = sdp_write_answer(&c->sdp, &l, &r, sd->conf.public_addr,
		    body, len);
		explicit_bzero(&r, sizeof(r));
	}
	explicit_bzero(&l, sizeof(l));
	return (rv);
}

/*
 * re-INVITE or UPDATE from the PBX: a new offer (hold, address, codecs),
 * a session refresh, or both.  A re-INVITE without SDP gets our offer in
 * the 200 and brings the answer in its ACK; an UPDATE without SDP is a
 * refresh only and its 200 has no body (RFC 3311).
 */
static int
call_modify(struct call *c, nta_incoming_t *irq, const sip_t *sip)
{
	struct sipd		*sd = c->sd;
	struct sdp_remote	 remote;
	struct session_timer	 st;
	struct media_rtp_desc	 local;
	char			 body[SDP_MAXBODY], se[32], minse[16];
	unsigned int		 min_se;
	int			 update, offer, rv = 0;

	update = sip->sip_request->rq_method == sip_method_update;
	offer = sip->sip_payload != NULL && sip->sip_payload->pl_len > 0;
	if (!c->answered) {
		if (!update)
			return (491);
		if (offer) {
			/* The first offer is not answered yet (RFC 3311 5.2). */
			nta_incoming_treply(irq, SIP_500_INTERNAL_SERVER_ERROR,
			    SIPTAG_RETRY_AFTER_STR("2"), TAG_END());
			return (500);
		}
	}
	if (c->offer_pending || (c->refresh != NULL && c->refresh_invite) ||
	    c->hold != NULL)
		return (491);	/* our own offer is out */
	if (session_request(&sd->conf, sip, &st, &min_se) == 422) {
		snprintf(minse, sizeof(minse), "%u", min_se);
		nta_incoming_treply(irq, SIP_422_SESSION_TIMER_TOO_SMALL,
		    SIPTAG_MIN_SE_STR(minse), TAG_END());
		return (422);
	}
	if (offer) {
		if (sip->sip_content_type != NULL &&
		    (sip->sip_content_type->c_type == NULL ||
		    strcasecmp(sip->sip_content_type->c_type,
		    "application/sdp") != 0)) {
			nta_incoming_treply(irq, SIP_415_UNSUPPORTED_MEDIA,
			    SIPTAG_ACCEPT_STR("application/sdp"), TAG_END());
			return (415);
		}
		rv = sdp_parse_remote(sip->sip_payload->pl_data,
		    sip->sip_payload->pl_len, &remote);
		if (rv != SDP_OK)
			return (rv == SDP_EPARSE ? 400 : 488);
		call_local(c, &local);
		rv = sdp_write_answer(&c->sdp, &local, &remote,
		    sd->conf.public_addr, body, sizeof(body));
		explicit_bzero(&local, sizeof(local));
		if (rv < 0)
			return (488);
		c->remote = remote;
		c->remote_answer = 0;
		if (sd->be.call_update != NULL)
			sd->be.call_update(sd->be.arg, c->id, &remote.rtp);
	} else if (!update) {
		/* Our offer: the description the dialog already has. */
		rv = call_offer_body(c, -1, body, sizeof(body));
		if (rv < 0)
			return (500);
		c->offer_pending = 1;
	}
	if (c->answered) {
		c->st = st;
		session_arm(&c->st, time(NULL));
		if (c->st.interval != 0)
			log_debug("call %016llx: session refreshed, %u s, %s "
			    "refresh", (unsigned long long)c->id,
			    c->st.interval, c->st.we_refresh ? "we" : "the PBX");
	}
	session_answer_header(&c->st, se, sizeof(se));
	/* No re-INVITE of ours before its ACK (RFC 3261 14.1). */
	if (!update)
		c->peer_invite_until = time(NULL) + 32;
	nta_incoming_treply(irq, SIP_200_OK,
	    SIPTAG_CONTACT(nta_agent_contact(sd->agent)),
	    SIPTAG_SUPPORTED_STR(SIPD_SUPPORTED),
	    TAG_IF(c->st.interval != 0, SIPTAG_SESSION_EXPIRES_STR(se)),
	    TAG_IF(c->st.interval != 0 && c->st.peer_supports,
	    SIPTAG_REQUIRE_STR("timer")),
	    TAG_IF(offer || !update,
	    SIPTAG_CONTENT_TYPE_STR("application/sdp")),
	    TAG_IF(offer || !update, SIPTAG_PAYLOAD_STR(body)),
	    TAG_END());
	/*
	 * Answered here, so nta leaves the transaction to us: undestroyed,
	 * every re-INVITE and UPDATE kept its messages (some 13 KiB) until
	 * sipd exited.  A re-INVITE's lives until its ACK, which nta would
	 * swallow for a destroyed one (the answer to a late offer is in it).
	 */
	if (update)
		nta_incoming_destroy(irq);
	else {
		if (c->modify_irq != NULL)
			nta_incoming_destroy(c->modify_irq);
		c->modify_irq = irq;
	}
	return (0);
}

/* Requests inside an established or early dialog. */
static int
call_leg_request(nta_leg_magic_t *magic, nta_leg_t *leg, nta_incoming_t *irq,
    const sip_t *sip)
{
	struct call		*c = (struct call *)magic;

	if (c->closing)
		return (481);
	switch (sip->sip_request->rq_method) {
	case sip_method_ack:
		c->peer_invite_until = 0;
		call_irq_event((nta_incoming_magic_t *)c, NULL, sip);
		if (c->modify_irq != NULL && sip->sip_cseq != NULL &&
		    sip->sip_cseq->cs_seq == nta_incoming_cseq(c->modify_irq)) {
			nta_incoming_destroy(c->modify_irq);
			c->modify_irq = NULL;
		}
		return (200);
	case sip_method_bye:
		nta_incoming_treply(irq, SIP_200_OK, TAG_END());
		call_end(c, SIPD_END_BYE);
		return (200);
	case sip_method_options:
		return (200);
	case sip_method_info:
		return (call_info(c, irq, sip));
	case sip_method_invite:
	case sip_method_update:
		return (call_modify(c, irq, sip));
	default:
		nta_incoming_treply(irq, SIP_405_METHOD_NOT_ALLOWED,
		    SIPTAG_ALLOW_STR(SIPD_ALLOW), TAG_END());
		return (405);
	}
}

int
sipd_call_ringing(struct sipd *sd, uint64_t id)
{
	struct call	*c;

	if ((c = call_find(sd, id)) == NULL || c->answered || c->irq == NULL)
		return (-1);
	c->ringing = 1;
	return (nta_incoming_treply(c->irq, SIP_180_RINGING,
	    SIPTAG_CONTACT(nta_agent_contact(sd->agent)), TAG_END()));
}

int
sipd_call_answer(struct sipd *sd, uint64_t id,
    const struct media_rtp_desc *local)
{
	struct call	*c;
	char		 body[SDP_MAXBODY], se[32];
	int		 rv;

	if ((c = call_find(sd, id)) == NULL || c->answered || c->irq == NULL)
		return (-1);
	if (c->late) {
		rv = sdp_write_offer(&c->sdp, local, sd->conf.public_addr, body,
		    sizeof(body));
		c->offer_pending = rv >= 0;
	} else
		rv = sdp_write_answer(&c->sdp, local, &c->remote,
		    sd->conf.public_addr, body, sizeof(body));
	if (rv < 0) {
		log_warnx("call %016llx: cannot answer: %s",
		    (unsigned long long)id, sdp_strerror(rv));
		sipd_call_reject(sd, id, 488, NULL);
		return (-1);
	}
	c->local = *local;
	c->answered = 1;
	c->answered_at = time(NULL);
	session_arm(&c->st, c->answered_at);
	session_answer_header(&c->st, se, sizeof(se));
	log_info("call %016llx: answered", (unsigned long long)id);
	return (nta_incoming_treply(c->irq, SIP_200_OK,
	    SIPTAG_CONTACT(nta_agent_contact(sd->agent)),
	    SIPTAG_ALLOW_STR(SIPD_ALLOW),
	    SIPTAG_SUPPORTED_STR(SIPD_SUPPORTED),
	    TAG_IF(c->st.interval != 0, SIPTAG_SESSION_EXPIRES_STR(se)),
	    TAG_IF(c->st.interval != 0 && c->st.peer_supports,
	    SIPTAG_REQUIRE_STR("timer")),
	    SIPTAG_CONTENT_TYPE_STR("application/sdp"),
	    SIPTAG_PAYLOAD_STR(body), TAG_END()));
}

int
sipd_call_reject(struct sipd *sd, uint64_t id, int status, const char *phrase)
{
	return (sipd_call_reject_after(sd, id, status, phrase, 0));
}

/* The same, with the Retry-After of a 503 (s; 0: SIPD_RETRY_AFTER). */
int
sipd_call_reject_after(struct sipd *sd, uint64_t id, int status,
    const char *phrase, unsigned int retry_after)
{
	struct call	*c;
	char		 ra[16];

	if ((c = call_find(sd, id)) == NULL || c->answered || c->irq == NULL)
		return (-1);
	if (status < 300 || status > 699)
		status = 500;
	log_info("call %016llx: rejected with %d", (unsigned long long)id,
	    status);
	if (retry_after > 0)
		snprintf(ra, sizeof(ra), "%u", retry_after);
	else
		strlcpy(ra, SIPD_RETRY_AFTER, sizeof(ra));
	if (status == 503)
		nta_incoming_treply(c->irq, status, phrase,
		    SIPTAG_RETRY_AFTER_STR(ra), TAG_END());
	else
		nta_incoming_treply(c->irq, status, phrase, TAG_END());
	call_free(c);
	return (0);
}

static int
call_bye_response(nta_outgoing_magic_t *magic, nta_outgoing_t *orq,
    const sip_t *sip)
{
	struct call	*c = (struct call *)magic;

	if (sip != NULL && sip->sip_status != NULL &&
	    sip->sip_status->st_status < 200)
		return (0);
	call_free(c);
	return (0);
}

int
sipd_call_hangup(struct sipd *sd, uint64_t id)
{
	struct call	*c;

	if ((c = call_find(sd, id)) == NULL)
		return (-1);
	if (c->outgoing && c->auth.waiting) {
		/* The challenged INVITE is over: nothing to CANCEL. */
		log_info("call %016llx: cancelled", (unsigned long long)id);
		call_free(c);
		return (0);
	}
	if (c->outgoing && !c->answered) {
		/* The final response to the CANCELled INVITE frees it. */
		log_info("call %016llx: cancelled", (unsigned long long)id);
		c->closing = 1;
		nta_outgoing_cancel(c->invite);
		return (0);
	}
	if (!c->answered)
		return (sipd_call_reject(sd, id, 480, NULL));
	log_info("call %016llx: hanging up", (unsigned long long)id);
	c->closing = 1;
	/* Toward the PBX, requests follow the registration's address. */
	c->bye = nta_outgoing_tcreate(c->leg, call_bye_response,
	    (nta_outgoing_magic_t *)c, call_route(c), SIP_METHOD_BYE, NULL,
	    TAG_END());
	if (c->bye == NULL)
		call_free(c);
	return (0);
}

unsigned int
sipd_call_count(struct sipd *sd)
{
	return (sd->ncalls);
}

/* The session timer ran out, or our refresh failed: BYE, and tell. */
static void
call_session_end(struct call *c)
{
	struct sipd	*sd = c->sd;
	uint64_t	 id = c->id;

	log_warnx("call %016llx: session not refreshed, ending it",
	    (unsigned long long)id);
	sipd_call_hangup(sd, id);
	if (sd->be.call_ended != NULL)
		sd->be.call_ended(sd->be.arg, id, SIPD_END_SESSION);
}

/*
 * ACK a 2xx to our INVITE with CSeq number seq.  nta keeps an ACK's
 * transaction, terminated, until it is destroyed: at once, or each ACK
 * (one per 2xx retransmission too) stays until sipd exits.
 */
static void
call_send_ack(struct call *c, uint32_t seq)
{
	su_home_t	 home[1] = { SU_HOME_INIT(home) };
	sip_cseq_t	*cseq;
	nta_outgoing_t	*ack;

	if ((cseq = sip_cseq_create(home, seq, SIP_METHOD_ACK)) != NULL &&
	    (ack = nta_outgoing_tcreate(c->leg, NULL, NULL, call_route(c),
	    SIP_METHOD_ACK, NULL, SIPTAG_CSEQ(cseq), TAG_END())) != NULL)
		nta_outgoing_destroy(ack);
	else
		log_warnx("call %016llx: cannot send ACK",
		    (unsigned long long)c->id);
	su_home_deinit(home);
}

/*
 * A response to a request of ours in the dialog (*cur: a refresh, a hold
 * or resume): a 2xx to an INVITE gets its ACK, retransmissions too.  The
 * final status when it is *cur's final response (kept in *prev until the
 * next one, for those retransmissions), else 0.
 */
static int
call_dialog_final(struct call *c, nta_outgoing_t *orq, const sip_t *sip,
    int invite, nta_outgoing_t **cur, nta_outgoing_t **prev)
{
	int		 status;

	status = sip != NULL && sip->sip_status != NULL ?
	    sip->sip_status->st_status : nta_outgoing_status(orq);
	if (status < 200)
		return (0);
	if (status < 300 && invite && sip != NULL && sip->sip_cseq != NULL)
		call_send_ack(c, sip->sip_cseq->cs_seq);
	if (*cur != orq)
		return (0);	/* a 2xx retransmission */
	if (*prev != NULL)
		nta_outgoing_destroy(*prev);
	*prev = orq;
	*cur = NULL;
	return (c->closing ? 0 : status);
}

/* The PBX's answer to our session refresh. */
static int
call_refresh_response(nta_outgoing_magic_t *magic, nta_outgoing_t *orq,
    const sip_t *sip)
{
	struct call		*c = (struct call *)magic;
	struct sipd		*sd = c->sd;
	struct sdp_remote	 remote;
	int			 status;

	if ((status = call_dialog_final(c, orq, sip, c->refresh_invite,
	    &c->refresh, &c->refresh_prev)) == 0)
		return (0);
	if (status < 300) {
		if (c->refresh_invite && sip->sip_payload != NULL &&
		    sdp_parse_remote(sip->sip_payload->pl_data,
		    sip->sip_payload->pl_len, &remote) == SDP_OK &&
		    memcmp(&remote.rtp, &c->remote.rtp,
		    sizeof(remote.rtp)) != 0) {
			c->remote = remote;
			c->remote_answer = 1;
			if (sd->be.call_update != NULL)
				sd->be.call_update(sd->be.arg, c->id,
				    &remote.rtp);
		}
		session_response(sip, &c->st);
		session_arm(&c->st, time(NULL));
		log_debug("call %016llx: session refreshed by us",
		    (unsigned long long)c->id);
		return (0);
	}
	if (!c->refresh_invite && (status == 405 || status == 501)) {
		/* UPDATE not allowed after all: re-INVITE next time. */
		c->peer_update = 0;
		c->st.refresh_at = time(NULL);
		return (0);
	}
	if (status == 491 || (status == 500 && sip != NULL &&
	    sip->sip_retry_after != NULL)) {
		c->st.refresh_at = time(NULL) + 2;
		return (0);
	}
	log_warnx("call %016llx: session refresh answered %d",
	    (unsigned long long)c->id, status);
	call_session_end(c);
	return (0);
}

/*
 * We are the refresher: UPDATE when the PBX allows it, else re-INVITE
 * with the same SDP under a new o= version.
 */
static void
call_refresh(struct call *c)
{
	struct sipd	*sd = c->sd;
	char		 se[32], minse[16], body[SDP_MAXBODY];
	int		 rv;

	c->st.refresh_at = 0;
	snprintf(se, sizeof(se), "%u;refresher=uac", c->st.interval);
	snprintf(minse, sizeof(minse), "%u", sd->conf.min_se);
	c->refresh_invite = !c->peer_update;
	if (!c->refresh_invite) {
		c->refresh = nta_outgoing_tcreate(c->leg, call_refresh_response,
		    (nta_outgoing_magic_t *)c, call_route(c),
		    SIP_METHOD_UPDATE, NULL,
		    SIPTAG_CONTACT(nta_agent_contact(sd->agent)),
		    SIPTAG_SUPPORTED_STR(SIPD_SUPPORTED),
		    SIPTAG_SESSION_EXPIRES_STR(se), SIPTAG_MIN_SE_STR(minse),
		    TAG_END());
	} else {
		c->sdp.bump = 1;
		rv = call_offer_body(c, -1, body, sizeof(body));
		if (rv >= 0)
			c->refresh = nta_outgoing_tcreate(c->leg,
			    call_refresh_response, (nta_outgoing_magic_t *)c,
			    call_route(c), SIP_METHOD_INVITE, NULL,
			    SIPTAG_CONTACT(nta_agent_contact(sd->agent)),
			    SIPTAG_ALLOW_STR(SIPD_ALLOW),
			    SIPTAG_SUPPORTED_STR(SIPD_SUPPORTED),
			    SIPTAG_SESSION_EXPIRES_STR(se),
			    SIPTAG_MIN_SE_STR(minse),
			    SIPTAG_CONTENT_TYPE_STR("application/sdp"),
			    SIPTAG_PAYLOAD_STR(body), TAG_END());
	}
	if (c->refresh == NULL) {
		log_warnx("call %016llx: cannot send the session refresh",
		    (unsigned long long)c->id);
		call_session_end(c);
	}
}

/*
 * The PBX's answer to our hold or resume re-INVITE.  Its answer goes to
 * mediad only (Kandy asked for it).  A refusal leaves the call as it was;
 * 481 and 408 say the dialog is gone: the call ends.  491 (or 500 with
 * Retry-After) tries again after RFC 3261 14.1's random wait.
 */
static int
call_hold_response(nta_outgoing_magic_t *magic, nta_outgoing_t *orq,
    const sip_t *sip)
{
	struct call		*c = (struct call *)magic;
	struct sipd		*sd = c->sd;
	struct sdp_remote	 remote;
	uint64_t		 id = c->id;
	int			 status, rv;

	if ((status = call_dialog_final(c, orq, sip, 1, &c->hold,
	    &c->hold_prev)) == 0)
		return (0);
	if (status < 300) {
		c->hold_tries = 0;
		c->hold_cur = c->hold_sent;
		c->hold_set = 1;
		rv = sip != NULL && sip->sip_payload != NULL ?
		    sdp_parse_remote(sip->sip_payload->pl_data,
		    sip->sip_payload->pl_len, &remote) : SDP_EPARSE;
		if (rv == SDP_OK) {
			c->remote = remote;
			c->remote_answer = 1;
			if (sd->be.call_held != NULL)
				sd->be.call_held(sd->be.arg, c->id,
				    &remote.rtp);
			log_info("call %016llx: the PBX took our %s, answering "
			    "%s", (unsigned long long)c->id,
			    media_dir_name(c->hold_sent),
			    media_dir_name(remote.rtp.dir));
			explicit_bzero(&remote, sizeof(remote));
		} else
			log_warnx("call %016llx: the PBX's answer to our %s: "
			    "%s; the media stay as they were",
			    (unsigned long long)c->id,
			    media_dir_name(c->hold_sent), sdp_strerror(rv));
		if (sip != NULL && sip->sip_session_expires != NULL &&
		    c->st.interval != 0) {
			session_response(sip, &c->st);
			session_arm(&c->st, time(NULL));
		}
		call_hold_try(c, time(NULL));
		return (0);
	}
	if (status == 481 || status == 408) {
		log_warnx("call %016llx: our %s re-INVITE answered %d: the "
		    "dialog is gone", (unsigned long long)id,
		    media_dir_name(c->hold_sent), status);
		sipd_call_hangup(sd, id);
		if (sd->be.call_ended != NULL)
			sd->be.call_ended(sd->be.arg, id, status == 408 ?
			    SIPD_END_TIMEOUT : SIPD_END_ERROR);
		return (0);
	}
	if ((status == 491 || (status == 500 && sip != NULL &&
	    sip->sip_retry_after != NULL)) && c->hold_tries < CALL_HOLD_TRIES) {
		/*
		 * RFC 3261 14.1: 2.1-4 s when we chose the Call-ID (our
		 * calls toward the PBX), else 0-2 s; the 1 s tick sends it.
		 */
		c->hold_tries++;
		c->hold_queued = 1;
		c->hold_at = time(NULL) + (c->outgoing ? 3 : 1) +
		    arc4random_uniform(2);
		log_debug("call %016llx: our %s re-INVITE answered %d, again "
		    "at +%lld s", (unsigned long long)id,
		    media_dir_name(c->hold_sent), status,
		    (long long)(c->hold_at - time(NULL)));
		return (0);
	}
	c->hold_tries = 0;
	log_warnx("call %016llx: the PBX refused our %s re-INVITE (%d); the "
	    "call goes on as it was", (unsigned long long)id,
	    media_dir_name(c->hold_sent), status);
	call_hold_try(c, time(NULL));
	return (0);
}

/* The hold or resume re-INVITE: our SDP, Kandy's direction, o= + 1. */
static void
call_hold_send(struct call *c)
{
	struct sipd	*sd = c->sd;
	char		 se[32], minse[16], body[SDP_MAXBODY];
	int		 rv;

	c->hold_sent = c->hold_dir;
	c->sdp.bump = 1;
	if ((rv = call_offer_body(c, c->hold_sent, body, sizeof(body))) < 0) {
		log_warnx("call %016llx: cannot offer %s to the PBX: %s",
		    (unsigned long long)c->id, media_dir_name(c->hold_sent),
		    sdp_strerror(rv));
		return;
	}
	/* A re-INVITE refreshes the session: the refresher stays. */
	snprintf(se, sizeof(se), "%u;refresher=%s", c->st.interval,
	    c->st.we_refresh ? "uac" : "uas");
	snprintf(minse, sizeof(minse), "%u", sd->conf.min_se);
	c->hold = nta_outgoing_tcreate(c->leg, call_hold_response,
	    (nta_outgoing_magic_t *)c, call_route(c), SIP_METHOD_INVITE, NULL,
	    SIPTAG_CONTACT(nta_agent_contact(sd->agent)),
	    SIPTAG_ALLOW_STR(SIPD_ALLOW),
	    SIPTAG_SUPPORTED_STR(SIPD_SUPPORTED),
	    TAG_IF(c->st.interval != 0, SIPTAG_SESSION_EXPIRES_STR(se)),
	    TAG_IF(c->st.interval != 0, SIPTAG_MIN_SE_STR(minse)),
	    SIPTAG_CONTENT_TYPE_STR("application/sdp"),
	    SIPTAG_PAYLOAD_STR(body), TAG_END());
	explicit_bzero(body, sizeof(body));
	if (c->hold == NULL)
		log_warnx("call %016llx: cannot send the %s re-INVITE",
		    (unsigned long long)c->id, media_dir_name(c->hold_sent));
	else
		log_info("call %016llx: re-INVITE to the PBX, %s",
		    (unsigned long long)c->id, media_dir_name(c->hold_sent));
}

/*
 * A queued hold or resume goes when no INVITE transaction is out in the
 * dialog, either way (RFC 3261 14.1): not during our refresh, a re-INVITE
 * of the PBX waiting for its ACK, or before the call is confirmed.
 */
static void
call_hold_try(struct call *c, time_t now)
{
	if (!c->hold_queued || c->closing || !c->confirmed || c->hold != NULL ||
	    c->refresh != NULL || c->offer_pending || now < c->hold_at ||
	    now < c->peer_invite_until)
		return;
	c->hold_queued = 0;
	if (c->hold_set ? c->hold_dir == c->hold_cur :
	    c->hold_dir == c->local.dir)
		return;		/* back where the PBX already is */
	call_hold_send(c);
}

/*
 * Kandy's far party held or resumed (kandyd's CALL_HOLD): re-INVITE the
 * PBX with our SDP in that direction, now or once the INVITE out in the
 * dialog is over.
 */
int
sipd_call_hold(struct sipd *sd, uint64_t id, int dir)
{
	struct call	*c;

	if ((c = call_find(sd, id)) == NULL || !c->answered ||
	    dir < MEDIA_SENDRECV || dir > MEDIA_INACTIVE)
		return (-1);
	/* A wait after a 491 still holds for the newer direction. */
	c->hold_dir = dir;
	c->hold_queued = 1;
	c->hold_tries = 0;
	call_hold_try(c, time(NULL));
	return (0);
}

void
call_tick(struct sipd *sd, time_t now)
{
	struct call	*c, *next;

	for (c = TAILQ_FIRST(&sd->calls); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->closing)
			continue;
		if (c->answered) {
			if (c->st.expires_at != 0 && now >= c->st.expires_at)
				call_session_end(c);
			else if (c->st.refresh_at != 0 &&
			    now >= c->st.refresh_at && c->refresh == NULL &&
			    c->hold == NULL && c->confirmed &&
			    !c->offer_pending)
				call_refresh(c);
			else
				call_hold_try(c, now);
			continue;
		}
		if (sd->conf.noanswer_timeout == 0 ||
		    now - c->created < (time_t)sd->conf.noanswer_timeout)
			continue;
		log_warnx("call %016llx: no answer in time",
		    (unsigned long long)c->id);
		nta_incoming_treply(c->irq, SIP_480_TEMPORARILY_UNAVAILABLE,
		    TAG_END());
		if (sd->be.call_ended != NULL)
			sd->be.call_ended(sd->be.arg, c->id, SIPD_END_TIMEOUT);
		call_free(c);
	}
}

void
call_free_all(struct sipd *sd)
{
	struct call	*c;

	while ((c = TAILQ_FIRST(&sd->calls)) != NULL) {
		if (!c->answered && c->irq != NULL)
			nta_incoming_treply(c->irq,
			    SIP_503_SERVICE_UNAVAILABLE, TAG_END());
		call_free(c);
	}
}

void
sipd_calls(struct sipd *sd, void (*cb)(void *, const struct sipd_call_status *),
    void *arg)
{
	struct sipd_call_status	 st;
	struct call		*c;

	TAILQ_FOREACH(c, &sd->calls, entry) {
		memset(&st, 0, sizeof(st));
		st.call = c->id;
		st.direction = c->outgoing ? "in" : "out";
		strlcpy(st.from, c->from, sizeof(st.from));
		strlcpy(st.to, c->to, sizeof(st.to));
		st.state = c->closing ? "TERMINATING" : c->confirmed ?
		    "ESTABLISHED" : c->answered ? "ANSWERED" : c->ringing ?
		    "RINGING" : "CALLING";
		st.start = c->created;
		st.answered = c->answered_at;
		cb(arg, &st);
	}
}

/*
 * A 401 or 407 to our INVITE: the first Digest challenge with an
 * algorithm we know goes to the backend, which asks the parent for the
 * response.  0 when asked, -1 when the challenge ends the call: a second
 * one, no usable challenge, or no one to ask.
 */
static int
call_challenged(struct call *c, const sip_t *sip, int proxy)
{
	struct sipd		*sd = c->sd;
	struct digest_params	 p;
	su_home_t		 home[1] = { SU_HOME_INIT(home) };
	auth_challenge_t	 ac;
	msg_auth_t		*au;
	enum digest_alg		 alg;
	int			 found = 0;

	if (c->auth.tried || sd->be.answer_challenge == NULL || sip == NULL)
		return (-1);
	au = proxy ? sip->sip_proxy_authenticate : sip->sip_www_authenticate;
	for (; au != NULL && !found; au = au->au_next) {
		if (au->au_scheme == NULL ||
		    strcasecmp(au->au_scheme, "Digest") != 0)
			continue;
		memset(&ac, 0, sizeof(ac));
		ac.ac_size = sizeof(ac);
		if (auth_digest_challenge_get(home, &ac, au->au_params) < 0 ||
		    ac.ac_realm == NULL || ac.ac_nonce == NULL)
			continue;
		if (ac.ac_algorithm == NULL)
			alg = DIGEST_MD5;
		else if (digest_alg_parse(ac.ac_algorithm, &alg) == -1)
			continue;
		/* With qop, only "auth": we never sign bodies (auth-int). */
		if (ac.ac_qop != NULL && !ac.ac_auth)
			continue;
		if (strlcpy(c->auth.realm, ac.ac_realm, sizeof(c->auth.realm)) >=
		    sizeof(c->auth.realm) || strlcpy(c->auth.nonce, ac.ac_nonce,
		    sizeof(c->auth.nonce)) >= sizeof(c->auth.nonce) ||
		    strlcpy(c->auth.opaque, ac.ac_opaque ? ac.ac_opaque : "",
		    sizeof(c->auth.opaque)) >= sizeof(c->auth.opaque))
			continue;
		c->auth.alg = alg;
		c->auth.qop = ac.ac_qop != NULL;
		found = 1;
	}
	su_home_deinit(home);
	if (!found) {
		log_warnx("call %016llx: the PBX's challenge is not one we can "
		    "answer", (unsigned long long)c->id);
		return (-1);
	}
	c->auth.tried = 1;
	c->auth.waiting = 1;
	c->auth.proxy = proxy;
	snprintf(c->auth.cnonce, sizeof(c->auth.cnonce), "%08x%08x",
	    (unsigned int)su_random(), (unsigned int)su_random());
	memset(&p, 0, sizeof(p));
	p.alg = c->auth.alg;
	p.realm = c->auth.realm;
	p.nonce = c->auth.nonce;
	p.nc = c->auth.qop ? "00000001" : NULL;
	p.cnonce = c->auth.qop ? c->auth.cnonce : NULL;
	p.qop = c->auth.qop ? "auth" : NULL;
	p.method = "INVITE";
	p.uri = c->ruri;
	log_info("call %016llx: the PBX challenged (%d, realm \"%s\")",
	    (unsigned long long)c->id, proxy ? 407 : 401, c->auth.realm);
	sd->be.answer_challenge(sd->be.arg, c->id, &p);
	return (0);
}

/*
 * The response to the PBX's challenge, from the parent: the INVITE again
 * in the same dialog with our credentials.  An empty response (no
 * password for that realm) fails the call as the challenge did.
 */
int
sipd_challenge_answer(struct sipd *sd, uint64_t id, const char *user,
    const char *response)
{
	struct call	*c;
	nta_outgoing_t	*next = NULL;
	int		 n;

	if ((c = call_find(sd, id)) == NULL || !c->auth.waiting)
		return (-1);
	c->auth.waiting = 0;
	if (*user != '\0' && *response != '\0' &&
	    strpbrk(user, "\"\\\r\n") == NULL) {
		n = snprintf(c->auth.header, sizeof(c->auth.header),
		    "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", "
		    "uri=\"%s\", response=\"%s\", algorithm=%s%s%s%s%s%s%s",
		    user, c->auth.realm, c->auth.nonce, c->ruri, response,
		    digest_alg_name(c->auth.alg),
		    c->auth.qop ? ", qop=auth, nc=00000001, cnonce=\"" : "",
		    c->auth.qop ? c->auth.cnonce : "",
		    c->auth.qop ? "\"" : "",
		    c->auth.opaque[0] != '\0' ? ", opaque=\"" : "",
		    c->auth.opaque, c->auth.opaque[0] != '\0' ? "\"" : "");
		if (n > 0 && (size_t)n < sizeof(c->auth.header))
			next = call_out_invite(c, c->out_interval,
			    c->out_min_se);
	}
	if (next == NULL) {
		log_warnx("call %016llx: no answer to the PBX's challenge",
		    (unsigned long long)id);
		c->auth.header[0] = '\0';
		if (sd->be.call_failed != NULL)
			sd->be.call_failed(sd->be.arg, c->id,
			    c->auth.proxy ? 407 : 401);
		call_free(c);
		return (0);
	}
	nta_outgoing_destroy(c->invite);
	c->invite = next;
	return (0);
}

/*
 * A provisional response with SDP (RFC 3261 13.2.1: the answer to our
 * offer may come in it): the PBX's media before the answer, so that the
 * caller hears its ringback or announcements.  The first one counts; the
 * 200 gives the final answer.
 */
static void
call_early_media(struct call *c, const sip_t *sip)
{
	struct sipd		*sd = c->sd;
	struct sdp_remote	 remote;
	int			 rv;

	if (sip == NULL || sip->sip_payload == NULL ||
	    sip->sip_content_type == NULL ||
	    strcasecmp(sip->sip_content_type->c_type, "application/sdp") != 0)
		return;
	rv = sdp_parse_remote(sip->sip_payload->pl_data,
	    sip->sip_payload->pl_len, &remote);
	if (rv != SDP_OK) {
		log_warnx("call %016llx: the PBX's early media: %s",
		    (unsigned long long)c->id, sdp_strerror(rv));
		return;
	}
	c->early = 1;
	c->remote = remote;
	log_info("call %016llx: early media from the PBX",
	    (unsigned long long)c->id);
	if (sd->be.call_early_media != NULL)
		sd->be.call_early_media(sd->be.arg, c->id, &remote.rtp);
}

/* Responses to our INVITE toward the PBX. */
static int
call_out_response(nta_outgoing_magic_t *magic, nta_outgoing_t *orq,
    const sip_t *sip)
{
	struct call		*c = (struct call *)magic;
	struct sipd		*sd = c->sd;
	struct sdp_remote	 remote, early;
	nta_outgoing_t		*next;
	int			 status, rv, same;

	status = sip != NULL && sip->sip_status != NULL ?
	    sip->sip_status->st_status : nta_outgoing_status(orq);
	if (status < 200) {
		if ((status == 180 || status == 183) && !c->ringing) {
			c->ringing = 1;
			if (sd->be.call_progress != NULL)
				sd->be.call_progress(sd->be.arg, c->id, status);
		}
		if (status > 100 && !c->early)
			call_early_media(c, sip);
		return (0);
	}
	if (status == 422 && !c->closing && !c->answered && !c->retried_422 &&
	    sip != NULL && sip->sip_min_se != NULL &&
	    sip->sip_min_se->min_delta <= 86400) {
		/* Once more with the interval the PBX asks for (RFC 4028). */
		c->retried_422 = 1;
		log_info("call %016llx: the PBX wants a session interval of %lu s",
		    (unsigned long long)c->id, sip->sip_min_se->min_delta);
		if ((next = call_out_invite(c, sip->sip_min_se->min_delta,
		    sip->sip_min_se->min_delta)) != NULL) {
			nta_outgoing_destroy(c->invite);
			c->invite = next;
			return (0);
		}
	}
	if ((status == 401 || status == 407) && !c->closing &&
	    !c->answered && call_challenged(c, sip, status == 407) == 0)
		return (0);
	if (status >= 300) {
		log_info("call %016llx: the PBX answered %d",
		    (unsigned long long)c->id, status);
		if (!c->closing && sd->be.call_failed != NULL)
			sd->be.call_failed(sd->be.arg, c->id, status);
		call_free(c);
		return (0);
	}
	if (c->answered)
		return (0);	/* a retransmitted 200: nta sends the ACK */
	/* 2xx: the dialog is confirmed; acknowledge it. */
	nta_leg_rtag(c->leg, sip->sip_to->a_tag);
	nta_leg_client_reroute(c->leg, sip->sip_record_route,
	    sip->sip_contact, 1);
	call_send_ack(c, sip->sip_cseq->cs_seq);
	c->answered = 1;
	c->confirmed = 1;
	c->answered_at = time(NULL);
	if (c->closing) {
		/* Answered while being cancelled: end it properly. */
		c->closing = 0;
		sipd_call_hangup(sd, c->id);
		return (0);
	}
	rv = sip->sip_payload != NULL ? sdp_parse_remote(
	    sip->sip_payload->pl_data, sip->sip_payload->pl_len, &remote) :
	    SDP_EPARSE;
	if (rv != SDP_OK) {
		log_warnx("call %016llx: the PBX's answer: %s",
		    (unsigned long long)c->id, sdp_strerror(rv));
		if (sd->be.call_failed != NULL)
			sd->be.call_failed(sd->be.arg, c->id, 488);
		sipd_call_hangup(sd, c->id);
		return (0);
	}
	early = c->remote;
	c->remote = remote;
	c->peer_update = sip_is_allowed(sip->sip_allow, sip_method_update,
	    NULL);
	session_response(sip, &c->st);
	session_arm(&c->st, c->answered_at);
	log_info("call %016llx: answered by the PBX", (unsigned long long)c->id);
	/* The answer the early media already gave is not given again. */
	same = c->early && memcmp(&remote.rtp, &early.rtp,
	    sizeof(remote.rtp)) == 0;
	if (sd->be.call_answered != NULL)
		sd->be.call_answered(sd->be.arg, c->id, same ? NULL :
		    &remote.rtp);
	return (0);
}

/* Our INVITE toward the PBX, with our offer; again after a 422. */
static nta_outgoing_t *
call_out_invite(struct call *c, unsigned int interval, unsigned int min_se)
{
	struct sipd	*sd = c->sd;
	char		 body[SDP_MAXBODY], se[16], minse[16];

	if (sdp_write_offer(&c->sdp, &c->local, sd->conf.public_addr, body,
	    sizeof(body)) < 0)
		return (NULL);
	snprintf(se, sizeof(se), "%u", interval);
	snprintf(minse, sizeof(minse), "%u", min_se);
	c->out_interval = interval;
	c->out_min_se = min_se;
	return (nta_outgoing_tcreate(c->leg, call_out_response,
	    (nta_outgoing_magic_t *)c, call_route(c),
	    SIP_METHOD_INVITE, URL_STRING_MAKE(c->ruri),
	    SIPTAG_CONTACT(nta_agent_contact(sd->agent)),
	    SIPTAG_ALLOW_STR(SIPD_ALLOW),
	    SIPTAG_SUPPORTED_STR(SIPD_SUPPORTED),
	    TAG_IF(interval != 0, SIPTAG_SESSION_EXPIRES_STR(se)),
	    TAG_IF(interval != 0, SIPTAG_MIN_SE_STR(minse)),
	    TAG_IF(c->pai[0] != '\0', SIPTAG_HEADER_STR(c->pai)),
	    TAG_IF(c->auth.header[0] != '\0' && c->auth.proxy,
	    SIPTAG_PROXY_AUTHORIZATION_STR(c->auth.header)),
	    TAG_IF(c->auth.header[0] != '\0' && !c->auth.proxy,
	    SIPTAG_AUTHORIZATION_STR(c->auth.header)),
	    SIPTAG_CONTENT_TYPE_STR("application/sdp"),
	    SIPTAG_PAYLOAD_STR(body), TAG_END()));
}

/*
 * A call toward the PBX: INVITE its registered Contact URI with the DID
 * as the user part (3CX matches the trunk by ;rinstance), sent to the
 * address the registration came from.
 */
int
sipd_call_out(struct sipd *sd, uint64_t id, const char *did,
    const char *caller, const char *caller_name,
    const struct media_rtp_desc *local)
{
	const struct sipd_binding_info	*b;
	su_home_t			 home[1] = { SU_HOME_INIT(home) };
	struct call			*c = NULL;
	url_t				*ruri;
	char				 number[NUMRULE_MAXDIGITS];
	char				 from[SIPD_URLLEN + SIPD_NAMELEN];
	char				 to[SIPD_URLLEN], route[SIPD_URLLEN];
	char				 host[INET6_ADDRSTRLEN], body[SDP_MAXBODY];
	char				 name[SIPD_NAMELEN], who[SIPD_USERLEN];
	char				 pai[SIPD_URLLEN + SIPD_NAMELEN + 32];
	const char			*r;
	const void			*a;
	int				 rv, port;

	if (call_find(sd, id) != NULL || id == 0)
		return (-1);
	if ((b = registrar_binding(sd)) == NULL) {
		log_info("call %016llx: no PBX registered",
		    (unsigned long long)id);
		return (480);
	}
	rv = numrule_apply(sd->conf.rules, sd->conf.nrules, NUMRULE_INBOUND,
	    did, number, sizeof(number));
	if (rv != NUMRULE_OK) {
		log_info("call %016llx: DID %s: %s", (unsigned long long)id, did,
		    numrule_result_name(rv));
		return (404);
	}
	if (numrule_normalise(caller != NULL ? caller : "", who,
	    sizeof(who)) == -1) {
		/* A Kandy user calling by name keeps the name. */
		if (caller != NULL && numrule_kandy_user(caller))
			strlcpy(who, caller, sizeof(who));
		else
			strlcpy(who, "anonymous", sizeof(who));
	}
	copy_user(name, sizeof(name), caller_name);
	/* A display name is a quoted string: no quotes or backslashes. */
	name[strcspn(name, "\"\\")] = '\0';

	if ((ruri = url_make(home, b->contact)) == NULL)
		goto fail;
	ruri->url_user = number;
	if (b->src.ss_family == AF_INET6) {
		a = &((const struct sockaddr_in6 *)&b->src)->sin6_addr;
		port = ntohs(((const struct sockaddr_in6 *)&b->src)->sin6_port);
	} else {
		a = &((const struct sockaddr_in *)&b->src)->sin_addr;
		port = ntohs(((const struct sockaddr_in *)&b->src)->sin_port);
	}
	inet_ntop(b->src.ss_family, a, host, sizeof(host));
	snprintf(route, sizeof(route), b->src.ss_family == AF_INET6 ?
	    "sip:[%s]:%d;transport=%s" : "sip:%s:%d;transport=%s",
	    host, port, sipd_transport_name(b->transport));
	snprintf(to, sizeof(to), "<sip:%s@%s>", number,
	    ruri->url_host);
	snprintf(from, sizeof(from), "\"%s\" <sip:%s@%s>", name, who,
	    sd->conf.realm);
	snprintf(pai, sizeof(pai), "P-Asserted-Identity: \"%s\" <sip:%s@%s>",
	    name, who, sd->conf.realm);

	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto fail;
	c->sd = sd;
	c->id = id;
	c->outgoing = 1;
	c->created = time(NULL);
	c->local = *local;
	strlcpy(c->route, route, sizeof(c->route));
	strlcpy(c->from, who, sizeof(c->from));
	strlcpy(c->to, number, sizeof(c->to));
	sdp_local_init(&c->sdp);
	if ((rv = sdp_write_offer(&c->sdp, local, sd->conf.public_addr, body,
	    sizeof(body))) < 0) {
		log_warnx("call %016llx: cannot offer: %s",
		    (unsigned long long)id, sdp_strerror(rv));
		free(c);
		su_home_deinit(home);
		return (488);
	}
	c->leg = nta_leg_tcreate(sd->agent, call_leg_request,
	    (nta_leg_magic_t *)c,
	    SIPTAG_CALL_ID(sip_call_id_create(home, NULL)),
	    SIPTAG_FROM_STR(from), SIPTAG_TO_STR(to), TAG_END());
	if (c->leg == NULL || nta_leg_tag(c->leg, NULL) == NULL)
		goto fail;
	if ((r = url_as_string(home, ruri)) == NULL ||
	    strlcpy(c->ruri, r, sizeof(c->ruri)) >= sizeof(c->ruri))
		goto fail;
	if (sd->conf.pai && strcmp(who, "anonymous") != 0)
		strlcpy(c->pai, pai, sizeof(c->pai));
	if ((c->invite = call_out_invite(c, sd->conf.session_expires,
	    sd->conf.min_se)) == NULL)
		goto fail;
	TAILQ_INSERT_TAIL(&sd->calls, c, entry);
	sd->ncalls++;
	log_info("call %016llx: to the PBX for %s from %s", (unsigned long long)id,
	    number, who);
	su_home_deinit(home);
	return (0);
 fail:
	if (c != NULL) {
		if (c->leg != NULL)
			nta_leg_destroy(c->leg);
		free(c);
	}
	su_home_deinit(home);
	return (500);
}
