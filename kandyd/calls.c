/*
 * kandyd's call table: each call joins sipd's and mediad's messages with
 * one Kandy session.  Outbound: CALL_OUT and MEDIA_WEBRTC_LOCAL (either
 * order) -> POST /sessions; Ringing, acceptance and end notifications go
 * back to sipd and mediad.  Inbound: an invitation -> MEDIA_ALLOC,
 * MEDIA_WEBRTC_REMOTE and CALL_IN; sipd's CALL_RINGING -> status Ringing;
 * sipd's CALL_ANSWERED and mediad's description -> PUT /answer.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "child.h"
#include "log.h"
#include "daemon.h"

#define CALL_ADDRLEN		256
#define CALL_WAIT_S		30	/* half-made call without its pair */
#define CALL_TOMBSTONES		64	/* ended ids whose stragglers we drop */
#define CALL_RESTART_RETRY	5	/* s, Retry-After of a set-up cut by a restart */

enum kcall_state {
	KC_WAIT = 0,		/* outbound: CALL_OUT or our media missing */
	KC_POSTING,		/* POST /sessions in flight */
	KC_CALLING,		/* session made, no news yet */
	KC_RINGING,
	KC_OFFERED,		/* inbound: told sipd, waiting for its answer */
	KC_ANSWERING,		/* inbound: PUT /answer in flight */
	KC_ESTABLISHED
};

static const char *const kc_names[] = {
	"wait", "posting", "calling", "ringing", "offered", "answering",
	"established"
};

struct kcall {
	TAILQ_ENTRY(kcall)	 entry;
	uint64_t		 id;
	int			 outbound;
	enum kcall_state	 state;
	char			 sid[KANDY_IDLEN];
	char			 dest[CALL_ADDRLEN];
	char			 caller_name[CALL_ADDRLEN];
	int			 have_out;	/* CALL_OUT from sipd */
	int			 have_local;	/* mediad's description */
	int			 sip_answered;	/* inbound: 3CX answered */
	int			 reoffer;	/* remote re-offer to answer */
	int			 ending;	/* sipd ended it during POST */
	int			 restored;	/* picked up from sipd's list */
	int			 update_pending; /* PBX re-offer waits for req */
	uint8_t			 pbx_dir;	/* direction the PBX wants */
	uint8_t			 kandy_dir;	/* Kandy's last offer's */
	unsigned int		 retry_kandy;	/* s, Kandy's Retry-After */
	unsigned int		 retry_after;	/* s, ours for a CALL_END 503 */
	struct media_webrtc_desc local;
	struct sdp_local	 sl;
	struct dl_req		*req;		/* make, answer or update */
	struct dl_req		*audit_req;
	lws_sorted_usec_list_t	 sul;		/* audit, or wait timeout */
};

TAILQ_HEAD(kcalls, kcall);

/*
 * Notifications for a session we do not know yet: Kandy may tell of
 * Ringing or the answer before our POST /sessions has its response.
 */
#define CALL_EARLYN		64

struct early {
	int			 used;
	struct kandy_notify	 n;		/* sdp: our copy */
};

static struct kcalls		 calls = TAILQ_HEAD_INITIALIZER(calls);
static struct early		 early[CALL_EARLYN];
static unsigned int		 early_next;
static struct lws_context	*calls_lc;
static char			 unsent_del[CALL_EARLYN][KANDY_IDLEN];
static unsigned int		 nunsent_del;
static uint64_t			 tombstones[CALL_TOMBSTONES];
static unsigned int		 ntomb;

static void	call_audit(lws_sorted_usec_list_t *);

void
calls_init(struct lws_context *lc)
{
	calls_lc = lc;
}

/* Is there anything for a catch-up to do once the account is ready? */
int
calls_need_catchup(void)
{
	return (nunsent_del > 0 || calls_count() > 0);
}

unsigned int
calls_count(void)
{
	struct kcall	*c;
	unsigned int	 n = 0;

	TAILQ_FOREACH(c, &calls, entry)
		n++;
	return (n);
}

static struct kcall *
call_find(uint64_t id)
{
	struct kcall	*c;

	TAILQ_FOREACH(c, &calls, entry)
		if (c->id == id)
			return (c);
	return (NULL);
}

static struct kcall *
call_find_sid(const char *sid)
{
	struct kcall	*c;

	TAILQ_FOREACH(c, &calls, entry)
		if (c->sid[0] != '\0' && strcmp(c->sid, sid) == 0)
			return (c);
	return (NULL);
}

static int
call_buried(uint64_t id)
{
	unsigned int	 i;

	for (i = 0; i < CALL_TOMBSTONES; i++)
		if (tombstones[i] == id)
			return (1);
	return (0);
}

static void
call_state(struct kcall *c, enum kcall_state s)
{
	log_debug("call %016llx: %s -> %s", (unsigned long long)c->id,
	    kc_names[c->state], kc_names[s]);
	c->state = s;
}

static void
random_hex(char *buf, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i + 1 < len && i < 16; i++)
		buf[i] = hex[arc4random_uniform(16)];
	buf[i] = '\0';
}

static struct kcall *
call_new(uint64_t id, int outbound)
{
	struct kcall	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("calloc");
	c->id = id;
	c->outbound = outbound;
	arc4random_buf(&c->sl.sess_id, sizeof(c->sl.sess_id));
	c->sl.sess_id &= 0x7fffffffffffffffULL;
	c->sl.sess_version = 1;
	random_hex(c->sl.cname, sizeof(c->sl.cname));
	random_hex(c->sl.stream_id, sizeof(c->sl.stream_id));
	random_hex(c->sl.track_id, sizeof(c->sl.track_id));
	c->sl.rtcp_rsize = 1;
	TAILQ_INSERT_TAIL(&calls, c, entry);
	return (c);
}

static void
call_free(struct kcall *c)
{
	lws_sul_cancel(&c->sul);
	if (c->req != NULL)
		kd_dialect->cancel(c->req);
	if (c->audit_req != NULL)
		kd_dialect->cancel(c->audit_req);
	tombstones[ntomb++ % CALL_TOMBSTONES] = c->id;
	TAILQ_REMOVE(&calls, c, entry);
	explicit_bzero(&c->local, sizeof(c->local));
	free(c);
}

/*
 * DELETE a session; nobody waits for the answer.  Before the first grant
 * (calls ended right after a restart) the path needs the user id: the
 * DELETE waits for the catch-up.
 */
static void
session_delete(const char *sid)
{
	if (sid[0] == '\0')
		return;
	if (acct_user()[0] == '\0') {
		if (nunsent_del < CALL_EARLYN)
			strlcpy(unsent_del[nunsent_del++], sid,
			    sizeof(unsent_del[0]));
		return;
	}
	log_debug("kandy: ending session %s", sid);
	kd_dialect->end(sid);
}

static void
call_delete_session(struct kcall *c)
{
	session_delete(c->sid);
}

/*
 * The call is over on our side: sipd and mediad are told, the session is
 * deleted unless Kandy ended it, the call goes.
 */
static void
call_end(struct kcall *c, int sip, int http, const char *reason,
    int kandy_ended)
{
	unsigned int	 ra;

	log_info("call %016llx: ended (%d, HTTP %d): %s",
	    (unsigned long long)c->id, sip, http, reason);
	/*
	 * sipd's 503 says when to try again: Kandy's word, else the time to
	 * the account's next grant, else what the failure mapping said.
	 */
	ra = c->retry_kandy ? c->retry_kandy : acct_retry_after() ?
	    acct_retry_after() : c->retry_after;
	if (sip == 503 && ra > 0)
		child_send(&kd_ctx, PROC_SIPD, IMSG_CALL_RETRY, c->id, -1, ra);
	child_send(&kd_ctx, PROC_SIPD, IMSG_CALL_END, c->id, -1,
	    (unsigned int)sip, (unsigned int)http, reason);
	child_send(&kd_ctx, PROC_MEDIAD, IMSG_MEDIA_FREE, c->id, -1);
	if (!kandy_ended)
		call_delete_session(c);
	call_free(c);
}

/* A failed request on the call, mapped per docs/kandy.md. */
static void
call_fail_http(struct kcall *c, int status, const struct kandy_error *e,
    const char *what)
{
	struct sip_outcome	 o;
	char			 reason[KANDY_TEXTLEN + 64];

	kandy_http_to_sip(status, e, &o);
	if (e != NULL && e->retry_after > 0)
		c->retry_kandy = (unsigned int)e->retry_after;
	c->retry_after = (unsigned int)o.retry_after;
	if (e != NULL && e->kind != KERR_NONE)
		snprintf(reason, sizeof(reason), "%s: %s (%s)", what, o.reason,
		    e->message_id);
	else
		snprintf(reason, sizeof(reason), "%s: %s", what, o.reason);
	call_end(c, o.code, status, reason, status == 404);
}

static void
call_audit_schedule(struct kcall *c)
{
	unsigned int	 s = kd_cfg.call_audit ? kd_cfg.call_audit :
			    KD_CALL_AUDIT_S;

	lws_sul_schedule(calls_lc, 0, &c->sul, call_audit,
	    (lws_usec_t)s * LWS_US_PER_SEC);
}

static void
call_audit_done(int status, const char *sid, const struct kandy_error *e,
    void *arg)
{
	struct kcall	*c = arg;

	c->audit_req = NULL;
	if (status == 404) {
		call_end(c, 200, 404, "Kandy session gone (call audit)", 1);
		return;
	}
	/* Other failures: the call goes on; Kandy may be slow. */
	call_audit_schedule(c);
}

static void
call_audit(lws_sorted_usec_list_t *sul)
{
	struct kcall	*c = lws_container_of(sul, struct kcall, sul);

	/* The wsrpc dialect has no audit: its calls end with the socket. */
	if (c->state != KC_ESTABLISHED || c->audit_req != NULL ||
	    kd_dialect->audit == NULL)
		return;
	c->audit_req = kd_dialect->audit(c->sid, call_audit_done, c);
	if (c->audit_req == NULL)
		call_audit_schedule(c);
}

static void
call_wait_expired(lws_sorted_usec_list_t *sul)
{
	struct kcall	*c = lws_container_of(sul, struct kcall, sul);

	log_warnx("call %016llx: %s never came", (unsigned long long)c->id,
	    c->have_out ? "our media description" : "CALL_OUT");
	call_end(c, 500, 0, "incomplete call setup", 1);
}

static int
call_build_sdp_desc(struct kcall *c, const struct media_webrtc_desc *d,
    char **sdp)
{
	const char	*err = NULL;

	if ((*sdp = malloc(SDP_MAXLEN)) == NULL)
		fatal("malloc");
	if (sdp_webrtc_build(d, &c->sl, *sdp, SDP_MAXLEN, &err) <= 0) {
		log_warnx("call %016llx: cannot build our SDP: %s",
		    (unsigned long long)c->id, err ? err : "?");
		free(*sdp);
		return (-1);
	}
	return (0);
}

static int
call_build_sdp(struct kcall *c, char **sdp)
{
	return (call_build_sdp_desc(c, &c->local, sdp));
}

/* Outbound. */

static int
calls_posting(void)
{
	struct kcall	*c;

	TAILQ_FOREACH(c, &calls, entry)
		if (c->state == KC_POSTING)
			return (1);
	return (0);
}

static void
early_free(struct early *e)
{
	free(e->n.sdp);
	memset(e, 0, sizeof(*e));
}

/* Keep a notification until a POST in flight names its session. */
static void
early_keep(const struct kandy_notify *n)
{
	struct early	*e = &early[early_next++ % CALL_EARLYN];

	if (e->used)
		early_free(e);
	e->n = *n;
	e->n.sdp = NULL;
	if (n->sdp != NULL && (e->n.sdp = strdup(n->sdp)) == NULL) {
		memset(e, 0, sizeof(*e));
		return;
	}
	e->used = 1;
	log_debug("kandy: %s for session %s kept until it is ours",
	    kandy_ntype_name(n->type), n->session_id);
}

static void
early_replay(struct kcall *c)
{
	struct early	 e;
	uint64_t	 id = c->id;
	unsigned int	 i;

	for (i = 0; i < CALL_EARLYN; i++) {
		if (!early[(early_next + i) % CALL_EARLYN].used ||
		    strcmp(early[(early_next + i) % CALL_EARLYN].n.session_id,
		    c->sid) != 0)
			continue;
		e = early[(early_next + i) % CALL_EARLYN];
		memset(&early[(early_next + i) % CALL_EARLYN], 0, sizeof(e));
		calls_notify(&e.n);
		early_free(&e);
		/* The notification may have ended the call. */
		if (call_find(id) == NULL)
			break;
	}
}

static void
call_post_done(int status, const char *sid, const struct kandy_error *e,
    void *arg)
{
	struct kcall	*c = arg;

	c->req = NULL;
	if (status < 200 || status > 299) {
		if (c->ending) {
			call_free(c);
			return;
		}
		call_fail_http(c, status, e, "session create");
		return;
	}
	if (!kandy_id_valid(sid)) {
		call_end(c, 503, status, "unusable session create answer", 1);
		return;
	}
	strlcpy(c->sid, sid, sizeof(c->sid));
	log_info("call %016llx: Kandy session %s", (unsigned long long)c->id,
	    c->sid);
	if (c->ending) {
		call_delete_session(c);
		call_free(c);
		return;
	}
	child_send(&kd_ctx, PROC_SIPD, IMSG_CALL_SESSION, c->id, -1, c->sid);
	if (c->state == KC_POSTING)
		call_state(c, KC_CALLING);
	early_replay(c);
}

static void
call_start_out(struct kcall *c)
{
	char	*sdp;

	if (!c->have_out || !c->have_local || c->state != KC_WAIT)
		return;
	lws_sul_cancel(&c->sul);
	if (!acct_ready()) {
		call_end(c, 503, 0, "Kandy unavailable", 1);
		return;
	}
	if (call_build_sdp(c, &sdp) == -1) {
		call_end(c, 500, 0, "cannot build the SDP offer", 1);
		return;
	}
	call_state(c, KC_POSTING);
	c->req = kd_dialect->make(c->dest, sdp, call_post_done, c);
	free(sdp);
	if (c->req == NULL)
		call_end(c, 503, 0, "Kandy unavailable", 1);
}

/* Inbound. */

static void
call_answer_done(int status, const char *sid, const struct kandy_error *e,
    void *arg)
{
	struct kcall	*c = arg;

	c->req = NULL;
	if (status < 200 || status > 299) {
		call_fail_http(c, status, e, "answer");
		return;
	}
	if (c->state == KC_ANSWERING) {
		log_info("call %016llx: answered toward Kandy",
		    (unsigned long long)c->id);
		call_state(c, KC_ESTABLISHED);
		call_audit_schedule(c);
	}
}

/* PUT /answer: the first answer of an inbound call, or a re-offer's. */
static void
call_send_answer(struct kcall *c)
{
	char	*sdp;

	if (c->req != NULL)
		return;
	if (call_build_sdp(c, &sdp) == -1) {
		call_end(c, 500, 0, "cannot build the SDP answer", 0);
		return;
	}
	if (c->state == KC_OFFERED) {
		call_state(c, KC_ANSWERING);
		/*
		 * mediad's checks toward Kandy wait for this: before our
		 * answer no one would nominate a pair, and libnice would
		 * fail the component while 3CX rings.
		 */
		child_send(&kd_ctx, PROC_MEDIAD, IMSG_MEDIA_WEBRTC_START,
		    c->id, -1);
	}
	c->req = kd_dialect->answer(c->sid, sdp, call_answer_done, c);
	free(sdp);
	if (c->req == NULL)
		call_end(c, 503, 0, "Kandy unavailable", 0);
}

static void
call_try_answer(struct kcall *c)
{
	if (!c->have_local)
		return;
	/* Kandy may re-offer (hold) on a call either side made. */
	if (!c->outbound && c->state == KC_OFFERED && c->sip_answered)
		call_send_answer(c);
	else if (c->state == KC_ESTABLISHED && c->reoffer) {
		c->reoffer = 0;
		c->sl.sess_version++;
		call_send_answer(c);
	}
}

/* "sip:+971501234567@d;x" or "tel:+971..." -> "+971501234567" */
static void
addr_user(const char *addr, char *out, size_t len)
{
	const char	*p = addr;
	size_t		 n;

	if (strncasecmp(p, "sip:", 4) == 0 || strncasecmp(p, "tel:", 4) == 0)
		p += 4;
	else if (strncasecmp(p, "sips:", 5) == 0)
		p += 5;
	n = strcspn(p, "@;");
	if (n >= len)
		n = len - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

static void
call_invitation(const struct kandy_notify *n)
{
	struct media_webrtc_desc	 remote;
	struct kcall			*c;
	const char			*err = NULL;
	char				 did[CALL_ADDRLEN], from[CALL_ADDRLEN];
	uint64_t			 id;

	if (call_find_sid(n->session_id) != NULL) {
		log_debug("invitation for session %s we have", n->session_id);
		return;
	}
	if (sdp_webrtc_parse(n->sdp, n->sdplen, &remote, &err) == -1) {
		log_warnx("incoming session %s: unusable offer: %s",
		    n->session_id, err ? err : "?");
		session_delete(n->session_id);
		return;
	}
	if (!child_connected(&kd_ctx, PROC_SIPD) ||
	    !child_connected(&kd_ctx, PROC_MEDIAD)) {
		log_warnx("incoming session %s: sipd or mediad is down",
		    n->session_id);
		session_delete(n->session_id);
		return;
	}
	do {
		arc4random_buf(&id, sizeof(id));
	} while (id == 0 || call_find(id) != NULL);
	c = call_new(id, 0);
	c->kandy_dir = remote.dir;
	c->sl.no_bundle = strstr(n->sdp, "a=group:BUNDLE") == NULL;
	strlcpy(c->sid, n->session_id, sizeof(c->sid));
	addr_user(n->participant_address, did, sizeof(did));
	addr_user(n->originator_address, from, sizeof(from));
	/* Called by user name (sip:bridge@domain), not a number: the DID. */
	if (kd_cfg.did[0] != '\0' && (did[0] == '\0' ||
	    strspn(did, "+0123456789") != strlen(did))) {
		log_info("call to Kandy user %s: DID %s", did, kd_cfg.did);
		strlcpy(did, kd_cfg.did, sizeof(did));
	}
	log_info("call %016llx: incoming from %s to %s, Kandy session %s",
	    (unsigned long long)id, from, did, c->sid);
	call_state(c, KC_OFFERED);
	child_send(&kd_ctx, PROC_MEDIAD, IMSG_MEDIA_ALLOC, id, -1, 1);
	child_send(&kd_ctx, PROC_MEDIAD, IMSG_MEDIA_WEBRTC_REMOTE, id, -1,
	    &remote, sizeof(remote));
	child_send(&kd_ctx, PROC_SIPD, IMSG_CALL_IN, id, -1, did, from,
	    n->originator_name);
	child_send(&kd_ctx, PROC_SIPD, IMSG_CALL_SESSION, id, -1, c->sid);
}

/*
 * Kandy's answer to our offer, or its re-offer, to mediad; its direction
 * in *dir when dir is not NULL.
 */
static int
call_remote_sdp(struct kcall *c, const struct kandy_notify *n, uint8_t *dir)
{
	struct media_webrtc_desc	 remote;
	const char			*err = NULL;

	if (n->sdp == NULL ||
	    sdp_webrtc_parse(n->sdp, n->sdplen, &remote, &err) == -1) {
		log_warnx("call %016llx: unusable SDP from Kandy: %s",
		    (unsigned long long)c->id, err ? err : "none");
		return (-1);
	}
	child_send(&kd_ctx, PROC_MEDIAD, IMSG_MEDIA_WEBRTC_REMOTE, c->id, -1,
	    &remote, sizeof(remote));
	if (dir != NULL)
		*dir = remote.dir;
	return (0);
}

/*
 * Kandy re-offered: when the far party put the call on hold or took it
 * off (the direction changed), sipd re-INVITEs the PBX with the same
 * direction (Kandy sendonly: we send only toward the PBX).  An ICE
 * restart or a codec change keeps the direction: nothing for the PBX.
 */
static void
call_kandy_direction(struct kcall *c, uint8_t dir)
{
	if (dir == c->kandy_dir)
		return;
	log_info("call %016llx: Kandy re-offers %s (was %s): telling the PBX",
	    (unsigned long long)c->id, media_dir_name(dir),
	    media_dir_name(c->kandy_dir));
	c->kandy_dir = dir;
	child_send(&kd_ctx, PROC_SIPD, IMSG_CALL_HOLD, c->id, -1, dir);
}

static void
call_accepted(struct kcall *c, const struct kandy_notify *n)
{
	if (!c->outbound || (c->state != KC_CALLING &&
	    c->state != KC_RINGING && c->state != KC_POSTING)) {
		log_debug("call %016llx: acceptance in state %s",
		    (unsigned long long)c->id, kc_names[c->state]);
		return;
	}
	if (call_remote_sdp(c, n, NULL) == -1) {
		call_end(c, 488, 0, "unusable answer SDP from Kandy", 0);
		return;
	}
	log_info("call %016llx: answered", (unsigned long long)c->id);
	child_send(&kd_ctx, PROC_SIPD, IMSG_CALL_ANSWERED, c->id, -1);
	call_state(c, KC_ESTABLISHED);
	call_audit_schedule(c);
}

static void
call_event(struct kcall *c, const struct kandy_notify *n)
{
	struct sip_outcome	 o;
	char			 reason[KANDY_TEXTLEN + 64];

	switch (n->event) {
	case KE_RINGING:
		if (c->outbound && (c->state == KC_CALLING ||
		    c->state == KC_POSTING)) {
			call_state(c, KC_RINGING);
			child_send(&kd_ctx, PROC_SIPD, IMSG_CALL_RINGING,
			    c->id, -1);
		}
		break;
	case KE_SESSION_ENDED:
	case KE_CANCELLED:
		if (c->state == KC_ESTABLISHED) {
			snprintf(reason, sizeof(reason), "Kandy ended the call"
			    "%s%s", n->reason[0] ? ": " : "", n->reason);
			call_end(c, 200, 0, reason, 1);
			break;
		}
		kandy_end_to_sip(n->event, n->reason_code, &o);
		c->retry_after = (unsigned int)o.retry_after;
		snprintf(reason, sizeof(reason), "%s %d%s%s",
		    kandy_event_name(n->event), n->reason_code,
		    n->reason[0] ? ": " : "", n->reason);
		call_end(c, o.code, 0, reason, 1);
		break;
	default:
		log_info("call %016llx: event %s ignored",
		    (unsigned long long)c->id, kandy_event_name(n->event));
		break;
	}
}

/* A notification from the channel (already parsed and deduplicated). */
void
calls_notify(const struct kandy_notify *n)
{
	struct kcall	*c;
	uint8_t		 dir;

	log_debug("kandy: %s for session %s", kandy_ntype_name(n->type),
	    n->session_id);
	if (n->type == KN_INVITATION) {
		call_invitation(n);
		return;
	}
	if (n->type != KN_EVENT && n->type != KN_ACCEPTANCE &&
	    n->type != KN_OFFER && n->type != KN_ANSWER)
		return;
	if ((c = call_find_sid(n->session_id)) == NULL) {
		if (calls_posting())
			early_keep(n);
		else
			log_debug("kandy: %s for unknown session %s",
			    kandy_ntype_name(n->type), n->session_id);
		return;
	}
	switch (n->type) {
	case KN_EVENT:
		call_event(c, n);
		break;
	case KN_ACCEPTANCE:
		call_accepted(c, n);
		break;
	case KN_OFFER:
		/* mediad answers with a new MEDIA_WEBRTC_LOCAL. */
		if (c->state != KC_ESTABLISHED ||
		    call_remote_sdp(c, n, &dir) == -1)
			break;
		call_kandy_direction(c, dir);
		c->sl.no_bundle = strstr(n->sdp, "a=group:BUNDLE") == NULL;
		c->reoffer = 1;
		c->have_local = 0;
		break;
	case KN_ANSWER:
		if (c->state == KC_ESTABLISHED)
			call_remote_sdp(c, n, NULL);
		break;
	default:
		break;
	}
}

/* Inbound: 3CX rings, Kandy's caller hears it. */
static void
call_send_ringing(struct kcall *c)
{
	kd_dialect->ringing(c->sid);
}

/* Our re-offers: the PBX put the call on hold or took it off. */

static void	call_send_update(struct kcall *);

static void
call_update_done(int status, const char *sid, const struct kandy_error *e,
    void *arg)
{
	struct kcall	*c = arg;

	c->req = NULL;
	if (status == 404) {
		call_end(c, 200, 404, "Kandy session gone (re-offer)", 1);
		return;
	}
	if (status < 200 || status > 299)
		log_warnx("call %016llx: re-offer refused (HTTP %d); the media "
		    "stay as they were", (unsigned long long)c->id, status);
	/* Kandy's answer comes as wrtcsAnswerNotification. */
	if (c->update_pending)
		call_send_update(c);
}

/*
 * PUT /update with our description in the PBX's direction: what the PBX
 * sends us (music on hold) goes on to Kandy, so our offer carries the
 * PBX's direction unchanged; setup:actpass as every offer.
 */
static void
call_send_update(struct kcall *c)
{
	struct media_webrtc_desc	 d;
	char				*sdp;

	c->update_pending = 0;
	if (kd_dialect->update == NULL) {
		log_warnx("call %016llx: re-offers are not in the %s dialect; "
		    "Kandy keeps the media as they were",
		    (unsigned long long)c->id, kd_dialect->name);
		return;
	}
	if (c->req != NULL) {
		c->update_pending = 1;
		return;
	}
	d = c->local;
	d.setup = SETUP_ACTPASS;
	d.dir = c->pbx_dir;
	c->sl.sess_version++;
	if (call_build_sdp_desc(c, &d, &sdp) == -1)
		return;
	log_info("call %016llx: re-offer to Kandy, %s",
	    (unsigned long long)c->id, media_dir_name(d.dir));
	c->req = kd_dialect->update(c->sid, sdp, call_update_done, c);
	free(sdp);
}

static void
calls_pbx_update(struct kcall *c, struct ipc_msg *m)
{
	uint8_t	 dir;

	ipc_unpack(m, &dir);
	if (dir > MEDIA_INACTIVE)
		fatalx("CALL_UPDATE: direction %u", dir);
	/* A session refresh re-offers the same: nothing for Kandy. */
	if (c->state != KC_ESTABLISHED || dir == c->pbx_dir)
		return;
	c->pbx_dir = dir;
	if (!c->have_local) {
		log_warnx("call %016llx: PBX re-offer (%s) not passed on: "
		    "no media description since kandyd started",
		    (unsigned long long)c->id, media_dir_name(dir));
		return;
	}
	call_send_update(c);
}

/*
 * A restarted kandyd asks sipd which calls are up (CALL_SYNC), takes the
 * answered ones with a Kandy session back (CALL_LIVE), and once the list
 * is complete checks them against GET /sessions: the catch-up ends those
 * Kandy no longer knows.  A call that was still being set up cannot be
 * resumed: it ends with 503.
 */
void
calls_sync(void)
{
	log_info("asking sipd for its live calls");
	child_send(&kd_ctx, PROC_SIPD, IMSG_CALL_SYNC, 0, -1);
}

static void
calls_live(uint64_t id, struct ipc_msg *m)
{
	struct kcall	*c;
	const char	*sid;
	uint8_t		 inbound, answered;

	ipc_unpack(m, &inbound, &answered, &sid);
	if (id == 0 || call_find(id) != NULL)
		return;
	c = call_new(id, !inbound);
	c->restored = 1;
	c->pbx_dir = MEDIA_SENDRECV;
	if (kandy_id_valid(sid))
		strlcpy(c->sid, sid, sizeof(c->sid));
	if (!answered || c->sid[0] == '\0') {
		log_info("call %016llx: was being set up when kandyd "
		    "restarted", (unsigned long long)id);
		c->retry_after = CALL_RESTART_RETRY;
		call_end(c, 503, 0, "kandyd restarted during the set-up", 0);
		return;
	}
	log_info("call %016llx: picked up again, Kandy session %s",
	    (unsigned long long)id, c->sid);
	c->state = KC_ESTABLISHED;
	call_audit_schedule(c);
}

/* Messages from sipd and mediad about calls. */

static void
calls_media_local(struct kcall *c, uint64_t id, struct ipc_msg *m)
{
	struct media_webrtc_desc	 d;
	const void			*blob;
	const char			*err;
	size_t				 len;

	ipc_unpack(m, &blob, &len);
	if (len != sizeof(d))
		fatalx("MEDIA_WEBRTC_LOCAL of %zu bytes", len);
	memcpy(&d, blob, sizeof(d));
	if (media_webrtc_valid(&d, &err) == -1) {
		log_warnx("call %016llx: mediad's description: %s",
		    (unsigned long long)id, err);
		if (c != NULL)
			call_end(c, 500, 0, "bad media description", 0);
		return;
	}
	if (c == NULL) {
		/* Before sipd's CALL_OUT: keep it a while. */
		c = call_new(id, 1);
		lws_sul_schedule(calls_lc, 0, &c->sul, call_wait_expired,
		    (lws_usec_t)CALL_WAIT_S * LWS_US_PER_SEC);
	}
	if (!c->have_local && c->state != KC_ESTABLISHED)
		c->pbx_dir = d.dir;
	c->local = d;
	c->have_local = 1;
	if (c->outbound && !c->reoffer)
		call_start_out(c);
	else
		call_try_answer(c);
}

static void
calls_media_event(struct kcall *c, struct ipc_msg *m)
{
	const char	*detail;
	uint32_t	 ev;

	ipc_unpack(m, &ev, &detail);
	switch (ev) {
	case MEDIA_EV_ICE_FAILED:
	case MEDIA_EV_DTLS_FAILED:
	case MEDIA_EV_TIMEOUT:
	case MEDIA_EV_ERROR:
		log_warnx("call %016llx: media failed: %s",
		    (unsigned long long)c->id, detail);
		call_end(c, c->state == KC_ESTABLISHED ? 200 :
		    ev == MEDIA_EV_TIMEOUT ? 408 : 503, 0, "media failed", 0);
		break;
	default:
		log_debug("call %016llx: media event %u: %s",
		    (unsigned long long)c->id, ev, detail);
		break;
	}
}

static void
calls_sip_end(struct kcall *c, struct ipc_msg *m)
{
	const char	*reason;
	uint32_t	 sip, http;

	ipc_unpack(m, &sip, &http, &reason);
	log_info("call %016llx: ended by sipd (%u): %s",
	    (unsigned long long)c->id, sip, reason);
	if (c->state == KC_POSTING && c->req != NULL) {
		/* The session id is not known yet: DELETE once it is. */
		c->ending = 1;
		return;
	}
	call_delete_session(c);
	call_free(c);
}

void
calls_dispatch(enum kb_proc from, struct ipc_msg *m)
{
	struct kcall	*c;
	const char	*dest, *caller, *name;
	uint64_t	 id = m->hdr.call;

	if (m->hdr.type == IMSG_CALL_SYNC) {
		/* sipd's list is complete: check it against Kandy's. */
		if (acct_ready() && calls_need_catchup())
			acct_catchup();
		return;
	}
	if (m->hdr.type == IMSG_CALL_LIVE) {
		calls_live(id, m);
		return;
	}
	c = call_find(id);
	if (c == NULL && (id == 0 || call_buried(id))) {
		log_debug("%s from %s for call %016llx that is gone",
		    ipc_typename(m->hdr.type), proc_name(from),
		    (unsigned long long)id);
		return;
	}
	if (c != NULL && c->ending)
		return;
	switch (m->hdr.type) {
	case IMSG_CALL_OUT:
		ipc_unpack(m, &dest, &caller, &name);
		if (c != NULL && (c->have_out || !c->outbound)) {
			log_warnx("call %016llx: CALL_OUT again",
			    (unsigned long long)id);
			return;
		}
		if (c == NULL) {
			c = call_new(id, 1);
			lws_sul_schedule(calls_lc, 0, &c->sul,
			    call_wait_expired,
			    (lws_usec_t)CALL_WAIT_S * LWS_US_PER_SEC);
		}
		c->have_out = 1;
		strlcpy(c->dest, dest, sizeof(c->dest));
		strlcpy(c->caller_name, name, sizeof(c->caller_name));
		log_info("call %016llx: outgoing from %s to %s",
		    (unsigned long long)id, caller, dest);
		if (!acct_ready()) {
			call_end(c, 503, 0, "Kandy unavailable", 1);
			return;
		}
		call_start_out(c);
		break;
	case IMSG_MEDIA_WEBRTC_LOCAL:
		calls_media_local(c, id, m);
		break;
	case IMSG_CALL_RINGING:
		if (c != NULL && !c->outbound && c->state == KC_OFFERED)
			call_send_ringing(c);
		break;
	case IMSG_CALL_ANSWERED:
		if (c == NULL || c->outbound)
			break;
		c->sip_answered = 1;
		call_try_answer(c);
		break;
	case IMSG_CALL_END:
		if (c != NULL)
			calls_sip_end(c, m);
		break;
	case IMSG_MEDIA_EVENT:
		if (c != NULL)
			calls_media_event(c, m);
		break;
	case IMSG_CALL_UPDATE:
		if (c != NULL)
			calls_pbx_update(c, m);
		break;
	default:
		log_warnx("unexpected %s from %s", ipc_typename(m->hdr.type),
		    proc_name(from));
		break;
	}
}

/*
 * Kandy is down or the account cannot authenticate: calls that wait for
 * it end with 503; established calls keep their media.
 */
void
calls_kandy_down(void)
{
	struct kcall	*c, *next;

	TAILQ_FOREACH_SAFE(c, &calls, entry, next) {
		if (c->state == KC_ESTABLISHED || c->req != NULL)
			continue;
		if (c->outbound && !c->have_out)
			continue;
		call_end(c, 503, 0, "Kandy unavailable", 0);
	}
}

/* sipd went away: its calls are over. */
void
calls_peer_down(enum kb_proc p)
{
	struct kcall	*c, *next;

	if (p != PROC_SIPD)
		return;
	TAILQ_FOREACH_SAFE(c, &calls, entry, next) {
		call_delete_session(c);
		child_send(&kd_ctx, PROC_MEDIAD, IMSG_MEDIA_FREE, c->id, -1);
		call_free(c);
	}
}

struct catchup {
	struct kcall	*c;
	int		 found;
	struct session_entry e;
};

static void
catchup_entry(const struct session_entry *e, void *arg)
{
	struct catchup	*cu = arg;

	if (cu->found || strcmp(e->sid, cu->c->sid) != 0)
		return;
	cu->found = 1;
	cu->e = *e;
}

static void
catchup_none(const struct session_entry *e, void *arg)
{
}

/*
 * After the channel came back: GET /sessions tells which of our sessions
 * still live and what they missed (answer, ringing, end).
 */
void
calls_catchup(const char *body, size_t len)
{
	struct kandy_notify	 n;
	struct catchup		 cu;
	struct kcall		*c, *next;
	const char		*err;

	while (nunsent_del > 0)
		session_delete(unsent_del[--nunsent_del]);
	/* Check the whole answer once before it can end any call. */
	if (body != NULL &&
	    kresp_session_list(body, len, catchup_none, NULL, &err) == -1) {
		log_warnx("kandy: %s", err);
		return;
	}
	TAILQ_FOREACH_SAFE(c, &calls, entry, next) {
		if (c->sid[0] == '\0')
			continue;
		memset(&cu, 0, sizeof(cu));
		cu.c = c;
		if (body != NULL)
			kresp_session_list(body, len, catchup_entry, &cu, &err);
		if (!cu.found) {
			log_info("call %016llx: session %s ended while the "
			    "channel was down", (unsigned long long)c->id,
			    c->sid);
			call_end(c, c->state == KC_ESTABLISHED ? 200 : 480, 0,
			    "Kandy session ended", 1);
			continue;
		}
		if (c->restored && strcmp(cu.e.status, "Connected") != 0) {
			/* Answered at the PBX, not at Kandy: the answer died. */
			log_info("call %016llx: picked up, but session %s is %s",
			    (unsigned long long)c->id, c->sid,
			    cu.e.status[0] ? cu.e.status : "not connected");
			call_end(c, 200, 0, "Kandy session not connected", 0);
			continue;
		}
		c->restored = 0;
		if (c->outbound && (c->state == KC_CALLING ||
		    c->state == KC_RINGING) && cu.e.answer_sdp != NULL &&
		    strcmp(cu.e.status, "Connected") == 0) {
			memset(&n, 0, sizeof(n));
			n.type = KN_ACCEPTANCE;
			n.sdp = (char *)cu.e.answer_sdp;
			n.sdplen = cu.e.answer_len;
			log_info("call %016llx: answered while the channel "
			    "was down", (unsigned long long)c->id);
			call_accepted(c, &n);
		} else if (c->outbound && c->state == KC_CALLING &&
		    strcmp(cu.e.status, "Ringing") == 0) {
			call_state(c, KC_RINGING);
			child_send(&kd_ctx, PROC_SIPD, IMSG_CALL_RINGING,
			    c->id, -1);
		}
	}
}
