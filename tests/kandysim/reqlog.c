/*
 * The request log: every Kandy API request seen (method, path, body,
 * answer status), so that tests can assert on the exact API use.
 * Passwords and client secrets in token requests are masked.
 */
#include <stdlib.h>
#include <string.h>

#include "kandysim.h"

struct logent {
	uint64_t	 seq;
	int64_t		 t;
	char		*method;
	char		*path;
	char		*query;
	char		*body;
	int		 status;
};

static struct logent	 ring[SIM_MAX_LOG];
static uint64_t		 log_seq;	/* entries ever added */
static uint64_t		 log_base;	/* last entry cleared */

static char *
mask_secrets(const char *body, size_t len)
{
	static const char	*keys[] = { "password=", "client_secret=",
				    "refresh_token=" };
	char			*s, *p, *q;
	u_int			 i;

	s = xcalloc(1, len + 1);
	memcpy(s, body, len);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		for (p = s; (p = strstr(p, keys[i])) != NULL; ) {
			if (p != s && p[-1] != '&') {
				p++;
				continue;
			}
			p += strlen(keys[i]);
			if ((q = strchr(p, '&')) == NULL)
				q = p + strlen(p);
			if (q - p >= 3) {
				memcpy(p, "***", 3);
				memmove(p + 3, q, strlen(q) + 1);
			}
			p += 3;
		}
	}
	return (s);
}

void
reqlog_add(const struct simreq *req, int status)
{
	struct logent	*e = &ring[log_seq % SIM_MAX_LOG];

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
	e->body = mask_secrets(req->body ? req->body : "", req->bodylen);
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
