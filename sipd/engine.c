/*
 * sipd's SIP engine: sofia-sip's transaction layer (nta) on the
 * configured listeners, the dispatch of out-of-dialog requests, OPTIONS,
 * and digest authentication with the verdict coming from the parent.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sofia-sip/su_log.h>
#include <sofia-sip/msg.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/auth_digest.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/tport.h>

#include "log.h"
#include "engine.h"

static int	sipd_request(nta_leg_magic_t *, nta_leg_t *, nta_incoming_t *,
		    const sip_t *);
static void	sipd_tick(su_root_magic_t *, su_timer_t *, su_timer_arg_t *);
static void	sipd_sofia_log(void *, const char *, va_list);

void
sipd_config_defaults(struct sipd_config *c)
{
	memset(c, 0, sizeof(*c));
	strlcpy(c->realm, "kandy-bridge", sizeof(c->realm));
	c->reg_min_expires = 60;
	c->reg_max_expires = 3600;
	c->reg_default_expires = 600;
	c->nonce_maxage = 300;
	c->invite_auth = 0;
	c->ban_failures = 10;
	c->ban_window = 60;
	c->ban_time = 300;
	c->digest_md5 = 1;
	c->digest_sha256 = 1;
	c->noanswer_timeout = 180;
	c->session_expires = 1800;
	c->min_se = 90;
}

/*
 * The engine without listeners: made before the sandbox, since sofia's
 * agent and resolver open files as they start.
 */
struct sipd *
sipd_new(su_root_t *root, const struct sipd_backend *be)
{
	struct sipd	*sd;

	if ((sd = calloc(1, sizeof(*sd))) == NULL)
		return (NULL);
	su_home_init(sd->home);
	sd->root = root;
	sipd_config_defaults(&sd->conf);
	sd->be = *be;
	TAILQ_INIT(&sd->pending);
	TAILQ_INIT(&sd->regs);
	TAILQ_INIT(&sd->reg_waits);
	TAILQ_INIT(&sd->calls);
	sd->next_auth = 1;

	sipd_tls_init();
	/* sofia logs through ours, at debug level only. */
	su_log_redirect(NULL, sipd_sofia_log, NULL);

	if ((sd->nonces = nonce_store_new(sd->conf.nonce_maxage, 4096)) ==
	    NULL || (sd->bans = ban_new(sd->conf.ban_failures,
	    sd->conf.ban_window, sd->conf.ban_time)) == NULL) {
		log_warnx("sipd: out of memory");
		goto fail;
	}
	/*
	 * Responses go back to the source port whether or not the client
	 * asked with rport: the PBX is often behind NAT.
	 */
	sd->agent = nta_agent_create(root, (url_string_t *)-1, NULL, NULL,
	    NTATAG_UA(1), NTATAG_SERVER_RPORT(2), NTATAG_CANCEL_487(1),
	    NTATAG_MAXSIZE(65536),
	    /* P-Asserted-Identity and Remote-Party-ID parsed by sofia. */
	    NTATAG_MCLASS(sip_extend_mclass(NULL)),
	    /* Keep the raw header text: sipd_request_strict() reads it. */
	    NTATAG_SIPFLAGS(MSG_DO_CANONIC | MSG_DO_EXTRACT_COPY),
	    TAG_END());
	if (sd->agent == NULL) {
		log_warnx("sipd: cannot create the SIP agent");
		goto fail;
	}
	sd->leg = nta_leg_tcreate(sd->agent, sipd_request,
	    (nta_leg_magic_t *)sd, NTATAG_NO_DIALOG(1), TAG_END());
	if (sd->leg == NULL) {
		log_warnx("sipd: cannot create the default leg");
		goto fail;
	}
	sd->tick = su_timer_create(su_root_task(root), 1000);
	if (sd->tick == NULL || su_timer_run(sd->tick, sipd_tick,
	    (su_timer_arg_t *)sd) == -1) {
		log_warnx("sipd: cannot start the timer");
		goto fail;
	}
	return (sd);
 fail:
	sipd_destroy(sd);
	return (NULL);
}

/* The first configuration binds the listeners; later ones keep them. */
int
sipd_configure(struct sipd *sd, const struct sipd_config *conf)
{
	int	 i;

	if (sd->listening) {
		sipd_reconfigure(sd, conf);
		return (0);
	}
	if (conf->nlisten == 0) {
		log_warnx("sipd: nothing to listen on");
		return (-1);
	}
	for (i = 0; i < conf->nlisten; i++) {
		if (nta_agent_add_tport(sd->agent,
		    URL_STRING_MAKE(conf->listen[i]), TAG_END()) == -1) {
			log_warnx("sipd: cannot listen on %s", conf->listen[i]);
			return (-1);
		}
		log_info("sipd: listening on %s", conf->listen[i]);
	}
	sd->listening = 1;
	sd->conf.nlisten = 0;	/* so that reconfigure takes the new list */
	memcpy(sd->conf.listen, conf->listen, sizeof(conf->listen));
	sd->conf.nlisten = conf->nlisten;
	sipd_reconfigure(sd, conf);
	return (0);
}

struct sipd *
sipd_create(su_root_t *root, const struct sipd_config *conf,
    const struct sipd_backend *be)
{
	struct sipd	*sd;

	if ((sd = sipd_new(root, be)) == NULL)
		return (NULL);
	if (sipd_configure(sd, conf) == -1) {
		sipd_destroy(sd);
		return (NULL);
	}
	return (sd);
}

/* A new configuration, listeners excepted: they stay as bound. */
void
sipd_reconfigure(struct sipd *sd, const struct sipd_config *conf)
{
	struct sipd_config	 old = sd->conf;

	sd->conf = *conf;
	memcpy(sd->conf.listen, old.listen, sizeof(old.listen));
	sd->conf.nlisten = old.nlisten;
	if (sd->conf.reg_max_expires < sd->conf.reg_min_expires)
		sd->conf.reg_max_expires = sd->conf.reg_min_expires;
	nonce_store_set_maxage(sd->nonces, sd->conf.nonce_maxage);
	ban_free(sd->bans);
	if ((sd->bans = ban_new(sd->conf.ban_failures, sd->conf.ban_window,
	    sd->conf.ban_time)) == NULL)
		fatalx("sipd: out of memory");
	if (memcmp(old.listen, conf->listen, sizeof(old.listen)) != 0 ||
	    old.nlisten != conf->nlisten)
		log_warnx("sipd: listener changes need a restart of sipd");
}

/*
 * SIP transactions nta holds, ours to answer (in) and ours sent (out),
 * finished ones included until their timers run out.  A count that grows
 * with no traffic is a transaction nobody destroyed.
 */
void
sipd_transactions(struct sipd *sd, size_t *in, size_t *out)
{
	usize_t	 irq = 0, orq = 0;

	nta_agent_get_stats(sd->agent, NTATAG_S_IRQ_HASH_USED_REF(irq),
	    NTATAG_S_ORQ_HASH_USED_REF(orq), TAG_END());
	*in = irq;
	*out = orq;
}

/* RFC 3261's T1 and T4 in ms; tests shorten them. */
void
sipd_timers(struct sipd *sd, unsigned int t1, unsigned int t4)
{
	nta_agent_set_params(sd->agent, NTATAG_SIP_T1(t1),
	    NTATAG_SIP_T1X64(64 * t1), NTATAG_SIP_T4(t4), TAG_END());
}

void
sipd_destroy(struct sipd *sd)
{
	struct sipd_pending	*p;

	if (sd == NULL)
		return;
	if (sd->tick != NULL)
		su_timer_destroy(sd->tick);
	call_free_all(sd);
	registrar_free(sd);
	while ((p = TAILQ_FIRST(&sd->pending)) != NULL) {
		TAILQ_REMOVE(&sd->pending, p, entry);
		nta_incoming_treply(p->irq, SIP_503_SERVICE_UNAVAILABLE,
		    TAG_END());
		nta_incoming_destroy(p->irq);
		free(p);
	}
	if (sd->leg != NULL)
		nta_leg_destroy(sd->leg);
	if (sd->agent != NULL)
		nta_agent_destroy(sd->agent);
	nonce_store_free(sd->nonces);
	ban_free(sd->bans);
	su_home_deinit(sd->home);
	free(sd);
}

static void
sipd_sofia_log(void *stream, const char *fmt, va_list ap)
{
	char	 buf[512];
	size_t	 len;

	if (log_getverbose() < 2)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	len = strlen(buf);
	if (len > 0 && buf[len - 1] == '\n')
		buf[len - 1] = '\0';
	log_debug("sofia: %s", buf);
}

const char *
sipd_addrstr(const struct sockaddr *sa, char *buf, size_t len)
{
	char		 host[INET6_ADDRSTRLEN];
	const void	*a;
	uint16_t	 port;

	if (sa->sa_family == AF_INET) {
		a = &((const struct sockaddr_in *)sa)->sin_addr;
		port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
		inet_ntop(AF_INET, a, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, port);
	} else if (sa->sa_family == AF_INET6) {
		a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
		inet_ntop(AF_INET6, a, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, port);
	} else
		strlcpy(buf, "?", len);
	return (buf);
}

int
sipd_request_source(nta_incoming_t *irq, struct sockaddr_storage *ss,
    int *proto)
{
	msg_t		*msg;
	su_addrinfo_t	*ai;
	tport_t		*tp;
	socklen_t	 len = sizeof(*ss);
	int		 rv = -1;

	memset(ss, 0, sizeof(*ss));
	if ((msg = nta_incoming_getrequest(irq)) == NULL)
		return (-1);
	if (msg_get_address(msg, (su_sockaddr_t *)ss, &len) == 0) {
		ai = msg_addrinfo(msg);
		*proto = ai != NULL ? ai->ai_protocol : IPPROTO_UDP;
		rv = 0;
	}
	/* TLS is TCP to the socket layer: the transport knows. */
	if (rv == 0 && (tp = nta_incoming_transport(NULL, irq, NULL)) !=
	    NULL) {
		if (tport_has_tls(tp))
			*proto = SIPD_TLS;
		tport_unref(tp);
	}
	msg_destroy(msg);
	return (rv);
}

int
sipd_can_take_calls(struct sipd *sd)
{
	if (sd->conf.max_calls != 0 && sd->ncalls >= sd->conf.max_calls)
		return (0);
	if (sd->be.can_take_calls != NULL &&
	    !sd->be.can_take_calls(sd->be.arg))
		return (0);
	return (1);
}

static int
sipd_options(struct sipd *sd, nta_incoming_t *irq)
{
	if (!sipd_can_take_calls(sd)) {
		nta_incoming_treply(irq, SIP_503_SERVICE_UNAVAILABLE,
		    SIPTAG_RETRY_AFTER_STR(SIPD_RETRY_AFTER),
		    SIPTAG_ALLOW_STR(SIPD_ALLOW), TAG_END());
		return (503);
	}
	nta_incoming_treply(irq, SIP_200_OK,
	    SIPTAG_ALLOW_STR(SIPD_ALLOW),
	    SIPTAG_ACCEPT_STR("application/sdp"),
	    SIPTAG_SUPPORTED_STR(SIPD_SUPPORTED),
	    TAG_END());
	return (200);
}

/*
 * Out-of-dialog requests.  Returning a status makes nta answer with it;
 * after nta_incoming_treply() the return value only has to be >= 200.
 */
static int
sipd_request(nta_leg_magic_t *magic, nta_leg_t *leg, nta_incoming_t *irq,
    const sip_t *sip)
{
	struct sipd		*sd = (struct sipd *)magic;
	struct sockaddr_storage	 src;
	char			 buf[INET6_ADDRSTRLEN + 8];
	const char		*why;
	int			 proto;

	if (sipd_request_source(irq, &src, &proto) == -1)
		return (500);
	if (ban_check(sd->bans, (struct sockaddr *)&src, time(NULL)))
		return (403);
	if (!acl_allowed(sd->conf.nets, sd->conf.nnets,
	    (struct sockaddr *)&src)) {
		log_debug("%s: %s from a source not allowed",
		    sipd_addrstr((struct sockaddr *)&src, buf, sizeof(buf)),
		    sip->sip_request->rq_method_name);
		ban_fail(sd->bans, (struct sockaddr *)&src, time(NULL));
		return (403);
	}
	if (!sipd_request_strict(sip, &why)) {
		log_debug("%s: %s: %s",
		    sipd_addrstr((struct sockaddr *)&src, buf, sizeof(buf)),
		    sip->sip_request->rq_method_name, why);
		if (sip->sip_request->rq_method == sip_method_ack)
			return (200);	/* never answered */
		nta_incoming_treply(irq, 400, why, TAG_END());
		return (400);
	}
	switch (sip->sip_request->rq_method) {
	case sip_method_options:
		return (sipd_options(sd, irq));
	case sip_method_register:
		return (registrar_request(sd, irq, sip,
		    (struct sockaddr *)&src, proto));
	case sip_method_invite:
		return (call_invite(sd, irq, sip, (struct sockaddr *)&src));
	case sip_method_ack:
		return (0);	/* stray: nothing to acknowledge */
	case sip_method_bye:
	case sip_method_cancel:
	case sip_method_info:
	case sip_method_update:
		return (481);
	default:
		nta_incoming_treply(irq, SIP_405_METHOD_NOT_ALLOWED,
		    SIPTAG_ALLOW_STR(SIPD_ALLOW), TAG_END());
		return (405);
	}
}

/* 401 or 407 with an MD5 and a SHA-256 challenge on one fresh nonce. */
void
sipd_challenge(struct sipd *sd, nta_incoming_t *irq, int proxy, int stale)
{
	char		 nonce[DIGEST_NONCELEN], md5[512], sha[512];
	const char	*first, *second;
	int		 use_md5, use_sha;

	if (nonce_make(sd->nonces, time(NULL), nonce) == -1) {
		nta_incoming_treply(irq, SIP_500_INTERNAL_SERVER_ERROR,
		    TAG_END());
		return;
	}
	snprintf(md5, sizeof(md5), "Digest realm=\"%s\", nonce=\"%s\", "
	    "algorithm=MD5, qop=\"auth\"%s", sd->conf.realm, nonce,
	    stale ? ", stale=true" : "");
	snprintf(sha, sizeof(sha), "Digest realm=\"%s\", nonce=\"%s\", "
	    "algorithm=SHA-256, qop=\"auth\"%s", sd->conf.realm, nonce,
	    stale ? ", stale=true" : "");
	/* Only what the parent can check; with neither, MD5 says why. */
	use_md5 = sd->conf.digest_md5 || !sd->conf.digest_sha256;
	use_sha = sd->conf.digest_sha256;
	/* Clients that read only the first challenge mostly know MD5. */
	if (use_md5 && use_sha) {
		first = sd->conf.prefer_sha256 ? sha : md5;
		second = sd->conf.prefer_sha256 ? md5 : sha;
	} else {
		first = use_sha ? sha : md5;
		second = NULL;
	}
	if (proxy)
		nta_incoming_treply(irq, SIP_407_PROXY_AUTH_REQUIRED,
		    SIPTAG_PROXY_AUTHENTICATE_STR(first),
		    TAG_IF(second != NULL,
		    SIPTAG_PROXY_AUTHENTICATE_STR(second)), TAG_END());
	else
		nta_incoming_treply(irq, SIP_401_UNAUTHORIZED,
		    SIPTAG_WWW_AUTHENTICATE_STR(first),
		    TAG_IF(second != NULL,
		    SIPTAG_WWW_AUTHENTICATE_STR(second)), TAG_END());
}

/* The Digest credentials for our realm, if the request has any. */
static const msg_auth_t *
find_credentials(struct sipd *sd, const sip_t *sip, int proxy)
{
	const msg_auth_t	*au;
	const char		*realm;
	char			 buf[SIPD_NAMELEN + 2];

	au = proxy ? sip->sip_proxy_authorization : sip->sip_authorization;
	snprintf(buf, sizeof(buf), "\"%s\"", sd->conf.realm);
	for (; au != NULL; au = au->au_next) {
		/* sofia's digest parser asserts on a NULL parameter list. */
		if (au->au_scheme == NULL || au->au_params == NULL ||
		    strcasecmp(au->au_scheme, "Digest") != 0)
			continue;
		realm = msg_params_find(au->au_params, "realm=");
		if (realm != NULL && (strcmp(realm, buf) == 0 ||
		    strcmp(realm, sd->conf.realm) == 0))
			return (au);
	}
	return (NULL);
}

/*
 * Check what can be checked here (nonce, replay, form) and ask the
 * parent about the rest.  Answers the request itself unless it returns
 * AUTH_PENDING.
 */
enum sipd_auth
sipd_authenticate(struct sipd *sd, nta_incoming_t *irq, const sip_t *sip,
    const struct sockaddr *src, int proxy, sipd_auth_done done, void *arg)
{
	const msg_auth_t	*au;
	auth_response_t		 ar;
	struct digest_params	 dp;
	struct sipd_pending	*p;
	su_home_t		 home[1] = { SU_HOME_INIT(home) };
	enum nonce_state	 st;
	enum digest_alg		 alg;
	uint32_t		 nc = 0;
	char			 buf[INET6_ADDRSTRLEN + 8];
	time_t			 now = time(NULL);

	if ((au = find_credentials(sd, sip, proxy)) == NULL) {
		sipd_challenge(sd, irq, proxy, 0);
		return (AUTH_ANSWERED);
	}
	memset(&ar, 0, sizeof(ar));
	ar.ar_size = sizeof(ar);
	if (auth_digest_response_get(home, &ar, au->au_params) < 0 ||
	    ar.ar_username == NULL || ar.ar_nonce == NULL ||
	    ar.ar_uri == NULL || ar.ar_response == NULL ||
	    digest_alg_parse(ar.ar_algorithm, &alg) == -1 ||
	    (alg != DIGEST_MD5 && alg != DIGEST_SHA256) ||
	    (alg == DIGEST_MD5 && !sd->conf.digest_md5 &&
	    sd->conf.digest_sha256) ||
	    (alg == DIGEST_SHA256 && !sd->conf.digest_sha256) ||
	    (ar.ar_qop != NULL && strcasecmp(ar.ar_qop, "auth") != 0) ||
	    (ar.ar_qop != NULL && (ar.ar_cnonce == NULL ||
	    nonce_parse_nc(ar.ar_nc, &nc) == -1))) {
		log_debug("%s: malformed digest credentials",
		    sipd_addrstr(src, buf, sizeof(buf)));
		nta_incoming_treply(irq, SIP_400_BAD_REQUEST, TAG_END());
		su_home_deinit(home);
		return (AUTH_ANSWERED);
	}
	st = nonce_check(sd->nonces, ar.ar_nonce, nc, now);
	if (st != NONCE_OK) {
		log_debug("%s: nonce %s", sipd_addrstr(src, buf, sizeof(buf)),
		    nonce_state_name(st));
		sipd_challenge(sd, irq, proxy, st == NONCE_STALE);
		su_home_deinit(home);
		return (AUTH_ANSWERED);
	}
	if (sd->conf.auth_user[0] != '\0' &&
	    strcmp(ar.ar_username, sd->conf.auth_user) != 0) {
		log_debug("%s: unknown user",
		    sipd_addrstr(src, buf, sizeof(buf)));
		if (ban_fail(sd->bans, src, now) < 2)
			sipd_challenge(sd, irq, proxy, 0);
		else
			nta_incoming_treply(irq, SIP_403_FORBIDDEN, TAG_END());
		su_home_deinit(home);
		return (AUTH_ANSWERED);
	}

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		nta_incoming_treply(irq, SIP_500_INTERNAL_SERVER_ERROR,
		    TAG_END());
		su_home_deinit(home);
		return (AUTH_ANSWERED);
	}
	p->id = sd->next_auth++;
	p->irq = irq;
	p->done = done;
	p->arg = arg;
	p->proxy = proxy;
	memcpy(&p->src, src, src->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	strlcpy(p->user, ar.ar_username, sizeof(p->user));
	strlcpy(p->nonce, ar.ar_nonce, sizeof(p->nonce));
	p->nc = nc;
	p->started = now;
	TAILQ_INSERT_TAIL(&sd->pending, p, entry);

	memset(&dp, 0, sizeof(dp));
	dp.alg = alg;
	dp.username = ar.ar_username;
	dp.realm = sd->conf.realm;
	dp.nonce = ar.ar_nonce;
	dp.nc = ar.ar_qop != NULL ? ar.ar_nc : NULL;
	dp.cnonce = ar.ar_qop != NULL ? ar.ar_cnonce : NULL;
	dp.qop = ar.ar_qop != NULL ? "auth" : NULL;
	dp.method = sip->sip_request->rq_method_name;
	dp.uri = ar.ar_uri;
	dp.response = ar.ar_response;
	sd->be.verify_digest(sd->be.arg, p->id, &dp);
	su_home_deinit(home);
	return (AUTH_PENDING);
}

/* Wrong credentials: one more chance with a fresh challenge, then 403. */
void
sipd_auth_failed(struct sipd *sd, struct sipd_pending *p)
{
	char	 buf[INET6_ADDRSTRLEN + 8];
	int	 n;

	n = ban_fail(sd->bans, (struct sockaddr *)&p->src, time(NULL));
	log_info("%s: wrong credentials for %s",
	    sipd_addrstr((struct sockaddr *)&p->src, buf, sizeof(buf)),
	    p->user);
	if (n < 2)
		sipd_challenge(sd, p->irq, p->proxy, 0);
	else
		nta_incoming_treply(p->irq, SIP_403_FORBIDDEN, TAG_END());
}

void
sipd_auth_result(struct sipd *sd, uint64_t id, int ok)
{
	struct sipd_pending	*p;

	TAILQ_FOREACH(p, &sd->pending, entry)
		if (p->id == id)
			break;
	if (p == NULL) {
		log_debug("sipd: verdict for unknown request %llu",
		    (unsigned long long)id);
		return;
	}
	TAILQ_REMOVE(&sd->pending, p, entry);
	/* The nonce-count must still be new: commit it only now. */
	if (ok && nonce_commit(sd->nonces, p->nonce, p->nc, time(NULL)) !=
	    NONCE_OK) {
		sipd_challenge(sd, p->irq, p->proxy, 0);
		p->done(sd, p, -1);
	} else {
		if (ok)
			ban_success(sd->bans, (struct sockaddr *)&p->src);
		else
			sipd_auth_failed(sd, p);
		p->done(sd, p, ok);
	}
	free(p);
}

static void
sipd_tick(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	struct sipd		*sd = (struct sipd *)arg;
	struct sipd_pending	*p, *next;
	time_t			 now = time(NULL);

	for (p = TAILQ_FIRST(&sd->pending); p != NULL; p = next) {
		next = TAILQ_NEXT(p, entry);
		if (now - p->started < SIPD_AUTH_TIMEOUT)
			continue;
		log_warnx("sipd: no verdict on credentials for %s", p->user);
		TAILQ_REMOVE(&sd->pending, p, entry);
		nta_incoming_treply(p->irq, SIP_503_SERVICE_UNAVAILABLE,
		    SIPTAG_RETRY_AFTER_STR(SIPD_RETRY_AFTER), TAG_END());
		p->done(sd, p, -1);
		free(p);
	}
	ban_expire(sd->bans, now);
	registrar_tick(sd, now);
	call_tick(sd, now);
}
