/*
 * The registrar: the PBX registers here (digest-authenticated), and the
 * binding tells sipd where to send inbound calls.  One binding per
 * address of record; a newer contact replaces an older one, since one
 * trunk has one PBX.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/msg_header.h>

#include "log.h"
#include "engine.h"

#define REG_MAX	64

struct reg {
	TAILQ_ENTRY(reg)	 entry;
	struct sipd_binding_info info;
};

/* A REGISTER waiting for the verdict on its credentials. */
struct reg_job {
	struct sockaddr_storage	 src;
	int			 proto;
};

/* A REGISTER waiting for the Kandy account to sign in. */
struct reg_wait {
	TAILQ_ENTRY(reg_wait)	 entry;
	nta_incoming_t		*irq;
	struct sockaddr_storage	 src;
	int			 proto;
	time_t			 deadline;
};

const char *
reg_state_name(enum reg_state st)
{
	switch (st) {
	case REG_UNREGISTERED:
		return ("UNREGISTERED");
	case REG_CHALLENGED:
		return ("CHALLENGED");
	case REG_REGISTERED:
		return ("REGISTERED");
	}
	return ("?");
}

/* A binding's transport as in a SIP URI's transport parameter. */
const char *
sipd_transport_name(int transport)
{
	return (transport == SIPD_TLS ? "tls" : transport == IPPROTO_TCP ?
	    "tcp" : "udp");
}

static struct reg *
reg_find(struct sipd *sd, const char *aor, int create)
{
	struct reg	*r;
	int		 n = 0;

	TAILQ_FOREACH(r, &sd->regs, entry)
		if (strcmp(r->info.aor, aor) == 0)
			return (r);
	if (!create)
		return (NULL);
	/*
	 * A trunk has few PBXs: past the limit, unauthenticated records
	 * make room, oldest first; live bindings never do.
	 */
	TAILQ_FOREACH(r, &sd->regs, entry)
		n++;
	if (n >= REG_MAX) {
		TAILQ_FOREACH(r, &sd->regs, entry)
			if (r->info.state != REG_REGISTERED)
				break;
		if (r == NULL)
			return (NULL);
		TAILQ_REMOVE(&sd->regs, r, entry);
		free(r);
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return (NULL);
	strlcpy(r->info.aor, aor, sizeof(r->info.aor));
	r->info.state = REG_UNREGISTERED;
	r->info.since = time(NULL);
	TAILQ_INSERT_TAIL(&sd->regs, r, entry);
	return (r);
}

static void
reg_set_state(struct sipd *sd, struct reg *r, enum reg_state st)
{
	if (r->info.state == st)
		return;
	log_info("registration %s: %s -> %s", r->info.aor,
	    reg_state_name(r->info.state), reg_state_name(st));
	r->info.state = st;
	r->info.since = time(NULL);
	if (st != REG_REGISTERED) {
		r->info.contact[0] = '\0';
		r->info.expires = 0;
		r->info.expires_at = 0;
	}
	if (sd->be.registration != NULL)
		sd->be.registration(sd->be.arg, &r->info);
}

/* "sip:user@host" from the To header: the address of record. */
static int
reg_aor(const sip_t *sip, char *buf, size_t len)
{
	const url_t	*u;
	int		 n;

	if (sip->sip_to == NULL || (u = sip->sip_to->a_url) == NULL ||
	    u->url_host == NULL)
		return (-1);
	n = snprintf(buf, len, "%s:%s%s%s", u->url_type == url_sips ?
	    "sips" : "sip", u->url_user ? u->url_user : "",
	    u->url_user ? "@" : "", u->url_host);
	return (n < 0 || (size_t)n >= len ? -1 : 0);
}

/* The granted lifetime: contact's, else the header's, else default. */
static unsigned int
reg_expires(struct sipd *sd, const sip_t *sip, const sip_contact_t *m)
{
	unsigned long	 v;

	if (m != NULL && m->m_expires != NULL)
		v = strtoul(m->m_expires, NULL, 10);
	else if (sip->sip_expires != NULL)
		v = sip->sip_expires->ex_delta;
	else
		v = sd->conf.reg_default_expires;
	if (v == 0)
		return (0);
	if (v < sd->conf.reg_min_expires)
		v = sd->conf.reg_min_expires;
	if (v > sd->conf.reg_max_expires)
		v = sd->conf.reg_max_expires;
	return ((unsigned int)v);
}

static void
reg_reply_ok(struct sipd *sd, nta_incoming_t *irq, struct reg *r)
{
	char	 contact[SIPD_URLLEN + 32];

	if (r == NULL || r->info.state != REG_REGISTERED) {
		nta_incoming_treply(irq, SIP_200_OK, TAG_END());
		return;
	}
	snprintf(contact, sizeof(contact), "<%s>;expires=%u",
	    r->info.contact, r->info.expires);
	nta_incoming_treply(irq, SIP_200_OK, SIPTAG_CONTACT_STR(contact),
	    TAG_END());
}

/* Apply an authenticated REGISTER. */
static void
reg_apply(struct sipd *sd, nta_incoming_t *irq, const sip_t *sip,
    const char *user, const struct sockaddr *src, int proto)
{
	su_home_t		 home[1] = { SU_HOME_INIT(home) };
	const sip_contact_t	*m;
	struct reg		*r;
	char			 aor[SIPD_URLLEN], *uri;
	unsigned int		 expires;

	if (reg_aor(sip, aor, sizeof(aor)) == -1) {
		nta_incoming_treply(irq, 400, "Bad To", TAG_END());
		return;
	}
	r = reg_find(sd, aor, 0);
	m = sip->sip_contact;
	if (m == NULL) {
		/* A query: list the binding. */
		reg_reply_ok(sd, irq, r);
		return;
	}
	if (m->m_url->url_type == url_any) {
		/* "Contact: *" removes everything, with Expires: 0 only. */
		if (m->m_next != NULL || sip->sip_expires == NULL ||
		    sip->sip_expires->ex_delta != 0) {
			nta_incoming_treply(irq, 400, "Bad Wildcard", TAG_END());
			return;
		}
		if (r != NULL)
			reg_set_state(sd, r, REG_UNREGISTERED);
		reg_reply_ok(sd, irq, r);
		return;
	}
	if ((r = reg_find(sd, aor, 1)) == NULL) {
		nta_incoming_treply(irq, SIP_503_SERVICE_UNAVAILABLE,
		    TAG_END());
		return;
	}
	/* The last contact is the one kept; expires 0 removes it. */
	for (; m->m_next != NULL; m = m->m_next)
		;
	expires = reg_expires(sd, sip, m);
	if (expires == 0) {
		reg_set_state(sd, r, REG_UNREGISTERED);
		reg_reply_ok(sd, irq, r);
		return;
	}
	if ((uri = url_as_string(home, m->m_url)) == NULL ||
	    strlen(uri) >= sizeof(r->info.contact)) {
		nta_incoming_treply(irq, 400, "Bad Contact", TAG_END());
		su_home_deinit(home);
		return;
	}
	if (r->info.state == REG_REGISTERED &&
	    strcmp(r->info.contact, uri) != 0)
		log_info("registration %s: contact %s replaces %s", aor, uri,
		    r->info.contact);
	strlcpy(r->info.contact, uri, sizeof(r->info.contact));
	strlcpy(r->info.user, user, sizeof(r->info.user));
	memcpy(&r->info.src, src, src->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	r->info.transport = proto;
	r->info.expires = expires;
	r->info.expires_at = time(NULL) + expires;
	if (r->info.state != REG_REGISTERED)
		reg_set_state(sd, r, REG_REGISTERED);
	else if (sd->be.registration != NULL)
		sd->be.registration(sd->be.arg, &r->info);	/* refreshed */
	log_debug("registration %s: %s for %u s", aor, uri, expires);
	reg_reply_ok(sd, irq, r);
	su_home_deinit(home);
}

static void
reg_auth_done(struct sipd *sd, struct sipd_pending *p, int ok)
{
	struct reg_job	*job = p->arg;
	msg_t		*msg;
	sip_t		*sip;
	struct reg	*r;
	char		 aor[SIPD_URLLEN];

	msg = nta_incoming_getrequest(p->irq);
	sip = msg != NULL ? sip_object(msg) : NULL;
	if (ok == 1 && sip != NULL)
		reg_apply(sd, p->irq, sip, p->user,
		    (struct sockaddr *)&job->src, job->proto);
	else if (ok == 1)
		nta_incoming_treply(p->irq, SIP_500_INTERNAL_SERVER_ERROR,
		    TAG_END());
	else if (sip != NULL && reg_aor(sip, aor, sizeof(aor)) == 0 &&
	    (r = reg_find(sd, aor, 0)) != NULL &&
	    r->info.state == REG_UNREGISTERED)
		reg_set_state(sd, r, REG_CHALLENGED);
	if (msg != NULL)
		msg_destroy(msg);
	nta_incoming_destroy(p->irq);
	free(job);
}

static int
reg_wait(struct sipd *sd, nta_incoming_t *irq, const struct sockaddr *src,
    int proto)
{
	struct reg_wait	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return (-1);
	w->irq = irq;
	memcpy(&w->src, src, src->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	w->proto = proto;
	w->deadline = time(NULL) + SIPD_REGISTER_WAIT;
	TAILQ_INSERT_TAIL(&sd->reg_waits, w, entry);
	return (0);
}

/*
 * Asks again for the waiting REGISTERs, or answers 503 to those past
 * their deadline (now 0: ask again).  A request may wait again.
 */
static void
reg_waits_run(struct sipd *sd, time_t now)
{
	struct reg_wait_list	 list;
	struct reg_wait		*w, *again;
	msg_t			*msg;
	sip_t			*sip;
	int			 rv;

	TAILQ_INIT(&list);
	TAILQ_CONCAT(&list, &sd->reg_waits, entry);
	while ((w = TAILQ_FIRST(&list)) != NULL) {
		TAILQ_REMOVE(&list, w, entry);
		if (now != 0 && now < w->deadline) {
			TAILQ_INSERT_TAIL(&sd->reg_waits, w, entry);
			continue;
		}
		msg = nta_incoming_getrequest(w->irq);
		sip = msg != NULL ? sip_object(msg) : NULL;
		if (now != 0 || sip == NULL) {
			log_info("registration: the Kandy account is not "
			    "ready; 503");
			nta_incoming_treply(w->irq,
			    SIP_503_SERVICE_UNAVAILABLE,
			    SIPTAG_RETRY_AFTER_STR(SIPD_RETRY_AFTER),
			    TAG_END());
			rv = 503;
		} else
			rv = registrar_request(sd, w->irq, sip,
			    (struct sockaddr *)&w->src, w->proto);
		if (msg != NULL)
			msg_destroy(msg);
		/* Waiting again keeps the first deadline. */
		again = TAILQ_LAST(&sd->reg_waits, reg_wait_list);
		if (rv == 0 && again != NULL && again->irq == w->irq)
			again->deadline = w->deadline;
		/* 0: taken over again, by the auth step or a new wait. */
		if (rv != 0)
			nta_incoming_destroy(w->irq);
		free(w);
	}
}

void
sipd_registrations_retry(struct sipd *sd)
{
	reg_waits_run(sd, 0);
}

int
registrar_request(struct sipd *sd, nta_incoming_t *irq, const sip_t *sip,
    const struct sockaddr *src, int proto)
{
	struct reg_job	*job;
	struct reg	*r;
	char		 aor[SIPD_URLLEN], ra[16];
	int		 wait;

	if (reg_aor(sip, aor, sizeof(aor)) == -1)
		return (400);
	/*
	 * Without Kandy, 3CX should not believe the trunk is up: it then
	 * takes its next route.  While the account signs in, wait for it.
	 */
	if (sd->be.can_register != NULL &&
	    (wait = sd->be.can_register(sd->be.arg)) != 0) {
		if (wait < 0 && reg_wait(sd, irq, src, proto) == 0)
			return (0);
		snprintf(ra, sizeof(ra), "%d", wait > 0 ? wait :
		    SIPD_REGISTER_WAIT);
		nta_incoming_treply(irq, SIP_503_SERVICE_UNAVAILABLE,
		    SIPTAG_RETRY_AFTER_STR(ra), TAG_END());
		return (503);
	}
	if ((job = calloc(1, sizeof(*job))) == NULL)
		return (500);
	memcpy(&job->src, src, src->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	job->proto = proto;
	if (sipd_authenticate(sd, irq, sip, src, 0, reg_auth_done, job) ==
	    AUTH_PENDING)
		return (0);
	free(job);
	/* Challenged: a new registration is now CHALLENGED. */
	if (nta_incoming_status(irq) == 401 &&
	    (r = reg_find(sd, aor, 1)) != NULL &&
	    r->info.state == REG_UNREGISTERED)
		reg_set_state(sd, r, REG_CHALLENGED);
	return (nta_incoming_status(irq) >= 200 ?
	    nta_incoming_status(irq) : 500);
}

void
registrar_tick(struct sipd *sd, time_t now)
{
	struct reg	*r, *next;

	reg_waits_run(sd, now);
	for (r = TAILQ_FIRST(&sd->regs); r != NULL; r = next) {
		next = TAILQ_NEXT(r, entry);
		if (r->info.state == REG_REGISTERED &&
		    now >= r->info.expires_at) {
			log_info("registration %s: expired", r->info.aor);
			reg_set_state(sd, r, REG_UNREGISTERED);
		}
		/* Forget challenged or expired records after a while. */
		if (r->info.state != REG_REGISTERED &&
		    now - r->info.since > 3600) {
			TAILQ_REMOVE(&sd->regs, r, entry);
			free(r);
		}
	}
}

void
registrar_free(struct sipd *sd)
{
	struct reg	*r;
	struct reg_wait	*w;

	while ((w = TAILQ_FIRST(&sd->reg_waits)) != NULL) {
		TAILQ_REMOVE(&sd->reg_waits, w, entry);
		nta_incoming_treply(w->irq, SIP_503_SERVICE_UNAVAILABLE,
		    TAG_END());
		nta_incoming_destroy(w->irq);
		free(w);
	}
	while ((r = TAILQ_FIRST(&sd->regs)) != NULL) {
		TAILQ_REMOVE(&sd->regs, r, entry);
		free(r);
	}
}

void
sipd_registrations(struct sipd *sd,
    void (*cb)(void *, const struct sipd_binding_info *), void *arg)
{
	struct reg	*r;

	TAILQ_FOREACH(r, &sd->regs, entry)
		cb(arg, &r->info);
}

int
sipd_registered_contact(struct sipd *sd, char *buf, size_t len)
{
	struct reg	*r;

	TAILQ_FOREACH(r, &sd->regs, entry) {
		if (r->info.state == REG_REGISTERED) {
			strlcpy(buf, r->info.contact, len);
			return (0);
		}
	}
	return (-1);
}

/* The binding inbound calls go to: the most recently registered one. */
const struct sipd_binding_info *
registrar_binding(struct sipd *sd)
{
	const struct sipd_binding_info	*best = NULL;
	struct reg			*r;

	TAILQ_FOREACH(r, &sd->regs, entry)
		if (r->info.state == REG_REGISTERED &&
		    (best == NULL || r->info.since > best->since))
			best = &r->info;
	return (best);
}
