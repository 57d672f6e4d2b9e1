/*
 * Receiver statistics (loss, wrap, jitter, LSR/DLSR, stray jumps) and
 * output stream continuity across source changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rtp.h"
#include "rtpseq.h"
#include "rtpstat.h"

static int	 failures;

static struct rtp_hdr
hdr(uint16_t seq, uint32_t ts)
{
	struct rtp_hdr	 h;

	memset(&h, 0, sizeof(h));
	h.seq = seq;
	h.ts = ts;
	h.ssrc = 0x1234;
	h.paylen = 160;
	return (h);
}

static void
test_loss_and_wrap(void)
{
	struct rtp_recv_stats	 s;
	struct rtcp_report	 r;
	struct rtp_hdr		 h;
	uint64_t		 t = 1000000;
	uint32_t		 i;
	uint16_t		 seq;

	rtp_stats_init(&s, 0x1234, 8000);
	/* 200 packets across the wrap, every 20th lost. */
	for (i = 0, seq = 65436; i < 200; i++, seq++, t += 20000) {
		if (i % 20 == 10)
			continue;
		h = hdr(seq, i * 160);
		CHECK(rtp_stats_update(&s, &h, t) == 0);
	}
	CHECK(rtp_stats_ext_max(&s) == 65536 + 99);
	CHECK(rtp_stats_lost(&s) == 10);
	CHECK(s.bytes == 190 * 160);
	/* Perfectly paced: no jitter. */
	CHECK(rtp_stats_jitter(&s) == 0);
	rtp_stats_report(&s, t, &r);
	CHECK(r.ssrc == 0x1234 && r.lost == 10 &&
	    r.highest_seq == 65536 + 99);
	CHECK(r.fraction == (10 * 256) / 200);
	CHECK(r.lsr == 0 && r.dlsr == 0);

	/* Next interval without loss: fraction 0, cumulative stays. */
	for (i = 200; i < 300; i++, seq++, t += 20000) {
		h = hdr(seq, i * 160);
		rtp_stats_update(&s, &h, t);
	}
	rtp_stats_report(&s, t, &r);
	CHECK(r.fraction == 0 && r.lost == 10);

	/* A duplicate makes the cumulative count go down (RFC 3550 6.4.1). */
	h = hdr(seq - 1, (i - 1) * 160);
	CHECK(rtp_stats_update(&s, &h, t) == 0);
	CHECK(rtp_stats_lost(&s) == 9);
	/* Reordering inside the window is not a jump. */
	h = hdr(seq - 50, (i - 50) * 160);
	CHECK(rtp_stats_update(&s, &h, t) == 0);
	CHECK(rtp_stats_ext_max(&s) == 65536 + 199);
}

static void
test_jumps(void)
{
	struct rtp_recv_stats	 s;
	struct rtp_hdr		 h;
	uint64_t		 t = 0;
	int			 i;

	rtp_stats_init(&s, 1, 8000);
	for (i = 0; i < 10; i++) {
		h = hdr(100 + i, i * 160);
		rtp_stats_update(&s, &h, t += 20000);
	}
	/* One stray packet far away is not believed. */
	h = hdr(30000, 0);
	CHECK(rtp_stats_update(&s, &h, t += 20000) == -1);
	h = hdr(110, 10 * 160);
	CHECK(rtp_stats_update(&s, &h, t += 20000) == 0);
	CHECK(rtp_stats_ext_max(&s) == 110 && rtp_stats_lost(&s) == 0);
	/* Two in a row are: the sender restarted its sequence. */
	h = hdr(40000, 0);
	CHECK(rtp_stats_update(&s, &h, t += 20000) == -1);
	h = hdr(40001, 160);
	CHECK(rtp_stats_update(&s, &h, t += 20000) == 0);
	CHECK(s.restarts == 1 && rtp_stats_ext_max(&s) == 40001);
	CHECK(rtp_stats_lost(&s) == 0);
}

static void
test_jitter_and_sr(void)
{
	struct rtp_recv_stats	 s;
	struct rtcp_report	 r;
	struct rtp_hdr		 h;
	uint64_t		 t = 5000000;
	uint32_t		 j;
	int			 i;

	rtp_stats_init(&s, 7, 8000);
	/* Every other arrival is 10 ms late: |D| = 80 units each time. */
	for (i = 0; i < 500; i++) {
		h = hdr(i, i * 160);
		rtp_stats_update(&s, &h, t + i * 20000 + (i % 2 ? 10000 : 0));
	}
	j = rtp_stats_jitter(&s);
	CHECK(j >= 76 && j <= 80);

	rtp_stats_sr(&s, 0x83aa7e80a1234567ULL, t + 10000000);
	rtp_stats_report(&s, t + 10000000 + 1500000, &r);
	CHECK(r.lsr == 0x7e80a123);
	/* 1.5 s in 1/65536 s */
	CHECK(r.dlsr == 98304);
	CHECK(r.jitter == j);
}

static uint32_t
get_ts(const uint8_t *p)
{
	return (get32(p + 4));
}

static size_t
packet(uint8_t *buf, uint32_t ssrc, uint16_t seq, uint32_t ts)
{
	struct rtp_hdr	 h;
	size_t		 n;

	memset(&h, 0, sizeof(h));
	h.pt = 0;
	h.ssrc = ssrc;
	h.seq = seq;
	h.ts = ts;
	n = rtp_write_header(buf, 64, &h);
	memset(buf + n, 0xd5, 160);
	return (n + 160);
}

static void
test_seqmap(void)
{
	struct rtp_seqmap	 m;
	uint8_t			 p[256];
	size_t			 n;
	uint64_t		 t = 1000000;
	uint16_t		 expect;
	uint32_t		 ts;
	int			 i;

	rtp_seqmap_init(&m, 0xabcdef01, 8000, 65530, 1000);
	/* First source: output starts where we said, SSRC replaced. */
	for (i = 0; i < 20; i++, t += 20000) {
		n = packet(p, 0x1111, 500 + i, 90000 + i * 160);
		CHECK(rtp_seqmap_apply(&m, p, n, t) == (i == 0));
		CHECK(get16(p + 2) == (uint16_t)(65530 + i));
		CHECK(get_ts(p) == 1000 + (uint32_t)i * 160);
		CHECK(get32(p + 8) == 0xabcdef01);
		CHECK((p[1] & 0x80) == (i == 0 ? 0x80 : 0));
	}
	expect = (uint16_t)(65530 + 20);
	ts = 1000 + 19 * 160;

	/* Hold for 2 s, then a new SSRC with unrelated numbers. */
	t += 2000000 - 20000;
	n = packet(p, 0x2222, 7, 123456789);
	CHECK(rtp_seqmap_apply(&m, p, n, t) == 1);
	CHECK(get16(p + 2) == expect);
	/* The timestamp moved by the 2 s of wall clock. */
	CHECK(get_ts(p) == ts + 16000);
	CHECK(get32(p + 8) == 0xabcdef01 && (p[1] & 0x80));
	ts += 16000;
	for (i = 1; i < 10; i++) {
		t += 20000;
		n = packet(p, 0x2222, 7 + i, 123456789 + i * 160);
		CHECK(rtp_seqmap_apply(&m, p, n, t) == 0);
		CHECK(get16(p + 2) == (uint16_t)(expect + i));
		CHECK(get_ts(p) == ts + (uint32_t)i * 160);
	}
	/* A late packet keeps its place, and does not move the output on. */
	n = packet(p, 0x2222, 7 + 5, 123456789 + 5 * 160);
	CHECK(rtp_seqmap_apply(&m, p, n, t) == 0);
	CHECK(get16(p + 2) == (uint16_t)(expect + 5));
	n = packet(p, 0x2222, 7 + 10, 123456789 + 10 * 160);
	t += 20000;
	CHECK(rtp_seqmap_apply(&m, p, n, t) == 0);
	CHECK(get16(p + 2) == (uint16_t)(expect + 10));

	/* Same SSRC, sequence jumps back by thousands (re-INVITE). */
	t += 20000;
	n = packet(p, 0x2222, 1, 5);
	CHECK(rtp_seqmap_apply(&m, p, n, t) == 1);
	CHECK(get16(p + 2) == (uint16_t)(expect + 11));
	/* Same SSRC, timestamp leaps a minute ahead. */
	t += 20000;
	n = packet(p, 0x2222, 2, 5 + 8000 * 60);
	CHECK(rtp_seqmap_apply(&m, p, n, t) == 1);
	CHECK(get16(p + 2) == (uint16_t)(expect + 12));
	CHECK(m.reanchors == 3);
	/* Packets held back leave no hole; real loss before them stays. */
	t += 20000;
	n = packet(p, 0x2222, 3, 5 + 8000 * 60 + 160);
	CHECK(rtp_seqmap_apply(&m, p, n, t) == 0);
	CHECK(get16(p + 2) == (uint16_t)(expect + 13));
	n = packet(p, 0x2222, 4, 0);
	rtp_seqmap_drop(&m, p, n);		/* dropped */
	n = packet(p, 0x2222, 7, 0);
	rtp_seqmap_drop(&m, p, n);		/* 5, 6 lost; 7 dropped */
	n = packet(p, 0x2222, 8, 5 + 8000 * 60 + 5 * 160);
	CHECK(rtp_seqmap_apply(&m, p, n, t) == 0);
	CHECK(get16(p + 2) == (uint16_t)(expect + 16));
	/* A drop from another source or far away changes nothing. */
	n = packet(p, 0x9999, 9, 0);
	rtp_seqmap_drop(&m, p, n);
	n = packet(p, 0x2222, 9, 5 + 8000 * 60 + 6 * 160);
	CHECK(rtp_seqmap_apply(&m, p, n, t) == 0);
	CHECK(get16(p + 2) == (uint16_t)(expect + 17));
	/* Not RTP: untouched. */
	memset(p, 0, 4);
	CHECK(rtp_seqmap_apply(&m, p, 4, t) == -1);
}

int
main(void)
{
	test_loss_and_wrap();
	test_jumps();
	test_jitter_and_sr();
	test_seqmap();
	if (failures > 0) {
		fprintf(stderr, "%d failures\n", failures);
		return (1);
	}
	return (0);
}
