/*
 * sipd's engine internals, shared by engine.c, registrar.c and call.c.
 */
#ifndef SIPD_ENGINE_H
#define SIPD_ENGINE_H

#include <sys/queue.h>

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/sip_header.h>

#include "sipd.h"
#include "sdp_media.h"

#define SIPD_ALLOW	"INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, UPDATE"
#define SIPD_SUPPORTED	"timer"
#define SIPD_AUTH_TIMEOUT	10	/* s to wait for the parent's verdict */
#define SIPD_RETRY_AFTER	"30"
/* Longest a REGISTER waits for the Kandy account to sign in (s). */
#define SIPD_REGISTER_WAIT	8

struct sipd;
struct sipd_pending;

/* Called with the parent's verdict on a digest response (ok 1 or 0). */
typedef void	(*sipd_auth_done)(struct sipd *, struct sipd_pending *, int);

/* A request whose digest response the parent is checking. */
struct sipd_pending {
	TAILQ_ENTRY(sipd_pending) entry;
	uint64_t		 id;
	nta_incoming_t		*irq;
	sipd_auth_done		 done;
	void			*arg;
	int			 proxy;		/* 407, not 401 */
	struct sockaddr_storage	 src;
	char			 user[SIPD_USERLEN];
	char			 nonce[DIGEST_NONCELEN];
	uint32_t		 nc;
	time_t			 started;
};

/* RFC 4028 state of one dialog. */
struct session_timer {
	unsigned int	 interval;	/* s, 0: no session timer */
	int		 we_refresh;
	int		 peer_supports;	/* Supported: timer */
	time_t		 refresh_at;	/* we refresh then, 0: not now */
	time_t		 expires_at;	/* the session ends then, 0: never */
};

struct reg;
struct call;
TAILQ_HEAD(reg_list, reg);
TAILQ_HEAD(reg_wait_list, reg_wait);
TAILQ_HEAD(call_list, call);

struct sipd {
	su_root_t		*root;
	su_home_t		 home[1];
	nta_agent_t		*agent;
	nta_leg_t		*leg;		/* default: out-of-dialog */
	su_timer_t		*tick;
	struct sipd_config	 conf;
	struct sipd_backend	 be;
	struct nonce_store	*nonces;
	struct ban_table	*bans;
	TAILQ_HEAD(, sipd_pending) pending;
	uint64_t		 next_auth;
	struct reg_list		 regs;
	struct reg_wait_list	 reg_waits;	/* for the Kandy account */
	struct call_list	 calls;
	uint64_t		 next_call;
	unsigned int		 ncalls;
	int			 listening;
	time_t			 cps_second;	/* max_cps accounting */
	unsigned int		 cps_count;
};

/* What the auth step did with a request. */
enum sipd_auth {
	AUTH_PENDING = 0,	/* the parent is asked; done() follows */
	AUTH_ANSWERED		/* a challenge or refusal has been sent */
};

/* engine.c */
enum sipd_auth	 sipd_authenticate(struct sipd *, nta_incoming_t *,
		    const sip_t *, const struct sockaddr *, int,
		    sipd_auth_done, void *);
void		 sipd_challenge(struct sipd *, nta_incoming_t *, int, int);
void		 sipd_auth_failed(struct sipd *, struct sipd_pending *);
int		 sipd_request_source(nta_incoming_t *, struct sockaddr_storage *,
		    int *);
const char	*sipd_addrstr(const struct sockaddr *, char *, size_t);
int		 sipd_can_take_calls(struct sipd *);

/* session_timer.c */
/* A request from the PBX: 0, or 422 with our Min-SE in the last argument. */
int		 session_request(const struct sipd_config *, const sip_t *,
		    struct session_timer *, unsigned int *);
/* Session-Expires of our 2xx to the PBX's request. */
void		 session_answer_header(const struct session_timer *, char *,
		    size_t);
/* The PBX's 2xx to our INVITE or UPDATE. */
void		 session_response(const sip_t *, struct session_timer *);
void		 session_arm(struct session_timer *, time_t);

/* strict.c */
int		 sipd_request_strict(const sip_t *, const char **);

/* registrar.c */
int		 registrar_request(struct sipd *, nta_incoming_t *,
		    const sip_t *, const struct sockaddr *, int);
void		 registrar_tick(struct sipd *, time_t);
void		 registrar_free(struct sipd *);
const struct sipd_binding_info *registrar_binding(struct sipd *);

/* call.c */
int		 call_invite(struct sipd *, nta_incoming_t *, const sip_t *,
		    const struct sockaddr *);
void		 call_free_all(struct sipd *);
void		 call_tick(struct sipd *, time_t);

#endif /* SIPD_ENGINE_H */
