/*
 * A real kandyd alone against kandysim: this program plays the parent,
 * sipd and mediad through socketpairs, and scripts kandysim through its
 * control API (with curl).  It checks what kandyd sends over IPC and
 * what kandysim's request log says kandyd asked of the Kandy API.
 *
 *	drive_kandyd KANDYD CA-PEM PORT [password|wsrpc|bench]
 *
 * With "password", only the start with the password grant (user alice);
 * with "wsrpc", calls in the wsrpc dialect.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cfg.h"
#include "ipc.h"
#include "media.h"
#include "kandyd.h"

#define MAXMSG		4096
#define CTL_ID		77

struct rec {
	enum kb_proc	 to;		/* which of our roles got it */
	uint16_t	 type;
	uint64_t	 call;
	uint8_t		*data;
	size_t		 len;
	int		 used;
};

static struct ipc_conn	 conn[PROC_MAX];	/* by the role we play */
static int		 conns_made;	/* conn[] initialised once */
static struct rec	 recs[MAXMSG];
static int		 nrecs;
static const char	*ca_path;
static int		 port;
static pid_t		 child;
static int		 failures;
static json_int_t	 log_seq;
static int		 use_wsrpc;	/* dialect wsrpc in the configuration */

#define CHECK(x) do {							\
	if (!(x)) {							\
		warnx("%s:%d: check failed: %s", __FILE__, __LINE__, #x);\
		failures++;						\
	}								\
} while (0)

static void
ok(const char *msg)
{
	printf("ok: %s\n", msg);
	fflush(stdout);
}

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static void
flush_all(void)
{
	int	 i;

	for (i = 0; i < PROC_MAX; i++)
		while (conn[i].fd != -1 && ipc_pending(&conn[i]))
			if (ipc_flush(&conn[i]) == -1)
				errx(1, "flush: %s", ipc_strerror(&conn[i]));
}

/* The parent's part: answer kandyd's resolver requests. */
static void
parent_answer(struct ipc_msg *m)
{
	struct sockaddr_in	 sin;
	const char		*host, *serv;
	uint32_t		 id;

	if (m->hdr.type != IMSG_RESOLVE)
		return;
	ipc_unpack(m, &id, &host, &serv);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ipc_send(&conn[PROC_PARENT], IMSG_RESOLVE_ADDR, 0, -1, id,
	    (struct sockaddr *)&sin);
	ipc_send(&conn[PROC_PARENT], IMSG_RESOLVE_DONE, 0, -1, id, 0U, "");
}

/* Read whatever comes within ms and record it. */
static void
pump(int ms)
{
	struct pollfd	 pfd[PROC_MAX];
	struct ipc_msg	 m;
	int		 i, n, map[PROC_MAX];

	flush_all();
	for (i = n = 0; i < PROC_MAX; i++) {
		if (conn[i].fd == -1)
			continue;
		pfd[n].fd = conn[i].fd;
		pfd[n].events = POLLIN;
		map[n++] = i;
	}
	if (poll(pfd, n, ms) <= 0)
		return;
	for (i = 0; i < n; i++) {
		if (!(pfd[i].revents & (POLLIN | POLLHUP)))
			continue;
		if (ipc_fill(&conn[map[i]]) == 0)
			errx(1, "kandyd closed the %s channel",
			    proc_name(map[i]));
		while (ipc_next(&conn[map[i]], &m) == 1) {
			if (m.hdr.type == IMSG_PEER_HELLO)
				continue;
			if (map[i] == PROC_PARENT)
				parent_answer(&m);
			if (nrecs == MAXMSG)
				errx(1, "too many messages");
			recs[nrecs].used = 0;
			recs[nrecs].to = map[i];
			recs[nrecs].type = m.hdr.type;
			recs[nrecs].call = m.hdr.call;
			recs[nrecs].len = m.hdr.len;
			if ((recs[nrecs].data = malloc(m.hdr.len + 1)) == NULL)
				err(1, "malloc");
			memcpy(recs[nrecs].data, m.data, m.hdr.len);
			if (m.fd != -1)
				close(m.fd);
			nrecs++;
		}
	}
	flush_all();
}

/* The first unused message of this type (and call, unless 0) to role. */
static struct rec *
expect(enum kb_proc to, uint16_t type, uint64_t call, double secs)
{
	double	 end = now() + secs;
	int	 i;

	for (;;) {
		for (i = 0; i < nrecs; i++)
			if (!recs[i].used && recs[i].to == to &&
			    recs[i].type == type &&
			    (call == 0 || recs[i].call == call)) {
				recs[i].used = 1;
				return (&recs[i]);
			}
		if (now() > end)
			break;
		pump(50);
	}
	warnx("no %s to %s for call %016llx within %.0f s",
	    ipc_typename(type), proc_name(to), (unsigned long long)call, secs);
	failures++;
	return (NULL);
}

/* Nothing of this kind came (so far). */
static int
absent(enum kb_proc to, uint16_t type, uint64_t call)
{
	int	 i;

	pump(0);
	for (i = 0; i < nrecs; i++)
		if (!recs[i].used && recs[i].to == to &&
		    recs[i].type == type && recs[i].call == call)
			return (0);
	return (1);
}

/* A received frame's payload, unpacked with its type's format. */
static int
unpack(struct rec *r, ...)
{
	struct ipc_msg	 m;
	va_list		 ap;
	int		 rv;

	memset(&m, 0, sizeof(m));
	m.hdr.type = r->type;
	m.hdr.len = r->len;
	m.hdr.call = r->call;
	m.data = r->data;
	m.fd = -1;
	va_start(ap, r);
	rv = ipc_vunpack(r->data, r->len, ipc_type(r->type)->fmt, ap);
	va_end(ap);
	return (rv);
}

/* kandysim's control API with curl; returns the HTTP status. */
static char	 bearer[8192];	/* our own token for the Kandy API */

static int
sim(const char *method, const char *path, const char *body, json_t **out)
{
	char	 cmd[12288], *buf = NULL, *p;
	FILE	*f;
	size_t	 n = 0, cap = 0;
	char	*nl;
	int	 status;

	snprintf(cmd, sizeof(cmd), "curl -s --cacert '%s' -X %s "
	    "-H 'Content-Type: application/json' %s%s%s %s%s%s "
	    "-w '\\n%%{http_code}' 'https://localhost:%d%s'", ca_path, method,
	    body ? "--data-binary '" : "", body ? body : "", body ? "'" : "",
	    *bearer ? "-H 'Authorization: Bearer " : "", bearer,
	    *bearer ? "'" : "", port, path);
	if ((f = popen(cmd, "r")) == NULL)
		err(1, "popen");
	/* All of it: curl must not block on a full pipe. */
	do {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 65536;
			if ((p = realloc(buf, cap)) == NULL)
				err(1, "realloc");
			buf = p;
		}
		n += fread(buf + n, 1, cap - n - 1, f);
	} while (!feof(f) && !ferror(f));
	pclose(f);
	buf[n] = '\0';
	if ((nl = strrchr(buf, '\n')) == NULL) {
		free(buf);
		return (0);
	}
	*nl = '\0';
	status = atoi(nl + 1);
	if (out != NULL)
		*out = json_loads(buf, 0, NULL);
	free(buf);
	return (status);
}

/*
 * The request log since the last mark: how many requests match method,
 * a path fragment, a status (0: any) and a body fragment (NULL: any).
 */
static int
logged(const char *method, const char *path, int status, const char *body)
{
	json_t		*j, *r;
	char		 p[64];
	size_t		 i;
	int		 n = 0;
	const char	*b;

	snprintf(p, sizeof(p), "/_sim/log?since=%lld", (long long)log_seq);
	if (sim("GET", p, NULL, &j) != 200 || j == NULL) {
		warnx("cannot read kandysim's request log");
		return (-1);
	}
	json_array_foreach(json_object_get(j, "requests"), i, r) {
		b = json_string_value(json_object_get(r, "body"));
		if (strcmp(json_string_value(json_object_get(r, "method")),
		    method) == 0 &&
		    strstr(json_string_value(json_object_get(r, "path")),
		    path) != NULL &&
		    (status == 0 || json_integer_value(json_object_get(r,
		    "status")) == status) &&
		    (body == NULL || (b != NULL && strstr(b, body) != NULL)))
			n++;
	}
	json_decref(j);
	return (n);
}

/* Wait until the log shows such a request. */
static int
wait_logged(const char *method, const char *path, int status,
    const char *body, double secs)
{
	double	 end = now() + secs;
	int	 n;

	while ((n = logged(method, path, status, body)) <= 0 && now() < end)
		pump(100);
	if (n <= 0)
		warnx("kandysim saw no %s %s (%d)", method, path, status);
	return (n);
}

/* Later log reads start after now. */
static void
log_mark(void)
{
	json_t		*j, *a;
	size_t		 n;

	if (sim("GET", "/_sim/log", NULL, &j) != 200 || j == NULL)
		return;
	a = json_object_get(j, "requests");
	if ((n = json_array_size(a)) > 0)
		log_seq = json_integer_value(json_object_get(
		    json_array_get(a, n - 1), "seq"));
	json_decref(j);
}

static void
local_desc(struct media_webrtc_desc *d, int setup)
{
	struct sockaddr_in	*sin;

	memset(d, 0, sizeof(*d));
	strlcpy(d->ufrag, "KbUf", sizeof(d->ufrag));
	strlcpy(d->pwd, "kandybridgetestpassword1", sizeof(d->pwd));
	strlcpy(d->fingerprint, "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:"
	    "88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99",
	    sizeof(d->fingerprint));
	d->setup = setup;
	d->rtcp_mux = 1;
	d->ssrc = 1234;
	d->codecs[0] = (struct media_codec_desc){ CODEC_PCMA, 8, 1, 8000 };
	d->codecs[1] = (struct media_codec_desc){ CODEC_TELEPHONE_EVENT, 101,
	    1, 8000 };
	d->ncodecs = 2;
	d->ncands = 1;
	strlcpy(d->cands[0].foundation, "1", sizeof(d->cands[0].foundation));
	d->cands[0].component = 1;
	d->cands[0].priority = 2130706431;
	sin = (struct sockaddr_in *)&d->cands[0].addr;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(40000);
	inet_pton(AF_INET, "127.0.0.1", &sin->sin_addr);
}

static void
send_local(uint64_t id, int setup)
{
	struct media_webrtc_desc	 d;

	local_desc(&d, setup);
	ipc_send(&conn[PROC_MEDIAD], IMSG_MEDIA_WEBRTC_LOCAL, id, -1, &d,
	    sizeof(d));
	flush_all();
}

static void
call_out(uint64_t id, const char *to)
{
	ipc_send(&conn[PROC_SIPD], IMSG_CALL_OUT, id, -1, to, "100",
	    "Extension 100");
	flush_all();
}

/* The remote description kandyd sent mediad is a valid one. */
static void
check_remote(uint64_t id)
{
	struct media_webrtc_desc	 d;
	struct rec			*r;
	const void			*blob;
	const char			*err;
	size_t				 len;

	if ((r = expect(PROC_MEDIAD, IMSG_MEDIA_WEBRTC_REMOTE, id, 10)) ==
	    NULL)
		return;
	CHECK(unpack(r, &blob, &len) == 0 && len == sizeof(d));
	memcpy(&d, blob, sizeof(d));
	CHECK(media_webrtc_valid(&d, &err) == 0);
	CHECK(d.ncodecs >= 1 && d.ncands >= 1);
}

static void
check_end(uint64_t id, unsigned int want)
{
	struct rec	*r;
	const char	*reason;
	uint32_t	 sip, http;

	if ((r = expect(PROC_SIPD, IMSG_CALL_END, id, 10)) == NULL)
		return;
	CHECK(unpack(r, &sip, &http, &reason) == 0);
	if (sip != want) {
		warnx("call %016llx ended with %u (%s), wanted %u",
		    (unsigned long long)id, sip, reason, want);
		failures++;
	}
	expect(PROC_MEDIAD, IMSG_MEDIA_FREE, id, 5);
}

/* The Kandy session id kandyd gave sipd for the call ("" if none). */
static void
check_session(uint64_t id, char *sid, size_t len)
{
	struct rec	*r;
	const char	*s;

	sid[0] = '\0';
	if ((r = expect(PROC_SIPD, IMSG_CALL_SESSION, id, 10)) == NULL)
		return;
	CHECK(unpack(r, &s) == 0 && *s != '\0');
	strlcpy(sid, s, len);
}

/* The Retry-After kandyd sent with a CALL_END 503, within lo..hi s. */
static void
check_retry(uint64_t id, uint32_t lo, uint32_t hi)
{
	struct rec	*r;
	uint32_t	 secs = 0;

	if ((r = expect(PROC_SIPD, IMSG_CALL_RETRY, id, 5)) == NULL)
		return;
	CHECK(unpack(r, &secs) == 0);
	if (secs < lo || secs > hi) {
		warnx("call %016llx: Retry-After %u, wanted %u..%u",
		    (unsigned long long)id, secs, lo, hi);
		failures++;
	}
}

/* kandysim's call id for the call with this session on one leg, or -1. */
static long long
sim_call(const char *sid)
{
	json_t		*j, *c, *l;
	size_t		 i, k;
	long long	 id = -1;

	if (sim("GET", "/_sim/calls", NULL, &j) != 200 || j == NULL)
		return (-1);
	json_array_foreach(json_object_get(j, "calls"), i, c)
		json_array_foreach(json_object_get(c, "legs"), k, l)
			if ((json_string_value(json_object_get(l, "session")) &&
			    strcmp(json_string_value(json_object_get(l,
			    "session")), sid) == 0) ||
			    (json_string_value(json_object_get(l, "call_id")) &&
			    strcmp(json_string_value(json_object_get(l,
			    "call_id")), sid) == 0))
				id = json_integer_value(json_object_get(c,
				    "id"));
	json_decref(j);
	return (id);
}

/*
 * kandysim calls the bridge's user `to' from `from': MEDIA_ALLOC 1, a
 * valid MEDIA_WEBRTC_REMOTE, CALL_IN and CALL_SESSION.  The call id, or 0.
 */
static uint64_t
incoming_call(const char *from, const char *to, char *sid, size_t len)
{
	struct rec	*r;
	const char	*did, *caller, *name;
	char		 body[256];
	json_t		*j = NULL;
	uint64_t	 id;
	uint8_t		 b;

	snprintf(body, sizeof(body), "{\"from\":\"%s\",\"to\":\"%s\"}",
	    from, to);
	CHECK(sim("POST", "/_sim/incoming", body, &j) == 201);
	json_decref(j);
	if ((r = expect(PROC_MEDIAD, IMSG_MEDIA_ALLOC, 0, 10)) == NULL)
		return (0);
	id = r->call;
	CHECK(unpack(r, &b) == 0 && b == 1);
	check_remote(id);
	if ((r = expect(PROC_SIPD, IMSG_CALL_IN, id, 5)) != NULL) {
		CHECK(unpack(r, &did, &caller, &name) == 0);
		CHECK(strcmp(did, to) == 0);
		CHECK(strcmp(caller, from) == 0);
	}
	check_session(id, sid, len);
	return (id);
}

/* kandysim's state of the call with this session or call id. */
static int
sim_state_is(const char *sid, const char *want)
{
	char		 path[64];
	json_t		*j;
	long long	 id;
	int		 rv;

	if ((id = sim_call(sid)) == -1)
		return (0);
	snprintf(path, sizeof(path), "/_sim/calls/%lld", id);
	if (sim("GET", path, NULL, &j) != 200 || j == NULL)
		return (0);
	rv = json_string_value(json_object_get(j, "state")) != NULL &&
	    strcmp(json_string_value(json_object_get(j, "state")), want) == 0;
	json_decref(j);
	return (rv);
}

/* Wait for kandysim's call to reach a state. */
static int
wait_sim_state(const char *sid, const char *want, double secs)
{
	double	 end = now() + secs;

	while (!sim_state_is(sid, want)) {
		if (now() > end) {
			warnx("kandysim's call %s never %s", sid, want);
			return (0);
		}
		pump(100);
	}
	return (1);
}

/* show kandy rows, looked up by name. */
static int
show_kandy(const char *name, char *val, size_t len)
{
	const char	*n, *v;
	double		 end = now() + 5;
	int		 i, found = 0;

	ipc_send(&conn[PROC_PARENT], IMSG_CTL_SHOW_KANDY, CTL_ID, -1);
	flush_all();
	while (absent(PROC_PARENT, IMSG_CTL_END, CTL_ID) && now() < end)
		pump(50);
	for (i = 0; i < nrecs; i++) {
		if (recs[i].used || recs[i].to != PROC_PARENT ||
		    recs[i].call != CTL_ID)
			continue;
		recs[i].used = 1;
		if (recs[i].type == IMSG_CTL_END)
			return (found);
		if (recs[i].type != IMSG_CTL_KANDY || unpack(&recs[i], &n,
		    &v) == -1)
			continue;
		printf("  %-14s %s\n", n, v);
		if (strcmp(n, name) == 0) {
			strlcpy(val, v, len);
			found = 1;
		}
	}
	warnx("show kandy: no CTL_END");
	failures++;
	return (found);
}

static void
start(const char *kandyd, int password)
{
	char		*argv[] = { (char *)kandyd, "-d", "-v", "-u",
			    "_bridged", "-r", "/var/empty", NULL };
	struct cfg_kandy k;
	int		 sp[3][2], i;
	FILE		*f;
	char		*ca;
	size_t		 calen;
	long		 sz;

	for (i = 0; i < 3; i++)
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
		    sp[i]) == -1)
			err(1, "socketpair");
	if ((child = fork()) == -1)
		err(1, "fork");
	if (child == 0) {
		if (dup2(sp[0][1], 3) == -1)
			_exit(127);
		closefrom(4);
		execv(kandyd, argv);
		_exit(127);
	}
	close(sp[0][1]);
	/* A kandyd started again: the old channels' buffers go first. */
	for (i = 0; i < PROC_MAX; i++)
		if (conns_made)
			ipc_clear(&conn[i]);
	conns_made = 1;
	for (i = 0; i < PROC_MAX; i++)
		ipc_init(&conn[i], -1, PROC_PARENT, PROC_KANDYD);
	ipc_init(&conn[PROC_PARENT], sp[0][0], PROC_PARENT, PROC_KANDYD);
	ipc_init(&conn[PROC_SIPD], sp[1][0], PROC_SIPD, PROC_KANDYD);
	ipc_init(&conn[PROC_MEDIAD], sp[2][0], PROC_MEDIAD, PROC_KANDYD);

	if ((f = fopen(ca_path, "r")) == NULL)
		err(1, "%s", ca_path);
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	rewind(f);
	calen = sz + 1;
	if ((ca = calloc(1, calen)) == NULL ||
	    fread(ca, 1, sz, f) != (size_t)sz)
		err(1, "%s", ca_path);
	fclose(f);

	memset(&k, 0, sizeof(k));
	snprintf(k.url, sizeof(k.url), "https://localhost:%d", port);
	strlcpy(k.host, "localhost", sizeof(k.host));
	if (password) {
		strlcpy(k.client_id, "kandy-bridge", sizeof(k.client_id));
		strlcpy(k.user, "alice", sizeof(k.user));
		k.grant = 1;		/* password */
	} else {
		strlcpy(k.client_id, use_wsrpc ? "PRIV-ws" : "PRIV-bridge",
		    sizeof(k.client_id));
		k.grant = 0;		/* client credentials */
	}
	k.port = port;
	k.call_audit = 2;
	k.dialect = use_wsrpc;		/* 1: KANDY_DIALECT_WSRPC */
	ipc_send(&conn[PROC_PARENT], IMSG_CFG_BEGIN, 0, -1, 1U);
	ipc_send(&conn[PROC_PARENT], IMSG_CFG_LOG, 0, -1, 1U);
	ipc_send(&conn[PROC_PARENT], IMSG_CFG_KANDY, 0, -1, &k, sizeof(k));
	ipc_send(&conn[PROC_PARENT], IMSG_CFG_KANDY_SECRET, 0, -1,
	    password ? "alicepw" : use_wsrpc ? "wss3cr3t" : "s3cr3t");
	/* In two pieces, the last ending in NUL, as the parent sends them. */
	ipc_send(&conn[PROC_PARENT], IMSG_CFG_KANDY_CA, 0, -1, ca, calen / 2);
	ipc_send(&conn[PROC_PARENT], IMSG_CFG_KANDY_CA, 0, -1, ca + calen / 2,
	    calen - calen / 2);
	free(ca);
	ipc_send(&conn[PROC_PARENT], IMSG_PEER_FD, 0, sp[1][1], PROC_SIPD);
	ipc_send(&conn[PROC_PARENT], IMSG_PEER_FD, 0, sp[2][1], PROC_MEDIAD);
	ipc_send(&conn[PROC_PARENT], IMSG_CFG_DONE, 0, -1, 1U);
	flush_all();
	close(sp[1][1]);
	close(sp[2][1]);
	ipc_send(&conn[PROC_SIPD], IMSG_PEER_HELLO, 0, -1, PROC_SIPD);
	ipc_send(&conn[PROC_MEDIAD], IMSG_PEER_HELLO, 0, -1, PROC_MEDIAD);
	flush_all();
	expect(PROC_PARENT, IMSG_CFG_ACK, 0, 10);
}

static void
recs_clear(void)
{
	while (nrecs > 0)
		free(recs[--nrecs].data);
}

/* Stop kandyd; the exit status of the run. */
static int
finish(void)
{
	kill(child, SIGTERM);
	waitpid(child, NULL, 0);
	if (failures > 0) {
		printf("%d check(s) failed\n", failures);
		return (1);
	}
	return (0);
}

/*
 * n signalling-only call set-ups one after the other: CALL_OUT and our
 * media in, CALL_ANSWERED out, CALL_END.  Seconds taken.
 */
static double
bench_sequential(int n, uint64_t base, const char *to)
{
	double		 t0 = now();
	uint64_t	 id;
	int		 i;

	for (i = 0; i < n; i++) {
		id = base + i;
		call_out(id, to);
		send_local(id, SETUP_ACTPASS);
		if (expect(PROC_SIPD, IMSG_CALL_ANSWERED, id, 10) == NULL)
			break;
		ipc_send(&conn[PROC_SIPD], IMSG_CALL_END, id, -1, 200U, 0U,
		    "BYE");
	}
	return (now() - t0);
}

/*
 * kandysim's own time per call to `to' (created to answered, ms, mean over
 * the calls it still lists): what is not kandyd's in a set-up.
 */
static double
sim_answer_ms(const char *to)
{
	json_t		*j, *c, *l;
	size_t		 i, k;
	double		 sum = 0;
	int		 n = 0;

	if (sim("GET", "/_sim/calls", NULL, &j) != 200 || j == NULL)
		return (0);
	json_array_foreach(json_object_get(j, "calls"), i, c) {
		if (json_integer_value(json_object_get(c, "answered_ms")) == 0)
			continue;
		json_array_foreach(json_object_get(c, "legs"), k, l)
			if (json_string_value(json_object_get(l, "address")) &&
			    strcmp(json_string_value(json_object_get(l,
			    "address")), to) == 0) {
				sum += json_integer_value(json_object_get(c,
				    "answered_ms")) - json_integer_value(
				    json_object_get(c, "created_ms"));
				n++;
			}
	}
	json_decref(j);
	return (n > 0 ? sum / n : 0);
}

/* The moving average of kandyd's own API round trips, in ms. */
static double
api_average(void)
{
	char	 val[128];
	double	 last, avg;

	if (!show_kandy("api latency", val, sizeof(val)) ||
	    sscanf(val, "last %lf ms, average %lf ms", &last, &avg) != 2)
		return (0);
	return (avg);
}

/*
 * Signalling-only call set-ups through kandyd: CALL_OUT and our media,
 * POST /sessions, kandysim answers at once, CALL_ANSWERED, CALL_END,
 * DELETE.  Sequential, then in batches of 20 at once; then sequential
 * in the wsrpc dialect.  kandyd's part of a set-up: its time minus
 * kandysim's own from the session's creation to its answer.
 */
static int
bench(const char *kandyd)
{
	double		 t, seq_s, par_s, rpc_s, avg, t0, sim_ms, rpc_sim_ms;
	uint64_t	 id;
	int		 i, k, n = 200, batch = 20;

	CHECK(sim("POST", "/_sim/config", "{\"ring_delay_ms\":1}", NULL) ==
	    200);
	CHECK(sim("POST", "/_sim/rules", "{\"match\":\"97150099*\","
	    "\"action\":\"answer\",\"answer_after_ms\":0}", NULL) == 201);
	start(kandyd, 0);
	expect(PROC_MEDIAD, IMSG_TURN_CREDS, 0, 20);
	seq_s = bench_sequential(n, 0x9000000, "tel:+971500990001");
	avg = api_average();
	sim_ms = sim_answer_ms("tel:+971500990001");
	recs_clear();
	t0 = now();
	for (i = 0; i < n; i += batch) {
		for (k = 0; k < batch; k++) {
			id = 0xa000000 + i + k;
			call_out(id, "tel:+971500990002");
			send_local(id, SETUP_ACTPASS);
		}
		for (k = 0; k < batch; k++)
			expect(PROC_SIPD, IMSG_CALL_ANSWERED,
			    0xa000000 + i + k, 20);
		for (k = 0; k < batch; k++)
			ipc_send(&conn[PROC_SIPD], IMSG_CALL_END,
			    0xa000000 + i + k, -1, 200U, 0U, "BYE");
		recs_clear();
	}
	par_s = now() - t0;
	show_kandy("api latency", (char [128]){ 0 }, 128);
	kill(child, SIGTERM);
	waitpid(child, NULL, 0);
	recs_clear();

	use_wsrpc = 1;
	CHECK(sim("POST", "/_sim/users", "{\"username\":\"wsbridge\","
	    "\"client_id\":\"PRIV-ws\",\"client_secret\":\"wss3cr3t\"}",
	    NULL) == 201);
	start(kandyd, 0);
	expect(PROC_MEDIAD, IMSG_TURN_CREDS, 0, 20);
	rpc_s = bench_sequential(n, 0xb000000, "tel:+971500990003");
	rpc_sim_ms = sim_answer_ms("tel:+971500990003");

	t = seq_s / n * 1000;
	printf("cpaas sequential: %d call set-ups in %.2f s: %.1f per second, "
	    "%.1f ms each (CALL_OUT to CALL_ANSWERED)\n", n, seq_s,
	    n / seq_s, t);
	printf("cpaas: kandysim's own time from the session to its answer "
	    "%.1f ms; the rest, kandyd and the wire: %.1f ms per set-up; "
	    "API round trip as kandyd measures it %.1f ms average\n", sim_ms,
	    t - sim_ms, avg);
	printf("cpaas %d at once: %d call set-ups in %.2f s: %.1f per "
	    "second\n", batch, n, par_s, n / par_s);
	printf("wsrpc sequential: %d call set-ups in %.2f s: %.1f per second, "
	    "%.1f ms each, of which kandysim's own %.1f ms\n", n, rpc_s,
	    n / rpc_s, rpc_s / n * 1000, rpc_sim_ms);
	return (finish());
}

/*
 * The wsrpc dialect: one WebSocket, call.make / incomingCall / answer /
 * end with request ids, the same call engine.
 */
static int
wsrpc(const char *kandyd)
{
	char		 sid[KANDY_IDLEN], val[512], path[64];
	uint64_t	 id;

	/* A user of its own: none of the cpaas runs' subscriptions. */
	use_wsrpc = 1;
	CHECK(sim("POST", "/_sim/users", "{\"username\":\"wsbridge\","
	    "\"client_id\":\"PRIV-ws\",\"client_secret\":\"wss3cr3t\"}",
	    NULL) == 201);
	CHECK(sim("POST", "/_sim/rules", "{\"rules\":["
	    "{\"match\":\"9715000022*\",\"action\":\"answer\","
	    "\"answer_after_ms\":300},"
	    "{\"match\":\"9715004861*\",\"action\":\"reject\",\"cause\":486}"
	    "]}", NULL) == 201);
	log_mark();
	start(kandyd, 0);
	expect(PROC_MEDIAD, IMSG_TURN_CREDS, 0, 20);
	CHECK(logged("GET", "/wsrpc", 101, NULL) == 1);
	CHECK(logged("POST", "/notificationchannel", 0, NULL) == 0);
	CHECK(logged("POST", "/subscriptions", 0, NULL) == 0);
	CHECK(show_kandy("dialect", val, sizeof(val)) &&
	    strcmp(val, "wsrpc") == 0);
	CHECK(show_kandy("state", val, sizeof(val)) &&
	    strcmp(val, "ready") == 0);
	ok("wsrpc: token, one WebSocket, no channel or subscription; TURN "
	    "credentials; show kandy says wsrpc and ready");

	/* Outbound: call.make, ringing, answered; sipd hangs up. */
	call_out(0x7001, "tel:+971500002211");
	send_local(0x7001, SETUP_ACTPASS);
	expect(PROC_SIPD, IMSG_CALL_RINGING, 0x7001, 10);
	check_remote(0x7001);
	expect(PROC_SIPD, IMSG_CALL_ANSWERED, 0x7001, 10);
	check_session(0x7001, sid, sizeof(sid));
	CHECK(strncmp(sid, "kb-", 3) == 0);
	CHECK(wait_sim_state(sid, "connected", 5));
	pump(2500);		/* no audit in wsrpc: nothing may end it */
	CHECK(absent(PROC_SIPD, IMSG_CALL_END, 0x7001));
	ipc_send(&conn[PROC_SIPD], IMSG_CALL_END, 0x7001, -1, 200U, 0U,
	    "BYE from the PBX");
	flush_all();
	CHECK(wait_sim_state(sid, "ended", 10));
	ok("wsrpc outbound: call.make, call.ringing, call.answered to sipd "
	    "and mediad; the PBX's hang-up ends Kandy's call (call.end)");

	/* Rejected: call.ended with cause 486. */
	call_out(0x7002, "tel:+971500486112");
	send_local(0x7002, SETUP_ACTPASS);
	check_end(0x7002, 486);
	ok("wsrpc rejection: call.ended cause 486 -> CALL_END 486");

	/* Inbound: call.incomingCall, ringing, answer; Kandy hangs up. */
	id = incoming_call("+971501234569", "wsbridge", sid, sizeof(sid));
	ipc_send(&conn[PROC_SIPD], IMSG_CALL_RINGING, id, -1);
	flush_all();
	CHECK(wait_sim_state(sid, "ringing", 5));
	ipc_send(&conn[PROC_SIPD], IMSG_CALL_ANSWERED, id, -1);
	send_local(id, SETUP_ACTIVE);
	CHECK(wait_sim_state(sid, "connected", 10));
	snprintf(path, sizeof(path), "/_sim/calls/%lld", sim_call(sid));
	CHECK(sim("DELETE", path, "{}", NULL) == 204);
	check_end(id, 200);
	ok("wsrpc inbound: call.incomingCall -> CALL_IN, ringing and answer "
	    "back; Kandy's hang-up -> CALL_END 200");

	/* The WebSocket drops: its calls are over; it comes back. */
	call_out(0x7003, "tel:+971500002212");
	send_local(0x7003, SETUP_ACTPASS);
	expect(PROC_SIPD, IMSG_CALL_ANSWERED, 0x7003, 10);
	CHECK(sim("POST", "/_sim/misbehave/drop-websockets",
	    "{\"code\":1006}", NULL) == 204);
	check_end(0x7003, 200);
	{
		double	 end = now() + 20;

		do
			pump(200);
		while (show_kandy("reconnects", val, sizeof(val)) &&
		    strncmp(val, "1 ", 2) != 0 && now() < end);
	}
	CHECK(strncmp(val, "1 ", 2) == 0);
	call_out(0x7004, "tel:+971500002213");
	send_local(0x7004, SETUP_ACTPASS);
	expect(PROC_SIPD, IMSG_CALL_ANSWERED, 0x7004, 10);
	ok("wsrpc WebSocket dropped: its call ends, kandyd reconnects, "
	    "calls work again");

	return (finish());
}

/*
 * kandyd killed (SIGKILL) with calls up, started again: it asks sipd for
 * its live calls, picks up the answered ones, ends the one still being
 * set up (503) and the one Kandy ended meanwhile; then a hang-up from
 * either side still reaches the other.
 */
static void
restart(const char *kandyd)
{
	char		 sa[KANDY_IDLEN], sb[KANDY_IDLEN], sc[KANDY_IDLEN];
	char		 sd[KANDY_IDLEN], se[KANDY_IDLEN], val[512];
	char		 path[KANDY_IDLEN + 64];
	uint64_t	 in, in2;
	int		 i;

	/* A and B answered, C from Kandy answered, D ringing. */
	call_out(0x6001, "tel:+971500002207");
	send_local(0x6001, SETUP_ACTPASS);
	call_out(0x6002, "tel:+971500002208");
	send_local(0x6002, SETUP_ACTPASS);
	call_out(0x6004, "tel:+971500001104");
	send_local(0x6004, SETUP_ACTPASS);
	expect(PROC_SIPD, IMSG_CALL_ANSWERED, 0x6001, 10);
	check_session(0x6001, sa, sizeof(sa));
	expect(PROC_SIPD, IMSG_CALL_ANSWERED, 0x6002, 10);
	check_session(0x6002, sb, sizeof(sb));
	expect(PROC_SIPD, IMSG_CALL_RINGING, 0x6004, 10);
	check_session(0x6004, sd, sizeof(sd));
	in = incoming_call("+971501234568", "bridge", sc, sizeof(sc));
	log_mark();
	ipc_send(&conn[PROC_SIPD], IMSG_CALL_ANSWERED, in, -1);
	send_local(in, SETUP_ACTIVE);
	CHECK(wait_logged("PUT", "/answer", 204, NULL, 10) == 1);
	/* E from Kandy: 3CX answers, kandyd dies before Kandy hears it. */
	in2 = incoming_call("+971501234570", "bridge", se, sizeof(se));

	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	for (i = 0; i < PROC_MAX; i++)
		ipc_clear(&conn[i]);
	/* B ends on Kandy's side while kandyd is away. */
	snprintf(path, sizeof(path), "/_sim/calls/%lld", sim_call(sb));
	CHECK(sim("DELETE", path, "{}", NULL) == 204);

	log_mark();
	recs_clear();
	start(kandyd, 0);
	if (expect(PROC_SIPD, IMSG_CALL_SYNC, 0, 10) != NULL) {
		ipc_send(&conn[PROC_SIPD], IMSG_CALL_LIVE, 0x6001, -1, 0, 1,
		    sa);
		ipc_send(&conn[PROC_SIPD], IMSG_CALL_LIVE, 0x6002, -1, 0, 1,
		    sb);
		ipc_send(&conn[PROC_SIPD], IMSG_CALL_LIVE, in, -1, 1, 1, sc);
		ipc_send(&conn[PROC_SIPD], IMSG_CALL_LIVE, 0x6004, -1, 0, 0,
		    sd);
		ipc_send(&conn[PROC_SIPD], IMSG_CALL_LIVE, in2, -1, 1, 1, se);
		ipc_send(&conn[PROC_SIPD], IMSG_CALL_SYNC, 0, -1);
		flush_all();
	}
	check_retry(0x6004, 1, 60);
	check_end(0x6004, 503);
	snprintf(path, sizeof(path), "/sessions/%s", sd);
	CHECK(wait_logged("DELETE", path, 204, NULL, 10) == 1);
	CHECK(wait_logged("GET", "/v1/bridge/sessions", 200, NULL, 20) >= 1);
	check_end(0x6002, 200);
	check_end(in2, 200);
	snprintf(path, sizeof(path), "/sessions/%s", se);
	CHECK(wait_logged("DELETE", path, 204, NULL, 10) == 1);
	snprintf(path, sizeof(path), "/sessions/%s/status", sa);
	CHECK(wait_logged("PUT", path, 200, "Connected", 10) >= 1);
	snprintf(path, sizeof(path), "/sessions/%s/status", sc);
	CHECK(wait_logged("PUT", path, 200, "Connected", 10) >= 1);
	CHECK(absent(PROC_SIPD, IMSG_CALL_END, 0x6001));
	CHECK(absent(PROC_SIPD, IMSG_CALL_END, in));
	CHECK(show_kandy("calls", val, sizeof(val)) && strcmp(val, "2") == 0);
	ok("kandyd killed and restarted: sipd's live calls picked up, the "
	    "one in set-up ended with 503, the one Kandy ended meanwhile "
	    "ended after GET /sessions, the one Kandy never heard answered "
	    "ended and deleted");

	/* The PBX hangs up A: its Kandy session is deleted. */
	ipc_send(&conn[PROC_SIPD], IMSG_CALL_END, 0x6001, -1, 200U, 0U,
	    "BYE from the PBX");
	flush_all();
	snprintf(path, sizeof(path), "/sessions/%s", sa);
	CHECK(wait_logged("DELETE", path, 204, NULL, 10) == 1);
	/* Kandy's caller hangs up C: sipd hears it. */
	snprintf(path, sizeof(path), "/_sim/calls/%lld", sim_call(sc));
	CHECK(sim("DELETE", path, "{}", NULL) == 204);
	check_end(in, 200);
	CHECK(show_kandy("calls", val, sizeof(val)) && strcmp(val, "0") == 0);
	ok("after the restart: the PBX's hang-up DELETEs the Kandy session, "
	    "Kandy's hang-up ends the call toward the PBX");
}

int
main(int argc, char *argv[])
{
	struct rec	*r;
	const char	*u, *p, *did, *from, *name;
	char		 val[512], path[640], sid[KANDY_IDLEN];
	json_t		*j, *jb;
	uint32_t	 life;
	uint64_t	 id;
	int		 n;

	if (argc != 4 && argc != 5)
		errx(2, "usage: drive_kandyd kandyd ca.pem port "
		    "[password|wsrpc|bench]");
	ca_path = argv[2];
	port = atoi(argv[3]);
	signal(SIGPIPE, SIG_IGN);
	if (argc == 5 && strcmp(argv[4], "password") == 0) {
		start(argv[1], 1);
		expect(PROC_MEDIAD, IMSG_TURN_CREDS, 0, 20);
		CHECK(logged("POST", "/cpaas/auth/v1/token", 200,
		    "grant_type=password") == 1);
		CHECK(logged("POST", "/cpaas/auth/v1/token", 200,
		    "username=alice") == 1);
		CHECK(logged("POST", "/notificationchannel/v1/alice/channels",
		    201, NULL) == 1);
		CHECK(logged("POST", "/webrtcsignaling/v1/alice/subscriptions",
		    201, NULL) == 1);
		CHECK(show_kandy("user id", val, sizeof(val)) &&
		    strcmp(val, "alice") == 0);
		kill(child, SIGTERM);
		waitpid(child, NULL, 0);
		if (failures > 0)
			return (1);
		ok("password grant: token, channel and subscription for alice");
		return (0);
	}
	if (argc == 5 && strcmp(argv[4], "bench") == 0)
		return (bench(argv[1]));
	if (argc == 5 && strcmp(argv[4], "wsrpc") == 0)
		return (wsrpc(argv[1]));
	/* TURN credentials that live 4 s: kandyd fetches them again. */
	CHECK(sim("POST", "/_sim/config", "{\"turn_ttl\":4}", NULL) == 200);
	start(argv[1], 0);
	ok("kandyd took its configuration and trust anchors in pieces");

	/* 1. Token, channel, WebSocket, subscription, TURN. */
	if ((r = expect(PROC_MEDIAD, IMSG_TURN_CREDS, 0, 20)) != NULL) {
		CHECK(unpack(r, &u, &p, &life) == 0);
		CHECK(strstr(u, ":bridge") != NULL && *p != '\0' &&
		    life > 0);
	}
	CHECK(logged("POST", "/cpaas/auth/v1/token", 200,
	    "grant_type=client_credentials") == 1);
	CHECK(logged("POST", "/notificationchannel/v1/bridge/channels", 201,
	    "\"channelLifetime\":3600") == 1);
	CHECK(logged("GET", "/v1/bridge/channels/ws-", 101, NULL) == 1);
	CHECK(logged("POST", "/webrtcsignaling/v1/bridge/subscriptions", 201,
	    "\"notifyURL\":\"ws-") == 1);
	CHECK(logged("POST", "/webrtcsignaling/v1/bridge/turn", 201, NULL) ==
	    1);
	if ((r = expect(PROC_MEDIAD, IMSG_TURN_CREDS, 0, 5)) != NULL) {
		CHECK(unpack(r, &u, &p, &life) == 0);
		CHECK(life > 0 && life <= 4);
	}
	CHECK(sim("POST", "/_sim/config", "{\"turn_ttl\":86400}", NULL) ==
	    200);
	ok("TURN credentials refreshed before they expire");
	CHECK(show_kandy("state", val, sizeof(val)) && strcmp(val, "ready") ==
	    0);
	CHECK(show_kandy("user id", val, sizeof(val)) &&
	    strcmp(val, "bridge") == 0);
	ok("grant, channel, WebSocket, subscription and TURN credentials; "
	    "show kandy");

	/* 2. Outbound: answered after 300 ms. */
	CHECK(sim("POST", "/_sim/rules", "{\"rules\":["
	    "{\"match\":\"9715000022*\",\"action\":\"answer\","
	    "\"answer_after_ms\":300},"
	    "{\"match\":\"9715000011*\",\"action\":\"ring\"},"
	    "{\"match\":\"9715004861*\",\"action\":\"reject\",\"cause\":486},"
	    "{\"match\":\"9715004041*\",\"action\":\"reject\",\"cause\":404},"
	    "{\"match\":\"9715004801*\",\"action\":\"reject\",\"cause\":480}"
	    "]}", NULL) == 201);
	log_mark();
	id = 0x1000;
	call_out(id, "tel:+971500002201");
	send_local(id, SETUP_ACTPASS);
	expect(PROC_SIPD, IMSG_CALL_RINGING, id, 10);
	check_remote(id);
	expect(PROC_SIPD, IMSG_CALL_ANSWERED, id, 10);
	check_session(id, sid, sizeof(sid));
	CHECK(logged("POST", "/webrtcsignaling/v1/bridge/sessions", 201,
	    "\"tParticipantAddress\":\"tel:+971500002201\"") == 1);
	CHECK(logged("POST", "/sessions", 201, "a=ice-ufrag:KbUf") == 1);
	CHECK(logged("POST", "/sessions", 201, "a=setup:actpass") == 1);
	ok("outbound call: POST /sessions with our offer, CALL_RINGING, "
	    "MEDIA_WEBRTC_REMOTE, CALL_ANSWERED");

	/* The call audit every 2 s. */
	CHECK(wait_logged("PUT", "/status", 200, "Connected", 6) >= 1);
	ok("call audit: PUT status Connected");

	/* The PBX holds, refreshes and resumes: our re-offers (/update). */
	log_mark();
	ipc_send(&conn[PROC_SIPD], IMSG_CALL_UPDATE, id, -1, MEDIA_SENDONLY);
	flush_all();
	CHECK(wait_logged("PUT", "/update", 204, "a=sendonly", 10) == 1);
	CHECK(logged("PUT", "/update", 204, "a=setup:actpass") == 1);
	CHECK(logged("PUT", "/update", 204, " 2 IN IP4") == 1);
	snprintf(path, sizeof(path), "/sessions/%s/update", sid);
	CHECK(logged("PUT", path, 204, NULL) == 1);
	check_remote(id);
	ipc_send(&conn[PROC_SIPD], IMSG_CALL_UPDATE, id, -1, MEDIA_SENDONLY);
	ipc_send(&conn[PROC_SIPD], IMSG_CALL_UPDATE, id, -1, MEDIA_SENDRECV);
	flush_all();
	CHECK(wait_logged("PUT", "/update", 204, "a=sendrecv", 10) == 1);
	CHECK(logged("PUT", "/update", 204, " 3 IN IP4") == 1);
	check_remote(id);
	pump(300);
	CHECK(logged("PUT", "/update", 0, NULL) == 2);
	CHECK(absent(PROC_SIPD, IMSG_CALL_END, id));
	ok("PBX hold and resume: PUT /update sendonly then sendrecv "
	    "(actpass, o= version up), Kandy's answers to mediad; a "
	    "refresh with the same direction sends nothing");

	/* 3. The token expires every 6 s: refreshed, the call goes on. */
	log_mark();
	{
		double	 end = now() + 8;

		while (now() < end)
			pump(100);
	}
	n = logged("POST", "/cpaas/auth/v1/token", 200, NULL);
	CHECK(n >= 2);
	CHECK(logged("PUT", "/status", 401, NULL) == 0);
	CHECK(logged("PUT", "/status", 200, "Connected") >= 2);
	CHECK(absent(PROC_SIPD, IMSG_CALL_END, id));
	printf("  %d grants in 8 s\n", n);
	ok("token refreshed at half-life during a call, call undisturbed");

	/* CALL_END from sipd: DELETE. */
	log_mark();
	ipc_send(&conn[PROC_SIPD], IMSG_CALL_END, id, -1, 200U, 0U,
	    "BYE from the PBX");
	flush_all();
	CHECK(wait_logged("DELETE", "/sessions/", 204, NULL, 10) == 1);
	ok("CALL_END from sipd: DELETE /sessions/{sid}");

	/* Media first, then CALL_OUT; then MEDIA_EVENT failure. */
	id = 0x1001;
	send_local(id, SETUP_ACTPASS);
	pump(100);
	call_out(id, "tel:+971500002202");
	expect(PROC_SIPD, IMSG_CALL_ANSWERED, id, 10);
	check_remote(id);
	log_mark();
	ipc_send(&conn[PROC_MEDIAD], IMSG_MEDIA_EVENT, id, -1,
	    (unsigned int)MEDIA_EV_ICE_FAILED, "ICE failed");
	flush_all();
	check_end(id, 200);
	CHECK(wait_logged("DELETE", "/sessions/", 204, NULL, 10) == 1);
	ok("media before CALL_OUT; MEDIA_EVENT failure ends the call");

	/* 4. Rejections. */
	call_out(0x2001, "tel:+971500486111");
	send_local(0x2001, SETUP_ACTPASS);
	call_out(0x2002, "tel:+971500404111");
	send_local(0x2002, SETUP_ACTPASS);
	call_out(0x2003, "tel:+971500480111");
	send_local(0x2003, SETUP_ACTPASS);
	check_end(0x2001, 486);
	check_end(0x2002, 404);
	check_end(0x2003, 480);
	ok("rejections: 486, 404, 480 mapped to CALL_END");

	/* 5. Kandy failing: 503 on session create. */
	CHECK(sim("POST", "/_sim/misbehave/fail",
	    "{\"count\":1,\"status\":503}", NULL) == 204);
	call_out(0x2004, "tel:+971500002203");
	send_local(0x2004, SETUP_ACTPASS);
	check_retry(0x2004, 30, 30);
	check_end(0x2004, 503);
	CHECK(show_kandy("last error", val, sizeof(val)) &&
	    strstr(val, "503") != NULL);
	ok("Kandy 503 on session create: CALL_END 503 with Retry-After 30, "
	    "last error shown");

	/* 5b. Kandy slow: its answer to the session held 2 s; kandyd waits. */
	CHECK(sim("POST", "/_sim/misbehave/delay",
	    "{\"count\":1,\"ms\":2000}", NULL) == 204);
	id = 0x2104;
	call_out(id, "tel:+971500002209");
	send_local(id, SETUP_ACTPASS);
	expect(PROC_SIPD, IMSG_CALL_ANSWERED, id, 15);
	ok("Kandy slow (session answer held 2 s): the call is made");
	ipc_send(&conn[PROC_SIPD], IMSG_CALL_END, id, -1, 200U, 0U, "BYE");
	flush_all();

	/* 6. Tokens revoked: 401, one new grant, the request again. */
	log_mark();
	CHECK(sim("POST", "/_sim/misbehave/expire-tokens", "{}", NULL) ==
	    204);
	id = 0x2005;
	call_out(id, "tel:+971500002204");
	send_local(id, SETUP_ACTPASS);
	expect(PROC_SIPD, IMSG_CALL_ANSWERED, id, 15);
	CHECK(logged("POST", "/sessions", 401, NULL) == 1);
	CHECK(logged("POST", "/sessions", 201, NULL) == 1);
	ok("401: new grant, request retried once, call made");
	ipc_send(&conn[PROC_SIPD], IMSG_CALL_END, id, -1, 200U, 0U, "BYE");
	flush_all();

	/* 7. Incoming call. */
	log_mark();
	if ((id = incoming_call("+971501234567", "bridge", sid,
	    sizeof(sid))) != 0) {
		ipc_send(&conn[PROC_SIPD], IMSG_CALL_RINGING, id, -1);
		flush_all();
		CHECK(wait_logged("PUT", "/status", 200, "Ringing", 10) == 1);
		CHECK(absent(PROC_MEDIAD, IMSG_MEDIA_WEBRTC_START, id));
		ipc_send(&conn[PROC_SIPD], IMSG_CALL_ANSWERED, id, -1);
		flush_all();
		pump(300);
		CHECK(logged("PUT", "/answer", 0, NULL) == 0);
		CHECK(absent(PROC_MEDIAD, IMSG_MEDIA_WEBRTC_START, id));
		send_local(id, SETUP_ACTIVE);
		CHECK(expect(PROC_MEDIAD, IMSG_MEDIA_WEBRTC_START, id, 10) !=
		    NULL);
		CHECK(wait_logged("PUT", "/answer", 204, "a=setup:active",
		    10) == 1);
		ok("incoming call: MEDIA_ALLOC, MEDIA_WEBRTC_REMOTE, CALL_IN, "
		    "status Ringing, PUT /answer once 3CX and mediad are in, "
		    "MEDIA_WEBRTC_START to mediad with it");
	}

	/* 8. The WebSocket dropped: reconnect and catch up. */
	log_mark();
	id = 0x3001;
	call_out(id, "tel:+971500001101");
	send_local(id, SETUP_ACTPASS);
	expect(PROC_SIPD, IMSG_CALL_RINGING, id, 10);
	CHECK(sim("POST", "/_sim/misbehave/drop-websockets",
	    "{\"code\":1006}", NULL) == 204);
	CHECK(wait_logged("GET", "/sessions", 200, NULL, 20) >= 1);
	CHECK(logged("GET", "/v1/bridge/channels/ws-", 101, NULL) == 1);
	CHECK(show_kandy("reconnects", val, sizeof(val)) &&
	    strncmp(val, "1 ", 2) == 0);
	/* The catch-up found the session: the call is still followed. */
	pump(500);
	CHECK(absent(PROC_SIPD, IMSG_CALL_END, id));
	/* kandysim ends the ringing call: kandyd hears it. */
	CHECK(sim("GET", "/_sim/calls", NULL, &j) == 200);
	{
		json_t	*c;
		size_t	 i;

		json_array_foreach(json_object_get(j, "calls"), i, c)
			if (strcmp(json_string_value(json_object_get(c,
			    "state")), "ringing") == 0) {
				snprintf(path, sizeof(path), "/_sim/calls/%lld",
				    (long long)json_integer_value(
				    json_object_get(c, "id")));
				CHECK(sim("DELETE", path, "{\"cause\":486}",
				    NULL) == 204);
			}
		json_decref(j);
	}
	check_end(id, 486);
	ok("WebSocket dropped: reconnect, GET /sessions catch-up, calls "
	    "still followed");

	/* 9. A truncated JSON notification: dropped, counted, no harm. */
	CHECK(sim("POST", "/_sim/misbehave/malformed", "{}", NULL) == 200);
	pump(500);
	CHECK(show_kandy("reconnects", val, sizeof(val)) &&
	    strstr(val, "bad 1)") != NULL);
	CHECK(show_kandy("state", val, sizeof(val)) &&
	    strcmp(val, "ready") == 0);
	ok("malformed notification dropped and counted; kandyd carries on");

	/* 10. Kandy closes the channel (1000): a new one, calls go on. */
	{
		char	 cmd[1024];
		FILE	*f;
		json_t	*t, *c;
		size_t	 i;

		snprintf(cmd, sizeof(cmd), "curl -s --cacert '%s' -d "
		    "'client_id=PRIV-bridge&client_secret=s3cr3t&"
		    "grant_type=client_credentials' "
		    "https://localhost:%d/cpaas/auth/v1/token", ca_path, port);
		if ((f = popen(cmd, "r")) == NULL)
			err(1, "popen");
		t = json_loadf(f, 0, NULL);
		pclose(f);
		CHECK(t != NULL && json_string_value(json_object_get(t,
		    "access_token")) != NULL);
		if (t != NULL && json_string_value(json_object_get(t,
		    "access_token")) != NULL)
			strlcpy(bearer, json_string_value(json_object_get(t,
			    "access_token")), sizeof(bearer));
		json_decref(t);
		id = 0x3002;
		call_out(id, "tel:+971500001102");
		send_local(id, SETUP_ACTPASS);
		expect(PROC_SIPD, IMSG_CALL_RINGING, id, 10);
		log_mark();
		CHECK(sim("GET",
		    "/cpaas/notificationchannel/v1/bridge/channels", NULL,
		    &j) == 200);
		json_array_foreach(json_object_get(json_object_get(j,
		    "notificationChannelList"), "notificationChannel"), i, c)
			CHECK(sim("DELETE", json_string_value(json_object_get(c,
			    "resourceURL")), NULL, NULL) == 204);
		json_decref(j);
		bearer[0] = '\0';
		CHECK(wait_logged("POST", "/v1/bridge/subscriptions", 201, NULL,
		    10) == 1);
		CHECK(logged("POST", "/v1/bridge/channels", 201, NULL) == 1);
		CHECK(wait_logged("GET", "/v1/bridge/sessions", 200, NULL, 5) ==
		    1);
		pump(300);
		CHECK(absent(PROC_SIPD, IMSG_CALL_END, id));
		CHECK(show_kandy("state", val, sizeof(val)) &&
		    strcmp(val, "ready") == 0);
		ipc_send(&conn[PROC_SIPD], IMSG_CALL_END, id, -1, 487U, 0U,
		    "CANCEL");
		flush_all();
		CHECK(wait_logged("DELETE", "/sessions/", 204, NULL, 10) == 1);
		ok("channel closed by Kandy: new channel and subscription, "
		    "catch-up, the ringing call still followed and cancelled");
	}

	/* 11. A call from another Kandy user, who then re-offers. */
	{
		struct media_webrtc_desc	 d;
		struct sdp_local		 l;
		char				 sdp[4096], cmd[1024];
		char				 res[512], *body;
		const char			*e;
		FILE				*f;
		json_t				*t;

		snprintf(cmd, sizeof(cmd), "curl -s --cacert '%s' -d "
		    "'client_id=web&username=alice&password=alicepw&"
		    "grant_type=password' "
		    "https://localhost:%d/cpaas/auth/v1/token", ca_path, port);
		if ((f = popen(cmd, "r")) == NULL)
			err(1, "popen");
		t = json_loadf(f, 0, NULL);
		pclose(f);
		if (t != NULL && json_string_value(json_object_get(t,
		    "access_token")) != NULL)
			strlcpy(bearer, json_string_value(json_object_get(t,
			    "access_token")), sizeof(bearer));
		json_decref(t);
		CHECK(bearer[0] != '\0');
		local_desc(&d, SETUP_ACTPASS);
		memset(&l, 0, sizeof(l));
		l.sess_id = 77;
		l.sess_version = 1;
		strlcpy(l.cname, "alice", sizeof(l.cname));
		strlcpy(l.stream_id, "as", sizeof(l.stream_id));
		strlcpy(l.track_id, "at", sizeof(l.track_id));
		CHECK(sdp_webrtc_build(&d, &l, sdp, sizeof(sdp), &e) > 0);
		jb = json_pack("{s:{s:s,s:{s:s}}}", "wrtcsSession",
		    "tParticipantAddress", "sip:bridge@kandy.test", "offer",
		    "sdp", sdp);
		body = json_dumps(jb, JSON_COMPACT);
		json_decref(jb);
		log_mark();
		res[0] = '\0';
		CHECK(sim("POST", "/cpaas/webrtcsignaling/v1/alice/sessions",
		    body, &j) == 201);
		free(body);
		if (j != NULL && json_string_value(json_object_get(
		    json_object_get(j, "wrtcsSession"), "resourceURL")))
			strlcpy(res, json_string_value(json_object_get(
			    json_object_get(j, "wrtcsSession"),
			    "resourceURL")), sizeof(res));
		json_decref(j);
		id = 0;
		if ((r = expect(PROC_MEDIAD, IMSG_MEDIA_ALLOC, 0, 10)) != NULL)
			id = r->call;
		check_remote(id);
		if ((r = expect(PROC_SIPD, IMSG_CALL_IN, id, 5)) != NULL) {
			CHECK(unpack(r, &did, &from, &name) == 0);
			CHECK(strcmp(from, "alice") == 0);
		}
		ipc_send(&conn[PROC_SIPD], IMSG_CALL_ANSWERED, id, -1);
		flush_all();
		send_local(id, SETUP_ACTIVE);
		CHECK(wait_logged("PUT", "/answer", 204, " 1 IN IP4", 10) ==
		    1);
		/* alice re-offers (hold, say): kandyd answers via mediad. */
		l.sess_version = 2;
		d.dir = MEDIA_SENDONLY;
		CHECK(sdp_webrtc_build(&d, &l, sdp, sizeof(sdp), &e) > 0);
		jb = json_pack("{s:{s:s}}", "wrtcsOffer", "sdp", sdp);
		body = json_dumps(jb, JSON_COMPACT);
		json_decref(jb);
		snprintf(path, sizeof(path), "%s/update", res);
		CHECK(sim("PUT", path, body, NULL) == 204);
		free(body);
		check_remote(id);
		send_local(id, SETUP_ACTIVE);
		CHECK(wait_logged("PUT", "/answer", 204, " 2 IN IP4", 10) ==
		    1);
		/* alice hangs up. */
		CHECK(sim("DELETE", res, NULL, NULL) == 204);
		bearer[0] = '\0';
		check_end(id, 200);
		ok("call from a Kandy user: answered; its re-offer goes to "
		    "mediad and is answered with o= version 2; its hang-up "
		    "ends the call");
	}

	/* 12. Notifications that overtake the POST /sessions response. */
	CHECK(sim("POST", "/_sim/config", "{\"ring_delay_ms\":0}", NULL) ==
	    200);
	CHECK(sim("POST", "/_sim/rules", "{\"match\":\"97150099*\","
	    "\"action\":\"answer\",\"answer_after_ms\":0}", NULL) == 201);
	for (id = 0x5000; id < 0x5008; id++) {
		call_out(id, "tel:+971500990003");
		send_local(id, SETUP_ACTPASS);
	}
	for (id = 0x5000; id < 0x5008; id++) {
		/* Ringing may come after the acceptance: no CALL_RINGING. */
		expect(PROC_SIPD, IMSG_CALL_ANSWERED, id, 10);
		check_remote(id);
		ipc_send(&conn[PROC_SIPD], IMSG_CALL_END, id, -1, 200U, 0U,
		    "BYE");
	}
	CHECK(sim("POST", "/_sim/config", "{\"ring_delay_ms\":100}", NULL) ==
	    200);
	ok("8 calls at once with events sent without delay: all answered");

	/* 13. The account fails: calls get 503; it comes back by itself. */
	CHECK(sim("POST", "/_sim/users", "{\"username\":\"bridge\","
	    "\"client_id\":\"PRIV-bridge\",\"client_secret\":\"changed\"}",
	    NULL) == 201);
	CHECK(sim("POST", "/_sim/misbehave/expire-tokens", "{}", NULL) ==
	    204);
	{
		double	 end = now() + 10;

		do
			pump(200);
		while (show_kandy("state", val, sizeof(val)) &&
		    strcmp(val, "down") != 0 && now() < end);
	}
	CHECK(strcmp(val, "down") == 0);
	CHECK(show_kandy("last error", val, sizeof(val)) &&
	    strstr(val, "invalid_client") != NULL);
	call_out(0x4001, "tel:+971500002205");
	send_local(0x4001, SETUP_ACTPASS);
	check_retry(0x4001, 1, 60);
	check_end(0x4001, 503);
	CHECK(sim("POST", "/_sim/users", "{\"username\":\"bridge\","
	    "\"client_id\":\"PRIV-bridge\",\"client_secret\":\"s3cr3t\"}",
	    NULL) == 201);
	{
		double	 end = now() + 20;

		do
			pump(200);
		while (show_kandy("state", val, sizeof(val)) &&
		    strcmp(val, "ready") != 0 && now() < end);
	}
	CHECK(strcmp(val, "ready") == 0);
	id = 0x4002;
	call_out(id, "tel:+971500002206");
	send_local(id, SETUP_ACTPASS);
	expect(PROC_SIPD, IMSG_CALL_ANSWERED, id, 10);
	ok("grant refused: state down, last error with its id, calls get "
	    "503 with the backoff as Retry-After; the account recovers and "
	    "calls work again");
	ipc_send(&conn[PROC_SIPD], IMSG_CALL_END, id, -1, 200U, 0U, "BYE");
	flush_all();

	restart(argv[1]);

	return (finish());
}
