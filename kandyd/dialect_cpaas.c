/*
 * Call control in the cpaas dialect: the REST requests of the WebRTC
 * signalling API (POST /sessions, PUT /answer, /update, /status, DELETE),
 * through the account's request wrapper.  Kandy's side of the call comes
 * back as notifications on the channel.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "daemon.h"

struct dl_req {
	struct api_req	*ar;
	dl_done_cb	 cb;
	void		*arg;
	int		 make;		/* the answer names the session */
	int		 in_call;	/* api_call() has not returned yet */
	int		 done;
};

static void
cpaas_done(int status, const char *body, size_t len,
    const struct kandy_error *e, void *arg)
{
	struct dl_req	*d = arg;
	char		 sid[KANDY_IDLEN];
	const char	*err;

	sid[0] = '\0';
	if (d->make && status >= 200 && status <= 299 &&
	    kresp_session(body, len, sid, sizeof(sid), &err) == -1) {
		log_warnx("kandy: session create: %s", err);
		sid[0] = '\0';
	}
	d->done = 1;
	if (d->cb != NULL)
		d->cb(status, sid, e, d->arg);
	if (!d->in_call)
		free(d);
}

/* One request; NULL when it cannot be made (the callback does not run). */
static struct dl_req *
cpaas_request(const char *method, enum kandy_path_kind kind, const char *sid,
    char *body, int timeout_ms, int make, dl_done_cb cb, void *arg)
{
	struct dl_req	*d;
	char		 path[KANDY_URLLEN];

	if (body == NULL || api_path(path, sizeof(path), kind, sid) == -1 ||
	    (d = calloc(1, sizeof(*d))) == NULL) {
		free(body);
		return (NULL);
	}
	d->cb = cb;
	d->arg = arg;
	d->make = make;
	d->in_call = 1;
	d->ar = api_call(method, path, body, timeout_ms, cpaas_done, d);
	free(body);
	d->in_call = 0;
	if (d->ar == NULL || d->done) {
		free(d);
		return (NULL);
	}
	return (d);
}

static struct dl_req *
cpaas_make(const char *dest, const char *sdp, dl_done_cb cb, void *arg)
{
	return (cpaas_request("POST", KP_SESSIONS, NULL,
	    kreq_session_create(acct_correlator(), dest, NULL, sdp),
	    KD_API_TIMEOUT_MS, 1, cb, arg));
}

static struct dl_req *
cpaas_answer(const char *sid, const char *sdp, dl_done_cb cb, void *arg)
{
	return (cpaas_request("PUT", KP_SESSION_ANSWER, sid,
	    kreq_answer(acct_correlator(), sdp), KD_API_TIMEOUT_MS, 0, cb,
	    arg));
}

static struct dl_req *
cpaas_update(const char *sid, const char *sdp, dl_done_cb cb, void *arg)
{
	return (cpaas_request("PUT", KP_SESSION_UPDATE, sid,
	    kreq_offer(acct_correlator(), sdp), KD_API_TIMEOUT_MS, 0, cb,
	    arg));
}

static struct dl_req *
cpaas_audit(const char *sid, dl_done_cb cb, void *arg)
{
	return (cpaas_request("PUT", KP_SESSION_STATUS, sid,
	    kreq_session_status(acct_correlator(), "Connected"),
	    KD_AUDIT_TIMEOUT_MS, 0, cb, arg));
}

static void
cpaas_ringing(const char *sid)
{
	cpaas_request("PUT", KP_SESSION_STATUS, sid,
	    kreq_session_status(acct_correlator(), "Ringing"),
	    KD_API_TIMEOUT_MS, 0, NULL, NULL);
}

static void
cpaas_end(const char *sid)
{
	char	 path[KANDY_URLLEN];

	if (api_path(path, sizeof(path), KP_SESSION, sid) == -1)
		return;
	api_call("DELETE", path, NULL, KD_API_TIMEOUT_MS, NULL, NULL);
}

static void
cpaas_cancel(struct dl_req *d)
{
	api_cancel(d->ar);
	free(d);
}

const struct kd_dialect dialect_cpaas = {
	.name = "cpaas",
	.make = cpaas_make,
	.answer = cpaas_answer,
	.update = cpaas_update,
	.audit = cpaas_audit,
	.ringing = cpaas_ringing,
	.end = cpaas_end,
	.cancel = cpaas_cancel,
};
