/*
 * Prints a parsed configuration in the canonical form of bridged.conf(5):
 * every option with its effective value, defaults included, one per line,
 * in a fixed order.  The output parses back to the same configuration,
 * except that secrets are printed as "********".
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "config.h"

#define HIDDEN	"\"********\""

static void	 print_string(FILE *, const char *);
static void	 print_rules(FILE *, const char *, const struct numrule_list *);
static void	 print_sip(FILE *, const struct sip_conf *);
static void	 print_kandy(FILE *, const struct kandy_conf *);
static void	 print_ice(FILE *, const struct ice_conf *);
static void	 print_media(FILE *, const struct media_conf *);
static const char *yesno(int);

const char *
sip_transport_name(enum sip_transport t)
{
	switch (t) {
	case SIP_TRANSPORT_UDP:
		return ("udp");
	case SIP_TRANSPORT_TCP:
		return ("tcp");
	case SIP_TRANSPORT_TLS:
		return ("tls");
	}
	return ("?");
}

const char *
ice_scheme_name(enum ice_scheme s)
{
	switch (s) {
	case ICE_SCHEME_STUN:
		return ("stun");
	case ICE_SCHEME_STUNS:
		return ("stuns");
	case ICE_SCHEME_TURN:
		return ("turn");
	case ICE_SCHEME_TURNS:
		return ("turns");
	}
	return ("?");
}

/* The address only, without port; "*" for AF_UNSPEC. */
int
print_sockaddr(char *buf, size_t len, const struct sockaddr_storage *ss)
{
	const void	*addr;

	switch (ss->ss_family) {
	case AF_INET:
		addr = &((const struct sockaddr_in *)ss)->sin_addr;
		break;
	case AF_INET6:
		addr = &((const struct sockaddr_in6 *)ss)->sin6_addr;
		break;
	case AF_UNSPEC:
		return (snprintf(buf, len, "*") >= (int)len ? -1 : 0);
	default:
		snprintf(buf, len, "?");
		return (-1);
	}
	if (inet_ntop(ss->ss_family, addr, buf, len) == NULL)
		return (-1);
	return (0);
}

static const char *
yesno(int b)
{
	return (b ? "yes" : "no");
}

static void
print_string(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

static void
print_rules(FILE *fp, const char *dir, const struct numrule_list *list)
{
	const struct numrule_entry	*ne;
	const struct numrule		*r;

	TAILQ_FOREACH(ne, list, entry) {
		r = &ne->rule;
		fprintf(fp, "%s rule", dir);
		if (r->prefix[0] != '\0')
			fprintf(fp, " prefix \"%s\"", r->prefix);
		if (r->minlen != 0 && r->minlen == r->maxlen)
			fprintf(fp, " length %u", r->minlen);
		else if (r->minlen != 0)
			fprintf(fp, " length %u-%u", r->minlen, r->maxlen);
		if (r->reject)
			fprintf(fp, " reject");
		else {
			if (r->strip != 0)
				fprintf(fp, " strip %u", r->strip);
			if (r->prepend[0] != '\0')
				fprintf(fp, " prepend \"%s\"", r->prepend);
		}
		fputc('\n', fp);
	}
}

static void
print_sip(FILE *fp, const struct sip_conf *sip)
{
	const struct sip_listen	*l;
	const struct sip_allow	*a;
	char			 buf[INET6_ADDRSTRLEN];

	fprintf(fp, "sip {\n");
	TAILQ_FOREACH(l, &sip->listens, entry) {
		print_sockaddr(buf, sizeof(buf), &l->ss);
		fprintf(fp, "\tlisten on %s port %u transport %s", buf,
		    l->port, sip_transport_name(l->transport));
		if (l->certificate != NULL) {
			fprintf(fp, " certificate ");
			print_string(fp, l->certificate);
		}
		if (l->key != NULL) {
			fprintf(fp, " key ");
			print_string(fp, l->key);
		}
		fputc('\n', fp);
	}
	if (sip->public_address != NULL) {
		fprintf(fp, "\tpublic address ");
		print_string(fp, sip->public_address);
		fputc('\n', fp);
	}
	fprintf(fp, "\trealm ");
	print_string(fp, sip->realm);
	fputc('\n', fp);
	if (sip->trunk_user != NULL) {
		fprintf(fp, "\ttrunk user ");
		print_string(fp, sip->trunk_user);
		if (sip->trunk_password != NULL)
			fprintf(fp, " password " HIDDEN);
		if (sip->trunk_ha1 != NULL)
			fprintf(fp, " ha1 " HIDDEN);
		if (sip->trunk_ha1_sha256 != NULL)
			fprintf(fp, " ha1-sha256 " HIDDEN);
		fputc('\n', fp);
	}
	TAILQ_FOREACH(a, &sip->allows, entry) {
		print_sockaddr(buf, sizeof(buf), &a->addr);
		fprintf(fp, "\tallow from %s/%u\n", buf, a->prefixlen);
	}
	fprintf(fp, "\tregister-requires-kandy %s\n",
	    yesno(sip->register_requires_kandy));
	fprintf(fp, "\tinvite auth %s\n", yesno(sip->invite_auth));
	fprintf(fp, "\tmax calls %d\n", sip->max_calls);
	fprintf(fp, "\tmax cps %d\n", sip->max_cps);
	fprintf(fp, "\tsession-expires %d\n", sip->session_expires);
	fprintf(fp, "\tmin-se %d\n", sip->min_se);
	fprintf(fp, "\tno-answer timeout %d\n", sip->noanswer_timeout);
	fprintf(fp, "\tregister expires min %d max %d\n",
	    sip->register_min_expires, sip->register_max_expires);
	fprintf(fp, "\tp-asserted-identity %s\n", yesno(sip->pai));
	fprintf(fp, "\tauth failures %d ban %d\n", sip->auth_failures,
	    sip->auth_ban);
	/* Only when set: the default prints nothing, as before srtp was. */
	if (sip->srtp != CFG_SRTP_NO)
		fprintf(fp, "\tsrtp %s\n", sip->srtp == CFG_SRTP_REQUIRE ?
		    "require" : "offer");
	fprintf(fp, "}\n");
}

static void
print_kandy(FILE *fp, const struct kandy_conf *k)
{
	fprintf(fp, "kandy {\n");
	if (k->url != NULL) {
		fprintf(fp, "\turl ");
		print_string(fp, k->url);
		fputc('\n', fp);
	}
	if (k->grant == KANDY_GRANT_PASSWORD) {
		fprintf(fp, "\tuser ");
		print_string(fp, k->user != NULL ? k->user : "");
		fprintf(fp, " password " HIDDEN " client id ");
		print_string(fp, k->client_id != NULL ? k->client_id : "");
		fputc('\n', fp);
	} else if (k->client_id != NULL) {
		fprintf(fp, "\tclient id ");
		print_string(fp, k->client_id);
		if (k->client_secret != NULL)
			fprintf(fp, " secret " HIDDEN);
		fputc('\n', fp);
	}
	if (k->domain != NULL) {
		fprintf(fp, "\tdomain ");
		print_string(fp, k->domain);
		fputc('\n', fp);
	}
	fprintf(fp, "\taddress %s\n",
	    k->address == KANDY_ADDRESS_SIP ? "sip" : "tel");
	fprintf(fp, "\tdialect %s\n",
	    k->dialect == KANDY_DIALECT_WSRPC ? "wsrpc" : "cpaas");
	fprintf(fp, "\tca file ");
	print_string(fp, k->ca_file);
	fputc('\n', fp);
	fprintf(fp, "\tcall audit %d\n", k->call_audit);
	if (k->did != NULL) {
		fprintf(fp, "\tdid ");
		print_string(fp, k->did);
		fputc('\n', fp);
	}
	fprintf(fp, "}\n");
}

static void
print_ice(FILE *fp, const struct ice_conf *ice)
{
	const struct ice_server	*s;
	int			 turn;

	fprintf(fp, "ice {\n");
	TAILQ_FOREACH(s, &ice->servers, entry) {
		turn = s->scheme == ICE_SCHEME_TURN ||
		    s->scheme == ICE_SCHEME_TURNS;
		fprintf(fp, "\t%s ", turn ? "turn" : "stun");
		print_string(fp, s->url);
		if (s->username != NULL) {
			fprintf(fp, " username ");
			print_string(fp, s->username);
			fprintf(fp, " password " HIDDEN);
		}
		fputc('\n', fp);
	}
	fprintf(fp, "\trelay only %s\n", yesno(ice->relay_only));
	fprintf(fp, "}\n");
}

static void
print_media(FILE *fp, const struct media_conf *m)
{
	uint8_t	 i;

	fprintf(fp, "media {\n");
	fprintf(fp, "\trtp ports %u-%u\n", m->rtp_low, m->rtp_high);
	fprintf(fp, "\tcodecs");
	for (i = 0; i < m->ncodecs; i++)
		fprintf(fp, " %s", m->codecs[i] == CODEC_PCMU ? "pcmu" :
		    m->codecs[i] == CODEC_PCMA ? "pcma" : "?");
	fputc('\n', fp);
	fprintf(fp, "\ttelephone-event %s\n", yesno(m->telephone_event));
	fprintf(fp, "\ttimeout %d\n", m->timeout);
	if (m->public_address != NULL) {
		fprintf(fp, "\tpublic address ");
		print_string(fp, m->public_address);
		fputc('\n', fp);
	}
	fprintf(fp, "}\n");
}

void
print_config(FILE *fp, const struct bridged_conf *conf)
{
	fprintf(fp, "user ");
	print_string(fp, conf->user);
	fprintf(fp, "\nchroot ");
	print_string(fp, conf->chroot);
	fprintf(fp, "\ncontrol socket ");
	print_string(fp, conf->control_socket);
	fprintf(fp, "\nlog %s\n", conf->log_verbose ? "verbose" : "brief");

	if (!TAILQ_EMPTY(&conf->outbound_rules) ||
	    !TAILQ_EMPTY(&conf->inbound_rules))
		fputc('\n', fp);
	print_rules(fp, "outbound", &conf->outbound_rules);
	print_rules(fp, "inbound", &conf->inbound_rules);

	fputc('\n', fp);
	print_sip(fp, &conf->sip);
	fputc('\n', fp);
	print_kandy(fp, &conf->kandy);
	fputc('\n', fp);
	print_ice(fp, &conf->ice);
	fputc('\n', fp);
	print_media(fp, &conf->media);
}
