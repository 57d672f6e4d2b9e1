/*
 * sipd: the SIP side of kandy-bridge; see bridged(8).  It runs on
 * sofia-sip's su_root loop: the parent sends its part of the
 * configuration, and on CFG_DONE the SIP engine starts (or takes the new
 * settings); backend.c connects the engine to the other processes.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/su_uniqueid.h>

#include "cfg.h"
#include "child.h"
#include "log.h"
#include "sdp_media.h"
#include "sipd.h"
#include "backend.h"

/* Matches bridged's enum sip_transport and enum kandy_address. */
#define CFG_TRANSPORT_UDP	0
#define CFG_TRANSPORT_TCP	1
#define CFG_TRANSPORT_TLS	2
#define CFG_KANDY_ADDRESS_SIP	1

static struct child_ctx		 ctx;
static struct sipd_config	 pending;	/* being received */
static int			 have_sip;
static su_root_t		*root;

static void
cfg_begin(void)
{
	sipd_config_defaults(&pending);
	have_sip = 0;
}

static void
cfg_sip(const struct ipc_msg *m)
{
	struct cfg_sip	 cs;
	const void	*blob;
	size_t		 len;

	if (ipc_unpack(m, &blob, &len) == -1 || len != sizeof(cs))
		fatalx("CFG_SIP: bad size");
	memcpy(&cs, blob, sizeof(cs));
	cfg_terminate_sip(&cs);
	strlcpy(pending.realm, cs.realm, sizeof(pending.realm));
	strlcpy(pending.auth_user, cs.trunk_user, sizeof(pending.auth_user));
	strlcpy(pending.public_addr, cs.public_address,
	    sizeof(pending.public_addr));
	if (cs.kandy_address == CFG_KANDY_ADDRESS_SIP)
		strlcpy(pending.kandy_domain, cs.kandy_domain,
		    sizeof(pending.kandy_domain));
	else
		pending.kandy_domain[0] = '\0';
	strlcpy(pending.user_domain, cs.kandy_domain,
	    sizeof(pending.user_domain));
	pending.digest_md5 = cs.digest_md5;
	pending.digest_sha256 = cs.digest_sha256;
	pending.invite_auth = cs.invite_auth;
	pending.max_calls = cs.max_calls;
	pending.max_cps = cs.max_cps;
	backend_set_register_requires_kandy(cs.register_requires_kandy);
	pending.noanswer_timeout = cs.noanswer_timeout;
	pending.session_expires = cs.session_expires;
	pending.min_se = cs.min_se;
	pending.pai = cs.pai;
	if (cs.srtp > CFG_SRTP_REQUIRE)
		fatalx("CFG_SIP: bad srtp mode");
	/* sdp.c's SDP_SRTP_* have the CFG_SRTP_* values. */
	sdp_set_srtp(cs.srtp);
	if (cs.register_min_expires != 0)
		pending.reg_min_expires = cs.register_min_expires;
	if (cs.register_max_expires != 0)
		pending.reg_max_expires = cs.register_max_expires;
	if (pending.reg_default_expires > pending.reg_max_expires)
		pending.reg_default_expires = pending.reg_max_expires;
	if (pending.reg_default_expires < pending.reg_min_expires)
		pending.reg_default_expires = pending.reg_min_expires;
	pending.ban_failures = cs.auth_failures;
	pending.ban_time = cs.auth_ban;
	backend_set_codecs(cs.codecs, cs.ncodecs > MEDIA_MAXCODECS ?
	    MEDIA_MAXCODECS : cs.ncodecs, cs.telephone_event);
	have_sip = 1;
}

static void
cfg_listen(const struct ipc_msg *m)
{
	struct cfg_sip_listen	 cl;
	const void		*blob;
	const char		*cert, *key;
	size_t			 len;
	char			 host[INET6_ADDRSTRLEN + 2], *url;
	const char		*tp;

	if (ipc_unpack(m, &blob, &len, &cert, &key) == -1 ||
	    len != sizeof(cl))
		fatalx("CFG_SIP_LISTEN: bad size");
	memcpy(&cl, blob, sizeof(cl));
	switch (cl.transport) {
	case CFG_TRANSPORT_UDP:
		tp = "udp";
		break;
	case CFG_TRANSPORT_TCP:
		tp = "tcp";
		break;
	case CFG_TRANSPORT_TLS:
		/* One identity for all TLS listeners: the last one given. */
		if (*cert == '\0' || *key == '\0') {
			log_warnx("TLS listener without certificate or key; "
			    "skipped");
			return;
		}
		if (sipd_tls_identity(cert, key) == -1)
			fatalx("out of memory");
		tp = "tls";
		break;
	default:
		log_warnx("unknown SIP transport %d; listener skipped",
		    cl.transport);
		return;
	}
	if (cl.ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&cl.ss)->sin_addr,
		    host, sizeof(host));
	else if (cl.ss.ss_family == AF_INET6) {
		host[0] = '[';
		inet_ntop(AF_INET6,
		    &((struct sockaddr_in6 *)&cl.ss)->sin6_addr, host + 1,
		    sizeof(host) - 2);
		strlcat(host, "]", sizeof(host));
	} else
		strlcpy(host, "*", sizeof(host));
	if (pending.nlisten == SIPD_MAXLISTEN) {
		log_warnx("too many SIP listeners; %s:%u skipped", host,
		    cl.port);
		return;
	}
	url = pending.listen[pending.nlisten++];
	/* sofia binds TLS for a sips: URI, not for transport=tls. */
	if (cl.transport == CFG_TRANSPORT_TLS)
		snprintf(url, SIPD_URLLEN, "sips:%s:%u", host, cl.port);
	else
		snprintf(url, SIPD_URLLEN, "sip:%s:%u;transport=%s", host,
		    cl.port, tp);
}

static void
cfg_allow(const struct ipc_msg *m)
{
	struct cfg_allow	 ca;
	struct sipd_net		*n;
	const void		*blob;
	size_t			 len;

	if (ipc_unpack(m, &blob, &len) == -1 || len != sizeof(ca))
		fatalx("CFG_SIP_ALLOW: bad size");
	memcpy(&ca, blob, sizeof(ca));
	if (pending.nnets == SIPD_MAXNETS) {
		log_warnx("too many allowed networks; the rest are ignored");
		return;
	}
	n = &pending.nets[pending.nnets];
	memset(n, 0, sizeof(*n));
	n->family = ca.addr.ss_family;
	if (n->family == AF_INET && ca.prefixlen <= 32)
		memcpy(n->addr, &((struct sockaddr_in *)&ca.addr)->sin_addr, 4);
	else if (n->family == AF_INET6 && ca.prefixlen <= 128)
		memcpy(n->addr, &((struct sockaddr_in6 *)&ca.addr)->sin6_addr,
		    16);
	else
		fatalx("CFG_SIP_ALLOW: bad address");
	n->prefixlen = ca.prefixlen;
	pending.nnets++;
}

static void
cfg_numrule(const struct ipc_msg *m)
{
	const void	*blob;
	size_t		 len;
	struct numrule	*r;

	if (ipc_unpack(m, &blob, &len) == -1 || len != sizeof(*r))
		fatalx("CFG_NUMRULE: bad size");
	if (pending.nrules == SIPD_MAXRULES) {
		log_warnx("too many number rules; the rest are ignored");
		return;
	}
	r = &pending.rules[pending.nrules++];
	memcpy(r, blob, sizeof(*r));
	r->prefix[sizeof(r->prefix) - 1] = '\0';
	r->prepend[sizeof(r->prepend) - 1] = '\0';
}

static void
cfg_done(struct child_ctx *c, uint32_t gen)
{
	if (!have_sip)
		fatalx("configuration without CFG_SIP");
	backend_configure(&pending);
	/* CFG_BEGIN is handled by the plumbing: start the next round now. */
	cfg_begin();
}

static void
peer_down(struct child_ctx *c, enum kb_proc p)
{
	backend_peer_down(p);
}

static void
sipd_dispatch(struct child_ctx *c, enum kb_proc from, struct ipc_msg *m)
{
	if (from == PROC_PARENT) {
		switch (m->hdr.type) {
		case IMSG_CFG_BEGIN:
			cfg_begin();
			return;
		case IMSG_CFG_SIP:
			cfg_sip(m);
			return;
		case IMSG_CFG_SIP_LISTEN:
			cfg_listen(m);
			return;
		case IMSG_CFG_SIP_ALLOW:
			cfg_allow(m);
			return;
		case IMSG_CFG_NUMRULE:
			cfg_numrule(m);
			return;
		}
	}
	backend_dispatch(from, m);
}

int
main(int argc, char *argv[])
{
	struct child_opts	 opts;

	child_init(argc, argv, PROC_SIPD, &opts);
	if (su_init() != 0)
		fatalx("su_init");
	if ((root = su_root_create(NULL)) == NULL)
		fatalx("su_root_create");
	/* sofia opens /dev/urandom on first use: before the chroot. */
	(void)su_randint(0, 1);
	backend_init(&ctx, root);
	child_drop(&opts);
	sandbox_sipd();
	cfg_begin();
	child_ctx_init(&ctx, PROC_SIPD, &child_su_ops, root, sipd_dispatch);
	ctx.cfg_done = cfg_done;
	ctx.peer_down = peer_down;
	su_root_run(root);
	su_root_destroy(root);
	su_deinit();
	return (0);
}
