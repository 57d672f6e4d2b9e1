/*
 * SRTP tests: RFC 3711 appendix B vectors against the reference
 * transform, through our mbedtls cipher types and through our RTP
 * transform (srtp_rtp.c); RFC 2202 through our HMAC-SHA1; libsrtp's
 * output against the reference byte for byte, our types against
 * libsrtp's stock ones both ways, then round trips, tampering and replay
 * through srtp_pair.  Our RTP transform is checked against libsrtp2 on
 * its stock types as the oracle, both ways: the same bytes out and the
 * same verdict on every delivery across a sequence wrap, reordered,
 * late, replayed and tampered packets, two SSRCs and an SDES re-key.
 * A long run takes the ROC from 0 to 3.  Our HMAC is checked against
 * mbedtls's for every message length 0..600 too.  The checks of our
 * code run twice: AES and SHA-1 on the CPU's instructions (where it has
 * them) and on mbedtls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/md.h>

#include "aes_x86.h"
#include "check.h"
#include "rtp.h"
#include "sha1_state.h"
#include "srtp.h"
#include "srtp_mbedtls.h"
#include "srtp_ref.h"
#include "srtp_rtp.h"

#define SRTP_TEST_PKT	400	/* the buffers protect_both() fills */

static int	 failures;

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

/* One known-answer case through a cipher type, as libsrtp runs it. */
static srtp_err_status_t
cipher_case(const srtp_cipher_type_t *ct, const char *key, uint8_t label,
    const char *out)
{
	srtp_cipher_test_case_t	 tc;
	uint8_t			 k[46], iv[16], zero[64], want[64];

	memset(&tc, 0, sizeof(tc));
	memset(iv, 0, sizeof(iv));
	memset(zero, 0, sizeof(zero));
	iv[7] = label;
	tc.key_length_octets = unhex(key, k, sizeof(k));
	tc.key = k;
	tc.idx = iv;
	tc.ciphertext_length_octets = unhex(out, want, sizeof(want));
	tc.plaintext_length_octets = tc.ciphertext_length_octets;
	tc.plaintext = zero;
	tc.ciphertext = want;
	return (srtp_cipher_type_test(ct, &tc));
}

/*
 * B.2 is the keystream for SSRC 0, index 0; B.3's session keys are what
 * libsrtp's KDF asks the AES_ICM_128 type for: label in IV octet 7.
 */
static void
test_mbedtls_cipher(void)
{
	const srtp_cipher_type_t *ct = &srtp_mbedtls_aes_icm_128;
	const char	*b3 = "E1F97A0D3E018BE0D64FA32C06DE4139"
			    "0EC675AD498AFEEBB6960B3AABE6";

	CHECK(cipher_case(ct, "2B7E151628AED2A6ABF7158809CF4F3C"
	    "F0F1F2F3F4F5F6F7F8F9FAFBFCFD", 0,
	    "E03EAD0935C95E80E166B16DD92B4EB4"
	    "D23513162B02D0F72A43A2FE4A5F97AB"
	    "41E95B3BB0A2E8DD477901E4FCA894C0") == srtp_err_status_ok);
	CHECK(cipher_case(ct, b3, 0, "C61E7A93744F39EE10734AFE3FF7A087") ==
	    srtp_err_status_ok);
	CHECK(cipher_case(ct, b3, 2, "30CBBC08863D8C85D49DB34A9AE1") ==
	    srtp_err_status_ok);
	CHECK(cipher_case(ct, b3, 1,
	    "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4") ==
	    srtp_err_status_ok);
	/* A wrong answer is caught: the check can fail. */
	CHECK(cipher_case(ct, b3, 1,
	    "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA5") ==
	    srtp_err_status_algo_fail);
	/* AES-256 against libsrtp's own known answer (RFC 6188). */
	CHECK(srtp_cipher_type_self_test(&srtp_mbedtls_aes_icm_256) ==
	    srtp_err_status_ok);
	CHECK(srtp_cipher_type_self_test(ct) == srtp_err_status_ok);
}

/* libsrtp's own types, exported by every build of the library. */
extern const srtp_cipher_type_t	 srtp_aes_icm_128;
extern const srtp_cipher_type_t	 srtp_aes_icm_256;

/*
 * Counter mode through a cipher type as libsrtp drives it: key, IV, then
 * len bytes of buf encrypted in the pieces cut1 and cut2 make, so the
 * keystream carries across calls.  On AES-NI or not, for our types.
 */
static srtp_err_status_t
icm_run(const srtp_cipher_type_t *ct, int portable, const uint8_t *key,
    int key_len, const uint8_t *iv, uint8_t *buf, unsigned int len,
    unsigned int cut1, unsigned int cut2)
{
	srtp_cipher_t		*c;
	srtp_err_status_t	 err;
	uint8_t			 ivc[16];
	unsigned int		 n[3], i, at = 0;

#if AES_X86
	aes_x86_force_portable(portable);
#else
	(void)portable;
#endif
	err = srtp_cipher_type_alloc(ct, &c, key_len, 0);
#if AES_X86
	aes_x86_force_portable(0);
#endif
	if (err != srtp_err_status_ok)
		return (err);
	memcpy(ivc, iv, sizeof(ivc));
	err = srtp_cipher_init(c, key);
	if (err == srtp_err_status_ok)
		err = srtp_cipher_set_iv(c, ivc, srtp_direction_encrypt);
	n[0] = cut1;
	n[1] = cut2 - cut1;
	n[2] = len - cut2;
	for (i = 0; i < 3 && err == srtp_err_status_ok; i++) {
		err = srtp_cipher_encrypt(c, buf + at, &n[i]);
		at += n[i];
	}
	srtp_cipher_dealloc(c);
	return (err);
}

/*
 * Our AES-ICM on AES-NI, ours on mbedtls and libsrtp's stock type, the
 * same key and IV: the same output for every length to 600 bytes, in one
 * call and in three.  Near the end of the 16-bit counter (an IV that
 * leaves 21 blocks) ours both refuse what goes past it; Debian's stock
 * type (NSS) carries on there, so it is compared up to the end only.
 */
static void
test_icm_against_stock(void)
{
	static const srtp_cipher_type_t	*ours[] = {
		&srtp_mbedtls_aes_icm_128, &srtp_mbedtls_aes_icm_256 };
	static const srtp_cipher_type_t	*stock[] = {
		&srtp_aes_icm_128, &srtp_aes_icm_256 };
	static const int	 key_len[] = { 30, 46 };
	uint8_t			 key[46], iv[16], data[600];
	uint8_t			 want[600], a[600], b[600];
	srtp_err_status_t	 ew, ea, eb;
	unsigned int		 len, cut1, cut2, near, t;
	size_t			 i;
	int			 bad = 0;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)random();
	for (t = 0; t < 2; t++)
	for (near = 0; near < 2; near++) {
		for (i = 0; i < sizeof(key); i++)
			key[i] = (uint8_t)random();
		for (i = 0; i < sizeof(iv); i++)
			iv[i] = (uint8_t)random();
		iv[14] = near ? 0xff : 0x12;
		iv[15] = near ? 0xeb : 0x34;
		for (len = 0; len <= sizeof(data); len++) {
			memcpy(want, data, len);
			ew = icm_run(stock[t], 1, key, key_len[t], iv, want,
			    len, len, len);
			cut1 = len / 3 + (len > 7);
			cut2 = cut1 + (len - cut1) / 2;
			memcpy(a, data, len);
			ea = icm_run(ours[t], 0, key, key_len[t], iv, a, len,
			    cut1, cut2);
			memcpy(b, data, len);
			eb = icm_run(ours[t], 1, key, key_len[t], iv, b, len,
			    len, len);
			bad += ew != srtp_err_status_ok || ea != eb;
			if (near && len > 21 * 16) {
				bad += ea != srtp_err_status_terminus;
				continue;
			}
			bad += ea != srtp_err_status_ok;
			bad += memcmp(a, want, len) != 0 ||
			    memcmp(b, want, len) != 0;
			memcpy(b, data, len);
			eb = icm_run(ours[t], 1, key, key_len[t], iv, b, len,
			    cut1, cut2);
			bad += eb != srtp_err_status_ok ||
			    memcmp(b, want, len) != 0;
		}
	}
	CHECK(bad == 0);
}

/* RFC 2202 section 3: HMAC-SHA1, all seven cases. */
static void
test_mbedtls_hmac(void)
{
	static const struct {
		const char	*key;	/* hex, or "aa*80" style */
		int		 keyrep;
		const char	*data;
		int		 datarep;
		const char	*tag;
	} v[] = {
		{ "0b", 20, "Hi There", 0,
		  "b617318655057264e28bc0b6fb378c8ef146be00" },
		{ "4a656665", 1, "what do ya want for nothing?", 0,
		  "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
		{ "aa", 20, "\xdd", 50,
		  "125d7342b9ac11cd91a39af48aa17b4f63f175d3" },
		{ "0102030405060708090a0b0c0d0e0f10111213141516171819", 1,
		  "\xcd", 50, "4c9007f4026250c6bc8414f9bf50c86c2d7235da" },
		{ "0c", 20, "Test With Truncation", 0,
		  "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04" },
		{ "aa", 80,
		  "Test Using Larger Than Block-Size Key - Hash Key First", 0,
		  "aa4ae5e15272d00e95705637ce8a3b55ed402112" },
		{ "aa", 80, "Test Using Larger Than Block-Size Key and "
		  "Larger Than One Block-Size Data", 0,
		  "e8e99d0f45237d786d6bbaa7965c7808bbff1a91" },
	};
	srtp_auth_test_case_t	 tc;
	uint8_t			 key[80], data[80], tag[20];
	size_t			 i, n;
	int			 j;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		memset(&tc, 0, sizeof(tc));
		n = unhex(v[i].key, key, sizeof(key));
		for (j = 1; j < v[i].keyrep; j++)
			key[j] = key[0];
		tc.key_length_octets = n > 1 ? (int)n : v[i].keyrep;
		if (v[i].datarep > 0) {
			memset(data, v[i].data[0], v[i].datarep);
			tc.data_length_octets = v[i].datarep;
		} else {
			tc.data_length_octets = strlen(v[i].data);
			memcpy(data, v[i].data, tc.data_length_octets);
		}
		tc.key = key;
		tc.data = data;
		tc.tag_length_octets = unhex(v[i].tag, tag, sizeof(tag));
		tc.tag = tag;
		CHECK(srtp_auth_type_test(&srtp_mbedtls_hmac_sha1, &tc) ==
		    srtp_err_status_ok);
		/* The 80- and 32-bit tags are prefixes of the same MAC. */
		tc.tag_length_octets = i % 2 ? 4 : 10;
		CHECK(srtp_auth_type_test(&srtp_mbedtls_hmac_sha1, &tc) ==
		    srtp_err_status_ok);
		tag[0] ^= 1;
		CHECK(srtp_auth_type_test(&srtp_mbedtls_hmac_sha1, &tc) ==
		    srtp_err_status_algo_fail);
	}
}

/*
 * Our HMAC-SHA1 through the type's own calls, as libsrtp makes them
 * (start, update, compute), against mbedtls's HMAC: keys shorter than,
 * as long as and longer than a block, every length to 600 bytes, the
 * message cut in two at a few points, the state reused after start.
 */
static void
test_hmac_against_mbedtls(void)
{
	static const int	 keylen[] = { 20, 64, 100 };
	static const int	 cut[] = { 0, 1, 4, 12, 55, 63, 64, 65, 172 };
	const srtp_auth_type_t	*t = &srtp_mbedtls_hmac_sha1;
	const mbedtls_md_info_t	*md = mbedtls_md_info_from_type(
				    MBEDTLS_MD_SHA1);
	srtp_auth_t		*a;
	uint8_t			 key[100], data[600], want[20], got[20];
	size_t			 i, k;
	int			 n, bad = 0;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)random();
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)random();
	for (k = 0; k < sizeof(keylen) / sizeof(keylen[0]); k++) {
		CHECK(t->alloc(&a, keylen[k], 20) == srtp_err_status_ok);
		CHECK(t->init(a->state, key, keylen[k]) == srtp_err_status_ok);
		for (n = 0; n <= (int)sizeof(data); n++) {
			CHECK(mbedtls_md_hmac(md, key, keylen[k], data, n,
			    want) == 0);
			for (i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
				if (cut[i] > n)
					break;
				memset(got, 0, sizeof(got));
				t->start(a->state);
				t->update(a->state, data, cut[i]);
				t->compute(a->state, data + cut[i],
				    n - cut[i], 20, got);
				bad += memcmp(got, want, sizeof(want)) != 0;
			}
		}
		t->dealloc(a);
	}
	CHECK(bad == 0);
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

/* Whether NSS's crypto module (softoken) is mapped into this process. */
static int
nss_softoken_loaded(void)
{
	FILE	*f;
	char	 line[512];
	int	 found = 0;

	if ((f = fopen("/proc/self/maps", "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, "libsoftokn3") != NULL)
			found = 1;
	fclose(f);
	return (found);
}

/*
 * With our types installed a session needs no NSS module, which is what
 * lets mediad make sessions inside its chroot and seccomp sandbox.
 */
static void
test_no_nss(void)
{
	struct srtp_keymat	 ka, kb;
	struct srtp_pair	*a;
	uint8_t			 pkt[256];
	size_t			 len;

	keypair(SRTP_PROFILE_AES128_CM_SHA1_80, &ka, &kb);
	CHECK((a = srtp_pair_new(&ka)) != NULL);
	len = make_rtp(pkt, 1, 0x01020304, 160);
	CHECK(a != NULL && srtp_pair_protect(a, pkt, &len, sizeof(pkt)) == 0);
	CHECK(nss_softoken_loaded() == 0);
	srtp_pair_free(a);
}

/* Protect one packet with s and hand it to r; check what r makes of it. */
static void
cross(struct srtp_pair *s, struct srtp_pair *r, int rtcp, uint16_t seq,
    size_t paylen, uint8_t *wire, size_t *wlen)
{
	uint8_t	 plain[512], pkt[512];
	size_t	 plen, len, at;

	memset(plain, 0, sizeof(plain));
	if (rtcp)
		plen = rtcp_write_sdes_cname(plain, sizeof(plain), 0x51525354,
		    "cross@check");
	else
		plen = make_rtp(plain, seq, 0x51525354, paylen);
	memcpy(pkt, plain, plen);
	len = plen;
	CHECK((rtcp ? srtp_pair_protect_rtcp(s, pkt, &len, sizeof(pkt)) :
	    srtp_pair_protect(s, pkt, &len, sizeof(pkt))) == 0);
	memcpy(wire, pkt, len);
	*wlen = len;
	/* Tampered first: one bit in the packet, then in the tag. */
	for (at = len > 20 ? 20 : 1; at < len; at = len - 1) {
		memcpy(pkt, wire, *wlen);
		len = *wlen;
		pkt[at] ^= 0x04;
		CHECK((rtcp ? srtp_pair_unprotect_rtcp(r, pkt, &len) :
		    srtp_pair_unprotect(r, pkt, &len)) == SRTP_EAUTH);
		if (at == len - 1)
			break;
	}
	memcpy(pkt, wire, *wlen);
	len = *wlen;
	CHECK((rtcp ? srtp_pair_unprotect_rtcp(r, pkt, &len) :
	    srtp_pair_unprotect(r, pkt, &len)) == 0);
	CHECK(len == plen && memcmp(pkt, plain, plen) == 0);
	memcpy(pkt, wire, *wlen);
	len = *wlen;
	CHECK((rtcp ? srtp_pair_unprotect_rtcp(r, pkt, &len) :
	    srtp_pair_unprotect(r, pkt, &len)) == SRTP_EREPLAY);
}

/*
 * Pairs on libsrtp's stock (NSS) types and on ours, same keys: each
 * sender's packets are byte for byte the same, and each receiver takes
 * the other kind's packets, rejecting replays and forgeries alike.  Only
 * SRTCP differs between the two kinds now; RTP is our transform in both
 * (test_oracle_* checks it against libsrtp).
 */
static void
test_stock_cross(uint16_t profile)
{
	struct srtp_keymat	 ka, kb;
	struct srtp_pair	*sa, *sb, *ma, *mb;
	uint8_t			 w1[512], w2[512];
	size_t			 l1, l2, live0;
	uint16_t		 seq;
	int			 i, paylen;

	keypair(profile, &ka, &kb);
	live0 = srtp_mbedtls_live();
	CHECK(srtp_mbedtls_uninstall() == 0);
	sa = srtp_pair_new(&ka);
	sb = srtp_pair_new(&kb);
	/* Stock pairs hold none of our states. */
	CHECK(srtp_mbedtls_live() == live0);
	CHECK(srtp_mbedtls_install() == 0);
	ma = srtp_pair_new(&ka);
	mb = srtp_pair_new(&kb);
	CHECK(srtp_mbedtls_live() > live0);
	CHECK(sa != NULL && sb != NULL && ma != NULL && mb != NULL);
	if (sa == NULL || sb == NULL || ma == NULL || mb == NULL)
		return;

	for (i = 0, seq = 0xfffa; i < 12; i++, seq++) {
		cross(ma, sb, 0, seq, 160, w1, &l1);
		cross(sa, mb, 0, seq, 160, w2, &l2);
		CHECK(l1 == l2 && memcmp(w1, w2, l1) == 0);
	}
	/* Every payload length to 300: one to six SHA-1 blocks. */
	for (paylen = 0; paylen <= 300; paylen++, seq++) {
		cross(ma, sb, 0, seq, paylen, w1, &l1);
		cross(sa, mb, 0, seq, paylen, w2, &l2);
		CHECK(l1 == l2 && memcmp(w1, w2, l1) == 0);
	}
	for (i = 0; i < 4; i++) {
		cross(ma, sb, 1, 0, 0, w1, &l1);
		cross(sa, mb, 1, 0, 0, w2, &l2);
		CHECK(l1 == l2 && memcmp(w1, w2, l1) == 0);
	}
	/* And back the other way, from the b side. */
	for (i = 0, seq = 7; i < 4; i++, seq++) {
		cross(mb, sa, 0, seq, 160, w1, &l1);
		cross(sb, ma, 0, seq, 160, w2, &l2);
		CHECK(l1 == l2 && memcmp(w1, w2, l1) == 0);
		cross(mb, sa, 1, 0, 0, w1, &l1);
		cross(sb, ma, 1, 0, 0, w2, &l2);
		CHECK(l1 == l2 && memcmp(w1, w2, l1) == 0);
	}
	srtp_pair_free(sa);
	srtp_pair_free(sb);
	srtp_pair_free(ma);
	srtp_pair_free(mb);
	/* Every cipher and auth state made for a pair is freed with it. */
	CHECK(srtp_mbedtls_live() == live0);
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
 * RFC 3711 B.2 through our RTP transform: session key and salt as the
 * RFC gives them, SSRC 0 and index 0, a zero payload comes out as the
 * keystream.  B.3 through its key derivation.
 */
static void
test_rtp_vectors(void)
{
	struct srtp_rtp_tx	 t;
	uint8_t			 ck[16], salt[14], ak[20], pkt[80], out[20];
	uint8_t			 master[SRTP_KEYMAT_LEN];
	size_t			 len;

	memset(&t, 0, sizeof(t));
	unhex("2B7E151628AED2A6ABF7158809CF4F3C", ck, 16);
	unhex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD", salt, 14);
	memset(ak, 0x11, sizeof(ak));
	srtp_rtp_tx_init_session(&t, 10, ck, salt, ak);
	len = make_rtp(pkt, 0, 0, 48);
	memset(pkt + 12, 0, 48);
	CHECK(srtp_rtp_protect(&t, pkt, &len, sizeof(pkt)) == 0);
	CHECK(len == 12 + 48 + 10);
	CHECK(equal_hex(pkt + 12, 48, "E03EAD0935C95E80E166B16DD92B4EB4"
	    "D23513162B02D0F72A43A2FE4A5F97AB"
	    "41E95B3BB0A2E8DD477901E4FCA894C0"));
	/* The same index again (allowed outbound): the same keystream. */
	len = make_rtp(pkt, 0, 0, 19);
	memset(pkt + 12, 0, 19);
	CHECK(srtp_rtp_protect(&t, pkt, &len, sizeof(pkt)) == 0);
	CHECK(equal_hex(pkt + 12, 19, "E03EAD0935C95E80E166B16DD92B4EB4"
	    "D23513"));
	srtp_rtp_tx_wipe(&t);

	unhex("E1F97A0D3E018BE0D64FA32C06DE4139"
	    "0EC675AD498AFEEBB6960B3AABE6", master, sizeof(master));
	srtp_rtp_kdf(master, 0, out, 16);
	CHECK(equal_hex(out, 16, "C61E7A93744F39EE10734AFE3FF7A087"));
	srtp_rtp_kdf(master, 2, out, 14);
	CHECK(equal_hex(out, 14, "30CBBC08863D8C85D49DB34A9AE1"));
	srtp_rtp_kdf(master, 1, out, 20);
	CHECK(equal_hex(out, 20, "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4"));
}

static int
lib_protect(srtp_t s, uint8_t *buf, size_t *len)
{
	int	 n = (int)*len;

	if (srtp_protect(s, buf, &n) != srtp_err_status_ok)
		return (SRTP_ERR);
	*len = n;
	return (0);
}

static int
lib_unprotect(srtp_t s, uint8_t *buf, size_t *len)
{
	int	 n = (int)*len, rv;

	if ((rv = srtp_pair_libsrtp_result(srtp_unprotect(s, buf, &n))) == 0)
		*len = n;
	return (rv);
}

/* plain through us and through libsrtp's ltx: the same bytes, left in a. */
static void
protect_both(struct srtp_pair *us, srtp_t ltx, const uint8_t *plain,
    size_t plen, uint8_t *a, size_t *alen)
{
	uint8_t	 b[SRTP_TEST_PKT];
	size_t	 blen = plen;

	memcpy(a, plain, plen);
	memcpy(b, plain, plen);
	*alen = plen;
	CHECK(srtp_pair_protect(us, a, alen, SRTP_TEST_PKT) == 0);
	CHECK(lib_protect(ltx, b, &blen) == 0);
	CHECK(*alen == blen && memcmp(a, b, blen) == 0);
}

/*
 * An RTP packet with two CSRCs and a one-byte header extension, whose
 * payload length varies with seq so the keystream ends mid-block too.
 */
static size_t
make_rtp_ext(uint8_t *buf, uint16_t seq, uint32_t ssrc)
{
	static const uint8_t	 csrc[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint8_t	 ext[8] = { 0x10, 0xaa, 0x21, 0xbb, 0xcc,
				    0, 0, 0 };
	struct rtp_hdr		 h;
	size_t			 n, i, paylen = 150 + seq % 23;

	memset(&h, 0, sizeof(h));
	h.pt = 111;
	h.seq = seq;
	h.ts = (uint32_t)seq * 960;
	h.ssrc = ssrc;
	h.cc = 2;
	h.csrc = csrc;
	h.has_ext = 1;
	h.ext_profile = 0xbede;
	h.ext = ext;
	h.extlen = sizeof(ext);
	n = rtp_write_header(buf, 64, &h);
	for (i = 0; i < paylen; i++)
		buf[n + i] = (uint8_t)(seq * 3 + i);
	return (n + paylen);
}

#define ORACLE_PKTS	1300

/* What the far end sent, protected by libsrtp, kept for redelivery. */
struct sent {
	uint8_t		 wire[ORACLE_PKTS][400];
	size_t		 len[ORACLE_PKTS];
	uint8_t		 plain[ORACLE_PKTS][400];
	size_t		 plen[ORACLE_PKTS];
};

/*
 * Deliver packet i to our receiver and to libsrtp's (tampered at byte
 * flip if flip is not 0): both must give want, and the same plain text.
 */
static void
deliver(struct sent *s, int i, struct srtp_pair *us, srtp_t lib, size_t flip,
    int want)
{
	uint8_t	 a[400], b[400];
	size_t	 alen, blen;
	int	 ra, rb;

	memcpy(a, s->wire[i], s->len[i]);
	if (flip != 0)
		a[flip] ^= 0x10;
	memcpy(b, a, s->len[i]);
	alen = blen = s->len[i];
	ra = srtp_pair_unprotect(us, a, &alen);
	rb = lib_unprotect(lib, b, &blen);
	if (ra != want || rb != want)
		fprintf(stderr, "packet %d: ours %d, libsrtp %d, want %d\n",
		    i, ra, rb, want);
	CHECK(ra == want && rb == want);
	if (want == 0)
		CHECK(alen == s->plen[i] && blen == alen &&
		    memcmp(a, s->plain[i], alen) == 0 &&
		    memcmp(b, a, alen) == 0);
}

/*
 * Inbound against libsrtp2: the far end (libsrtp) sends two SSRCs, the
 * first from seq 65000 across the wrap (ROC 0 to 1), interleaved.  Our
 * receiver and a libsrtp one get the same deliveries and must agree, and
 * agree with what RFC 3711 says each should be.
 */
static void
test_oracle_inbound(uint16_t profile)
{
	static struct sent	 s1, s2;
	struct srtp_keymat	 k;
	struct srtp_pair	*us;
	srtp_t			 ftx, lrx;
	size_t			 taglen, hlen;
	int			 i, j;

	taglen = profile == SRTP_PROFILE_AES128_CM_SHA1_80 ? 10 : 4;
	keypair(profile, &k, &k);
	for (i = 0; i < SRTP_KEYMAT_LEN; i++)
		k.remote[i] = (uint8_t)(i * 37 + 11);
	us = srtp_pair_new(&k);
	/* The oracle on libsrtp's stock types: nothing of ours in it. */
	CHECK(srtp_mbedtls_uninstall() == 0);
	ftx = srtp_pair_libsrtp(profile, k.remote, 1);
	lrx = srtp_pair_libsrtp(profile, k.remote, 0);
	CHECK(srtp_mbedtls_install() == 0);
	CHECK(us != NULL && ftx != NULL && lrx != NULL);
	if (us == NULL || ftx == NULL || lrx == NULL)
		return;
	for (i = 0; i < ORACLE_PKTS; i++) {
		s1.plen[i] = s1.len[i] = make_rtp_ext(s1.plain[i],
		    (uint16_t)(65000 + i), 0x11111111);
		memcpy(s1.wire[i], s1.plain[i], s1.len[i]);
		CHECK(lib_protect(ftx, s1.wire[i], &s1.len[i]) == 0);
		CHECK(s1.len[i] == s1.plen[i] + taglen);
		s2.plen[i] = s2.len[i] = make_rtp_ext(s2.plain[i],
		    (uint16_t)(3000 + i), 0x22222222);
		memcpy(s2.wire[i], s2.plain[i], s2.len[i]);
		CHECK(lib_protect(ftx, s2.wire[i], &s2.len[i]) == 0);
	}
	/* The header, CSRCs and extension stay in the clear. */
	hlen = 12 + 8 + 4 + 8;
	CHECK(memcmp(s1.wire[0], s1.plain[0], hlen) == 0 &&
	    memcmp(s1.wire[0] + hlen, s1.plain[0] + hlen, 16) != 0);

	/*
	 * Seq 65000 + i: i = 535 is 65535, 536 is 0 of ROC 1.  0 comes
	 * before 65535; 500 (65500) is held back until after the wrap,
	 * 10 (65010) until it is out of the window.
	 */
	for (i = 0; i < 700; i++) {
		if (i == 10 || i == 500 || i == 535)
			continue;
		deliver(&s1, i, us, lrx, 0, 0);
		if (i == 536)
			deliver(&s1, 535, us, lrx, 0, 0);
		if (i % 3 == 0)
			deliver(&s2, i / 3, us, lrx, 0, 0);
	}
	/* Late but inside the window, across the ROC change. */
	deliver(&s1, 500, us, lrx, 0, 0);
	/* Replayed: in the window, and the one just before the wrap. */
	deliver(&s1, 500, us, lrx, 0, SRTP_EREPLAY);
	deliver(&s1, 535, us, lrx, 0, SRTP_EREPLAY);
	deliver(&s1, 600, us, lrx, 0, SRTP_EREPLAY);
	deliver(&s2, 5, us, lrx, 0, SRTP_EREPLAY);
	/* 699 - 10 = 689 behind: still inside; 1034 behind is not. */
	for (i = 700; i < 1044; i++)
		deliver(&s1, i, us, lrx, 0, 0);
	deliver(&s1, 10, us, lrx, 0, SRTP_EREPLAY);
	/*
	 * Tampered: the payload, the tag, an extension byte, and the
	 * sequence number 4096 ahead (as if 4096 packets had gone
	 * missing): each fails auth and moves nothing, so 1045 and a late 1044
	 * still pass after them, and 45 stays inside the window.
	 */
	j = 1045;
	deliver(&s1, j, us, lrx, 40, SRTP_EAUTH);
	deliver(&s1, j, us, lrx, s1.len[j] - 1, SRTP_EAUTH);
	deliver(&s1, j, us, lrx, 26, SRTP_EAUTH);
	deliver(&s1, j, us, lrx, 2, SRTP_EAUTH);
	deliver(&s1, j, us, lrx, 0, 0);
	deliver(&s1, 1044, us, lrx, 0, 0);
	/* The second SSRC's window is its own. */
	deliver(&s2, 700, us, lrx, 0, 0);
	deliver(&s2, 699, us, lrx, 0, 0);
	deliver(&s2, 700, us, lrx, 0, SRTP_EREPLAY);
	/* A runt, and a header whose extension runs past the packet. */
	{
		uint8_t	 b[64];
		size_t	 len = taglen + 11;

		memcpy(b, s1.wire[1100], sizeof(b));
		CHECK(srtp_pair_unprotect(us, b, &len) == SRTP_ERR);
		len = 12 + 8 + 4 + taglen;
		CHECK(srtp_pair_unprotect(us, b, &len) == SRTP_ERR);
	}
	srtp_dealloc(ftx);
	srtp_dealloc(lrx);
	srtp_pair_free(us);
}

/*
 * Outbound against libsrtp2: ours and a libsrtp sender with the same key
 * make the same bytes across the wrap, reordered near it, and for an
 * index sent twice; a libsrtp receiver takes ours.  Then the peer's key
 * changes (SDES re-offer): ours goes on in ROC 1, byte for byte with the
 * libsrtp sender that was never re-keyed, and our receiver takes the
 * new key's packets and no longer the old one's.
 */
static void
test_oracle_outbound(uint16_t profile)
{
	static const int order[] = { 65533, 65534, 0, 65535, 1, 2, 2, 3,
	    65535, 4, 5, 6 };
	struct srtp_keymat	 k;
	struct srtp_pair	*us;
	srtp_t			 ltx, lrx, oldtx, newtx;
	uint8_t			 plain[SRTP_TEST_PKT], a[SRTP_TEST_PKT];
	uint8_t			 b[SRTP_TEST_PKT], nk[30];
	size_t			 plen, alen, blen;
	unsigned int		 i;
	int			 n;
	uint16_t		 seq;

	keypair(profile, &k, &k);
	for (i = 0; i < SRTP_KEYMAT_LEN; i++) {
		k.remote[i] = (uint8_t)(i * 37 + 11);
		nk[i] = (uint8_t)(i * 41 + 3);
	}
	us = srtp_pair_new(&k);
	CHECK(srtp_mbedtls_uninstall() == 0);
	ltx = srtp_pair_libsrtp(profile, k.local, 1);
	lrx = srtp_pair_libsrtp(profile, k.local, 0);
	oldtx = srtp_pair_libsrtp(profile, k.remote, 1);
	newtx = srtp_pair_libsrtp(profile, nk, 1);
	CHECK(srtp_mbedtls_install() == 0);
	CHECK(us != NULL && ltx != NULL && lrx != NULL && oldtx != NULL &&
	    newtx != NULL);
	if (us == NULL || ltx == NULL || lrx == NULL || oldtx == NULL ||
	    newtx == NULL)
		return;
	for (seq = 65400; seq != 65533; seq++) {
		plen = make_rtp_ext(plain, seq, 0x33333333);
		protect_both(us, ltx, plain, plen, a, &alen);
	}
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		plen = make_rtp_ext(plain, (uint16_t)order[i], 0x33333333);
		protect_both(us, ltx, plain, plen, a, &alen);
		/* libsrtp's receiver: the repeats are replays to it. */
		CHECK(lib_unprotect(lrx, a, &alen) ==
		    (i == 6 || i == 8 ? SRTP_EREPLAY : 0));
	}
	/* Before the re-key: the old key's packets pass. */
	plen = make_rtp(plain, 40000, 0x44444444, 160);
	memcpy(a, plain, plen);
	alen = plen;
	CHECK(lib_protect(oldtx, a, &alen) == 0);
	memcpy(b, a, alen);
	blen = alen;
	CHECK(srtp_pair_unprotect(us, a, &alen) == 0);
	CHECK(srtp_pair_rekey_remote(us, profile, nk) == 0);
	for (seq = 7; seq < 20; seq++) {
		plen = make_rtp_ext(plain, seq, 0x33333333);
		protect_both(us, ltx, plain, plen, a, &alen);
		CHECK(lib_unprotect(lrx, a, &alen) == 0);
	}
	/* The new key's packets pass, the old key's fail. */
	plen = make_rtp(plain, 40001, 0x44444444, 160);
	memcpy(a, plain, plen);
	memcpy(b, plain, plen);
	alen = blen = plen;
	CHECK(lib_protect(newtx, a, &alen) == 0);
	CHECK(lib_protect(oldtx, b, &blen) == 0);
	CHECK(srtp_pair_unprotect(us, b, &blen) == SRTP_EAUTH);
	CHECK(srtp_pair_unprotect(us, a, &alen) == 0 && alen == plen &&
	    memcmp(a, plain, plen) == 0);
	/* SRTCP was re-keyed with it. */
	memset(plain, 0, sizeof(plain));
	plen = rtcp_write_sdes_cname(plain, sizeof(plain), 0x44444444,
	    "rekey@test");
	memcpy(a, plain, plen);
	memcpy(b, plain, plen);
	n = (int)plen;
	CHECK(srtp_protect_rtcp(newtx, a, &n) == srtp_err_status_ok);
	alen = n;
	n = (int)plen;
	CHECK(srtp_protect_rtcp(oldtx, b, &n) == srtp_err_status_ok);
	blen = n;
	CHECK(srtp_pair_unprotect_rtcp(us, b, &blen) == SRTP_EAUTH);
	CHECK(srtp_pair_unprotect_rtcp(us, a, &alen) == 0 && alen == plen &&
	    memcmp(a, plain, plen) == 0);
	srtp_dealloc(ltx);
	srtp_dealloc(lrx);
	srtp_dealloc(oldtx);
	srtp_dealloc(newtx);
	srtp_pair_free(us);
}

/*
 * A long run: 140,000 packets from seq 60000, so ROC 0 to 3, with ours,
 * a libsrtp sender on the same key (the same bytes), our receiver and a
 * libsrtp one (each takes every packet of the other kind's sender).
 */
static void
test_oracle_long(uint16_t profile)
{
	struct srtp_keymat	 ka, kb;
	struct srtp_pair	*a, *b;
	srtp_t			 ltx, lrx;
	uint8_t			 plain[64], x[64], y[64];
	size_t			 plen, xlen, ylen;
	uint32_t		 i;
	int			 bad = 0;

	keypair(profile, &ka, &kb);
	a = srtp_pair_new(&ka);
	b = srtp_pair_new(&kb);
	CHECK(srtp_mbedtls_uninstall() == 0);
	ltx = srtp_pair_libsrtp(profile, ka.local, 1);
	lrx = srtp_pair_libsrtp(profile, ka.local, 0);
	CHECK(srtp_mbedtls_install() == 0);
	CHECK(a != NULL && b != NULL && ltx != NULL && lrx != NULL);
	if (a == NULL || b == NULL || ltx == NULL || lrx == NULL)
		return;
	for (i = 0; i < 140000; i++) {
		plen = make_rtp(plain, (uint16_t)(60000 + i), 0x55555555,
		    13 + i % 7);
		memcpy(x, plain, plen);
		memcpy(y, plain, plen);
		xlen = ylen = plen;
		bad += srtp_pair_protect(a, x, &xlen, sizeof(x)) != 0;
		bad += lib_protect(ltx, y, &ylen) != 0;
		bad += xlen != ylen || memcmp(x, y, xlen) != 0;
		bad += lib_unprotect(lrx, x, &xlen) != 0;
		bad += srtp_pair_unprotect(b, y, &ylen) != 0;
		bad += xlen != plen || memcmp(x, plain, plen) != 0;
		bad += ylen != plen || memcmp(y, plain, plen) != 0;
	}
	CHECK(bad == 0);
	srtp_dealloc(ltx);
	srtp_dealloc(lrx);
	srtp_pair_free(a);
	srtp_pair_free(b);
}

/*
 * The limits: outbound, a fifth SSRC is refused (its ROC could not be
 * trusted) and so is anything past the key's 2^48 packets; a packet
 * more than the window behind is refused too.  Inbound, forgeries take
 * no slot and a fifth genuine SSRC takes the least recently used one's
 * place.  Wiped contexts hold only zeros.
 */
static void
test_rtp_limits(void)
{
	static const uint8_t	 zero[sizeof(struct srtp_rtp_rx)];
	struct srtp_rtp_tx	 t, t2;
	struct srtp_rtp_rx	 r;
	uint8_t			 master[SRTP_KEYMAT_LEN], pkt[256];
	uint8_t			 keep[256], keep5[256];
	size_t			 len, klen = 0, klen5;
	uint32_t		 ssrc;

	memset(&t, 0, sizeof(t));
	memset(&t2, 0, sizeof(t2));
	memset(&r, 0, sizeof(r));
	memset(master, 0x42, sizeof(master));
	CHECK(srtp_rtp_tx_init(&t, 7, master) == -1);
	CHECK(srtp_rtp_tx_init(&t, SRTP_PROFILE_AES128_CM_SHA1_80,
	    master) == 0);
	CHECK(srtp_rtp_rx_init(&r, SRTP_PROFILE_AES128_CM_SHA1_80,
	    master) == 0);
	for (ssrc = 1; ssrc <= SRTP_RTP_SSRCS + 1; ssrc++) {
		len = make_rtp(pkt, 10, ssrc, 20);
		CHECK(srtp_rtp_protect(&t, pkt, &len, sizeof(pkt)) ==
		    (ssrc <= SRTP_RTP_SSRCS ? 0 : SRTP_ERR));
		if (ssrc == 1) {
			memcpy(keep, pkt, len);
			klen = len;
		}
		if (ssrc <= SRTP_RTP_SSRCS)
			CHECK(srtp_rtp_unprotect(&r, pkt, &len) == 0);
	}
	/*
	 * Inbound: forgeries under new SSRCs take no slot, so SSRC 1 is
	 * still known and its packet a replay.
	 */
	for (ssrc = 100; ssrc < 110; ssrc++) {
		memcpy(pkt, keep, klen);
		put32(pkt + 8, ssrc);
		len = klen;
		CHECK(srtp_rtp_unprotect(&r, pkt, &len) == SRTP_EAUTH);
	}
	memcpy(pkt, keep, klen);
	len = klen;
	CHECK(srtp_rtp_unprotect(&r, pkt, &len) == SRTP_EREPLAY);
	/*
	 * A fifth genuine SSRC (from a second sender on the same key) takes
	 * the least recently used slot, SSRC 1's: the others stay known.
	 */
	CHECK(srtp_rtp_tx_init(&t2, SRTP_PROFILE_AES128_CM_SHA1_80,
	    master) == 0);
	len = make_rtp(pkt, 10, SRTP_RTP_SSRCS + 1, 20);
	CHECK(srtp_rtp_protect(&t2, pkt, &len, sizeof(pkt)) == 0);
	memcpy(keep5, pkt, len);
	klen5 = len;
	CHECK(srtp_rtp_unprotect(&r, pkt, &len) == 0);
	len = make_rtp(pkt, 10, 2, 20);
	CHECK(srtp_rtp_protect(&t2, pkt, &len, sizeof(pkt)) == 0);
	CHECK(srtp_rtp_unprotect(&r, pkt, &len) == SRTP_EREPLAY);
	memcpy(pkt, keep5, klen5);
	len = klen5;
	CHECK(srtp_rtp_unprotect(&r, pkt, &len) == SRTP_EREPLAY);
	srtp_rtp_tx_wipe(&t2);
	/* One more window behind the highest is refused outbound. */
	len = make_rtp(pkt, 10 + SRTP_REPLAY_WINDOW, 1, 20);
	CHECK(srtp_rtp_protect(&t, pkt, &len, sizeof(pkt)) == 0);
	len = make_rtp(pkt, 11, 1, 20);
	CHECK(srtp_rtp_protect(&t, pkt, &len, sizeof(pkt)) == 0);
	len = make_rtp(pkt, 10, 1, 20);
	CHECK(srtp_rtp_protect(&t, pkt, &len, sizeof(pkt)) == SRTP_ERR);
	t.k.packets = SRTP_RTP_KEY_LIMIT - 1;
	len = make_rtp(pkt, 12, 1, 20);
	CHECK(srtp_rtp_protect(&t, pkt, &len, sizeof(pkt)) == 0);
	len = make_rtp(pkt, 13, 1, 20);
	CHECK(srtp_rtp_protect(&t, pkt, &len, sizeof(pkt)) == SRTP_ERR);
	srtp_rtp_tx_wipe(&t);
	srtp_rtp_rx_wipe(&r);
	CHECK(memcmp(&t, zero, sizeof(t)) == 0);
	CHECK(memcmp(&r, zero, sizeof(r)) == 0);
	/* Wiped, it refuses rather than using a zero key. */
	len = make_rtp(pkt, 14, 1, 20);
	CHECK(srtp_rtp_protect(&t, pkt, &len, sizeof(pkt)) == SRTP_ERR);
}

int
main(void)
{
	struct srtp_keymat	 k;
	int			 portable;

	srandom(1127);
	srtp_pair_global_init();
	test_b2();
	test_b3();
	test_no_nss();
	for (portable = 0; portable < 2; portable++) {
#if AES_X86
		if (portable == 0 && !sha1_accelerated() && !aes_x86_use())
			continue;
#else
		if (portable == 0 && !sha1_accelerated())
			continue;
#endif
		sha1_force_portable(portable);
#if AES_X86
		aes_x86_force_portable(portable);
#endif
		/* libsrtp checks the type's known answers again. */
		CHECK(srtp_mbedtls_install() == 0);
		test_mbedtls_cipher();
		test_mbedtls_hmac();
		test_hmac_against_mbedtls();
		test_stock_cross(SRTP_PROFILE_AES128_CM_SHA1_80);
		test_stock_cross(SRTP_PROFILE_AES128_CM_SHA1_32);
		test_libsrtp_matches_reference(SRTP_PROFILE_AES128_CM_SHA1_80,
		    10);
		test_libsrtp_matches_reference(SRTP_PROFILE_AES128_CM_SHA1_32,
		    4);
		test_round_trip(SRTP_PROFILE_AES128_CM_SHA1_80, 10);
		test_round_trip(SRTP_PROFILE_AES128_CM_SHA1_32, 4);
		/* Our RTP transform, on the AES and SHA-1 this pass uses. */
		test_rtp_vectors();
		test_oracle_inbound(SRTP_PROFILE_AES128_CM_SHA1_80);
		test_oracle_inbound(SRTP_PROFILE_AES128_CM_SHA1_32);
		test_oracle_outbound(SRTP_PROFILE_AES128_CM_SHA1_80);
		test_oracle_outbound(SRTP_PROFILE_AES128_CM_SHA1_32);
		test_oracle_long(SRTP_PROFILE_AES128_CM_SHA1_80);
		test_oracle_long(SRTP_PROFILE_AES128_CM_SHA1_32);
		test_rtp_limits();
	}
	sha1_force_portable(0);
#if AES_X86
	aes_x86_force_portable(0);
#endif
	test_icm_against_stock();
	memset(&k, 0, sizeof(k));
	k.profile = 7;
	CHECK(srtp_pair_new(&k) == NULL);
	CHECK(srtp_mbedtls_live() == 0);
	if (failures > 0) {
		fprintf(stderr, "%d failures\n", failures);
		return (1);
	}
	return (0);
}
