/*
 * SRTP tests: RFC 3711 appendix B vectors against the reference
 * transform, libsrtp's output (with the mbedtls cipher and HMAC that
 * srtp_pair installs) against the reference byte for byte and against
 * libsrtp's own types both ways, then round trips, tampering and replay
 * through srtp_pair.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "rtp.h"
#include "srtp.h"
#include "srtp_ref.h"

static int	 failures;

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n",		\
		    __FILE__, __LINE__, #c);				\
		failures++;						\
	}								\
} while (0)

static size_t
unhex(const char *s, uint8_t *out, size_t max)
{
	size_t	 n = 0;
	unsigned int v;

	while (s[0] != '\0' && s[1] != '\0' && n < max) {
		if (sscanf(s, "%2x", &v) != 1)
			break;
		out[n++] = v;
		s += 2;
	}
	return (n);
}

static int
equal_hex(const uint8_t *b, size_t n, const char *hex)
{
	uint8_t	 want[128];

	return (unhex(hex, want, sizeof(want)) == n &&
	    memcmp(b, want, n) == 0);
}

/* RFC 3711 B.2: AES-CM keystream. */
static void
test_b2(void)
{
	uint8_t	 key[16], salt[14], ks[48];

	unhex("2B7E151628AED2A6ABF7158809CF4F3C", key, 16);
	unhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD", salt, 14);
	srtp_ref_keystream(key, salt, 0, 0, ks, sizeof(ks));
	CHECK(equal_hex(ks, 16, "E03EAD0935C95E80E166B16DD92B4EB4"));
	CHECK(equal_hex(ks + 16, 16, "D23513162B02D0F72A43A2FE4A5F97AB"));
	CHECK(equal_hex(ks + 32, 16, "41E95B3BB0A2E8DD477901E4FCA894C0"));
}

/* RFC 3711 B.3: key derivation. */
static void
test_b3(void)
{
	uint8_t	 mk[16], ms[14], out[20];

	unhex("E1F97A0D3E018BE0D64FA32C06DE4139", mk, 16);
	unhex("0EC675AD498AFEEBB6960B3AABE6", ms, 14);
	srtp_ref_kdf(mk, ms, 0, out, 16);
	CHECK(equal_hex(out, 16, "C61E7A93744F39EE10734AFE3FF7A087"));
	srtp_ref_kdf(mk, ms, 2, out, 14);
	CHECK(equal_hex(out, 14, "30CBBC08863D8C85D49DB34A9AE1"));
	srtp_ref_kdf(mk, ms, 1, out, 20);
	CHECK(equal_hex(out, 20, "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4"));
}

static size_t
make_rtp(uint8_t *buf, uint16_t seq, uint32_t ssrc, size_t paylen)
{
	struct rtp_hdr	 h;
	size_t		 n, i;

	memset(&h, 0, sizeof(h));
	h.pt = 0;
	h.seq = seq;
	h.ts = (uint32_t)seq * 160;
	h.ssrc = ssrc;
	n = rtp_write_header(buf, 64, &h);
	for (i = 0; i < paylen; i++)
		buf[n + i] = (uint8_t)(seq + i * 7);
	return (n + paylen);
}

/* libsrtp must produce exactly what RFC 3711, as written, says. */
static void
test_libsrtp_matches_reference(uint16_t profile, size_t taglen)
{
	struct srtp_keymat	 k;
	struct srtp_pair	*p;
	struct srtp_ref		 ref, refc;
	uint8_t			 a[512], b[512];
	size_t			 alen, blen;
	uint32_t		 i;
	uint16_t		 seq;

	memset(&k, 0, sizeof(k));
	k.profile = profile;
	unhex("E1F97A0D3E018BE0D64FA32C06DE41390EC675AD498AFEEBB6960B3AABE6",
	    k.local, sizeof(k.local));
	memset(k.remote, 0x5a, sizeof(k.remote));
	CHECK((p = srtp_pair_new(&k)) != NULL);
	if (p == NULL)
		return;
	CHECK(srtp_ref_init(&ref, k.local, taglen, 0) == 0);
	/* SRTCP keeps an 80-bit tag with both profiles (RFC 5764 4.1.2). */
	CHECK(srtp_ref_init(&refc, k.local, 10, 1) == 0);

	/* Across a sequence wrap, so the ROC is exercised too. */
	for (i = 0, seq = 0xfff0; i < 40; i++, seq++) {
		alen = blen = make_rtp(a, seq, 0xcafebabe, 160);
		memcpy(b, a, alen);
		CHECK(srtp_pair_protect(p, a, &alen, sizeof(a)) == 0);
		blen = srtp_ref_protect(&ref, b, blen, sizeof(b));
		CHECK(alen == 12 + 160 + taglen && blen == alen);
		CHECK(memcmp(a, b, alen) == 0);
	}

	/*
	 * libsrtp numbers its first SRTCP packet 1, not 0; the index travels
	 * in the packet, so receivers do not care.
	 */
	refc.rtcp_index = 1;
	for (i = 0; i < 5; i++) {
		memset(a, 0, 64);
		alen = rtcp_write_rr(a, sizeof(a), 0xcafebabe, NULL, 0);
		alen += rtcp_write_sdes_cname(a + alen, sizeof(a) - alen,
		    0xcafebabe, "ref@test");
		memcpy(b, a, alen);
		blen = alen;
		CHECK(srtp_pair_protect_rtcp(p, a, &alen, sizeof(a)) == 0);
		blen = srtp_ref_protect_rtcp(&refc, b, blen);
		CHECK(alen == blen && memcmp(a, b, alen) == 0);
	}
	srtp_ref_free(&ref);
	srtp_ref_free(&refc);
	srtp_pair_free(p);
}

static void
keypair(uint16_t profile, struct srtp_keymat *a, struct srtp_keymat *b)
{
	size_t	 i;

	a->profile = b->profile = profile;
	for (i = 0; i < SRTP_KEYMAT_LEN; i++) {
		a->local[i] = b->remote[i] = (uint8_t)(i * 13 + 1);
		a->remote[i] = b->local[i] = (uint8_t)(i * 29 + 7);
	}
}

static void
test_round_trip(uint16_t profile, size_t taglen)
{
	struct srtp_keymat	 ka, kb;
	struct srtp_pair	*a, *b;
	uint8_t			 pkt[512], plain[512], saved[512];
	size_t			 len, plen, slen;
	uint16_t		 seq;

	keypair(profile, &ka, &kb);
	a = srtp_pair_new(&ka);
	b = srtp_pair_new(&kb);
	CHECK(a != NULL && b != NULL);
	if (a == NULL || b == NULL)
		return;

	for (seq = 100; seq < 110; seq++) {
		plen = make_rtp(plain, seq, 0x01020304, 160);
		memcpy(pkt, plain, plen);
		len = plen;
		CHECK(srtp_pair_protect(a, pkt, &len, sizeof(pkt)) == 0);
		CHECK(len == plen + taglen);
		/* The payload is encrypted, the header is not. */
		CHECK(memcmp(pkt, plain, 12) == 0);
		CHECK(memcmp(pkt + 12, plain + 12, 160) != 0);
		memcpy(saved, pkt, len);
		slen = len;
		CHECK(srtp_pair_unprotect(b, pkt, &len) == 0);
		CHECK(len == plen && memcmp(pkt, plain, plen) == 0);
		/* The same packet again is a replay. */
		memcpy(pkt, saved, slen);
		len = slen;
		CHECK(srtp_pair_unprotect(b, pkt, &len) == SRTP_EREPLAY);
	}

	/* One flipped bit anywhere, header, payload or tag, fails auth. */
	plen = make_rtp(plain, 200, 0x01020304, 160);
	memcpy(pkt, plain, plen);
	len = plen;
	CHECK(srtp_pair_protect(a, pkt, &len, sizeof(pkt)) == 0);
	memcpy(saved, pkt, len);
	slen = len;
	{
		size_t	 at[] = { 1, 8, 12, 100, slen - 1 };
		size_t	 i;

		for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
			memcpy(pkt, saved, slen);
			len = slen;
			pkt[at[i]] ^= 0x10;
			CHECK(srtp_pair_unprotect(b, pkt, &len) == SRTP_EAUTH);
		}
	}
	/* The untouched packet still passes after the forgeries. */
	memcpy(pkt, saved, slen);
	len = slen;
	CHECK(srtp_pair_unprotect(b, pkt, &len) == 0 &&
	    memcmp(pkt, plain, plen) == 0);

	/* The wrong direction's key does not authenticate. */
	plen = make_rtp(plain, 300, 0x0a0b0c0d, 20);
	memcpy(pkt, plain, plen);
	len = plen;
	CHECK(srtp_pair_protect(a, pkt, &len, sizeof(pkt)) == 0);
	CHECK(srtp_pair_unprotect(a, pkt, &len) == SRTP_EAUTH);

	/* Far behind the window is old. */
	for (seq = 400; seq < 2000; seq++) {
		plen = make_rtp(plain, seq, 0x01020304, 20);
		len = plen;
		memcpy(pkt, plain, plen);
		srtp_pair_protect(a, pkt, &len, sizeof(pkt));
		if (seq == 401) {
			memcpy(saved, pkt, len);
			slen = len;
		}
		CHECK(srtp_pair_unprotect(b, pkt, &len) == 0);
	}
	memcpy(pkt, saved, slen);
	len = slen;
	CHECK(srtp_pair_unprotect(b, pkt, &len) == SRTP_EREPLAY);

	/* Not enough room for the tag, and runts. */
	plen = make_rtp(pkt, 5000, 0x01020304, 20);
	len = plen;
	CHECK(srtp_pair_protect(a, pkt, &len, plen + 3) == SRTP_ERR);
	len = 11;
	CHECK(srtp_pair_unprotect(b, pkt, &len) == SRTP_ERR);
	len = 14;
	CHECK(srtp_pair_unprotect(b, pkt, &len) != 0);

	/* SRTCP both ways, with tamper and replay. */
	memset(plain, 0, sizeof(plain));
	plen = rtcp_write_sdes_cname(plain, sizeof(plain), 0x01020304,
	    "round@trip");
	memcpy(pkt, plain, plen);
	len = plen;
	CHECK(srtp_pair_protect_rtcp(b, pkt, &len, sizeof(pkt)) == 0);
	CHECK(len == plen + 4 + 10);
	memcpy(saved, pkt, len);
	slen = len;
	CHECK(srtp_pair_unprotect_rtcp(a, pkt, &len) == 0);
	CHECK(len == plen && memcmp(pkt, plain, plen) == 0);
	memcpy(pkt, saved, slen);
	len = slen;
	CHECK(srtp_pair_unprotect_rtcp(a, pkt, &len) == SRTP_EREPLAY);
	/* A fresh packet, tampered: replay is checked before auth. */
	memcpy(pkt, plain, plen);
	len = plen;
	CHECK(srtp_pair_protect_rtcp(b, pkt, &len, sizeof(pkt)) == 0);
	pkt[10] ^= 1;
	CHECK(srtp_pair_unprotect_rtcp(a, pkt, &len) == SRTP_EAUTH);
	len = plen;
	CHECK(srtp_pair_protect_rtcp(b, pkt, &len, plen + 10) == SRTP_ERR);

	srtp_pair_free(a);
	srtp_pair_free(b);
}

/*
 * Sessions on libsrtp's own cipher and HMAC (NSS in Debian), made before
 * srtp_pair installs the mbedtls ones, with srtp.c's policy: one to
 * protect with srtp_pair's local key, one to unprotect what srtp_pair
 * protects... and the other way round.
 */
struct stock {
	srtp_t		 tx;	/* keyed like srtp_pair's local side */
	srtp_t		 peer;	/* protects with srtp_pair's remote key */
};

static srtp_t
stock_session(uint16_t profile, const uint8_t *master, int outbound)
{
	srtp_policy_t	 pol;
	uint8_t		 key[SRTP_KEYMAT_LEN];
	srtp_t		 s = NULL;

	memset(&pol, 0, sizeof(pol));
	if (profile == SRTP_PROFILE_AES128_CM_SHA1_80)
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
	else
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&pol.rtp);
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
	memcpy(key, master, sizeof(key));
	pol.key = key;
	pol.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	pol.window_size = 1024;
	CHECK(srtp_create(&s, &pol) == srtp_err_status_ok);
	return (s);
}

static void
stock_make(uint16_t profile, struct stock *st)
{
	struct srtp_keymat	 a, b;

	keypair(profile, &a, &b);
	st->tx = stock_session(profile, a.local, 1);
	st->peer = stock_session(profile, a.remote, 1);
}

static void
test_stock_matches(uint16_t profile, struct stock *st)
{
	struct srtp_keymat	 a, b;
	struct srtp_pair	*p;
	uint8_t			 x[512], y[512];
	size_t			 n;
	int			 xl, yl, i;

	keypair(profile, &a, &b);
	CHECK((p = srtp_pair_new(&a)) != NULL);
	if (p == NULL || st->tx == NULL || st->peer == NULL)
		return;
	for (i = 0; i < 20; i++) {
		/* Same key, same packet: the same bytes. */
		xl = make_rtp(x, 0xfff8 + i, 0x1234abcd, 160);
		memcpy(y, x, xl);
		n = xl;
		CHECK(srtp_pair_protect(p, x, &n, sizeof(x)) == 0);
		yl = xl;
		CHECK(srtp_protect(st->tx, y, &yl) == srtp_err_status_ok);
		CHECK((size_t)yl == n && memcmp(x, y, n) == 0);
		/* The stock sender's packet opens with our receiver. */
		xl = make_rtp(x, 100 + i, 0x7777, 160);
		memcpy(y, x, xl);
		CHECK(srtp_protect(st->peer, x, &xl) == srtp_err_status_ok);
		n = xl;
		CHECK(srtp_pair_unprotect(p, x, &n) == 0);
		CHECK(n == 12 + 160 && memcmp(x, y, n) == 0);
	}
	for (i = 0; i < 3; i++) {
		xl = rtcp_write_rr(x, sizeof(x), 0x1234abcd, NULL, 0);
		memcpy(y, x, xl);
		n = xl;
		CHECK(srtp_pair_protect_rtcp(p, x, &n, sizeof(x)) == 0);
		yl = xl;
		CHECK(srtp_protect_rtcp(st->tx, y, &yl) == srtp_err_status_ok);
		CHECK((size_t)yl == n && memcmp(x, y, n) == 0);
	}
	srtp_pair_free(p);
	srtp_dealloc(st->tx);
	srtp_dealloc(st->peer);
}

int
main(void)
{
	struct srtp_keymat	 k;
	struct stock		 s80, s32;

	CHECK(srtp_init() == srtp_err_status_ok);
	stock_make(SRTP_PROFILE_AES128_CM_SHA1_80, &s80);
	stock_make(SRTP_PROFILE_AES128_CM_SHA1_32, &s32);
	srtp_pair_global_init();
	test_stock_matches(SRTP_PROFILE_AES128_CM_SHA1_80, &s80);
	test_stock_matches(SRTP_PROFILE_AES128_CM_SHA1_32, &s32);
	test_b2();
	test_b3();
	test_libsrtp_matches_reference(SRTP_PROFILE_AES128_CM_SHA1_80, 10);
	test_libsrtp_matches_reference(SRTP_PROFILE_AES128_CM_SHA1_32, 4);
	test_round_trip(SRTP_PROFILE_AES128_CM_SHA1_80, 10);
	test_round_trip(SRTP_PROFILE_AES128_CM_SHA1_32, 4);
	memset(&k, 0, sizeof(k));
	k.profile = 7;
	CHECK(srtp_pair_new(&k) == NULL);
	if (failures > 0) {
		fprintf(stderr, "%d failures\n", failures);
		return (1);
	}
	return (0);
}
