/*
 * Cost of protecting one 172-byte RTP packet (12-byte header, 160 bytes
 * of G.711) three ways in one run: libsrtp2 with its stock (NSS) cipher
 * types, libsrtp2 with ours (what mediad runs: AES-NI and SHA-NI where
 * the CPU has them, mbedtls otherwise), and the bare RFC 3711 transform
 * on mbedtls (tests/srtp_ref.c) for comparison.  Prints
 * CPU microseconds per packet (median of runs), then the heap one
 * srtp_pair holds with each kind of type, both directions in use.
 * Last, protect and unprotect apart through our types, for the 80- and
 * the 32-bit tag, and the same on the mbedtls paths (what a CPU without
 * AES-NI and SHA-NI gets), interleaved with the first.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aes_x86.h"
#include "rtp.h"
#include "sha1_state.h"
#include "srtp.h"
#include "srtp_mbedtls.h"
#include "srtp_ref.h"

#define PKTLEN	172
#define RUNS	7
#define BATCH	256

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

static void
keys(struct srtp_keymat *a, struct srtp_keymat *b, uint16_t profile)
{
	unsigned int	 i;

	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	a->profile = b->profile = profile;
	for (i = 0; i < SRTP_KEYMAT_LEN; i++) {
		a->local[i] = b->remote[i] = i * 7 + 3;
		a->remote[i] = b->local[i] = i * 11 + 5;
	}
}

/* Send one RTP and one RTCP packet from a to b. */
static void
exchange(struct srtp_pair *a, struct srtp_pair *b)
{
	uint8_t	 buf[PKTLEN + SRTCP_TRAILER_ROOM];
	size_t	 len;

	len = template(buf);
	if (srtp_pair_protect(a, buf, &len, sizeof(buf)) != 0 ||
	    srtp_pair_unprotect(b, buf, &len) != 0)
		abort();
	memset(buf, 0, 8);
	buf[0] = 0x80;
	buf[1] = 201;		/* empty RR */
	put16(buf + 2, 1);
	put32(buf + 4, 0x12345678);
	len = 8;
	if (srtp_pair_protect_rtcp(a, buf, &len, sizeof(buf)) != 0 ||
	    srtp_pair_unprotect_rtcp(b, buf, &len) != 0)
		abort();
}

/*
 * Heap held by one srtp_pair once both its directions carry RTP and
 * RTCP (libsrtp makes a stream per SSRC on first use).  A pair of the
 * same kind is kept alive around the measurement, as in mediad, so
 * NSS's one-off set-up is not counted against the pair.
 */
static size_t
pair_heap(void)
{
	struct srtp_keymat	 ka, kb;
	struct srtp_pair	*w, *a, *b;
	struct mallinfo2	 m0, m1;

	keys(&ka, &kb, SRTP_PROFILE_AES128_CM_SHA1_80);
	if ((w = srtp_pair_new(&ka)) == NULL)
		abort();
	m0 = mallinfo2();
	if ((a = srtp_pair_new(&ka)) == NULL ||
	    (b = srtp_pair_new(&kb)) == NULL)
		abort();
	exchange(a, b);
	exchange(b, a);
	m1 = mallinfo2();
	srtp_pair_free(a);
	srtp_pair_free(b);
	srtp_pair_free(w);
	return ((m1.uordblks - m0.uordblks) / 2);
}

/*
 * count packets from a to b in batches: the protect and the unprotect
 * loops are timed apart, CPU us per packet of each.
 */
static void
run_both(struct srtp_pair *a, struct srtp_pair *b, unsigned int count,
    uint16_t *seq, double *prot, double *unprot)
{
	static uint8_t	 buf[BATCH][PKTLEN + SRTP_TRAILER_ROOM];
	uint8_t		 tmpl[PKTLEN];
	size_t		 len[BATCH];
	unsigned int	 done, i, n;
	double		 t0, tp = 0, tu = 0;

	template(tmpl);
	for (done = 0; done < count; done += n) {
		n = count - done < BATCH ? count - done : BATCH;
		for (i = 0; i < n; i++) {
			memcpy(buf[i], tmpl, PKTLEN);
			put16(buf[i] + 2, (*seq)++);
		}
		t0 = cpu_us();
		for (i = 0; i < n; i++) {
			len[i] = PKTLEN;
			if (srtp_pair_protect(a, buf[i], &len[i],
			    sizeof(buf[i])) != 0)
				abort();
		}
		tp += cpu_us() - t0;
		t0 = cpu_us();
		for (i = 0; i < n; i++)
			if (srtp_pair_unprotect(b, buf[i], &len[i]) != 0)
				abort();
		tu += cpu_us() - t0;
	}
	*prot = tp / count;
	*unprot = tu / count;
}

/* Make pairs a and b, on the mbedtls paths or not. */
static void
make_pairs(uint16_t profile, int portable, struct srtp_pair **a,
    struct srtp_pair **b)
{
	struct srtp_keymat	 ka, kb;

	keys(&ka, &kb, profile);
#if AES_X86
	aes_x86_force_portable(portable);
#endif
	if ((*a = srtp_pair_new(&ka)) == NULL ||
	    (*b = srtp_pair_new(&kb)) == NULL)
		abort();
#if AES_X86
	aes_x86_force_portable(0);
#endif
}

/*
 * Our types only: protect and unprotect, median of RUNS runs, on the
 * CPU's AES and SHA instructions where it has them and, interleaved, on
 * the mbedtls paths the same code takes elsewhere.
 */
static void
bench_profile(uint16_t profile, const char *name, unsigned int count)
{
	struct srtp_pair	*a[2], *b[2];
	double			 p[2][RUNS], u[2][RUNS];
	uint16_t		 seq[2] = { 0, 0 };
	unsigned int		 i, m;

	for (m = 0; m < 2; m++) {
		make_pairs(profile, m, &a[m], &b[m]);
		sha1_force_portable(m);
		run_both(a[m], b[m], count / 10 + 1, &seq[m], &p[m][0],
		    &u[m][0]);
	}
	for (i = 0; i < RUNS; i++)
		for (m = 0; m < 2; m++) {
			sha1_force_portable(m);
			run_both(a[m], b[m], count, &seq[m], &p[m][i],
			    &u[m][i]);
		}
	sha1_force_portable(0);
	for (m = 0; m < 2; m++) {
		qsort(p[m], RUNS, sizeof(double), cmp_double);
		qsort(u[m], RUNS, sizeof(double), cmp_double);
		printf("  %s%s: protect %.3f us/packet, unprotect %.3f "
		    "us/packet\n", name, m ? ", mbedtls paths" : "",
		    p[m][RUNS / 2], u[m][RUNS / 2]);
		srtp_pair_free(a[m]);
		srtp_pair_free(b[m]);
	}
}

int
main(int argc, char *argv[])
{
	struct srtp_keymat	 k, kb;
	struct srtp_pair	*ps, *pm;
	struct srtp_ref		 r;
	double			 st[RUNS], lm[RUNS], mb[RUNS];
	unsigned int		 count = 100000, i;
	uint16_t		 seq1 = 0, seq2 = 0, seq3 = 0;
	size_t			 heap_stock, heap_mbedtls;

	if (argc > 1)
		count = strtoul(argv[1], NULL, 10);
	if (count == 0)
		count = 1;
	keys(&k, &kb, SRTP_PROFILE_AES128_CM_SHA1_80);
	/* Installs our types; the stock pair is made with them taken out. */
	srtp_pair_global_init();
	if (srtp_mbedtls_uninstall() == -1 ||
	    (ps = srtp_pair_new(&k)) == NULL)
		abort();
	heap_stock = pair_heap();
	if (srtp_mbedtls_install() == -1 ||
	    (pm = srtp_pair_new(&k)) == NULL ||
	    srtp_ref_init(&r, k.local, 10, 0) != 0) {
		fprintf(stderr, "setup failed\n");
		return (1);
	}
	heap_mbedtls = pair_heap();
	/* Warm up all three, then interleave runs so drift hits all alike. */
	run_libsrtp(ps, count / 10 + 1, &seq1);
	run_libsrtp(pm, count / 10 + 1, &seq2);
	run_mbedtls(&r, count / 10 + 1, &seq3);
	for (i = 0; i < RUNS; i++) {
		st[i] = run_libsrtp(ps, count, &seq1);
		lm[i] = run_libsrtp(pm, count, &seq2);
		mb[i] = run_mbedtls(&r, count, &seq3);
	}
	qsort(st, RUNS, sizeof(double), cmp_double);
	qsort(lm, RUNS, sizeof(double), cmp_double);
	qsort(mb, RUNS, sizeof(double), cmp_double);
	printf("srtp_protect, %d-byte RTP packet, AES_CM_128_HMAC_SHA1_80, "
	    "median of %d runs x %u packets\n", PKTLEN, RUNS, count);
	printf("  libsrtp2, stock (NSS) types:   %.3f us/packet\n",
	    st[RUNS / 2]);
	printf("  libsrtp2, our types:           %.3f us/packet\n",
	    lm[RUNS / 2]);
	printf("  bare mbedtls AES-CTR+HMAC:     %.3f us/packet\n",
	    mb[RUNS / 2]);
	printf("  ratio stock/our types: %.2f\n",
	    st[RUNS / 2] / lm[RUNS / 2]);
	printf("heap per srtp_pair, both directions in use:\n");
	printf("  stock (NSS) types: %zu bytes\n", heap_stock);
	printf("  our types:         %zu bytes\n", heap_mbedtls);
	printf("libsrtp2 with our types, %d-byte RTP packet, median of %d "
	    "runs x %u packets:\n", PKTLEN, RUNS, count);
	bench_profile(SRTP_PROFILE_AES128_CM_SHA1_80,
	    "AES_CM_128_HMAC_SHA1_80", count);
	bench_profile(SRTP_PROFILE_AES128_CM_SHA1_32,
	    "AES_CM_128_HMAC_SHA1_32", count);
	srtp_ref_free(&r);
	srtp_pair_free(ps);
	srtp_pair_free(pm);
	return (0);
}
