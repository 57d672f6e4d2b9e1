/*
 * mediad: the media relay of kandy-bridge; see bridged(8).  It runs on
 * libevent; each call's libnice agent, sockets and timers live on a GLib
 * context of the call's own, driven from the same loop (gloop.c).
 * Configuration comes from the parent, calls from sipd and kandyd
 * (calls.c).
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <glib.h>

#include "child.h"
#include "dtls.h"
#include "gloop.h"
#include "log.h"
#include "mediad.h"
#include "srtp.h"

struct child_ctx		 mediad_ctx;
static struct gloop		*default_loop;
struct mediad_conf		 mediad_conf;
int				 mediad_configured;
static struct mediad_conf	 pending;

static int
blob(struct ipc_msg *m, void *dst, size_t size)
{
	const void	*p;
	size_t		 len;

	if (ipc_unpack(m, &p, &len) == -1 || len != size) {
		log_warnx("%s of %zu bytes refused", ipc_typename(m->hdr.type),
		    len);
		return (-1);
	}
	memcpy(dst, p, size);
	return (0);
}

/* Sets ss to host as an IP literal with port; -1 if it is a name. */
static int
literal(const char *host, uint16_t port, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		return (0);
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		return (0);
	}
	return (-1);
}

/*
 * ICE servers given by name: the chroot has no resolver, the parent looks
 * them up.  Request ids name the server; a new configuration moves the
 * base so that answers for an older one are ignored.
 */
static uint32_t	 resolve_base;

static void
mediad_resolve(struct child_ctx *c)
{
	struct cfg_ice_server	*s;
	unsigned int		 i;

	resolve_base += MEDIAD_MAXSERVERS;
	for (i = 0; i < mediad_conf.nservers; i++) {
		s = &mediad_conf.servers[i];
		if (literal(s->host, s->port, &mediad_conf.addrs[i]) == 0)
			continue;
		child_send(c, PROC_PARENT, IMSG_RESOLVE, 0, -1,
		    resolve_base + i, s->host, "");
	}
}

static void
mediad_resolved(struct ipc_msg *m)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_storage	*dst;
	const char		*why;
	uint32_t		 id, error;
	unsigned int		 i;

	if (m->hdr.type == IMSG_RESOLVE_ADDR) {
		if (ipc_unpack(m, &id, &ss) == -1)
			return;
	} else {
		if (ipc_unpack(m, &id, &error, &why) == -1)
			return;
	}
	if (id < resolve_base || id - resolve_base >= mediad_conf.nservers)
		return;		/* for an older configuration */
	i = id - resolve_base;
	dst = &mediad_conf.addrs[i];
	if (m->hdr.type == IMSG_RESOLVE_DONE) {
		if (error != 0)
			log_warnx("ICE server %s: %s", mediad_conf.servers[i].host,
			    why);
		return;
	}
	/* The first address of a family ICE can use wins. */
	if (dst->ss_family != AF_UNSPEC ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
		return;
	*dst = ss;
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)dst)->sin_port =
		    htons(mediad_conf.servers[i].port);
	else
		((struct sockaddr_in6 *)dst)->sin6_port =
		    htons(mediad_conf.servers[i].port);
	log_debug("ICE server %s resolved", mediad_conf.servers[i].host);
}

static void
mediad_cfg_done(struct child_ctx *c, uint32_t gen)
{
	explicit_bzero(&mediad_conf, sizeof(mediad_conf));
	mediad_conf = pending;
	explicit_bzero(&pending, sizeof(pending));
	mediad_configured = 1;
	mediad_resolve(c);
	log_debug("configuration %u: RTP ports %u-%u, %u ICE servers%s", gen,
	    mediad_conf.media.rtp_low, mediad_conf.media.rtp_high,
	    mediad_conf.nservers, mediad_conf.media.relay_only ?
	    ", relay only" : "");
}

static void
mediad_dispatch(struct child_ctx *c, enum kb_proc from, struct ipc_msg *m)
{
	struct cfg_ice_server	 s;
	const char		*user, *pass;
	uint32_t		 life;

	switch (m->hdr.type) {
	case IMSG_CFG_MEDIA:
		if (blob(m, &pending.media, sizeof(pending.media)) == 0)
			cfg_terminate_media(&pending.media);
		break;
	case IMSG_CFG_ICE_SERVER:
		if (blob(m, &s, sizeof(s)) == -1)
			break;
		cfg_terminate_ice_server(&s);
		if (pending.nservers == MEDIAD_MAXSERVERS)
			log_warnx("more than %d ICE servers: %s ignored",
			    MEDIAD_MAXSERVERS, s.host);
		else
			pending.servers[pending.nservers++] = s;
		explicit_bzero(&s, sizeof(s));
		break;
	case IMSG_RESOLVE_ADDR:
	case IMSG_RESOLVE_DONE:
		if (from == PROC_PARENT)
			mediad_resolved(m);
		break;
	case IMSG_CTL_SHOW_MEDIA:
		if (from == PROC_PARENT)
			calls_show(m);
		break;
	case IMSG_TURN_CREDS:
		ipc_unpack(m, &user, &pass, &life);
		calls_turn_creds(user, pass, life);
		break;
	default:
		calls_dispatch(from, m);
		break;
	}
	/* Whatever GLib itself put on its default context. */
	gloop_refresh(default_loop);
}

/*
 * Once a second: the calls' timeouts, and GLib's default context looked
 * at again in case a call's dispatch put something there (libnice's
 * closing does, and that is also seen after the IPC message that ends a
 * call).
 */
static void
mediad_tick(evutil_socket_t fd, short what, void *arg)
{
	calls_tick();
	gloop_refresh(default_loop);
}

/*
 * libsrtp's AES-ICM and HMAC-SHA1 are ours on mbedtls (srtp_mbedtls.c),
 * so a session made inside the chroot and sandbox needs no files.  NSS,
 * which Debian's libsrtp2 is built on, only runs in srtp_init's
 * self-tests, before the chroot, and unloads its modules after them.
 * One session made and dropped here checks that SRTP works at all.
 */
static void
srtp_warm_up(void)
{
	struct srtp_keymat	 km;
	struct srtp_pair	*p;

	memset(&km, 0, sizeof(km));
	km.profile = SRTP_PROFILE_AES128_CM_SHA1_80;
	if ((p = srtp_pair_new(&km)) == NULL)
		fatalx("SRTP does not work");
	srtp_pair_free(p);
}

/*
 * A call holds four descriptors or more (RTP, RTCP, an ICE socket per
 * local address, its GLib context's wake-up): the usual limit of 1024
 * would stop mediad near 250 calls.  Raised while still root.
 */
#define MEDIAD_NOFILE	65536

static void
raise_nofile(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("getrlimit");
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < MEDIAD_NOFILE) {
		rl.rlim_max = MEDIAD_NOFILE;
		rl.rlim_cur = MEDIAD_NOFILE;
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
			return;
		if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
			fatal("getrlimit");
	}
	if (rl.rlim_cur == rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("setrlimit RLIMIT_NOFILE");
}

int
main(int argc, char *argv[])
{
	struct child_opts	 opts;
	struct event_base	*base;
	struct event		*tick;
	struct timeval		 second = { 1, 0 };

	child_init(argc, argv, PROC_MEDIAD, &opts);
	/* Key, certificate and SRTP tables need files and entropy: now. */
	if (dtls_init() == -1)
		fatalx("DTLS initialisation failed");
	srtp_pair_global_init();
	srtp_warm_up();
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new");
	gloop_init(base);
	if ((default_loop = gloop_adopt(g_main_context_default())) == NULL)
		fatalx("cannot drive GLib's default context");
	calls_init();
	raise_nofile();
	child_drop(&opts);
	sandbox_mediad();
	child_ctx_init(&mediad_ctx, PROC_MEDIAD, &child_event_ops, base,
	    mediad_dispatch);
	mediad_ctx.cfg_done = mediad_cfg_done;
	if ((tick = event_new(base, -1, EV_PERSIST, mediad_tick, NULL)) ==
	    NULL || event_add(tick, &second) == -1)
		fatalx("cannot start the call timer");
	event_base_dispatch(base);
	return (0);
}
