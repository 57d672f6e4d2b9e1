/*
 * IPC codec and framing tests: every message type round-trips, and
 * truncated, oversized, misdirected and garbage frames are refused
 * without harm.  Descriptor passing is exercised on a real socketpair.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"

static int	failures, checks;

#define CHECK(cond, ...) do {						\
	checks++;							\
	if (!(cond)) {							\
		failures++;						\
		fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);	\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
	}								\
} while (0)

static void
pair(struct ipc_conn *tx, struct ipc_conn *rx, enum kb_proc from,
    enum kb_proc to)
{
	int	 sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == -1)
		err(1, "socketpair");
	ipc_init(tx, sv[0], from, to);
	ipc_init(rx, sv[1], to, from);
}

/* Sends whatever tx has queued and receives one frame on rx. */
static int
transfer(struct ipc_conn *tx, struct ipc_conn *rx, struct ipc_msg *m)
{
	int	 rv;

	if (ipc_flush(tx) != 0)
		return (-2);
	for (;;) {
		if ((rv = ipc_next(rx, m)) != 0)
			return (rv);
		if (ipc_fill(rx) <= 0)
			return (-3);
	}
}

static int
lowest_bit(uint32_t mask)
{
	int	 i;

	for (i = 0; i < PROC_MAX; i++)
		if (mask & PROC_BIT(i))
			return (i);
	return (-1);
}

static uint32_t
rnd32(void)
{
	return (arc4random());
}

static void
rndstr(char *buf, size_t size)
{
	size_t	 n, i;

	n = arc4random_uniform(size);
	for (i = 0; i < n; i++)
		buf[i] = 1 + arc4random_uniform(255);
	buf[n] = '\0';
}

/*
 * Round trip of one message type: values chosen at random, packed by
 * ipc_send() with the table's format, unpacked and compared.  Each format
 * in the table needs a case here, so a new format cannot go untested.
 */
static void
roundtrip(uint16_t type)
{
	const struct ipc_type	*t = ipc_type(type);
	struct ipc_conn		 tx, rx;
	struct ipc_msg		 m;
	struct sockaddr_in6	 sin6;
	struct sockaddr_storage	 ss;
	char			 s1[300], s2[300], s3[300];
	const char		*o1, *o2, *o3;
	const void		*blob;
	size_t			 blen;
	uint64_t		 q, oq;
	uint32_t		 d1, d2, od1, od2;
	uint8_t			 b, ob;
	uint64_t		 call = ((uint64_t)rnd32() << 32) | rnd32();
	int			 fd = -1, p[2] = { -1, -1 }, rv = -1;

	pair(&tx, &rx, lowest_bit(t->from), lowest_bit(t->to));
	if (t->fd) {
		if (pipe(p) == -1)
			err(1, "pipe");
		fd = p[1];
	}
	rndstr(s1, sizeof(s1));
	rndstr(s2, sizeof(s2));
	rndstr(s3, sizeof(s3));
	d1 = rnd32();
	d2 = rnd32();
	b = rnd32();
	q = ((uint64_t)rnd32() << 32) | rnd32();
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(5060);
	arc4random_buf(&sin6.sin6_addr, sizeof(sin6.sin6_addr));

	if (strcmp(t->fmt, "") == 0)
		rv = ipc_send(&tx, type, call, fd);
	else if (strcmp(t->fmt, "b") == 0)
		rv = ipc_send(&tx, type, call, fd, b);
	else if (strcmp(t->fmt, "d") == 0)
		rv = ipc_send(&tx, type, call, fd, d1);
	else if (strcmp(t->fmt, "ds") == 0)
		rv = ipc_send(&tx, type, call, fd, d1, s1);
	else if (strcmp(t->fmt, "dd") == 0)
		rv = ipc_send(&tx, type, call, fd, d1, d2);
	else if (strcmp(t->fmt, "q") == 0)
		rv = ipc_send(&tx, type, call, fd, q);
	else if (strcmp(t->fmt, "ss") == 0)
		rv = ipc_send(&tx, type, call, fd, s1, s2);
	else if (strcmp(t->fmt, "qssssqqss") == 0)
		rv = ipc_send(&tx, type, call, fd, q, s1, s2, s3, s1, q + 1,
		    q + 2, s2, s3);
	else if (strcmp(t->fmt, "sssssqq") == 0)
		rv = ipc_send(&tx, type, call, fd, s1, s2, s3, s1, s2, q,
		    q + 1);
	else if (strcmp(t->fmt, "s") == 0)
		rv = ipc_send(&tx, type, call, fd, s1);
	else if (strcmp(t->fmt, "sss") == 0)
		rv = ipc_send(&tx, type, call, fd, s1, s2, s3);
	else if (strcmp(t->fmt, "ssd") == 0)
		rv = ipc_send(&tx, type, call, fd, s1, s2, d1);
	else if (strcmp(t->fmt, "bd") == 0)
		rv = ipc_send(&tx, type, call, fd, b, d1);
	else if (strcmp(t->fmt, "x") == 0)
		rv = ipc_send(&tx, type, call, fd, s1, strlen(s1));
	else if (strcmp(t->fmt, "xss") == 0)
		rv = ipc_send(&tx, type, call, fd, s1, strlen(s1), s2, s3);
	else if (strcmp(t->fmt, "dbsssssssss") == 0)
		rv = ipc_send(&tx, type, call, fd, d1, b, s1, s2, s3, s1, s2,
		    s3, s1, s2, s3);
	else if (strcmp(t->fmt, "bsssssss") == 0)
		rv = ipc_send(&tx, type, call, fd, b, s1, s2, s3, s1, s2,
		    s3, s1);
	else if (strcmp(t->fmt, "dss") == 0)
		rv = ipc_send(&tx, type, call, fd, d1, s1, s2);
	else if (strcmp(t->fmt, "dds") == 0)
		rv = ipc_send(&tx, type, call, fd, d1, d2, s1);
	else if (strcmp(t->fmt, "dA") == 0)
		rv = ipc_send(&tx, type, call, fd, d1,
		    (struct sockaddr *)&sin6);
	else if (strcmp(t->fmt, "sdsqdss") == 0)
		rv = ipc_send(&tx, type, call, fd, s1, d1, s2, q, d2, s3, s1);
	else if (strcmp(t->fmt, "bb") == 0)
		rv = ipc_send(&tx, type, call, fd, b, d1 & 0xff);
	else if (strcmp(t->fmt, "qsqqqqddddddss") == 0)
		rv = ipc_send(&tx, type, call, fd, q, s1, q + 1, q + 2, q + 3,
		    q + 4, d1, d2, d1 + 1, d2 + 1, d1 + 2, d2 + 2, s2, s3);
	else if (strcmp(t->fmt, "bbs") == 0)
		rv = ipc_send(&tx, type, call, fd, b, d1 & 0xff, s1);
	else {
		CHECK(0, "%s: format \"%s\" has no round-trip case", t->name,
		    t->fmt);
		goto done;
	}
	CHECK(rv == 0, "%s: send: %s", t->name, ipc_strerror(&tx));
	rv = transfer(&tx, &rx, &m);
	CHECK(rv == 1, "%s: receive %d: %s", t->name, rv, ipc_strerror(&rx));
	if (rv != 1)
		goto done;
	CHECK(m.hdr.type == type && m.hdr.call == call, "%s: header",
	    t->name);
	CHECK((m.fd != -1) == t->fd, "%s: descriptor", t->name);

	if (strcmp(t->fmt, "b") == 0) {
		rv = ipc_unpack(&m, &ob);
		CHECK(rv == 0 && ob == b, "%s: values", t->name);
	} else if (strcmp(t->fmt, "d") == 0) {
		rv = ipc_unpack(&m, &od1);
		CHECK(rv == 0 && od1 == d1, "%s: values", t->name);
	} else if (strcmp(t->fmt, "ds") == 0) {
		rv = ipc_unpack(&m, &od1, &o1);
		CHECK(rv == 0 && od1 == d1 && strcmp(o1, s1) == 0,
		    "%s: values", t->name);
	} else if (strcmp(t->fmt, "bsssssss") == 0) {
		const char *o[7];
		rv = ipc_unpack(&m, &ob, &o[0], &o[1], &o[2], &o[3], &o[4],
		    &o[5], &o[6]);
		CHECK(rv == 0 && ob == b && strcmp(o[0], s1) == 0 &&
		    strcmp(o[2], s3) == 0 && strcmp(o[6], s1) == 0,
		    "%s: values", t->name);
	} else if (strcmp(t->fmt, "dss") == 0) {
		rv = ipc_unpack(&m, &od1, &o1, &o2);
		CHECK(rv == 0 && od1 == d1 && strcmp(o1, s1) == 0 &&
		    strcmp(o2, s2) == 0, "%s: values", t->name);
	} else if (strcmp(t->fmt, "dd") == 0) {
		rv = ipc_unpack(&m, &od1, &od2);
		CHECK(rv == 0 && od1 == d1 && od2 == d2, "%s: values", t->name);
	} else if (strcmp(t->fmt, "q") == 0) {
		rv = ipc_unpack(&m, &oq);
		CHECK(rv == 0 && oq == q, "%s: values", t->name);
	} else if (strcmp(t->fmt, "ss") == 0) {
		rv = ipc_unpack(&m, &o1, &o2);
		CHECK(rv == 0 && strcmp(o1, s1) == 0 && strcmp(o2, s2) == 0,
		    "%s: values", t->name);
	} else if (strcmp(t->fmt, "qssssqqss") == 0) {
		const char *o[7];
		uint64_t oq2, oq3;
		rv = ipc_unpack(&m, &oq, &o[0], &o[1], &o[2], &o[3], &oq2,
		    &oq3, &o[4], &o[5]);
		CHECK(rv == 0 && oq == q && strcmp(o[0], s1) == 0 &&
		    strcmp(o[3], s1) == 0 && oq2 == q + 1 && oq3 == q + 2 &&
		    strcmp(o[5], s3) == 0, "%s: values", t->name);
	} else if (strcmp(t->fmt, "sssssqq") == 0) {
		const char *o[5];
		uint64_t oq2;
		rv = ipc_unpack(&m, &o[0], &o[1], &o[2], &o[3], &o[4], &oq,
		    &oq2);
		CHECK(rv == 0 && strcmp(o[0], s1) == 0 &&
		    strcmp(o[4], s2) == 0 && oq == q && oq2 == q + 1,
		    "%s: values", t->name);
	} else if (strcmp(t->fmt, "s") == 0) {
		rv = ipc_unpack(&m, &o1);
		CHECK(rv == 0 && strcmp(o1, s1) == 0, "%s: values", t->name);
	} else if (strcmp(t->fmt, "sss") == 0) {
		rv = ipc_unpack(&m, &o1, &o2, &o3);
		CHECK(rv == 0 && strcmp(o1, s1) == 0 && strcmp(o2, s2) == 0 &&
		    strcmp(o3, s3) == 0, "%s: values", t->name);
	} else if (strcmp(t->fmt, "ssd") == 0) {
		rv = ipc_unpack(&m, &o1, &o2, &od1);
		CHECK(rv == 0 && strcmp(o1, s1) == 0 && strcmp(o2, s2) == 0 &&
		    od1 == d1, "%s: values", t->name);
	} else if (strcmp(t->fmt, "bd") == 0) {
		rv = ipc_unpack(&m, &ob, &od1);
		CHECK(rv == 0 && ob == b && od1 == d1, "%s: values", t->name);
	} else if (strcmp(t->fmt, "x") == 0) {
		rv = ipc_unpack(&m, &blob, &blen);
		CHECK(rv == 0 && blen == strlen(s1) &&
		    memcmp(blob, s1, blen) == 0, "%s: values", t->name);
	} else if (strcmp(t->fmt, "xss") == 0) {
		rv = ipc_unpack(&m, &blob, &blen, &o2, &o3);
		CHECK(rv == 0 && blen == strlen(s1) &&
		    memcmp(blob, s1, blen) == 0 && strcmp(o2, s2) == 0 &&
		    strcmp(o3, s3) == 0, "%s: values", t->name);
	} else if (strcmp(t->fmt, "dbsssssssss") == 0) {
		const char *o[9];
		rv = ipc_unpack(&m, &od1, &ob, &o[0], &o[1], &o[2], &o[3],
		    &o[4], &o[5], &o[6], &o[7], &o[8]);
		CHECK(rv == 0 && od1 == d1 && ob == b &&
		    strcmp(o[0], s1) == 0 && strcmp(o[4], s2) == 0 &&
		    strcmp(o[8], s3) == 0, "%s: values", t->name);
	} else if (strcmp(t->fmt, "bbs") == 0) {
		uint8_t ob2;
		rv = ipc_unpack(&m, &ob, &ob2, &o1);
		CHECK(rv == 0 && ob == b && ob2 == (d1 & 0xff) &&
		    strcmp(o1, s1) == 0, "%s: values", t->name);
	} else if (strcmp(t->fmt, "dds") == 0) {
		rv = ipc_unpack(&m, &od1, &od2, &o1);
		CHECK(rv == 0 && od1 == d1 && od2 == d2 &&
		    strcmp(o1, s1) == 0, "%s: values", t->name);
	} else if (strcmp(t->fmt, "dA") == 0) {
		rv = ipc_unpack(&m, &od1, &ss);
		CHECK(rv == 0 && od1 == d1 && ss.ss_family == AF_INET6 &&
		    memcmp(&ss, &sin6, sizeof(sin6)) == 0, "%s: values",
		    t->name);
	} else if (strcmp(t->fmt, "sdsqdss") == 0) {
		const char *o4;
		rv = ipc_unpack(&m, &o1, &od1, &o2, &oq, &od2, &o3, &o4);
		CHECK(rv == 0 && strcmp(o1, s1) == 0 && od1 == d1 &&
		    strcmp(o2, s2) == 0 && oq == q && od2 == d2 &&
		    strcmp(o3, s3) == 0 && strcmp(o4, s1) == 0, "%s: values",
		    t->name);
	} else if (strcmp(t->fmt, "bb") == 0) {
		uint8_t ob2;
		rv = ipc_unpack(&m, &ob, &ob2);
		CHECK(rv == 0 && ob == b && ob2 == (d1 & 0xff), "%s: values",
		    t->name);
	} else if (strcmp(t->fmt, "qsqqqqddddddss") == 0) {
		uint64_t oqs[4];
		uint32_t ods[6];
		rv = ipc_unpack(&m, &oq, &o1, &oqs[0], &oqs[1], &oqs[2],
		    &oqs[3], &ods[0], &ods[1], &ods[2], &ods[3], &ods[4],
		    &ods[5], &o2, &o3);
		CHECK(rv == 0 && oq == q && strcmp(o1, s1) == 0 &&
		    oqs[0] == q + 1 && oqs[3] == q + 4 && ods[0] == d1 &&
		    ods[1] == d2 && ods[2] == d1 + 1 && ods[5] == d2 + 2 &&
		    strcmp(o2, s2) == 0 && strcmp(o3, s3) == 0, "%s: values",
		    t->name);
	} else
		CHECK(rv == 1 && m.hdr.len == 0, "%s: empty payload",
		    t->name);
	if (m.fd != -1) {
		/* The received descriptor is the pipe's write end. */
		char c = 'x', r = 0;
		CHECK(write(m.fd, &c, 1) == 1 && read(p[0], &r, 1) == 1 &&
		    r == 'x', "%s: passed descriptor works", t->name);
		close(m.fd);
	}
 done:
	if (p[0] != -1)
		close(p[0]);
	ipc_clear(&tx);
	ipc_clear(&rx);
}

/* Builds one raw frame with an arbitrary header into buf. */
static size_t
rawframe(uint8_t *buf, uint16_t type, uint16_t flags, uint32_t len,
    const void *payload, size_t plen)
{
	struct ipc_hdr	 hdr;

	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.flags = flags;
	hdr.len = len;
	memcpy(buf, &hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), payload, plen);
	return (sizeof(hdr) + plen);
}

static int
feed_one(enum kb_proc self, enum kb_proc peer, const void *buf, size_t len,
    struct ipc_msg *m)
{
	struct ipc_conn	 c;
	int		 rv;

	ipc_init(&c, -1, self, peer);
	ipc_feed(&c, buf, len);
	rv = ipc_next(&c, m);
	if (rv == 1 && m->fd != -1)
		close(m->fd);
	ipc_clear(&c);
	return (rv);
}

static void
bad_frames(void)
{
	uint8_t		 buf[256], payload[64];
	struct ipc_msg	 m;
	size_t		 n, cut;
	uint16_t	 w;
	uint32_t	 d = 7;

	/* A valid frame is accepted: the baseline for the checks below. */
	n = rawframe(buf, IMSG_CFG_ACK, 0, 4, &d, 4);
	CHECK(feed_one(PROC_PARENT, PROC_SIPD, buf, n, &m) == 1,
	    "valid CFG_ACK accepted");

	/* A stream cut anywhere inside a frame waits for more bytes. */
	for (cut = 0; cut < n; cut++)
		CHECK(feed_one(PROC_PARENT, PROC_SIPD, buf, cut, &m) == 0,
		    "partial frame (%zu bytes) waits", cut);

	/* Header length shorter than the format needs. */
	for (cut = 0; cut < 4; cut++) {
		n = rawframe(buf, IMSG_CFG_ACK, 0, cut, &d, cut);
		CHECK(feed_one(PROC_PARENT, PROC_SIPD, buf, n, &m) == -1,
		    "truncated payload (%zu) refused", cut);
	}
	/* Trailing bytes beyond the format. */
	memset(payload, 0, sizeof(payload));
	n = rawframe(buf, IMSG_CFG_ACK, 0, 5, payload, 5);
	CHECK(feed_one(PROC_PARENT, PROC_SIPD, buf, n, &m) == -1,
	    "trailing bytes refused");
	/* Oversized length refused before waiting for the bytes. */
	n = rawframe(buf, IMSG_CFG_ACK, 0, IPC_MAXPAYLOAD + 1, &d, 4);
	CHECK(feed_one(PROC_PARENT, PROC_SIPD, buf, n, &m) == -1,
	    "oversized frame refused");
	n = rawframe(buf, IMSG_CFG_ACK, 0, UINT32_MAX, &d, 4);
	CHECK(feed_one(PROC_PARENT, PROC_SIPD, buf, n, &m) == -1,
	    "length 2^32-1 refused");
	/* Unknown types. */
	n = rawframe(buf, IMSG_MAX, 0, 0, NULL, 0);
	CHECK(feed_one(PROC_PARENT, PROC_SIPD, buf, n, &m) == -1,
	    "unknown type refused");
	n = rawframe(buf, IMSG_NONE, 0, 0, NULL, 0);
	CHECK(feed_one(PROC_PARENT, PROC_SIPD, buf, n, &m) == -1,
	    "type 0 refused");
	/* Wrong direction: a child may not send a config message. */
	n = rawframe(buf, IMSG_CFG_BEGIN, 0, 4, &d, 4);
	CHECK(feed_one(PROC_PARENT, PROC_SIPD, buf, n, &m) == -1,
	    "misdirected frame refused");
	n = rawframe(buf, IMSG_CTL_RELOAD, 0, 0, NULL, 0);
	CHECK(feed_one(PROC_MEDIAD, PROC_SIPD, buf, n, &m) == -1,
	    "control message between children refused");
	/* Unknown flags; descriptor flag without a descriptor. */
	n = rawframe(buf, IMSG_CFG_ACK, 0x8000, 4, &d, 4);
	CHECK(feed_one(PROC_PARENT, PROC_SIPD, buf, n, &m) == -1,
	    "unknown flag refused");
	n = rawframe(buf, IMSG_PEER_FD, IPC_F_FD, 1, "\1", 1);
	CHECK(feed_one(PROC_SIPD, PROC_PARENT, buf, n, &m) == -1,
	    "descriptor flag without descriptor refused");
	n = rawframe(buf, IMSG_PEER_FD, 0, 1, "\1", 1);
	CHECK(feed_one(PROC_SIPD, PROC_PARENT, buf, n, &m) == -1,
	    "descriptor message without flag refused");
	/* Strings: zero length, missing NUL, embedded NUL, overlong. */
	w = 0;
	memcpy(payload, &d, 4);
	memcpy(payload + 4, &w, 2);
	n = rawframe(buf, IMSG_CTL_RESULT, 0, 6, payload, 6);
	CHECK(feed_one(PROC_CTL, PROC_PARENT, buf, n, &m) == -1,
	    "zero-length string refused");
	w = 3;
	memcpy(payload + 4, &w, 2);
	memcpy(payload + 6, "abc", 3);
	n = rawframe(buf, IMSG_CTL_RESULT, 0, 9, payload, 9);
	CHECK(feed_one(PROC_CTL, PROC_PARENT, buf, n, &m) == -1,
	    "unterminated string refused");
	memcpy(payload + 6, "a\0\0", 3);
	n = rawframe(buf, IMSG_CTL_RESULT, 0, 9, payload, 9);
	CHECK(feed_one(PROC_CTL, PROC_PARENT, buf, n, &m) == -1,
	    "embedded NUL refused");
	memcpy(payload + 6, "ab\0", 3);
	n = rawframe(buf, IMSG_CTL_RESULT, 0, 9, payload, 9);
	CHECK(feed_one(PROC_CTL, PROC_PARENT, buf, n, &m) == 1,
	    "well-formed string accepted");
	w = 40;
	memcpy(payload + 4, &w, 2);
	n = rawframe(buf, IMSG_CTL_RESULT, 0, 9, payload, 9);
	CHECK(feed_one(PROC_CTL, PROC_PARENT, buf, n, &m) == -1,
	    "string longer than payload refused");
	/* Addresses: bad length and family. */
	memset(payload, 0, sizeof(payload));
	payload[4] = 16;	/* sockaddr_in length, family left 0 */
	n = rawframe(buf, IMSG_RESOLVE_ADDR, 0, 21, payload, 21);
	CHECK(feed_one(PROC_SIPD, PROC_PARENT, buf, n, &m) == -1,
	    "address of unknown family refused");
}

static void
garbage(void)
{
	uint8_t		 buf[512];
	struct ipc_conn	 c;
	struct ipc_msg	 m;
	int		 i, rv, self, peer;

	for (i = 0; i < 20000; i++) {
		arc4random_buf(buf, sizeof(buf));
		/* Keep some frames plausible so deeper checks are reached. */
		if (i % 2) {
			buf[0] = arc4random_uniform(IMSG_MAX + 2);
			buf[1] = 0;
			buf[2] = buf[3] = 0;
			buf[4] = arc4random_uniform(64);
			buf[5] = buf[6] = buf[7] = 0;
		}
		self = arc4random_uniform(PROC_MAX);
		peer = arc4random_uniform(PROC_MAX);
		ipc_init(&c, -1, self, peer);
		ipc_feed(&c, buf, arc4random_uniform(sizeof(buf)));
		while ((rv = ipc_next(&c, &m)) == 1)
			;
		ipc_clear(&c);
	}
	CHECK(1, "garbage survived");
}

/* Many frames queued at once arrive complete and in order. */
static void
stream(void)
{
	struct ipc_conn	 tx, rx;
	struct ipc_msg	 m;
	char		 big[8192];
	const char	*s;
	uint32_t	 i, d, n = 800, got = 0;
	int		 rv, fl, bad = 0, sent = 0;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	pair(&tx, &rx, PROC_PARENT, PROC_CTL);
	for (i = 0; i < n; i++)
		if (ipc_send(&tx, IMSG_CTL_RESULT, i, -1, i,
		    big + (i % 8000)) == 0)
			sent++;
	CHECK(sent == (int)n, "stream: %d of %u frames queued", sent, n);
	while (got < (uint32_t)sent) {
		if ((fl = ipc_flush(&tx)) == -1)
			break;
		if (ipc_fill(&rx) <= 0 && (errno != EAGAIN || fl == 0))
			break;
		while ((rv = ipc_next(&rx, &m)) == 1) {
			if (ipc_unpack(&m, &d, &s) == -1 || d != got ||
			    m.hdr.call != got ||
			    strlen(s) != sizeof(big) - 1 - got % 8000)
				bad++;
			got++;
		}
		if (rv == -1)
			break;
	}
	CHECK(got == n && bad == 0, "stream: %u of %u frames, %d bad", got,
	    n, bad);
	ipc_clear(&tx);
	ipc_clear(&rx);
}

int
main(void)
{
	uint16_t	 type;
	int		 ntypes = 0;

	for (type = 0; type < IMSG_MAX; type++) {
		if (ipc_type(type) == NULL) {
			CHECK(type == IMSG_NONE, "type %u missing from table",
			    type);
			continue;
		}
		roundtrip(type);
		ntypes++;
	}
	CHECK(ntypes == IMSG_MAX - 1, "table covers every type");
	/* Kandy's hold goes one way only: kandyd tells sipd. */
	CHECK(ipc_type(IMSG_CALL_HOLD) != NULL &&
	    strcmp(ipc_type(IMSG_CALL_HOLD)->fmt, "b") == 0 &&
	    ipc_type(IMSG_CALL_HOLD)->from == PROC_BIT(PROC_KANDYD) &&
	    ipc_type(IMSG_CALL_HOLD)->to == PROC_BIT(PROC_SIPD),
	    "CALL_HOLD: b, kandyd to sipd");
	bad_frames();
	garbage();
	stream();
	printf("%d checks, %d failed\n", checks, failures);
	return (failures != 0);
}
