/*
 * The engine's backend in the real daemon.  Outbound call (3CX -> Kandy):
 *	engine call_new	-> mediad MEDIA_ALLOC, MEDIA_RTP_REMOTE
 *			-> kandyd CALL_OUT
 *	mediad MEDIA_RTP_LOCAL	-> kept until the answer
 *	kandyd CALL_RINGING	-> 180
 *	kandyd CALL_ANSWERED	-> 200 with our SDP (once the local side is known)
 *	kandyd CALL_END		-> final error response, or BYE when answered
 *	engine call_ended	-> kandyd CALL_END, mediad MEDIA_FREE
 * Inbound call (Kandy -> 3CX):
 *	kandyd CALL_IN and mediad MEDIA_RTP_LOCAL (either first; kandyd asks
 *	mediad with MEDIA_ALLOC 1)	-> INVITE to the registered contact
 *	engine call_progress	-> kandyd CALL_RINGING
 *	engine call_early_media	-> mediad MEDIA_RTP_REMOTE (183 with SDP)
 *	engine call_answered	-> mediad MEDIA_RTP_REMOTE, kandyd CALL_ANSWERED
 *	engine call_failed	-> kandyd CALL_END, mediad MEDIA_FREE
 * Digest checks go to the parent (AUTH_CHECK) and come back (AUTH_RESULT);
 * so do the responses to the PBX's challenges (AUTH_ANSWER, AUTH_ANSWERED).
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>

#include "backend.h"
#include "log.h"
#include "media.h"

struct bcall {
	TAILQ_ENTRY(bcall)	 entry;
	uint64_t		 id;
	struct media_rtp_desc	 local;
	int			 have_local;
	int			 answer_pending;
	int			 answered;
	int			 inbound;	/* Kandy -> PBX */
	int			 started;	/* INVITE sent to the PBX */
	char			 did[64];
	char			 caller[64];
	char			 caller_name[128];
};

static struct child_ctx		*ctx;
static struct sipd		*sd;
static TAILQ_HEAD(, bcall)	 calls = TAILQ_HEAD_INITIALIZER(calls);
static struct media_codec_desc	 codecs[MEDIA_MAXCODECS];
static int			 register_requires_kandy;
static int			 ncodecs;

static struct bcall *
bcall_find(uint64_t id)
{
	struct bcall	*bc;

	TAILQ_FOREACH(bc, &calls, entry)
		if (bc->id == id)
			return (bc);
	return (NULL);
}

static void
bcall_free(struct bcall *bc)
{
	TAILQ_REMOVE(&calls, bc, entry);
	free(bc);
}

void
backend_set_codecs(const uint8_t *list, int n, int telephone_event)
{
	int	 i;

	ncodecs = 0;
	for (i = 0; i < n && ncodecs < MEDIA_MAXCODECS - 1; i++) {
		if (list[i] == CODEC_PCMU)
			codecs[ncodecs++] = (struct media_codec_desc){
			    CODEC_PCMU, 0, 1, 8000 };
		else if (list[i] == CODEC_PCMA)
			codecs[ncodecs++] = (struct media_codec_desc){
			    CODEC_PCMA, 8, 1, 8000 };
	}
	if (telephone_event)
		codecs[ncodecs++] = (struct media_codec_desc){
		    CODEC_TELEPHONE_EVENT, 101, 1, 8000 };
}

static void
be_verify_digest(void *arg, uint64_t id, const struct digest_params *p)
{
	child_send(ctx, PROC_PARENT, IMSG_AUTH_CHECK, 0, -1,
	    (unsigned int)id, (int)p->alg, p->username, p->realm, p->nonce,
	    p->nc ? p->nc : "", p->cnonce ? p->cnonce : "",
	    p->qop ? p->qop : "", p->method, p->uri, p->response);
}

static int
be_can_take_calls(void *arg)
{
	return (child_connected(ctx, PROC_KANDYD) &&
	    child_connected(ctx, PROC_MEDIAD));
}

static int
be_can_register(void *arg)
{
	return (!register_requires_kandy || child_connected(ctx, PROC_KANDYD));
}

void
backend_set_register_requires_kandy(int on)
{
	register_requires_kandy = on;
}

static void
be_registration(void *arg, const struct sipd_binding_info *b)
{
	log_debug("registration %s is %s", b->aor, reg_state_name(b->state));
}

static void
be_call_new(void *arg, const struct sipd_call_info *ci,
    const struct media_rtp_desc *remote)
{
	struct bcall	*bc;

	if ((bc = calloc(1, sizeof(*bc))) == NULL) {
		sipd_call_reject(sd, ci->call, 503, NULL);
		return;
	}
	bc->id = ci->call;
	TAILQ_INSERT_TAIL(&calls, bc, entry);
	/* Without the PBX's offer (late offer) mediad offers at once. */
	if (child_send(ctx, PROC_MEDIAD, IMSG_MEDIA_ALLOC, bc->id, -1,
	    remote == NULL ? 2 : 0) == -1 || (remote != NULL &&
	    child_send(ctx, PROC_MEDIAD, IMSG_MEDIA_RTP_REMOTE, bc->id,
	    -1, remote, sizeof(*remote)) == -1) ||
	    child_send(ctx, PROC_KANDYD, IMSG_CALL_OUT, bc->id, -1,
	    ci->kandy_addr, ci->from_user, ci->from_name) == -1) {
		log_warnx("call %llu: cannot reach kandyd or mediad",
		    (unsigned long long)bc->id);
		child_send(ctx, PROC_MEDIAD, IMSG_MEDIA_FREE, bc->id, -1);
		sipd_call_reject(sd, bc->id, 503, NULL);
		bcall_free(bc);
	}
}

static void
be_call_update(void *arg, uint64_t id, const struct media_rtp_desc *remote)
{
	child_send(ctx, PROC_MEDIAD, IMSG_MEDIA_RTP_REMOTE, id, -1, remote,
	    sizeof(*remote));
}

static void
be_call_dtmf(void *arg, uint64_t id, int event, unsigned int ms)
{
	child_send(ctx, PROC_MEDIAD, IMSG_MEDIA_DTMF, id, -1, event, ms);
}

static void
be_call_confirmed(void *arg, uint64_t id)
{
	log_debug("call %llu: established", (unsigned long long)id);
}

static void
be_call_ended(void *arg, uint64_t id, enum sipd_end why)
{
	struct bcall	*bc;
	const char	*reason;
	unsigned int	 status;

	switch (why) {
	case SIPD_END_BYE:
		status = 200, reason = "BYE from the PBX";
		break;
	case SIPD_END_CANCEL:
		status = 487, reason = "CANCEL from the PBX";
		break;
	case SIPD_END_TIMEOUT:
		status = 408, reason = "SIP timeout";
		break;
	case SIPD_END_SESSION:
		status = 408, reason = "SIP session timer expired";
		break;
	default:
		status = 500, reason = "SIP error";
		break;
	}
	child_send(ctx, PROC_KANDYD, IMSG_CALL_END, id, -1, status, 0U,
	    reason);
	child_send(ctx, PROC_MEDIAD, IMSG_MEDIA_FREE, id, -1);
	if ((bc = bcall_find(id)) != NULL)
		bcall_free(bc);
}

static void
be_call_progress(void *arg, uint64_t id, int status)
{
	child_send(ctx, PROC_KANDYD, IMSG_CALL_RINGING, id, -1);
}

static void
be_call_answered(void *arg, uint64_t id, const struct media_rtp_desc *remote)
{
	struct bcall	*bc;

	if ((bc = bcall_find(id)) != NULL)
		bc->answered = 1;
	if (remote != NULL)
		child_send(ctx, PROC_MEDIAD, IMSG_MEDIA_RTP_REMOTE, id, -1,
		    remote, sizeof(*remote));
	child_send(ctx, PROC_KANDYD, IMSG_CALL_ANSWERED, id, -1);
}

static void
be_call_failed(void *arg, uint64_t id, int status)
{
	struct bcall	*bc;

	child_send(ctx, PROC_KANDYD, IMSG_CALL_END, id, -1,
	    (unsigned int)status, 0U, "refused by the PBX");
	child_send(ctx, PROC_MEDIAD, IMSG_MEDIA_FREE, id, -1);
	if ((bc = bcall_find(id)) != NULL)
		bcall_free(bc);
}

/* The PBX's early media: mediad relays it toward Kandy before the 200. */
static void
be_call_early_media(void *arg, uint64_t id, const struct media_rtp_desc *remote)
{
	child_send(ctx, PROC_MEDIAD, IMSG_MEDIA_RTP_REMOTE, id, -1, remote,
	    sizeof(*remote));
}

static void
be_answer_challenge(void *arg, uint64_t id, const struct digest_params *p)
{
	child_send(ctx, PROC_PARENT, IMSG_AUTH_ANSWER, id, -1, (int)p->alg,
	    p->realm, p->nonce, p->nc ? p->nc : "", p->cnonce ? p->cnonce : "",
	    p->qop ? p->qop : "", p->method, p->uri);
}

/* A call from Kandy: INVITE the PBX once both the call and media are here. */
static void
inbound_start(struct bcall *bc)
{
	int	 rv;

	if (bc->started || !bc->inbound || !bc->have_local)
		return;
	bc->started = 1;
	rv = sipd_call_out(sd, bc->id, bc->did, bc->caller, bc->caller_name,
	    &bc->local);
	if (rv != 0) {
		child_send(ctx, PROC_KANDYD, IMSG_CALL_END, bc->id, -1,
		    (unsigned int)rv, 0U, rv == 480 ? "no PBX registered" :
		    rv == 404 ? "DID refused by the number rules" :
		    "cannot call the PBX");
		child_send(ctx, PROC_MEDIAD, IMSG_MEDIA_FREE, bc->id, -1);
		bcall_free(bc);
	}
}

static void
kandy_call_in(const struct ipc_msg *m)
{
	struct bcall	*bc;
	const char	*did, *caller, *name;

	if (ipc_unpack(m, &did, &caller, &name) == -1)
		fatalx("CALL_IN: bad payload");
	if ((bc = bcall_find(m->hdr.call)) == NULL) {
		if ((bc = calloc(1, sizeof(*bc))) == NULL) {
			child_send(ctx, PROC_KANDYD, IMSG_CALL_END,
			    m->hdr.call, -1, 503U, 0U, "out of memory");
			return;
		}
		bc->id = m->hdr.call;
		TAILQ_INSERT_TAIL(&calls, bc, entry);
	}
	bc->inbound = 1;
	strlcpy(bc->did, did, sizeof(bc->did));
	strlcpy(bc->caller, caller, sizeof(bc->caller));
	strlcpy(bc->caller_name, name, sizeof(bc->caller_name));
	log_info("call %llu: from Kandy for %s", (unsigned long long)bc->id,
	    bc->did);
	inbound_start(bc);
}

static const struct sipd_backend backend = {
	.verify_digest = be_verify_digest,
	.can_take_calls = be_can_take_calls,
	.can_register = be_can_register,
	.registration = be_registration,
	.call_new = be_call_new,
	.call_update = be_call_update,
	.call_dtmf = be_call_dtmf,
	.call_confirmed = be_call_confirmed,
	.call_ended = be_call_ended,
	.call_progress = be_call_progress,
	.call_answered = be_call_answered,
	.call_failed = be_call_failed,
	.answer_challenge = be_answer_challenge,
	.call_early_media = be_call_early_media,
};

/* Before the sandbox: sofia opens files as its agent starts. */
void
backend_init(struct child_ctx *c, su_root_t *root)
{
	ctx = c;
	if ((sd = sipd_new(root, &backend)) == NULL)
		fatalx("cannot create the SIP engine");
}

void
backend_configure(const struct sipd_config *conf)
{
	if (sipd_configure(sd, conf) == -1)
		fatalx("cannot start the SIP engine");
}

/* Our RTP side from mediad: its codecs, else the configured ones. */
static void
media_local(struct bcall *bc, const struct ipc_msg *m)
{
	const void	*blob;
	size_t		 len;

	if (ipc_unpack(m, &blob, &len) == -1 || len != sizeof(bc->local))
		fatalx("MEDIA_RTP_LOCAL: bad size");
	memcpy(&bc->local, blob, sizeof(bc->local));
	if ((bc->local.addr.ss_family != AF_INET &&
	    bc->local.addr.ss_family != AF_INET6) ||
	    bc->local.ncodecs > MEDIA_MAXCODECS)
		fatalx("MEDIA_RTP_LOCAL: bad description");
	if (bc->local.ncodecs == 0) {
		memcpy(bc->local.codecs, codecs, sizeof(codecs));
		bc->local.ncodecs = ncodecs;
	}
	bc->have_local = 1;
	if (bc->inbound) {
		inbound_start(bc);
		return;
	}
	if (bc->answer_pending && sipd_call_answer(sd, bc->id,
	    &bc->local) == 0)
		bc->answered = 1;
}

static void
kandy_end(struct bcall *bc, const struct ipc_msg *m)
{
	const char	*reason;
	uint32_t	 status, kstatus;

	if (ipc_unpack(m, &status, &kstatus, &reason) == -1)
		fatalx("CALL_END: bad payload");
	log_info("call %llu: ended by Kandy (%u, HTTP %u): %s",
	    (unsigned long long)bc->id, status, kstatus, reason);
	if (bc->answered || bc->inbound)
		sipd_call_hangup(sd, bc->id);	/* BYE, or CANCEL */
	else
		sipd_call_reject(sd, bc->id, status >= 300 && status <= 699 ?
		    (int)status : 480, NULL);
	child_send(ctx, PROC_MEDIAD, IMSG_MEDIA_FREE, bc->id, -1);
	bcall_free(bc);
}

static void
media_event(struct bcall *bc, const struct ipc_msg *m)
{
	const char	*detail;
	uint32_t	 ev;

	if (ipc_unpack(m, &ev, &detail) == -1)
		fatalx("MEDIA_EVENT: bad payload");
	switch (ev) {
	case MEDIA_EV_ICE_FAILED:
	case MEDIA_EV_DTLS_FAILED:
	case MEDIA_EV_TIMEOUT:
	case MEDIA_EV_ERROR:
		log_warnx("call %llu: media failed: %s",
		    (unsigned long long)bc->id, detail);
		if (bc->answered)
			sipd_call_hangup(sd, bc->id);
		else
			sipd_call_reject(sd, bc->id, 503, NULL);
		child_send(ctx, PROC_KANDYD, IMSG_CALL_END, bc->id, -1,
		    ev == MEDIA_EV_TIMEOUT ? 408U : 503U, 0U, detail);
		child_send(ctx, PROC_MEDIAD, IMSG_MEDIA_FREE, bc->id, -1);
		bcall_free(bc);
		break;
	default:
		log_debug("call %llu: media event %u: %s",
		    (unsigned long long)bc->id, ev, detail);
	}
}

/* bridgectl's questions, relayed by the parent with its connection id. */
static void
ctl_reg(void *arg, const struct sipd_binding_info *b)
{
	const struct ipc_msg	*m = arg;
	char			 src[INET6_ADDRSTRLEN + 16];
	char			 host[INET6_ADDRSTRLEN];
	int			 port = 0;

	if (b->src.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&b->src)->sin_addr,
		    host, sizeof(host));
		port = ntohs(((struct sockaddr_in *)&b->src)->sin_port);
		snprintf(src, sizeof(src), "%s:%d/%s", host, port,
		    sipd_transport_name(b->transport));
	} else if (b->src.ss_family == AF_INET6) {
		inet_ntop(AF_INET6,
		    &((struct sockaddr_in6 *)&b->src)->sin6_addr, host,
		    sizeof(host));
		port = ntohs(((struct sockaddr_in6 *)&b->src)->sin6_port);
		snprintf(src, sizeof(src), "[%s]:%d/%s", host, port,
		    sipd_transport_name(b->transport));
	} else
		strlcpy(src, "-", sizeof(src));
	child_send(ctx, PROC_PARENT, IMSG_CTL_REG, m->hdr.call, -1, b->aor,
	    b->contact[0] ? b->contact : "-", b->user[0] ? b->user : "-", src,
	    reg_state_name(b->state), (uint64_t)b->since,
	    (uint64_t)b->expires_at);
}

static void
ctl_call(void *arg, const struct sipd_call_status *st)
{
	const struct ipc_msg	*m = arg;

	child_send(ctx, PROC_PARENT, IMSG_CTL_CALL, m->hdr.call, -1, st->call,
	    st->direction, st->from, st->to, st->state, (uint64_t)st->start,
	    (uint64_t)st->answered, "", "");
}

static void
ctl_hangup(const struct ipc_msg *m)
{
	struct bcall	*bc;
	uint64_t	 id;

	if (ipc_unpack(m, &id) == -1)
		fatalx("CTL_HANGUP: bad payload");
	if (sd == NULL || sipd_call_hangup(sd, id) == -1) {
		child_send(ctx, PROC_PARENT, IMSG_CTL_RESULT, m->hdr.call, -1,
		    1U, "no such call");
		return;
	}
	child_send(ctx, PROC_KANDYD, IMSG_CALL_END, id, -1, 200U, 0U,
	    "hung up by the administrator");
	child_send(ctx, PROC_MEDIAD, IMSG_MEDIA_FREE, id, -1);
	if ((bc = bcall_find(id)) != NULL)
		bcall_free(bc);
	child_send(ctx, PROC_PARENT, IMSG_CTL_RESULT, m->hdr.call, -1, 0U,
	    "hung up");
}

void
backend_dispatch(enum kb_proc from, struct ipc_msg *m)
{
	struct bcall	*bc;
	uint32_t	 id, ok;

	if (from == PROC_PARENT) {
		switch (m->hdr.type) {
		case IMSG_CTL_SHOW_REGS:
			if (sd != NULL)
				sipd_registrations(sd, ctl_reg, m);
			child_send(ctx, PROC_PARENT, IMSG_CTL_END,
			    m->hdr.call, -1);
			return;
		case IMSG_CTL_SHOW_CALLS:
			if (sd != NULL)
				sipd_calls(sd, ctl_call, m);
			child_send(ctx, PROC_PARENT, IMSG_CTL_END,
			    m->hdr.call, -1);
			return;
		case IMSG_CTL_HANGUP:
			ctl_hangup(m);
			return;
		}
	}
	if (m->hdr.type == IMSG_AUTH_RESULT && from == PROC_PARENT) {
		if (ipc_unpack(m, &id, &ok) == -1)
			fatalx("AUTH_RESULT: bad payload");
		if (sd != NULL)
			sipd_auth_result(sd, id, ok == 1);
		return;
	}
	if (m->hdr.type == IMSG_AUTH_ANSWERED && from == PROC_PARENT) {
		const char	*user, *resp;

		if (ipc_unpack(m, &user, &resp) == -1)
			fatalx("AUTH_ANSWERED: bad payload");
		if (sd != NULL)
			(void)sipd_challenge_answer(sd, m->hdr.call, user, resp);
		return;
	}
	if (m->hdr.type == IMSG_CALL_IN && from == PROC_KANDYD) {
		kandy_call_in(m);
		return;
	}
	/* mediad's side of a call from Kandy may come before CALL_IN. */
	if (m->hdr.type == IMSG_MEDIA_RTP_LOCAL && from == PROC_MEDIAD &&
	    m->hdr.call != 0 && bcall_find(m->hdr.call) == NULL &&
	    (bc = calloc(1, sizeof(*bc))) != NULL) {
		bc->id = m->hdr.call;
		bc->inbound = 1;
		TAILQ_INSERT_TAIL(&calls, bc, entry);
	}
	if ((bc = bcall_find(m->hdr.call)) == NULL) {
		log_debug("%s from %s for a call that is gone",
		    ipc_typename(m->hdr.type), proc_name(from));
		return;
	}
	switch (m->hdr.type) {
	case IMSG_MEDIA_RTP_LOCAL:
		media_local(bc, m);
		break;
	case IMSG_MEDIA_EVENT:
		media_event(bc, m);
		break;
	case IMSG_CALL_RINGING:
		sipd_call_ringing(sd, bc->id);
		break;
	case IMSG_CALL_ANSWERED:
		if (!bc->have_local)
			bc->answer_pending = 1;
		else if (sipd_call_answer(sd, bc->id, &bc->local) == 0)
			bc->answered = 1;
		break;
	case IMSG_CALL_END:
		kandy_end(bc, m);
		break;
	default:
		log_warnx("unexpected %s from %s", ipc_typename(m->hdr.type),
		    proc_name(from));
	}
}
