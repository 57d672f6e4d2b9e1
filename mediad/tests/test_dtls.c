/*
 * Two DTLS-SRTP sessions in one process, talking through in-memory
 * datagram queues: they must agree on SRTP keys, refuse a wrong
 * fingerprint, survive loss (timer-driven retransmission) and garbage.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dtls.h"
#include "log.h"

static int	 failures;

#define QMAX	64
#define DGMAX	2048

struct queue {
	uint8_t		 dg[QMAX][DGMAX];
	size_t		 len[QMAX];
	int		 head, n;
};

struct end {
	const char		*name;
	struct dtls_session	*s;
	struct queue		*out;	/* what this end sends */
	unsigned int		 timer;	/* armed ms, 0 none */
	int			 drop;	/* datagrams still to lose */
	int			 sent;
	enum dtls_state		 state;
	int			 nkeys;
	struct srtp_keymat	 keys;
};

static int
end_send(void *arg, const uint8_t *buf, size_t len)
{
	struct end	*e = arg;
	struct queue	*q = e->out;
	int		 i;

	e->sent++;
	if (e->drop > 0) {
		e->drop--;
		return (0);
	}
	if (q->n == QMAX || len > DGMAX)
		return (-1);
	i = (q->head + q->n) % QMAX;
	memcpy(q->dg[i], buf, len);
	q->len[i] = len;
	q->n++;
	return (0);
}

static void
end_timer(void *arg, unsigned int ms)
{
	struct end	*e = arg;

	e->timer = ms;
}

static void
end_state(void *arg, enum dtls_state st, const struct srtp_keymat *k)
{
	struct end	*e = arg;

	e->state = st;
	if (k != NULL) {
		e->keys = *k;
		e->nkeys++;
	}
}

static int
deliver(struct queue *q, struct end *to)
{
	uint8_t	 buf[DGMAX];
	size_t	 len;

	if (q->n == 0)
		return (0);
	len = q->len[q->head];
	memcpy(buf, q->dg[q->head], len);
	q->head = (q->head + 1) % QMAX;
	q->n--;
	dtls_session_input(to->s, buf, len);
	return (1);
}

static int
finished(struct end *e)
{
	return (e->state == DTLS_STATE_CONNECTED ||
	    e->state == DTLS_STATE_FAILED || e->state == DTLS_STATE_CLOSED);
}

/* Run until both ends finish or nothing moves; the timers stand in for time. */
static void
run(struct end *a, struct end *b, struct queue *qa, struct queue *qb)
{
	int	 rounds, moved;

	for (rounds = 0; rounds < 1000; rounds++) {
		moved = deliver(qa, b) + deliver(qb, a);
		if (moved)
			continue;
		if (finished(a) && finished(b))
			return;
		if (a->timer != 0) {
			dtls_session_timer(a->s);
			moved = 1;
		}
		if (b->timer != 0) {
			dtls_session_timer(b->s);
			moved = 1;
		}
		if (!moved)
			return;
	}
}

static struct queue	 qc, qs;

static void
setup(struct end *c, struct end *s, const char *fp_for_client,
    const char *fp_for_server)
{
	struct dtls_callbacks	 cb;

	memset(&qc, 0, sizeof(qc));
	memset(&qs, 0, sizeof(qs));
	memset(c, 0, sizeof(*c));
	memset(s, 0, sizeof(*s));
	c->name = "client";
	c->out = &qc;
	s->name = "server";
	s->out = &qs;
	cb.send = end_send;
	cb.timer = end_timer;
	cb.state = end_state;
	cb.arg = c;
	c->s = dtls_session_new(DTLS_ROLE_CLIENT, fp_for_client, &cb);
	cb.arg = s;
	s->s = dtls_session_new(DTLS_ROLE_SERVER, fp_for_server, &cb);
	if (c->s == NULL || s->s == NULL) {
		fprintf(stderr, "session setup failed\n");
		exit(1);
	}
}

static void
teardown(struct end *c, struct end *s)
{
	dtls_session_free(c->s);
	dtls_session_free(s->s);
}

static void
test_roles(void)
{
	enum dtls_setup	 l;
	enum dtls_role	 r;

	CHECK(dtls_role_resolve(1, SETUP_ACTIVE, &l, &r) == 0 &&
	    l == SETUP_ACTPASS && r == DTLS_ROLE_SERVER);
	CHECK(dtls_role_resolve(1, SETUP_PASSIVE, &l, &r) == 0 &&
	    r == DTLS_ROLE_CLIENT);
	CHECK(dtls_role_resolve(1, SETUP_ACTPASS, &l, &r) == -1);
	CHECK(dtls_role_resolve(0, SETUP_ACTPASS, &l, &r) == 0 &&
	    l == SETUP_ACTIVE && r == DTLS_ROLE_CLIENT);
	CHECK(dtls_role_resolve(0, SETUP_ACTIVE, &l, &r) == 0 &&
	    l == SETUP_PASSIVE && r == DTLS_ROLE_SERVER);
	CHECK(dtls_role_resolve(0, SETUP_PASSIVE, &l, &r) == 0 &&
	    l == SETUP_ACTIVE && r == DTLS_ROLE_CLIENT);
	CHECK(dtls_role_resolve(0, 7, &l, &r) == -1);
}

static void
test_fingerprint_format(const char *fp)
{
	size_t	 i;

	CHECK(strlen(fp) == 95);
	for (i = 0; i < 95; i++) {
		if (i % 3 == 2)
			CHECK(fp[i] == ':');
		else
			CHECK((fp[i] >= '0' && fp[i] <= '9') ||
			    (fp[i] >= 'A' && fp[i] <= 'F'));
	}
}

static int
keys_agree(struct end *c, struct end *s)
{
	return (c->nkeys == 1 && s->nkeys == 1 &&
	    c->keys.profile == SRTP_PROFILE_AES128_CM_SHA1_80 &&
	    c->keys.profile == s->keys.profile &&
	    memcmp(c->keys.local, s->keys.remote, SRTP_KEYMAT_LEN) == 0 &&
	    memcmp(c->keys.remote, s->keys.local, SRTP_KEYMAT_LEN) == 0 &&
	    memcmp(c->keys.local, c->keys.remote, SRTP_KEYMAT_LEN) != 0);
}

/* The exported keys key SRTP both ways. */
static int
srtp_works(struct end *c, struct end *s)
{
	struct srtp_pair	*pc, *ps;
	uint8_t			 pkt[64], orig[64];
	size_t			 len;
	int			 ok = 1;

	pc = srtp_pair_new(&c->keys);
	ps = srtp_pair_new(&s->keys);
	if (pc == NULL || ps == NULL)
		return (0);
	memset(orig, 0, sizeof(orig));
	orig[0] = 0x80;
	orig[11] = 1;
	memcpy(orig + 12, "twenty bytes of tone", 20);
	memcpy(pkt, orig, 32);
	len = 32;
	ok &= srtp_pair_protect(pc, pkt, &len, sizeof(pkt)) == 0;
	ok &= srtp_pair_unprotect(ps, pkt, &len) == 0;
	ok &= len == 32 && memcmp(pkt, orig, 32) == 0;
	memcpy(pkt, orig, 32);
	len = 32;
	ok &= srtp_pair_protect(ps, pkt, &len, sizeof(pkt)) == 0;
	ok &= srtp_pair_unprotect(pc, pkt, &len) == 0;
	ok &= len == 32 && memcmp(pkt, orig, 32) == 0;
	srtp_pair_free(pc);
	srtp_pair_free(ps);
	return (ok);
}

static void
test_handshake(const char *fp)
{
	struct end	 c, s;
	uint8_t		 first[SRTP_KEYMAT_LEN];

	setup(&c, &s, fp, fp);
	CHECK(dtls_session_start(s.s) == 0);
	CHECK(qs.n == 0);	/* a server waits for the ClientHello */
	CHECK(dtls_session_start(c.s) == 0);
	CHECK(qc.n == 1 && c.timer > 0);
	run(&c, &s, &qc, &qs);
	CHECK(c.state == DTLS_STATE_CONNECTED && s.state == DTLS_STATE_CONNECTED);
	CHECK(keys_agree(&c, &s));
	CHECK(srtp_works(&c, &s));
	CHECK(c.timer == 0 || qc.n == 0);
	memcpy(first, c.keys.local, sizeof(first));

	/* A close_notify reaches the other side. */
	dtls_session_close(c.s);
	CHECK(c.state == DTLS_STATE_CLOSED);
	while (deliver(&qc, &s))
		;
	CHECK(s.state == DTLS_STATE_CLOSED);
	teardown(&c, &s);

	/*
	 * Retired (the TLS state freed once media flows), a session keeps
	 * its state, ignores what comes, and closes without a word.
	 */
	setup(&c, &s, fp, fp);
	dtls_session_retire(c.s);	/* not connected yet: nothing */
	dtls_session_start(s.s);
	dtls_session_start(c.s);
	run(&c, &s, &qc, &qs);
	CHECK(c.state == DTLS_STATE_CONNECTED && s.state == DTLS_STATE_CONNECTED);
	dtls_session_retire(s.s);
	dtls_session_retire(s.s);	/* twice is once */
	CHECK(dtls_session_state(s.s) == DTLS_STATE_CONNECTED);
	dtls_session_close(c.s);	/* its alert reaches a retired server */
	while (deliver(&qc, &s))
		;
	CHECK(s.state == DTLS_STATE_CONNECTED);
	qs.n = 0;
	dtls_session_close(s.s);
	CHECK(s.state == DTLS_STATE_CLOSED && qs.n == 0);
	teardown(&c, &s);

	/* A second handshake yields fresh keys. */
	setup(&c, &s, fp, fp);
	dtls_session_start(s.s);
	dtls_session_start(c.s);
	run(&c, &s, &qc, &qs);
	CHECK(keys_agree(&c, &s));
	CHECK(memcmp(first, c.keys.local, sizeof(first)) != 0);
	teardown(&c, &s);
}

static void
test_loss(const char *fp)
{
	struct end	 c, s;

	/* Lose the ClientHello and the server's whole first flight. */
	setup(&c, &s, fp, fp);
	c.drop = 1;
	s.drop = 4;
	dtls_session_start(s.s);
	dtls_session_start(c.s);
	CHECK(qc.n == 0 && c.timer > 0);
	run(&c, &s, &qc, &qs);
	CHECK(c.state == DTLS_STATE_CONNECTED && s.state == DTLS_STATE_CONNECTED);
	CHECK(keys_agree(&c, &s));
	CHECK(c.sent > 3);	/* it had to retransmit */
	teardown(&c, &s);
}

static void
test_wrong_fingerprint(const char *fp)
{
	struct end	 c, s;
	char		 bad[MEDIA_FPLEN];

	strlcpy(bad, fp, sizeof(bad));
	bad[0] = bad[0] == 'A' ? 'B' : 'A';

	/* The client refuses the server's certificate. */
	setup(&c, &s, bad, fp);
	dtls_session_start(s.s);
	dtls_session_start(c.s);
	run(&c, &s, &qc, &qs);
	CHECK(c.state == DTLS_STATE_FAILED);
	CHECK(s.state != DTLS_STATE_CONNECTED);
	CHECK(c.nkeys == 0 && s.nkeys == 0);
	teardown(&c, &s);

	/* The server refuses the client's. */
	setup(&c, &s, fp, bad);
	dtls_session_start(s.s);
	dtls_session_start(c.s);
	run(&c, &s, &qc, &qs);
	CHECK(s.state == DTLS_STATE_FAILED);
	CHECK(c.state != DTLS_STATE_CONNECTED);
	CHECK(c.nkeys == 0 && s.nkeys == 0);
	teardown(&c, &s);

	/* Lower case is the same fingerprint. */
	{
		char	 lower[MEDIA_FPLEN];
		size_t	 i;

		for (i = 0; fp[i] != '\0'; i++)
			lower[i] = (fp[i] >= 'A' && fp[i] <= 'F') ?
			    fp[i] - 'A' + 'a' : fp[i];
		lower[i] = '\0';
		setup(&c, &s, lower, fp);
		dtls_session_start(s.s);
		dtls_session_start(c.s);
		run(&c, &s, &qc, &qs);
		CHECK(keys_agree(&c, &s));
		teardown(&c, &s);
	}
}

/*
 * Replace the ClientHello waiting in q by the same message cut into
 * pieces, one record per datagram, queued last piece first (browsers send
 * them in order, but UDP does not promise it).
 */
static void
fragment_client_hello(struct queue *q, int pieces)
{
	uint8_t		 dg[DGMAX], *r;
	size_t		 len, mlen, step, off, flen;
	int		 i;

	len = q->len[q->head];
	memcpy(dg, q->dg[q->head], len);
	q->n = 0;
	q->head = 0;
	mlen = (size_t)dg[14] << 16 | dg[15] << 8 | dg[16];
	step = (mlen + pieces - 1) / pieces;
	for (i = pieces - 1; i >= 0; i--) {
		off = (size_t)i * step;
		flen = off + step > mlen ? mlen - off : step;
		r = q->dg[q->n];
		memcpy(r, dg, 13 + 12);
		r[10] = (uint8_t)(dg[10] + i);		/* record number */
		r[11] = (12 + flen) >> 8;
		r[12] = (12 + flen) & 0xff;
		r[13 + 6] = off >> 16;
		r[13 + 7] = off >> 8;
		r[13 + 8] = off;
		r[13 + 9] = flen >> 16;
		r[13 + 10] = flen >> 8;
		r[13 + 11] = flen;
		memcpy(r + 25, dg + 25 + off, flen);
		q->len[q->n++] = 25 + flen;
	}
}

static void
test_fragmented_hello(const char *fp)
{
	struct end	 c, s;

	setup(&c, &s, fp, fp);
	dtls_session_start(s.s);
	dtls_session_start(c.s);
	CHECK(qc.n == 1);
	fragment_client_hello(&qc, 4);
	CHECK(qc.n == 4);
	/* The first three pieces only wait; the server says nothing. */
	deliver(&qc, &s);
	deliver(&qc, &s);
	deliver(&qc, &s);
	CHECK(qs.n == 0 && s.state == DTLS_STATE_HANDSHAKE);
	run(&c, &s, &qc, &qs);
	CHECK(keys_agree(&c, &s));
	CHECK(srtp_works(&c, &s));
	teardown(&c, &s);

	/* A piece claiming another total length spoils nothing else. */
	setup(&c, &s, fp, fp);
	dtls_session_start(s.s);
	dtls_session_start(c.s);
	fragment_client_hello(&qc, 2);
	qc.dg[0][13 + 3] ^= 0x01;	/* message length of one piece */
	run(&c, &s, &qc, &qs);
	/* Retransmission brings a whole, unfragmented hello: it works. */
	CHECK(keys_agree(&c, &s));
	teardown(&c, &s);
}

static void
garbage(struct end *e, unsigned int seed)
{
	uint8_t		 buf[600];
	size_t		 len, i;
	int		 k;

	srandom(seed);
	for (k = 0; k < 300; k++) {
		len = random() % sizeof(buf);
		for (i = 0; i < len; i++)
			buf[i] = random();
		/* Mostly things that look like DTLS records. */
		if (len > 0 && (k % 4) != 0)
			buf[0] = 20 + random() % 44;
		if (len > 2 && (k % 2) == 0) {
			buf[1] = 0xfe;
			buf[2] = 0xfd;
		}
		dtls_session_input(e->s, buf, len);
	}
}

static void
test_garbage(const char *fp)
{
	struct end	 c, s;
	uint8_t		 copy[DGMAX];
	size_t		 len, cut;

	/* Into fresh sessions of both roles: no crash, whatever happens. */
	setup(&c, &s, fp, fp);
	garbage(&s, 1);
	dtls_session_start(c.s);
	garbage(&c, 2);
	teardown(&c, &s);

	/* Truncated copies of a real ClientHello. */
	setup(&c, &s, fp, fp);
	dtls_session_start(c.s);
	CHECK(qc.n == 1);
	len = qc.len[0];
	memcpy(copy, qc.dg[0], len);
	for (cut = 0; cut < len; cut++)
		dtls_session_input(s.s, copy, cut);
	/* The server shrugged them off and still accepts the real one. */
	CHECK(s.state == DTLS_STATE_HANDSHAKE);
	run(&c, &s, &qc, &qs);
	CHECK(keys_agree(&c, &s));
	teardown(&c, &s);

	/* Random records before the ClientHello do not stop the handshake. */
	setup(&c, &s, fp, fp);
	garbage(&s, 5);
	CHECK(s.state == DTLS_STATE_HANDSHAKE);
	dtls_session_start(c.s);
	run(&c, &s, &qc, &qs);
	CHECK(keys_agree(&c, &s));
	teardown(&c, &s);

	/* Into connected sessions: they stay connected. */
	setup(&c, &s, fp, fp);
	dtls_session_start(s.s);
	dtls_session_start(c.s);
	run(&c, &s, &qc, &qs);
	CHECK(keys_agree(&c, &s));
	garbage(&c, 3);
	garbage(&s, 4);
	CHECK(c.state == DTLS_STATE_CONNECTED && s.state == DTLS_STATE_CONNECTED);
	CHECK(c.nkeys == 1 && s.nkeys == 1);
	teardown(&c, &s);
}

int
main(void)
{
	const char	*fp;

	log_init(1, getenv("VERBOSE") != NULL, 0);
	if (dtls_init() == -1) {
		fprintf(stderr, "dtls_init failed\n");
		return (1);
	}
	CHECK(dtls_init() == 0);	/* idempotent */
	fp = dtls_local_fingerprint();
	CHECK(fp != NULL);
	test_fingerprint_format(fp);
	test_roles();
	test_handshake(fp);
	test_loss(fp);
	test_wrong_fingerprint(fp);
	test_garbage(fp);
	test_fragmented_hello(fp);
	if (failures > 0) {
		fprintf(stderr, "%d failures\n", failures);
		return (1);
	}
	return (0);
}
