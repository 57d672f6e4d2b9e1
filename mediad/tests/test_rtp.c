/*
 * RTP, RTCP, demultiplexing and RFC 4733 unit tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rtp.h"

static int	 failures;

static void
test_classify(void)
{
	uint8_t	 b[2];
	int	 i;

	for (i = 0; i < 256; i++) {
		b[0] = i;
		b[1] = 0;
		if (i <= 3)
			CHECK(pkt_classify(b, 2) == PKT_STUN);
		else if (i >= 20 && i <= 63)
			CHECK(pkt_classify(b, 2) == PKT_DTLS);
		else if (i >= 128 && i <= 191)
			CHECK(pkt_classify(b, 2) == PKT_RTP);
		else if (i >= 64 && i <= 79)
			CHECK(pkt_classify(b, 2) == PKT_TURN_CHANNEL);
		else if (i >= 16 && i <= 19)
			CHECK(pkt_classify(b, 2) == PKT_ZRTP);
		else
			CHECK(pkt_classify(b, 2) == PKT_UNKNOWN);
	}
	b[0] = 0x80;
	for (i = 0; i < 256; i++) {
		b[1] = i;
		CHECK(pkt_classify(b, 2) == ((i >= 192 && i <= 223) ?
		    PKT_RTCP : PKT_RTP));
	}
	CHECK(pkt_classify(b, 0) == PKT_UNKNOWN);
	CHECK(pkt_classify(b, 1) == PKT_UNKNOWN);
}

static void
test_rtp(void)
{
	static const uint8_t	 csrc[8] = { 0, 0, 0, 1, 0, 0, 0, 2 };
	static const uint8_t	 ext[4] = { 0x10, 0xaa, 0, 0 };
	struct rtp_hdr		 h, p;
	uint8_t			 buf[256];
	size_t			 n, i;

	memset(&h, 0, sizeof(h));
	h.marker = 1;
	h.pt = 8;
	h.seq = 0xfffe;
	h.ts = 0x12345678;
	h.ssrc = 0xdeadbeef;
	h.cc = 2;
	h.csrc = csrc;
	h.has_ext = 1;
	h.ext_profile = 0xbede;
	h.ext = ext;
	h.extlen = sizeof(ext);
	n = rtp_write_header(buf, sizeof(buf), &h);
	CHECK(n == 12 + 8 + 4 + 4);
	/* Wire bytes, as RFC 3550 lays them out. */
	CHECK(buf[0] == 0x92 && buf[1] == 0x88);
	CHECK(buf[2] == 0xff && buf[3] == 0xfe);
	CHECK(buf[8] == 0xde && buf[11] == 0xef);
	CHECK(buf[20] == 0xbe && buf[21] == 0xde && buf[23] == 1);
	for (i = 0; i < 160; i++)
		buf[n + i] = (uint8_t)i;
	CHECK(rtp_parse(buf, n + 160, &p) == 0);
	CHECK(p.marker == 1 && p.pt == 8 && p.seq == 0xfffe);
	CHECK(p.ts == 0x12345678 && p.ssrc == 0xdeadbeef && p.cc == 2);
	CHECK(get32(p.csrc + 4) == 2);
	CHECK(p.has_ext && p.ext_profile == 0xbede && p.extlen == 4);
	CHECK(memcmp(p.ext, ext, 4) == 0);
	CHECK(p.hdrlen == n && p.paylen == 160 && p.payload[159] == 159);

	/* Too short for the declared CSRCs or extension. */
	CHECK(rtp_parse(buf, 19, &p) == -1);
	CHECK(rtp_parse(buf, 27, &p) == -1);
	CHECK(rtp_parse(buf, 11, &p) == -1);
	/* Wrong version. */
	buf[0] = (buf[0] & 0x3f) | 0x40;
	CHECK(rtp_parse(buf, n + 160, &p) == -1);
	buf[0] = (buf[0] & 0x3f) | 0x80;

	/* Padding: 4 bytes, then a count larger than the payload, then 0. */
	buf[0] |= 0x20;
	buf[n + 159] = 4;
	CHECK(rtp_parse(buf, n + 160, &p) == 0 && p.padlen == 4 &&
	    p.paylen == 156);
	buf[n + 159] = 161;
	CHECK(rtp_parse(buf, n + 160, &p) == -1);
	buf[n + 159] = 160;
	CHECK(rtp_parse(buf, n + 160, &p) == 0 && p.paylen == 0);
	buf[n + 159] = 0;
	CHECK(rtp_parse(buf, n + 160, &p) == -1);

	/* Builder refuses what it cannot express. */
	h.cc = 16;
	CHECK(rtp_write_header(buf, sizeof(buf), &h) == 0);
	h.cc = 0;
	h.extlen = 3;
	CHECK(rtp_write_header(buf, sizeof(buf), &h) == 0);
	h.has_ext = 0;
	h.extlen = 0;
	CHECK(rtp_write_header(buf, 11, &h) == 0);
	CHECK(rtp_write_header(buf, 12, &h) == 12);
}

struct walk_seen {
	int		 n;
	uint8_t		 pts[8];
	uint32_t	 sr_ssrc;
	uint64_t	 ntp;
	uint32_t	 octets;
	struct rtcp_report rb;
	char		 cname[64];
	char		 reason[32];
	char		 app[5];
	size_t		 appdatalen;
};

static void
sdes_item(uint32_t ssrc, uint8_t type, const uint8_t *t, size_t len,
    void *arg)
{
	struct walk_seen	*s = arg;

	if (type == RTCP_SDES_CNAME && len < sizeof(s->cname)) {
		memcpy(s->cname, t, len);
		s->cname[len] = '\0';
	}
}

static int
walk_one(const struct rtcp_pkt *p, void *arg)
{
	struct walk_seen	*s = arg;

	if (s->n < 8)
		s->pts[s->n] = p->pt;
	s->n++;
	switch (p->pt) {
	case RTCP_SR:
		s->sr_ssrc = p->ssrc;
		s->ntp = p->ntp;
		s->octets = p->octets;
		if (p->count > 0)
			rtcp_report_get(p, 0, &s->rb);
		break;
	case RTCP_SDES:
		rtcp_sdes_walk(p, sdes_item, s);
		break;
	case RTCP_BYE:
		if (p->reason != NULL && p->reasonlen < sizeof(s->reason)) {
			memcpy(s->reason, p->reason, p->reasonlen);
			s->reason[p->reasonlen] = '\0';
		}
		break;
	case RTCP_APP:
		memcpy(s->app, p->name, 5);
		s->appdatalen = p->appdatalen;
		break;
	}
	return (0);
}

static int
walk_stop(const struct rtcp_pkt *p, void *arg)
{
	(*(int *)arg)++;
	return (7);
}

static void
test_rtcp(void)
{
	struct walk_seen	 s;
	struct rtcp_report	 rb;
	uint8_t			 buf[512], *b;
	size_t			 len, n;
	int			 calls;

	/* SR with one report block. */
	b = buf;
	memset(buf, 0, sizeof(buf));
	b[0] = 0x81;
	b[1] = RTCP_SR;
	put16(b + 2, (28 + 24) / 4 - 1);
	put32(b + 4, 0x11223344);
	put32(b + 8, 0xe0000001);
	put32(b + 12, 0x80000000);
	put32(b + 16, 1000);
	put32(b + 20, 50);
	put32(b + 24, 8000);
	put32(b + 28, 0xcafebabe);
	b[32] = 25;
	b[33] = 0xff;	/* lost = -2 */
	b[34] = 0xff;
	b[35] = 0xfe;
	put32(b + 40, 77);
	len = 52;
	/* SDES CNAME from the builder. */
	n = rtcp_write_sdes_cname(buf + len, sizeof(buf) - len, 0x11223344,
	    "bridge@example");
	CHECK(n == 28 && (n % 4) == 0);
	len += n;
	/* BYE with a reason. */
	b = buf + len;
	b[0] = 0x81;
	b[1] = RTCP_BYE;
	put16(b + 2, 3);
	put32(b + 4, 0x11223344);
	b[8] = 6;
	memcpy(b + 9, "hangup", 6);
	len += 16;
	/* APP "KBRG" with 4 bytes of data. */
	b = buf + len;
	b[0] = 0x80;
	b[1] = RTCP_APP;
	put16(b + 2, 3);
	put32(b + 4, 0x11223344);
	memcpy(b + 8, "KBRG", 4);
	len += 16;

	memset(&s, 0, sizeof(s));
	CHECK(rtcp_walk(buf, len, walk_one, &s) == 0);
	CHECK(s.n == 4);
	CHECK(s.pts[0] == RTCP_SR && s.pts[1] == RTCP_SDES &&
	    s.pts[2] == RTCP_BYE && s.pts[3] == RTCP_APP);
	CHECK(s.sr_ssrc == 0x11223344 && s.octets == 8000);
	CHECK(s.ntp == 0xe000000180000000ULL);
	CHECK(s.rb.ssrc == 0xcafebabe && s.rb.fraction == 25 &&
	    s.rb.lost == -2 && s.rb.jitter == 77);
	CHECK(strcmp(s.cname, "bridge@example") == 0);
	CHECK(strcmp(s.reason, "hangup") == 0);
	CHECK(strcmp(s.app, "KBRG") == 0 && s.appdatalen == 4);

	/* A callback's non-zero return stops the walk. */
	calls = 0;
	CHECK(rtcp_walk(buf, len, walk_stop, &calls) == 7 && calls == 1);

	/* Every truncation except at a packet boundary breaks the compound. */
	for (n = 1; n < len; n++) {
		calls = 0;
		if (n == 52 || n == 80 || n == 96)
			CHECK(rtcp_walk(buf, n, walk_stop, &calls) == 7);
		else
			CHECK(rtcp_walk(buf, n, walk_stop, &calls) == -1 &&
			    calls == 0);
	}
	/* A length field pointing past the end. */
	put16(buf + 2, 100);
	calls = 0;
	CHECK(rtcp_walk(buf, len, walk_stop, &calls) == -1 && calls == 0);
	put16(buf + 2, (28 + 24) / 4 - 1);
	/* Report count larger than the packet. */
	buf[0] = 0x82;
	CHECK(rtcp_walk(buf, len, NULL, NULL) == -1);
	buf[0] = 0x81;
	/* Padding bit on a packet that is not the last. */
	buf[0] |= 0x20;
	CHECK(rtcp_walk(buf, len, NULL, NULL) == -1);
	buf[0] = 0x81;
	CHECK(rtcp_walk(buf, len, NULL, NULL) == 0);
	/* SDES item length running past its packet. */
	buf[52 + 9] = 200;
	CHECK(rtcp_walk(buf, len, NULL, NULL) == -1);
	buf[52 + 9] = 14;

	/* RR builder round trip. */
	memset(&rb, 0, sizeof(rb));
	rb.ssrc = 0x01020304;
	rb.fraction = 3;
	rb.lost = 70000;
	rb.highest_seq = 0x10005;
	rb.dlsr = 9;
	n = rtcp_write_rr(buf, sizeof(buf), 0xaabbccdd, &rb, 1);
	CHECK(n == 32);
	memset(&s, 0, sizeof(s));
	CHECK(rtcp_walk(buf, n, walk_one, &s) == 0 && s.n == 1 &&
	    s.pts[0] == RTCP_RR);
	{
		struct rtcp_pkt	 p;

		memset(&p, 0, sizeof(p));
		p.pt = RTCP_RR;
		p.count = 1;
		p.reports = buf + 8;
		CHECK(rtcp_report_get(&p, 0, &rb) == 0);
		CHECK(rb.ssrc == 0x01020304 && rb.fraction == 3 &&
		    rb.lost == 70000 && rb.highest_seq == 0x10005 &&
		    rb.dlsr == 9);
		CHECK(rtcp_report_get(&p, 1, &rb) == -1);
	}
	CHECK(rtcp_write_rr(buf, 31, 1, &rb, 1) == 0);

	/* SR builder round trip, through the walker. */
	n = rtcp_write_sr(buf, sizeof(buf), 0x55667788, 0xe1234567abcdef01ULL,
	    160000, 1000, 160000, &rb, 1);
	CHECK(n == 52);
	memset(&s, 0, sizeof(s));
	CHECK(rtcp_walk(buf, n, walk_one, &s) == 0 && s.n == 1 &&
	    s.pts[0] == RTCP_SR);
	CHECK(s.sr_ssrc == 0x55667788 && s.ntp == 0xe1234567abcdef01ULL &&
	    s.octets == 160000 && s.rb.ssrc == 0x01020304 &&
	    s.rb.lost == 70000);
	CHECK(rtcp_write_sr(buf, 51, 1, 0, 0, 0, 0, &rb, 1) == 0);
}

static void
test_dtmf(void)
{
	/* '5', end bit, volume 10, duration 1280 */
	static const uint8_t	 wire[4] = { 0x05, 0x8a, 0x05, 0x00 };
	struct rtp_dtmf		 d;
	uint8_t			 buf[4];

	CHECK(rtp_dtmf_parse(wire, 4, &d) == 0);
	CHECK(d.event == 5 && d.end == 1 && d.volume == 10 &&
	    d.duration == 1280);
	CHECK(rtp_dtmf_parse(wire, 3, &d) == -1);
	CHECK(rtp_dtmf_write(buf, sizeof(buf), &d) == 4);
	CHECK(memcmp(buf, wire, 4) == 0);
	d.volume = 64;
	CHECK(rtp_dtmf_write(buf, sizeof(buf), &d) == 0);
	CHECK(rtp_dtmf_char(5) == '5' && rtp_dtmf_char(10) == '*' &&
	    rtp_dtmf_char(11) == '#' && rtp_dtmf_char(15) == 'D' &&
	    rtp_dtmf_char(16) == -1);
	CHECK(rtp_dtmf_event('#') == 11 && rtp_dtmf_event('a') == 12 &&
	    rtp_dtmf_event('x') == -1 && rtp_dtmf_event('\0') == -1);
}

int
main(void)
{
	test_classify();
	test_rtp();
	test_rtcp();
	test_dtmf();
	if (failures > 0) {
		fprintf(stderr, "%d failures\n", failures);
		return (1);
	}
	return (0);
}
