/*
 * The wsrpc dialect: JSON requests and responses with ids over one
 * WebSocket ({"type":"request","method","id","params"} answered by
 * {"type":"response","id","result"|"error"}), and call events pushed as
 * {"type":"event","method","params"}.  Same call engine as cpaas.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kandysim.h"
#include "log.h"

static void
rpc_send(struct wsconn *ws, json_t *msg)
{
	char	*text;

	if ((text = json_dumps(msg, JSON_COMPACT)) != NULL)
		ws_send(ws, text);
	free(text);
	json_decref(msg);
}

static void
rpc_error(struct wsconn *ws, json_t *id, int code, const char *message)
{
	rpc_send(ws, json_pack("{s:s, s:O?, s:{s:i, s:s}}", "type", "response",
	    "id", id, "error", "code", code, "message", message));
}

static void
rpc_result(struct wsconn *ws, json_t *id, json_t *result)
{
	rpc_send(ws, json_pack("{s:s, s:O?, s:o}", "type", "response", "id",
	    id, "result", result));
}

void
wsrpc_event(struct wsconn *ws, const char *method, json_t *params)
{
	rpc_send(ws, json_pack("{s:s, s:s, s:o}", "type", "event", "method",
	    method, "params", params));
}

static int
method_is(const char *m, const char *name)
{
	/* "call.answer" and "answer" name the same request. */
	if (strcmp(m, name) == 0)
		return (1);
	return (strncmp(m, "call.", 5) == 0 && strcmp(m + 5, name) == 0);
}

void
wsrpc_message(struct wsconn *ws, struct user *u, const char *text,
    size_t len)
{
	struct call	*c;
	json_t		*msg, *id, *params;
	const char	*type, *method, *callid;
	char		 err[128];

	if ((msg = json_object_loadb(text, len)) == NULL) {
		log_warnx("wsrpc: malformed message from %s", u->name);
		rpc_error(ws, NULL, 400, "malformed JSON");
		return;
	}
	id = json_object_get(msg, "id");
	type = jstr(msg, "type");
	method = jstr(msg, "method");
	params = json_object_get(msg, "params");
	callid = jstr(params, "callId");
	if (type != NULL && strcmp(type, "response") == 0)
		goto done;	/* acknowledgements of our events */
	if (type == NULL || strcmp(type, "request") != 0 || method == NULL) {
		rpc_error(ws, id, 400, "not a request");
		goto done;
	}
	if (params != NULL && !json_is_object(params)) {
		rpc_error(ws, id, 400, "params must be an object");
		goto done;
	}
	if (strcmp(method, "call.make") == 0 || strcmp(method, "make") == 0) {
		c = call_rpc_make(u, ws, callid, jstr(params, "destination"),
		    jstr(params, "sdp"), err, sizeof(err));
		if (c == NULL)
			rpc_error(ws, id, 400, err);
		else
			rpc_result(ws, id, json_pack("{s:s, s:s}", "callId",
			    c->leg[0].rpc_callid, "status", "calling"));
	} else if (method_is(method, "answer")) {
		if (call_rpc_answer(ws, callid, jstr(params, "sdp")) == -1)
			rpc_error(ws, id, 404, "no such call or bad state");
		else
			rpc_result(ws, id, json_pack("{s:s, s:s}", "callId",
			    callid, "status", "answered"));
	} else if (method_is(method, "ringing")) {
		if (call_rpc_ringing(ws, callid) == -1)
			rpc_error(ws, id, 404, "no such call");
		else
			rpc_result(ws, id, json_pack("{s:s, s:s}", "callId",
			    callid, "status", "ringing"));
	} else if (method_is(method, "end") || method_is(method, "hangup")) {
		if (call_rpc_end(ws, callid) == -1)
			rpc_error(ws, id, 404, "no such call");
		else
			rpc_result(ws, id, json_pack("{s:s, s:s}", "callId",
			    callid, "status", "ended"));
	} else if (strcmp(method, "ping") == 0)
		rpc_result(ws, id, json_object());
	else
		rpc_error(ws, id, 404, "unknown method");
 done:
	json_decref(msg);
}
