/*
 * Cost of protecting one 172-byte RTP packet (12-byte header, 160 bytes
 * of G.711): libsrtp2 as Debian builds it, against AES-128-CTR plus
 * HMAC-SHA1 on mbedtls (the RFC 3711 transform in tests/srtp_ref.c).
 * Prints CPU microseconds per packet (median of runs) and the ratio.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rtp.h"
#include "srtp.h"
#include "srtp_ref.h"

#define PKTLEN	172
#define RUNS	7

static double
cpu_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (ts.tv_sec * 1e6 + ts.tv_nsec / 1e3);
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

static size_t
template(uint8_t *buf)
{
	struct rtp_hdr	 h;
	size_t		 n, i;

	memset(&h, 0, sizeof(h));
	h.pt = 8;
	h.ssrc = 0x12345678;
	n = rtp_write_header(buf, 64, &h);
	for (i = n; i < PKTLEN; i++)
		buf[i] = (uint8_t)(i * 31);
	return (PKTLEN);
}

static double
run_libsrtp(struct srtp_pair *p, unsigned int count, uint16_t *seq)
{
	uint8_t		 tmpl[PKTLEN], buf[PKTLEN + SRTP_TRAILER_ROOM];
	size_t		 len;
	unsigned int	 i;
	double		 t0;

	template(tmpl);
	t0 = cpu_us();
	for (i = 0; i < count; i++) {
		memcpy(buf, tmpl, PKTLEN);
		put16(buf + 2, (*seq)++);
		len = PKTLEN;
		if (srtp_pair_protect(p, buf, &len, sizeof(buf)) != 0)
			abort();
	}
	return ((cpu_us() - t0) / count);
}

static double
run_mbedtls(struct srtp_ref *r, unsigned int count, uint16_t *seq)
{
	uint8_t		 tmpl[PKTLEN], buf[PKTLEN + SRTP_TRAILER_ROOM];
	unsigned int	 i;
	double		 t0;

	template(tmpl);
	t0 = cpu_us();
	for (i = 0; i < count; i++) {
		memcpy(buf, tmpl, PKTLEN);
		put16(buf + 2, (*seq)++);
		if (srtp_ref_protect(r, buf, PKTLEN, sizeof(buf)) == 0)
			abort();
	}
	return ((cpu_us() - t0) / count);
}

int
main(int argc, char *argv[])
{
	struct srtp_keymat	 k;
	struct srtp_pair	*p;
	struct srtp_ref		 r;
	double			 ls[RUNS], mb[RUNS];
	unsigned int		 count = 100000, i;
	uint16_t		 seq1 = 0, seq2 = 0;

	if (argc > 1)
		count = strtoul(argv[1], NULL, 10);
	if (count == 0)
		count = 1;
	memset(&k, 0, sizeof(k));
	k.profile = SRTP_PROFILE_AES128_CM_SHA1_80;
	for (i = 0; i < SRTP_KEYMAT_LEN; i++) {
		k.local[i] = i * 7 + 3;
		k.remote[i] = i * 11 + 5;
	}
	srtp_pair_global_init();
	if ((p = srtp_pair_new(&k)) == NULL ||
	    srtp_ref_init(&r, k.local, 10, 0) != 0) {
		fprintf(stderr, "setup failed\n");
		return (1);
	}
	/* Warm up both, then interleave runs so drift hits both alike. */
	run_libsrtp(p, count / 10 + 1, &seq1);
	run_mbedtls(&r, count / 10 + 1, &seq2);
	for (i = 0; i < RUNS; i++) {
		ls[i] = run_libsrtp(p, count, &seq1);
		mb[i] = run_mbedtls(&r, count, &seq2);
	}
	qsort(ls, RUNS, sizeof(double), cmp_double);
	qsort(mb, RUNS, sizeof(double), cmp_double);
	printf("srtp_protect, %d-byte RTP packet, AES_CM_128_HMAC_SHA1_80, "
	    "median of %d runs x %u packets\n", PKTLEN, RUNS, count);
	printf("  libsrtp2:             %.3f us/packet\n", ls[RUNS / 2]);
	printf("  mbedtls AES-CTR+HMAC: %.3f us/packet\n", mb[RUNS / 2]);
	printf("  ratio libsrtp2/mbedtls: %.2f\n", ls[RUNS / 2] / mb[RUNS / 2]);
	srtp_ref_free(&r);
	srtp_pair_free(p);
	return (0);
}
