/*
 * Two WebRTC legs in one process over loopback: they must connect ICE,
 * finish DTLS, and carry RTP and RTCP both ways intact.  Without
 * arguments over host candidates; with "turn", relay-only through a
 * coturn started here (UDP, TCP and TLS to the server), skipped (77)
 * when turnserver is not installed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/base64.h>
#include <mbedtls/md.h>

#include "check.h"
#include "dtls.h"
#include "g711.h"
#include "ice.h"
#include "log.h"
#include "rtp.h"
#include "tlstun.h"

static int	 failures;

#define NPKT	50
#define SAMPLES	160

struct side {
	const char	*name;
	struct ice_leg	*leg;
	int		 gathered, connected, ready, failed;
	int		 nrtp, nrtcp, bad;
	uint32_t	 want_ssrc;
	uint16_t	 base;		/* first sequence number expected */
	double		 want_freq;	/* the tone that should arrive */
	uint8_t		 want_payload[NPKT][SAMPLES];
	int		 seen[NPKT];
	char		 cname[32];
};

static void
on_event(struct ice_leg *leg, enum ice_event ev, void *arg)
{
	struct side	*s = arg;

	switch (ev) {
	case ICE_EV_GATHERED:
		s->gathered = 1;
		break;
	case ICE_EV_CONNECTED:
		s->connected = 1;
		break;
	case ICE_EV_READY:
		s->ready = 1;
		break;
	case ICE_EV_FAILED:
	case ICE_EV_CLOSED:
		s->failed = 1;
		break;
	}
}

static void
on_rtp(struct ice_leg *leg, uint8_t *buf, size_t len, void *arg)
{
	struct side	*s = arg;
	struct rtp_hdr	 h;
	unsigned int	 i;

	if (rtp_parse(buf, len, &h) == -1 || h.ssrc != s->want_ssrc ||
	    h.pt != 8 || h.paylen != SAMPLES) {
		s->bad++;
		return;
	}
	i = (uint16_t)(h.seq - s->base);
	if (i >= NPKT || h.ts != i * SAMPLES ||
	    memcmp(h.payload, s->want_payload[i], SAMPLES) != 0) {
		s->bad++;
		return;
	}
	/* And as audio: the other side's tone, not ours. */
	{
		int16_t	 x[SAMPLES];
		double	 mine, theirs;
		int	 k;

		for (k = 0; k < SAMPLES; k++)
			x[k] = g711_alaw_decode(h.payload[k]);
		theirs = tone_power(x, SAMPLES, s->want_freq, 8000);
		mine = tone_power(x, SAMPLES, s->want_freq == 697.0 ?
		    1209.0 : 697.0, 8000);
		if (theirs < 0.1 || mine > 0.01) {
			s->bad++;
			return;
		}
	}
	s->seen[i]++;
	s->nrtp++;
}

static void
sdes_item(uint32_t ssrc, uint8_t type, const uint8_t *t, size_t len,
    void *arg)
{
	struct side	*s = arg;

	if (type == RTCP_SDES_CNAME && len < sizeof(s->cname)) {
		memcpy(s->cname, t, len);
		s->cname[len] = '\0';
	}
}

static int
rtcp_one(const struct rtcp_pkt *p, void *arg)
{
	if (p->pt == RTCP_SDES)
		rtcp_sdes_walk(p, sdes_item, arg);
	return (0);
}

static void
on_rtcp(struct ice_leg *leg, uint8_t *buf, size_t len, void *arg)
{
	struct side	*s = arg;

	if (rtcp_walk(buf, len, rtcp_one, s) != 0) {
		s->bad++;
		return;
	}
	s->nrtcp++;
}

static gboolean
deadline_cb(gpointer arg)
{
	*(int *)arg = 1;
	return (G_SOURCE_REMOVE);
}

/* Iterate ctx until *a and *b are set, or the deadline passes. */
static int
wait_both(GMainContext *ctx, int *a, int *b, unsigned int secs)
{
	GSource	*t;
	int	 expired = 0;

	t = g_timeout_source_new_seconds(secs);
	g_source_set_callback(t, deadline_cb, &expired, NULL);
	g_source_attach(t, ctx);
	while (!(*a && *b) && !expired)
		g_main_context_iteration(ctx, TRUE);
	g_source_destroy(t);
	g_source_unref(t);
	return (*a && *b);
}

/* A-law of a tone, one frequency per direction, continuous over packets. */
static void
fill_payload(uint8_t *p, int side, int pkt)
{
	int16_t	 x[SAMPLES];
	int	 i;

	tone_fill(x, SAMPLES, side ? 697.0 : 1209.0, 0.5, 8000,
	    (uint64_t)pkt * SAMPLES);
	for (i = 0; i < SAMPLES; i++)
		p[i] = g711_alaw_encode(x[i]);
}

static void
send_stream(struct side *from, struct side *to, uint32_t ssrc, int idx,
    uint16_t base)
{
	struct rtp_hdr	 h;
	uint8_t		 buf[256];
	size_t		 n;
	int		 i;

	to->want_ssrc = ssrc;
	to->base = base;
	to->want_freq = idx ? 697.0 : 1209.0;
	to->nrtp = to->nrtcp = 0;
	memset(to->seen, 0, sizeof(to->seen));
	for (i = 0; i < NPKT; i++) {
		memset(&h, 0, sizeof(h));
		h.pt = 8;
		h.seq = base + i;
		h.ts = i * SAMPLES;
		h.ssrc = ssrc;
		h.marker = i == 0;
		n = rtp_write_header(buf, sizeof(buf), &h);
		fill_payload(buf + n, idx, i);
		memcpy(to->want_payload[i], buf + n, SAMPLES);
		CHECK(ice_leg_send_rtp(from->leg, buf, n + SAMPLES) == 0);
	}
	n = rtcp_write_rr(buf, sizeof(buf), ssrc, NULL, 0);
	n += rtcp_write_sdes_cname(buf + n, sizeof(buf) - n, ssrc, from->name);
	CHECK(ice_leg_send_rtcp(from->leg, buf, n) == 0);
}

/* What the candidates of a description must look like. */
struct cand_rule {
	uint8_t		 type;
	uint16_t	 port_min, port_max;	/* 0, 0: any */
	int		 family;		/* 0: AF_INET */
};

static void
check_desc(const struct media_webrtc_desc *d, enum dtls_setup setup,
    const struct cand_rule *r)
{
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;
	unsigned int		 i, port;

	CHECK(d->ufrag[0] != '\0' && d->pwd[0] != '\0');
	CHECK(strlen(d->pwd) >= 22);	/* RFC 8839: 128 bits at least */
	CHECK(strcmp(d->fingerprint, dtls_local_fingerprint()) == 0);
	CHECK(d->setup == setup);
	CHECK(d->rtcp_mux == 1);
	CHECK(d->ncands >= 1);
	for (i = 0; i < d->ncands; i++) {
		sin = (struct sockaddr_in *)&d->cands[i].addr;
		sin6 = (struct sockaddr_in6 *)&d->cands[i].addr;
		CHECK(d->cands[i].component == 1);
		CHECK(d->cands[i].type == r->type);
		if (r->family == AF_INET6) {
			port = ntohs(sin6->sin6_port);
			CHECK(sin6->sin6_family == AF_INET6 &&
			    IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr));
		} else {
			port = ntohs(sin->sin_port);
			CHECK(sin->sin_family == AF_INET &&
			    sin->sin_addr.s_addr == htonl(INADDR_LOOPBACK));
		}
		CHECK(port != 0);
		if (r->port_max != 0)
			CHECK(port >= r->port_min && port <= r->port_max);
		CHECK(d->cands[i].priority > 0);
		CHECK(d->cands[i].foundation[0] != '\0');
	}
}

/* Media both ways, every packet and one RTCP compound each. */
static void
exchange(GMainContext *ctx, struct side *a, struct side *b, uint16_t base)
{
	int	 i;

	send_stream(a, b, 0x0a0a0a0a, 0, base);
	send_stream(b, a, 0x0b0b0b0b, 1, base);
	{
		int	 adone = 0, bdone = 0;
		GSource	*t;
		int	 expired = 0;

		t = g_timeout_source_new_seconds(10);
		g_source_set_callback(t, deadline_cb, &expired, NULL);
		g_source_attach(t, ctx);
		while (!(adone && bdone) && !expired) {
			g_main_context_iteration(ctx, TRUE);
			adone = a->nrtp == NPKT && a->nrtcp == 1;
			bdone = b->nrtp == NPKT && b->nrtcp == 1;
		}
		g_source_destroy(t);
		g_source_unref(t);
	}
	CHECK(a->nrtp == NPKT && b->nrtp == NPKT);
	CHECK(a->bad == 0 && b->bad == 0);
	for (i = 0; i < NPKT; i++)
		CHECK(a->seen[i] == 1 && b->seen[i] == 1);
	CHECK(a->nrtcp == 1 && strcmp(a->cname, "answerer") == 0);
	CHECK(b->nrtcp == 1 && strcmp(b->cname, "offerer") == 0);
	CHECK(ice_leg_stats(a->leg)->rtp_out >= NPKT &&
	    ice_leg_stats(a->leg)->rtp_in >= NPKT);
	CHECK(ice_leg_stats(b->leg)->auth_fail == 0);
	CHECK(ice_leg_stats(a->leg)->last_in_us > 0);
}

/* Wait for the loop a while, for things nobody signals. */
static void
settle(GMainContext *ctx, unsigned int ms)
{
	GSource	*t;
	int	 expired = 0;

	t = g_timeout_source_new(ms);
	g_source_set_callback(t, deadline_cb, &expired, NULL);
	g_source_attach(t, ctx);
	while (!expired)
		g_main_context_iteration(ctx, TRUE);
	g_source_unref(t);
}

/* A re-offer without changes, then an ICE restart; media must go on. */
static void
reoffers(GMainContext *ctx, struct side *a, struct side *b,
    const struct media_webrtc_desc *first_a,
    const struct media_webrtc_desc *first_b)
{
	struct media_webrtc_desc	 da, db;

	/* Hold/resume style: same credentials, same fingerprint. */
	CHECK(ice_leg_local_desc(a->leg, &da) == 0);
	CHECK(strcmp(da.ufrag, first_a->ufrag) == 0);
	CHECK(da.setup == SETUP_PASSIVE);	/* a is the DTLS server */
	CHECK(ice_leg_update_remote(b->leg, &da, 1) == 0);
	CHECK(ice_leg_local_desc(b->leg, &db) == 0);
	CHECK(db.setup == SETUP_ACTIVE);
	CHECK(strcmp(db.ufrag, first_b->ufrag) == 0);
	CHECK(ice_leg_update_remote(a->leg, &db, 0) == 0);
	exchange(ctx, a, b, 3000);

	/* ICE restart offered by a. */
	CHECK(ice_leg_restart(a->leg) == 0);
	CHECK(ice_leg_local_desc(a->leg, &da) == 0);
	CHECK(strcmp(da.ufrag, first_a->ufrag) != 0);
	CHECK(ice_leg_update_remote(b->leg, &da, 1) == 0);
	CHECK(ice_leg_local_desc(b->leg, &db) == 0);
	CHECK(strcmp(db.ufrag, first_b->ufrag) != 0);
	CHECK(ice_leg_update_remote(a->leg, &db, 0) == 0);
	settle(ctx, 500);
	exchange(ctx, a, b, 5000);
	CHECK(!a->failed && !b->failed);

	/*
	 * b re-offers asking to be the DTLS server: a new DTLS association
	 * with the roles swapped, new keys, media again.
	 */
	CHECK(ice_leg_local_desc(b->leg, &db) == 0);
	CHECK(db.setup == SETUP_ACTIVE);
	db.setup = SETUP_PASSIVE;
	a->ready = b->ready = 0;
	CHECK(ice_leg_update_remote(a->leg, &db, 1) == 0);
	CHECK(!ice_leg_ready(a->leg));
	CHECK(ice_leg_local_desc(a->leg, &da) == 0);
	CHECK(da.setup == SETUP_ACTIVE);	/* a is the client now */
	CHECK(ice_leg_update_remote(b->leg, &da, 0) == 0);
	CHECK(wait_both(ctx, &a->ready, &b->ready, 20));
	exchange(ctx, a, b, 7000);
	CHECK(!a->failed && !b->failed);
	CHECK(ice_leg_stats(a->leg)->auth_fail == 0 &&
	    ice_leg_stats(b->leg)->replayed == 0);
}

/* Connect two legs made from cfg and exchange media.  Returns failures. */
static int
run_pair(GMainContext *ctx, struct ice_config *cfg, const struct cand_rule *r,
    int restart, const char *what)
{
	struct ice_callbacks	 cb;
	struct media_webrtc_desc da, db;
	static struct side	 a, b;
	uint8_t			 early[172];
	int			 before = failures;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	cfg->ctx = ctx;
	cb.event = on_event;
	cb.rtp = on_rtp;
	cb.rtcp = on_rtcp;

	a.name = "offerer";
	cfg->offerer = 1;
	cb.arg = &a;
	a.leg = ice_leg_new(cfg, &cb);
	b.name = "answerer";
	cfg->offerer = 0;
	cb.arg = &b;
	b.leg = ice_leg_new(cfg, &cb);
	CHECK(a.leg != NULL && b.leg != NULL);
	if (a.leg == NULL || b.leg == NULL)
		return (1);

	/* No description before gathering, and no media before DTLS. */
	CHECK(ice_leg_local_desc(a.leg, &da) == -1);
	memset(early, 0, sizeof(early));
	early[0] = 0x80;
	CHECK(ice_leg_send_rtp(a.leg, early, sizeof(early)) == -1);

	CHECK(ice_leg_gather(a.leg) == 0 && ice_leg_gather(b.leg) == 0);
	CHECK(wait_both(ctx, &a.gathered, &b.gathered, 10));

	/* Offer/answer through the structured descriptions. */
	CHECK(ice_leg_local_desc(a.leg, &da) == 0);
	check_desc(&da, SETUP_ACTPASS, r);
	CHECK(ice_leg_set_remote(b.leg, &da) == 0);
	CHECK(ice_leg_local_desc(b.leg, &db) == 0);
	check_desc(&db, SETUP_ACTIVE, r);
	CHECK(strcmp(da.ufrag, db.ufrag) != 0);
	CHECK(ice_leg_set_remote(a.leg, &db) == 0);
	CHECK(ice_leg_set_remote(a.leg, &db) == -1);

	CHECK(wait_both(ctx, &a.connected, &b.connected, 20));
	CHECK(wait_both(ctx, &a.ready, &b.ready, 20));
	CHECK(ice_leg_ready(a.leg) && ice_leg_ready(b.leg));
	CHECK(!a.failed && !b.failed);
	if (failures > before)
		goto out;
	/* Media flows on a pair of the kind asked for: relays stay relays. */
	{
		struct ice_cand	 lc, rc;

		CHECK(ice_leg_selected(a.leg, &lc, &rc) == 0);
		CHECK(lc.type == r->type);
		CHECK(ice_leg_selected(b.leg, &lc, &rc) == 0);
		CHECK(lc.type == r->type);
	}

	exchange(ctx, &a, &b, 1000);
	if (restart)
		reoffers(ctx, &a, &b, &da, &db);
 out:
	ice_leg_free(a.leg);
	ice_leg_free(b.leg);
	while (g_main_context_iteration(ctx, FALSE))
		;
	fprintf(stderr, "%s: %s\n", what, failures > before ? "FAIL" : "ok");
	return (failures - before);
}

static void
loopback(struct sockaddr_storage *ss, uint16_t port)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin->sin_port = htons(port);
}

/* A port nobody holds right now, for TCP and UDP alike. */
static uint16_t
free_port(void)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	uint16_t		 port = 0;
	int			 t, u;

	loopback(&ss, 0);
	t = socket(AF_INET, SOCK_STREAM, 0);
	u = socket(AF_INET, SOCK_DGRAM, 0);
	if (bind(t, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)) == 0 &&
	    getsockname(t, (struct sockaddr *)&ss, &len) == 0 &&
	    bind(u, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)) == 0)
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	close(t);
	close(u);
	return (port);
}

static int
tcp_open(uint16_t port)
{
	struct sockaddr_storage	 ss;
	int			 fd, ok;

	loopback(&ss, port);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (0);
	ok = connect(fd, (struct sockaddr *)&ss,
	    sizeof(struct sockaddr_in)) == 0;
	close(fd);
	return (ok);
}

/* TURN REST credentials (use-auth-secret): time-limited user, HMAC pass. */
static int
turn_credentials(const char *secret, char *user, size_t ulen, char *pass,
    size_t plen)
{
	uint8_t	 mac[20];
	size_t	 olen;

	snprintf(user, ulen, "%lld:kb", (long long)time(NULL) + 3600);
	if (mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA1),
	    (const uint8_t *)secret, strlen(secret), (const uint8_t *)user,
	    strlen(user), mac) != 0 ||
	    mbedtls_base64_encode((uint8_t *)pass, plen, &olen, mac,
	    sizeof(mac)) != 0)
		return (-1);
	return (0);
}

/* A wrong TURN password gets no allocation, hence no relay candidate. */
static int
bad_credentials(GMainContext *ctx, uint16_t port, uint8_t kind,
    const char *host)
{
	struct ice_config	 cfg;
	struct ice_callbacks	 cb;
	struct media_webrtc_desc d;
	static struct side	 a;
	uint64_t		 tls_before;
	int			 before = failures, one = 1;

	memset(&cfg, 0, sizeof(cfg));
	memset(&a, 0, sizeof(a));
	cfg.ctx = ctx;
	cfg.offerer = 1;
	cfg.relay_only = 1;
	cfg.nlocal = 1;
	loopback(&cfg.local[0], 0);
	cfg.nservers = 1;
	cfg.servers[0].kind = kind;
	loopback(&cfg.servers[0].addr, port);
	/* With a host name, the credentials are right but the name is not. */
	if (host != NULL)
		strlcpy(cfg.servers[0].host, host, sizeof(cfg.servers[0].host));
	turn_credentials(host != NULL ? "kb-test-secret" : "not-the-secret",
	    cfg.servers[0].user,
	    sizeof(cfg.servers[0].user), cfg.servers[0].pass,
	    sizeof(cfg.servers[0].pass));
	memset(&cb, 0, sizeof(cb));
	cb.event = on_event;
	cb.arg = &a;
	CHECK((a.leg = ice_leg_new(&cfg, &cb)) != NULL);
	if (a.leg == NULL)
		return (1);
	tls_before = tls_tunnel_sessions();
	CHECK(ice_leg_gather(a.leg) == 0);
	if (host == NULL) {
		CHECK(wait_both(ctx, &a.gathered, &one, 15));
		CHECK(ice_leg_local_desc(a.leg, &d) == 0 && d.ncands == 0);
	} else {
		/*
		 * libnice takes long to give up on a TCP relay that hung up;
		 * what matters is that no TLS session (and so no credential)
		 * ever went to a server with the wrong name.
		 */
		settle(ctx, 1500);
		CHECK(tls_tunnel_sessions() == tls_before);
		CHECK(!a.gathered || (ice_leg_local_desc(a.leg, &d) == 0 &&
		    d.ncands == 0));
	}
	ice_leg_free(a.leg);
	fprintf(stderr, "%s: %s\n", host != NULL ?
	    "TURN/TLS certificate for another name" : "wrong TURN credentials",
	    failures > before ? "FAIL" : "ok");
	return (failures - before);
}

static int
run_turn(GMainContext *ctx)
{
	static const char	*secret = "kb-test-secret";
	static const struct {
		uint8_t		 kind;
		const char	*name;
	} kinds[] = {
		{ ICE_SERVER_TURN_UDP, "relay via TURN/UDP" },
		{ ICE_SERVER_TURN_TCP, "relay via TURN/TCP" },
		{ ICE_SERVER_TURN_TLS, "relay via TURN/TLS" },
	};
	struct ice_config	 cfg;
	struct cand_rule	 rule;
	char			 dir[] = "/tmp/kbturnXXXXXX", cmd[1024];
	char			 a_port[16], a_tls[16], a_min[16], a_max[16];
	char			 a_cert[128], a_key[128], a_log[128], a_pid[128];
	char			 a_secret[64];
	uint16_t		 port, tlsport;
	unsigned int		 i;
	pid_t			 pid;
	uint64_t		 tls_before;
	int			 status, n, bad = 0;

	if (system("command -v turnserver >/dev/null 2>&1") != 0) {
		fprintf(stderr, "turnserver not installed, skipping\n");
		return (77);
	}
	if (mkdtemp(dir) == NULL)
		return (1);
	snprintf(a_cert, sizeof(a_cert), "--cert=%s/cert.pem", dir);
	snprintf(a_key, sizeof(a_key), "--pkey=%s/key.pem", dir);
	snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey ec -pkeyopt "
	    "ec_paramgen_curve:prime256v1 -nodes -keyout %s/key.pem "
	    "-out %s/cert.pem -days 1 -subj /CN=turn.test >/dev/null 2>&1",
	    dir, dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "cannot make a TLS certificate\n");
		return (1);
	}
	/* Trust coturn's self-signed certificate, as a CA file would. */
	{
		char	 pem[4096];
		size_t	 len;
		FILE	*f;

		snprintf(cmd, sizeof(cmd), "%s/cert.pem", dir);
		if ((f = fopen(cmd, "r")) == NULL)
			return (1);
		len = fread(pem, 1, sizeof(pem), f);
		fclose(f);
		if (tls_tunnel_load_ca(pem, len) == -1)
			return (1);
	}
	port = free_port();
	tlsport = free_port();
	rule.type = CAND_RELAY;
	rule.port_min = 49152 + (getpid() % 100) * 100;
	rule.port_max = rule.port_min + 99;
	snprintf(a_port, sizeof(a_port), "%u", port);
	snprintf(a_tls, sizeof(a_tls), "%u", tlsport);
	snprintf(a_min, sizeof(a_min), "%u", rule.port_min);
	snprintf(a_max, sizeof(a_max), "%u", rule.port_max);
	snprintf(a_log, sizeof(a_log), "--log-file=%s/turn.log", dir);
	snprintf(a_pid, sizeof(a_pid), "--pidfile=%s/turn.pid", dir);
	snprintf(a_secret, sizeof(a_secret), "--static-auth-secret=%s",
	    secret);
	if ((pid = fork()) == -1)
		return (1);
	if (pid == 0) {
		char *const argv[] = { "turnserver", "-n",
		    "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
		    "--listening-port", a_port, "--tls-listening-port", a_tls,
		    "--min-port", a_min, "--max-port", a_max,
		    "--use-auth-secret", a_secret, "--realm=kandy-bridge.test",
		    "--allow-loopback-peers", "--no-cli", "--no-dtls",
		    "--fingerprint", a_cert, a_key, a_log, a_pid,
		    "--no-stdout-log", "--simple-log", NULL };

		int	 null;

		/* It complains about SCTP it cannot have; keep quiet. */
		if ((null = open("/dev/null", O_WRONLY)) != -1) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	for (n = 0; n < 100 && !(tcp_open(port) && tcp_open(tlsport)); n++)
		usleep(50000);
	if (n == 100) {
		fprintf(stderr, "turnserver did not start\n");
		bad = 1;
		goto out;
	}

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		memset(&cfg, 0, sizeof(cfg));
		cfg.relay_only = 1;
		cfg.nlocal = 1;
		loopback(&cfg.local[0], 0);
		cfg.nservers = 1;
		cfg.servers[0].kind = kinds[i].kind;
		loopback(&cfg.servers[0].addr,
		    kinds[i].kind == ICE_SERVER_TURN_TLS ? tlsport : port);
		/* The name in coturn's certificate, which we trust. */
		strlcpy(cfg.servers[0].host, "turn.test",
		    sizeof(cfg.servers[0].host));
		if (turn_credentials(secret, cfg.servers[0].user,
		    sizeof(cfg.servers[0].user), cfg.servers[0].pass,
		    sizeof(cfg.servers[0].pass)) == -1)
			return (1);
		tls_before = tls_tunnel_sessions();
		bad += run_pair(ctx, &cfg, &rule, 0, kinds[i].name);
		/* The TLS case really went through TLS sessions to coturn. */
		CHECK((tls_tunnel_sessions() > tls_before) ==
		    (kinds[i].kind == ICE_SERVER_TURN_TLS));
	}
	bad += bad_credentials(ctx, port, ICE_SERVER_TURN_UDP, NULL);
	/* A TLS server whose certificate does not name it is refused. */
	bad += bad_credentials(ctx, tlsport, ICE_SERVER_TURN_TLS, "other.test");
 out:
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	if (bad) {
		snprintf(cmd, sizeof(cmd), "tail -20 %s/turn.log*", dir);
		system(cmd);
	}
	if (getenv("KEEP_TURN_LOG") != NULL)
		fprintf(stderr, "coturn log kept in %s\n", dir);
	else {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		system(cmd);
	}
	return (bad ? 1 : 0);
}

static int
ipv6_loopback(void)
{
	struct sockaddr_in6	 sin6;
	int			 fd, ok;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	if ((fd = socket(AF_INET6, SOCK_DGRAM, 0)) == -1)
		return (0);
	ok = bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == 0;
	close(fd);
	return (ok);
}

int
main(int argc, char *argv[])
{
	GMainContext		*ctx;
	struct ice_config	 cfg;
	struct cand_rule	 host = { CAND_HOST, 0, 0, AF_INET };
	struct cand_rule	 host6 = { CAND_HOST, 0, 0, AF_INET6 };
	struct sockaddr_in6	*sin6;
	int			 turn, rv = 0;

	turn = argc > 1 && strcmp(argv[1], "turn") == 0;
	log_init(1, getenv("VERBOSE") != NULL, 0);
	signal(SIGPIPE, SIG_IGN);
	if (dtls_init() == -1)
		return (1);
	ctx = g_main_context_new();
	if (turn)
		rv = run_turn(ctx);
	else {
		memset(&cfg, 0, sizeof(cfg));
		cfg.nlocal = 1;
		loopback(&cfg.local[0], 0);
		run_pair(ctx, &cfg, &host, 1, "host candidates");
		/* The same over IPv6, where the host has ::1. */
		memset(&cfg, 0, sizeof(cfg));
		cfg.nlocal = 1;
		sin6 = (struct sockaddr_in6 *)&cfg.local[0];
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_loopback;
		if (ipv6_loopback())
			run_pair(ctx, &cfg, &host6, 0, "IPv6 host candidates");
		else
			fprintf(stderr, "no ::1 here, IPv6 not tested\n");
	}
	g_main_context_unref(ctx);
	if (rv == 77)
		return (77);
	if (failures > 0 || rv != 0) {
		fprintf(stderr, "%d failures\n", failures);
		return (1);
	}
	return (0);
}
