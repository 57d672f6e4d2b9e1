/*
 * The call engine: two legs per call, each an emulated user's client
 * (cpaas REST + notifications, or wsrpc) or kandysim's own endpoint for
 * phone numbers.  Offers, answers and events are relayed between legs.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kandysim.h"
#include "log.h"
#include "simmedia.h"

#define SIM_REACT_MS	50	/* kandysim's endpoint reacts after this */

struct calllist	 calls = TAILQ_HEAD_INITIALIZER(calls);
static u_int	 call_seq;
static int	 ncalls;

static const char *state_names[] = {
	"calling", "ringing", "connected", "ended"
};

static void	 call_route(struct call *, const char *);
static void	 call_end(struct call *, int, const char *, int);

static const char *
cause_text(int cause)
{
	switch (cause) {
	case 200:
		return ("Normal");
	case 404:
		return ("Not Found");
	case 408:
		return ("Request Timeout");
	case 480:
		return ("Temporarily Unavailable");
	case 486:
		return ("Busy Here");
	case 487:
		return ("Request Terminated");
	case 488:
		return ("Not Acceptable Here");
	case 500:
		return ("Server Internal Error");
	case 503:
		return ("Service Unavailable");
	case 600:
		return ("Busy Everywhere");
	case 603:
		return ("Decline");
	default:
		return ("Call Rejected");
	}
}

static void
session_url(struct leg *l, char *buf, size_t len)
{
	snprintf(buf, len, "/cpaas/webrtcsignaling/v1/%s/sessions/%s",
	    l->user ? l->user->name : "sim", l->sid);
}

static void
leg_cpaas(struct call *c, struct leg *l, enum leg_event ev)
{
	struct leg	*o = &c->leg[l == &c->leg[0]];
	char		 url[256];
	json_t		*n, *link;
	const char	*key = "wrtcsEventNotification", *type = NULL;

	session_url(l, url, sizeof(url));
	link = json_pack("[{s:s, s:s}]", "href", url, "rel", "session");
	n = json_pack("{s:o}", "link", link);
	switch (ev) {
	case LEV_INVITE:
		key = "wrtcsSessionInvitationNotification";
		json_object_set_new(n, "offer", json_pack("{s:s}", "sdp",
		    c->offer ? c->offer : ""));
		json_object_set_new(n, "originatorAddress",
		    json_string(o->address ? o->address : ""));
		json_object_set_new(n, "originatorName",
		    json_string(o->name ? o->name : ""));
		json_object_set_new(n, "tParticipantAddress",
		    json_string(l->address ? l->address : ""));
		break;
	case LEV_ACCEPTED:
	case LEV_ANSWER:
		key = ev == LEV_ACCEPTED ? "wrtcsAcceptanceNotification" :
		    "wrtcsAnswerNotification";
		json_object_set_new(n, "answer", json_pack("{s:s}", "sdp",
		    c->answer ? c->answer : ""));
		break;
	case LEV_OFFER:
		key = "wrtcsOfferNotification";
		json_object_set_new(n, "offer", json_pack("{s:s}", "sdp",
		    c->offer ? c->offer : ""));
		break;
	case LEV_RINGING:
		type = "Ringing";
		break;
	case LEV_ENDED:
		type = "SessionEnded";
		break;
	case LEV_CANCELLED:
		type = "Cancelled";
		break;
	case LEV_TRANSFER_OK:
		type = "TransferCompleted";
		break;
	case LEV_TRANSFER_FAILED:
		type = "TransferFailed";
		break;
	}
	if (type != NULL)
		json_object_set_new(n, "eventType", json_string(type));
	if ((ev == LEV_ENDED || ev == LEV_CANCELLED) && c->cause != 0) {
		json_object_set_new(n, "reasonCode", json_integer(c->cause));
		json_object_set_new(n, "reasonText", json_string(c->reason));
	}
	user_notify(l->user, key, n);
}

static void
leg_rpc(struct call *c, struct leg *l, enum leg_event ev)
{
	struct leg	*o = &c->leg[l == &c->leg[0]];
	const char	*method = NULL;
	json_t		*p;

	p = json_pack("{s:s}", "callId", l->rpc_callid);
	switch (ev) {
	case LEV_INVITE:
		method = "call.incomingCall";
		json_object_set_new(p, "from",
		    json_string(o->address ? o->address : ""));
		json_object_set_new(p, "fromName",
		    json_string(o->name ? o->name : ""));
		json_object_set_new(p, "to",
		    json_string(l->address ? l->address : ""));
		json_object_set_new(p, "sdp", json_string(c->offer));
		json_object_set_new(p, "mediaType", json_string("audio"));
		break;
	case LEV_RINGING:
		method = "call.ringing";
		break;
	case LEV_ACCEPTED:
		method = "call.answered";
		json_object_set_new(p, "sdp", json_string(c->answer));
		break;
	case LEV_OFFER:
		method = "call.offer";
		json_object_set_new(p, "sdp", json_string(c->offer));
		break;
	case LEV_ANSWER:
		method = "call.answer";
		json_object_set_new(p, "sdp", json_string(c->answer));
		break;
	case LEV_ENDED:
	case LEV_CANCELLED:
		method = "call.ended";
		json_object_set_new(p, "reason", json_string(ev ==
		    LEV_CANCELLED ? "cancelled" : "ended"));
		json_object_set_new(p, "cause", json_integer(c->cause));
		break;
	case LEV_TRANSFER_OK:
	case LEV_TRANSFER_FAILED:
		method = "call.transfer";
		json_object_set_new(p, "result", json_string(ev ==
		    LEV_TRANSFER_OK ? "completed" : "failed"));
		break;
	}
	wsrpc_event(l->rpc, method, p);
}

/* Tell leg i's client about an event; kandysim's own legs need nothing. */
static void
leg_event(struct call *c, int i, enum leg_event ev)
{
	struct leg	*l = &c->leg[i];

	if (l->kind != LEG_USER)
		return;
	if (l->rpc != NULL)
		leg_rpc(c, l, ev);
	else if (l->user != NULL)
		leg_cpaas(c, l, ev);
}

static void
leg_clear(struct leg *l)
{
	free(l->address);
	free(l->name);
	free(l->correlator);
	memset(l, 0, sizeof(*l));
}

static void
call_free(struct call *c)
{
	timer_free(c->t_ring);
	timer_free(c->t_answer);
	timer_free(c->t_hangup);
	timer_free(c->t_reoffer);
	if (c->media != NULL)
		simmedia->stop(c->media);
	leg_clear(&c->leg[0]);
	leg_clear(&c->leg[1]);
	free(c->offer);
	free(c->answer);
	free(c->media_mode);
	TAILQ_REMOVE(&calls, c, entry);
	ncalls--;
	free(c);
}

/* The endpoint's SDP; NULL when it has none or failed. */
static char *
media_answer(struct call *c)
{
	if (c->media == NULL)
		return (NULL);
	return (simmedia->answer(c->media, c->offer));
}

static char *
media_offer(struct call *c)
{
	if (c->media == NULL)
		return (NULL);
	return (simmedia->offer(c->media));
}

static void
media_remote_answer(struct call *c, const char *sdp)
{
	if (c->media != NULL)
		simmedia->remote_answer(c->media, sdp);
}

static void	 ring_cb(void *);
static void	 answer_cb(void *);
static void	 hangup_cb(void *);
static void	 reoffer_cb(void *);

static struct call *
call_new(void)
{
	struct call	*c, *old;

	if (ncalls >= SIM_MAX_CALLS) {
		TAILQ_FOREACH(old, &calls, entry)
			if (old->state == CALL_ENDED)
				break;
		if (old == NULL)
			return (NULL);
		call_free(old);
	}
	c = xcalloc(1, sizeof(*c));
	c->id = ++call_seq;
	c->update_from = -1;
	c->t_created = now_ms();
	c->t_ring = timer_new(ring_cb, c);
	c->t_answer = timer_new(answer_cb, c);
	c->t_hangup = timer_new(hangup_cb, c);
	c->t_reoffer = timer_new(reoffer_cb, c);
	TAILQ_INSERT_TAIL(&calls, c, entry);
	ncalls++;
	return (c);
}

struct call *
call_find(u_int id)
{
	struct call	*c;

	TAILQ_FOREACH(c, &calls, entry)
		if (c->id == id)
			return (c);
	return (NULL);
}

/* The live call and leg index behind a user's session id. */
static struct call *
session_find(struct user *u, const char *sid, int *idx)
{
	struct call	*c;
	int		 i;

	TAILQ_FOREACH(c, &calls, entry) {
		if (c->state == CALL_ENDED)
			continue;
		for (i = 0; i < 2; i++)
			if (c->leg[i].kind == LEG_USER &&
			    c->leg[i].user == u && c->leg[i].rpc == NULL &&
			    strcmp(c->leg[i].sid, sid) == 0) {
				*idx = i;
				return (c);
			}
	}
	return (NULL);
}

static void
user_leg(struct leg *l, struct user *u, const char *name)
{
	char	 addr[256];

	l->kind = LEG_USER;
	l->user = u;
	uuid_str(l->sid, sizeof(l->sid));
	snprintf(addr, sizeof(addr), "sip:%s@%s", u->name, simconf.domain);
	l->address = xstrdup(addr);
	l->name = xstrdup(name ? name : u->name);
}

/* Digits of a phone destination, or NULL if dest is not one. */
static int
phone_digits(const char *s, char *out, size_t len)
{
	size_t	 n = 0;

	if (*s == '+')
		s++;
	for (; *s && *s != '@' && *s != ';'; s++) {
		if (!isdigit((unsigned char)*s) || n + 1 >= len)
			return (-1);
		out[n++] = *s;
	}
	out[n] = '\0';
	return (n >= 3 ? 0 : -1);
}

/* End leg 1 of a fresh call with a cause once kandysim "reacts". */
static void
call_reject_later(struct call *c, int cause, int ms)
{
	c->pending_cause = cause;
	timer_add(c->t_answer, ms);
}

/* Point the callee leg (1) at dest and start the call toward it. */
static void
call_route(struct call *c, const char *dest)
{
	struct user	*u = NULL;
	struct rule	*r;
	char		 userpart[SIM_NAME_MAX], digits[32];
	const char	*p, *at;
	size_t		 len;

	leg_clear(&c->leg[1]);
	p = dest;
	if (strncasecmp(p, "sip:", 4) == 0 || strncasecmp(p, "sips:", 5) == 0)
		p = strchr(p, ':') + 1;
	if (strncasecmp(dest, "tel:", 4) == 0)
		p = dest + 4;
	at = strchr(p, '@');
	len = at ? (size_t)(at - p) : strlen(p);
	if (len < sizeof(userpart)) {
		memcpy(userpart, p, len);
		userpart[len] = '\0';
		if (strncasecmp(dest, "tel:", 4) != 0)
			u = user_find(userpart);
	}
	if (u != NULL) {
		user_leg(&c->leg[1], u, NULL);
		strset(&c->leg[1].address, dest);
		if (user_subscribed(u))
			c->leg[1].rpc = NULL;
		else if ((c->leg[1].rpc = ws_rpc_find(u)) != NULL)
			snprintf(c->leg[1].rpc_callid,
			    sizeof(c->leg[1].rpc_callid), "%s", c->leg[1].sid);
		else {
			call_reject_later(c, 480, simconf.ring_delay_ms);
			return;
		}
		/*
		 * Like kandysim's own events, the invitation comes after the
		 * caller's HTTP answer: the SDK drops a Ringing for a session
		 * it has not been told about yet.
		 */
		timer_add(c->t_ring, simconf.ring_delay_ms);
		return;
	}
	c->leg[1].kind = LEG_SIM;
	c->leg[1].address = xstrdup(dest);
	uuid_str(c->leg[1].sid, sizeof(c->leg[1].sid));
	if (len >= sizeof(userpart) ||
	    phone_digits(userpart, digits, sizeof(digits)) == -1) {
		call_reject_later(c, 404, simconf.ring_delay_ms);
		return;
	}
	c->leg[1].name = xstrdup(digits);
	r = rule_match(digits);
	strset(&c->media_mode, r ? r->media : "echo");
	if (c->media == NULL &&
	    (c->media = simmedia->start(c->id, c->media_mode)) == NULL) {
		call_reject_later(c, 503, simconf.ring_delay_ms);
		return;
	}
	if (r != NULL && r->action == RULE_REJECT) {
		call_reject_later(c, r->cause, simconf.ring_delay_ms +
		    r->answer_after_ms);
		return;
	}
	timer_add(c->t_ring, simconf.ring_delay_ms);
	if (r != NULL && r->action == RULE_RING) {
		c->ring_forever = 1;
		return;
	}
	c->answer_after_ms = r ? r->answer_after_ms : 500;
	c->hangup_after_ms = r ? r->hangup_after_ms : 0;
	timer_add(c->t_answer, simconf.ring_delay_ms + c->answer_after_ms);
}

static void
ring_cb(void *arg)
{
	struct call	*c = arg;

	if (c->state != CALL_CALLING)
		return;
	if (c->leg[1].kind == LEG_USER) {
		leg_event(c, 1, LEV_INVITE);
		return;
	}
	c->state = CALL_RINGING;
	leg_event(c, 0, LEV_RINGING);
}

static void
call_connected(struct call *c)
{
	c->state = CALL_CONNECTED;
	c->t_answered = now_ms();
	if (c->hangup_after_ms > 0)
		timer_add(c->t_hangup, c->hangup_after_ms);
}

/* kandysim's endpoint (leg 1) answers or rejects leg 0's call. */
static void
answer_cb(void *arg)
{
	struct call	*c = arg;

	if (c->state == CALL_ENDED)
		return;
	if (c->pending_cause != 0) {
		call_end(c, 1, NULL, c->pending_cause);
		return;
	}
	if (c->state == CALL_CONNECTED || c->leg[1].kind != LEG_SIM)
		return;
	free(c->answer);
	if ((c->answer = media_answer(c)) == NULL) {
		call_end(c, 1, "Media failure", 488);
		return;
	}
	call_connected(c);
	leg_event(c, 0, LEV_ACCEPTED);
}

static void
hangup_cb(void *arg)
{
	struct call	*c = arg;
	int		 sim = c->leg[0].kind == LEG_SIM ? 0 : 1;

	call_end(c, sim, NULL, 200);
}

/* kandysim's endpoint answers a re-offer from the other leg. */
static void
reoffer_cb(void *arg)
{
	struct call	*c = arg;
	int		 from = c->update_from;

	if (c->state != CALL_CONNECTED || from < 0 ||
	    c->leg[!from].kind != LEG_SIM)
		return;
	free(c->answer);
	if ((c->answer = media_answer(c)) == NULL) {
		call_end(c, !from, "Media failure", 488);
		return;
	}
	c->update_from = -1;
	leg_event(c, from, LEV_ANSWER);
}

/*
 * End the call; `by' is the leg that ended it (-1: the control API).
 * Before an answer the callee's client hears Cancelled, otherwise every
 * other client hears SessionEnded.
 */
static void
call_end(struct call *c, int by, const char *reason, int cause)
{
	int	 i, answered;

	if (c->state == CALL_ENDED)
		return;
	answered = c->state == CALL_CONNECTED;
	c->cause = cause;
	snprintf(c->reason, sizeof(c->reason), "%s",
	    reason ? reason : cause_text(cause));
	for (i = 0; i < 2; i++) {
		if (i == by)
			continue;
		if (!answered && i == 1) {
			if (cause == 200)
				c->cause = 487;
			snprintf(c->reason, sizeof(c->reason), "%s",
			    cause_text(c->cause));
			leg_event(c, i, LEV_CANCELLED);
		} else
			leg_event(c, i, LEV_ENDED);
	}
	c->state = CALL_ENDED;
	c->t_ended = now_ms();
	timer_del(c->t_ring);
	timer_del(c->t_answer);
	timer_del(c->t_hangup);
	timer_del(c->t_reoffer);
	log_info("call %u ended: %d %s", c->id, c->cause, c->reason);
}

int
call_hangup(struct call *c, const char *reason, int cause)
{
	if (c->state == CALL_ENDED)
		return (-1);
	call_end(c, -1, reason, cause ? cause : 200);
	return (0);
}

static json_t *
session_json(struct call *c, int i)
{
	struct leg	*l = &c->leg[i], *o = &c->leg[!i];
	char		 url[256];
	json_t		*s;

	session_url(l, url, sizeof(url));
	s = json_pack("{s:s, s:s, s:s, s:s, s:s}", "resourceURL", url,
	    "originatorAddress", i == 0 ? l->address : o->address,
	    "tParticipantAddress", i == 0 ? o->address : l->address,
	    "direction", i == 0 ? "outgoing" : "incoming",
	    "status", c->state == CALL_CONNECTED ? "Connected" :
	    c->state == CALL_RINGING ? "Ringing" : "Initial");
	if (s == NULL)
		return (json_object());
	if (l->correlator != NULL)
		json_object_set_new(s, "clientCorrelator",
		    json_string(l->correlator));
	if (o->name != NULL)
		json_object_set_new(s, i == 0 ? "tParticipantName" :
		    "originatorName", json_string(o->name));
	if (c->offer != NULL)
		json_object_set_new(s, "offer", json_pack("{s:s}", "sdp",
		    c->offer));
	if (c->answer != NULL)
		json_object_set_new(s, "answer", json_pack("{s:s}", "sdp",
		    c->answer));
	return (s);
}

static void
bad_input(struct simresp *resp, const char *part)
{
	resp_error(resp, 400, "serviceException", "SVC0002",
	    "Invalid input value for message part %1", part);
}

static void
bad_state(struct simresp *resp)
{
	resp_error(resp, 409, "serviceException", "SVC0001",
	    "A service error occurred. Error code is %1",
	    "session state does not allow this request");
}

static int
sdp_ok(const char *sdp)
{
	return (sdp != NULL && strncmp(sdp, "v=0", 3) == 0);
}

static void
session_create(const struct simreq *req, struct simresp *resp,
    struct user *u)
{
	struct call	*c;
	json_t		*body, *ws;
	const char	*dest, *sdp;

	if ((body = body_json(req, resp)) == NULL)
		return;
	ws = json_object_get(body, "wrtcsSession");
	dest = jstr(ws, "tParticipantAddress");
	sdp = jstr(json_object_get(ws, "offer"), "sdp");
	if (!json_is_object(ws))
		bad_input(resp, "wrtcsSession");
	else if (dest == NULL || *dest == '\0' || strlen(dest) > 256)
		bad_input(resp, "tParticipantAddress");
	else if (!sdp_ok(sdp))
		bad_input(resp, "offer.sdp");
	else if ((c = call_new()) == NULL)
		resp_error(resp, 503, "serviceException", "SVC0001",
		    "A service error occurred. Error code is %1",
		    "too many calls");
	else {
		user_leg(&c->leg[0], u, jstr(ws, "originatorName"));
		c->leg[0].correlator = xstrdup(jstr(ws, "clientCorrelator"));
		c->offer = xstrdup(sdp);
		call_route(c, dest);
		if (jstr(ws, "tParticipantName") != NULL &&
		    c->leg[1].kind == LEG_SIM)
			strset(&c->leg[1].name, jstr(ws, "tParticipantName"));
		log_info("call %u: %s -> %s", c->id, u->name, dest);
		resp_json(resp, 201, json_pack("{s:o}", "wrtcsSession",
		    session_json(c, 0)));
	}
	json_decref(body);
}

/*
 * The SDK reads wrtcsSessionStatus.status back from this answer (it
 * fails on an empty 204), so it gets a 200 with the status echoed.
 */
static void
session_status(struct call *c, int i, json_t *body, struct simresp *resp)
{
	json_t		*ss;
	const char	*st;

	ss = json_object_get(body, "wrtcsSessionStatus");
	st = jstr(ss, "status");
	if (st == NULL || (strcmp(st, "Ringing") != 0 &&
	    strcmp(st, "Connected") != 0)) {
		bad_input(resp, "status");
		return;
	}
	/* "Connected" is the call audit: nothing changes. */
	if (strcmp(st, "Ringing") == 0 && i == 1 &&
	    c->state == CALL_CALLING) {
		c->state = CALL_RINGING;
		leg_event(c, 0, LEV_RINGING);
	}
	resp_json(resp, 200, json_pack("{s:{s:s, s:s}}", "wrtcsSessionStatus",
	    "clientCorrelator", jstr(ss, "clientCorrelator") ?
	    jstr(ss, "clientCorrelator") : "", "status", st));
}

static void
session_answer(struct call *c, int i, json_t *body, struct simresp *resp)
{
	const char	*sdp;

	sdp = jstr(json_object_get(body, "wrtcsAnswer"), "sdp");
	if (!sdp_ok(sdp)) {
		bad_input(resp, "wrtcsAnswer.sdp");
		return;
	}
	if (i == 1 && c->state != CALL_CONNECTED) {
		strset(&c->answer, sdp);
		call_connected(c);
		if (c->leg[0].kind == LEG_SIM)
			media_remote_answer(c, sdp);
		leg_event(c, 0, LEV_ACCEPTED);
	} else if (c->state == CALL_CONNECTED && c->update_from == !i) {
		strset(&c->answer, sdp);
		c->update_from = -1;
		if (c->leg[!i].kind == LEG_SIM)
			media_remote_answer(c, sdp);
		leg_event(c, !i, LEV_ANSWER);
	} else {
		bad_state(resp);
		return;
	}
	resp->status = 204;
}

static void
session_update(struct call *c, int i, json_t *body, struct simresp *resp)
{
	const char	*sdp;

	sdp = jstr(json_object_get(body, "wrtcsOffer"), "sdp");
	if (!sdp_ok(sdp)) {
		bad_input(resp, "wrtcsOffer.sdp");
		return;
	}
	if (c->state != CALL_CONNECTED || c->update_from == !i) {
		bad_state(resp);
		return;
	}
	strset(&c->offer, sdp);
	c->update_from = i;
	if (c->leg[!i].kind == LEG_SIM)
		timer_add(c->t_reoffer, SIM_REACT_MS);
	else
		leg_event(c, !i, LEV_OFFER);
	resp->status = 204;
}

static void
session_forward(struct call *c, int i, json_t *body, struct simresp *resp)
{
	const char	*addr;

	addr = jstr(json_object_get(body, "wrtcsForward"), "address");
	if (addr == NULL || *addr == '\0' || strlen(addr) > 256) {
		bad_input(resp, "address");
		return;
	}
	if (i != 1 || c->state == CALL_CONNECTED) {
		bad_state(resp);
		return;
	}
	c->state = CALL_CALLING;
	call_route(c, addr);
	resp->status = 204;
}

/*
 * Transfer: the transferring leg leaves and kandysim's endpoint for the
 * target takes its place, re-offering to the remaining party.  Transfer
 * to another emulated user is not emulated and reports TransferFailed.
 */
static void
session_transfer(struct call *c, int i, json_t *body, struct simresp *resp)
{
	const char	*addr;
	char		 digits[32];
	struct rule	*r;
	char		*offer = NULL;

	addr = jstr(json_object_get(body, "wrtcsTransfer"), "address");
	if (addr == NULL || *addr == '\0' || strlen(addr) > 256) {
		bad_input(resp, "address");
		return;
	}
	if (c->state != CALL_CONNECTED) {
		bad_state(resp);
		return;
	}
	resp->status = 204;
	if (strncasecmp(addr, "tel:", 4) == 0)
		addr += 4;
	else if (strncasecmp(addr, "sip:", 4) == 0)
		addr += 4;
	if (c->media == NULL)
		c->media = simmedia->start(c->id, "echo");
	if (phone_digits(addr, digits, sizeof(digits)) == -1 ||
	    ((r = rule_match(digits)) != NULL && r->action != RULE_ANSWER) ||
	    c->leg[!i].kind != LEG_USER || (offer = media_offer(c)) == NULL) {
		leg_event(c, i, LEV_TRANSFER_FAILED);
		return;
	}
	leg_event(c, i, LEV_TRANSFER_OK);
	c->cause = 200;
	snprintf(c->reason, sizeof(c->reason), "Transferred");
	leg_event(c, i, LEV_ENDED);
	leg_clear(&c->leg[i]);
	c->leg[i].kind = LEG_SIM;
	c->leg[i].address = xstrdup(digits);
	uuid_str(c->leg[i].sid, sizeof(c->leg[i].sid));
	free(c->offer);
	c->offer = offer;
	c->update_from = i;
	leg_event(c, !i, LEV_OFFER);
}

/*
 * The control API: kandysim's endpoint re-offers a connected call to the
 * user's client in direction `dir' (hold, resume), as the far party's
 * phone does.  -1: not connected, no endpoint of ours in it, or a
 * re-offer already waits for its answer; -2: no media to offer from.
 */
int
call_reoffer(struct call *c, int dir)
{
	char	*offer;
	int	 sim;

	sim = c->leg[0].kind == LEG_SIM ? 0 : 1;
	if (c->state != CALL_CONNECTED || c->leg[sim].kind != LEG_SIM ||
	    c->leg[!sim].kind != LEG_USER || c->update_from != -1)
		return (-1);
	if (c->media == NULL || simmedia->reoffer == NULL ||
	    (offer = simmedia->reoffer(c->media, dir)) == NULL)
		return (-2);
	free(c->offer);
	c->offer = offer;
	c->update_from = sim;
	leg_event(c, !sim, LEV_OFFER);
	return (0);
}

void
api_sessions(const struct simreq *req, struct simresp *resp, struct user *u,
    char **seg, int n)
{
	struct call	*c;
	json_t		*a, *body;
	char		 res[256];
	int		 i;

	if (n == 0 && strcmp(req->method, "POST") == 0) {
		session_create(req, resp, u);
		return;
	}
	if (n == 0 && strcmp(req->method, "GET") == 0) {
		a = json_array();
		TAILQ_FOREACH(c, &calls, entry)
			for (i = 0; i < 2; i++)
				if (c->state != CALL_ENDED &&
				    c->leg[i].kind == LEG_USER &&
				    c->leg[i].user == u &&
				    c->leg[i].rpc == NULL)
					json_array_append_new(a,
					    session_json(c, i));
		snprintf(res, sizeof(res),
		    "/cpaas/webrtcsignaling/v1/%s/sessions", u->name);
		resp_json(resp, 200, json_pack("{s:{s:o, s:s}}",
		    "wrtcsSessionList", "wrtcsSession", a, "resourceURL", res));
		return;
	}
	if (n < 1 || n > 2 || (c = session_find(u, seg[0], &i)) == NULL) {
		resp_error(resp, 404, "serviceException", "SVC0001",
		    "A service error occurred. Error code is %1",
		    "no such session");
		return;
	}
	if (n == 1 && strcmp(req->method, "GET") == 0) {
		resp_json(resp, 200, json_pack("{s:o}", "wrtcsSession",
		    session_json(c, i)));
		return;
	}
	if (n == 1 && strcmp(req->method, "DELETE") == 0) {
		call_end(c, i, NULL, i == 1 && c->state != CALL_CONNECTED ?
		    603 : 200);
		resp->status = 204;
		return;
	}
	if (n != 2 || strcmp(req->method, "PUT") != 0) {
		resp_error(resp, 405, "serviceException", "SVC0001",
		    "A service error occurred. Error code is %1",
		    "method not allowed");
		return;
	}
	if ((body = body_json(req, resp)) == NULL)
		return;
	if (strcmp(seg[1], "status") == 0)
		session_status(c, i, body, resp);
	else if (strcmp(seg[1], "answer") == 0)
		session_answer(c, i, body, resp);
	else if (strcmp(seg[1], "update") == 0)
		session_update(c, i, body, resp);
	else if (strcmp(seg[1], "forward") == 0)
		session_forward(c, i, body, resp);
	else if (strcmp(seg[1], "transfer") == 0)
		session_transfer(c, i, body, resp);
	else
		resp_error(resp, 404, "serviceException", "SVC0001",
		    "A service error occurred. Error code is %1",
		    "no such resource");
	json_decref(body);
}

/* A call from kandysim's endpoint toward a user, on the control API. */
struct call *
call_incoming(const char *from, const char *to, const char *user,
    const char *media, int hangup_after_ms, char *err, size_t errlen)
{
	struct call	*c;
	struct user	*u;
	char		 addr[128], digits[32];
	const char	*p;

	p = user != NULL ? user : to;
	if (strncasecmp(p, "sip:", 4) == 0) {
		p += 4;
		snprintf(addr, sizeof(addr), "%.*s", (int)strcspn(p, "@"), p);
		p = addr;
	}
	if ((u = user_find(p)) == NULL) {
		snprintf(err, errlen, "no such user");
		return (NULL);
	}
	if (!user_subscribed(u) && ws_rpc_find(u) == NULL) {
		snprintf(err, errlen, "user has no subscription");
		return (NULL);
	}
	if ((c = call_new()) == NULL) {
		snprintf(err, errlen, "too many calls");
		return (NULL);
	}
	c->leg[0].kind = LEG_SIM;
	uuid_str(c->leg[0].sid, sizeof(c->leg[0].sid));
	if (phone_digits(from, digits, sizeof(digits)) == 0) {
		snprintf(addr, sizeof(addr), "tel:+%s", digits);
		c->leg[0].address = xstrdup(addr);
		c->leg[0].name = xstrdup(digits);
	} else {
		c->leg[0].address = xstrdup(from);
		c->leg[0].name = xstrdup(from);
	}
	c->media_mode = xstrdup(media ? media : "echo");
	c->hangup_after_ms = hangup_after_ms;
	c->media = simmedia->start(c->id, c->media_mode);
	user_leg(&c->leg[1], u, NULL);
	if ((c->offer = media_offer(c)) == NULL) {
		c->state = CALL_ENDED;
		c->t_ended = now_ms();
		c->cause = 500;
		snprintf(c->reason, sizeof(c->reason), "Media failure");
		snprintf(err, errlen, "media endpoint failed");
		return (NULL);
	}
	if (user == NULL && strncasecmp(to, "sip:", 4) == 0)
		strset(&c->leg[1].address, to);
	else if (user != NULL) {
		if (phone_digits(to, digits, sizeof(digits)) == 0) {
			snprintf(addr, sizeof(addr), "tel:+%s", digits);
			strset(&c->leg[1].address, addr);
		} else
			strset(&c->leg[1].address, to);
	}
	if (!user_subscribed(u)) {
		c->leg[1].rpc = ws_rpc_find(u);
		snprintf(c->leg[1].rpc_callid, sizeof(c->leg[1].rpc_callid),
		    "%s", c->leg[1].sid);
	}
	log_info("call %u: incoming %s -> %s", c->id, c->leg[0].address,
	    u->name);
	leg_event(c, 1, LEV_INVITE);
	return (c);
}

json_t *
call_json(struct call *c)
{
	json_t		*o, *legs, *l;
	int		 i;

	legs = json_array();
	for (i = 0; i < 2; i++) {
		l = json_pack("{s:s, s:s, s:s}", "kind",
		    c->leg[i].kind == LEG_SIM ? "sim" : "user",
		    "session", c->leg[i].sid, "address",
		    c->leg[i].address ? c->leg[i].address : "");
		if (l == NULL)
			continue;
		if (c->leg[i].user != NULL) {
			json_object_set_new(l, "user",
			    json_string(c->leg[i].user->name));
			json_object_set_new(l, "dialect", json_string(
			    c->leg[i].rpc ? "wsrpc" : "cpaas"));
		}
		if (c->leg[i].rpc != NULL)
			json_object_set_new(l, "call_id",
			    json_string(c->leg[i].rpc_callid));
		json_array_append_new(legs, l);
	}
	o = json_pack("{s:i, s:s, s:o, s:I, s:I, s:I, s:i, s:s}",
	    "id", c->id, "state", state_names[c->state], "legs", legs,
	    "created_ms", (json_int_t)c->t_created,
	    "answered_ms", (json_int_t)c->t_answered,
	    "ended_ms", (json_int_t)c->t_ended, "cause", c->cause,
	    "reason", c->reason);
	if (o == NULL)
		return (json_object());
	if (c->media_mode != NULL)
		json_object_set_new(o, "media_mode",
		    json_string(c->media_mode));
	if (c->media != NULL && simmedia->stats != NULL)
		json_object_set_new(o, "media", simmedia->stats(c->media));
	return (o);
}

void
calls_reset(void)
{
	struct call	*c;

	TAILQ_FOREACH(c, &calls, entry)
		call_end(c, -1, "Reset", 503);
	while ((c = TAILQ_FIRST(&calls)) != NULL)
		call_free(c);
}

/* A wsrpc connection went away: its calls end as if it hung up. */
void
call_leg_gone(struct wsconn *ws)
{
	struct call	*c;
	int		 i;

	TAILQ_FOREACH(c, &calls, entry)
		for (i = 0; i < 2; i++)
			if (c->leg[i].rpc == ws) {
				call_end(c, i, NULL, 200);
				c->leg[i].rpc = NULL;
				c->leg[i].user = NULL;
			}
}

static struct call *
rpc_find(struct wsconn *ws, const char *callid, int *idx)
{
	struct call	*c;
	int		 i;

	TAILQ_FOREACH(c, &calls, entry) {
		if (c->state == CALL_ENDED)
			continue;
		for (i = 0; i < 2; i++)
			if (c->leg[i].rpc == ws &&
			    strcmp(c->leg[i].rpc_callid, callid) == 0) {
				*idx = i;
				return (c);
			}
	}
	return (NULL);
}

struct call *
call_rpc_make(struct user *u, struct wsconn *ws, const char *callid,
    const char *dest, const char *sdp, char *err, size_t errlen)
{
	struct call	*c;
	int		 i;

	if (!sdp_ok(sdp) || dest == NULL || *dest == '\0' ||
	    strlen(dest) > 256 || (callid != NULL &&
	    strlen(callid) >= SIM_ID_MAX)) {
		snprintf(err, errlen, "invalid params");
		return (NULL);
	}
	if (callid != NULL && rpc_find(ws, callid, &i) != NULL) {
		snprintf(err, errlen, "callId in use");
		return (NULL);
	}
	if ((c = call_new()) == NULL) {
		snprintf(err, errlen, "too many calls");
		return (NULL);
	}
	user_leg(&c->leg[0], u, NULL);
	c->leg[0].rpc = ws;
	snprintf(c->leg[0].rpc_callid, sizeof(c->leg[0].rpc_callid), "%s",
	    callid ? callid : c->leg[0].sid);
	c->offer = xstrdup(sdp);
	call_route(c, dest);
	log_info("call %u: %s -> %s (wsrpc)", c->id, u->name, dest);
	return (c);
}

int
call_rpc_answer(struct wsconn *ws, const char *callid, const char *sdp)
{
	struct call	*c;
	int		 i;

	if (callid == NULL || !sdp_ok(sdp) ||
	    (c = rpc_find(ws, callid, &i)) == NULL)
		return (-1);
	if (i == 1 && c->state != CALL_CONNECTED) {
		strset(&c->answer, sdp);
		call_connected(c);
		if (c->leg[0].kind == LEG_SIM)
			media_remote_answer(c, sdp);
		leg_event(c, 0, LEV_ACCEPTED);
	} else if (c->state == CALL_CONNECTED && c->update_from == !i) {
		strset(&c->answer, sdp);
		c->update_from = -1;
		leg_event(c, !i, LEV_ANSWER);
	} else
		return (-1);
	return (0);
}

int
call_rpc_ringing(struct wsconn *ws, const char *callid)
{
	struct call	*c;
	int		 i;

	if (callid == NULL || (c = rpc_find(ws, callid, &i)) == NULL)
		return (-1);
	if (i == 1 && c->state == CALL_CALLING) {
		c->state = CALL_RINGING;
		leg_event(c, 0, LEV_RINGING);
	}
	return (0);
}

int
call_rpc_end(struct wsconn *ws, const char *callid)
{
	struct call	*c;
	int		 i;

	if (callid == NULL || (c = rpc_find(ws, callid, &i)) == NULL)
		return (-1);
	call_end(c, i, NULL, i == 1 && c->state != CALL_CONNECTED ?
	    603 : 200);
	return (0);
}
