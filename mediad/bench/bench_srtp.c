/*
 * Cost of protecting one 172-byte RTP packet (12-byte header, 160 bytes
 * of G.711) four ways in one run: libsrtp2 with its stock (NSS) cipher
 * types, libsrtp2 with ours (AES-NI and SHA-NI where the CPU has them,
 * mbedtls otherwise), our own RTP transform (srtp_rtp.c, what mediad
 * runs since), and the bare RFC 3711 transform on mbedtls
 * (tests/srtp_ref.c) for comparison.  Prints CPU microseconds per packet
 * (median of runs), then the heap one srtp_pair holds with each kind of
 * type, both directions in use.  Last, protect and unprotect apart, for
 * the 80- and the 32-bit tag: libsrtp2 with our types against our
 * transform, each on the CPU's AES and SHA instructions and on the
 * mbedtls paths (what a CPU without AES-NI and SHA-NI gets), all four
 * interleaved, with the ratio of ours to libsrtp's.  Then the same two
 * over 1,000 pairs taken in turn, as a relay with 1,000 calls does, where
 * each packet finds its context out of the CPU's caches.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <srtp2/srtp.h>

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

/* One end: our transform through srtp_pair, or libsrtp2's sessions. */
struct side {
	struct srtp_pair	*pair;
	srtp_t			 lib;
};

static int
side_protect(struct side *s, uint8_t *buf, size_t *len, size_t size)
{
	int	 n = (int)*len;

	if (s->pair != NULL)
		return (srtp_pair_protect(s->pair, buf, len, size));
	if (srtp_protect(s->lib, buf, &n) != srtp_err_status_ok)
		return (-1);
	*len = n;
	return (0);
}

static int
side_unprotect(struct side *s, uint8_t *buf, size_t *len)
{
	int	 n = (int)*len;

	if (s->pair != NULL)
		return (srtp_pair_unprotect(s->pair, buf, len));
	if (srtp_unprotect(s->lib, buf, &n) != srtp_err_status_ok)
		return (-1);
	*len = n;
	return (0);
}

static void
side_free(struct side *s)
{
	if (s->pair != NULL)
		srtp_pair_free(s->pair);
	else
		srtp_dealloc(s->lib);
}

static double
run_protect(struct side *p, unsigned int count, uint16_t *seq)
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
		if (side_protect(p, buf, &len, sizeof(buf)) != 0)
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
run_both(struct side *a, struct side *b, unsigned int count,
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
			if (side_protect(a, buf[i], &len[i],
			    sizeof(buf[i])) != 0)
				abort();
		}
		tp += cpu_us() - t0;
		t0 = cpu_us();
		for (i = 0; i < n; i++)
			if (side_unprotect(b, buf[i], &len[i]) != 0)
				abort();
		tu += cpu_us() - t0;
	}
	*prot = tp / count;
	*unprot = tu / count;
}

/*
 * A sender a and its receiver b, ours or libsrtp's, with keys made on
 * the mbedtls paths or not.
 */
static void
make_sides(uint16_t profile, int portable, int lib, struct side *a,
    struct side *b)
{
	struct srtp_keymat	 ka, kb;

	keys(&ka, &kb, profile);
	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
#if AES_X86
	aes_x86_force_portable(portable);
#endif
	if (lib) {
		if ((a->lib = srtp_pair_libsrtp(profile, ka.local, 1)) ==
		    NULL || (b->lib = srtp_pair_libsrtp(profile, ka.local,
		    0)) == NULL)
			abort();
	} else if ((a->pair = srtp_pair_new(&ka)) == NULL ||
	    (b->pair = srtp_pair_new(&kb)) == NULL)
		abort();
#if AES_X86
	aes_x86_force_portable(0);
#endif
}

#define KINDS	4

/*
 * Protect and unprotect, median of RUNS runs: libsrtp with our types
 * and our transform, on the CPU's AES and SHA instructions where it has
 * them and on the mbedtls paths the same code takes elsewhere, the four
 * interleaved so drift hits all alike.
 */
static void
bench_profile(uint16_t profile, const char *name, unsigned int count)
{
	static const char	*kind[KINDS] = {
		"libsrtp2, our types", "our transform",
		"libsrtp2, our types, mbedtls paths",
		"our transform, mbedtls paths" };
	struct side		 a[KINDS], b[KINDS];
	double			 p[KINDS][RUNS], u[KINDS][RUNS];
	uint16_t		 seq[KINDS] = { 0, 0, 0, 0 };
	unsigned int		 i, m;

	for (m = 0; m < KINDS; m++) {
		make_sides(profile, m / 2, m % 2 == 0, &a[m], &b[m]);
		sha1_force_portable(m / 2);
		run_both(&a[m], &b[m], count / 10 + 1, &seq[m], &p[m][0],
		    &u[m][0]);
	}
	for (i = 0; i < RUNS; i++)
		for (m = 0; m < KINDS; m++) {
			sha1_force_portable(m / 2);
			run_both(&a[m], &b[m], count, &seq[m], &p[m][i],
			    &u[m][i]);
		}
	sha1_force_portable(0);
	printf("  %s:\n", name);
	for (m = 0; m < KINDS; m++) {
		qsort(p[m], RUNS, sizeof(double), cmp_double);
		qsort(u[m], RUNS, sizeof(double), cmp_double);
		printf("    %-36s protect %.3f us, unprotect %.3f us\n",
		    kind[m], p[m][RUNS / 2], u[m][RUNS / 2]);
		side_free(&a[m]);
		side_free(&b[m]);
	}
	for (m = 0; m < KINDS; m += 2)
		printf("    ratio ours/libsrtp%s: protect %.2f, unprotect "
		    "%.2f\n", m ? ", mbedtls paths" : "",
		    p[m + 1][RUNS / 2] / p[m][RUNS / 2],
		    u[m + 1][RUNS / 2] / u[m][RUNS / 2]);
}

#define MANY	1000

/*
 * count packets over MANY pairs in turn, each packet protected by its
 * pair's sender and unprotected by its receiver: as in a relay with
 * MANY calls, each packet finds its context cold in the CPU's caches.
 * CPU us per packet, protect and unprotect together.
 */
static double
run_many(struct side *a, struct side *b, uint16_t *seq, unsigned int count)
{
	uint8_t		 tmpl[PKTLEN], buf[PKTLEN + SRTP_TRAILER_ROOM];
	size_t		 len;
	unsigned int	 i, n;
	double		 t0;

	template(tmpl);
	t0 = cpu_us();
	for (n = 0; n < count; n++) {
		i = n % MANY;
		memcpy(buf, tmpl, PKTLEN);
		put16(buf + 2, seq[i]++);
		len = PKTLEN;
		if (side_protect(&a[i], buf, &len, sizeof(buf)) != 0 ||
		    side_unprotect(&b[i], buf, &len) != 0)
			abort();
	}
	return ((cpu_us() - t0) / count);
}

/* libsrtp2 with our types against our transform over MANY pairs. */
static void
bench_many(unsigned int count)
{
	static struct side	 a[2][MANY], b[2][MANY];
	static uint16_t		 seq[2][MANY];
	double			 t[2][RUNS];
	unsigned int		 i, m;

	for (m = 0; m < 2; m++) {
		for (i = 0; i < MANY; i++)
			make_sides(SRTP_PROFILE_AES128_CM_SHA1_80, 0, m == 0,
			    &a[m][i], &b[m][i]);
		run_many(a[m], b[m], seq[m], MANY);
	}
	for (i = 0; i < RUNS; i++)
		for (m = 0; m < 2; m++)
			t[m][i] = run_many(a[m], b[m], seq[m], count);
	for (m = 0; m < 2; m++) {
		qsort(t[m], RUNS, sizeof(double), cmp_double);
		for (i = 0; i < MANY; i++) {
			side_free(&a[m][i]);
			side_free(&b[m][i]);
		}
	}
	printf("protect + unprotect over %d pairs in turn, "
	    "AES_CM_128_HMAC_SHA1_80, median of %d runs x %u packets:\n",
	    MANY, RUNS, count);
	printf("  libsrtp2, our types: %.3f us/packet\n", t[0][RUNS / 2]);
	printf("  our transform:       %.3f us/packet\n", t[1][RUNS / 2]);
	printf("  ratio ours/libsrtp:  %.2f\n", t[1][RUNS / 2] /
	    t[0][RUNS / 2]);
}

int
main(int argc, char *argv[])
{
	struct srtp_keymat	 k, kb;
	struct side		 ps, pm, po;
	struct srtp_ref		 r;
	double			 st[RUNS], lm[RUNS], ou[RUNS], mb[RUNS];
	unsigned int		 count = 100000, i;
	uint16_t		 seq1 = 0, seq2 = 0, seq3 = 0, seq4 = 0;
	size_t			 heap_stock, heap_mbedtls;

	if (argc > 1)
		count = strtoul(argv[1], NULL, 10);
	if (count == 0)
		count = 1;
	keys(&k, &kb, SRTP_PROFILE_AES128_CM_SHA1_80);
	memset(&ps, 0, sizeof(ps));
	memset(&pm, 0, sizeof(pm));
	memset(&po, 0, sizeof(po));
	/* Installs our types; the stock session is made with them out. */
	srtp_pair_global_init();
	if (srtp_mbedtls_uninstall() == -1 || (ps.lib =
	    srtp_pair_libsrtp(k.profile, k.local, 1)) == NULL)
		abort();
	heap_stock = pair_heap();
	if (srtp_mbedtls_install() == -1 || (pm.lib =
	    srtp_pair_libsrtp(k.profile, k.local, 1)) == NULL ||
	    (po.pair = srtp_pair_new(&k)) == NULL ||
	    srtp_ref_init(&r, k.local, 10, 0) != 0) {
		fprintf(stderr, "setup failed\n");
		return (1);
	}
	heap_mbedtls = pair_heap();
	/* Warm up all four, then interleave runs so drift hits all alike. */
	run_protect(&ps, count / 10 + 1, &seq1);
	run_protect(&pm, count / 10 + 1, &seq2);
	run_protect(&po, count / 10 + 1, &seq3);
	run_mbedtls(&r, count / 10 + 1, &seq4);
	for (i = 0; i < RUNS; i++) {
		st[i] = run_protect(&ps, count, &seq1);
		lm[i] = run_protect(&pm, count, &seq2);
		ou[i] = run_protect(&po, count, &seq3);
		mb[i] = run_mbedtls(&r, count, &seq4);
	}
	qsort(st, RUNS, sizeof(double), cmp_double);
	qsort(lm, RUNS, sizeof(double), cmp_double);
	qsort(ou, RUNS, sizeof(double), cmp_double);
	qsort(mb, RUNS, sizeof(double), cmp_double);
	printf("srtp_protect, %d-byte RTP packet, AES_CM_128_HMAC_SHA1_80, "
	    "median of %d runs x %u packets\n", PKTLEN, RUNS, count);
	printf("  libsrtp2, stock (NSS) types:   %.3f us/packet\n",
	    st[RUNS / 2]);
	printf("  libsrtp2, our types:           %.3f us/packet\n",
	    lm[RUNS / 2]);
	printf("  our RTP transform:             %.3f us/packet\n",
	    ou[RUNS / 2]);
	printf("  bare mbedtls AES-CTR+HMAC:     %.3f us/packet\n",
	    mb[RUNS / 2]);
	printf("  ratio stock/our types: %.2f, our transform/our types: "
	    "%.2f\n", st[RUNS / 2] / lm[RUNS / 2], ou[RUNS / 2] / lm[RUNS / 2]);
	printf("heap per srtp_pair (our RTP transform, SRTCP on libsrtp2), "
	    "both directions in use:\n");
	printf("  SRTCP on stock (NSS) types: %zu bytes\n", heap_stock);
	printf("  SRTCP on our types:         %zu bytes\n", heap_mbedtls);
	printf("protect and unprotect, %d-byte RTP packet, median of %d "
	    "runs x %u packets:\n", PKTLEN, RUNS, count);
	bench_profile(SRTP_PROFILE_AES128_CM_SHA1_80,
	    "AES_CM_128_HMAC_SHA1_80", count);
	bench_profile(SRTP_PROFILE_AES128_CM_SHA1_32,
	    "AES_CM_128_HMAC_SHA1_32", count);
	bench_many(count);
	srtp_ref_free(&r);
	side_free(&ps);
	side_free(&pm);
	side_free(&po);
	return (0);
}
