/*
 * RFC 3711 SRTP transform on mbedtls, for tests and benchmarks only.
 */
#include <string.h>

#include "rtp.h"
#include "srtp_ref.h"

/* AES-CM over an IV of salt * 2^16 with the given bytes XORed in. */
static void
aes_cm(mbedtls_aes_context *aes, const uint8_t iv[16], uint8_t *buf,
    size_t len)
{
	uint8_t	 ctr[16], block[16];
	size_t	 off = 0;

	memcpy(ctr, iv, 16);
	/* mbedtls_aes_crypt_ctr increments all 128 bits, as RFC 3711 does. */
	mbedtls_aes_crypt_ctr(aes, len, &off, ctr, block, buf, buf);
}

/* Session key derivation with key_derivation_rate 0 (RFC 3711 4.3.1). */
void
srtp_ref_kdf(const uint8_t *mkey, const uint8_t *msalt, uint8_t label,
    uint8_t *out, size_t n)
{
	mbedtls_aes_context	 aes;
	uint8_t			 iv[16];

	memset(iv, 0, sizeof(iv));
	memcpy(iv, msalt, 14);
	iv[7] ^= label;
	mbedtls_aes_init(&aes);
	mbedtls_aes_setkey_enc(&aes, mkey, 128);
	memset(out, 0, n);
	aes_cm(&aes, iv, out, n);
	mbedtls_aes_free(&aes);
}

static void
packet_iv(const uint8_t *salt, uint32_t ssrc, uint64_t index, uint8_t iv[16])
{
	int	 i;

	memset(iv, 0, 16);
	memcpy(iv, salt, 14);
	for (i = 0; i < 4; i++)
		iv[4 + i] ^= ssrc >> (24 - 8 * i);
	for (i = 0; i < 6; i++)
		iv[8 + i] ^= index >> (40 - 8 * i);
}

/* The keystream for a packet, as in RFC 3711 appendix B.2. */
void
srtp_ref_keystream(const uint8_t *key, const uint8_t *salt, uint32_t ssrc,
    uint64_t index, uint8_t *out, size_t n)
{
	mbedtls_aes_context	 aes;
	uint8_t			 iv[16];

	packet_iv(salt, ssrc, index, iv);
	mbedtls_aes_init(&aes);
	mbedtls_aes_setkey_enc(&aes, key, 128);
	memset(out, 0, n);
	aes_cm(&aes, iv, out, n);
	mbedtls_aes_free(&aes);
}

/* Key a context from a 30-byte master key and salt; rtcp picks labels 3-5. */
int
srtp_ref_init(struct srtp_ref *r, const uint8_t *master, size_t taglen,
    int rtcp)
{
	uint8_t	 ck[16], ak[20];
	uint8_t	 base = rtcp ? 3 : 0;

	memset(r, 0, sizeof(*r));
	r->taglen = taglen;
	r->rtcp = rtcp;
	srtp_ref_kdf(master, master + 16, base, ck, sizeof(ck));
	srtp_ref_kdf(master, master + 16, base + 1, ak, sizeof(ak));
	srtp_ref_kdf(master, master + 16, base + 2, r->salt, sizeof(r->salt));
	mbedtls_aes_init(&r->aes);
	mbedtls_md_init(&r->hmac);
	if (mbedtls_aes_setkey_enc(&r->aes, ck, 128) != 0 ||
	    mbedtls_md_setup(&r->hmac,
	    mbedtls_md_info_from_type(MBEDTLS_MD_SHA1), 1) != 0 ||
	    mbedtls_md_hmac_starts(&r->hmac, ak, sizeof(ak)) != 0)
		return (-1);
	return (0);
}

void
srtp_ref_free(struct srtp_ref *r)
{
	mbedtls_aes_free(&r->aes);
	mbedtls_md_free(&r->hmac);
}

/*
 * Protect an RTP packet in place for a sender whose sequence numbers only
 * go forward (ROC bumps on wrap).  Returns the new length, 0 on error.
 */
size_t
srtp_ref_protect(struct srtp_ref *r, uint8_t *pkt, size_t len, size_t size)
{
	struct rtp_hdr	 h;
	uint8_t		 iv[16], roc[4], tag[20];
	uint64_t	 index;

	if (rtp_parse(pkt, len, &h) == -1 || size - len < r->taglen)
		return (0);
	if (r->started && h.seq < r->last_seq)
		r->roc++;
	r->started = 1;
	r->last_seq = h.seq;
	index = (uint64_t)r->roc << 16 | h.seq;
	packet_iv(r->salt, h.ssrc, index, iv);
	aes_cm(&r->aes, iv, pkt + h.hdrlen, len - h.hdrlen);
	put32(roc, r->roc);
	mbedtls_md_hmac_reset(&r->hmac);
	mbedtls_md_hmac_update(&r->hmac, pkt, len);
	mbedtls_md_hmac_update(&r->hmac, roc, sizeof(roc));
	mbedtls_md_hmac_finish(&r->hmac, tag);
	memcpy(pkt + len, tag, r->taglen);
	return (len + r->taglen);
}

/* Protect an RTCP compound in place (RFC 3711 3.4).  Room: 4 + tag. */
size_t
srtp_ref_protect_rtcp(struct srtp_ref *r, uint8_t *pkt, size_t len)
{
	uint8_t		 iv[16], tag[20];
	uint32_t	 ssrc;

	if (len < 8)
		return (0);
	ssrc = get32(pkt + 4);
	packet_iv(r->salt, ssrc, r->rtcp_index, iv);
	aes_cm(&r->aes, iv, pkt + 8, len - 8);
	put32(pkt + len, 0x80000000U | r->rtcp_index);
	len += 4;
	r->rtcp_index = (r->rtcp_index + 1) & 0x7fffffff;
	mbedtls_md_hmac_reset(&r->hmac);
	mbedtls_md_hmac_update(&r->hmac, pkt, len);
	mbedtls_md_hmac_finish(&r->hmac, tag);
	memcpy(pkt + len, tag, r->taglen);
	return (len + r->taglen);
}
