/*
 * kandysim: an emulator of the Kandy CPaaS calling API (REST, notification
 * channel over WebSocket, and the wsrpc dialect), driven by tests through
 * a control API under /_sim/.  Single-threaded on the libwebsockets loop.
 */
#ifndef KANDYSIM_H
#define KANDYSIM_H

#include <sys/queue.h>
#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define SIM_MAX_BODY		(256 * 1024)	/* HTTP request body */
#define SIM_MAX_WSMSG		(256 * 1024)	/* one WebSocket message */
#define SIM_MAX_DEPTH		32		/* JSON nesting */
#define SIM_MAX_QUEUE		256		/* held per channel */
#define SIM_MAX_USERS		1000
#define SIM_MAX_CHANNELS	1000
#define SIM_MAX_SUBS		1000
#define SIM_MAX_CALLS		1000		/* live and remembered calls */
#define SIM_MAX_RULES		256
#define SIM_MAX_LOG		2000		/* request log entries */
#define SIM_NAME_MAX		64
#define SIM_ID_MAX		64
#define SIM_MEDIA_MAX		64		/* a media mode's text */
#define SAMPLE_RATE		8000
#define SAMPLE_MIN		160		/* 20 ms */
#define SAMPLE_MAX		(SAMPLE_RATE * 60)	/* 60 s */
#define SAMPLES_MAX		32
#define SAMPLE_NAME_MAX		32
#define SAMPLE_FILE_MAX		(SAMPLE_MAX * 2 + 4096)	/* a WAV file */

struct wsconn;
struct simtimer;

struct simconf {
	int		 token_lifetime;	/* seconds */
	int		 refresh_lifetime;	/* seconds */
	int		 turn_ttl;		/* seconds */
	char		 turn_secret[128];
	char		 domain[128];
	int		 conncheck_interval;	/* seconds, server role */
	int		 channel_lifetime;	/* default, seconds */
	int		 ring_delay_ms;		/* before our first event */
};
extern struct simconf	 simconf;

/* Misbehaviour requested through the control API. */
struct simbad {
	int		 fail_count;	/* answer fail_status to N requests */
	int		 fail_status;
	int		 delay_count;	/* delay N responses */
	int		 delay_ms;
};
extern struct simbad	 simbad;

struct user {
	TAILQ_ENTRY(user)	 entry;
	char			 name[SIM_NAME_MAX];
	char			*password;
	char			*client_id;
	char			*client_secret;
	uint64_t		 min_token_seq;	/* older tokens are revoked */
};
TAILQ_HEAD(userlist, user);
extern struct userlist	 users;

struct channel {
	TAILQ_ENTRY(channel)	 entry;
	char			 id[SIM_ID_MAX];	/* = callbackURL */
	struct user		*user;
	char			*correlator;
	int			 lifetime;		/* seconds, 0 = none */
	time_t			 expires;
	int			 server_role;	/* we send connCheck */
	struct wsconn		*ws;
	char			*queue[SIM_MAX_QUEUE];	/* held while no ws */
	int			 nqueue;
};
TAILQ_HEAD(channellist, channel);
extern struct channellist channels;

struct subscription {
	TAILQ_ENTRY(subscription) entry;
	char			 id[SIM_ID_MAX];
	struct user		*user;
	char			*notify_url;
	char			*correlator;
};
TAILQ_HEAD(sublist, subscription);
extern struct sublist	 subscriptions;

enum call_state {
	CALL_CALLING,
	CALL_RINGING,
	CALL_CONNECTED,
	CALL_ENDED
};

enum leg_kind {
	LEG_USER,	/* an emulated user's client (cpaas or wsrpc) */
	LEG_SIM		/* kandysim's own endpoint (phone numbers) */
};

enum leg_event {
	LEV_INVITE,	/* sdp = offer */
	LEV_RINGING,
	LEV_ACCEPTED,	/* sdp = answer */
	LEV_OFFER,	/* sdp = re-offer */
	LEV_ANSWER,	/* sdp = answer to our re-offer */
	LEV_ENDED,
	LEV_CANCELLED,
	LEV_TRANSFER_OK,
	LEV_TRANSFER_FAILED
};

struct simmedia_call;

struct leg {
	enum leg_kind		 kind;
	struct user		*user;		/* LEG_USER */
	struct wsconn		*rpc;		/* wsrpc connection or NULL */
	char			 sid[SIM_ID_MAX];
	char			 rpc_callid[SIM_ID_MAX];
	char			*address;	/* sip: or tel: URI */
	char			*name;
	char			*correlator;
};

struct call {
	TAILQ_ENTRY(call)	 entry;
	u_int			 id;
	enum call_state		 state;
	struct leg		 leg[2];	/* 0 = caller, 1 = callee */
	int			 update_from;	/* leg awaiting an answer, -1 */
	char			*offer;		/* last offer SDP */
	char			*answer;	/* last answer SDP */
	char			*media_mode;
	char			 reason[64];
	int			 cause;		/* SIP-style cause, 0 = none */
	int64_t			 t_created, t_answered, t_ended;	/* ms */
	int			 answer_after_ms;
	int			 hangup_after_ms;
	int			 ring_forever;
	int			 pending_cause;	/* reject when t_answer fires */
	struct simtimer		*t_ring;
	struct simtimer		*t_answer;
	struct simtimer		*t_hangup;
	struct simtimer		*t_reoffer;
	struct simmedia_call	*media;
};
TAILQ_HEAD(calllist, call);
extern struct calllist	 calls;

struct rule {
	TAILQ_ENTRY(rule)	 entry;
	char			 match[SIM_NAME_MAX];	/* digits[*] */
	enum { RULE_ANSWER, RULE_RING, RULE_REJECT } action;
	int			 cause;
	int			 answer_after_ms;
	int			 hangup_after_ms;
	char			 media[SIM_MEDIA_MAX];
};
TAILQ_HEAD(rulelist, rule);
extern struct rulelist	 rules;

/* A sample for "play:<name>", 8 kHz mono 16-bit; shared by calls. */
struct sample {
	TAILQ_ENTRY(sample)	 entry;
	char			 name[SAMPLE_NAME_MAX + 1];
	int16_t			*pcm;
	size_t			 n;
	int			 refs;		/* the list's and calls' */
};
TAILQ_HEAD(sample_list, sample);
extern struct sample_list samples;

/* One HTTP request as seen by the API, and its answer. */
struct simreq {
	const char		*method;
	const char		*path;
	const char		*query;		/* after '?', or NULL */
	const char		*auth;		/* Authorization, or NULL */
	const char		*ctype;		/* Content-Type, or NULL */
	const char		*body;
	size_t			 bodylen;
};

struct simresp {
	int			 status;
	char			*body;		/* malloc'd, or NULL */
	const char		*ctype;
	int			 delay_ms;
	int			 www_auth;	/* add WWW-Authenticate */
};

/* api.c */
void		 api_handle(const struct simreq *, struct simresp *);
void		 resp_json(struct simresp *, int, json_t *);
void		 resp_error(struct simresp *, int, const char *,
		    const char *, const char *, const char *);
void		 resp_oauth(struct simresp *, int, const char *,
		    const char *);
json_t		*body_json(const struct simreq *, struct simresp *);
int		 json_depth_ok(const char *, size_t);
json_t		*json_object_loadb(const char *, size_t);
const char	*jstr(json_t *, const char *);

/* auth.c */
void		 auth_init(void);
void		 auth_token(const struct simreq *, struct simresp *);
struct user	*auth_bearer(const char *);
struct user	*auth_check(const struct simreq *, struct simresp *);
void		 auth_expire(struct user *);
char		*form_value(const char *, size_t, const char *);
int		 turn_credentials(const char *, char *, size_t, char *,
		    size_t, int *);

/* users.c */
struct user	*user_find(const char *);
struct user	*user_find_client(const char *);
struct user	*user_add(const char *, const char *, const char *,
		    const char *);
int		 users_load(const char *);
json_t		*users_json(void);

/* channels.c */
void		 api_channels(const struct simreq *, struct simresp *,
		    struct user *, char **, int);
void		 api_subscriptions(const struct simreq *, struct simresp *,
		    struct user *, char **, int);
struct channel	*channel_find(const char *);
void		 channel_attach(struct channel *, struct wsconn *);
void		 channel_detach(struct channel *);
void		 channel_expire(void);
void		 channels_clear(void);
void		 channel_text(struct channel *, const char *);
int		 user_notify(struct user *, const char *, json_t *);
int		 user_subscribed(struct user *);

/* calls.c */
void		 api_sessions(const struct simreq *, struct simresp *,
		    struct user *, char **, int);
struct call	*call_find(u_int);
struct call	*call_incoming(const char *, const char *, const char *,
		    const char *, int, char *, size_t);
int		 call_hangup(struct call *, const char *, int);
int		 call_reoffer(struct call *, int);
json_t		*call_json(struct call *);
void		 calls_reset(void);
void		 call_leg_gone(struct wsconn *);
struct call	*call_rpc_make(struct user *, struct wsconn *, const char *,
		    const char *, const char *, char *, size_t);
int		 call_rpc_answer(struct wsconn *, const char *, const char *);
int		 call_rpc_end(struct wsconn *, const char *);
int		 call_rpc_ringing(struct wsconn *, const char *);

/* rules.c */
struct rule	*rule_match(const char *);
int		 rule_add(json_t *, char *, size_t);
json_t		*rules_json(void);
void		 rules_clear(void);

/* samples.c */
int		 wav_parse(const uint8_t *, size_t, int16_t **, size_t *,
		    char *, size_t);
int16_t		*sample_pcm(const uint8_t *, size_t);
int		 sample_add(const char *, int16_t *, size_t, char *, size_t);
int		 sample_delete(const char *);
struct sample	*sample_find(const char *);
struct sample	*sample_get(const char *);
void		 sample_put(struct sample *);
int		 samples_load(const char *);
json_t		*samples_json(void);

/* control.c */
void		 control_handle(const struct simreq *, struct simresp *,
		    char **, int);

/* reqlog.c */
void		 reqlog_add(const struct simreq *, int);
json_t		*reqlog_json(uint64_t);
void		 reqlog_clear(void);

/* wsrpc.c */
void		 wsrpc_message(struct wsconn *, struct user *, const char *,
		    size_t);
void		 wsrpc_event(struct wsconn *, const char *, json_t *);

/* server.c: the libwebsockets side */
int		 server_run(const char *, int, const char *, const char *);
void		 ws_send(struct wsconn *, const char *);
void		 ws_close(struct wsconn *, int);
void		 ws_drop_all(struct user *, int);
struct wsconn	*ws_rpc_find(struct user *);

/* timer.c */
struct simtimer	*timer_new(void (*)(void *), void *);
void		 timer_add(struct simtimer *, int);
void		 timer_del(struct simtimer *);
void		 timer_free(struct simtimer *);
void		 timer_setcontext(void *);
int64_t		 now_ms(void);

/* util.c */
void		 uuid_str(char *, size_t);
size_t		 b64url_encode(const unsigned char *, size_t, char *, size_t);
ssize_t		 b64url_decode(const char *, size_t, unsigned char *, size_t);
size_t		 b64_encode(const unsigned char *, size_t, char *, size_t);
int		 split_path(char *, char **, int);
void		*xcalloc(size_t, size_t);
char		*xstrdup(const char *);
void		 strset(char **, const char *);

#endif /* KANDYSIM_H */
