/*
 * The libwebsockets side: one HTTPS + WSS listener, request bodies
 * collected in bounded chunks, answers written when the socket is
 * writable (after an optional injected delay), notification channels and
 * wsrpc connections as WebSockets.  One protocol handles everything.
 */
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "kandysim.h"
#include "log.h"

#define WS_MAX_OUT	1024	/* messages queued toward one WebSocket */
#define WS_MAX_OUTBYTES	(4 * 1024 * 1024)
#define HDR_MAX		8192
#define BODY_DISCARD	(8 * 1024 * 1024)	/* read and drop, then 413 */

struct wsmsg {
	TAILQ_ENTRY(wsmsg)	 entry;
	size_t			 len;
	unsigned char		 buf[];	/* LWS_PRE + text */
};

struct wsconn {
	TAILQ_ENTRY(wsconn)	 entry;
	struct lws		*wsi;
	struct user		*user;
	struct channel		*channel;	/* cpaas; NULL for wsrpc */
	int			 rpc;
	TAILQ_HEAD(, wsmsg)	 out;
	int			 nout;
	size_t			 outbytes;
	char			*rx;
	size_t			 rxlen;
	int			 rxbad;
	int			 close_code;	/* close when writable */
	int			 server_role;
	int			 unanswered;	/* our connChecks not acked */
	struct simtimer		*conncheck;
};
static TAILQ_HEAD(, wsconn) wsconns = TAILQ_HEAD_INITIALIZER(wsconns);

/* Per connection; HTTP fields are reset between keep-alive requests. */
struct pss {
	char			 method[16];
	char			*path;
	char			*query;
	char			*auth;
	char			*ctype;
	char			*origin;
	char			*acrh;		/* CORS request headers */
	char			*body;
	size_t			 bodylen;
	int			 toolarge;
	int			 close_after;
	int			 ready;
	int			 waiting;	/* injected delay running */
	struct simresp		 resp;
	struct simtimer		*delay;
	/* WebSocket */
	struct wsconn		*ws;
	struct user		*ws_user;
	char			 ws_channel[SIM_ID_MAX];
	int			 ws_rpc;
};

static struct lws_context	*context;
static volatile sig_atomic_t	 quit;
static struct simtimer		*housekeeping;

static char *
hdr_dup(struct lws *wsi, enum lws_token_indexes h)
{
	char	*s;
	int	 len;

	if ((len = lws_hdr_total_length(wsi, h)) <= 0 || len > HDR_MAX)
		return (NULL);
	s = xcalloc(1, len + 1);
	if (lws_hdr_copy(wsi, s, len + 1, h) < 0) {
		free(s);
		return (NULL);
	}
	return (s);
}

/* The query string, rebuilt from lws's argument fragments. */
static char *
query_dup(struct lws *wsi)
{
	char	 frag[HDR_MAX], *q = NULL, *n;
	int	 i, len;

	for (i = 0; i < 64; i++) {
		len = lws_hdr_copy_fragment(wsi, frag, sizeof(frag),
		    WSI_TOKEN_HTTP_URI_ARGS, i);
		if (len <= 0)
			break;
		if (asprintf(&n, "%s%s%s", q ? q : "", q ? "&" : "",
		    frag) == -1)
			fatal("asprintf");
		free(q);
		q = n;
	}
	return (q);
}

static void
http_reset(struct pss *pss)
{
	free(pss->path);
	free(pss->query);
	free(pss->auth);
	free(pss->ctype);
	free(pss->origin);
	free(pss->acrh);
	free(pss->body);
	free(pss->resp.body);
	timer_free(pss->delay);
	pss->path = pss->query = pss->auth = pss->ctype = NULL;
	pss->origin = pss->acrh = pss->body = NULL;
	pss->bodylen = 0;
	pss->toolarge = pss->ready = pss->waiting = 0;
	pss->delay = NULL;
	memset(&pss->resp, 0, sizeof(pss->resp));
}

static void
delay_done(void *arg)
{
	struct pss	*pss = lws_wsi_user(arg);

	pss->waiting = 0;
	lws_callback_on_writable(arg);
}

static void
http_process(struct lws *wsi, struct pss *pss)
{
	struct simreq	 req;

	if (pss->ready)
		return;		/* answered before the body ended */
	memset(&req, 0, sizeof(req));
	req.method = pss->method;
	req.path = pss->path;
	req.query = pss->query;
	req.auth = pss->auth;
	req.ctype = pss->ctype;
	req.body = pss->body;
	req.bodylen = pss->bodylen;
	if (pss->toolarge) {
		memset(&pss->resp, 0, sizeof(pss->resp));
		resp_error(&pss->resp, 413, "serviceException", "SVC0002",
		    "Invalid input value for message part %1",
		    "body too large");
		reqlog_add(&req, 413);
		pss->close_after = 1;
	} else if (strcmp(pss->method, "OPTIONS") == 0) {
		memset(&pss->resp, 0, sizeof(pss->resp));
		pss->resp.status = 204;
	} else
		api_handle(&req, &pss->resp);
	log_debug("%s %s -> %d", pss->method, pss->path, pss->resp.status);
	pss->ready = 1;
	if (pss->resp.delay_ms > 0) {
		pss->delay = timer_new(delay_done, wsi);
		pss->waiting = 1;
		timer_add(pss->delay, pss->resp.delay_ms);
	} else
		lws_callback_on_writable(wsi);
}

static int
add_hdr(struct lws *wsi, const char *name, const char *value,
    unsigned char **p, unsigned char *end)
{
	return (lws_add_http_header_by_name(wsi, (const unsigned char *)name,
	    (const unsigned char *)value, strlen(value), p, end));
}

static int
http_write(struct lws *wsi, struct pss *pss)
{
	unsigned char	 hbuf[LWS_PRE + 2048], *start, *p, *end, *b;
	size_t		 len;

	start = p = hbuf + LWS_PRE;
	end = hbuf + sizeof(hbuf) - 1;
	len = pss->resp.body ? strlen(pss->resp.body) : 0;
	if (lws_add_http_header_status(wsi, pss->resp.status, &p, end) ||
	    (len > 0 && add_hdr(wsi, "content-type:", pss->resp.ctype ?
	    pss->resp.ctype : "application/json", &p, end)) ||
	    lws_add_http_header_content_length(wsi, len, &p, end) ||
	    add_hdr(wsi, "access-control-allow-origin:",
	    pss->origin ? pss->origin : "*", &p, end) ||
	    add_hdr(wsi, "access-control-allow-methods:",
	    "GET, POST, PUT, DELETE, OPTIONS", &p, end) ||
	    add_hdr(wsi, "access-control-allow-headers:", pss->acrh ?
	    pss->acrh : "Authorization, Content-Type, Accept, X-Cpaas-Agent",
	    &p, end) ||
	    add_hdr(wsi, "access-control-max-age:", "600", &p, end) ||
	    (pss->resp.www_auth && lws_add_http_header_by_token(wsi,
	    WSI_TOKEN_HTTP_WWW_AUTHENTICATE, (const unsigned char *)
	    "Bearer error=\"invalid_token\"", 28, &p, end)) ||
	    (pss->close_after && add_hdr(wsi, "connection:", "close", &p,
	    end)) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return (-1);
	if (len > 0) {
		b = xcalloc(1, LWS_PRE + len);
		memcpy(b + LWS_PRE, pss->resp.body, len);
		if (lws_write(wsi, b + LWS_PRE, len, LWS_WRITE_HTTP_FINAL) !=
		    (int)len) {
			free(b);
			return (-1);
		}
		free(b);
	}
	http_reset(pss);
	if (pss->close_after)
		return (-1);
	return (lws_http_transaction_completed(wsi) ? -1 : 0);
}

static int
http_start(struct lws *wsi, struct pss *pss, const char *path)
{
	char		*uri, *cl, *te;
	const char	*errstr;
	long long	 clen = -1;
	int		 m, urilen;
	static const char *methods[] = { "GET", "POST", "OPTIONS", "PUT",
	    "PATCH", "DELETE", "CONNECT", "HEAD" };

	http_reset(pss);
	m = lws_http_get_uri_and_method(wsi, &uri, &urilen);
	if (m < 0 || m > LWSHUMETH_HEAD)
		return (-1);
	strlcpy(pss->method, methods[m], sizeof(pss->method));
	pss->path = xstrdup(path);
	pss->query = query_dup(wsi);
	pss->auth = hdr_dup(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
	pss->ctype = hdr_dup(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
	pss->origin = hdr_dup(wsi, WSI_TOKEN_ORIGIN);
	pss->acrh = hdr_dup(wsi, WSI_TOKEN_HTTP_AC_REQUEST_HEADERS);
	if ((cl = hdr_dup(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH)) != NULL) {
		clen = strtonum(cl, 0, LLONG_MAX, &errstr);
		if (errstr != NULL)
			clen = SIM_MAX_BODY + 1;
		free(cl);
	}
	te = hdr_dup(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING);
	if (clen > SIM_MAX_BODY) {
		/*
		 * A client still sending would miss an early answer, so a
		 * body of sane size is read and dropped first.
		 */
		pss->toolarge = 1;
		free(te);
		if (clen > BODY_DISCARD)
			http_process(wsi, pss);
		return (0);
	}
	if (clen > 0 || (te != NULL && strcasestr(te, "chunked"))) {
		free(te);
		return (0);	/* wait for HTTP_BODY_COMPLETION */
	}
	free(te);
	http_process(wsi, pss);
	return (0);
}

static void
http_body(struct pss *pss, const void *in, size_t len)
{
	char	*n;

	if (pss->toolarge)
		return;
	if (pss->bodylen + len > SIM_MAX_BODY) {
		pss->toolarge = 1;
		free(pss->body);
		pss->body = NULL;
		pss->bodylen = 0;
		return;
	}
	if ((n = realloc(pss->body, pss->bodylen + len + 1)) == NULL)
		fatal("realloc");
	pss->body = n;
	memcpy(pss->body + pss->bodylen, in, len);
	pss->bodylen += len;
	pss->body[pss->bodylen] = '\0';
}

void
ws_send(struct wsconn *ws, const char *text)
{
	struct wsmsg	*m;
	size_t		 len = strlen(text);

	if (ws == NULL || ws->close_code != 0)
		return;
	if (ws->nout >= WS_MAX_OUT || ws->outbytes + len > WS_MAX_OUTBYTES) {
		log_warnx("websocket of %s: peer too slow, closing",
		    ws->user->name);
		ws_close(ws, 1008);
		return;
	}
	m = xcalloc(1, sizeof(*m) + LWS_PRE + len);
	m->len = len;
	memcpy(m->buf + LWS_PRE, text, len);
	TAILQ_INSERT_TAIL(&ws->out, m, entry);
	ws->nout++;
	ws->outbytes += len;
	lws_callback_on_writable(ws->wsi);
}

void
ws_close(struct wsconn *ws, int code)
{
	if (ws->channel != NULL && ws->channel->ws == ws)
		channel_detach(ws->channel);
	ws->channel = NULL;
	if (ws->close_code == 0)
		ws->close_code = code;
	lws_callback_on_writable(ws->wsi);
}

/* Close every WebSocket (of one user); 1006 drops TCP without a close. */
void
ws_drop_all(struct user *u, int code)
{
	struct wsconn	*ws;

	TAILQ_FOREACH(ws, &wsconns, entry) {
		if (u != NULL && ws->user != u)
			continue;
		if (code == 1006) {
			if (ws->channel != NULL)
				channel_detach(ws->channel);
			ws->channel = NULL;
			ws->close_code = 1006;
			lws_set_timeout(ws->wsi, PENDING_TIMEOUT_USER_OK,
			    LWS_TO_KILL_ASYNC);
		} else
			ws_close(ws, code);
	}
}

struct wsconn *
ws_rpc_find(struct user *u)
{
	struct wsconn	*ws;

	TAILQ_FOREACH(ws, &wsconns, entry)
		if (ws->rpc && ws->user == u && ws->close_code == 0)
			return (ws);
	return (NULL);
}

static void
conncheck_cb(void *arg)
{
	struct wsconn	*ws = arg;
	char		 msg[64];

	if (++ws->unanswered > 3)
		log_warnx("websocket of %s: %d connChecks unanswered",
		    ws->user->name, ws->unanswered - 1);
	snprintf(msg, sizeof(msg), "{\"connCheck\":{\"interval\":%d}}",
	    simconf.conncheck_interval);
	ws_send(ws, msg);
	timer_add(ws->conncheck, simconf.conncheck_interval * 1000);
}

/* Where may this upgrade go?  Decided before the handshake completes. */
static int
ws_filter(struct lws *wsi, struct pss *pss)
{
	struct simreq	 req;
	struct channel	*c;
	char		*path, *query, *tok = NULL, *seg[8], *p;
	int		 n, ok = 0, status = 404;

	http_reset(pss);	/* an upgrade may follow keep-alive requests */
	memset(pss, 0, sizeof(*pss));
	path = hdr_dup(wsi, WSI_TOKEN_GET_URI);
	query = query_dup(wsi);
	if (path == NULL)
		goto done;
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.path = path;
	req.query = query;
	req.body = "";
	if (query != NULL)
		tok = form_value(query, strlen(query), "access_token");
	if ((pss->ws_user = auth_bearer(tok)) == NULL) {
		log_debug("websocket %s: bad token", path);
		status = 401;
		goto log;
	}
	if (strcmp(path, "/wsrpc") == 0) {
		pss->ws_rpc = 1;
		ok = 1;
		goto log;
	}
	p = xstrdup(path);
	n = split_path(p, seg, 8);
	if (n == 7 && strcmp(seg[0], "cpaas") == 0 &&
	    strcmp(seg[1], "notificationchannel") == 0 &&
	    strcmp(seg[2], "v1") == 0 && strcmp(seg[4], "channels") == 0 &&
	    strcmp(seg[6], "websocket") == 0 &&
	    strcasecmp(seg[3], pss->ws_user->name) == 0 &&
	    (c = channel_find(seg[5])) != NULL && c->user == pss->ws_user) {
		strlcpy(pss->ws_channel, c->id, sizeof(pss->ws_channel));
		ok = 1;
	}
	free(p);
 log:
	reqlog_add(&req, ok ? 101 : status);
 done:
	free(tok);
	free(path);
	free(query);
	/* A refused handshake gets its status, so the client knows why. */
	if (!ok && lws_return_http_status(wsi, status, NULL) != 0)
		return (-1);
	return (ok ? 0 : -1);
}

static void
ws_established(struct lws *wsi, struct pss *pss)
{
	struct wsconn	*ws;
	struct channel	*c = NULL;

	ws = xcalloc(1, sizeof(*ws));
	ws->wsi = wsi;
	ws->user = pss->ws_user;
	ws->rpc = pss->ws_rpc;
	TAILQ_INIT(&ws->out);
	TAILQ_INSERT_TAIL(&wsconns, ws, entry);
	pss->ws = ws;
	if (!ws->rpc) {
		if ((c = channel_find(pss->ws_channel)) == NULL) {
			ws_close(ws, 1000);	/* deleted meanwhile */
			return;
		}
		ws->channel = c;
		ws->server_role = c->server_role;
		channel_attach(c, ws);
		if (ws->server_role) {
			ws->conncheck = timer_new(conncheck_cb, ws);
			timer_add(ws->conncheck,
			    simconf.conncheck_interval * 1000);
		}
	}
	log_info("websocket up: %s %s", ws->user->name,
	    ws->rpc ? "wsrpc" : pss->ws_channel);
}

static void
ws_channel_message(struct wsconn *ws, const char *text, size_t len)
{
	json_t	*o;

	if ((o = json_object_loadb(text, len)) == NULL) {
		log_warnx("websocket of %s: malformed message ignored",
		    ws->user->name);
		return;
	}
	if (json_object_get(o, "connCheck") != NULL)
		ws_send(ws, "{\"connAck\":{}}");
	else if (json_object_get(o, "connAck") != NULL)
		ws->unanswered = 0;
	else
		log_debug("websocket of %s: message ignored", ws->user->name);
	json_decref(o);
}

static void
ws_receive(struct lws *wsi, struct wsconn *ws, const void *in, size_t len)
{
	char	*n;

	if (lws_frame_is_binary(wsi))
		ws->rxbad = 1;
	if (!ws->rxbad && ws->rxlen + len > SIM_MAX_WSMSG)
		ws->rxbad = 1;
	if (!ws->rxbad) {
		if ((n = realloc(ws->rx, ws->rxlen + len + 1)) == NULL)
			fatal("realloc");
		ws->rx = n;
		memcpy(ws->rx + ws->rxlen, in, len);
		ws->rxlen += len;
		ws->rx[ws->rxlen] = '\0';
	}
	/* A message may come in several frames, a frame in several calls. */
	if (!lws_is_final_fragment(wsi) ||
	    lws_remaining_packet_payload(wsi) > 0)
		return;
	if (ws->rxbad)
		log_warnx("websocket of %s: binary or oversized message "
		    "ignored", ws->user->name);
	else if (ws->rpc)
		wsrpc_message(ws, ws->user, ws->rx, ws->rxlen);
	else
		ws_channel_message(ws, ws->rx, ws->rxlen);
	free(ws->rx);
	ws->rx = NULL;
	ws->rxlen = 0;
	ws->rxbad = 0;
}

static int
ws_writeable(struct lws *wsi, struct wsconn *ws)
{
	struct wsmsg	*m;

	if (ws->close_code != 0) {
		lws_close_reason(wsi, ws->close_code, NULL, 0);
		return (-1);
	}
	if ((m = TAILQ_FIRST(&ws->out)) == NULL)
		return (0);
	TAILQ_REMOVE(&ws->out, m, entry);
	ws->nout--;
	ws->outbytes -= m->len;
	if (lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT) <
	    (int)m->len) {
		free(m);
		return (-1);
	}
	free(m);
	if (!TAILQ_EMPTY(&ws->out))
		lws_callback_on_writable(wsi);
	return (0);
}

static void
ws_closed(struct wsconn *ws)
{
	struct wsmsg	*m;

	TAILQ_REMOVE(&wsconns, ws, entry);
	if (ws->channel != NULL && ws->channel->ws == ws)
		channel_detach(ws->channel);
	if (ws->rpc)
		call_leg_gone(ws);
	while ((m = TAILQ_FIRST(&ws->out)) != NULL) {
		TAILQ_REMOVE(&ws->out, m, entry);
		free(m);
	}
	timer_free(ws->conncheck);
	log_info("websocket down: %s", ws->user->name);
	free(ws->rx);
	free(ws);
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct pss	*pss = user;

	/*
	 * Connections that die early may have no per-session data; nothing
	 * is accepted without it.
	 */
	if (pss == NULL)
		return (reason == LWS_CALLBACK_HTTP ||
		    reason == LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION ||
		    reason == LWS_CALLBACK_ESTABLISHED ? -1 : 0);
	switch (reason) {
	case LWS_CALLBACK_HTTP:
		return (http_start(wsi, pss, in));
	case LWS_CALLBACK_HTTP_BODY:
		http_body(pss, in, len);
		return (0);
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		http_process(wsi, pss);
		return (0);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (!pss->ready || pss->waiting)
			return (0);
		return (http_write(wsi, pss));
	case LWS_CALLBACK_CLOSED_HTTP:
		http_reset(pss);
		return (0);
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return (ws_filter(wsi, pss));
	case LWS_CALLBACK_ESTABLISHED:
		ws_established(wsi, pss);
		return (0);
	case LWS_CALLBACK_RECEIVE:
		if (pss->ws != NULL)
			ws_receive(wsi, pss->ws, in, len);
		return (0);
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return (pss->ws ? ws_writeable(wsi, pss->ws) : 0);
	case LWS_CALLBACK_CLOSED:
		if (pss->ws != NULL)
			ws_closed(pss->ws);
		pss->ws = NULL;
		return (0);
	default:
		return (0);
	}
}

static struct lws_protocols protocols[] = {
	{ "kandysim", callback, sizeof(struct pss), 4096, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void
tick(void *arg)
{
	channel_expire();
	timer_add(housekeeping, 1000);
}

static void
on_signal(int sig)
{
	quit = 1;
	if (context != NULL)
		lws_cancel_service(context);
}

int
server_run(const char *addr, int port, const char *cert, const char *key)
{
	struct lws_context_creation_info	 info;
	struct lws_vhost			*vh;

	lws_set_log_level(log_getverbose() > 1 ? LLL_ERR | LLL_WARN |
	    LLL_NOTICE : LLL_ERR | LLL_WARN, NULL);
	memset(&info, 0, sizeof(info));
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
	    LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	context = lws_create_context(&info);
	if (context == NULL)
		fatalx("lws_create_context failed");
	memset(&info, 0, sizeof(info));
	info.port = port;
	info.iface = addr;
	info.protocols = protocols;
	info.vhost_name = "kandysim";
	info.ssl_cert_filepath = cert;
	info.ssl_private_key_filepath = key;
	info.alpn = "http/1.1";
	info.max_http_header_data = HDR_MAX;
	info.timeout_secs = 20;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	if ((vh = lws_create_vhost(context, &info)) == NULL)
		fatalx("cannot listen on %s:%d", addr, port);
	log_info("listening on https://%s:%d", addr,
	    lws_get_vhost_listen_port(vh));
	timer_setcontext(context);
	housekeeping = timer_new(tick, NULL);
	timer_add(housekeeping, 1000);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	while (!quit)
		if (lws_service(context, 0) < 0)
			break;
	timer_free(housekeeping);
	lws_context_destroy(context);
	return (0);
}
