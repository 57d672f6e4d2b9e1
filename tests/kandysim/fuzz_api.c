/*
 * libFuzzer target for kandysim's request handling.  An input is
 * "METHOD PATH[?QUERY]\n" followed by the body; METHOD "WSRPC" feeds the
 * body to the wsrpc dialect instead.  Requests carry a valid bearer token
 * for user alice unless the path starts with '!'.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kandysim.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct simconf simconf = {
	.token_lifetime = 3600,
	.refresh_lifetime = 7200,
	.turn_ttl = 86400,
	.turn_secret = "fuzz",
	.domain = "kandy.test",
	.conncheck_interval = 30,
	.channel_lifetime = 3600,
	.ring_delay_ms = 100
};

static char	*bearer;
static u_int	 runs;

static void
fuzz_init(void)
{
	struct simreq	 req;
	struct simresp	 resp;
	static const char body[] = "grant_type=password&client_id=c&"
	    "username=alice&password=pw&scope=openid";
	json_t		*o;

	log_init(1, 0, 0);
	auth_init();
	user_add("alice", "pw", NULL, NULL);
	user_add("bob", "pw", NULL, NULL);
	user_add("svc", NULL, "PRIV-x", "secret");
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.path = "/cpaas/auth/v1/token";
	req.ctype = "application/x-www-form-urlencoded";
	req.body = body;
	req.bodylen = strlen(body);
	api_handle(&req, &resp);
	o = json_loads(resp.body, 0, NULL);
	if (o == NULL || jstr(o, "access_token") == NULL)
		fatalx("fuzz setup: no token");
	if (asprintf(&bearer, "Bearer %s", jstr(o, "access_token")) == -1)
		fatal("asprintf");
	json_decref(o);
	free(resp.body);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct simreq	 req;
	struct simresp	 resp;
	struct user	*alice;
	char		*in, *nl, *sp, *q, *path;

	if (bearer == NULL)
		fuzz_init();
	/* Keep state bounded across a long run. */
	if (++runs % 500 == 0) {
		calls_reset();
		rules_clear();
		channels_clear();
	}
	in = xcalloc(1, size + 1);
	memcpy(in, data, size);
	memset(&req, 0, sizeof(req));
	if ((nl = memchr(in, '\n', size)) == NULL ||
	    (sp = memchr(in, ' ', nl - in)) == NULL) {
		free(in);
		return (0);
	}
	*nl = *sp = '\0';
	req.method = in;
	path = sp + 1;
	req.body = nl + 1;
	req.bodylen = size - (nl + 1 - in);
	if (strcmp(req.method, "WSRPC") == 0) {
		alice = user_find("alice");
		wsrpc_message(NULL, alice, req.body, req.bodylen);
		free(in);
		return (0);
	}
	if (*path == '!')
		path++;
	else
		req.auth = bearer;
	if ((q = strchr(path, '?')) != NULL) {
		*q = '\0';
		req.query = q + 1;
	}
	req.path = path;
	req.ctype = strstr(path, "/token") ?
	    "application/x-www-form-urlencoded" : "application/json";
	api_handle(&req, &resp);
	free(resp.body);
	free(in);
	return (0);
}
