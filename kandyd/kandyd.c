/*
 * kandyd: the Kandy side of kandy-bridge; see bridged(8).  It holds the
 * Kandy credentials it receives from the parent and reads no files.  It
 * takes its configuration, trust anchors and the Kandy host's address
 * from the parent, then runs the account (account.c) and the calls
 * (calls.c) on one libwebsockets loop that also carries the IPC channels.
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
#include "daemon.h"

#define KD_CAMAX	(1024 * 1024)

struct child_ctx	 kd_ctx;
struct cfg_kandy	 kd_cfg;
const struct kd_dialect	*kd_dialect = &dialect_cpaas;
static char		*ksecret;
static char		*kca;		/* trust anchors being joined */
static size_t		 kcalen;
static int		 kca_done;	/* the last piece came */
static uint32_t		 resolve_id;
static char		 kaddr[INET6_ADDRSTRLEN];
static int		 configured;
static int		 resolving;
static int		 started;	/* the lws loop runs */

static void
kandyd_cfg_done(struct child_ctx *c, uint32_t gen)
{
	log_debug("configuration %u: %s as %s, trust anchors %zu bytes", gen,
	    kd_cfg.url, *kd_cfg.user ? kd_cfg.user : kd_cfg.client_id, kcalen);
	if (configured) {
		/* A reload: only the secret can change without a restart. */
		acct_reconfigure(ksecret);
		return;
	}
	configured = 1;
	if (kd_cfg.host[0] == '\0')
		return;
	/* The chroot has no resolver: the parent looks the host up. */
	resolving = 1;
	child_send(c, PROC_PARENT, IMSG_RESOLVE, 0, -1, ++resolve_id,
	    kd_cfg.host, "");
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
			log_info("kandy host %s has address %s", kd_cfg.host,
			    buf);
			if (kaddr[0] == '\0')
				strlcpy(kaddr, buf, sizeof(kaddr));
		}
		break;
	case IMSG_RESOLVE_DONE:
		ipc_unpack(m, &id, &error, &why);
		if (error != 0)
			log_warnx("kandy host %s: %s", kd_cfg.host, why);
		resolving = 0;
		break;
	}
}

static void
kandyd_show(struct child_ctx *c, uint64_t ctl)
{
	child_send(c, PROC_PARENT, IMSG_CTL_KANDY, ctl, -1, "address",
	    kaddr[0] ? kaddr : "unresolved");
	if (!kca_done)
		child_send(c, PROC_PARENT, IMSG_CTL_KANDY, ctl, -1, "tls",
		    "no trust anchors: Kandy unreachable");
	acct_show(c, ctl);
}

/* Trust anchors in pieces; the last ends in NUL. */
static void
kandyd_ca_piece(const void *blob, size_t len)
{
	char	*p;

	if (kca_done) {
		/* A reload sends them again: the first set stays. */
		if (len > 0 && ((const char *)blob)[len - 1] == '\0')
			log_debug("trust anchors: reload ignored");
		return;
	}
	if (len == 0 || kcalen + len > KD_CAMAX)
		fatalx("CFG_KANDY_CA: %zu bytes", kcalen + len);
	if ((p = realloc(kca, kcalen + len)) == NULL)
		fatal("realloc");
	kca = p;
	memcpy(kca + kcalen, blob, len);
	kcalen += len;
	if (kca[kcalen - 1] == '\0')
		kca_done = 1;
}

static void
kandyd_dispatch(struct child_ctx *c, enum kb_proc from, struct ipc_msg *m)
{
	const void	*blob;
	const char	*s;
	size_t		 len;

	switch (m->hdr.type) {
	case IMSG_CFG_KANDY:
		ipc_unpack(m, &blob, &len);
		if (len != sizeof(kd_cfg))
			fatalx("CFG_KANDY of %zu bytes", len);
		memcpy(&kd_cfg, blob, sizeof(kd_cfg));
		cfg_terminate_kandy(&kd_cfg);
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
		kandyd_ca_piece(blob, len);
		break;
	case IMSG_RESOLVE_ADDR:
	case IMSG_RESOLVE_DONE:
		kandyd_resolved(m);
		break;
	case IMSG_CTL_SHOW_KANDY:
		kandyd_show(c, m->hdr.call);
		break;
	case IMSG_CALL_OUT:
	case IMSG_CALL_RINGING:
	case IMSG_CALL_ANSWERED:
	case IMSG_CALL_END:
	case IMSG_MEDIA_WEBRTC_LOCAL:
	case IMSG_MEDIA_EVENT:
	case IMSG_CALL_UPDATE:
	case IMSG_CALL_LIVE:
	case IMSG_CALL_SYNC:
		if (started)
			calls_dispatch(from, m);
		else if (m->hdr.type == IMSG_CALL_OUT)
			child_send(c, PROC_SIPD, IMSG_CALL_END, m->hdr.call,
			    -1, 503U, 0U, "kandyd is starting");
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
	return (configured && !resolving);
}

static void
kandyd_peer_up(struct child_ctx *c, enum kb_proc p)
{
	if (started && p == PROC_MEDIAD)
		acct_mediad_up();
	if (p == PROC_SIPD)
		acct_trunk_report(1);
	if (started && p == PROC_SIPD)
		calls_sync();
}

static void
kandyd_peer_down(struct child_ctx *c, enum kb_proc p)
{
	if (started)
		calls_peer_down(p);
}

/*
 * lws and OpenSSL read their configuration files when the context is
 * made: that happens before the chroot, once the parent's first
 * configuration is in.  Without trust anchors there is no Kandy client,
 * only the IPC channels.
 */
static struct lws_context *
kandyd_lws_context(void)
{
	static struct lws_protocols		 protocols[2];
	struct lws_context_creation_info	 info;
	struct lws_context			*lc;

	kd_lws_log_init();
	if (kca_done) {
		lc = kd_lws_create(kca, kcalen, &child_lws_protocol, 1);
		if (lc == NULL)
			fatalx("cannot create the libwebsockets context");
		return (lc);
	}
	log_warnx("no trust anchors for Kandy: calls will get 503");
	protocols[0] = child_lws_protocol;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	info.gid = -1;
	info.uid = -1;
	if ((lc = lws_create_context(&info)) == NULL)
		fatalx("cannot create the libwebsockets context");
	return (lc);
}

static void
kandyd_endpoint(struct kd_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	strlcpy(ep->host, kd_cfg.host, sizeof(ep->host));
	strlcpy(ep->address, kaddr, sizeof(ep->address));
	ep->port = kd_cfg.port ? kd_cfg.port : 443;
}

int
main(int argc, char *argv[])
{
	struct child_opts	 opts;
	struct kd_endpoint	 ep;
	struct lws_context	*lc;
	struct lws_vhost	*vh;

	child_init(argc, argv, PROC_KANDYD, &opts);
	child_ctx_init(&kd_ctx, PROC_KANDYD, &child_poll_ops, NULL,
	    kandyd_dispatch);
	kd_ctx.cfg_done = kandyd_cfg_done;
	kd_ctx.peer_up = kandyd_peer_up;
	kd_ctx.peer_down = kandyd_peer_down;
	child_ctx_poll_until(&kd_ctx, kandyd_configured);
	lc = kandyd_lws_context();
	if ((vh = lws_get_vhost_by_name(lc, "default")) == NULL)
		fatalx("no libwebsockets vhost");
	child_drop(&opts);
	sandbox_kandyd();
	child_ctx_switch(&kd_ctx, &child_lws_ops, vh);
	/* bridged/config.h: KANDY_DIALECT_WSRPC */
	if (kd_cfg.dialect == 1)
		kd_dialect = &dialect_wsrpc;
	calls_init(lc);
	started = 1;
	if (kca_done && kd_cfg.host[0] != '\0') {
		kandyd_endpoint(&ep);
		acct_start(lc, &ep, ksecret);
	} else
		log_warnx("kandy: no host or trust anchors; not connecting");
	/* After a restart sipd's live calls are ours to follow again. */
	if (child_connected(&kd_ctx, PROC_SIPD))
		calls_sync();
	for (;;)
		if (lws_service(lc, 0) < 0)
			break;
	lws_context_destroy(lc);
	return (0);
}
