/*
 * Request routing for the emulated Kandy API, answer helpers, and the
 * misbehaviour that the control API switches on.  Everything here works on
 * a complete request in memory, so the fuzzer can drive it directly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kandysim.h"
#include "log.h"

struct simbad	 simbad;

const char *
jstr(json_t *o, const char *key)
{
	json_t	*v = json_object_get(o, key);

	return (json_is_string(v) ? json_string_value(v) : NULL);
}

void
resp_json(struct simresp *resp, int status, json_t *o)
{
	free(resp->body);
	resp->status = status;
	resp->ctype = "application/json";
	resp->body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
}

/*
 * {"requestError":{kind:{"messageId","text","variables"}}}.  Built piece
 * by piece: text and var may echo client input that is not UTF-8, and
 * json_pack would fail (and leak its "o" argument) on such a string.
 */
void
resp_error(struct simresp *resp, int status, const char *kind,
    const char *msgid, const char *text, const char *var)
{
	json_t	*vars, *detail, *kinds, *top;

	vars = json_array();
	if (var != NULL)
		json_array_append_new(vars, json_string(var));
	detail = json_object();
	json_object_set_new(detail, "messageId", json_string(msgid));
	json_object_set_new(detail, "text", json_string(text));
	json_object_set_new(detail, "variables", vars);
	kinds = json_object();
	json_object_set_new(kinds, kind, detail);
	top = json_object();
	json_object_set_new(top, "requestError", kinds);
	resp_json(resp, status, top);
}

void
resp_oauth(struct simresp *resp, int status, const char *error,
    const char *desc)
{
	resp_json(resp, status, json_pack("{s:s, s:s}", "error", error,
	    "error_description", desc));
}

/* Nesting depth outside strings, so deep input never reaches the parser. */
int
json_depth_ok(const char *s, size_t len)
{
	size_t	 i;
	int	 depth = 0, instr = 0;

	for (i = 0; i < len; i++) {
		if (instr) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				instr = 0;
			continue;
		}
		switch (s[i]) {
		case '"':
			instr = 1;
			break;
		case '{':
		case '[':
			if (++depth > SIM_MAX_DEPTH)
				return (0);
			break;
		case '}':
		case ']':
			depth--;
			break;
		}
	}
	return (1);
}

/* A JSON object from untrusted text, or NULL (any other value is freed). */
json_t *
json_object_loadb(const char *text, size_t len)
{
	json_t	*o;

	if (!json_depth_ok(text, len) ||
	    (o = json_loadb(text, len, 0, NULL)) == NULL)
		return (NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return (NULL);
	}
	return (o);
}

/* The body as a JSON object, or NULL after a 400 answer. */
json_t *
body_json(const struct simreq *req, struct simresp *resp)
{
	json_error_t	 err;
	json_t		*o;

	if (req->bodylen == 0 || req->body == NULL) {
		resp_error(resp, 400, "serviceException", "SVC0002",
		    "Invalid input value for message part %1", "body");
		return (NULL);
	}
	if (!json_depth_ok(req->body, req->bodylen)) {
		resp_error(resp, 400, "serviceException", "SVC0002",
		    "Invalid input value for message part %1", "body depth");
		return (NULL);
	}
	o = json_loadb(req->body, req->bodylen, 0,
	    &err);
	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		resp_error(resp, 400, "serviceException", "SVC0002",
		    "Invalid input value for message part %1", "body");
		return (NULL);
	}
	return (o);
}

static void
api_turn(const struct simreq *req, struct simresp *resp, struct user *u)
{
	char	 name[SIM_NAME_MAX + 32], pass[64];
	int	 ttl;
	json_t	*o;

	if (strcmp(req->method, "POST") != 0 &&
	    strcmp(req->method, "GET") != 0) {
		resp_error(resp, 405, "serviceException", "SVC0001",
		    "A service error occurred. Error code is %1",
		    "method not allowed");
		return;
	}
	/* The body is optional and only carries a clientCorrelator. */
	if (req->bodylen > 0) {
		if ((o = body_json(req, resp)) == NULL)
			return;
		json_decref(o);
	}
	if (turn_credentials(u->name, name, sizeof(name), pass,
	    sizeof(pass), &ttl) == -1) {
		resp_error(resp, 500, "serviceException", "SVC0001",
		    "A service error occurred. Error code is %1", "turn");
		return;
	}
	resp_json(resp, 201, json_pack("{s:{s:s, s:s, s:i}}",
	    "wrtcsTurnCredentials", "username", name, "password", pass,
	    "expires", ttl));
}

static struct user *
path_user(const struct simreq *req, struct simresp *resp, const char *uid)
{
	struct user	*u;

	if ((u = auth_check(req, resp)) == NULL)
		return (NULL);
	if (strcasecmp(u->name, uid) != 0) {
		resp_error(resp, 403, "policyException", "POL0001",
		    "A policy error occurred. Error code is %1",
		    "user id does not match the token");
		return (NULL);
	}
	return (u);
}

static void
api_cpaas(const struct simreq *req, struct simresp *resp, char **seg, int n)
{
	struct user	*u;

	if (n == 4 && strcmp(seg[1], "auth") == 0 &&
	    strcmp(seg[2], "v1") == 0 && strcmp(seg[3], "token") == 0) {
		auth_token(req, resp);
		return;
	}
	if (n >= 5 && strcmp(seg[2], "v1") == 0) {
		if (strcmp(seg[1], "notificationchannel") == 0 &&
		    strcmp(seg[4], "channels") == 0) {
			if ((u = path_user(req, resp, seg[3])) != NULL)
				api_channels(req, resp, u, seg + 5, n - 5);
			return;
		}
		if (strcmp(seg[1], "webrtcsignaling") == 0) {
			if (strcmp(seg[4], "subscriptions") == 0) {
				if ((u = path_user(req, resp, seg[3])) != NULL)
					api_subscriptions(req, resp, u,
					    seg + 5, n - 5);
				return;
			}
			if (strcmp(seg[4], "sessions") == 0) {
				if ((u = path_user(req, resp, seg[3])) != NULL)
					api_sessions(req, resp, u, seg + 5,
					    n - 5);
				return;
			}
			if (strcmp(seg[4], "turn") == 0 && n == 5) {
				if ((u = path_user(req, resp, seg[3])) != NULL)
					api_turn(req, resp, u);
				return;
			}
		}
	}
	resp_error(resp, 404, "serviceException", "SVC0001",
	    "A service error occurred. Error code is %1", "no such resource");
}

void
api_handle(const struct simreq *req, struct simresp *resp)
{
	char	 path[1024], *seg[16];
	int	 n;

	memset(resp, 0, sizeof(*resp));
	resp->status = 500;
	if (strlcpy(path, req->path, sizeof(path)) >= sizeof(path) ||
	    (n = split_path(path, seg, 16)) < 0) {
		resp_error(resp, 404, "serviceException", "SVC0001",
		    "A service error occurred. Error code is %1",
		    "no such resource");
		goto log;
	}
	if (n >= 1 && strcmp(seg[0], "_sim") == 0) {
		control_handle(req, resp, seg + 1, n - 1);
		return;
	}
	if (simbad.delay_count > 0) {
		simbad.delay_count--;
		resp->delay_ms = simbad.delay_ms;
	}
	if (simbad.fail_count > 0) {
		simbad.fail_count--;
		resp_error(resp, simbad.fail_status, "serviceException",
		    "SVC0001", "A service error occurred. Error code is %1",
		    "injected failure");
		goto log;
	}
	if (n >= 2 && strcmp(seg[0], "cpaas") == 0)
		api_cpaas(req, resp, seg, n);
	else
		resp_error(resp, 404, "serviceException", "SVC0001",
		    "A service error occurred. Error code is %1",
		    "no such resource");
 log:
	reqlog_add(req, resp->status);
}
