/*
 * Calls from the PBX: INVITE (authenticated or trusted by source), the
 * number rules, the PBX's SDP, and the dialog until BYE.  What happens on
 * the Kandy side and with media is the backend's business; it answers
 * through sipd_call_ringing(), sipd_call_answer(), sipd_call_reject() and
 * sipd_call_hangup().
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/url.h>

#include "log.h"
#include "engine.h"
#include "numrules.h"

struct call {
	TAILQ_ENTRY(call)	 entry;
	struct sipd		*sd;
	uint64_t		 id;
	nta_incoming_t		*irq;		/* the first INVITE */
	nta_leg_t		*leg;
	nta_outgoing_t		*bye;
	struct sdp_remote	 remote;
	struct sdp_local	 sdp;
	struct media_rtp_desc	 local;
	int			 answered;
	int			 confirmed;
	int			 closing;
	int			 ringing;
	time_t			 created;
	time_t			 answered_at;
	char			 from[SIPD_USERLEN];
	char			 to[SIPD_USERLEN];
};

static int	call_leg_request(nta_leg_magic_t *, nta_leg_t *,
		    nta_incoming_t *, const sip_t *);
static int	call_irq_event(nta_incoming_magic_t *, nta_incoming_t *,
		    const sip_t *);

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
	if (c->bye != NULL)
		nta_outgoing_destroy(c->bye);
	if (c->leg != NULL)
		nta_leg_destroy(c->leg);
	free(c);
}

/* The PBX side ended the call: tell the backend, then forget it. */
static void
call_end(struct call *c, enum sipd_end why)
{
	struct sipd	*sd = c->sd;

	log_info("call %llu: ended by the PBX (%s)", (unsigned long long)c->id,
	    why == SIPD_END_BYE ? "BYE" : why == SIPD_END_CANCEL ? "CANCEL" :
	    why == SIPD_END_TIMEOUT ? "timeout" : "error");
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
	struct call		*c;
	char			 dialled[SIPD_USERLEN], num[NUMRULE_MAXDIGITS];
	int			 rv;

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
	if (rv != NUMRULE_OK) {
		log_info("call to %s refused: %s", dialled,
		    numrule_result_name(rv));
		return (404);
	}
	if (numrule_e164(num, info.number, sizeof(info.number)) == -1) {
		log_info("call to %s refused: %s is not E.164", dialled, num);
		return (484);
	}
	if (numrule_kandy_address(info.number, sd->conf.kandy_domain[0] ?
	    sd->conf.kandy_domain : NULL, info.kandy_addr,
	    sizeof(info.kandy_addr)) == -1)
		return (404);

	if (sip->sip_payload == NULL || sip->sip_payload->pl_len == 0) {
		log_info("call to %s refused: INVITE without SDP", dialled);
		nta_incoming_treply(irq, SIP_488_NOT_ACCEPTABLE,
		    SIPTAG_WARNING_STR("399 kandy-bridge \"offer required\""),
		    TAG_END());
		return (488);
	}
	if (sip->sip_content_type != NULL && (sip->sip_content_type->c_type ==
	    NULL || strcasecmp(sip->sip_content_type->c_type,
	    "application/sdp") != 0)) {
		nta_incoming_treply(irq, SIP_415_UNSUPPORTED_MEDIA,
		    SIPTAG_ACCEPT_STR("application/sdp"), TAG_END());
		return (415);
	}
	rv = sdp_parse_remote(sip->sip_payload->pl_data,
	    sip->sip_payload->pl_len, &remote);
	if (rv != SDP_OK) {
		log_info("call to %s refused: %s", dialled, sdp_strerror(rv));
		return (rv == SDP_EPARSE ? 400 : 488);
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
	if (sip->sip_from != NULL) {
		copy_user(info.from_user, sizeof(info.from_user),
		    sip->sip_from->a_url->url_user);
		copy_user(info.from_name, sizeof(info.from_name),
		    sip->sip_from->a_display);
	}
	strlcpy(c->from, info.from_user, sizeof(c->from));
	memcpy(&info.src, src, src->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	log_info("call %llu: from %s to %s (%s)", (unsigned long long)c->id,
	    info.from_user, dialled, info.kandy_addr);
	if (sd->be.call_new != NULL)
		sd->be.call_new(sd->be.arg, &info, &c->remote.rtp);
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
		if (c->answered && !c->confirmed) {
			c->confirmed = 1;
			log_debug("call %llu: confirmed",
			    (unsigned long long)c->id);
			if (sd->be.call_confirmed != NULL)
				sd->be.call_confirmed(sd->be.arg, c->id);
		}
		return (0);
	}
	if (sip == NULL && c->answered && !c->confirmed) {
		/* 2xx retransmitted until timer H: no ACK came. */
		log_warnx("call %llu: no ACK", (unsigned long long)c->id);
		sipd_call_hangup(sd, c->id);
		if (sd->be.call_ended != NULL)
			sd->be.call_ended(sd->be.arg, c->id, SIPD_END_TIMEOUT);
	}
	return (0);
}

/* Requests inside an established or early dialog. */
static int
call_leg_request(nta_leg_magic_t *magic, nta_leg_t *leg, nta_incoming_t *irq,
    const sip_t *sip)
{
	struct call		*c = (struct call *)magic;
	struct sipd		*sd = c->sd;
	struct sdp_remote	 remote;
	char			 body[SDP_MAXBODY];
	int			 rv;

	if (c->closing)
		return (481);
	switch (sip->sip_request->rq_method) {
	case sip_method_ack:
		call_irq_event((nta_incoming_magic_t *)c, NULL, sip);
		return (200);
	case sip_method_bye:
		nta_incoming_treply(irq, SIP_200_OK, TAG_END());
		call_end(c, SIPD_END_BYE);
		return (200);
	case sip_method_options:
		return (200);
	case sip_method_invite:
		if (!c->answered)
			return (491);
		if (sip->sip_payload == NULL || sip->sip_payload->pl_len == 0)
			return (488);	/* late offer in a re-INVITE */
		rv = sdp_parse_remote(sip->sip_payload->pl_data,
		    sip->sip_payload->pl_len, &remote);
		if (rv != SDP_OK)
			return (rv == SDP_EPARSE ? 400 : 488);
		rv = sdp_write_answer(&c->sdp, &c->local, &remote,
		    sd->conf.public_addr, body, sizeof(body));
		if (rv < 0)
			return (488);
		c->remote = remote;
		if (sd->be.call_update != NULL)
			sd->be.call_update(sd->be.arg, c->id, &remote.rtp);
		nta_incoming_treply(irq, SIP_200_OK,
		    SIPTAG_CONTACT(nta_agent_contact(sd->agent)),
		    SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		    SIPTAG_PAYLOAD_STR(body), TAG_END());
		return (0);
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
	char		 body[SDP_MAXBODY];
	int		 rv;

	if ((c = call_find(sd, id)) == NULL || c->answered || c->irq == NULL)
		return (-1);
	rv = sdp_write_answer(&c->sdp, local, &c->remote,
	    sd->conf.public_addr, body, sizeof(body));
	if (rv < 0) {
		log_warnx("call %llu: cannot answer: %s",
		    (unsigned long long)id, sdp_strerror(rv));
		sipd_call_reject(sd, id, 488, NULL);
		return (-1);
	}
	c->local = *local;
	c->answered = 1;
	c->answered_at = time(NULL);
	log_info("call %llu: answered", (unsigned long long)id);
	return (nta_incoming_treply(c->irq, SIP_200_OK,
	    SIPTAG_CONTACT(nta_agent_contact(sd->agent)),
	    SIPTAG_ALLOW_STR(SIPD_ALLOW),
	    SIPTAG_CONTENT_TYPE_STR("application/sdp"),
	    SIPTAG_PAYLOAD_STR(body), TAG_END()));
}

int
sipd_call_reject(struct sipd *sd, uint64_t id, int status, const char *phrase)
{
	struct call	*c;

	if ((c = call_find(sd, id)) == NULL || c->answered || c->irq == NULL)
		return (-1);
	if (status < 300 || status > 699)
		status = 500;
	log_info("call %llu: rejected with %d", (unsigned long long)id,
	    status);
	if (status == 503)
		nta_incoming_treply(c->irq, status, phrase,
		    SIPTAG_RETRY_AFTER_STR(SIPD_RETRY_AFTER), TAG_END());
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
	if (!c->answered)
		return (sipd_call_reject(sd, id, 480, NULL));
	log_info("call %llu: hanging up", (unsigned long long)id);
	c->closing = 1;
	c->bye = nta_outgoing_tcreate(c->leg, call_bye_response,
	    (nta_outgoing_magic_t *)c, NULL, SIP_METHOD_BYE, NULL, TAG_END());
	if (c->bye == NULL)
		call_free(c);
	return (0);
}

unsigned int
sipd_call_count(struct sipd *sd)
{
	return (sd->ncalls);
}

void
call_tick(struct sipd *sd, time_t now)
{
	struct call	*c, *next;

	for (c = TAILQ_FIRST(&sd->calls); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->answered || c->closing || sd->conf.noanswer_timeout == 0 ||
		    now - c->created < (time_t)sd->conf.noanswer_timeout)
			continue;
		log_warnx("call %llu: no answer in time",
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
