/*
 * Grammar and lexer for bridged.conf(5).
 *
 * The lexer reads one character at a time with a push-back stack per file,
 * expands $macros from a separate buffer, joins lines ended by a backslash,
 * and turns ';' into a newline so short blocks fit on one line.  The
 * grammar fills a struct bridged_conf; every value is range-checked where
 * it is read so errors carry the line they come from, and cross-option
 * checks run once the whole file is read.
 */

%{
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

#define MAX_INCLUDE_DEPTH	8
#define MAX_TOKEN		8192

struct cfile {
	TAILQ_ENTRY(cfile)	 entry;
	FILE			*stream;
	char			*name;
	int			 lineno;
	int			 eof_nl;	/* synthetic '\n' at EOF sent */
	unsigned char		*ungetbuf;
	size_t			 ungetpos;
	size_t			 ungetsize;
};
TAILQ_HEAD(cfile_list, cfile);

struct sym {
	TAILQ_ENTRY(sym)	 entry;
	int			 used;
	int			 persist;	/* from the command line */
	char			*name;
	char			*val;
};
TAILQ_HEAD(sym_list, sym);

static struct cfile_list	 files = TAILQ_HEAD_INITIALIZER(files);
static struct sym_list		 symbols = TAILQ_HEAD_INITIALIZER(symbols);
static struct cfile		*file, *topfile;
static struct bridged_conf	*conf;
static int			 errors;
static int			 parse_flags;
static char			*expbuf;	/* copy of the macro value being read */
static size_t			 exppos;
static struct cfile		*errfile;	/* last error's file and line */
static int			 errline;

/* Options that may be given once; a second one is an error. */
enum once_bit {
	O_USER, O_CHROOT, O_CONTROL, O_LOG,
	O_SIP_PUBLIC, O_SIP_REALM, O_SIP_TRUNK, O_SIP_REGREQ, O_SIP_INVAUTH,
	O_SIP_MAXCALLS, O_SIP_MAXCPS, O_SIP_SE, O_SIP_MINSE, O_SIP_NOANSWER,
	O_SIP_REGEXP, O_SIP_PAI, O_SIP_AUTHFAIL, O_SIP_SRTP,
	O_K_URL, O_K_CLIENTID, O_K_SECRET, O_K_USER, O_K_PASSWORD, O_K_DOMAIN,
	O_K_ADDRESS, O_K_DIALECT, O_K_CAFILE, O_K_AUDIT, O_K_DID,
	O_ICE_RELAYONLY,
	O_M_PORTS, O_M_CODECS, O_M_TELEV, O_M_TIMEOUT, O_M_PUBLIC,
	O_NBITS
};
static uint8_t			 seen[O_NBITS];

/* State of the line being parsed. */
static struct numrule		 currule;
static int			 currule_opts;
static struct sip_listen	*curlisten;
static int			 curlisten_opts;
static struct {
	int			 opts;
	char			*user;
	char			*password;
	char			*ha1;
	char			*ha1_sha256;
}				 curtrunk;

#define RULE_PREFIX	0x01
#define RULE_LENGTH	0x02
#define RULE_STRIP	0x04
#define RULE_PREPEND	0x08
#define RULE_REJECT	0x10

#define LISTEN_PORT	0x01
#define LISTEN_TRANSP	0x02
#define LISTEN_CERT	0x04
#define LISTEN_KEY	0x08

#define TRUNK_PASSWORD	0x01
#define TRUNK_HA1	0x02
#define TRUNK_HA1SHA256	0x04

int		 yyparse(void);
int		 yylex(void);
int		 yyerror(const char *, ...)
		    __attribute__((__format__ (printf, 1, 2)));
static int	 kw_cmp(const void *, const void *);
static int	 lookup(const char *);
static int	 lgetc(int);
static void	 lungetc(int);
static int	 rawgetc(void);
static int	 findeol(void);
static int	 allowed_in_string(int);
static int	 file_secrecy(int, const char *, char *, size_t);
static struct cfile *pushfile(const char *, char *, size_t);
static int	 popfile(void);
static char	*include_path(const char *);
static int	 symset(const char *, const char *, int);
static const char *symget(const char *);
static void	 symclear(void);
static int	 once(enum once_bit, const char *);
static int	 in_range(long long, long long, long long, const char *);
static void	 freesecret(char *);
static void	 exp_end(void);
static int	 parse_range(const char *, long long *, long long *);
static int	 parse_ip(const char *, struct sockaddr_storage *);
static int	 valid_hostname(const char *);
static int	 valid_did(const char *);
static int	 valid_path(const char *, const char *);
static int	 valid_digits(const char *, const char *);
static int	 valid_hex(const char *, size_t, const char *);
static void	 trunk_clear(void);
static void	 rule_begin(enum numrule_dir);
static int	 rule_end(void);
static void	 listen_clear(void);
static int	 listen_begin(const char *);
static int	 listen_end(void);
static int	 allow_add(const char *);
static int	 allow_add_prefix(int, const void *, int);
static int	 kandy_url(const char *, int);
static int	 ice_server_add(const char *, char *, char *);
static int	 codec_add(uint8_t, const char *);
static int	 parse_hostport(const char *, size_t, char **, uint16_t *);
static void	 conf_init(struct bridged_conf *);
static int	 conf_finish(struct bridged_conf *);
static int	 conf_error(const char *, ...)
		    __attribute__((__format__ (printf, 1, 2)));
static int	 strdup_default(char **, const char *);

typedef struct {
	union {
		long long		 number;
		char			*string;
		struct {
			long long	 lo;
			long long	 hi;
		}			 range;
	} v;
	int lineno;
} YYSTYPE;
#define YYSTYPE_IS_DECLARED 1

%}

%token	INCLUDE ERROR
%token	USER CHROOT CONTROL SOCKET LOG VERBOSE BRIEF
%token	SIP LISTEN ON PORT TRANSPORT UDP TCP TLS CERTIFICATE KEY
%token	PUBLIC ADDRESS REALM TRUNK PASSWORD HA1 HA1SHA256 ALLOW FROM ANY
%token	REGREQKANDY INVITE AUTH MAXIMUM MINIMUM CALLS CPS SESSIONEXPIRES MINSE
%token	NOANSWER TIMEOUT REGISTER EXPIRES PAI FAILURES BAN
%token	OUTBOUND INBOUND RULE PREFIX LENGTH STRIP PREPEND REJECT
%token	KANDY URL CLIENT ID SECRET DOMAIN TEL DIALECT CPAAS WSRPC CA FILENAME
%token	CALL AUDIT DID
%token	ICE STUN TURN USERNAME RELAY ONLY
%token	MEDIA RTP PORTS CODECS PCMU PCMA TELEVENT
%token	YES NO
%token	SRTP OFFER REQUIRE
%token	<v.string>	STRING
%token	<v.number>	NUMBER
%type	<v.number>	yesno srtpmode
%type	<v.string>	string
%type	<v.range>	range
%destructor	{ freesecret($$); } <v.string>

%%

grammar		: /* empty */
		| grammar '\n'
		| grammar include '\n'
		| grammar varset '\n'
		| grammar main '\n'
		| grammar numrule '\n'
		| grammar sipblock '\n'
		| grammar kandyblock '\n'
		| grammar iceblock '\n'
		| grammar mediablock '\n'
		| grammar error '\n'		{ yyerrok; }
		;

include		: INCLUDE STRING		{
			struct cfile	*nfile, *f;
			char		*path, msg[256];
			int		 depth = 0;

			path = include_path($2);
			free($2);
			TAILQ_FOREACH(f, &files, entry)
				depth++;
			if (depth > MAX_INCLUDE_DEPTH) {
				yyerror("include %s: nested too deeply", path);
				free(path);
				YYERROR;
			}
			nfile = pushfile(path, msg, sizeof(msg));
			if (nfile == NULL) {
				yyerror("include %s: %s", path, msg);
				free(path);
				YYERROR;
			}
			log_debug("including %s", path);
			free(path);
			file = nfile;
			/* Ends the include line before the new file's first. */
			exp_end();
			lungetc('\n');
		}
		;

string		: string STRING			{
			if (asprintf(&$$, "%s %s", $1, $2) == -1)
				fatal("string");
			freesecret($1);
			freesecret($2);
		}
		| STRING
		;

yesno		: YES				{ $$ = 1; }
		| NO				{ $$ = 0; }
		;

range		: NUMBER			{ $$.lo = $$.hi = $1; }
		| NUMBER '-' NUMBER		{ $$.lo = $1; $$.hi = $3; }
		| STRING			{
			if (parse_range($1, &$$.lo, &$$.hi) == -1) {
				yyerror("\"%s\" is not a number or a range N-M",
				    $1);
				free($1);
				YYERROR;
			}
			free($1);
		}
		;

varset		: STRING '=' string		{
			char	*s;

			for (s = $1; *s != '\0'; s++)
				if (!isalnum((unsigned char)*s) && *s != '_') {
					yyerror("macro name \"%s\" may only "
					    "hold letters, digits and '_'", $1);
					free($1);
					freesecret($3);
					YYERROR;
				}
			if (parse_flags & CONF_F_VERBOSE)
				log_debug("macro %s defined", $1);
			if (symset($1, $3, 0) == -1)
				fatal("cannot store macro %s", $1);
			free($1);
			freesecret($3);
		}
		;

main		: USER string			{
			if ($2[0] == '\0') {
				yyerror("user name is empty");
				free($2);
				YYERROR;
			}
			if (once(O_USER, "user") == -1) {
				free($2);
				YYERROR;
			}
			conf->user = $2;
		}
		| CHROOT string			{
			if (valid_path($2, "chroot") == -1 ||
			    once(O_CHROOT, "chroot") == -1) {
				free($2);
				YYERROR;
			}
			conf->chroot = $2;
		}
		| CONTROL SOCKET string		{
			struct sockaddr_un	su;

			if (valid_path($3, "control socket") == -1) {
				free($3);
				YYERROR;
			}
			if (strlen($3) >= sizeof(su.sun_path)) {
				yyerror("control socket path longer than %zu "
				    "characters", sizeof(su.sun_path) - 1);
				free($3);
				YYERROR;
			}
			if (once(O_CONTROL, "control socket") == -1) {
				free($3);
				YYERROR;
			}
			conf->control_socket = $3;
		}
		| LOG VERBOSE			{
			if (once(O_LOG, "log") == -1)
				YYERROR;
			conf->log_verbose = 1;
		}
		| LOG BRIEF			{
			if (once(O_LOG, "log") == -1)
				YYERROR;
			conf->log_verbose = 0;
		}
		;

/* Number rules */

numrule		: OUTBOUND RULE			{
			rule_begin(NUMRULE_OUTBOUND);
		}
		    ruleopts			{
			if (rule_end() == -1)
				YYERROR;
		}
		| INBOUND RULE			{
			rule_begin(NUMRULE_INBOUND);
		}
		    ruleopts			{
			if (rule_end() == -1)
				YYERROR;
		}
		;

ruleopts	: /* empty */
		| ruleopts ruleopt
		;

ruleopt		: PREFIX STRING			{
			if (currule_opts & RULE_PREFIX) {
				yyerror("prefix given twice");
				free($2);
				YYERROR;
			}
			currule_opts |= RULE_PREFIX;
			if (valid_digits($2, "prefix") == -1) {
				free($2);
				YYERROR;
			}
			strlcpy(currule.prefix, $2, sizeof(currule.prefix));
			free($2);
		}
		| PREFIX NUMBER			{
			yyerror("prefix must be quoted: leading zeros count");
			YYERROR;
		}
		| LENGTH range			{
			if (currule_opts & RULE_LENGTH) {
				yyerror("length given twice");
				YYERROR;
			}
			currule_opts |= RULE_LENGTH;
			if (in_range($2.lo, 1, NUMRULE_MAXDIGITS - 1,
			    "length") == -1 ||
			    in_range($2.hi, 1, NUMRULE_MAXDIGITS - 1,
			    "length") == -1)
				YYERROR;
			if ($2.lo > $2.hi) {
				yyerror("length %lld-%lld: minimum above "
				    "maximum", $2.lo, $2.hi);
				YYERROR;
			}
			currule.minlen = $2.lo;
			currule.maxlen = $2.hi;
		}
		| STRIP NUMBER			{
			if (currule_opts & RULE_STRIP) {
				yyerror("strip given twice");
				YYERROR;
			}
			currule_opts |= RULE_STRIP;
			if (in_range($2, 0, NUMRULE_MAXDIGITS - 1,
			    "strip") == -1)
				YYERROR;
			currule.strip = $2;
		}
		| PREPEND STRING		{
			if (currule_opts & RULE_PREPEND) {
				yyerror("prepend given twice");
				free($2);
				YYERROR;
			}
			currule_opts |= RULE_PREPEND;
			if (valid_digits($2, "prepend") == -1) {
				free($2);
				YYERROR;
			}
			strlcpy(currule.prepend, $2, sizeof(currule.prepend));
			free($2);
		}
		| PREPEND NUMBER		{
			yyerror("prepend must be quoted: leading zeros count");
			YYERROR;
		}
		| REJECT			{
			if (currule_opts & RULE_REJECT) {
				yyerror("reject given twice");
				YYERROR;
			}
			currule_opts |= RULE_REJECT;
			currule.reject = 1;
		}
		;

/* Blocks: options end at a newline or ';', the last one may end at '}'. */

optnl		: /* empty */
		| '\n' optnl
		;

nl		: '\n' optnl
		;

/* sip { ... } */

sipblock	: SIP optnl '{' optnl sipopts_l siplast '}' {
			yyerrok;
		}
		;

sipopts_l	: /* empty */
		| sipopts_l sipopt nl
		| sipopts_l error nl		{ yyerrok; }
		;

siplast		: /* empty */
		| sipopt
		| error
		;

sipopt		: LISTEN ON '*'			{
			if (listen_begin(NULL) == -1)
				YYERROR;
		} listenopts			{
			if (listen_end() == -1)
				YYERROR;
		}
		| LISTEN ON STRING		{
			/* Cleared: error recovery would free it again. */
			if (listen_begin($3) == -1) {
				free($3);
				$3 = NULL;
				YYERROR;
			}
			free($3);
			$3 = NULL;
		} listenopts			{
			if (listen_end() == -1)
				YYERROR;
		}
		| PUBLIC ADDRESS STRING		{
			struct sockaddr_storage	ss;

			if (parse_ip($3, &ss) == -1 &&
			    valid_hostname($3) == -1) {
				yyerror("public address \"%s\" is neither an "
				    "IP address nor a host name", $3);
				free($3);
				YYERROR;
			}
			if (once(O_SIP_PUBLIC, "public address") == -1) {
				free($3);
				YYERROR;
			}
			conf->sip.public_address = $3;
		}
		| REALM string			{
			if ($2[0] == '\0' || strchr($2, '"') != NULL ||
			    strchr($2, '\\') != NULL) {
				yyerror("realm must be non-empty, without "
				    "'\"' or '\\'");
				free($2);
				YYERROR;
			}
			if (once(O_SIP_REALM, "realm") == -1) {
				free($2);
				YYERROR;
			}
			conf->sip.realm = $2;
		}
		| TRUNK USER string		{
			trunk_clear();
			if ($3[0] == '\0' || strpbrk($3, "\"\\:@ ") != NULL) {
				yyerror("trunk user must be non-empty, without "
				    "'\"', '\\', ':', '@' or spaces");
				free($3);
				$3 = NULL;
				YYERROR;
			}
			curtrunk.user = $3;
			$3 = NULL;
		} trunkauth_l			{
			if ((curtrunk.opts & TRUNK_PASSWORD) &&
			    (curtrunk.opts & (TRUNK_HA1 | TRUNK_HA1SHA256))) {
				yyerror("trunk: give a password or hashes, "
				    "not both");
				YYERROR;
			}
			if (once(O_SIP_TRUNK, "trunk") == -1)
				YYERROR;
			conf->sip.trunk_user = curtrunk.user;
			conf->sip.trunk_password = curtrunk.password;
			conf->sip.trunk_ha1 = curtrunk.ha1;
			conf->sip.trunk_ha1_sha256 = curtrunk.ha1_sha256;
			memset(&curtrunk, 0, sizeof(curtrunk));
		}
		| ALLOW FROM ANY		{
			struct in_addr	 a4;
			struct in6_addr	 a6;

			memset(&a4, 0, sizeof(a4));
			memset(&a6, 0, sizeof(a6));
			if (allow_add_prefix(AF_INET, &a4, 0) == -1 ||
			    allow_add_prefix(AF_INET6, &a6, 0) == -1)
				YYERROR;
		}
		| ALLOW FROM STRING		{
			if (allow_add($3) == -1) {
				free($3);
				YYERROR;
			}
			free($3);
		}
		| REGREQKANDY yesno		{
			if (once(O_SIP_REGREQ, "register-requires-kandy") == -1)
				YYERROR;
			conf->sip.register_requires_kandy = $2;
		}
		| INVITE AUTH yesno		{
			if (once(O_SIP_INVAUTH, "invite auth") == -1)
				YYERROR;
			conf->sip.invite_auth = $3;
		}
		| MAXIMUM CALLS NUMBER		{
			if (in_range($3, 1, 100000, "max calls") == -1 ||
			    once(O_SIP_MAXCALLS, "max calls") == -1)
				YYERROR;
			conf->sip.max_calls = $3;
		}
		| MAXIMUM CPS NUMBER		{
			if (in_range($3, 1, 10000, "max cps") == -1 ||
			    once(O_SIP_MAXCPS, "max cps") == -1)
				YYERROR;
			conf->sip.max_cps = $3;
		}
		| SESSIONEXPIRES NUMBER		{
			if (in_range($2, 90, 86400, "session-expires") == -1 ||
			    once(O_SIP_SE, "session-expires") == -1)
				YYERROR;
			conf->sip.session_expires = $2;
		}
		| MINSE NUMBER			{
			if (in_range($2, 90, 86400, "min-se") == -1 ||
			    once(O_SIP_MINSE, "min-se") == -1)
				YYERROR;
			conf->sip.min_se = $2;
		}
		| NOANSWER TIMEOUT NUMBER	{
			if (in_range($3, 1, 3600, "no-answer timeout") == -1 ||
			    once(O_SIP_NOANSWER, "no-answer timeout") == -1)
				YYERROR;
			conf->sip.noanswer_timeout = $3;
		}
		| REGISTER EXPIRES MINIMUM NUMBER MAXIMUM NUMBER {
			if (in_range($4, 1, 86400,
			    "register expires min") == -1 ||
			    in_range($6, 1, 86400,
			    "register expires max") == -1)
				YYERROR;
			if ($4 > $6) {
				yyerror("register expires: min %lld above "
				    "max %lld", $4, $6);
				YYERROR;
			}
			if (once(O_SIP_REGEXP, "register expires") == -1)
				YYERROR;
			conf->sip.register_min_expires = $4;
			conf->sip.register_max_expires = $6;
		}
		| PAI yesno			{
			if (once(O_SIP_PAI, "p-asserted-identity") == -1)
				YYERROR;
			conf->sip.pai = $2;
		}
		| AUTH FAILURES NUMBER BAN NUMBER {
			if (in_range($3, 1, 1000, "auth failures") == -1 ||
			    in_range($5, 1, 604800, "ban") == -1 ||
			    once(O_SIP_AUTHFAIL, "auth failures") == -1)
				YYERROR;
			conf->sip.auth_failures = $3;
			conf->sip.auth_ban = $5;
		}
		| SRTP srtpmode			{
			if (once(O_SIP_SRTP, "srtp") == -1)
				YYERROR;
			conf->sip.srtp = $2;
		}
		;

srtpmode	: NO				{ $$ = CFG_SRTP_NO; }
		| OFFER				{ $$ = CFG_SRTP_OFFER; }
		| REQUIRE			{ $$ = CFG_SRTP_REQUIRE; }
		;

listenopts	: /* empty */
		| listenopts listenopt
		;

listenopt	: PORT NUMBER			{
			if (curlisten_opts & LISTEN_PORT) {
				yyerror("port given twice");
				YYERROR;
			}
			curlisten_opts |= LISTEN_PORT;
			if (in_range($2, 1, 65535, "port") == -1)
				YYERROR;
			curlisten->port = $2;
		}
		| TRANSPORT UDP			{
			if (curlisten_opts & LISTEN_TRANSP) {
				yyerror("transport given twice");
				YYERROR;
			}
			curlisten_opts |= LISTEN_TRANSP;
			curlisten->transport = SIP_TRANSPORT_UDP;
		}
		| TRANSPORT TCP			{
			if (curlisten_opts & LISTEN_TRANSP) {
				yyerror("transport given twice");
				YYERROR;
			}
			curlisten_opts |= LISTEN_TRANSP;
			curlisten->transport = SIP_TRANSPORT_TCP;
		}
		| TRANSPORT TLS			{
			if (curlisten_opts & LISTEN_TRANSP) {
				yyerror("transport given twice");
				YYERROR;
			}
			curlisten_opts |= LISTEN_TRANSP;
			curlisten->transport = SIP_TRANSPORT_TLS;
		}
		| CERTIFICATE string		{
			if (curlisten_opts & LISTEN_CERT) {
				yyerror("certificate given twice");
				free($2);
				YYERROR;
			}
			curlisten_opts |= LISTEN_CERT;
			if (valid_path($2, "certificate") == -1) {
				free($2);
				YYERROR;
			}
			curlisten->certificate = $2;
		}
		| KEY string			{
			if (curlisten_opts & LISTEN_KEY) {
				yyerror("key given twice");
				free($2);
				YYERROR;
			}
			curlisten_opts |= LISTEN_KEY;
			if (valid_path($2, "key") == -1) {
				free($2);
				YYERROR;
			}
			curlisten->key = $2;
		}
		;

trunkauth_l	: trunkauth
		| trunkauth_l trunkauth
		;

trunkauth	: PASSWORD string		{
			if (curtrunk.opts & TRUNK_PASSWORD) {
				yyerror("trunk password given twice");
				freesecret($2);
				YYERROR;
			}
			curtrunk.opts |= TRUNK_PASSWORD;
			if ($2[0] == '\0') {
				yyerror("trunk password is empty");
				freesecret($2);
				YYERROR;
			}
			curtrunk.password = $2;
		}
		| HA1 string			{
			if (curtrunk.opts & TRUNK_HA1) {
				yyerror("ha1 given twice");
				freesecret($2);
				YYERROR;
			}
			curtrunk.opts |= TRUNK_HA1;
			if (valid_hex($2, 32, "ha1") == -1) {
				freesecret($2);
				YYERROR;
			}
			curtrunk.ha1 = $2;
		}
		| HA1SHA256 string		{
			if (curtrunk.opts & TRUNK_HA1SHA256) {
				yyerror("ha1-sha256 given twice");
				freesecret($2);
				YYERROR;
			}
			curtrunk.opts |= TRUNK_HA1SHA256;
			if (valid_hex($2, 64, "ha1-sha256") == -1) {
				freesecret($2);
				YYERROR;
			}
			curtrunk.ha1_sha256 = $2;
		}
		;

/* kandy { ... } */

kandyblock	: KANDY optnl '{' optnl kandyopts_l kandylast '}' {
			yyerrok;
		}
		;

kandyopts_l	: /* empty */
		| kandyopts_l kandyopt nl
		| kandyopts_l error nl		{ yyerrok; }
		;

kandylast	: /* empty */
		| kandyopt
		| error
		;

kandyopt	: URL string			{
			if (kandy_url($2, 0) == -1 ||
			    once(O_K_URL, "url") == -1) {
				free($2);
				YYERROR;
			}
			kandy_url($2, 1);
			conf->kandy.url = $2;
		}
		| kandycred_l
		| DOMAIN string			{
			if (valid_hostname($2) == -1) {
				yyerror("domain \"%s\" is not a domain name",
				    $2);
				free($2);
				YYERROR;
			}
			if (once(O_K_DOMAIN, "domain") == -1) {
				free($2);
				YYERROR;
			}
			conf->kandy.domain = $2;
		}
		| ADDRESS TEL			{
			if (once(O_K_ADDRESS, "address") == -1)
				YYERROR;
			conf->kandy.address = KANDY_ADDRESS_TEL;
		}
		| ADDRESS SIP			{
			if (once(O_K_ADDRESS, "address") == -1)
				YYERROR;
			conf->kandy.address = KANDY_ADDRESS_SIP;
		}
		| DIALECT CPAAS			{
			if (once(O_K_DIALECT, "dialect") == -1)
				YYERROR;
			conf->kandy.dialect = KANDY_DIALECT_CPAAS;
		}
		| DIALECT WSRPC			{
			if (once(O_K_DIALECT, "dialect") == -1)
				YYERROR;
			conf->kandy.dialect = KANDY_DIALECT_WSRPC;
		}
		| CA FILENAME string		{
			if (valid_path($3, "ca file") == -1 ||
			    once(O_K_CAFILE, "ca file") == -1) {
				free($3);
				YYERROR;
			}
			conf->kandy.ca_file = $3;
		}
		| CALL AUDIT NUMBER		{
			if (in_range($3, 0, 3600, "call audit") == -1 ||
			    once(O_K_AUDIT, "call audit") == -1)
				YYERROR;
			conf->kandy.call_audit = $3;
		}
		| DID string			{
			if (valid_did($2) == -1 ||
			    once(O_K_DID, "did") == -1) {
				free($2);
				YYERROR;
			}
			conf->kandy.did = $2;
		}
		;

kandycred_l	: kandycred
		| kandycred_l kandycred
		;

kandycred	: CLIENT ID string		{
			if ($3[0] == '\0') {
				yyerror("client id is empty");
				free($3);
				YYERROR;
			}
			if (once(O_K_CLIENTID, "client id") == -1) {
				free($3);
				YYERROR;
			}
			conf->kandy.client_id = $3;
		}
		| SECRET string			{
			if ($2[0] == '\0') {
				yyerror("secret is empty");
				freesecret($2);
				YYERROR;
			}
			if (once(O_K_SECRET, "secret") == -1) {
				freesecret($2);
				YYERROR;
			}
			conf->kandy.client_secret = $2;
		}
		| USER string			{
			if ($2[0] == '\0') {
				yyerror("user is empty");
				free($2);
				YYERROR;
			}
			if (once(O_K_USER, "user") == -1) {
				free($2);
				YYERROR;
			}
			conf->kandy.user = $2;
		}
		| PASSWORD string		{
			if ($2[0] == '\0') {
				yyerror("password is empty");
				freesecret($2);
				YYERROR;
			}
			if (once(O_K_PASSWORD, "password") == -1) {
				freesecret($2);
				YYERROR;
			}
			conf->kandy.password = $2;
		}
		;

/* ice { ... } */

iceblock	: ICE optnl '{' optnl iceopts_l icelast '}' {
			yyerrok;
		}
		;

iceopts_l	: /* empty */
		| iceopts_l iceopt nl
		| iceopts_l error nl		{ yyerrok; }
		;

icelast		: /* empty */
		| iceopt
		| error
		;

iceopt		: STUN string			{
			if (ice_server_add($2, NULL, NULL) == -1) {
				free($2);
				YYERROR;
			}
			free($2);
		}
		| TURN string			{
			if (ice_server_add($2, NULL, NULL) == -1) {
				free($2);
				YYERROR;
			}
			free($2);
		}
		| TURN string USERNAME string PASSWORD string {
			if (ice_server_add($2, $4, $6) == -1) {
				free($2);
				free($4);
				freesecret($6);
				YYERROR;
			}
			free($2);
		}
		| RELAY ONLY yesno		{
			if (once(O_ICE_RELAYONLY, "relay only") == -1)
				YYERROR;
			conf->ice.relay_only = $3;
		}
		;

/* media { ... } */

mediablock	: MEDIA optnl '{' optnl mediaopts_l medialast '}' {
			yyerrok;
		}
		;

mediaopts_l	: /* empty */
		| mediaopts_l mediaopt nl
		| mediaopts_l error nl		{ yyerrok; }
		;

medialast	: /* empty */
		| mediaopt
		| error
		;

mediaopt	: RTP PORTS range		{
			if (in_range($3.lo, 1024, 65535, "rtp port") == -1 ||
			    in_range($3.hi, 1024, 65535, "rtp port") == -1)
				YYERROR;
			if ($3.lo >= $3.hi) {
				yyerror("rtp ports %lld-%lld: the first port "
				    "must be below the last", $3.lo, $3.hi);
				YYERROR;
			}
			if ($3.lo % 2 != 0) {
				yyerror("rtp ports %lld-%lld: the first port "
				    "must be even (RTP even, RTCP odd)",
				    $3.lo, $3.hi);
				YYERROR;
			}
			if (once(O_M_PORTS, "rtp ports") == -1)
				YYERROR;
			conf->media.rtp_low = $3.lo;
			conf->media.rtp_high = $3.hi;
		}
		| CODECS			{
			if (once(O_M_CODECS, "codecs") == -1)
				YYERROR;
			conf->media.ncodecs = 0;
		} codec_l
		| TELEVENT yesno		{
			if (once(O_M_TELEV, "telephone-event") == -1)
				YYERROR;
			conf->media.telephone_event = $2;
		}
		| TIMEOUT NUMBER		{
			if (in_range($2, 0, 3600, "timeout") == -1 ||
			    once(O_M_TIMEOUT, "timeout") == -1)
				YYERROR;
			conf->media.timeout = $2;
		}
		| PUBLIC ADDRESS STRING		{
			struct sockaddr_storage	ss;

			if (parse_ip($3, &ss) == -1) {
				yyerror("media public address \"%s\" is not "
				    "an IP address", $3);
				free($3);
				YYERROR;
			}
			if (once(O_M_PUBLIC, "public address") == -1) {
				free($3);
				YYERROR;
			}
			conf->media.public_address = $3;
		}
		;

codec_l		: codec
		| codec_l codec
		;

codec		: PCMU				{
			if (codec_add(CODEC_PCMU, "pcmu") == -1)
				YYERROR;
		}
		| PCMA				{
			if (codec_add(CODEC_PCMA, "pcma") == -1)
				YYERROR;
		}
		;

%%

struct keyword {
	const char	*k_name;
	int		 k_val;
};

/* Sorted for bsearch(3). */
static const struct keyword keywords[] = {
	{ "address",			ADDRESS },
	{ "allow",			ALLOW },
	{ "any",			ANY },
	{ "audit",			AUDIT },
	{ "auth",			AUTH },
	{ "ban",			BAN },
	{ "brief",			BRIEF },
	{ "ca",				CA },
	{ "call",			CALL },
	{ "calls",			CALLS },
	{ "certificate",		CERTIFICATE },
	{ "chroot",			CHROOT },
	{ "client",			CLIENT },
	{ "codecs",			CODECS },
	{ "control",			CONTROL },
	{ "cpaas",			CPAAS },
	{ "cps",			CPS },
	{ "dialect",			DIALECT },
	{ "did",			DID },
	{ "domain",			DOMAIN },
	{ "expires",			EXPIRES },
	{ "failures",			FAILURES },
	{ "file",			FILENAME },
	{ "from",			FROM },
	{ "ha1",			HA1 },
	{ "ha1-sha256",			HA1SHA256 },
	{ "ice",			ICE },
	{ "id",				ID },
	{ "inbound",			INBOUND },
	{ "include",			INCLUDE },
	{ "invite",			INVITE },
	{ "kandy",			KANDY },
	{ "key",			KEY },
	{ "length",			LENGTH },
	{ "listen",			LISTEN },
	{ "log",			LOG },
	{ "max",			MAXIMUM },
	{ "media",			MEDIA },
	{ "min",			MINIMUM },
	{ "min-se",			MINSE },
	{ "no",				NO },
	{ "no-answer",			NOANSWER },
	{ "offer",			OFFER },
	{ "on",				ON },
	{ "only",			ONLY },
	{ "outbound",			OUTBOUND },
	{ "p-asserted-identity",	PAI },
	{ "password",			PASSWORD },
	{ "pcma",			PCMA },
	{ "pcmu",			PCMU },
	{ "port",			PORT },
	{ "ports",			PORTS },
	{ "prefix",			PREFIX },
	{ "prepend",			PREPEND },
	{ "public",			PUBLIC },
	{ "realm",			REALM },
	{ "register",			REGISTER },
	{ "register-requires-kandy",	REGREQKANDY },
	{ "reject",			REJECT },
	{ "relay",			RELAY },
	{ "require",			REQUIRE },
	{ "rtp",			RTP },
	{ "rule",			RULE },
	{ "secret",			SECRET },
	{ "session-expires",		SESSIONEXPIRES },
	{ "sip",			SIP },
	{ "socket",			SOCKET },
	{ "srtp",			SRTP },
	{ "strip",			STRIP },
	{ "stun",			STUN },
	{ "tcp",			TCP },
	{ "tel",			TEL },
	{ "telephone-event",		TELEVENT },
	{ "timeout",			TIMEOUT },
	{ "tls",			TLS },
	{ "transport",			TRANSPORT },
	{ "trunk",			TRUNK },
	{ "turn",			TURN },
	{ "udp",			UDP },
	{ "url",			URL },
	{ "user",			USER },
	{ "username",			USERNAME },
	{ "verbose",			VERBOSE },
	{ "wsrpc",			WSRPC },
	{ "yes",			YES }
};

int
yyerror(const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	errors++;
	/*
	 * A lexer error already explained this line; the parser's own
	 * "syntax error" for the same line would only add noise.
	 */
	if (strcmp(fmt, "syntax error") == 0 && errfile == file &&
	    errline == yylval.lineno)
		return (0);
	errfile = file;
	errline = yylval.lineno;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		fatal("yyerror");
	va_end(ap);
	log_warnx("%s:%d: %s", file->name, yylval.lineno, msg);
	free(msg);
	return (0);
}

static int
conf_error(const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	errors++;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		fatal("conf_error");
	va_end(ap);
	log_warnx("%s: %s", topfile->name, msg);
	free(msg);
	return (-1);
}

static int
kw_cmp(const void *k, const void *e)
{
	return (strcmp(k, ((const struct keyword *)e)->k_name));
}

static int
lookup(const char *s)
{
	const struct keyword	*kw;

	kw = bsearch(s, keywords, sizeof(keywords) / sizeof(keywords[0]),
	    sizeof(keywords[0]), kw_cmp);
	return (kw != NULL ? kw->k_val : STRING);
}

/* One character from the current file, its push-back stack first. */
static int
rawgetc(void)
{
	if (file->ungetpos > 0)
		return (file->ungetbuf[--file->ungetpos]);
	return (getc(file->stream));
}

static int
lgetc(int quoted)
{
	int	 c, next;

	if (expbuf != NULL) {
		c = (unsigned char)expbuf[exppos];
		if (c != '\0') {
			exppos++;
			return (c);
		}
		exp_end();
	}

	c = rawgetc();
	if (quoted)
		return (c);

	/* Backslash-newline joins lines outside quotes. */
	while (c == '\\') {
		next = rawgetc();
		if (next != '\n') {
			if (next != EOF)
				lungetc(next);
			break;
		}
		file->lineno++;
		c = rawgetc();
	}

	/* The end of an included file continues its parent. */
	while (c == EOF && file != topfile) {
		if (popfile() == -1)
			return (EOF);
		c = rawgetc();
	}
	return (c);
}

static void
lungetc(int c)
{
	unsigned char	*p;

	if (c == EOF)
		return;
	/* Characters read from a macro go back to the macro. */
	if (expbuf != NULL && exppos > 0) {
		exppos--;
		return;
	}
	if (file->ungetpos >= file->ungetsize) {
		p = reallocarray(file->ungetbuf, file->ungetsize + 64, 1);
		if (p == NULL)
			fatal("lungetc");
		file->ungetbuf = p;
		file->ungetsize += 64;
	}
	file->ungetbuf[file->ungetpos++] = c;
}

/* Skips the rest of a bad line, leaving its newline for the grammar. */
static int
findeol(void)
{
	int	 c;

	exp_end();
	while ((c = lgetc(0)) != EOF && c != '\n')
		;
	lungetc(c);
	return (ERROR);
}

static int
allowed_in_string(int c)
{
	if (isalnum(c))
		return (1);
	return (c != '\0' && strchr("._-/:+[]@%", c) != NULL);
}

int
yylex(void)
{
	char		 buf[MAX_TOKEN], *p;
	const char	*val, *errstr;
	int		 c, next, quotec, token;

top:
	p = buf;
	while ((c = lgetc(0)) == ' ' || c == '\t')
		;
	yylval.lineno = file->lineno;

	if (c == '#')
		while ((c = lgetc(0)) != '\n' && c != EOF)
			;

	if (c == '$' && expbuf == NULL) {
		while ((c = lgetc(0)) != EOF &&
		    (isalnum(c) || c == '_')) {
			if (p + 1 >= buf + sizeof(buf)) {
				yyerror("macro name too long");
				return (findeol());
			}
			*p++ = c;
		}
		*p = '\0';
		lungetc(c);
		if (buf[0] == '\0') {
			yyerror("macro name expected after '$'");
			return (findeol());
		}
		if ((val = symget(buf)) == NULL) {
			yyerror("macro \"%s\" is not defined", buf);
			return (findeol());
		}
		/*
		 * A copy: the expansion may redefine the macro it is read
		 * from, which frees the value.
		 */
		if ((expbuf = strdup(val)) == NULL)
			fatal("macro expansion");
		exppos = 0;
		goto top;
	}

	switch (c) {
	case '\'':
	case '"':
		quotec = c;
		for (;;) {
			if ((c = lgetc(1)) == EOF) {
				yyerror("end of file inside a quoted string");
				return (0);
			}
			if (c == '\n') {
				yyerror("newline inside a quoted string");
				lungetc(c);
				explicit_bzero(buf, sizeof(buf));
				return (ERROR);
			}
			if (c == '\\') {
				next = lgetc(1);
				if (next == '\n') {
					file->lineno++;
					continue;
				}
				if (next == quotec || next == '\\')
					c = next;
				else
					lungetc(next);
			} else if (c == quotec)
				break;
			else if (c == '\0') {
				yyerror("NUL byte inside a quoted string");
				explicit_bzero(buf, sizeof(buf));
				return (findeol());
			}
			if (p + 1 >= buf + sizeof(buf)) {
				yyerror("quoted string too long");
				explicit_bzero(buf, sizeof(buf));
				return (findeol());
			}
			*p++ = c;
		}
		*p = '\0';
		if ((yylval.v.string = strdup(buf)) == NULL)
			fatal("yylex");
		explicit_bzero(buf, sizeof(buf));
		return (STRING);
	}

	if (c == '-' || isdigit(c)) {
		do {
			*p++ = c;
			if (p >= buf + sizeof(buf) - 1) {
				yyerror("number too long");
				return (findeol());
			}
		} while ((c = lgetc(0)) != EOF && isdigit(c));
		lungetc(c);
		if (p == buf + 1 && buf[0] == '-')
			goto nodigits;
		if (c == EOF || !allowed_in_string(c)) {
			*p = '\0';
			yylval.v.number = strtonum(buf, LLONG_MIN, LLONG_MAX,
			    &errstr);
			if (errstr != NULL) {
				yyerror("number %s is %s", buf, errstr);
				return (findeol());
			}
			return (NUMBER);
		}
nodigits:
		/* Not a number after all: give it back and read a word. */
		while (p > buf + 1)
			lungetc((unsigned char)*--p);
		c = (unsigned char)*--p;
		if (c == '-')
			return (c);
	}

	if (isalnum(c) || (c > 0 && strchr(":_+[/", c) != NULL)) {
		do {
			*p++ = c;
			if (p >= buf + sizeof(buf) - 1) {
				yyerror("word too long");
				return (findeol());
			}
		} while ((c = lgetc(0)) != EOF && allowed_in_string(c));
		lungetc(c);
		*p = '\0';
		if ((token = lookup(buf)) == STRING)
			if ((yylval.v.string = strdup(buf)) == NULL)
				fatal("yylex");
		return (token);
	}

	if (c == '\n') {
		yylval.lineno = file->lineno;
		file->lineno++;
	}
	if (c == ';')
		return ('\n');
	if (c == EOF) {
		/* A last line without a newline still ends a statement. */
		if (!file->eof_nl) {
			file->eof_nl = 1;
			return ('\n');
		}
		return (0);
	}
	return (c);
}

/*
 * Secrets live in the file, so it must not be readable by everyone nor
 * writable by anyone but its owner, who must be root or the running user.
 */
static int
file_secrecy(int fd, const char *name, char *msg, size_t msglen)
{
	struct stat	 st;

	if (fstat(fd, &st) == -1) {
		snprintf(msg, msglen, "%s", strerror(errno));
		return (-1);
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(msg, msglen, "not a regular file");
		return (-1);
	}
	if (st.st_uid != 0 && st.st_uid != getuid()) {
		snprintf(msg, msglen, "owner is neither root nor the "
		    "running user");
		return (-1);
	}
	if (st.st_mode & (S_IWGRP | S_IXGRP | S_IRWXO)) {
		snprintf(msg, msglen, "bad permissions %04o: must not be "
		    "group writable nor accessible by others",
		    (unsigned int)(st.st_mode & 07777));
		return (-1);
	}
	return (0);
}

static struct cfile *
pushfile(const char *name, char *msg, size_t msglen)
{
	struct cfile	*nfile;

	if ((nfile = calloc(1, sizeof(*nfile))) == NULL)
		fatal("pushfile");
	if ((nfile->name = strdup(name)) == NULL)
		fatal("pushfile");
	if ((nfile->stream = fopen(name, "r")) == NULL) {
		snprintf(msg, msglen, "%s", strerror(errno));
		free(nfile->name);
		free(nfile);
		return (NULL);
	}
	if (file_secrecy(fileno(nfile->stream), name, msg, msglen) == -1) {
		fclose(nfile->stream);
		free(nfile->name);
		free(nfile);
		return (NULL);
	}
	/* An included file starts with the pushed '\n' of its include line. */
	nfile->lineno = TAILQ_EMPTY(&files) ? 1 : 0;
	TAILQ_INSERT_TAIL(&files, nfile, entry);
	return (nfile);
}

static int
popfile(void)
{
	struct cfile	*prev;

	prev = TAILQ_PREV(file, cfile_list, entry);
	TAILQ_REMOVE(&files, file, entry);
	fclose(file->stream);
	free(file->name);
	free(file->ungetbuf);
	free(file);
	file = prev;
	return (file != NULL ? 0 : -1);
}

/* Relative include paths are taken from the including file's directory. */
static char *
include_path(const char *name)
{
	const char	*slash;
	char		*path;
	int		 dirlen;

	if (name[0] == '/' || (slash = strrchr(file->name, '/')) == NULL) {
		if ((path = strdup(name)) == NULL)
			fatal("include_path");
		return (path);
	}
	dirlen = slash - file->name;
	if (asprintf(&path, "%.*s/%s", dirlen, file->name, name) == -1)
		fatal("include_path");
	return (path);
}

static int
symset(const char *name, const char *val, int persist)
{
	struct sym	*sym;

	TAILQ_FOREACH(sym, &symbols, entry)
		if (strcmp(name, sym->name) == 0)
			break;
	if (sym != NULL) {
		/* A command-line definition wins over the file's. */
		if (sym->persist && !persist)
			return (0);
		TAILQ_REMOVE(&symbols, sym, entry);
		free(sym->name);
		freesecret(sym->val);
		free(sym);
	}
	if ((sym = calloc(1, sizeof(*sym))) == NULL)
		return (-1);
	if ((sym->name = strdup(name)) == NULL ||
	    (sym->val = strdup(val)) == NULL) {
		free(sym->name);
		free(sym);
		return (-1);
	}
	sym->persist = persist;
	TAILQ_INSERT_TAIL(&symbols, sym, entry);
	return (0);
}

int
cmdline_symset(const char *s)
{
	const char	*eq;
	char		*name;
	int		 rv;

	if ((eq = strchr(s, '=')) == NULL || eq == s)
		return (-1);
	if ((name = strndup(s, eq - s)) == NULL)
		return (-1);
	rv = symset(name, eq + 1, 1);
	free(name);
	return (rv);
}

static const char *
symget(const char *name)
{
	struct sym	*sym;

	TAILQ_FOREACH(sym, &symbols, entry)
		if (strcmp(name, sym->name) == 0) {
			sym->used = 1;
			return (sym->val);
		}
	return (NULL);
}

/* Forgets the file's macros; command-line ones serve the next parse. */
static void
symclear(void)
{
	struct sym	*sym, *next;

	for (sym = TAILQ_FIRST(&symbols); sym != NULL; sym = next) {
		next = TAILQ_NEXT(sym, entry);
		if ((parse_flags & CONF_F_VERBOSE) && !sym->used)
			log_debug("macro %s defined but not used", sym->name);
		if (sym->persist) {
			sym->used = 0;
			continue;
		}
		TAILQ_REMOVE(&symbols, sym, entry);
		free(sym->name);
		freesecret(sym->val);
		free(sym);
	}
}

static int
once(enum once_bit bit, const char *what)
{
	if (seen[bit]++) {
		yyerror("%s given twice", what);
		return (-1);
	}
	return (0);
}

static int
in_range(long long v, long long lo, long long hi, const char *what)
{
	if (v < lo || v > hi) {
		yyerror("%s %lld out of range %lld-%lld", what, v, lo, hi);
		return (-1);
	}
	return (0);
}

/* Ends the reading of a macro's value (which may hold a secret). */
static void
exp_end(void)
{
	freesecret(expbuf);
	expbuf = NULL;
}

static void
freesecret(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static int
parse_range(const char *s, long long *lo, long long *hi)
{
	const char	*dash, *errstr;
	char		*first;

	if ((dash = strchr(s, '-')) == NULL || dash == s)
		return (-1);
	if ((first = strndup(s, dash - s)) == NULL)
		fatal("parse_range");
	*lo = strtonum(first, 0, INT_MAX, &errstr);
	free(first);
	if (errstr != NULL)
		return (-1);
	*hi = strtonum(dash + 1, 0, INT_MAX, &errstr);
	if (errstr != NULL)
		return (-1);
	return (0);
}

static int
parse_ip(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		return (0);
	}
	if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		return (0);
	}
	return (-1);
}

static int
valid_hostname(const char *s)
{
	size_t	 len, label = 0;

	len = strlen(s);
	if (len == 0 || len > 253)
		return (-1);
	for (; *s != '\0'; s++) {
		if (*s == '.') {
			if (label == 0)
				return (-1);
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*s) && *s != '-')
			return (-1);
		if (++label > 63)
			return (-1);
	}
	return (0);
}

/* A DID as the PBX routes on: digits, maybe a leading '+', 1-31 of them. */
static int
valid_did(const char *s)
{
	const char	*d = s[0] == '+' ? s + 1 : s;
	size_t		 n = strlen(d);

	if (n == 0 || n > 31 || strspn(d, "0123456789") != n) {
		yyerror("did \"%s\" is not a number", s);
		return (-1);
	}
	return (0);
}

static int
valid_path(const char *s, const char *what)
{
	if (s[0] != '/') {
		yyerror("%s \"%s\" is not an absolute path", what, s);
		return (-1);
	}
	if (strlen(s) >= PATH_MAX) {
		yyerror("%s path too long", what);
		return (-1);
	}
	return (0);
}

/* Prefixes and prepends: digits, an optional leading '+'. */
static int
valid_digits(const char *s, const char *what)
{
	const char	*p = s;

	if (strlen(s) >= NUMRULE_MAXDIGITS) {
		yyerror("%s \"%s\" longer than %d characters", what, s,
		    NUMRULE_MAXDIGITS - 1);
		return (-1);
	}
	if (*p == '+')
		p++;
	for (; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p)) {
			yyerror("%s \"%s\": only digits and a leading '+' "
			    "are allowed", what, s);
			return (-1);
		}
	return (0);
}

static int
valid_hex(const char *s, size_t len, const char *what)
{
	size_t	 i;

	if (strlen(s) != len) {
		yyerror("%s must be %zu hexadecimal digits", what, len);
		return (-1);
	}
	for (i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i])) {
			yyerror("%s must be %zu hexadecimal digits", what, len);
			return (-1);
		}
	return (0);
}

/* Drops what a failed trunk line left behind. */
static void
trunk_clear(void)
{
	free(curtrunk.user);
	freesecret(curtrunk.password);
	freesecret(curtrunk.ha1);
	freesecret(curtrunk.ha1_sha256);
	memset(&curtrunk, 0, sizeof(curtrunk));
}

static void
rule_begin(enum numrule_dir dir)
{
	memset(&currule, 0, sizeof(currule));
	currule.dir = dir;
	currule_opts = 0;
}

static int
rule_end(void)
{
	struct numrule_list	*list;
	struct numrule_entry	*ne, *last;
	const char		*dirname;

	if (currule.dir == NUMRULE_OUTBOUND) {
		list = &conf->outbound_rules;
		dirname = "outbound";
	} else {
		list = &conf->inbound_rules;
		dirname = "inbound";
	}
	if (currule.reject && (currule_opts & (RULE_STRIP | RULE_PREPEND))) {
		yyerror("a reject rule cannot strip or prepend");
		return (-1);
	}
	if (currule.maxlen != 0 && currule.maxlen < strlen(currule.prefix)) {
		yyerror("length %d is shorter than prefix \"%s\": the rule "
		    "never matches", currule.maxlen, currule.prefix);
		return (-1);
	}
	if (currule.minlen != 0 && currule.strip > currule.minlen) {
		yyerror("strip %d removes more than the %d digits the rule "
		    "matches", currule.strip, currule.minlen);
		return (-1);
	}
	last = TAILQ_LAST(list, numrule_list);
	if (last != NULL && last->rule.prefix[0] == '\0' &&
	    last->rule.minlen == 0) {
		yyerror("%s rule never used: the rule before it matches "
		    "every number", dirname);
		return (-1);
	}
	if ((ne = calloc(1, sizeof(*ne))) == NULL)
		fatal("rule_end");
	ne->rule = currule;
	TAILQ_INSERT_TAIL(list, ne, entry);
	return (0);
}

static void
listen_clear(void)
{
	if (curlisten != NULL) {
		free(curlisten->certificate);
		free(curlisten->key);
		free(curlisten);
		curlisten = NULL;
	}
}

static int
listen_begin(const char *addr)
{
	listen_clear();
	if ((curlisten = calloc(1, sizeof(*curlisten))) == NULL)
		fatal("listen_begin");
	curlisten_opts = 0;
	curlisten->transport = SIP_TRANSPORT_UDP;
	if (addr == NULL)
		curlisten->ss.ss_family = AF_UNSPEC;
	else if (parse_ip(addr, &curlisten->ss) == -1) {
		yyerror("listen on \"%s\": not an IP address or '*'", addr);
		free(curlisten);
		curlisten = NULL;
		return (-1);
	}
	return (0);
}

static int
listen_end(void)
{
	struct sip_listen	*l = curlisten, *o;
	int			 tls;

	curlisten = NULL;
	if (l == NULL)
		return (-1);
	tls = l->transport == SIP_TRANSPORT_TLS;
	if (!(curlisten_opts & LISTEN_PORT))
		l->port = tls ? CONF_DEF_SIPS_PORT : CONF_DEF_SIP_PORT;
	if (tls && (l->certificate == NULL || l->key == NULL)) {
		yyerror("listen with transport tls needs a certificate "
		    "and a key");
		goto fail;
	}
	if (!tls && (l->certificate != NULL || l->key != NULL)) {
		yyerror("certificate and key apply to transport tls only");
		goto fail;
	}
	if (l->ss.ss_family == AF_INET)
		((struct sockaddr_in *)&l->ss)->sin_port = htons(l->port);
	else if (l->ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&l->ss)->sin6_port = htons(l->port);

	TAILQ_FOREACH(o, &conf->sip.listens, entry) {
		/* TLS and TCP share the TCP port space. */
		int stream_l = l->transport != SIP_TRANSPORT_UDP;
		int stream_o = o->transport != SIP_TRANSPORT_UDP;

		if (o->port != l->port || stream_l != stream_o)
			continue;
		if (o->ss.ss_family == AF_UNSPEC ||
		    l->ss.ss_family == AF_UNSPEC ||
		    (o->ss.ss_family == l->ss.ss_family &&
		    memcmp(&o->ss, &l->ss, sizeof(o->ss)) == 0)) {
			yyerror("listen on port %u %s: address already used "
			    "by an earlier listen", l->port,
			    stream_l ? "tcp/tls" : "udp");
			goto fail;
		}
	}
	TAILQ_INSERT_TAIL(&conf->sip.listens, l, entry);
	return (0);
 fail:
	free(l->certificate);
	free(l->key);
	free(l);
	return (-1);
}

static int
allow_add(const char *s)
{
	struct sockaddr_storage	 ss;
	const char		*slash, *errstr;
	char			*addr;
	long long		 len;
	int			 maxlen;

	if ((slash = strchr(s, '/')) != NULL) {
		if ((addr = strndup(s, slash - s)) == NULL)
			fatal("allow_add");
	} else if ((addr = strdup(s)) == NULL)
		fatal("allow_add");
	if (parse_ip(addr, &ss) == -1) {
		yyerror("allow from \"%s\": not an address or prefix", s);
		free(addr);
		return (-1);
	}
	free(addr);
	maxlen = ss.ss_family == AF_INET ? 32 : 128;
	len = maxlen;
	if (slash != NULL) {
		len = strtonum(slash + 1, 0, maxlen, &errstr);
		if (errstr != NULL) {
			yyerror("allow from \"%s\": prefix length %s "
			    "(0-%d)", s, errstr, maxlen);
			return (-1);
		}
	}
	if (ss.ss_family == AF_INET)
		return (allow_add_prefix(AF_INET,
		    &((struct sockaddr_in *)&ss)->sin_addr, len));
	return (allow_add_prefix(AF_INET6,
	    &((struct sockaddr_in6 *)&ss)->sin6_addr, len));
}

static int
allow_add_prefix(int af, const void *addr, int len)
{
	struct sip_allow	*a, *o;
	unsigned char		 bytes[16];
	size_t			 alen, i;
	int			 bits;
	char			 buf[INET6_ADDRSTRLEN];

	alen = af == AF_INET ? 4 : 16;
	memcpy(bytes, addr, alen);
	for (i = 0; i < alen; i++) {
		bits = len - (int)i * 8;
		if (bits >= 8)
			continue;
		if (bits <= 0 ? bytes[i] != 0 :
		    (bytes[i] & (0xff >> bits)) != 0) {
			inet_ntop(af, addr, buf, sizeof(buf));
			yyerror("allow from %s/%d: address has bits set past "
			    "the prefix length", buf, len);
			return (-1);
		}
	}
	if ((a = calloc(1, sizeof(*a))) == NULL)
		fatal("allow_add_prefix");
	a->addr.ss_family = af;
	if (af == AF_INET)
		memcpy(&((struct sockaddr_in *)&a->addr)->sin_addr, bytes, 4);
	else
		memcpy(&((struct sockaddr_in6 *)&a->addr)->sin6_addr, bytes,
		    16);
	a->prefixlen = len;
	TAILQ_FOREACH(o, &conf->sip.allows, entry)
		if (o->prefixlen == a->prefixlen &&
		    memcmp(&o->addr, &a->addr, sizeof(a->addr)) == 0) {
			inet_ntop(af, bytes, buf, sizeof(buf));
			yyerror("allow from %s/%d given twice", buf, len);
			free(a);
			return (-1);
		}
	TAILQ_INSERT_TAIL(&conf->sip.allows, a, entry);
	return (0);
}

/*
 * host[:port] with host a name, an IPv4 address or a bracketed IPv6
 * address; len bounds s.  The host is returned without brackets.
 */
static int
parse_hostport(const char *s, size_t len, char **host, uint16_t *port)
{
	struct sockaddr_storage	 ss;
	const char		*end, *errstr;
	char			*h, *ps;
	long long		 p;

	*host = NULL;
	if (len > 0 && s[0] == '[') {
		if ((end = memchr(s, ']', len)) == NULL)
			return (-1);
		if ((h = strndup(s + 1, end - s - 1)) == NULL)
			fatal("parse_hostport");
		if (parse_ip(h, &ss) == -1 || ss.ss_family != AF_INET6) {
			free(h);
			return (-1);
		}
		end++;
	} else {
		if ((end = memchr(s, ':', len)) == NULL)
			end = s + len;
		if ((h = strndup(s, end - s)) == NULL)
			fatal("parse_hostport");
		if (valid_hostname(h) == -1) {
			free(h);
			return (-1);
		}
	}
	if (end < s + len) {
		if (*end != ':' || end + 1 == s + len) {
			free(h);
			return (-1);
		}
		if ((ps = strndup(end + 1, s + len - end - 1)) == NULL)
			fatal("parse_hostport");
		p = strtonum(ps, 1, 65535, &errstr);
		free(ps);
		if (errstr != NULL) {
			free(h);
			return (-1);
		}
		*port = p;
	}
	*host = h;
	return (0);
}

/* Checks a Kandy URL; with store set, keeps its parts in conf->kandy. */
static int
kandy_url(const char *url, int store)
{
	const char	*hp, *path, *p;
	char		*host;
	uint16_t	 port = 443;
	size_t		 plen;

	if (strncmp(url, "https://", 8) != 0) {
		yyerror("url \"%s\" must start with https://", url);
		return (-1);
	}
	hp = url + 8;
	path = hp + strcspn(hp, "/");
	for (p = url; *p != '\0'; p++)
		if (!isgraph((unsigned char)*p) || strchr("?#@\"\\", *p)) {
			yyerror("url \"%s\": spaces, '?', '#', '@', '\"' "
			    "and '\\' are not allowed", url);
			return (-1);
		}
	if (parse_hostport(hp, path - hp, &host, &port) == -1) {
		yyerror("url \"%s\": bad host or port", url);
		return (-1);
	}
	if (!store) {
		free(host);
		return (0);
	}
	plen = strlen(path);
	while (plen > 0 && path[plen - 1] == '/')
		plen--;
	conf->kandy.host = host;
	conf->kandy.port = port;
	if ((conf->kandy.path = strndup(path, plen)) == NULL)
		fatal("kandy_url");
	return (0);
}

/*
 * stun:host[:port] and stuns:host[:port] (RFC 7064),
 * turn:host[:port][?transport=udp|tcp] and the same for turns (RFC 7065).
 */
static int
ice_server_add(const char *url, char *username, char *password)
{
	struct ice_server	*s, *o;
	const char		*hp, *query;
	size_t			 i;
	static const struct {
		const char	*prefix;
		uint8_t		 scheme;
		uint16_t	 port;
		uint8_t		 transport;
	} schemes[] = {
		{ "stun:", ICE_SCHEME_STUN, CONF_DEF_STUN_PORT,
		    ICE_SERVER_UDP },
		{ "stuns:", ICE_SCHEME_STUNS, CONF_DEF_STUNS_PORT,
		    ICE_SERVER_TCP },
		{ "turn:", ICE_SCHEME_TURN, CONF_DEF_STUN_PORT,
		    ICE_SERVER_UDP },
		{ "turns:", ICE_SCHEME_TURNS, CONF_DEF_STUNS_PORT,
		    ICE_SERVER_TCP }
	};

	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("ice_server_add");
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strncmp(url, schemes[i].prefix,
		    strlen(schemes[i].prefix)) == 0)
			break;
	if (i == sizeof(schemes) / sizeof(schemes[0])) {
		yyerror("\"%s\": scheme must be stun:, stuns:, turn: or "
		    "turns:", url);
		goto fail;
	}
	s->scheme = schemes[i].scheme;
	s->port = schemes[i].port;
	s->transport = schemes[i].transport;
	hp = url + strlen(schemes[i].prefix);
	if ((query = strchr(hp, '?')) == NULL)
		query = hp + strlen(hp);
	if (parse_hostport(hp, query - hp, &s->host, &s->port) == -1) {
		yyerror("\"%s\": bad host or port", url);
		goto fail;
	}
	if (*query != '\0') {
		if (s->scheme == ICE_SCHEME_STUN ||
		    s->scheme == ICE_SCHEME_STUNS) {
			yyerror("\"%s\": stun URLs take no parameters", url);
			goto fail;
		}
		if (strcmp(query, "?transport=udp") == 0)
			s->transport = ICE_SERVER_UDP;
		else if (strcmp(query, "?transport=tcp") == 0)
			s->transport = ICE_SERVER_TCP;
		else {
			yyerror("\"%s\": the only parameter is "
			    "transport=udp or transport=tcp", url);
			goto fail;
		}
	}
	if (s->scheme == ICE_SCHEME_TURNS && s->transport == ICE_SERVER_UDP) {
		yyerror("\"%s\": TURN over DTLS is not supported, use "
		    "transport=tcp", url);
		goto fail;
	}
	TAILQ_FOREACH(o, &conf->ice.servers, entry)
		if (strcmp(o->url, url) == 0) {
			yyerror("\"%s\" given twice", url);
			goto fail;
		}
	if ((s->url = strdup(url)) == NULL)
		fatal("ice_server_add");
	if (username != NULL && username[0] == '\0') {
		yyerror("\"%s\": empty username", url);
		goto fail;
	}
	if (password != NULL && password[0] == '\0') {
		yyerror("\"%s\": empty password", url);
		goto fail;
	}
	s->username = username;
	s->password = password;
	TAILQ_INSERT_TAIL(&conf->ice.servers, s, entry);
	return (0);
 fail:
	free(s->url);
	free(s->host);
	free(s);
	return (-1);
}

static int
codec_add(uint8_t codec, const char *name)
{
	uint8_t	 i;

	for (i = 0; i < conf->media.ncodecs; i++)
		if (conf->media.codecs[i] == codec) {
			yyerror("codec %s listed twice", name);
			return (-1);
		}
	if (conf->media.ncodecs >= MEDIA_MAXCODECS) {
		yyerror("too many codecs");
		return (-1);
	}
	conf->media.codecs[conf->media.ncodecs++] = codec;
	return (0);
}

static void
conf_init(struct bridged_conf *c)
{
	memset(c, 0, sizeof(*c));
	TAILQ_INIT(&c->outbound_rules);
	TAILQ_INIT(&c->inbound_rules);
	TAILQ_INIT(&c->sip.listens);
	TAILQ_INIT(&c->sip.allows);
	TAILQ_INIT(&c->ice.servers);

	c->sip.register_requires_kandy = 1;
	c->sip.invite_auth = 1;
	c->sip.max_calls = CONF_DEF_MAX_CALLS;
	c->sip.max_cps = CONF_DEF_MAX_CPS;
	c->sip.session_expires = CONF_DEF_SESSION_EXPIRES;
	c->sip.min_se = CONF_DEF_MIN_SE;
	c->sip.noanswer_timeout = CONF_DEF_NOANSWER_TIMEOUT;
	c->sip.register_min_expires = CONF_DEF_REG_MIN_EXPIRES;
	c->sip.register_max_expires = CONF_DEF_REG_MAX_EXPIRES;
	c->sip.pai = 1;
	c->sip.auth_failures = CONF_DEF_AUTH_FAILURES;
	c->sip.auth_ban = CONF_DEF_AUTH_BAN;

	c->kandy.port = 443;
	c->kandy.address = KANDY_ADDRESS_TEL;
	c->kandy.dialect = KANDY_DIALECT_CPAAS;
	c->kandy.call_audit = CONF_DEF_CALL_AUDIT;

	c->media.rtp_low = CONF_DEF_RTP_LOW;
	c->media.rtp_high = CONF_DEF_RTP_HIGH;
	c->media.telephone_event = 1;
	c->media.timeout = CONF_DEF_MEDIA_TIMEOUT;
}

static int
strdup_default(char **field, const char *def)
{
	if (*field == NULL && (*field = strdup(def)) == NULL)
		fatal("strdup_default");
	return (0);
}

/* Defaults for what was not given, then checks across options. */
static int
conf_finish(struct bridged_conf *c)
{
	struct in_addr		 lo4;
	struct sip_listen	*l;
	struct ice_server	*s;
	int			 i, turns = 0;

	strdup_default(&c->user, CONF_DEF_USER);
	strdup_default(&c->chroot, CONF_DEF_CHROOT);
	strdup_default(&c->control_socket, CONF_DEF_CONTROL_SOCKET);
	strdup_default(&c->sip.realm, CONF_DEF_REALM);
	strdup_default(&c->kandy.ca_file, CONF_DEF_KANDY_CA_FILE);

	if (TAILQ_EMPTY(&c->sip.listens))
		for (i = 0; i < 2; i++) {
			if ((l = calloc(1, sizeof(*l))) == NULL)
				fatal("conf_finish");
			l->ss.ss_family = AF_UNSPEC;
			l->port = CONF_DEF_SIP_PORT;
			l->transport = i == 0 ? SIP_TRANSPORT_UDP :
			    SIP_TRANSPORT_TCP;
			TAILQ_INSERT_TAIL(&c->sip.listens, l, entry);
		}
	if (TAILQ_EMPTY(&c->sip.allows)) {
		lo4.s_addr = htonl(INADDR_LOOPBACK & 0xff000000);
		allow_add_prefix(AF_INET, &lo4, 8);
		allow_add_prefix(AF_INET6, &in6addr_loopback, 128);
	}
	if (c->media.ncodecs == 0) {
		c->media.codecs[c->media.ncodecs++] = CODEC_PCMA;
		c->media.codecs[c->media.ncodecs++] = CODEC_PCMU;
	}

	if (c->sip.trunk_user == NULL)
		conf_error("sip: trunk user is required");
	if (c->sip.min_se > c->sip.session_expires)
		conf_error("sip: min-se %d above session-expires %d",
		    c->sip.min_se, c->sip.session_expires);

	if (c->kandy.url == NULL)
		conf_error("kandy: url is required");
	if (c->kandy.client_id == NULL)
		conf_error("kandy: client id is required");
	if (c->kandy.user != NULL || c->kandy.password != NULL) {
		c->kandy.grant = KANDY_GRANT_PASSWORD;
		if (c->kandy.user == NULL || c->kandy.password == NULL)
			conf_error("kandy: user and password go together");
		if (c->kandy.client_secret != NULL)
			conf_error("kandy: give user and password, or a "
			    "client secret, not both");
	} else {
		c->kandy.grant = KANDY_GRANT_CLIENT_CREDENTIALS;
		if (c->kandy.client_id != NULL &&
		    c->kandy.client_secret == NULL)
			conf_error("kandy: a client secret, or user and "
			    "password, are required");
	}
	if (c->kandy.address == KANDY_ADDRESS_SIP && c->kandy.domain == NULL)
		conf_error("kandy: address sip needs a domain");

	TAILQ_FOREACH(s, &c->ice.servers, entry)
		if (s->scheme == ICE_SCHEME_TURN ||
		    s->scheme == ICE_SCHEME_TURNS)
			turns++;
	if (c->ice.relay_only && turns == 0)
		conf_error("ice: relay only needs a turn server");

	return (errors ? -1 : 0);
}

struct bridged_conf *
parse_config(const char *filename, int flags)
{
	struct bridged_conf	*c;
	char			 msg[256];

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("parse_config");
		return (NULL);
	}
	conf_init(c);
	conf = c;
	errors = 0;
	parse_flags = flags;
	memset(seen, 0, sizeof(seen));
	exp_end();
	errfile = NULL;
	errline = 0;
	curlisten = NULL;

	if ((file = pushfile(filename, msg, sizeof(msg))) == NULL) {
		log_warnx("%s: %s", filename, msg);
		purge_config(c);
		return (NULL);
	}
	topfile = file;

	yyparse();
	/* An error inside a listen line can leave it half built. */
	listen_clear();
	trunk_clear();
	if (errors == 0)
		conf_finish(c);

	while (file != NULL && file != topfile)
		popfile();
	if (file != NULL)
		popfile();
	topfile = NULL;
	exp_end();
	symclear();
	conf = NULL;

	if (errors) {
		purge_config(c);
		return (NULL);
	}
	return (c);
}

void
purge_config(struct bridged_conf *c)
{
	struct sip_listen	*l;
	struct sip_allow	*a;
	struct numrule_entry	*ne;
	struct ice_server	*s;

	if (c == NULL)
		return;
	free(c->user);
	free(c->chroot);
	free(c->control_socket);

	while ((ne = TAILQ_FIRST(&c->outbound_rules)) != NULL) {
		TAILQ_REMOVE(&c->outbound_rules, ne, entry);
		free(ne);
	}
	while ((ne = TAILQ_FIRST(&c->inbound_rules)) != NULL) {
		TAILQ_REMOVE(&c->inbound_rules, ne, entry);
		free(ne);
	}

	while ((l = TAILQ_FIRST(&c->sip.listens)) != NULL) {
		TAILQ_REMOVE(&c->sip.listens, l, entry);
		free(l->certificate);
		free(l->key);
		free(l);
	}
	while ((a = TAILQ_FIRST(&c->sip.allows)) != NULL) {
		TAILQ_REMOVE(&c->sip.allows, a, entry);
		free(a);
	}
	free(c->sip.public_address);
	free(c->sip.realm);
	free(c->sip.trunk_user);
	freesecret(c->sip.trunk_password);
	freesecret(c->sip.trunk_ha1);
	freesecret(c->sip.trunk_ha1_sha256);

	free(c->kandy.url);
	free(c->kandy.host);
	free(c->kandy.path);
	free(c->kandy.client_id);
	freesecret(c->kandy.client_secret);
	free(c->kandy.user);
	freesecret(c->kandy.password);
	free(c->kandy.domain);
	free(c->kandy.did);
	free(c->kandy.ca_file);

	while ((s = TAILQ_FIRST(&c->ice.servers)) != NULL) {
		TAILQ_REMOVE(&c->ice.servers, s, entry);
		free(s->url);
		free(s->host);
		free(s->username);
		freesecret(s->password);
		free(s);
	}

	free(c->media.public_address);
	explicit_bzero(c, sizeof(*c));
	free(c);
}
