/*
 * Handing the configuration to the children.  Each child gets only the
 * parts it needs (common/cfg.h), between CFG_BEGIN and CFG_DONE of one
 * generation, and acknowledges the generation once applied.  Secrets go
 * only to the one process that uses them; the trunk password goes to none.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bridged.h"
#include "cfg.h"
#include "config.h"
#include "log.h"

#define PEM_MAXSIZE	(1024 * 1024)	/* a system CA bundle is ~200 KB */
#define CA_CHUNK	(48 * 1024)	/* fits one IPC frame */

static void
copystr(char *dst, size_t len, const char *src)
{
	if (src == NULL)
		src = "";
	if (strlcpy(dst, src, len) >= len)
		log_warnx("configuration value \"%.32s...\" truncated", src);
}

/*
 * Reads a PEM file for a child that cannot.  Returns NULL on error.
 */
static char *
read_pem(const char *path, size_t *len)
{
	struct stat	 st;
	char		*buf;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("%s", path);
		return (NULL);
	}
	if (fstat(fd, &st) == -1 || st.st_size > PEM_MAXSIZE) {
		log_warnx("%s: unreadable or larger than %d bytes", path,
		    PEM_MAXSIZE);
		close(fd);
		return (NULL);
	}
	if ((buf = malloc(st.st_size + 1)) == NULL)
		fatal("malloc");
	if ((n = read(fd, buf, st.st_size)) != st.st_size) {
		log_warnx("%s: short read", path);
		free(buf);
		close(fd);
		return (NULL);
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return (buf);
}

static void
send_sip(struct ipc_ev *iev, const struct bridged_conf *conf)
{
	const struct sip_conf	*s = &conf->sip;
	struct cfg_sip		 cs;
	struct cfg_sip_listen	 cl;
	struct cfg_allow	 ca;
	struct sip_listen	*l;
	struct sip_allow	*a;
	struct numrule_entry	*r;
	char			*cert, *key;
	size_t			 clen, klen;
	int			 i;

	memset(&cs, 0, sizeof(cs));
	copystr(cs.realm, sizeof(cs.realm), s->realm);
	copystr(cs.trunk_user, sizeof(cs.trunk_user), s->trunk_user);
	copystr(cs.public_address, sizeof(cs.public_address),
	    s->public_address);
	copystr(cs.kandy_domain, sizeof(cs.kandy_domain), conf->kandy.domain);
	cs.kandy_address = conf->kandy.address;
	/* MD5 from the password or a stored MD5 HA1; likewise SHA-256. */
	cs.digest_md5 = s->trunk_password != NULL || s->trunk_ha1 != NULL;
	cs.digest_sha256 = s->trunk_password != NULL ||
	    s->trunk_ha1_sha256 != NULL;
	cs.register_requires_kandy = s->register_requires_kandy;
	cs.invite_auth = s->invite_auth;
	cs.pai = s->pai;
	cs.srtp = s->srtp;
	cs.telephone_event = conf->media.telephone_event;
	cs.max_calls = s->max_calls;
	cs.max_cps = s->max_cps;
	cs.session_expires = s->session_expires;
	cs.min_se = s->min_se;
	cs.noanswer_timeout = s->noanswer_timeout;
	cs.register_min_expires = s->register_min_expires;
	cs.register_max_expires = s->register_max_expires;
	cs.auth_failures = s->auth_failures;
	cs.auth_ban = s->auth_ban;
	cs.ncodecs = conf->media.ncodecs;
	for (i = 0; i < conf->media.ncodecs && i < MEDIA_MAXCODECS; i++)
		cs.codecs[i] = conf->media.codecs[i];
	ipc_ev_send(iev, IMSG_CFG_SIP, 0, -1, &cs, sizeof(cs));

	TAILQ_FOREACH(l, &s->listens, entry) {
		memset(&cl, 0, sizeof(cl));
		cl.ss = l->ss;
		cl.port = l->port;
		cl.transport = l->transport;
		cert = key = NULL;
		clen = klen = 0;
		if (l->transport == SIP_TRANSPORT_TLS &&
		    ((cert = read_pem(l->certificate, &clen)) == NULL ||
		    (key = read_pem(l->key, &klen)) == NULL)) {
			log_warnx("TLS listener skipped");
			free(cert);
			continue;
		}
		ipc_ev_send(iev, IMSG_CFG_SIP_LISTEN, 0, -1, &cl, sizeof(cl),
		    cert, key);
		free(cert);
		if (key != NULL) {
			explicit_bzero(key, klen);
			free(key);
		}
	}
	TAILQ_FOREACH(a, &s->allows, entry) {
		memset(&ca, 0, sizeof(ca));
		ca.addr = a->addr;
		ca.prefixlen = a->prefixlen;
		ipc_ev_send(iev, IMSG_CFG_SIP_ALLOW, 0, -1, &ca, sizeof(ca));
	}
	TAILQ_FOREACH(r, &conf->outbound_rules, entry)
		ipc_ev_send(iev, IMSG_CFG_NUMRULE, 0, -1, &r->rule,
		    sizeof(r->rule));
	TAILQ_FOREACH(r, &conf->inbound_rules, entry)
		ipc_ev_send(iev, IMSG_CFG_NUMRULE, 0, -1, &r->rule,
		    sizeof(r->rule));
}

static void
send_kandy(struct ipc_ev *iev, const struct bridged_conf *conf)
{
	const struct kandy_conf	*k = &conf->kandy;
	struct cfg_kandy	 ck;
	const char		*secret;
	char			*ca;
	size_t			 calen, off, n;

	memset(&ck, 0, sizeof(ck));
	copystr(ck.url, sizeof(ck.url), k->url);
	copystr(ck.host, sizeof(ck.host), k->host);
	copystr(ck.path, sizeof(ck.path), k->path);
	copystr(ck.client_id, sizeof(ck.client_id), k->client_id);
	copystr(ck.user, sizeof(ck.user), k->user);
	copystr(ck.domain, sizeof(ck.domain), k->domain);
	ck.port = k->port;
	ck.grant = k->grant;
	ck.address = k->address;
	ck.dialect = k->dialect;
	ck.call_audit = k->call_audit;
	copystr(ck.did, sizeof(ck.did), k->did);
	ipc_ev_send(iev, IMSG_CFG_KANDY, 0, -1, &ck, sizeof(ck));

	secret = k->grant == KANDY_GRANT_PASSWORD ? k->password :
	    k->client_secret;
	ipc_ev_send(iev, IMSG_CFG_KANDY_SECRET, 0, -1, secret);

	/* kandyd reads no files: its trust anchors travel with the config. */
	if (k->ca_file != NULL && (ca = read_pem(k->ca_file, &calen)) != NULL) {
		/* In pieces that kandyd joins; the last one ends in NUL. */
		for (off = 0; off <= calen; off += n) {
			n = calen + 1 - off;
			if (n > CA_CHUNK)
				n = CA_CHUNK;
			ipc_ev_send(iev, IMSG_CFG_KANDY_CA, 0, -1, ca + off, n);
		}
		free(ca);
	} else
		log_warnx("kandy: no trust anchors from %s; TLS toward Kandy "
		    "will fail", k->ca_file ? k->ca_file : "(none)");
}

static void
send_media(struct ipc_ev *iev, const struct bridged_conf *conf)
{
	const struct media_conf	*m = &conf->media;
	struct cfg_media	 cm;
	struct cfg_ice_server	 cis;
	struct ice_server	*is;
	int			 i;

	memset(&cm, 0, sizeof(cm));
	cm.rtp_low = m->rtp_low;
	cm.rtp_high = m->rtp_high;
	cm.ncodecs = m->ncodecs;
	for (i = 0; i < m->ncodecs && i < MEDIA_MAXCODECS; i++)
		cm.codecs[i] = m->codecs[i];
	cm.telephone_event = m->telephone_event;
	cm.relay_only = conf->ice.relay_only;
	cm.timeout = m->timeout;
	copystr(cm.public_address, sizeof(cm.public_address),
	    m->public_address);
	ipc_ev_send(iev, IMSG_CFG_MEDIA, 0, -1, &cm, sizeof(cm));

	TAILQ_FOREACH(is, &conf->ice.servers, entry) {
		memset(&cis, 0, sizeof(cis));
		copystr(cis.host, sizeof(cis.host), is->host);
		copystr(cis.username, sizeof(cis.username), is->username);
		copystr(cis.password, sizeof(cis.password), is->password);
		cis.port = is->port;
		cis.scheme = is->scheme;
		cis.transport = is->transport;
		ipc_ev_send(iev, IMSG_CFG_ICE_SERVER, 0, -1, &cis,
		    sizeof(cis));
		explicit_bzero(&cis, sizeof(cis));
	}
}

int
config_send(struct child *c)
{
	struct ipc_ev	*iev = &c->iev;
	uint32_t	 gen = env->cfg_gen;

	if (ipc_ev_send(iev, IMSG_CFG_BEGIN, 0, -1, gen) == -1)
		return (-1);
	ipc_ev_send(iev, IMSG_CFG_LOG, 0, -1, log_getverbose());
	switch (c->id) {
	case PROC_SIPD:
		send_sip(iev, env->conf);
		break;
	case PROC_KANDYD:
		send_kandy(iev, env->conf);
		break;
	case PROC_MEDIAD:
		send_media(iev, env->conf);
		break;
	default:
		break;
	}
	return (ipc_ev_send(iev, IMSG_CFG_DONE, 0, -1, gen));
}

void
config_push(void)
{
	struct child	*c;
	int		 i;

	env->cfg_gen++;
	for (i = PROC_SIPD; i <= PROC_MEDIAD; i++) {
		c = child_get(i);
		if (c->state == CHILD_STARTING || c->state == CHILD_RUNNING)
			config_send(c);
	}
}
