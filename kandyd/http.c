/*
 * HTTPS requests toward Kandy on lws' event loop: a queue with a few
 * requests in flight, one connection each, a size cap on the response
 * body, a timeout per request and exactly one completion callback.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "kandyd.h"
#include "kb_config.h"
#include "log.h"

struct http_req {
	TAILQ_ENTRY(http_req)	 entry;
	struct http_client	*client;
	struct lws		*wsi;
	lws_sorted_usec_list_t	 sul;		/* timeout */
	char			 method[8];
	char			*path;
	char			*bearer;	/* secret: zeroed on free */
	char			*ctype;
	unsigned char		*body;		/* LWS_PRE headroom, then body */
	size_t			 bodylen;
	int			 timeout_ms;
	http_done_cb		 cb;
	void			*arg;
	int			 started;
	int			 in_connect;
	int			 finished;	/* result stored, not yet delivered */
	int			 status;
	int			 retry_after;	/* s, from Retry-After */
	const char		*err;
	char			*rx;
	size_t			 rxlen;
};

TAILQ_HEAD(http_reqs, http_req);

struct http_client {
	struct lws_context	*ctx;
	struct kd_endpoint	 ep;
	struct http_reqs	 queue;		/* waiting, then in flight */
	unsigned int		 inflight;
};

static void	http_start(struct http_client *);

/* The Retry-After of the response being delivered (0 outside a callback). */
static int	delivering_retry_after;

int
http_retry_after(void)
{
	return (delivering_retry_after);
}

static void
req_free(struct http_req *r)
{
	lws_sul_cancel(&r->sul);
	if (r->wsi != NULL) {
		/* Detach, then have lws close it: no callback reaches us. */
		lws_set_opaque_user_data(r->wsi, NULL);
		lws_set_timeout(r->wsi, PENDING_TIMEOUT_USER_OK,
		    LWS_TO_KILL_ASYNC);
		r->wsi = NULL;
	}
	free(r->path);
	if (r->bearer != NULL) {
		explicit_bzero(r->bearer, strlen(r->bearer));
		free(r->bearer);
	}
	free(r->ctype);
	if (r->body != NULL) {
		explicit_bzero(r->body, LWS_PRE + r->bodylen);
		free(r->body);
	}
	free(r->rx);
	free(r);
}

/* Deliver the result once and free the request. */
static void
req_finish(struct http_req *r, int status, const char *err)
{
	struct http_client	*c = r->client;

	if (r->finished)
		return;
	r->finished = 1;
	r->status = status;
	r->err = err;
	if (r->in_connect)
		return;		/* http_start delivers it after connect returns */
	TAILQ_REMOVE(&c->queue, r, entry);
	if (r->started)
		c->inflight--;
	delivering_retry_after = r->retry_after;
	if (r->cb != NULL)
		r->cb(status, r->rx != NULL ? r->rx : "", r->rxlen, err, r->arg);
	delivering_retry_after = 0;
	req_free(r);
	http_start(c);
}

static void
req_timeout(lws_sorted_usec_list_t *sul)
{
	struct http_req	*r = lws_container_of(sul, struct http_req, sul);

	log_warnx("%s %s: timed out after %d ms", r->method, r->path,
	    r->timeout_ms);
	req_finish(r, 0, "timeout");
}

static void
req_connect(struct http_req *r)
{
	struct http_client		*c = r->client;
	struct lws_client_connect_info	 i;

	memset(&i, 0, sizeof(i));
	i.context = c->ctx;
	i.address = c->ep.address[0] != '\0' ? c->ep.address : c->ep.host;
	i.host = c->ep.host;
	i.origin = c->ep.host;
	i.port = c->ep.port;
	i.path = r->path;
	i.method = r->method;
	i.ssl_connection = LCCSCF_USE_SSL | LCCSCF_HTTP_NO_FOLLOW_REDIRECT;
	i.protocol = http_protocol.name;
	i.local_protocol_name = http_protocol.name;
	i.opaque_user_data = r;
	i.pwsi = &r->wsi;

	r->started = 1;
	c->inflight++;
	lws_sul_schedule(c->ctx, 0, &r->sul, req_timeout,
	    (lws_usec_t)r->timeout_ms * LWS_US_PER_MS);
	r->in_connect = 1;
	if (lws_client_connect_via_info(&i) == NULL && !r->finished) {
		r->finished = 1;
		r->err = "cannot start connection";
	}
	r->in_connect = 0;
	if (r->finished) {
		r->finished = 0;
		req_finish(r, r->status, r->err);
	}
}

static void
http_start(struct http_client *c)
{
	struct http_req	*r;

	TAILQ_FOREACH(r, &c->queue, entry) {
		if (c->inflight >= HTTP_MAXINFLIGHT)
			return;
		if (!r->started) {
			req_connect(r);
			/* The queue may have changed under us: rescan. */
			http_start(c);
			return;
		}
	}
}

struct http_client *
http_client_new(struct lws_context *ctx, const struct kd_endpoint *ep)
{
	struct http_client	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	c->ctx = ctx;
	c->ep = *ep;
	TAILQ_INIT(&c->queue);
	return (c);
}

/* Pending requests are dropped without their callbacks. */
void
http_client_free(struct http_client *c)
{
	struct http_req	*r;

	if (c == NULL)
		return;
	while ((r = TAILQ_FIRST(&c->queue)) != NULL) {
		TAILQ_REMOVE(&c->queue, r, entry);
		req_free(r);
	}
	free(c);
}

unsigned int
http_pending(struct http_client *c)
{
	struct http_req	*r;
	unsigned int	 n = 0;

	TAILQ_FOREACH(r, &c->queue, entry)
		n++;
	return (n);
}

/*
 * Queue a request.  bearer and ctype may be NULL; a body needs ctype.
 * The strings are copied.  Returns a handle for http_cancel() or NULL.
 */
struct http_req *
http_request(struct http_client *c, const char *method, const char *path,
    const char *bearer, const char *ctype, const char *body, size_t bodylen,
    int timeout_ms, http_done_cb cb, void *arg)
{
	struct http_req	*r;

	if (strlen(method) >= sizeof(r->method) || path[0] != '/' ||
	    (body != NULL && ctype == NULL) || timeout_ms <= 0)
		return (NULL);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return (NULL);
	r->client = c;
	strlcpy(r->method, method, sizeof(r->method));
	r->timeout_ms = timeout_ms;
	r->cb = cb;
	r->arg = arg;
	if ((r->path = strdup(path)) == NULL ||
	    (bearer != NULL && (r->bearer = strdup(bearer)) == NULL) ||
	    (ctype != NULL && (r->ctype = strdup(ctype)) == NULL))
		goto fail;
	if (body != NULL) {
		if ((r->body = malloc(LWS_PRE + bodylen + 1)) == NULL)
			goto fail;
		memcpy(r->body + LWS_PRE, body, bodylen);
		r->bodylen = bodylen;
	}
	TAILQ_INSERT_TAIL(&c->queue, r, entry);
	http_start(c);
	return (r);
 fail:
	req_free(r);
	return (NULL);
}

/* The owner of arg is going away: the callback will not run. */
void
http_cancel(struct http_req *r)
{
	struct http_client	*c = r->client;

	TAILQ_REMOVE(&c->queue, r, entry);
	if (r->started)
		c->inflight--;
	req_free(r);
	http_start(c);
}

static int
add_header(struct lws *wsi, const char *name, const char *val,
    unsigned char **p, unsigned char *end)
{
	return (lws_add_http_header_by_name(wsi, (const unsigned char *)name,
	    (const unsigned char *)val, strlen(val), p, end));
}

static int
append_headers(struct http_req *r, struct lws *wsi, unsigned char **p,
    unsigned char *end)
{
	char	 auth[KANDY_TOKENLEN + 16], len[24];
	int	 rv = 0;

	rv |= add_header(wsi, "Accept:", "application/json", p, end);
	rv |= add_header(wsi, "X-Cpaas-Agent:", "kandy-bridge/" KB_VERSION,
	    p, end);
	if (r->bearer != NULL) {
		snprintf(auth, sizeof(auth), "Bearer %s", r->bearer);
		rv |= add_header(wsi, "Authorization:", auth, p, end);
		explicit_bzero(auth, sizeof(auth));
	}
	if (r->body != NULL) {
		rv |= add_header(wsi, "Content-Type:", r->ctype, p, end);
		snprintf(len, sizeof(len), "%zu", r->bodylen);
		rv |= add_header(wsi, "Content-Length:", len, p, end);
		lws_client_http_body_pending(wsi, 1);
		lws_callback_on_writable(wsi);
	}
	return (rv);
}

/* Retry-After in seconds (an HTTP date is not worth parsing here). */
static void
retry_after_header(struct lws *wsi, struct http_req *r)
{
	char		 v[32];
	const char	*errstr;

	r->retry_after = 0;
	if (lws_hdr_copy(wsi, v, sizeof(v), WSI_TOKEN_HTTP_RETRY_AFTER) <= 0)
		return;
	r->retry_after = (int)strtonum(v, 1, 86400, &errstr);
}

static int
http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
    void *in, size_t len)
{
	struct http_req	*r;
	char		 buf[4096 + LWS_PRE], *px;
	int		 n;

	/* Asked of the first protocol while the context is made. */
	if (reason == LWS_CALLBACK_OPENSSL_LOAD_EXTRA_CLIENT_VERIFY_CERTS)
		return (kd_lws_load_ca(user));
	r = lws_get_opaque_user_data(wsi);
	if (r == NULL)
		return (lws_callback_http_dummy(wsi, reason, user, in, len));

	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		if (append_headers(r, wsi, (unsigned char **)in,
		    (unsigned char *)*(unsigned char **)in + len) != 0) {
			req_finish(r, 0, "request headers do not fit");
			return (-1);
		}
		return (0);
	case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
		if (r->body == NULL)
			return (0);
		if (lws_write(wsi, r->body + LWS_PRE, r->bodylen,
		    LWS_WRITE_HTTP_FINAL) != (int)r->bodylen) {
			req_finish(r, 0, "cannot send request body");
			return (-1);
		}
		lws_client_http_body_pending(wsi, 0);
		return (0);
	case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
		r->status = lws_http_client_http_response(wsi);
		retry_after_header(wsi, r);
		return (0);
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
		px = buf + LWS_PRE;
		n = sizeof(buf) - LWS_PRE;
		if (lws_http_client_read(wsi, &px, &n) < 0)
			return (-1);
		return (0);
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
		if (r->rxlen + len > HTTP_BODYMAX) {
			log_warnx("%s %s: response body over %d bytes",
			    r->method, r->path, HTTP_BODYMAX);
			req_finish(r, 0, "response body too large");
			return (-1);
		}
		px = realloc(r->rx, r->rxlen + len + 1);
		if (px == NULL) {
			req_finish(r, 0, "out of memory");
			return (-1);
		}
		r->rx = px;
		memcpy(r->rx + r->rxlen, in, len);
		r->rxlen += len;
		r->rx[r->rxlen] = '\0';
		return (0);
	case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
		if (r->status == 0)
			r->status = lws_http_client_http_response(wsi);
		req_finish(r, r->status, NULL);
		return (0);
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		/* Called before the wsi is gone; in may name the cause. */
		log_warnx("%s %s: %s", r->method, r->path,
		    in != NULL ? (const char *)in : "connection failed");
		r->wsi = NULL;
		req_finish(r, 0, "connection failed");
		return (0);
	case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
		r->wsi = NULL;
		req_finish(r, 0, "connection closed before the response ended");
		return (0);
	default:
		break;
	}
	return (lws_callback_http_dummy(wsi, reason, user, in, len));
}

const struct lws_protocols http_protocol = {
	"kandy-http", http_callback, 0, 0, 0, NULL, 0
};
