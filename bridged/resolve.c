/*
 * Name resolution for the chrooted children, which have neither
 * resolv.conf nor a resolver socket policy of their own.  Answers arrive
 * asynchronously: RESOLVE_ADDR once per address, then RESOLVE_DONE.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <event2/dns.h>
#include <event2/util.h>

#include <stdlib.h>
#include <string.h>

#include "bridged.h"
#include "log.h"

#define RESOLVE_MAXADDRS	16

struct resolve_req {
	enum kb_proc	 proc;
	pid_t		 pid;		/* the child that asked */
	uint32_t	 id;
};

static struct evdns_base	*dns;

static void
resolve_done(int result, struct evutil_addrinfo *res, void *arg)
{
	struct resolve_req	*req = arg;
	struct evutil_addrinfo	*ai;
	struct child		*c = child_get(req->proc);
	int			 n = 0;

	/* The child may have been restarted since it asked. */
	if (c->pid != req->pid || c->iev.conn.fd == -1)
		goto done;
	if (result == 0) {
		for (ai = res; ai != NULL && n < RESOLVE_MAXADDRS;
		    ai = ai->ai_next) {
			if (ai->ai_family != AF_INET &&
			    ai->ai_family != AF_INET6)
				continue;
			ipc_ev_send(&c->iev, IMSG_RESOLVE_ADDR, 0, -1, req->id,
			    ai->ai_addr);
			n++;
		}
	}
	ipc_ev_send(&c->iev, IMSG_RESOLVE_DONE, 0, -1, req->id,
	    result == 0 && n == 0 ? EVUTIL_EAI_NODATA : result,
	    result == 0 ? (n ? "" : "no usable address") :
	    evutil_gai_strerror(result));
 done:
	if (res != NULL)
		evutil_freeaddrinfo(res);
	free(req);
}

void
resolve_request(struct child *c, struct ipc_msg *m)
{
	struct evutil_addrinfo	 hints;
	struct resolve_req	*req;
	const char		*host, *service;
	uint32_t		 id;

	ipc_unpack(m, &id, &host, &service);
	if (dns == NULL &&
	    (dns = evdns_base_new(env->base,
	    EVDNS_BASE_INITIALIZE_NAMESERVERS)) == NULL) {
		/* No resolv.conf: literals and /etc/hosts still work. */
		if ((dns = evdns_base_new(env->base, 0)) == NULL)
			fatalx("evdns_base_new");
		evdns_base_load_hosts(dns, NULL);
	}
	if ((req = calloc(1, sizeof(*req))) == NULL)
		fatal("calloc");
	req->proc = c->id;
	req->pid = c->pid;
	req->id = id;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	log_debug("resolving %s for %s", host, proc_name(c->id));
	evdns_getaddrinfo(dns, host, *service ? service : NULL, &hints,
	    resolve_done, req);
}
