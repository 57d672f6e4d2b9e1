/*
 * The parsed contents of bridged.conf(5).  parse.y fills these structures,
 * printconf.c prints them back, and the parent hands each child the parts
 * it needs.  Every field holds its effective value: defaults are filled in
 * by the parser, so no consumer needs to know them.  Fields marked secret
 * are wiped by purge_config() and never printed or logged.
 */
#ifndef KB_CONFIG_H
#define KB_CONFIG_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>

#include "cfg.h"
#include "media.h"
#include "numrule.h"

/* Defaults; bridged.conf(5) documents each of them. */
#define CONF_DEF_USER			"_bridged"
#define CONF_DEF_CHROOT			"/var/empty"
#define CONF_DEF_CONTROL_SOCKET		"/run/bridged.sock"
#define CONF_DEF_SIP_PORT		5060
#define CONF_DEF_SIPS_PORT		5061
#define CONF_DEF_REALM			"bridged"
#define CONF_DEF_MAX_CALLS		100
#define CONF_DEF_MAX_CPS		10
#define CONF_DEF_SESSION_EXPIRES	1800
#define CONF_DEF_MIN_SE			90
#define CONF_DEF_NOANSWER_TIMEOUT	120
#define CONF_DEF_REG_MIN_EXPIRES	60
#define CONF_DEF_REG_MAX_EXPIRES	3600
#define CONF_DEF_AUTH_FAILURES		5
#define CONF_DEF_AUTH_BAN		300
#define CONF_DEF_KANDY_CA_FILE		"/etc/ssl/certs/ca-certificates.crt"
#define CONF_DEF_CALL_AUDIT		25
#define CONF_DEF_RTP_LOW		20000
#define CONF_DEF_RTP_HIGH		29999
#define CONF_DEF_MEDIA_TIMEOUT		60
#define CONF_DEF_STUN_PORT		3478
#define CONF_DEF_STUNS_PORT		5349

/* parse_config() flags */
#define CONF_F_VERBOSE		0x01	/* log included files and macros */

enum sip_transport {
	SIP_TRANSPORT_UDP = 0,
	SIP_TRANSPORT_TCP,
	SIP_TRANSPORT_TLS
};

/* One "listen on" line. */
struct sip_listen {
	TAILQ_ENTRY(sip_listen)	 entry;
	struct sockaddr_storage	 ss;	/* port set; AF_UNSPEC: '*' */
	uint16_t		 port;	/* host byte order */
	uint8_t			 transport;	/* enum sip_transport */
	char			*certificate;	/* TLS only, else NULL */
	char			*key;		/* TLS only, else NULL */
};
TAILQ_HEAD(sip_listen_list, sip_listen);

/* One "allow from" prefix; host bits past prefixlen are zero. */
struct sip_allow {
	TAILQ_ENTRY(sip_allow)	 entry;
	struct sockaddr_storage	 addr;	/* AF_INET or AF_INET6, port 0 */
	uint8_t			 prefixlen;
};
TAILQ_HEAD(sip_allow_list, sip_allow);

/*
 * Trunk credentials: a password, or one or both of its hashes
 * ("user:realm:password", lower- or upper-case hex).  All three are
 * secrets.
 */
struct sip_conf {
	struct sip_listen_list	 listens;	/* never empty */
	struct sip_allow_list	 allows;	/* never empty */
	char			*public_address; /* IP or name, or NULL */
	char			*realm;
	char			*trunk_user;
	char			*trunk_password;	/* or NULL */
	char			*trunk_ha1;		/* 32 hex, or NULL */
	char			*trunk_ha1_sha256;	/* 64 hex, or NULL */
	int			 register_requires_kandy;	/* boolean */
	int			 invite_auth;		/* boolean */
	int			 max_calls;
	int			 max_cps;
	int			 session_expires;	/* seconds */
	int			 min_se;		/* seconds */
	int			 noanswer_timeout;	/* seconds */
	int			 register_min_expires;	/* seconds */
	int			 register_max_expires;	/* seconds */
	int			 pai;	/* boolean: P-Asserted-Identity */
	int			 auth_failures;	/* failures before a ban */
	int			 auth_ban;	/* seconds */
	int			 srtp;		/* CFG_SRTP_* */
};

/* Number rules, in file order; rule.dir says which list. */
struct numrule_entry {
	TAILQ_ENTRY(numrule_entry) entry;
	struct numrule		 rule;
};
TAILQ_HEAD(numrule_list, numrule_entry);

enum kandy_grant {
	KANDY_GRANT_CLIENT_CREDENTIALS = 0,	/* client id + secret */
	KANDY_GRANT_PASSWORD		/* user + password + client id */
};

enum kandy_address {
	KANDY_ADDRESS_TEL = 0,		/* tel:+971... */
	KANDY_ADDRESS_SIP		/* sip:971...@domain */
};

enum kandy_dialect {
	KANDY_DIALECT_CPAAS = 0,
	KANDY_DIALECT_WSRPC
};

/* client_secret and password are secrets. */
struct kandy_conf {
	char			*url;	/* https://host[:port][/path] */
	char			*host;	/* from url, IPv6 without [] */
	uint16_t		 port;	/* from url, default 443 */
	char			*path;	/* from url, "" or "/x", no final / */
	uint8_t			 grant;		/* enum kandy_grant */
	char			*client_id;
	char			*client_secret;	/* client credentials */
	char			*user;		/* password grant */
	char			*password;	/* password grant */
	char			*domain;	/* NULL: unset */
	uint8_t			 address;	/* enum kandy_address */
	uint8_t			 dialect;	/* enum kandy_dialect */
	char			*ca_file;
	int			 call_audit;	/* seconds, 0: off */
	char			*did;	/* calls to our user by name; NULL */
};

enum ice_scheme {
	ICE_SCHEME_STUN = 0,
	ICE_SCHEME_STUNS,
	ICE_SCHEME_TURN,
	ICE_SCHEME_TURNS
};

enum ice_server_transport {
	ICE_SERVER_UDP = 0,
	ICE_SERVER_TCP		/* stuns and turns: TLS over TCP */
};

/*
 * One "stun" or "turn" line.  A TURN server without a username uses the
 * credentials Kandy hands out.  password is a secret.
 */
struct ice_server {
	TAILQ_ENTRY(ice_server)	 entry;
	char			*url;		/* as written */
	uint8_t			 scheme;	/* enum ice_scheme */
	uint8_t			 transport;	/* enum ice_server_transport */
	uint16_t		 port;	/* explicit or scheme default */
	char			*host;	/* IPv6 without brackets */
	char			*username;	/* or NULL */
	char			*password;	/* NULL with username */
};
TAILQ_HEAD(ice_server_list, ice_server);

struct ice_conf {
	struct ice_server_list	 servers;	/* may be empty */
	int			 relay_only;	/* boolean */
};

struct media_conf {
	uint16_t		 rtp_low;	/* even */
	uint16_t		 rtp_high;	/* > rtp_low */
	uint8_t			 ncodecs;	/* at least 1 */
	uint8_t			 codecs[MEDIA_MAXCODECS]; /* enum media_codec */
	int			 telephone_event;	/* boolean */
	int			 timeout;	/* seconds, 0: off */
	char			*public_address; /* IP literal, or NULL */
};

struct bridged_conf {
	char			*user;
	char			*chroot;
	char			*control_socket;
	int			 log_verbose;	/* log verbose|brief */
	struct numrule_list	 outbound_rules;	/* 3CX -> Kandy */
	struct numrule_list	 inbound_rules;		/* Kandy -> 3CX */
	struct sip_conf		 sip;
	struct kandy_conf	 kandy;
	struct ice_conf		 ice;
	struct media_conf	 media;
};

/* parse.y */
struct bridged_conf	*parse_config(const char *, int);
int			 cmdline_symset(const char *);
void			 purge_config(struct bridged_conf *);

/* printconf.c */
void			 print_config(FILE *, const struct bridged_conf *);
const char		*sip_transport_name(enum sip_transport);
const char		*ice_scheme_name(enum ice_scheme);
int			 print_sockaddr(char *, size_t,
			    const struct sockaddr_storage *);

#endif /* KB_CONFIG_H */
