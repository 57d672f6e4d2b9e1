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
 * Either way, answered:
 *	engine call_update (the PBX re-offers) -> kandyd CALL_UPDATE, mediad
 *	kandyd CALL_HOLD (Kandy holds or resumes) -> re-INVITE to the PBX
 *	engine call_held (its answer)	-> mediad MEDIA_RTP_REMOTE
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
#include "callrec.h"
#include "log.h"
#include "media.h"

/*
 * A call's state across the bridge (docs/sip.md, "Call states"), shown by
 * bridgectl show calls; every change is logged at verbose level.
 */
enum bstate {
	BS_INITIAL,		/* received; the far side not reached yet */
	BS_KANDY_CONNECTED,	/* the Kandy session exists */
	BS_CALLING,		/* the called side is being called */
	BS_RINGING,		/* it rings */
	BS_ESTABLISHED,		/* answered */
	BS_TERMINATED		/* ended; freed right after */
};

static const char *const bstate_names[] = {
	"INITIAL", "KANDY_CONNECTED", "CALLING", "RINGING", "ESTABLISHED",
	"TERMINATED"
};

struct bcall {
	TAILQ_ENTRY(bcall)	 entry;
	uint64_t		 id;
	enum bstate		 state;
	struct media_rtp_desc	 local;
	int			 have_local;
	int			 answer_pending;
	int			 answered;
	int			 inbound;	/* Kandy -> PBX */
	int			 started;	/* INVITE sent to the PBX */
	char			 did[64];
	char			 caller[64];
	char			 caller_name[128];
	struct callrec		 rec;
	char			 kandy_sid[128];	/* CALL_SESSION */
	uint32_t		 retry_after;	/* CALL_RETRY, for a 503 */
};

static struct child_ctx		*ctx;
static struct sipd		*sd;
static TAILQ_HEAD(, bcall)	 calls = TAILQ_HEAD_INITIALIZER(calls);
static struct media_codec_desc	 codecs[MEDIA_MAXCODECS];
static int			 register_requires_kandy;
static enum kandy_trunk		 kandy_trunk = KANDY_TRUNK_SIGNING_IN;
static uint32_t			 kandy_retry;	/* s, when down */
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

/* States only move forward. */
static void
bcall_state(struct bcall *bc, enum bstate to)
{
	if (to <= bc->state)
		return;
	log_debug("call %016llx: %s -> %s", (unsigned long long)bc->id,
	    bstate_names[bc->state], bstate_names[to]);
	bc->state = to;
}

static void
bcall_free(struct bcall *bc)
{
	TAILQ_REMOVE(&calls, bc, entry);
	free(bc);
}

/*
 * The call is over for sipd: mediad frees its media and answers with the
 * figures the call record needs; how each side ended goes in the record.
 */
static void
bcall_end(struct bcall *bc, const char *sip, const char *kandy)
{
	int	 wait;

	bcall_state(bc, BS_TERMINATED);
	wait = child_send(ctx, PROC_MEDIAD, IMSG_MEDIA_FREE, bc->id, -1) == 0;
	callrec_end(&bc->rec, sip, kandy, wait);
	bcall_free(bc);
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
	    child_connected(ctx, PROC_MEDIAD) &&
	    kandy_trunk != KANDY_TRUNK_DOWN);
}

/*
 * The trunk follows the Kandy account (register-requires-kandy): REGISTER
 * waits while kandyd signs in (or restarts), and gets 503 with the wait
 * before its next attempt while Kandy refuses or cannot be reached.
 */
static int
be_can_register(void *arg)
{
	if (!register_requires_kandy)
		return (0);
	if (!child_connected(ctx, PROC_KANDYD) ||
	    kandy_trunk == KANDY_TRUNK_SIGNING_IN)
		return (-1);
	if (kandy_trunk == KANDY_TRUNK_DOWN)
		return (kandy_retry > 0 ? (int)kandy_retry : 1);
	return (0);
}

/* KANDY_STATE from kandyd. */
static void
kandy_state(const struct ipc_msg *m)
{
	uint8_t		 t;
	uint32_t	 retry;

	if (ipc_unpack(m, &t, &retry) == -1)
		fatalx("KANDY_STATE: bad payload");
	if (t > KANDY_TRUNK_DOWN) {
		log_warnx("KANDY_STATE: unknown state %u", t);
		return;
	}
	if (t != kandy_trunk)
		log_info("trunk: the Kandy account is %s",
		    t == KANDY_TRUNK_UP ? "up" : t == KANDY_TRUNK_DOWN ?
		    "down" : "signing in");
	kandy_trunk = t;
	kandy_retry = retry > 3600 ? 3600 : retry;
	if (sd != NULL)
		sipd_registrations_retry(sd);
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
	callrec_start(&bc->rec, bc->id, "out", ci->from_user, ci->to_user);
	/* Without the PBX's offer (late offer) mediad offers at once. */
	if (child_send(ctx, PROC_MEDIAD, IMSG_MEDIA_ALLOC, bc->id, -1,
	    remote == NULL ? 2 : 0) == -1 || (remote != NULL &&
	    child_send(ctx, PROC_MEDIAD, IMSG_MEDIA_RTP_REMOTE, bc->id,
	    -1, remote, sizeof(*remote)) == -1) ||
	    child_send(ctx, PROC_KANDYD, IMSG_CALL_OUT, bc->id, -1,
	    ci->kandy_addr, ci->from_user, ci->from_name) == -1) {
		log_warnx("call %016llx: cannot reach kandyd or mediad",
		    (unsigned long long)bc->id);
		sipd_call_reject(sd, bc->id, 503, NULL);
		bcall_end(bc, "503 sent", "not reached");
	}
}

static void
be_call_update(void *arg, uint64_t id, const struct media_rtp_desc *remote)
{
	struct bcall	*bc;

	/* kandyd re-offers to Kandy when the direction changed (hold). */
	if ((bc = bcall_find(id)) != NULL && bc->answered)
		child_send(ctx, PROC_KANDYD, IMSG_CALL_UPDATE, id, -1,
		    remote->dir);
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
	log_debug("call %016llx: established", (unsigned long long)id);
}

static void
be_call_ended(void *arg, uint64_t id, enum sipd_end why)
{
	struct bcall	*bc;
	const char	*reason;
	char		 sip[64], kandy[32];
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
	snprintf(sip, sizeof(sip), "%s (%u)", reason, status);
	snprintf(kandy, sizeof(kandy), "%u sent", status);
	if ((bc = bcall_find(id)) != NULL)
		bcall_end(bc, sip, kandy);
	else
		child_send(ctx, PROC_MEDIAD, IMSG_MEDIA_FREE, id, -1);
}

static void
be_call_progress(void *arg, uint64_t id, int status)
{
	struct bcall	*bc;

	if ((bc = bcall_find(id)) != NULL)
		bcall_state(bc, BS_RINGING);
	child_send(ctx, PROC_KANDYD, IMSG_CALL_RINGING, id, -1);
}

static void
be_call_answered(void *arg, uint64_t id, const struct media_rtp_desc *remote)
{
	struct bcall	*bc;

	if ((bc = bcall_find(id)) != NULL) {
		bc->answered = 1;
		bcall_state(bc, BS_ESTABLISHED);
		callrec_answered(&bc->rec);
	}
	if (remote != NULL)
		child_send(ctx, PROC_MEDIAD, IMSG_MEDIA_RTP_REMOTE, id, -1,
		    remote, sizeof(*remote));
	child_send(ctx, PROC_KANDYD, IMSG_CALL_ANSWERED, id, -1);
}

static void
be_call_failed(void *arg, uint64_t id, int status)
{
	struct bcall	*bc;
	char		 sip[48], kandy[32];

	child_send(ctx, PROC_KANDYD, IMSG_CALL_END, id, -1,
	    (unsigned int)status, 0U, "refused by the PBX");
	snprintf(sip, sizeof(sip), "%d from the PBX", status);
	snprintf(kandy, sizeof(kandy), "%d sent", status);
	if ((bc = bcall_find(id)) != NULL)
		bcall_end(bc, sip, kandy);
	else
		child_send(ctx, PROC_MEDIAD, IMSG_MEDIA_FREE, id, -1);
}

/*
 * The PBX's answer to our hold or resume re-INVITE: for mediad only, as
 * the hold came from Kandy (a CALL_UPDATE would re-offer it back).
 */
static void
be_call_held(void *arg, uint64_t id, const struct media_rtp_desc *remote)
{
	child_send(ctx, PROC_MEDIAD, IMSG_MEDIA_RTP_REMOTE, id, -1, remote,
	    sizeof(*remote));
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
	char	 kandy[32];
	int	 rv;

	if (bc->started || !bc->inbound || !bc->have_local)
		return;
	bc->started = 1;
	bcall_state(bc, BS_CALLING);
	rv = sipd_call_out(sd, bc->id, bc->did, bc->caller, bc->caller_name,
	    &bc->local);
	if (rv != 0) {
		child_send(ctx, PROC_KANDYD, IMSG_CALL_END, bc->id, -1,
		    (unsigned int)rv, 0U, rv == 480 ? "no PBX registered" :
		    rv == 404 ? "DID refused by the number rules" :
		    "cannot call the PBX");
		snprintf(kandy, sizeof(kandy), "%d sent", rv);
		bcall_end(bc, "not called", kandy);
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
	bcall_state(bc, BS_KANDY_CONNECTED);
	callrec_start(&bc->rec, bc->id, "in", caller, did);
	strlcpy(bc->did, did, sizeof(bc->did));
	strlcpy(bc->caller, caller, sizeof(bc->caller));
	strlcpy(bc->caller_name, name, sizeof(bc->caller_name));
	log_info("call %016llx: from Kandy for %s", (unsigned long long)bc->id,
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
	.call_held = be_call_held,
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
	callrec_init(root);
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
	    &bc->local) == 0) {
		bc->answered = 1;
		bcall_state(bc, BS_ESTABLISHED);
		callrec_answered(&bc->rec);
	}
}

static void
kandy_end(struct bcall *bc, const struct ipc_msg *m)
{
	const char	*reason;
	char		 sip[32], kandy[160];
	uint32_t	 status, kstatus;

	if (ipc_unpack(m, &status, &kstatus, &reason) == -1)
		fatalx("CALL_END: bad payload");
	snprintf(kandy, sizeof(kandy), "%u HTTP %u from Kandy: %s", status,
	    kstatus, reason);
	log_info("call %016llx: ended by Kandy (%u, HTTP %u): %s",
	    (unsigned long long)bc->id, status, kstatus, reason);
	if (bc->answered || bc->inbound) {
		sipd_call_hangup(sd, bc->id);	/* BYE, or CANCEL */
		strlcpy(sip, bc->answered ? "BYE sent" : "CANCEL sent",
		    sizeof(sip));
	} else {
		sipd_call_reject_after(sd, bc->id, status >= 300 &&
		    status <= 699 ? (int)status : 480, NULL, bc->retry_after);
		snprintf(sip, sizeof(sip), "%u sent", status >= 300 &&
		    status <= 699 ? status : 480);
	}
	bcall_end(bc, sip, kandy);
}

static void
media_event(struct bcall *bc, const struct ipc_msg *m)
{
	const char	*detail;
	char		 sip[96];
	uint32_t	 ev;

	if (ipc_unpack(m, &ev, &detail) == -1)
		fatalx("MEDIA_EVENT: bad payload");
	switch (ev) {
	case MEDIA_EV_ICE_FAILED:
	case MEDIA_EV_DTLS_FAILED:
	case MEDIA_EV_TIMEOUT:
	case MEDIA_EV_ERROR:
		log_warnx("call %016llx: media failed: %s",
		    (unsigned long long)bc->id, detail);
		if (bc->answered)
			sipd_call_hangup(sd, bc->id);
		else
			sipd_call_reject(sd, bc->id, 503, NULL);
		child_send(ctx, PROC_KANDYD, IMSG_CALL_END, bc->id, -1,
		    ev == MEDIA_EV_TIMEOUT ? 408U : 503U, 0U, detail);
		snprintf(sip, sizeof(sip), "%s, media: %s", bc->answered ?
		    "BYE sent" : "503 sent", detail);
		bcall_end(bc, sip, ev == MEDIA_EV_TIMEOUT ? "408 sent" :
		    "503 sent");
		break;
	default:
		log_debug("call %016llx: media event %u: %s",
		    (unsigned long long)bc->id, ev, detail);
	}
}

/*
 * A peer's channel closed.  kandyd: the trunk counts as signing in until
 * the new kandyd says otherwise.  mediad: the media of every call died with it, so each
 * call ends on both sides (BYE, CANCEL or 503 to the PBX; CALL_END to
 * kandyd, which deletes the Kandy session).
 */
void
backend_peer_down(enum kb_proc p)
{
	struct bcall	*bc, *next;

	/* Its successor signs in again. */
	if (p == PROC_KANDYD)
		kandy_trunk = KANDY_TRUNK_SIGNING_IN;
	if (p != PROC_MEDIAD)
		return;
	TAILQ_FOREACH_SAFE(bc, &calls, entry, next) {
		log_warnx("call %016llx: media lost with mediad",
		    (unsigned long long)bc->id);
		if (bc->answered || (bc->inbound && bc->started))
			sipd_call_hangup(sd, bc->id);
		else if (!bc->inbound)
			sipd_call_reject(sd, bc->id, 503, NULL);
		child_send(ctx, PROC_KANDYD, IMSG_CALL_END, bc->id, -1, 503U,
		    0U, "media lost: mediad restarted");
		bcall_end(bc, bc->answered ? "BYE sent, media lost" :
		    "ended, media lost", "503 sent");
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
	struct bcall		*bc = bcall_find(st->call);

	/* The bridge's state; the SIP side's while its BYE is under way. */
	child_send(ctx, PROC_PARENT, IMSG_CTL_CALL, m->hdr.call, -1, st->call,
	    st->direction, st->from, st->to, bc != NULL &&
	    strcmp(st->state, "TERMINATING") != 0 ?
	    bstate_names[bc->state] : st->state, (uint64_t)st->start,
	    (uint64_t)st->answered, bc != NULL ? bc->kandy_sid : "", "");
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
	if ((bc = bcall_find(id)) != NULL)
		bcall_end(bc, "BYE sent by the administrator", "200 sent");
	else
		child_send(ctx, PROC_MEDIAD, IMSG_MEDIA_FREE, id, -1);
	child_send(ctx, PROC_PARENT, IMSG_CTL_RESULT, m->hdr.call, -1, 0U,
	    "hung up");
}

/*
 * kandyd's messages about a call beyond its set-up: its Kandy session,
 * a Retry-After, and the live-call list a restarted kandyd asks for.
 */
static int
kandy_call_info(struct ipc_msg *m)
{
	struct bcall	*bc, *bc2;
	const char	*sid;
	uint32_t	 secs;
	uint8_t		 dir;

	bc = bcall_find(m->hdr.call);
	switch (m->hdr.type) {
	case IMSG_CALL_SYNC:
		TAILQ_FOREACH(bc2, &calls, entry)
			if (bc2->started || !bc2->inbound)
				child_send(ctx, PROC_KANDYD, IMSG_CALL_LIVE,
				    bc2->id, -1, bc2->inbound, bc2->answered,
				    bc2->kandy_sid);
		child_send(ctx, PROC_KANDYD, IMSG_CALL_SYNC, 0, -1);
		return (1);
	case IMSG_CALL_SESSION:
		if (ipc_unpack(m, &sid) == -1)
			fatalx("CALL_SESSION: bad payload");
		if (bc != NULL) {
			strlcpy(bc->kandy_sid, sid, sizeof(bc->kandy_sid));
			/* POST /sessions both makes the session and calls. */
			bcall_state(bc, BS_KANDY_CONNECTED);
			if (!bc->inbound)
				bcall_state(bc, BS_CALLING);
		}
		return (1);
	case IMSG_CALL_RETRY:
		if (ipc_unpack(m, &secs) == -1)
			fatalx("CALL_RETRY: bad payload");
		if (bc != NULL)
			bc->retry_after = secs;
		return (1);
	case IMSG_CALL_HOLD:
		if (ipc_unpack(m, &dir) == -1 || dir > MEDIA_INACTIVE)
			fatalx("CALL_HOLD: bad payload");
		if (bc != NULL && bc->answered && sd != NULL &&
		    sipd_call_hold(sd, bc->id, dir) == -1)
			log_debug("call %016llx: no dialog to re-INVITE for "
			    "Kandy's %s", (unsigned long long)bc->id,
			    media_dir_name(dir));
		return (1);
	}
	return (0);
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
	if (from == PROC_KANDYD && m->hdr.type == IMSG_KANDY_STATE) {
		kandy_state(m);
		return;
	}
	if (from == PROC_KANDYD && kandy_call_info(m))
		return;
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
	/* The call record's media figures, for a live or an ended call. */
	if (m->hdr.type == IMSG_MEDIA_STATS && from == PROC_MEDIAD) {
		const char	*fig;

		if (ipc_unpack(m, &fig) == -1)
			fatalx("MEDIA_STATS: bad payload");
		bc = bcall_find(m->hdr.call);
		callrec_media(bc != NULL ? &bc->rec : NULL, m->hdr.call, fig);
		return;
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
		bcall_state(bc, BS_RINGING);
		sipd_call_ringing(sd, bc->id);
		break;
	case IMSG_CALL_ANSWERED:
		if (!bc->have_local)
			bc->answer_pending = 1;
		else if (sipd_call_answer(sd, bc->id, &bc->local) == 0) {
			bc->answered = 1;
			bcall_state(bc, BS_ESTABLISHED);
			callrec_answered(&bc->rec);
		}
		break;
	case IMSG_CALL_END:
		kandy_end(bc, m);
		break;
	default:
		log_warnx("unexpected %s from %s", ipc_typename(m->hdr.type),
		    proc_name(from));
	}
}
