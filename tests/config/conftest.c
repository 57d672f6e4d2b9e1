/*
 * Checks the fields parse_config() fills that the printed form does not
 * show: socket addresses and byte order, URL parts, ICE server details,
 * secrets as written, defaults, and that parser state does not leak from
 * one parse into the next.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

static int	 failures;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
		failures++;						\
	}								\
} while (0)

#define CHECKSTR(a, b) do {						\
	const char *a_ = (a), *b_ = (b);				\
	if (a_ == NULL || strcmp(a_, b_) != 0) {			\
		fprintf(stderr, "%s:%d: %s is \"%s\", want \"%s\"\n",	\
		    __FILE__, __LINE__, #a, a_ ? a_ : "(null)", b_);	\
		failures++;						\
	}								\
} while (0)

static const char full_conf[] =
	"calls_per_s = \"3\"\n"
	"outbound rule prefix \"0\" length 10 strip 1 prepend \"971\"\n"
	"outbound rule prefix \"+\" length 8-15 strip 1\n"
	"inbound rule prefix \"+971\" strip 4 prepend \"0\"\n"
	"outbound rule reject\n"
	"sip {\n"
	"  listen on 127.0.0.1 port 5070\n"
	"  listen on * transport tls certificate \"/c.pem\" key \"/k.pem\"\n"
	"  listen on ::1 transport tcp\n"
	"  trunk user \"3cx\" password \"p@ss word\"\n"
	"  allow from 10.0.0.0/8\n"
	"  allow from 2001:db8::/32\n"
	"  max cps $calls_per_s\n"
	"}\n"
	"kandy {\n"
	"  url \"https://[::1]:8443/base/\"\n"
	"  client id \"PRIV-1\" secret 'a\\'b\"c\\\\d'\n"
	"}\n"
	"ice {\n"
	"  stun \"stun:stun.example.net\"\n"
	"  turn \"turns:turn.example.net\"\n"
	"  turn \"turn:[2001:db8::1]:3479?transport=tcp\" username \"u\" "
	"password \"tp\"\n"
	"}\n"
	"media { rtp ports 40000-40099; codecs pcmu }\n";

static const char grant_conf[] =
	"sip { trunk user \"3cx\" ha1 \"0123456789ABCDEF0123456789abcdef\" }\n"
	"kandy {\n"
	"  url \"https://kandy.example.com\"\n"
	"  user \"bridge\" password \"kp\" client id \"PUB-1\"\n"
	"  domain \"example.com\"; address sip; dialect wsrpc\n"
	"}\n";

static const char minimal_conf[] =
	"sip { trunk user \"3cx\" password \"x\" }\n"
	"kandy { url \"https://k.example.com\"; client id \"c\"\n"
	"  secret \"s\" }\n";

static const char bad_conf[] =
	"sip {\n"
	"  trunk user \"3cx\" password \"x\"\n"
	"  listen on 127.0.0.1 port 5070 transport tcp port 99\n"
	"  max calls 0\n"
	"}\n";

static char *
write_conf(const char *text, mode_t mode)
{
	char	*path;
	int	 fd;

	if ((path = strdup("/tmp/conftest.XXXXXX")) == NULL)
		fatal("strdup");
	if ((fd = mkstemp(path)) == -1)
		fatal("mkstemp");
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		fatal("write");
	if (fchmod(fd, mode) == -1)
		fatal("fchmod");
	close(fd);
	return (path);
}

static struct bridged_conf *
parse_text(const char *text, mode_t mode)
{
	struct bridged_conf	*conf;
	char			*path;

	path = write_conf(text, mode);
	conf = parse_config(path, 0);
	unlink(path);
	free(path);
	return (conf);
}

static void
check_full(const struct bridged_conf *c, int cps)
{
	const struct sip_listen		*l;
	const struct sip_allow		*a;
	const struct numrule_entry	*ne;
	const struct ice_server		*s;
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;
	char				 buf[INET6_ADDRSTRLEN];

	l = TAILQ_FIRST(&c->sip.listens);
	CHECK(l != NULL);
	if (l == NULL)
		return;
	sin = (const struct sockaddr_in *)&l->ss;
	CHECK(l->ss.ss_family == AF_INET);
	CHECK(sin->sin_port == htons(5070));
	CHECK(sin->sin_addr.s_addr == htonl(INADDR_LOOPBACK));
	CHECK(l->port == 5070 && l->transport == SIP_TRANSPORT_UDP);
	CHECK(l->certificate == NULL && l->key == NULL);
	l = TAILQ_NEXT(l, entry);
	CHECK(l->ss.ss_family == AF_UNSPEC && l->port == 5061);
	CHECK(l->transport == SIP_TRANSPORT_TLS);
	CHECKSTR(l->certificate, "/c.pem");
	CHECKSTR(l->key, "/k.pem");
	l = TAILQ_NEXT(l, entry);
	sin6 = (const struct sockaddr_in6 *)&l->ss;
	CHECK(l->ss.ss_family == AF_INET6);
	CHECK(sin6->sin6_port == htons(5060));
	CHECK(IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr));
	CHECK(l->transport == SIP_TRANSPORT_TCP);
	CHECK(TAILQ_NEXT(l, entry) == NULL);

	a = TAILQ_FIRST(&c->sip.allows);
	CHECK(a->addr.ss_family == AF_INET && a->prefixlen == 8);
	CHECK(((const struct sockaddr_in *)&a->addr)->sin_addr.s_addr ==
	    htonl(0x0a000000));
	a = TAILQ_NEXT(a, entry);
	CHECK(a->addr.ss_family == AF_INET6 && a->prefixlen == 32);
	print_sockaddr(buf, sizeof(buf), &a->addr);
	CHECKSTR(buf, "2001:db8::");
	CHECK(TAILQ_NEXT(a, entry) == NULL);

	CHECKSTR(c->sip.trunk_user, "3cx");
	CHECKSTR(c->sip.trunk_password, "p@ss word");
	CHECK(c->sip.trunk_ha1 == NULL && c->sip.trunk_ha1_sha256 == NULL);
	CHECK(c->sip.max_cps == cps);

	ne = TAILQ_FIRST(&c->outbound_rules);
	CHECK(ne->rule.dir == NUMRULE_OUTBOUND && !ne->rule.reject);
	CHECKSTR(ne->rule.prefix, "0");
	CHECK(ne->rule.minlen == 10 && ne->rule.maxlen == 10);
	CHECK(ne->rule.strip == 1);
	CHECKSTR(ne->rule.prepend, "971");
	ne = TAILQ_NEXT(ne, entry);
	CHECKSTR(ne->rule.prefix, "+");
	CHECK(ne->rule.minlen == 8 && ne->rule.maxlen == 15);
	CHECKSTR(ne->rule.prepend, "");
	ne = TAILQ_NEXT(ne, entry);
	CHECK(ne->rule.reject && ne->rule.prefix[0] == '\0');
	CHECK(ne->rule.minlen == 0 && ne->rule.maxlen == 0);
	CHECK(TAILQ_NEXT(ne, entry) == NULL);
	ne = TAILQ_FIRST(&c->inbound_rules);
	CHECK(ne->rule.dir == NUMRULE_INBOUND);
	CHECKSTR(ne->rule.prefix, "+971");
	CHECK(ne->rule.strip == 4);
	CHECKSTR(ne->rule.prepend, "0");
	CHECK(TAILQ_NEXT(ne, entry) == NULL);

	CHECKSTR(c->kandy.url, "https://[::1]:8443/base/");
	CHECKSTR(c->kandy.host, "::1");
	CHECK(c->kandy.port == 8443);
	CHECKSTR(c->kandy.path, "/base");
	CHECK(c->kandy.grant == KANDY_GRANT_CLIENT_CREDENTIALS);
	CHECKSTR(c->kandy.client_id, "PRIV-1");
	CHECKSTR(c->kandy.client_secret, "a'b\"c\\d");
	CHECK(c->kandy.user == NULL && c->kandy.password == NULL);

	s = TAILQ_FIRST(&c->ice.servers);
	CHECK(s->scheme == ICE_SCHEME_STUN && s->port == 3478);
	CHECK(s->transport == ICE_SERVER_UDP);
	CHECKSTR(s->host, "stun.example.net");
	CHECK(s->username == NULL && s->password == NULL);
	s = TAILQ_NEXT(s, entry);
	CHECK(s->scheme == ICE_SCHEME_TURNS && s->port == 5349);
	CHECK(s->transport == ICE_SERVER_TCP);
	CHECK(s->username == NULL);
	s = TAILQ_NEXT(s, entry);
	CHECK(s->scheme == ICE_SCHEME_TURN && s->port == 3479);
	CHECK(s->transport == ICE_SERVER_TCP);
	CHECKSTR(s->host, "2001:db8::1");
	CHECKSTR(s->username, "u");
	CHECKSTR(s->password, "tp");
	CHECK(TAILQ_NEXT(s, entry) == NULL);

	CHECK(c->media.rtp_low == 40000 && c->media.rtp_high == 40099);
	CHECK(c->media.ncodecs == 1 && c->media.codecs[0] == CODEC_PCMU);
}

static void
check_print_hides_secrets(const struct bridged_conf *c)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		fatal("open_memstream");
	print_config(fp, c);
	fclose(fp);
	CHECK(strstr(buf, "p@ss word") == NULL);
	CHECK(strstr(buf, "a'b") == NULL);
	CHECK(strstr(buf, "\"tp\"") == NULL);
	CHECK(strstr(buf, "password \"********\"") != NULL);
	CHECK(strstr(buf, "secret \"********\"") != NULL);
	free(buf);
}

int
main(void)
{
	struct bridged_conf	*c;
	struct sip_listen	*l;
	struct sip_allow	*a;

	log_init(1, 0, LOG_DAEMON);

	/* Everything, twice: a second parse must not see the first. */
	c = parse_text(full_conf, 0600);
	CHECK(c != NULL);
	if (c != NULL) {
		check_full(c, 3);
		check_print_hides_secrets(c);
		purge_config(c);
	}
	c = parse_text(full_conf, 0600);
	CHECK(c != NULL);
	if (c != NULL) {
		check_full(c, 3);
		purge_config(c);
	}

	/* A command-line macro beats the file's and outlives the parse. */
	CHECK(cmdline_symset("calls_per_s=7") == 0);
	CHECK(cmdline_symset("novalue") == -1);
	c = parse_text(full_conf, 0600);
	CHECK(c != NULL && c->sip.max_cps == 7);
	purge_config(c);
	c = parse_text(full_conf, 0600);
	CHECK(c != NULL && c->sip.max_cps == 7);
	purge_config(c);

	/* Password grant, hashed trunk credentials. */
	c = parse_text(grant_conf, 0600);
	CHECK(c != NULL);
	if (c != NULL) {
		CHECK(c->kandy.grant == KANDY_GRANT_PASSWORD);
		CHECKSTR(c->kandy.user, "bridge");
		CHECKSTR(c->kandy.password, "kp");
		CHECKSTR(c->kandy.client_id, "PUB-1");
		CHECK(c->kandy.client_secret == NULL);
		CHECK(c->kandy.port == 443);
		CHECKSTR(c->kandy.host, "kandy.example.com");
		CHECKSTR(c->kandy.path, "");
		CHECK(c->kandy.address == KANDY_ADDRESS_SIP);
		CHECK(c->kandy.dialect == KANDY_DIALECT_WSRPC);
		CHECKSTR(c->kandy.domain, "example.com");
		CHECKSTR(c->sip.trunk_ha1, "0123456789ABCDEF0123456789abcdef");
		CHECK(c->sip.trunk_password == NULL);
		purge_config(c);
	}

	/* Defaults. */
	c = parse_text(minimal_conf, 0640);
	CHECK(c != NULL);
	if (c != NULL) {
		CHECKSTR(c->user, CONF_DEF_USER);
		CHECKSTR(c->chroot, CONF_DEF_CHROOT);
		CHECKSTR(c->control_socket, CONF_DEF_CONTROL_SOCKET);
		CHECK(c->log_verbose == 0);
		CHECKSTR(c->sip.realm, CONF_DEF_REALM);
		l = TAILQ_FIRST(&c->sip.listens);
		CHECK(l->ss.ss_family == AF_UNSPEC && l->port == 5060 &&
		    l->transport == SIP_TRANSPORT_UDP);
		l = TAILQ_NEXT(l, entry);
		CHECK(l->ss.ss_family == AF_UNSPEC && l->port == 5060 &&
		    l->transport == SIP_TRANSPORT_TCP);
		CHECK(TAILQ_NEXT(l, entry) == NULL);
		a = TAILQ_FIRST(&c->sip.allows);
		CHECK(a->prefixlen == 8 &&
		    ((struct sockaddr_in *)&a->addr)->sin_addr.s_addr ==
		    htonl(0x7f000000));
		a = TAILQ_NEXT(a, entry);
		CHECK(a->prefixlen == 128 && IN6_IS_ADDR_LOOPBACK(
		    &((struct sockaddr_in6 *)&a->addr)->sin6_addr));
		CHECK(c->sip.register_requires_kandy && c->sip.invite_auth &&
		    c->sip.pai);
		CHECK(c->sip.max_calls == CONF_DEF_MAX_CALLS);
		CHECK(c->sip.session_expires == CONF_DEF_SESSION_EXPIRES);
		CHECK(c->sip.min_se == CONF_DEF_MIN_SE);
		CHECK(c->sip.register_min_expires == CONF_DEF_REG_MIN_EXPIRES);
		CHECK(c->sip.register_max_expires == CONF_DEF_REG_MAX_EXPIRES);
		CHECK(c->sip.auth_failures == CONF_DEF_AUTH_FAILURES);
		CHECK(c->sip.auth_ban == CONF_DEF_AUTH_BAN);
		CHECKSTR(c->kandy.ca_file, CONF_DEF_KANDY_CA_FILE);
		CHECK(c->kandy.call_audit == CONF_DEF_CALL_AUDIT);
		CHECK(c->kandy.address == KANDY_ADDRESS_TEL);
		CHECK(TAILQ_EMPTY(&c->ice.servers) && !c->ice.relay_only);
		CHECK(c->media.rtp_low == CONF_DEF_RTP_LOW);
		CHECK(c->media.rtp_high == CONF_DEF_RTP_HIGH);
		CHECK(c->media.ncodecs == 2 &&
		    c->media.codecs[0] == CODEC_PCMA &&
		    c->media.codecs[1] == CODEC_PCMU);
		CHECK(c->media.telephone_event == 1);
		CHECK(c->media.public_address == NULL);
		CHECK(TAILQ_EMPTY(&c->outbound_rules));
		purge_config(c);
	}

	/* Errors give NULL, and leave nothing behind for the next parse. */
	CHECK(parse_text(bad_conf, 0600) == NULL);
	CHECK(parse_text(minimal_conf, 0644) == NULL);
	CHECK(parse_text(minimal_conf, 0660) == NULL);
	CHECK(parse_config("/nonexistent/bridged.conf", 0) == NULL);
	c = parse_text(minimal_conf, 0600);
	CHECK(c != NULL);
	purge_config(c);
	purge_config(NULL);

	if (failures)
		fprintf(stderr, "%d checks failed\n", failures);
	return (failures ? 1 : 0);
}
