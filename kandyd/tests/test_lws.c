/*
 * The HTTPS request queue and the notification channel against a real
 * TLS server on 127.0.0.1 (lws_server.c, in a child process), with trust
 * anchors passed from memory as kandyd gets them over IPC.
 */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libwebsockets.h>

#include "kandyd.h"
#include "kb_config.h"
#include "log.h"
#include "check.h"
#include "lws_server.h"

struct result {
	int	 done;
	int	 calls;
	int	 status;
	char	*body;
	size_t	 len;
	char	 err[128];
};

static struct lws_context	*ctx;

static void
done_cb(int status, const char *body, size_t len, const char *err, void *arg)
{
	struct result	*r = arg;

	r->calls++;
	r->done = 1;
	r->status = status;
	free(r->body);
	r->body = malloc(len + 1);
	memcpy(r->body, body, len);
	r->body[len] = '\0';
	r->len = len;
	strlcpy(r->err, err != NULL ? err : "", sizeof(r->err));
}

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static lws_sorted_usec_list_t	 tick_sul;

/* lws sleeps until its next event: a tick bounds how long. */
static void
tick(lws_sorted_usec_list_t *sul)
{
	lws_sul_schedule(ctx, 0, &tick_sul, tick, 50 * LWS_US_PER_MS);
}

/* Service the loop until *flag or a generous deadline (not a speed test). */
static int
run_until(volatile int *flag, double secs)
{
	double	 end = now() + secs;

	tick(&tick_sul);
	while (!*flag && now() < end)
		lws_service(ctx, 0);
	lws_sul_cancel(&tick_sul);
	return (*flag);
}

static void
stage(const char *name)
{
	static double	 start;

	if (start == 0)
		start = now();
	fprintf(stderr, "[%6.2f s] %s\n", now() - start, name);
}

static void
run_for(double secs)
{
	int	 never = 0;

	run_until(&never, secs);
}

static const char *
jstr(json_t *j, const char *k)
{
	json_t	*v = json_object_get(j, k);

	return (json_is_string(v) ? json_string_value(v) : "(missing)");
}

static void
reset(struct result *r, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		free(r[i].body);
	memset(r, 0, n * sizeof(*r));
}

static void
test_http(struct http_client *hc)
{
	struct result	 r[8], slow, cancelled;
	struct http_req	*req;
	json_t		*j;
	char		 path[32];
	int		 i, all;
	struct kandy_error ke;
	const char	*err;

	memset(r, 0, sizeof(r));
	CHECK(http_request(hc, "POST", "/echo/one", "tok-123",
	    "application/json", "{\"a\":1}", 7, 10000, done_cb, &r[0]) != NULL);
	CHECK(run_until(&r[0].done, 20));
	CHECK_INT(r[0].status, 201);
	CHECK_STR(r[0].err, "");
	j = json_loads(r[0].body, 0, NULL);
	CHECK(j != NULL);
	CHECK_STR(jstr(j, "method"), "POST");
	CHECK_STR(jstr(j, "path"), "/echo/one");
	CHECK_STR(jstr(j, "auth"), "Bearer tok-123");
	CHECK_STR(jstr(j, "ctype"), "application/json");
	CHECK_STR(jstr(j, "accept"), "application/json");
	CHECK_STR(jstr(j, "agent"), "kandy-bridge/" KB_VERSION);
	CHECK_STR(jstr(j, "body"), "{\"a\":1}");
	json_decref(j);

	stage("Form body, PUT, DELETE with");
	/* Form body, PUT, DELETE without body. */
	reset(r, 8);
	http_request(hc, "POST", "/echo/token", NULL,
	    "application/x-www-form-urlencoded", "a=b%26c&d=e+f", 13, 10000,
	    done_cb, &r[0]);
	http_request(hc, "PUT", "/echo/s1/answer", "t", "application/json",
	    "{}", 2, 10000, done_cb, &r[1]);
	http_request(hc, "DELETE", "/empty", "t", NULL, NULL, 0, 10000,
	    done_cb, &r[2]);
	CHECK(run_until(&r[0].done, 20) && run_until(&r[1].done, 20) &&
	    run_until(&r[2].done, 20));
	j = json_loads(r[0].body, 0, NULL);
	CHECK_STR(jstr(j, "ctype"), "application/x-www-form-urlencoded");
	CHECK_STR(jstr(j, "body"), "a=b%26c&d=e+f");
	CHECK_STR(jstr(j, "auth"), "");
	json_decref(j);
	j = json_loads(r[1].body, 0, NULL);
	CHECK_INT(r[1].status, 200);
	CHECK_STR(jstr(j, "method"), "PUT");
	CHECK_STR(jstr(j, "path"), "/echo/s1/answer");
	json_decref(j);
	CHECK_INT(r[2].status, 204);
	CHECK_INT(r[2].len, 0);

	stage("More than HTTP_MAXINFLIGHT ");
	/* More than HTTP_MAXINFLIGHT at once: all complete, each its own. */
	reset(r, 8);
	for (i = 0; i < 8; i++) {
		snprintf(path, sizeof(path), "/echo/%d", i);
		http_request(hc, "GET", path, NULL, NULL, NULL, 0, 20000,
		    done_cb, &r[i]);
	}
	CHECK(http_pending(hc) == 8);
	for (i = 0, all = 1; i < 8; i++)
		all &= run_until(&r[i].done, 20);
	CHECK(all);
	for (i = 0; i < 8; i++) {
		snprintf(path, sizeof(path), "/echo/%d", i);
		j = json_loads(r[i].body, 0, NULL);
		CHECK_STR(jstr(j, "path"), path);
		CHECK_INT(r[i].calls, 1);
		json_decref(j);
	}
	CHECK_INT(http_pending(hc), 0);

	stage("Errors: a Kandy error body,");
	/* Errors: a Kandy error body, a body over the cap, a timeout. */
	reset(r, 8);
	http_request(hc, "GET", "/status/404", "t", NULL, NULL, 0, 10000,
	    done_cb, &r[0]);
	http_request(hc, "GET", "/big", "t", NULL, NULL, 0, 10000, done_cb,
	    &r[1]);
	CHECK(run_until(&r[0].done, 20) && run_until(&r[1].done, 20));
	CHECK_INT(r[0].status, 404);
	CHECK_INT(kresp_error(r[0].body, r[0].len, &ke, &err), 0);
	CHECK_STR(ke.message_id, "SVC0004");
	CHECK_INT(r[1].status, 0);
	CHECK_STR(r[1].err, "response body too large");

	memset(&slow, 0, sizeof(slow));
	memset(&cancelled, 0, sizeof(cancelled));
	req = http_request(hc, "GET", "/slow", "t", NULL, NULL, 0, 300,
	    done_cb, &cancelled);
	CHECK(req != NULL);
	http_request(hc, "GET", "/slow", "t", NULL, NULL, 0, 300, done_cb,
	    &slow);
	http_cancel(req);
	CHECK(run_until(&slow.done, 20));
	CHECK_INT(slow.status, 0);
	CHECK_STR(slow.err, "timeout");
	run_for(0.5);
	CHECK_INT(slow.calls, 1);
	CHECK_INT(cancelled.calls, 0);

	stage("Bad arguments are refused u");
	/* Bad arguments are refused up front. */
	CHECK(http_request(hc, "GET", "nopath", NULL, NULL, NULL, 0, 10,
	    done_cb, &slow) == NULL);
	CHECK(http_request(hc, "POST", "/x", NULL, NULL, "b", 1, 10,
	    done_cb, &slow) == NULL);
	for (i = 0; i < 8; i++)
		free(r[i].body);
	free(slow.body);
}

static void
test_http_fail(const struct kd_endpoint *ep, int closed_port)
{
	struct kd_endpoint	 e = *ep;
	struct http_client	*hc;
	struct result		 r;

	/* Nothing listening. */
	e.port = closed_port;
	hc = http_client_new(ctx, &e);
	memset(&r, 0, sizeof(r));
	http_request(hc, "GET", "/echo/x", NULL, NULL, NULL, 0, 10000,
	    done_cb, &r);
	CHECK(run_until(&r.done, 20));
	CHECK_INT(r.status, 0);
	CHECK_STR(r.err, "connection failed");
	http_client_free(hc);

	/* The certificate does not match the name we asked for. */
	e = *ep;
	strlcpy(e.host, "kandy.example.com", sizeof(e.host));
	hc = http_client_new(ctx, &e);
	free(r.body);
	memset(&r, 0, sizeof(r));
	http_request(hc, "GET", "/echo/x", NULL, NULL, NULL, 0, 10000,
	    done_cb, &r);
	CHECK(run_until(&r.done, 20));
	CHECK_INT(r.status, 0);
	http_client_free(hc);
	free(r.body);
}

/* A context trusting another CA must not talk to our server. */
static void
test_untrusted(const char *dir, const struct kd_endpoint *ep)
{
	struct lws_context	*saved = ctx;
	struct http_client	*hc;
	struct result		 r;
	char			 path[1024], *ca;
	size_t			 calen;

	snprintf(path, sizeof(path), "%s/other.pem", dir);
	ca = check_slurp(path, &calen);
	ctx = kd_lws_create(ca, calen, NULL, 0);
	CHECK(ctx != NULL);
	hc = http_client_new(ctx, ep);
	memset(&r, 0, sizeof(r));
	http_request(hc, "GET", "/echo/x", NULL, NULL, NULL, 0, 10000,
	    done_cb, &r);
	CHECK(run_until(&r.done, 20));
	CHECK_INT(r.status, 0);
	CHECK_STR(r.err, "connection failed");
	http_client_free(hc);
	lws_context_destroy(ctx);
	ctx = saved;
	free(ca);
	free(r.body);
}

struct chan {
	int		 state_changes;
	int		 last_state;
	int		 last_detail;
	int		 closed;
	int		 rejected;
	int		 got_invite;
	int		 got_dup;
	int		 max_conn;
	int		 first_conn;	/* server's count at our first connect */
	size_t		 sdplen;
	int		 sdp_ok;
};

static void
chan_notify(const struct kandy_notify *n, void *arg)
{
	struct chan	*c = arg;
	size_t		 i;
	int		 k;

	if (n->type == KN_INVITATION) {
		c->got_invite++;
		c->sdplen = n->sdplen;
		c->sdp_ok = n->sdplen == TEST_SDPLEN;
		for (i = 0; c->sdp_ok && i < n->sdplen; i++)
			if (n->sdp[i] != (char)('a' + i % 26))
				c->sdp_ok = 0;
		CHECK_STR(n->session_id, "in1");
	} else if (n->type == KN_EVENT && strcmp(n->id, "dup-1") == 0)
		c->got_dup++;
	else if (n->type == KN_EVENT && sscanf(n->id, "conn-%d", &k) == 1 &&
	    k > c->max_conn) {
		if (c->first_conn == 0)
			c->first_conn = k;
		c->max_conn = k;
	}
}

static void
chan_state(enum ws_state s, int detail, void *arg)
{
	struct chan	*c = arg;

	c->state_changes++;
	c->last_state = s;
	c->last_detail = detail;
	if (s == WS_CLOSED)
		c->closed = 1;
	if (s == WS_REJECTED)
		c->rejected = 1;
}

static void
test_ws(const struct kd_endpoint *ep)
{
	struct ws_conf		 conf;
	struct ws_client	*w;
	struct ws_stats		 st;
	struct chan		 c;
	int			 flag;

	memset(&conf, 0, sizeof(conf));
	conf.keepalive_ms = 200;
	conf.max_missed = 3;
	conf.backoff_min_ms = 100;
	conf.backoff_max_ms = 400;
	conf.msg_max = TEST_MSGMAX;

	/* Normal channel: fragments, duplicates, junk, keepalive. */
	memset(&c, 0, sizeof(c));
	w = ws_new(ctx, ep, &conf, chan_notify, chan_state, &c);
	CHECK_INT(ws_open(w, "bad path", TEST_GOOD_TOKEN), -1);
	CHECK_INT(ws_open(w, "/ws/ok/websocket", TEST_GOOD_TOKEN), 0);
	flag = 0;
	while (!flag && run_until(&c.got_invite, 20)) {
		ws_get_stats(w, &st);
		flag = st.acks_seen >= 3;
		run_for(0.05);
	}
	CHECK(flag);
	ws_get_stats(w, &st);
	CHECK_INT(c.got_invite, 1);
	CHECK(c.sdp_ok);
	CHECK_INT(c.sdplen, TEST_SDPLEN);
	CHECK_INT(c.got_dup, 1);
	CHECK_INT(st.dups_dropped, 1);
	CHECK_INT(st.bad_dropped, 2);	/* junk and the oversized one */
	CHECK_INT(st.connects, 1);
	CHECK(st.checks_sent >= 3);
	CHECK_INT(c.last_state, WS_UP);
	CHECK(c.first_conn >= 1);
	ws_free(w);

	stage("A wrong token: refused with");
	/* A wrong token: refused with 401 and not retried. */
	memset(&c, 0, sizeof(c));
	w = ws_new(ctx, ep, &conf, chan_notify, chan_state, &c);
	ws_open(w, "/ws/ok/websocket", "bad-token");
	CHECK(run_until(&c.rejected, 20));
	CHECK_INT(c.last_detail, 401);
	run_for(0.5);
	ws_get_stats(w, &st);
	CHECK_INT(st.connects, 0);
	CHECK_INT(c.state_changes, 1);
	ws_free(w);

	stage("connAck never comes: reconn");
	/* connAck never comes: reconnect after max_missed checks. */
	memset(&c, 0, sizeof(c));
	w = ws_new(ctx, ep, &conf, chan_notify, chan_state, &c);
	ws_open(w, "/ws/mute/websocket", TEST_GOOD_TOKEN);
	flag = 0;
	while (!flag && run_until(&c.max_conn, 20)) {
		flag = c.max_conn >= c.first_conn + 2;
		run_for(0.05);
	}
	CHECK(flag);
	ws_get_stats(w, &st);
	CHECK(st.connects >= 3);
	CHECK(st.checks_sent >= 3 * 2);
	CHECK_INT(st.acks_seen, 0);
	CHECK(c.state_changes >= 3);	/* up, down, up ... */
	ws_free(w);

	stage("The server hangs up: reconn");
	/* The server hangs up: reconnect. */
	memset(&c, 0, sizeof(c));
	w = ws_new(ctx, ep, &conf, chan_notify, chan_state, &c);
	ws_open(w, "/ws/drop/websocket", TEST_GOOD_TOKEN);
	flag = 0;
	while (!flag && run_until(&c.max_conn, 20)) {
		flag = c.max_conn >= c.first_conn + 2;
		run_for(0.05);
	}
	CHECK(flag);
	ws_free(w);

	stage("Close 1000 from the server:");
	/* Close 1000 from the server: closed, no reconnect. */
	memset(&c, 0, sizeof(c));
	w = ws_new(ctx, ep, &conf, chan_notify, chan_state, &c);
	ws_open(w, "/ws/bye/websocket", TEST_GOOD_TOKEN);
	CHECK(run_until(&c.closed, 20));
	run_for(1.0);
	ws_get_stats(w, &st);
	CHECK_INT(st.connects, 1);
	CHECK_INT(c.last_state, WS_CLOSED);
	CHECK_INT(c.last_detail, 1000);
	CHECK(c.first_conn > 0);
	CHECK_INT(c.max_conn, c.first_conn);
	CHECK_INT(ws_send(w, "{}"), -1);
	ws_free(w);
}

int
main(int argc, char *argv[])
{
	struct kd_endpoint	 ep;
	struct http_client	*hc;
	char			 path[1024], *ca;
	size_t			 calen;
	int			 fds[2], port, closed_port, status;
	pid_t			 pid;

	if (argc != 2) {
		fprintf(stderr, "usage: test_lws certdir\n");
		return (2);
	}
	log_init(1, getenv("KD_LWS_DEBUG") != NULL, 0);
	signal(SIGPIPE, SIG_IGN);
	if (pipe(fds) == -1)
		return (2);
	if ((pid = fork()) == 0) {
		/* Never outlive the test. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(fds[0]);
		lws_server_run(argv[1], fds[1]);
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &port, sizeof(port)) != sizeof(port)) {
		fprintf(stderr, "test server did not start\n");
		return (2);
	}
	close(fds[0]);

	kd_lws_log_init();
	/* A bundle: the CA that signed the server is not the first. */
	snprintf(path, sizeof(path), "%s/trust.pem", argv[1]);
	ca = check_slurp(path, &calen);
	CHECK(kd_lws_create(NULL, 0, NULL, 0) == NULL);
	ctx = kd_lws_create(ca, calen, NULL, 0);
	/* Trust anchors are in the TLS context now: the file is no more. */
	explicit_bzero(ca, calen);
	free(ca);
	if (ctx == NULL)
		return (2);

	memset(&ep, 0, sizeof(ep));
	strlcpy(ep.host, "localhost", sizeof(ep.host));
	strlcpy(ep.address, "127.0.0.1", sizeof(ep.address));
	ep.port = port;

	hc = http_client_new(ctx, &ep);
	stage("test_http");
	test_http(hc);
	http_client_free(hc);
	/* A port just used and closed: the server's port + 1 may be taken. */
	closed_port = port == 65535 ? port - 1 : port + 1;
	stage("test_http_fail");
	test_http_fail(&ep, closed_port);
	if (waitpid(pid, &status, WNOHANG) == pid) {
		fprintf(stderr, "test server died: status %d\n", status);
		return (2);
	}
	stage("test_untrusted");
	test_untrusted(argv[1], &ep);
	stage("test_ws");
	test_ws(&ep);

	stage("done");
	lws_context_destroy(ctx);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	if (check_failures)
		fprintf(stderr, "%d failures\n", check_failures);
	return (check_failures != 0);
}
