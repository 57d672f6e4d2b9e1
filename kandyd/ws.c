/*
 * The notification channel: a WSS client to the channel URL with the
 * access token in the query.  It reassembles text messages, parses them,
 * drops duplicates, keeps the connection checked (connCheck every
 * keepalive period; max_missed unanswered ones mean it is dead), and
 * reconnects with exponential backoff and jitter until told to stop.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "kandyd.h"
#include "log.h"

struct ws_msg {
	TAILQ_ENTRY(ws_msg)	 entry;
	size_t			 len;
	unsigned char		 buf[];		/* LWS_PRE, then text */
};

struct ws_client {
	struct lws_context	*ctx;
	struct kd_endpoint	 ep;
	struct ws_conf		 conf;
	ws_notify_cb		 notify_cb;
	ws_state_cb		 state_cb;
	void			*arg;

	char			*path;		/* channel URL path */
	char			*token;		/* secret */
	struct lws		*wsi;
	int			 want;		/* keep it open */
	int			 up;
	int			 closing_normal;
	unsigned int		 attempt;	/* failed tries in a row */
	lws_sorted_usec_list_t	 sul_retry;
	int			 retry_pending;
	lws_sorted_usec_list_t	 sul_check;
	int			 check_pending;	/* connCheck unanswered */
	int			 missed;

	char			*rx;
	size_t			 rxlen;
	int			 rx_active;
	int			 rx_drop;

	TAILQ_HEAD(, ws_msg)	 txq;
	struct kandy_dedup	 dedup;
	struct ws_stats		 stats;
};

static void	ws_connect(struct ws_client *);

static void
ws_state(struct ws_client *w, enum ws_state s, int detail)
{
	if (w->state_cb != NULL)
		w->state_cb(s, detail, w->arg);
}

static void
txq_flush(struct ws_client *w)
{
	struct ws_msg	*m;

	while ((m = TAILQ_FIRST(&w->txq)) != NULL) {
		TAILQ_REMOVE(&w->txq, m, entry);
		free(m);
	}
}

/* Equal jitter: half the backoff fixed, half random. */
static int
backoff_ms(struct ws_client *w)
{
	long	 d = w->conf.backoff_min_ms;
	unsigned int i;

	for (i = 0; i < w->attempt && d < w->conf.backoff_max_ms; i++)
		d *= 2;
	if (d > w->conf.backoff_max_ms)
		d = w->conf.backoff_max_ms;
	return (d / 2 + arc4random_uniform(d / 2 + 1));
}

static void
ws_retry_cb(lws_sorted_usec_list_t *sul)
{
	struct ws_client *w = lws_container_of(sul, struct ws_client, sul_retry);

	w->retry_pending = 0;
	if (w->want && w->wsi == NULL)
		ws_connect(w);
}

static void
ws_schedule_retry(struct ws_client *w)
{
	int	 ms;

	if (!w->want)
		return;
	ms = backoff_ms(w);
	w->attempt++;
	w->retry_pending = 1;
	log_info("notification channel: reconnecting in %d ms", ms);
	lws_sul_schedule(w->ctx, 0, &w->sul_retry, ws_retry_cb,
	    (lws_usec_t)ms * LWS_US_PER_MS);
}

/* The connection ended, however it ended. */
static void
ws_lost(struct ws_client *w, int rejected_status)
{
	int	 was_up = w->up;

	w->wsi = NULL;
	w->up = 0;
	w->rx_active = 0;
	lws_sul_cancel(&w->sul_check);
	txq_flush(w);
	if (!w->want)
		return;
	if (w->closing_normal) {
		log_info("notification channel closed by the server");
		w->want = 0;
		ws_state(w, WS_CLOSED, 1000);
		return;
	}
	if (rejected_status == 401 || rejected_status == 403 ||
	    rejected_status == 404) {
		/* A new token or a new channel is needed: the owner's call. */
		log_warnx("notification channel refused: HTTP %d",
		    rejected_status);
		w->want = 0;
		ws_state(w, WS_REJECTED, rejected_status);
		return;
	}
	if (was_up) {
		log_warnx("notification channel lost");
		ws_state(w, WS_DOWN, 0);
	} else
		ws_state(w, WS_DOWN, (int)w->attempt);	/* a retry failed */
	ws_schedule_retry(w);
}

static void
ws_check_cb(lws_sorted_usec_list_t *sul)
{
	struct ws_client *w = lws_container_of(sul, struct ws_client, sul_check);
	char		 msg[64];

	if (w->wsi == NULL || !w->up)
		return;
	if (w->check_pending && ++w->missed >= w->conf.max_missed) {
		log_warnx("notification channel: %d connCheck unanswered, "
		    "reconnecting", w->missed);
		lws_set_timeout(w->wsi, PENDING_TIMEOUT_USER_OK,
		    LWS_TO_KILL_ASYNC);
		return;
	}
	snprintf(msg, sizeof(msg), "{\"connCheck\":{\"interval\":%d}}",
	    w->conf.keepalive_ms >= 2000 ? w->conf.keepalive_ms / 1000 : 1);
	if (ws_send(w, w->conf.check_text != NULL ? w->conf.check_text :
	    msg) == 0) {
		w->check_pending = 1;
		w->stats.checks_sent++;
	}
	lws_sul_schedule(w->ctx, 0, &w->sul_check, ws_check_cb,
	    (lws_usec_t)w->conf.keepalive_ms * LWS_US_PER_MS);
}

static void
ws_message(struct ws_client *w, const char *buf, size_t len)
{
	struct kandy_notify	 n;
	const char		*err = NULL;

	if (w->conf.raw_cb != NULL) {
		/* Whatever comes shows the connection alive. */
		w->check_pending = 0;
		w->missed = 0;
		w->attempt = 0;
		w->stats.delivered++;
		w->conf.raw_cb(buf, len);
		return;
	}
	if (kandy_notify_parse(buf, len, &n, &err) == -1) {
		log_warnx("notification channel: dropped message: %s", err);
		w->stats.bad_dropped++;
		return;
	}
	switch (n.type) {
	case KN_CONNACK:
		w->check_pending = 0;
		w->missed = 0;
		w->attempt = 0;
		w->stats.acks_seen++;
		return;
	case KN_CONNCHECK:
		/* The server checks us (server role): answer. */
		ws_send(w, "{\"connAck\":{}}");
		return;
	case KN_UNKNOWN:
		log_debug("notification channel: ignored unknown kind");
		return;
	default:
		break;
	}
	if (kandy_dedup_seen(&w->dedup, n.id)) {
		log_debug("notification channel: duplicate %s %s",
		    kandy_ntype_name(n.type), n.id);
		w->stats.dups_dropped++;
		kandy_notify_free(&n);
		return;
	}
	w->stats.delivered++;
	if (w->notify_cb != NULL)
		w->notify_cb(&n, w->arg);
	kandy_notify_free(&n);
}

static void
ws_receive(struct ws_client *w, struct lws *wsi, const void *in, size_t len)
{
	char	*p;

	if (!w->rx_active) {
		w->rx_active = 1;
		w->rx_drop = lws_frame_is_binary(wsi);
		w->rxlen = 0;
	}
	if (!w->rx_drop && w->rxlen + len > w->conf.msg_max) {
		log_warnx("notification channel: message over %zu bytes "
		    "dropped", w->conf.msg_max);
		w->rx_drop = 1;
		w->stats.bad_dropped++;
	}
	if (!w->rx_drop) {
		if ((p = realloc(w->rx, w->rxlen + len + 1)) == NULL) {
			w->rx_drop = 1;
		} else {
			w->rx = p;
			memcpy(w->rx + w->rxlen, in, len);
			w->rxlen += len;
		}
	}
	if (!lws_is_final_fragment(wsi))
		return;
	w->rx_active = 0;
	if (!w->rx_drop)
		ws_message(w, w->rx, w->rxlen);
	w->rxlen = 0;
}

static int
ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct ws_client	*w = lws_get_opaque_user_data(wsi);
	struct ws_msg		*m;
	const unsigned char	*cp = in;

	if (w == NULL)
		return (lws_callback_http_dummy(wsi, reason, user, in, len));

	switch (reason) {
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		log_info("notification channel up");
		w->up = 1;
		w->check_pending = 0;
		w->missed = 0;
		w->closing_normal = 0;
		w->stats.connects++;
		lws_sul_schedule(w->ctx, 0, &w->sul_check, ws_check_cb,
		    (lws_usec_t)w->conf.keepalive_ms * LWS_US_PER_MS);
		ws_state(w, WS_UP, 0);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		ws_receive(w, wsi, in, len);
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if ((m = TAILQ_FIRST(&w->txq)) == NULL)
			break;
		TAILQ_REMOVE(&w->txq, m, entry);
		if (lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT) <
		    (int)m->len) {
			free(m);
			return (-1);
		}
		free(m);
		if (!TAILQ_EMPTY(&w->txq))
			lws_callback_on_writable(wsi);
		break;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (len >= 2 && (cp[0] << 8 | cp[1]) == 1000)
			w->closing_normal = 1;
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		log_warnx("notification channel: %s",
		    in != NULL ? (const char *)in : "connection failed");
		lws_set_opaque_user_data(wsi, NULL);
		ws_lost(w, lws_http_client_http_response(wsi));
		return (0);
	case LWS_CALLBACK_CLIENT_CLOSED:
		lws_set_opaque_user_data(wsi, NULL);
		ws_lost(w, 0);
		return (0);
	default:
		break;
	}
	return (lws_callback_http_dummy(wsi, reason, user, in, len));
}

const struct lws_protocols ws_protocol = {
	"kandy-ws", ws_callback, 0, 0, 0, NULL, 0
};

static void
ws_connect(struct ws_client *w)
{
	struct lws_client_connect_info	 i;
	char				*url, enc[KANDY_TOKENLEN * 3];
	size_t				 len;

	if (url_encode(w->token, enc, sizeof(enc)) == -1) {
		log_warnx("notification channel: token too long");
		return;
	}
	len = strlen(w->path) + strlen("?access_token=") + strlen(enc) + 1;
	if ((url = malloc(len)) == NULL) {
		ws_schedule_retry(w);
		return;
	}
	snprintf(url, len, "%s?access_token=%s", w->path, enc);
	explicit_bzero(enc, sizeof(enc));

	memset(&i, 0, sizeof(i));
	i.context = w->ctx;
	i.address = w->ep.address[0] != '\0' ? w->ep.address : w->ep.host;
	i.host = w->ep.host;
	i.origin = w->ep.host;
	i.port = w->ep.port;
	i.path = url;
	i.ssl_connection = LCCSCF_USE_SSL;
	i.protocol = NULL;	/* Kandy names no subprotocol */
	i.local_protocol_name = ws_protocol.name;
	i.opaque_user_data = w;
	i.pwsi = &w->wsi;
	w->closing_normal = 0;
	/* A failure may already have been reported from inside the call. */
	if (lws_client_connect_via_info(&i) == NULL && w->want &&
	    !w->retry_pending)
		ws_schedule_retry(w);
	explicit_bzero(url, len);
	free(url);
}

struct ws_client *
ws_new(struct lws_context *ctx, const struct kd_endpoint *ep,
    const struct ws_conf *conf, ws_notify_cb ncb, ws_state_cb scb, void *arg)
{
	struct ws_client	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return (NULL);
	w->ctx = ctx;
	w->ep = *ep;
	w->conf = *conf;
	if (w->conf.keepalive_ms <= 0)
		w->conf.keepalive_ms = 30000;
	if (w->conf.max_missed <= 0)
		w->conf.max_missed = 3;
	if (w->conf.backoff_min_ms <= 0)
		w->conf.backoff_min_ms = 1000;
	if (w->conf.backoff_max_ms <= 0)
		w->conf.backoff_max_ms = 60000;
	if (w->conf.backoff_max_ms < w->conf.backoff_min_ms)
		w->conf.backoff_max_ms = w->conf.backoff_min_ms;
	if (w->conf.msg_max == 0)
		w->conf.msg_max = KANDY_NOTIFYMAX;
	w->notify_cb = ncb;
	w->state_cb = scb;
	w->arg = arg;
	TAILQ_INIT(&w->txq);
	return (w);
}

static void
token_free(struct ws_client *w)
{
	if (w->token != NULL) {
		explicit_bzero(w->token, strlen(w->token));
		free(w->token);
		w->token = NULL;
	}
}

/* The token for the next (re)connection; the current one stays up. */
void
ws_set_token(struct ws_client *w, const char *token)
{
	char	*t;

	if ((t = strdup(token)) == NULL)
		return;
	token_free(w);
	w->token = t;
}

/* Connect to path (the channelURL) and keep the channel open. */
int
ws_open(struct ws_client *w, const char *path, const char *token)
{
	char	*p;

	if (!kandy_url_path_valid(path) || token == NULL || *token == '\0')
		return (-1);
	if ((p = strdup(path)) == NULL)
		return (-1);
	free(w->path);
	w->path = p;
	ws_set_token(w, token);
	w->want = 1;
	w->attempt = 0;
	memset(&w->dedup, 0, sizeof(w->dedup));
	lws_sul_cancel(&w->sul_retry);
	w->retry_pending = 0;
	if (w->wsi != NULL) {
		/* Switching channels: the old connection goes quietly. */
		lws_set_opaque_user_data(w->wsi, NULL);
		lws_set_timeout(w->wsi, PENDING_TIMEOUT_USER_OK,
		    LWS_TO_KILL_ASYNC);
		w->wsi = NULL;
		w->up = 0;
		lws_sul_cancel(&w->sul_check);
		txq_flush(w);
	}
	ws_connect(w);
	return (0);
}

/* Close with 1000 and stop reconnecting. */
void
ws_close(struct ws_client *w)
{
	w->want = 0;
	lws_sul_cancel(&w->sul_retry);
	w->retry_pending = 0;
	lws_sul_cancel(&w->sul_check);
	if (w->wsi != NULL) {
		lws_set_opaque_user_data(w->wsi, NULL);
		lws_close_reason(w->wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
		lws_set_timeout(w->wsi, PENDING_TIMEOUT_USER_OK,
		    LWS_TO_KILL_ASYNC);
		w->wsi = NULL;
	}
	w->up = 0;
	txq_flush(w);
}

void
ws_free(struct ws_client *w)
{
	if (w == NULL)
		return;
	ws_close(w);
	token_free(w);
	free(w->path);
	free(w->rx);
	free(w);
}

/* Queue a text message; only while connected. */
int
ws_send(struct ws_client *w, const char *text)
{
	struct ws_msg	*m;
	size_t		 len = strlen(text);

	if (w->wsi == NULL || !w->up)
		return (-1);
	if ((m = malloc(sizeof(*m) + LWS_PRE + len)) == NULL)
		return (-1);
	m->len = len;
	memcpy(m->buf + LWS_PRE, text, len);
	TAILQ_INSERT_TAIL(&w->txq, m, entry);
	lws_callback_on_writable(w->wsi);
	return (0);
}

void
ws_get_stats(struct ws_client *w, struct ws_stats *s)
{
	*s = w->stats;
}
