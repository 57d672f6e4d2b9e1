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
void	 acct_catchup(void);
void	 acct_mediad_up(void);
void	 acct_show(struct child_ctx *, uint64_t);
struct api_req *api_call(const char *, const char *, const char *, int,
	    api_done_cb, void *);
void	 api_cancel(struct api_req *);
int	 api_path(char *, size_t, enum kandy_path_kind, const char *);
void	 acct_note_error(const char *, int, const struct kandy_error *);

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
