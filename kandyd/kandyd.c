/*
 * kandyd: the Kandy side of kandy-bridge; see bridged(8).  It holds the
 * Kandy credentials it receives from the parent and reads no files.  For
 * now it takes its configuration and resolves the Kandy host through the
 * parent; the API client comes next.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "cfg.h"
#include "child.h"
#include "log.h"
#include "kandyd.h"

static struct child_ctx	 ctx;
static struct cfg_kandy	 kcfg;
static char		*ksecret;
static char		*kca;		/* PEM trust anchors, from the parent */
static size_t		 kcalen;
static struct lws_context *klc;
static struct kandy_client *kclient;
static uint32_t		 resolve_id;
static char		 kaddr[INET6_ADDRSTRLEN];
static int		 configured;

static void
kandyd_cfg_done(struct child_ctx *c, uint32_t gen)
{
	log_debug("configuration %u: %s as %s, trust anchors %zu bytes", gen,
	    kcfg.url, *kcfg.user ? kcfg.user : kcfg.client_id, kcalen);
	configured = 1;
	if (kcfg.host[0] == '\0')
		return;
	/* The chroot has no resolver: the parent looks the host up. */
	child_send(c, PROC_PARENT, IMSG_RESOLVE, 0, -1, ++resolve_id,
	    kcfg.host, "");
}

static void
kandyd_client_event(struct kandy_client *kc, enum kc_event ev,
    const struct kandy_notify *n, void *arg)
{
	switch (ev) {
	case KC_EV_READY:
		log_info("kandy: ready as %s", kandy_client_user(kc));
		break;
	case KC_EV_DOWN:
		log_warnx("kandy: not ready");
		break;
	case KC_EV_TURN:
		log_debug("kandy: new TURN credentials");
		break;
	case KC_EV_NOTIFY:
		/* Call handling comes with the sipd and mediad messages. */
		log_info("kandy: %s for session %s", kandy_ntype_name(n->type),
		    n->session_id);
		break;
	}
}

/* Once the context and an address exist: bring the Kandy side up. */
static void
kandyd_client_start(void)
{
	struct kandy_client_conf	 conf;

	if (kclient != NULL || klc == NULL || kaddr[0] == '\0')
		return;
	if (kcfg.dialect != 0) {
		log_warnx("kandy: only the cpaas dialect is implemented");
		return;
	}
	if (kcfg.path[0] != '\0')
		log_warnx("kandy: url path %s ignored: the API is at the root",
		    kcfg.path);
	memset(&conf, 0, sizeof(conf));
	strlcpy(conf.ep.host, kcfg.host, sizeof(conf.ep.host));
	strlcpy(conf.ep.address, kaddr, sizeof(conf.ep.address));
	conf.ep.port = kcfg.port ? kcfg.port : 443;
	/* The parent sends a user name only with the password grant. */
	conf.grant = kcfg.user[0] != '\0' ? GRANT_PASSWORD :
	    GRANT_CLIENT_CREDENTIALS;
	strlcpy(conf.client_id, kcfg.client_id, sizeof(conf.client_id));
	strlcpy(conf.username, kcfg.user, sizeof(conf.username));
	conf.secret = ksecret;
	snprintf(conf.correlator, sizeof(conf.correlator), "kandy-bridge-%.40s",
	    kcfg.client_id);
	if ((kclient = kandy_client_new(klc, &conf, kandyd_client_event,
	    NULL)) == NULL) {
		log_warnx("kandy: cannot make the client");
		return;
	}
	kandy_client_start(kclient);
}

static void
kandyd_resolved(struct ipc_msg *m)
{
	struct sockaddr_storage	 ss;
	const char		*why;
	char			 buf[INET6_ADDRSTRLEN];
	uint32_t		 id, error;
	const void		*a;

	switch (m->hdr.type) {
	case IMSG_RESOLVE_ADDR:
		ipc_unpack(m, &id, &ss);
		if (ss.ss_family == AF_INET)
			a = &((struct sockaddr_in *)&ss)->sin_addr;
		else
			a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
		if (inet_ntop(ss.ss_family, a, buf, sizeof(buf)) != NULL) {
			log_info("kandy host %s has address %s", kcfg.host,
			    buf);
			if (kaddr[0] == '\0')
				strlcpy(kaddr, buf, sizeof(kaddr));
		}
		break;
	case IMSG_RESOLVE_DONE:
		ipc_unpack(m, &id, &error, &why);
		if (error != 0)
			log_warnx("kandy host %s: %s", kcfg.host, why);
		kandyd_client_start();
		break;
	}
}

static void
kandyd_show(struct child_ctx *c, uint64_t ctl)
{
	child_send(c, PROC_PARENT, IMSG_CTL_KANDY, ctl, -1, "url", kcfg.url);
	child_send(c, PROC_PARENT, IMSG_CTL_KANDY, ctl, -1, "address",
	    kaddr[0] ? kaddr : "unresolved");
	child_send(c, PROC_PARENT, IMSG_CTL_KANDY, ctl, -1, "account",
	    *kcfg.user ? kcfg.user : kcfg.client_id);
	child_send(c, PROC_PARENT, IMSG_CTL_KANDY, ctl, -1, "grant",
	    *kcfg.user ? "password" : "client credentials");
	child_send(c, PROC_PARENT, IMSG_CTL_KANDY, ctl, -1, "state",
	    kclient != NULL ? kc_state_name(kandy_client_state(kclient)) :
	    "not started");
	child_send(c, PROC_PARENT, IMSG_CTL_END, ctl, -1);
}

static void
kandyd_dispatch(struct child_ctx *c, enum kb_proc from, struct ipc_msg *m)
{
	const void	*blob;
	const char	*s;
	char		*p;
	size_t		 len;

	switch (m->hdr.type) {
	case IMSG_CFG_KANDY:
		if (kca != NULL)
			freezero(kca, kcalen);
		kca = NULL;
		kcalen = 0;
		ipc_unpack(m, &blob, &len);
		if (len != sizeof(kcfg))
			fatalx("CFG_KANDY of %zu bytes", len);
		memcpy(&kcfg, blob, sizeof(kcfg));
		cfg_terminate_kandy(&kcfg);
		break;
	case IMSG_CFG_KANDY_SECRET:
		ipc_unpack(m, &s);
		if (ksecret != NULL)
			freezero(ksecret, strlen(ksecret));
		if ((ksecret = strdup(s)) == NULL)
			fatal("strdup");
		break;
	case IMSG_CFG_KANDY_CA:
		ipc_unpack(m, &blob, &len);
		if (len > 1024 * 1024 || kcalen + len > 1024 * 1024)
			fatalx("trust anchors too large");
		if ((p = realloc(kca, kcalen + len + 1)) == NULL)
			fatal("realloc");
		kca = p;
		memcpy(kca + kcalen, blob, len);
		kcalen += len;
		kca[kcalen] = '\0';
		break;
	case IMSG_RESOLVE_ADDR:
	case IMSG_RESOLVE_DONE:
		kandyd_resolved(m);
		break;
	case IMSG_CTL_SHOW_KANDY:
		kandyd_show(c, m->hdr.call);
		break;
	default:
		log_warnx("unexpected %s from %s", ipc_typename(m->hdr.type),
		    proc_name(from));
		break;
	}
}

static int
kandyd_configured(struct child_ctx *c)
{
	return (configured);
}

/*
 * lws and OpenSSL read their configuration files when the context is
 * made: that happens before the chroot, once the parent's first
 * configuration is in.
 */
static struct lws_context *
kandyd_lws_context(void)
{
	static struct lws_protocols		 protocols[2];
	struct lws_context_creation_info	 info;
	struct lws_context			*lc;

	/* With trust anchors, the Kandy client's protocols come along. */
	if (kca != NULL && kcalen > 0) {
		kd_lws_log_init();
		if ((lc = kd_lws_create(kca, kcalen, &child_lws_protocol,
		    1)) == NULL)
			fatalx("cannot create the libwebsockets context");
		return (lc);
	}
	protocols[0] = child_lws_protocol;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.gid = -1;
	info.uid = -1;
	lws_set_log_level(LLL_ERR | LLL_WARN, NULL);
	if ((lc = lws_create_context(&info)) == NULL)
		fatalx("cannot create the libwebsockets context");
	return (lc);
}

int
main(int argc, char *argv[])
{
	struct child_opts	 opts;
	struct lws_context	*lc;
	struct lws_vhost	*vh;

	child_init(argc, argv, PROC_KANDYD, &opts);
	child_ctx_init(&ctx, PROC_KANDYD, &child_poll_ops, NULL,
	    kandyd_dispatch);
	ctx.cfg_done = kandyd_cfg_done;
	child_ctx_poll_until(&ctx, kandyd_configured);
	lc = klc = kandyd_lws_context();
	if ((vh = lws_get_vhost_by_name(lc, "default")) == NULL)
		fatalx("no libwebsockets vhost");
	child_drop(&opts);
	sandbox_kandyd();
	child_ctx_switch(&ctx, &child_lws_ops, vh);
	kandyd_client_start();
	for (;;)
		if (lws_service(lc, 0) < 0)
			break;
	lws_context_destroy(lc);
	return (0);
}
