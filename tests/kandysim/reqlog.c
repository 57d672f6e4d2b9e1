/*
 * The request log: every Kandy API request seen (method, path, body,
 * answer status), so that tests can assert on the exact API use.
 * Passwords and client secrets in token requests are masked.
 */
#include <stdlib.h>
#include <string.h>

#include "kandysim.h"

#define LOG_BODY_MAX	(16 * 1024)	/* longer bodies are cut */

struct logent {
	uint64_t	 seq;
	int64_t		 t;
	char		*method;
	char		*path;
	char		*query;
	char		*body;
	size_t		 bodylen;	/* before cutting */
	int		 status;
};

static struct logent	 ring[SIM_MAX_LOG];
static uint64_t		 log_seq;	/* entries ever added */
static uint64_t		 log_base;	/* last entry cleared */

/* Copy a body or query, replacing secret form values with "***". */
static char *
mask_secrets(const char *body, size_t len)
{
	static const char	*keys[] = { "password=", "client_secret=",
				    "refresh_token=", "access_token=" };
	const char		*p = body, *end = body + len, *amp;
	char			*s, *o;
	size_t			 klen;
	u_int			 i;

	/* A masked field never grows by more than "***". */
	o = s = xcalloc(1, len + 4 * (len / 2 + 1) + 1);
	while (p < end) {
		if ((amp = memchr(p, '&', end - p)) == NULL)
			amp = end;
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			klen = strlen(keys[i]);
			if ((size_t)(amp - p) >= klen &&
			    memcmp(p, keys[i], klen) == 0)
				break;
		}
		if (i < sizeof(keys) / sizeof(keys[0])) {
			memcpy(o, p, klen);
			memcpy(o + klen, "***", 3);
			o += klen + 3;
		} else {
			memcpy(o, p, amp - p);
			o += amp - p;
		}
		if (amp < end)
			*o++ = '&';
		p = amp + 1;
	}
	*o = '\0';
	return (s);
}

void
reqlog_add(const struct simreq *req, int status)
{
	/* Sequence n lives in ring[n % SIM_MAX_LOG], as reqlog_json reads. */
	struct logent	*e = &ring[(log_seq + 1) % SIM_MAX_LOG];

	free(e->method);
	free(e->path);
	free(e->query);
	free(e->body);
	e->seq = ++log_seq;
	e->t = now_ms();
	e->method = xstrdup(req->method);
	e->path = xstrdup(req->path);
	e->query = req->query ? mask_secrets(req->query, strlen(req->query))
	    : NULL;
	e->bodylen = req->bodylen;
	e->body = mask_secrets(req->body ? req->body : "",
	    req->bodylen > LOG_BODY_MAX ? LOG_BODY_MAX : req->bodylen);
	e->status = status;
}

json_t *
reqlog_json(uint64_t since)
{
	struct logent	*e;
	json_t		*a, *o;
	uint64_t	 s;

	a = json_array();
	s = log_seq > SIM_MAX_LOG ? log_seq - SIM_MAX_LOG + 1 : 1;
	if (since + 1 > s)
		s = since + 1;
	if (log_base + 1 > s)
		s = log_base + 1;
	for (; s <= log_seq; s++) {
		e = &ring[s % SIM_MAX_LOG];
		o = json_pack("{s:I, s:I, s:s, s:s, s:s, s:i}",
		    "seq", (json_int_t)e->seq, "time_ms", (json_int_t)e->t,
		    "method", e->method, "path", e->path, "body", e->body,
		    "status", e->status);
		if (o == NULL)	/* body not UTF-8 */
			o = json_pack("{s:I, s:s, s:s, s:i}", "seq",
			    (json_int_t)e->seq, "method", e->method,
			    "path", e->path, "status", e->status);
		if (o != NULL && e->bodylen > LOG_BODY_MAX)
			json_object_set_new(o, "body_length",
			    json_integer(e->bodylen));
		if (o != NULL && e->query != NULL)
			json_object_set_new(o, "query",
			    json_string(e->query));
		if (o != NULL)
			json_array_append_new(a, o);
	}
	return (a);
}

void
reqlog_clear(void)
{
	/* Sequence numbers keep growing so readers never see one twice. */
	log_base = log_seq;
}
