/*
 * show calls and show call ID: sipd lists the calls (CTL_SHOW_CALLS),
 * mediad their media leg by leg (CTL_SHOW_MEDIA); the two answers are
 * joined here by call id.  Without mediad the calls are listed with no
 * media figures.
 */
#include <sys/types.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bridgectl.h"

#define LEG_PBX		0
#define LEG_KANDY	1

struct leg_row {
	int		 have;
	uint64_t	 pkts_in, pkts_out, bytes_in, bytes_out;
	uint32_t	 lost, jitter_us, peer_lost, peer_jitter_us;
	uint32_t	 rtt_us, mos100;
	char		 state[64];
	char		 path[192];
};

struct call_row {
	uint64_t	 id;
	char		 dir[8];
	char		 from[64];
	char		 to[64];
	char		 state[32];
	char		 session[64];
	uint64_t	 started, answered;
	struct leg_row	 legs[2];
};

struct listing {
	struct call_row	*rows;
	size_t		 n, cap;
	const char	*error;		/* CTL_RESULT from the child */
	char		 why[128];
};

static int
calls_reply(struct ipc_msg *m, void *arg)
{
	struct listing	*l = arg;
	struct call_row	*r, *p;
	const char	*dir, *from, *to, *state, *session, *media, *msg;
	uint64_t	 id, started, answered;
	uint32_t	 code;

	switch (m->hdr.type) {
	case IMSG_CTL_CALL:
		ipc_unpack(m, &id, &dir, &from, &to, &state, &started,
		    &answered, &session, &media);
		if (l->n == l->cap) {
			l->cap = l->cap ? l->cap * 2 : 16;
			if ((p = reallocarray(l->rows, l->cap,
			    sizeof(*p))) == NULL)
				err(1, NULL);
			l->rows = p;
		}
		r = &l->rows[l->n++];
		memset(r, 0, sizeof(*r));
		r->id = id;
		strlcpy(r->dir, dir, sizeof(r->dir));
		strlcpy(r->from, from, sizeof(r->from));
		strlcpy(r->to, to, sizeof(r->to));
		strlcpy(r->state, state, sizeof(r->state));
		strlcpy(r->session, *session ? session : "-",
		    sizeof(r->session));
		r->started = started;
		r->answered = answered;
		return (0);
	case IMSG_CTL_RESULT:
		ipc_unpack(m, &code, &msg);
		strlcpy(l->why, msg, sizeof(l->why));
		l->error = l->why;
		return (code != 0 ? -1 : 1);
	case IMSG_CTL_END:
		return (1);
	}
	return (0);
}

static int
media_reply(struct ipc_msg *m, void *arg)
{
	struct listing	*l = arg;
	struct leg_row	 g;
	const char	*leg, *state, *path, *msg;
	uint64_t	 id;
	uint32_t	 code;
	size_t		 i;

	switch (m->hdr.type) {
	case IMSG_CTL_MEDIA:
		memset(&g, 0, sizeof(g));
		ipc_unpack(m, &id, &leg, &g.pkts_in, &g.pkts_out, &g.bytes_in,
		    &g.bytes_out, &g.lost, &g.jitter_us, &g.peer_lost,
		    &g.peer_jitter_us, &g.rtt_us, &g.mos100, &state, &path);
		g.have = 1;
		strlcpy(g.state, state, sizeof(g.state));
		strlcpy(g.path, path, sizeof(g.path));
		for (i = 0; i < l->n; i++)
			if (l->rows[i].id == id)
				l->rows[i].legs[strcmp(leg, "pbx") == 0 ?
				    LEG_PBX : LEG_KANDY] = g;
		return (0);
	case IMSG_CTL_RESULT:
		ipc_unpack(m, &code, &msg);
		strlcpy(l->why, msg, sizeof(l->why));
		l->error = l->why;
		return (1);
	case IMSG_CTL_END:
		return (1);
	}
	return (0);
}

static double
loss_pct(const struct leg_row *g)
{
	double	 seen = (double)g->pkts_in + g->lost;

	return (seen > 0 ? 100.0 * g->lost / seen : 0);
}

static void
fmt_mos(char *buf, size_t len, uint32_t mos100)
{
	if (mos100 == 0)
		strlcpy(buf, "-", len);
	else
		snprintf(buf, len, "%u.%02u", mos100 / 100, mos100 % 100);
}

/* "pbx 150/150 0.0% 4.41": packets in/out, loss of what came in, MOS. */
static void
leg_summary(char *buf, size_t len, const char *name, const struct leg_row *g)
{
	char	 mos[16];

	if (!g->have) {
		snprintf(buf, len, "%s -", name);
		return;
	}
	fmt_mos(mos, sizeof(mos), g->mos100);
	snprintf(buf, len, "%s %llu/%llu %.1f%% %s", name,
	    (unsigned long long)g->pkts_in, (unsigned long long)g->pkts_out,
	    loss_pct(g), mos);
}

static void
print_list(const struct listing *l)
{
	const struct call_row	*r;
	char			 up[32], a[96], b[96];
	size_t			 i;

	printf("%-16s %-3s %-16s %-16s %-11s %9s %-24s %s\n", "CALL", "DIR",
	    "FROM", "TO", "STATE", "DURATION", "KANDY SESSION",
	    "MEDIA (IN/OUT LOSS MOS)");
	for (i = 0; i < l->n; i++) {
		r = &l->rows[i];
		fmt_uptime(up, sizeof(up), r->answered ? (time_t)r->answered :
		    (time_t)r->started);
		leg_summary(a, sizeof(a), "pbx", &r->legs[LEG_PBX]);
		leg_summary(b, sizeof(b), "kandy", &r->legs[LEG_KANDY]);
		printf("%016llx %-3s %-16s %-16s %-11s %9s %-24s %s, %s\n",
		    (unsigned long long)r->id, r->dir, r->from, r->to,
		    r->state, up, r->session, a, b);
	}
}

static void
print_time(const char *what, uint64_t t)
{
	char		 buf[64], up[32];
	time_t		 tt = (time_t)t;
	struct tm	 tm;

	if (t == 0) {
		printf("%-16s -\n", what);
		return;
	}
	localtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
	fmt_uptime(up, sizeof(up), tt);
	printf("%-16s %s (%s ago)\n", what, buf, up);
}

static void
print_leg(const char *name, const struct leg_row *g)
{
	char	 mos[16];

	if (!g->have) {
		printf("%-16s no media\n", name);
		return;
	}
	printf("%-16s %s\n", name, g->state);
	printf("  %-14s %s\n", "path", g->path);
	printf("  %-14s in %llu, out %llu\n", "packets",
	    (unsigned long long)g->pkts_in, (unsigned long long)g->pkts_out);
	printf("  %-14s in %llu, out %llu\n", "bytes",
	    (unsigned long long)g->bytes_in, (unsigned long long)g->bytes_out);
	printf("  %-14s %u (%.2f%%), the peer reports %u of ours\n", "lost",
	    g->lost, loss_pct(g), g->peer_lost);
	printf("  %-14s %.1f ms, the peer reports %.1f ms\n", "jitter",
	    g->jitter_us / 1000.0, g->peer_jitter_us / 1000.0);
	if (g->rtt_us == 0xffffffffU)
		printf("  %-14s -\n", "round trip");
	else
		printf("  %-14s %.1f ms\n", "round trip", g->rtt_us / 1000.0);
	fmt_mos(mos, sizeof(mos), g->mos100);
	printf("  %-14s %s\n", "MOS", mos);
}

static void
print_detail(const struct call_row *r)
{
	printf("%-16s %016llx\n", "call", (unsigned long long)r->id);
	printf("%-16s %s\n", "direction", r->dir);
	printf("%-16s %s\n", "from", r->from);
	printf("%-16s %s\n", "to", r->to);
	printf("%-16s %s\n", "state", r->state);
	print_time("started", r->started);
	print_time("answered", r->answered);
	printf("%-16s %s\n", "kandy session", r->session);
	print_leg("pbx leg", &r->legs[LEG_PBX]);
	print_leg("kandy leg", &r->legs[LEG_KANDY]);
}

/* Returns the exit status. */
int
show_calls(struct ipc_conn *conn, uint64_t call)
{
	struct listing	 l;
	size_t		 i;
	int		 status = 0;

	memset(&l, 0, sizeof(l));
	ipc_send(conn, IMSG_CTL_SHOW_CALLS, 0, -1);
	while (ipc_pending(conn))
		if (ipc_flush(conn) == -1)
			errx(1, "write: %s", ipc_strerror(conn));
	if (exchange(conn, calls_reply, &l) == -1) {
		fprintf(stderr, "%s\n", l.error);
		return (1);
	}
	/* Only the call asked about. */
	if (call != 0) {
		for (i = 0; i < l.n && l.rows[i].id != call; i++)
			;
		if (i == l.n) {
			fprintf(stderr, "no such call\n");
			free(l.rows);
			return (1);
		}
		l.rows[0] = l.rows[i];
		l.n = 1;
	}
	ipc_send(conn, IMSG_CTL_SHOW_MEDIA, 0, -1, call);
	while (ipc_pending(conn))
		if (ipc_flush(conn) == -1)
			errx(1, "write: %s", ipc_strerror(conn));
	l.error = NULL;
	exchange(conn, media_reply, &l);
	if (call != 0)
		print_detail(&l.rows[0]);
	else
		print_list(&l);
	if (l.error != NULL)
		fprintf(stderr, "no media figures: %s\n", l.error);
	free(l.rows);
	return (status);
}
