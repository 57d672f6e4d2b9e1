/*
 * A small HTTPS + WSS server for the client test, run in a child
 * process on 127.0.0.1.  HTTP: /echo/... answers with what it received
 * (method, path, headers, body) as JSON; /status/404, /big, /slow and
 * /empty misbehave as named.  WebSocket: /ws/<mode>/websocket, where
 * mode is ok, mute (never answers connCheck), bye (closes with 1000)
 * or drop (hangs up); every connection first gets an event whose id
 * is "conn-<n>", n counting connections.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <libwebsockets.h>

#include "lws_server.h"

#define MAXQ	16

struct out {
	char	*text;
	int	 parts;		/* sent as this many fragments */
};

struct pss {
	/* HTTP */
	char		 path[256];
	char		 method[8];
	char		*body;
	size_t		 bodylen;
	unsigned char	*resp;		/* LWS_PRE, then body */
	size_t		 resplen;
	/* WS */
	char		 mode[16];
	struct out	 q[MAXQ];
	int		 qhead, qtail, part, sent_bye;
};

static int	conn_count;

static void
queue(struct pss *p, const char *text, int parts)
{
	if (p->qtail - p->qhead < MAXQ) {
		p->q[p->qtail % MAXQ].text = strdup(text);
		p->q[p->qtail++ % MAXQ].parts = parts;
	}
}

static char *
hdr(struct lws *wsi, enum lws_token_indexes t)
{
	static char	 buf[4][1024];
	static int	 n;

	n = (n + 1) % 4;
	buf[n][0] = '\0';
	if (lws_hdr_total_length(wsi, t) > 0)
		lws_hdr_copy(wsi, buf[n], sizeof(buf[n]), t);
	return (buf[n]);
}

static int
respond(struct lws *wsi, struct pss *p, int status, const char *body)
{
	unsigned char	 hbuf[LWS_PRE + 1024], *start = hbuf + LWS_PRE;
	unsigned char	*h = start, *end = hbuf + sizeof(hbuf) - 1;

	p->resplen = strlen(body);
	p->resp = malloc(LWS_PRE + p->resplen + 1);
	memcpy(p->resp + LWS_PRE, body, p->resplen);
	if (lws_add_http_common_headers(wsi, status, "application/json",
	    p->resplen, &h, end) ||
	    lws_finalize_write_http_header(wsi, start, &h, end))
		return (-1);
	lws_callback_on_writable(wsi);
	return (0);
}

static int
answer(struct lws *wsi, struct pss *p)
{
	char		 agent[128] = "";
	json_t		*j;
	char		*s, *big;
	int		 rv;

	if (strcmp(p->path, "/slow") == 0)
		return (0);	/* never answer */
	if (strcmp(p->path, "/status/404") == 0)
		return (respond(wsi, p, 404, "{\"requestError\":{\"service"
		    "Exception\":{\"messageId\":\"SVC0004\",\"text\":\"No valid "
		    "address\"}}}"));
	if (strcmp(p->path, "/empty") == 0)
		return (respond(wsi, p, 204, ""));
	if (strcmp(p->path, "/big") == 0) {
		big = malloc(300 * 1024);
		memset(big, 'x', 300 * 1024 - 1);
		big[300 * 1024 - 1] = '\0';
		rv = respond(wsi, p, 200, big);
		free(big);
		return (rv);
	}
	lws_hdr_custom_copy(wsi, agent, sizeof(agent), "x-cpaas-agent:", 14);
	j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s%}", "method", p->method,
	    "path", p->path,
	    "auth", hdr(wsi, WSI_TOKEN_HTTP_AUTHORIZATION),
	    "ctype", hdr(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE),
	    "accept", hdr(wsi, WSI_TOKEN_HTTP_ACCEPT),
	    "agent", agent,
	    "body", p->body != NULL ? p->body : "", p->bodylen);
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	rv = respond(wsi, p, strcmp(p->method, "POST") == 0 ? 201 : 200, s);
	free(s);
	return (rv);
}

static void
ws_script(struct pss *p)
{
	char	 msg[256], *sdp, *inv;
	size_t	 i;

	snprintf(msg, sizeof(msg), "{\"wrtcsEventNotification\":{\"id\":"
	    "\"conn-%d\",\"eventType\":\"Ringing\",\"link\":[{\"href\":"
	    "\"/x/sessions/s%d\"}]}}", conn_count, conn_count);
	queue(p, msg, 1);
	if (strcmp(p->mode, "ok") != 0)
		return;
	/* A 12 kB SDP in three fragments. */
	sdp = malloc(TEST_SDPLEN + 1);
	for (i = 0; i < TEST_SDPLEN; i++)
		sdp[i] = 'a' + i % 26;
	sdp[TEST_SDPLEN] = '\0';
	inv = malloc(TEST_SDPLEN + 512);
	snprintf(inv, TEST_SDPLEN + 512, "{\"wrtcsSessionInvitationNotification"
	    "\":{\"id\":\"inv-1\",\"offer\":{\"sdp\":\"%s\"},\"link\":[{"
	    "\"href\":\"/x/sessions/in1\"}],\"originatorAddress\":\"tel:+1\"}}",
	    sdp);
	queue(p, inv, 3);
	free(sdp);
	free(inv);
	queue(p, "{\"wrtcsEventNotification\":{\"id\":\"dup-1\",\"eventType\":"
	    "\"SessionEnded\",\"link\":[{\"href\":\"/x/sessions/s9\"}]}}", 1);
	queue(p, "{\"wrtcsEventNotification\":{\"id\":\"dup-1\",\"eventType\":"
	    "\"SessionEnded\",\"link\":[{\"href\":\"/x/sessions/s9\"}]}}", 2);
	queue(p, "{not json", 1);
	/* Over the test client's message cap. */
	{
		char *b = malloc(TEST_MSGMAX + 100);

		memset(b, ' ', TEST_MSGMAX + 99);
		memcpy(b, "{\"connAck\":{}", 13);
		b[TEST_MSGMAX + 98] = '}';
		b[TEST_MSGMAX + 99] = '\0';
		queue(p, b, 2);
		free(b);
	}
	queue(p, "{\"connCheck\":{\"interval\":30}}", 1);
}

static int
ws_write(struct lws *wsi, struct pss *p)
{
	struct out	*o;
	unsigned char	*buf;
	size_t		 len, off, plen;
	int		 flags;

	if (p->qhead == p->qtail) {
		if (strcmp(p->mode, "bye") == 0) {
			lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL,
			    (unsigned char *)"bye", 3);
			return (-1);
		}
		if (strcmp(p->mode, "drop") == 0)
			return (-1);
		return (0);
	}
	o = &p->q[p->qhead % MAXQ];
	len = strlen(o->text);
	plen = len / o->parts;
	off = plen * p->part;
	if (p->part == o->parts - 1)
		plen = len - off;
	flags = p->part == 0 ? LWS_WRITE_TEXT : LWS_WRITE_CONTINUATION;
	if (p->part < o->parts - 1)
		flags |= LWS_WRITE_NO_FIN;
	buf = malloc(LWS_PRE + plen);
	memcpy(buf + LWS_PRE, o->text + off, plen);
	if (lws_write(wsi, buf + LWS_PRE, plen, flags) < (int)plen) {
		free(buf);
		return (-1);
	}
	free(buf);
	if (++p->part == o->parts) {
		p->part = 0;
		free(o->text);
		p->qhead++;
	}
	lws_callback_on_writable(wsi);
	return (0);
}

static int
cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
    size_t len)
{
	struct pss	*p = user;
	char		 uri[256], tok[256];
	const char	*t;
	char		*nb;

	if (reason == LWS_CALLBACK_HTTP_CONFIRM_UPGRADE) {
		t = lws_get_urlarg_by_name(wsi, "access_token=", tok,
		    sizeof(tok));
		if (t == NULL || strcmp(t, TEST_GOOD_TOKEN) != 0) {
			lws_return_http_status(wsi, 401, NULL);
			return (1);
		}
		return (0);
	}
	/* Connections that never got far enough have no session data. */
	if (p == NULL)
		return (lws_callback_http_dummy(wsi, reason, user, in, len));

	switch (reason) {
	case LWS_CALLBACK_ESTABLISHED:
		conn_count++;
		lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI);
		if (sscanf(uri, "/ws/%15[a-z]/websocket", p->mode) != 1)
			return (-1);
		ws_script(p);
		lws_callback_on_writable(wsi);
		return (0);
	case LWS_CALLBACK_RECEIVE:
		if (strcmp(p->mode, "mute") != 0 && len >= 12 &&
		    memcmp(in, "{\"connCheck\"", 12) == 0) {
			queue(p, "{\"connAck\":{}}", 1);
			lws_callback_on_writable(wsi);
		}
		return (0);
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return (ws_write(wsi, p));
	case LWS_CALLBACK_CLOSED:
		while (p->qhead < p->qtail)
			free(p->q[p->qhead++ % MAXQ].text);
		return (0);

	case LWS_CALLBACK_HTTP:
		memset(p, 0, sizeof(*p));
		strncpy(p->path, in, sizeof(p->path) - 1);
		if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI))
			strcpy(p->method, "POST");
		else if (lws_hdr_total_length(wsi, WSI_TOKEN_PUT_URI))
			strcpy(p->method, "PUT");
		else if (lws_hdr_total_length(wsi, WSI_TOKEN_DELETE_URI))
			strcpy(p->method, "DELETE");
		else
			strcpy(p->method, "GET");
		if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH))
			return (0);	/* body follows */
		return (answer(wsi, p));
	case LWS_CALLBACK_HTTP_BODY:
		nb = realloc(p->body, p->bodylen + len + 1);
		p->body = nb;
		memcpy(p->body + p->bodylen, in, len);
		p->bodylen += len;
		p->body[p->bodylen] = '\0';
		return (0);
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		return (answer(wsi, p));
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (p->resp == NULL)
			return (0);
		if (lws_write(wsi, p->resp + LWS_PRE, p->resplen,
		    LWS_WRITE_HTTP_FINAL) < (int)p->resplen)
			return (-1);
		free(p->resp);
		p->resp = NULL;
		free(p->body);
		p->body = NULL;
		if (lws_http_transaction_completed(wsi))
			return (-1);
		return (0);
	case LWS_CALLBACK_CLOSED_HTTP:
		free(p->resp);
		free(p->body);
		p->resp = NULL;
		p->body = NULL;
		return (0);
	default:
		break;
	}
	return (lws_callback_http_dummy(wsi, reason, user, in, len));
}

static struct lws_protocols protocols[] = {
	{ "test", cb, sizeof(struct pss), 4096, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

void
lws_server_run(const char *dir, int portfd)
{
	struct lws_context_creation_info	 info;
	struct lws_context			*ctx;
	char					 cert[1024], key[1024];
	int					 port;

	lws_set_log_level(LLL_ERR, NULL);
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	memset(&info, 0, sizeof(info));
	info.port = 0;
	info.iface = "127.0.0.1";
	info.protocols = protocols;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.ssl_cert_filepath = cert;
	info.ssl_private_key_filepath = key;
	info.gid = -1;
	info.uid = -1;
	if ((ctx = lws_create_context(&info)) == NULL)
		_exit(3);
	port = lws_get_vhost_listen_port(lws_get_vhost_by_name(ctx, "default"));
	if (write(portfd, &port, sizeof(port)) != sizeof(port))
		_exit(3);
	close(portfd);
	for (;;)
		lws_service(ctx, 0);
}
