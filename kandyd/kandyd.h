/*
 * kandyd: the only process that talks to Kandy.  It owns the SDP text,
 * the JSON and the HTTPS/WSS connections toward Kandy.
 */
#ifndef KANDYD_H
#define KANDYD_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "media.h"

/* sdp_webrtc.c */
#define SDP_MAXLEN		65536	/* larger remote SDP is refused */
#define SDP_IDLEN		64

/* What our side of an SDP needs beyond the media description. */
struct sdp_local {
	uint64_t	sess_id;		/* o= session id */
	uint64_t	sess_version;		/* o= version, bumped per re-offer */
	char		cname[SDP_IDLEN];	/* RTCP CNAME */
	char		stream_id[SDP_IDLEN];	/* msid stream */
	char		track_id[SDP_IDLEN];	/* msid track */
	int		rtcp_rsize;		/* advertise a=rtcp-rsize */
	int		no_bundle;		/* answer to an offer without one */
};

int	 sdp_webrtc_build(const struct media_webrtc_desc *,
	    const struct sdp_local *, char *, size_t, const char **);
int	 sdp_webrtc_parse(const char *, size_t, struct media_webrtc_desc *,
	    const char **);

/* json_guard.c */
#define JSON_MAXDEPTH		16

int	 json_guard_depth(const char *, size_t, int);
json_t	*json_guard_load(const char *, size_t, size_t, const char **);
int	 json_guard_str(json_t *, const char *, char *, size_t);
int	 json_guard_int(json_t *, const char *, int64_t, int64_t *);

/* jwt.c */
#define JWT_MAXLEN		16384
#define JWT_USERLEN		128

struct jwt_claims {
	char		preferred_username[JWT_USERLEN];	/* "" if absent */
	int64_t		exp;
	int64_t		iat;		/* 0 if absent */
};

ssize_t	 b64url_decode(const char *, size_t, unsigned char *, size_t);
int	 jwt_userid_valid(const char *);
int	 jwt_decode(const char *, struct jwt_claims *, const char **);
int64_t	 jwt_refresh_at(const struct jwt_claims *, int64_t, int64_t);

/* kandy_req.c */
#define KANDY_FORMLEN		4096	/* token request body */
#define KANDY_IDLEN		128	/* user, session, notification ids */

enum kandy_grant_type {
	GRANT_PASSWORD = 0,
	GRANT_CLIENT_CREDENTIALS
};

struct kandy_grant {
	enum kandy_grant_type	 type;
	const char		*client_id;
	const char		*username;	/* password grant */
	const char		*password;	/* password grant */
	const char		*client_secret;	/* client credentials */
};

enum kandy_path_kind {
	KP_TOKEN = 0,
	KP_CHANNELS,
	KP_CHANNEL,		/* id: channel id */
	KP_SUBSCRIPTIONS,
	KP_SUBSCRIPTION,	/* id: subscription id */
	KP_TURN,
	KP_SESSIONS,
	KP_SESSION,		/* id: session id, for DELETE */
	KP_SESSION_STATUS,
	KP_SESSION_ANSWER,
	KP_SESSION_UPDATE,
	KP_SESSION_FORWARD,
	KP_SESSION_TRANSFER,
	KP_MAX
};

int	 url_encode(const char *, char *, size_t);
char	*kreq_token_form(const struct kandy_grant *);
char	*kreq_channel(const char *, int);
char	*kreq_channel_lifetime(int);
char	*kreq_subscription(const char *, const char *);
char	*kreq_turn(const char *);
char	*kreq_session_create(const char *, const char *, const char *,
	    const char *);
char	*kreq_session_status(const char *, const char *);
char	*kreq_answer(const char *, const char *);
char	*kreq_offer(const char *, const char *);
char	*kreq_forward(const char *, const char *);
char	*kreq_transfer(const char *, const char *, const char *);
int	 kandy_id_valid(const char *);
int	 kandy_path(char *, size_t, enum kandy_path_kind, const char *,
	    const char *);

/* kandy_resp.c */
#define KANDY_RESPMAX		65536	/* largest response body parsed */
#define KANDY_TOKENLEN		8192
#define KANDY_URLLEN		512
#define KANDY_CREDLEN		256
#define KANDY_TEXTLEN		256

struct kandy_token {
	char		access_token[KANDY_TOKENLEN];
	char		id_token[KANDY_TOKENLEN];	/* "" if absent */
	int64_t		expires_in;			/* 0 if absent */
};

struct kandy_channel {
	char		callback_url[KANDY_URLLEN];	/* notifyURL for subscriptions */
	char		channel_url[KANDY_URLLEN];	/* WebSocket path */
	char		resource_url[KANDY_URLLEN];	/* for lifetime and DELETE */
	int64_t		lifetime;			/* 0 if absent */
};

struct kandy_turn {
	char		username[KANDY_CREDLEN];
	char		password[KANDY_CREDLEN];
	int64_t		expires;			/* 0 if absent */
};

enum kandy_error_kind {
	KERR_NONE = 0,
	KERR_SERVICE,		/* requestError.serviceException */
	KERR_POLICY,		/* requestError.policyException */
	KERR_OAUTH		/* {"error", "error_description"} */
};

struct kandy_error {
	enum kandy_error_kind	kind;
	char			message_id[64];		/* SVC0005, invalid_grant */
	char			text[KANDY_TEXTLEN];
	int			retry_after;	/* s, Retry-After; 0 if none */
};

int	 kandy_url_path_valid(const char *);
int	 kandy_id_from_url(const char *, const char *, char *, size_t);
int	 kresp_token(const char *, size_t, struct kandy_token *,
	    const char **);
int	 kresp_channel(const char *, size_t, struct kandy_channel *,
	    const char **);
int	 kresp_turn(const char *, size_t, struct kandy_turn *, const char **);
int	 kresp_session(const char *, size_t, char *, size_t, const char **);
int	 kresp_error(const char *, size_t, struct kandy_error *,
	    const char **);

/* kandy_notify.c */
#define KANDY_NOTIFYMAX		(SDP_MAXLEN + 16384)
#define KANDY_DEDUPN		64

enum kandy_ntype {
	KN_UNKNOWN = 0,		/* a kind we do not handle: ignore */
	KN_CONNCHECK,
	KN_CONNACK,
	KN_INVITATION,		/* incoming call, offer */
	KN_EVENT,		/* event: see enum kandy_event */
	KN_ACCEPTANCE,		/* our call answered, answer */
	KN_OFFER,		/* remote re-offer */
	KN_ANSWER,		/* answer to our re-offer */
	KN_ICE			/* trickled candidates: ignored */
};

enum kandy_event {
	KE_OTHER = 0,
	KE_RINGING,
	KE_SESSION_ENDED,
	KE_CANCELLED,
	KE_TRANSFER_COMPLETED,
	KE_TRANSFER_FAILED
};

struct kandy_notify {
	enum kandy_ntype	 type;
	char			 id[KANDY_IDLEN];
	char			 session_id[KANDY_IDLEN];
	enum kandy_event	 event;
	int			 reason_code;	/* SIP-style cause, 0 if absent */
	char			 reason[KANDY_TEXTLEN];
	char			 originator_name[KANDY_TEXTLEN];
	char			 originator_address[KANDY_TEXTLEN];
	char			 participant_address[KANDY_TEXTLEN];
	int64_t			 interval;	/* connCheck */
	char			*sdp;		/* offer or answer, NUL-terminated */
	size_t			 sdplen;
};

struct kandy_dedup {
	char		ids[KANDY_DEDUPN][KANDY_IDLEN];
	unsigned int	next;
	unsigned int	count;
};

int	 kandy_notify_parse(const char *, size_t, struct kandy_notify *,
	    const char **);
void	 kandy_notify_free(struct kandy_notify *);
const char *kandy_ntype_name(enum kandy_ntype);
const char *kandy_event_name(enum kandy_event);
int	 kandy_dedup_seen(struct kandy_dedup *, const char *);

/* wsrpc_msg.c */
enum wsrpc_kind {
	WR_IGNORE = 0,		/* nothing for us */
	WR_RESPONSE,
	WR_EVENT
};

struct wsrpc_msg {
	enum wsrpc_kind		 kind;
	int64_t			 id;		/* response: our request id */
	int			 ok;		/* response: result, not error */
	int			 code;		/* error code (400, 404) */
	char			 callid[KANDY_IDLEN];	/* result's, "" if none */
	char			 message[KANDY_TEXTLEN];	/* error's */
	struct kandy_notify	 n;		/* event */
};

int	 wsrpc_parse(const char *, size_t, struct wsrpc_msg *,
	    const char **);

/* lws_ctx.c */
struct lws_context;
struct lws_protocols;

/* Where Kandy is: the TLS name and Host, and the address to dial. */
struct kd_endpoint {
	char		host[256];	/* certificate name, Host header */
	char		address[64];	/* IP literal resolved by the parent; "" = host */
	uint16_t	port;
};

struct lws_context *kd_lws_create(const char *, size_t,
	    const struct lws_protocols *, int);
void	 kd_lws_log_init(void);
int	 kd_lws_load_ca(void *);

/* http.c */
#define HTTP_BODYMAX		(256 * 1024)	/* response cap */
#define HTTP_MAXINFLIGHT	4

struct http_client;
struct http_req;

/*
 * Called once per request: status is the HTTP status, or 0 with err set
 * when no complete response came (connection, TLS, timeout, size cap).
 */
typedef void (*http_done_cb)(int status, const char *body, size_t len,
	    const char *err, void *arg);

struct http_client *http_client_new(struct lws_context *,
	    const struct kd_endpoint *);
void	 http_client_free(struct http_client *);
struct http_req *http_request(struct http_client *, const char *,
	    const char *, const char *, const char *, const char *, size_t,
	    int, http_done_cb, void *);
void	 http_cancel(struct http_req *);
unsigned int http_pending(struct http_client *);
int	 http_retry_after(void);
extern const struct lws_protocols http_protocol;

/* ws.c */
enum ws_state {
	WS_UP,			/* connected: notifications flow */
	WS_DOWN,		/* lost (detail 0), or detail reconnect
				 * attempts failed in a row; retrying */
	WS_REJECTED,		/* handshake refused (detail: HTTP status); not retried */
	WS_CLOSED		/* closed normally (1000 or ws_close): not retried */
};

struct ws_conf {
	int		keepalive_ms;	/* connCheck period, 30000 */
	int		max_missed;	/* missed connAck before reconnect, 3 */
	int		backoff_min_ms;	/* first reconnect delay, 1000 */
	int		backoff_max_ms;	/* cap, 60000 */
	size_t		msg_max;	/* largest message, KANDY_NOTIFYMAX */
	/* wsrpc: every message goes to raw_cb, check_text keeps it alive */
	void		(*raw_cb)(const char *, size_t);
	const char	*check_text;	/* NULL: connCheck */
};

struct ws_stats {
	unsigned int	connects;	/* handshakes completed */
	unsigned int	checks_sent;
	unsigned int	acks_seen;
	unsigned int	dups_dropped;
	unsigned int	bad_dropped;	/* unparseable or too large */
	unsigned int	delivered;
};

struct ws_client;

/* Notifications that passed parsing and duplicate detection. */
typedef void (*ws_notify_cb)(const struct kandy_notify *, void *);
typedef void (*ws_state_cb)(enum ws_state, int, void *);

struct ws_client *ws_new(struct lws_context *, const struct kd_endpoint *,
	    const struct ws_conf *, ws_notify_cb, ws_state_cb, void *);
void	 ws_free(struct ws_client *);
int	 ws_open(struct ws_client *, const char *, const char *);
void	 ws_set_token(struct ws_client *, const char *);
void	 ws_close(struct ws_client *);
int	 ws_send(struct ws_client *, const char *);
void	 ws_get_stats(struct ws_client *, struct ws_stats *);
extern const struct lws_protocols ws_protocol;

/* kandy_cause.c */
struct sip_outcome {
	int		 code;		/* SIP final response */
	int		 retry_after;	/* s, 0: no Retry-After */
	const char	*reason;	/* for the log and the reason phrase */
};

void	 kandy_http_to_sip(int, const struct kandy_error *,
	    struct sip_outcome *);
void	 kandy_end_to_sip(enum kandy_event, int, struct sip_outcome *);

/* sandbox.c */
void	sandbox_kandyd(void);

#endif /* KANDYD_H */
