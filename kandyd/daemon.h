/*
 * The kandyd daemon on top of the Kandy client pieces (kandyd.h): the
 * account (token, channel, subscription, TURN credentials), the API
 * request wrapper and the call table.
 */
#ifndef KANDYD_DAEMON_H
#define KANDYD_DAEMON_H

#include <stdint.h>

#include "cfg.h"
#include "ipc.h"
#include "kandyd.h"

struct child_ctx;
struct lws_context;

#define KD_API_TIMEOUT_MS	10000	/* ordinary API calls */
#define KD_AUDIT_TIMEOUT_MS	4000	/* PUT status Connected */
#define KD_CALL_AUDIT_S		25	/* when the configuration says 0 */

/* kandyd.c */
extern struct child_ctx	 kd_ctx;
extern struct cfg_kandy	 kd_cfg;

/* account.c */
enum acct_state {
	ACCT_IDLE = 0,		/* not started or no trust anchors */
	ACCT_AUTH,		/* waiting for a token */
	ACCT_CHANNEL,		/* creating the notification channel */
	ACCT_CONNECTING,	/* WebSocket being opened */
	ACCT_SUBSCRIBING,	/* WebSocket up, subscription on its way */
	ACCT_READY,		/* calls can be made */
	ACCT_DOWN		/* failing: retrying with backoff */
};

/*
 * Completion of an API request: status 0 when no response came; err is
 * the parsed requestError or OAuth error, or NULL.  A 401 is retried once
 * after a new grant before it gets here.
 */
typedef void (*api_done_cb)(int status, const char *body, size_t len,
	    const struct kandy_error *err, void *arg);

struct api_req;

void	 acct_start(struct lws_context *, const struct kd_endpoint *,
	    const char *);
void	 acct_reconfigure(const char *);
int	 acct_ready(void);
const char *acct_user(void);
const char *acct_correlator(void);
unsigned int acct_retry_after(void);
void	 acct_trunk_report(int);
int	 acct_ws_send(const char *);
struct lws_context *acct_lws(void);
void	 acct_bad_message(void);
void	 acct_catchup(void);
void	 acct_mediad_up(void);
void	 acct_show(struct child_ctx *, uint64_t);
struct api_req *api_call(const char *, const char *, const char *, int,
	    api_done_cb, void *);
void	 api_cancel(struct api_req *);
int	 api_path(char *, size_t, enum kandy_path_kind, const char *);
void	 acct_note_error(const char *, int, const struct kandy_error *);

/*
 * Call control toward Kandy, one per dialect (dialect_cpaas.c, wsrpc.c):
 * what calls.c asks of Kandy.  Kandy's side comes back to calls_notify()
 * as struct kandy_notify in both.  A request's callback gets the status
 * (HTTP-like; 0 when no answer came) and, for make, the session id ("" if
 * the answer named none).  NULL: the request could not be made; its
 * callback does not run.  update and audit are NULL where the dialect
 * has no such thing.
 */
struct dl_req;

typedef void (*dl_done_cb)(int, const char *, const struct kandy_error *,
	    void *);

struct kd_dialect {
	const char	*name;
	struct dl_req	*(*make)(const char *, const char *, dl_done_cb,
			    void *);
	struct dl_req	*(*answer)(const char *, const char *, dl_done_cb,
			    void *);
	struct dl_req	*(*update)(const char *, const char *, dl_done_cb,
			    void *);
	struct dl_req	*(*audit)(const char *, dl_done_cb, void *);
	void		 (*ringing)(const char *);
	void		 (*end)(const char *);
	void		 (*cancel)(struct dl_req *);
};

extern const struct kd_dialect	 dialect_cpaas;
extern const struct kd_dialect	 dialect_wsrpc;
extern const struct kd_dialect	*kd_dialect;	/* kandyd.c: the configured one */

/* wsrpc.c */
extern const char	 wsrpc_ping[];

void	 wsrpc_message(const char *, size_t);
void	 wsrpc_lost(void);

/* session_list.c */
struct session_entry {
	char		 sid[KANDY_IDLEN];
	char		 status[32];		/* "" when absent */
	const char	*answer_sdp;		/* NULL when absent */
	size_t		 answer_len;
};

typedef void (*session_list_cb)(const struct session_entry *, void *);

int	 kresp_session_list(const char *, size_t, session_list_cb, void *,
	    const char **);

/* calls.c */
struct kcall;

void	 calls_init(struct lws_context *);
void	 calls_dispatch(enum kb_proc, struct ipc_msg *);
void	 calls_notify(const struct kandy_notify *);
void	 calls_catchup(const char *, size_t);
void	 calls_kandy_down(void);
void	 calls_peer_down(enum kb_proc);
void	 calls_sync(void);
unsigned int calls_count(void);
int	 calls_need_catchup(void);

#endif /* KANDYD_DAEMON_H */
