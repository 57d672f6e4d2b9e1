/*
 * sipd: the SIP side of kandy-bridge, toward the PBX.  A SIP engine on
 * sofia-sip's transaction layer (nta) with a registrar and digest
 * authentication; it never holds the trunk password and never decides
 * about media.  Everything it needs from the rest of the bridge goes
 * through struct sipd_backend; the answers come back through the
 * sipd_*() calls below.
 */
#ifndef SIPD_H
#define SIPD_H

#include <sys/types.h>
#include <sys/socket.h>
#include <stdint.h>
#include <time.h>

#include "digest.h"
#include "media.h"
#include "numrule.h"

#define SIPD_MAXLISTEN	8
#define SIPD_MAXNETS	32
#define SIPD_MAXRULES	64
#define SIPD_URLLEN	256
#define SIPD_NAMELEN	128
#define SIPD_USERLEN	64
#define SIPD_TLS	0x100	/* a binding's transport: TCP with TLS */

/* Registration states, per binding (one per AOR here: one PBX per trunk). */
enum reg_state {
	REG_UNREGISTERED = 0,
	REG_CHALLENGED,		/* 401 sent, no valid binding */
	REG_REGISTERED
};

struct sipd_net {
	int		 family;	/* AF_INET or AF_INET6 */
	uint8_t		 addr[16];
	int		 prefixlen;
};

struct sipd_config {
	/* sofia URLs, e.g. "sip:127.0.0.1:5060" (UDP and TCP) or
	 * "sip:[::1]:5060;transport=udp". */
	char		 listen[SIPD_MAXLISTEN][SIPD_URLLEN];
	int		 nlisten;
	char		 realm[SIPD_NAMELEN];
	char		 auth_user[SIPD_USERLEN];	/* "" accepts any name */
	int		 digest_md5;	/* offer MD5 challenges */
	int		 digest_sha256;	/* offer SHA-256 challenges */
	int		 prefer_sha256;	/* SHA-256 challenge first (RFC 8760) */
	unsigned int	 reg_min_expires;
	unsigned int	 reg_max_expires;
	unsigned int	 reg_default_expires;
	unsigned int	 nonce_maxage;		/* seconds */
	int		 invite_auth;	/* 1: 407 on INVITE; 0: trust source */
	struct sipd_net	 nets[SIPD_MAXNETS];	/* allowed sources, none: any */
	int		 nnets;
	unsigned int	 ban_failures;	/* failures within ban_window ... */
	unsigned int	 ban_window;
	unsigned int	 ban_time;	/* ... ban the source this long */
	char		 public_addr[SIPD_NAMELEN];	/* in SDP; "" none */
	char		 kandy_domain[SIPD_NAMELEN];	/* "" makes tel: URIs */
	char		 user_domain[SIPD_NAMELEN];	/* of Kandy users by name */
	struct numrule	 rules[SIPD_MAXRULES];
	int		 nrules;
	unsigned int	 max_calls;		/* 0: no limit */
	unsigned int	 max_cps;		/* new calls a second, 0: any */
	unsigned int	 noanswer_timeout;	/* s to a final answer */
	unsigned int	 session_expires;	/* RFC 4028 interval, 0: off */
	unsigned int	 min_se;		/* smallest interval accepted */
	int		 pai;		/* P-Asserted-Identity toward the PBX */
};

/* One registration as `bridgectl show registrations` lists it. */
struct sipd_binding_info {
	char			 aor[SIPD_URLLEN];
	char			 contact[SIPD_URLLEN];	/* exact URI, ;rinstance */
	char			 user[SIPD_USERLEN];	/* digest username */
	struct sockaddr_storage	 src;
	int			 transport;	/* IPPROTO_UDP, _TCP, SIPD_TLS */
	enum reg_state		 state;
	unsigned int		 expires;	/* granted */
	time_t			 expires_at;
	time_t			 since;		/* last state change */
};

/* A new call from the PBX, after authentication and number rules. */
struct sipd_call_info {
	uint64_t		 call;
	char			 from_user[SIPD_USERLEN];
	char			 from_name[SIPD_NAMELEN];
	char			 to_user[SIPD_USERLEN];	/* as dialled */
	char			 number[SIPD_USERLEN];	/* E.164 digits */
	char			 kandy_addr[SIPD_URLLEN];	/* tel:+... */
	struct sockaddr_storage	 src;
};

/* One call as `bridgectl show calls` lists it. */
struct sipd_call_status {
	uint64_t		 call;
	const char		*direction;	/* "out" to Kandy, "in" to the PBX */
	char			 from[SIPD_USERLEN];
	char			 to[SIPD_USERLEN];
	const char		*state;		/* "CALLING", "RINGING", ... */
	time_t			 start;
	time_t			 answered;	/* 0: not yet */
};

enum sipd_end {
	SIPD_END_BYE = 0,	/* the PBX hung up */
	SIPD_END_CANCEL,	/* the PBX gave up before answer */
	SIPD_END_TIMEOUT,	/* no ACK, or a transaction timed out */
	SIPD_END_ERROR,
	SIPD_END_SESSION	/* the session timer ran out (RFC 4028) */
};

struct sipd_backend {
	void	*arg;
	/*
	 * Check a digest response (the parent holds the password).  The
	 * strings are valid during the call only.  Answer, now or later,
	 * with sipd_auth_result(id).
	 */
	void	(*verify_digest)(void *, uint64_t, const struct digest_params *);
	/* 0 when no call may start now: OPTIONS and INVITE get 503. */
	int	(*can_take_calls)(void *);
	/*
	 * Whether a REGISTER may be taken now: 0 yes; > 0 no, a 503 with
	 * that Retry-After (s); -1 not known yet (the Kandy account is
	 * signing in): the REGISTER waits for sipd_registrations_retry(),
	 * at most SIPD_REGISTER_WAIT s.  NULL: always.
	 */
	int	(*can_register)(void *);
	/* A binding changed state. */
	void	(*registration)(void *, const struct sipd_binding_info *);
	/*
	 * A new call with the PBX's media (NULL: no offer, the PBX's answer
	 * to ours comes later through call_update; sipd_call_answer() then
	 * puts our offer in the 200).  Answer with sipd_call_ringing(),
	 * sipd_call_answer() or sipd_call_reject().
	 */
	void	(*call_new)(void *, const struct sipd_call_info *,
		    const struct media_rtp_desc *);
	/* A re-INVITE changed the PBX's media (hold, address, codecs). */
	void	(*call_update)(void *, uint64_t, const struct media_rtp_desc *);
	/* SIP INFO DTMF: RFC 4733 event code (0-15), duration in ms. */
	void	(*call_dtmf)(void *, uint64_t, int, unsigned int);
	/* The call got its ACK: established. */
	void	(*call_confirmed)(void *, uint64_t);
	/* The PBX side ended the call; sipd has freed it. */
	void	(*call_ended)(void *, uint64_t, enum sipd_end);

	/* Calls toward the PBX (sipd_call_out()). */
	/* 180 or 183 from the PBX. */
	void	(*call_progress)(void *, uint64_t, int);
	/*
	 * Early media: a 183 (or 180) with SDP, the PBX's media before the
	 * answer (ringback, announcements).  NULL: ignored.
	 */
	void	(*call_early_media)(void *, uint64_t,
		    const struct media_rtp_desc *);
	/*
	 * 200 from the PBX, with its media (NULL: the same as its early
	 * media gave); sipd has sent the ACK.
	 */
	void	(*call_answered)(void *, uint64_t, const struct media_rtp_desc *);
	/* A final error from the PBX (or 408 on timeout); sipd freed it. */
	void	(*call_failed)(void *, uint64_t, int);
	/*
	 * The PBX challenged our INVITE (401/407): make the digest response
	 * from the trunk credentials (username and response are NULL in the
	 * parameters).  Answer with sipd_challenge_answer(); NULL: the
	 * challenge fails the call.
	 */
	void	(*answer_challenge)(void *, uint64_t,
		    const struct digest_params *);
	/*
	 * The PBX's answer to our hold or resume re-INVITE
	 * (sipd_call_hold()): its media, for the relay only.  NULL: ignored.
	 */
	void	(*call_held)(void *, uint64_t, const struct media_rtp_desc *);
};

struct sipd;
struct su_root_s;

/* engine.c */
struct sipd	*sipd_new(struct su_root_s *, const struct sipd_backend *);
int		 sipd_configure(struct sipd *, const struct sipd_config *);
struct sipd	*sipd_create(struct su_root_s *, const struct sipd_config *,
		    const struct sipd_backend *);
void		 sipd_destroy(struct sipd *);
void		 sipd_transactions(struct sipd *, size_t *, size_t *);
void		 sipd_timers(struct sipd *, unsigned int, unsigned int);
void		 sipd_config_defaults(struct sipd_config *);
void		 sipd_reconfigure(struct sipd *, const struct sipd_config *);
void		 sipd_auth_result(struct sipd *, uint64_t, int);

/* registrar.c */
void		 sipd_registrations(struct sipd *,
		    void (*)(void *, const struct sipd_binding_info *), void *);
/* can_register() may have changed: REGISTERs that wait ask again. */
void		 sipd_registrations_retry(struct sipd *);
const char	*reg_state_name(enum reg_state);
const char	*sipd_transport_name(int);
int		 sipd_registered_contact(struct sipd *, char *, size_t);

/* call.c */
int		 sipd_call_ringing(struct sipd *, uint64_t);
int		 sipd_call_answer(struct sipd *, uint64_t,
		    const struct media_rtp_desc *);
int		 sipd_call_reject(struct sipd *, uint64_t, int, const char *);
int		 sipd_call_reject_after(struct sipd *, uint64_t, int,
		    const char *, unsigned int);
int		 sipd_call_hangup(struct sipd *, uint64_t);
int		 sipd_call_out(struct sipd *, uint64_t, const char *,
		    const char *, const char *, const struct media_rtp_desc *);
int		 sipd_challenge_answer(struct sipd *, uint64_t, const char *,
		    const char *);
int		 sipd_call_hold(struct sipd *, uint64_t, int);
unsigned int	 sipd_call_count(struct sipd *);
void		 sipd_calls(struct sipd *,
		    void (*)(void *, const struct sipd_call_status *), void *);

/* tls_mem.c */
void		 sipd_tls_init(void);
int		 sipd_tls_identity(const char *, const char *);

/* sandbox.c */
void		 sandbox_sipd(void);

/* acl.c */
int		 acl_parse(const char *, struct sipd_net *);
int		 acl_allowed(const struct sipd_net *, int,
		    const struct sockaddr *);

/* ban.c */
struct ban_table;
struct ban_table *ban_new(unsigned int, unsigned int, unsigned int);
void		 ban_free(struct ban_table *);
int		 ban_check(struct ban_table *, const struct sockaddr *, time_t);
int		 ban_fail(struct ban_table *, const struct sockaddr *, time_t);
void		 ban_success(struct ban_table *, const struct sockaddr *);
void		 ban_expire(struct ban_table *, time_t);

#endif /* SIPD_H */
