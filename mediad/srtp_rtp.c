/*
 * SRTP for RTP packets (RFC 3711).  See srtp_rtp.h.
 *
 * The packet index is estimated and the replay window kept the way
 * libsrtp2 does it (its rdbx), so that behaviour is unchanged from when
 * libsrtp carried RTP: a fresh SSRC starts at ROC 0 and its first
 * sequence number; later ones take the ROC that puts them nearest the
 * highest index seen (RFC 3711 appendix A).  The window is a ring of
 * SRTP_REPLAY_WINDOW bits indexed by packet index, so moving it on by one
 * packet clears one bit instead of shifting the whole window.
 */
#include <string.h>

#include <mbedtls/aes.h>

#include "rtp.h"
#include "sha1_state.h"
#include "srtp_rtp.h"

#define SEQ_MEDIAN	0x8000
#define SEQ_SPAN	0x10000
_Static_assert(SRTP_REPLAY_WINDOW % 64 == 0, "window in 64-bit words");

/*
 * AES-CM keystream XORed into buf (RFC 3711 4.1.1): counter blocks ctr,
 * ctr + 1, ... counting in the low 16 bits only.  An SRTP packet is far
 * shorter than 2^16 blocks, so mbedtls's 128-bit count is the same.
 */
static void
ctr_xor(struct srtp_rtp_keys *k, uint8_t ctr[16], uint8_t *buf, size_t len)
{
	uint8_t	 block[16];
	size_t	 off = 0, i;

#if AES_X86
	if (k->x86) {
		aes_x86_ctr16(&k->aes.x86, ctr, buf, len / 16);
		buf += len / 16 * 16;
		len %= 16;
		if (len > 0) {
			memset(block, 0, sizeof(block));
			aes_x86_ctr16(&k->aes.x86, ctr, block, 1);
			for (i = 0; i < len; i++)
				buf[i] ^= block[i];
			explicit_bzero(block, sizeof(block));
		}
		return;
	}
#endif
	(void)i;
	(void)mbedtls_aes_crypt_ctr(&k->aes.mb, len, &off, ctr, block, buf,
	    buf);
	explicit_bzero(block, sizeof(block));
}

/*
 * The AES-CM PRF with key derivation rate 0 (RFC 3711 4.3): keystream
 * over x = master salt ^ (label << 48), times 2^16.  Once per key, so
 * always on mbedtls.
 */
void
srtp_rtp_kdf(const uint8_t master[SRTP_KEYMAT_LEN], uint8_t label,
    uint8_t *out, size_t len)
{
	mbedtls_aes_context	 aes;
	uint8_t			 ctr[16], block[16];
	size_t			 off = 0;

	memset(ctr, 0, sizeof(ctr));
	memcpy(ctr, master + SRTP_KEYMAT_KEY_LEN, SRTP_KEYMAT_SALT_LEN);
	ctr[7] ^= label;
	memset(out, 0, len);
	mbedtls_aes_init(&aes);
	(void)mbedtls_aes_setkey_enc(&aes, master, 128);
	(void)mbedtls_aes_crypt_ctr(&aes, len, &off, ctr, block, out, out);
	mbedtls_aes_free(&aes);
	explicit_bzero(block, sizeof(block));
	explicit_bzero(ctr, sizeof(ctr));
}

/* mbedtls's key schedule let go of; the caller wipes the rest. */
static void
keys_free(struct srtp_rtp_keys *k)
{
	if (k->keyed && !k->x86)
		mbedtls_aes_free(&k->aes.mb);
}

static int
profile_taglen(uint16_t profile, size_t *taglen)
{
	switch (profile) {
	case SRTP_PROFILE_AES128_CM_SHA1_80:
		*taglen = 10;
		return (0);
	case SRTP_PROFILE_AES128_CM_SHA1_32:
		*taglen = 4;
		return (0);
	}
	return (-1);
}

/* Key k with the session keys themselves. */
static void
keys_set(struct srtp_rtp_keys *k, size_t taglen, const uint8_t ck[16],
    const uint8_t salt[SRTP_KEYMAT_SALT_LEN], const uint8_t ak[SHA1_DIGEST_LEN])
{
	uint8_t	 kb[SHA1_BLOCK_LEN];

	keys_free(k);
	explicit_bzero(k, sizeof(*k));
	k->taglen = taglen;
	memcpy(k->salt, salt, SRTP_KEYMAT_SALT_LEN);
#if AES_X86
	k->x86 = aes_x86_use();
	if (k->x86)
		(void)aes_x86_expand(&k->aes.x86, ck, 128);
#endif
	if (!k->x86) {
		mbedtls_aes_init(&k->aes.mb);
		(void)mbedtls_aes_setkey_enc(&k->aes.mb, ck, 128);
	}
	/* The 20-byte auth key, padded with zeros to a block (RFC 2104). */
	memset(kb, 0, sizeof(kb));
	memcpy(kb, ak, SHA1_DIGEST_LEN);
	sha1_hmac_state(kb, 0x36, k->inner0);
	sha1_hmac_state(kb, 0x5c, k->outer0);
	explicit_bzero(kb, sizeof(kb));
	k->keyed = 1;
}

/* Session keys (labels 0-2) from the master key and salt. */
static int
keys_init(struct srtp_rtp_keys *k, uint16_t profile, const uint8_t *master)
{
	uint8_t	 ck[16], ak[SHA1_DIGEST_LEN], salt[SRTP_KEYMAT_SALT_LEN];
	size_t	 taglen;

	if (profile_taglen(profile, &taglen) == -1)
		return (-1);
	srtp_rtp_kdf(master, 0, ck, sizeof(ck));
	srtp_rtp_kdf(master, 1, ak, sizeof(ak));
	srtp_rtp_kdf(master, 2, salt, sizeof(salt));
	keys_set(k, taglen, ck, salt, ak);
	explicit_bzero(ck, sizeof(ck));
	explicit_bzero(ak, sizeof(ak));
	explicit_bzero(salt, sizeof(salt));
	return (0);
}

/*
 * For tests: key t with session keys as given (RFC 3711 B.2 gives a
 * session key and salt, not a master key).
 */
void
srtp_rtp_tx_init_session(struct srtp_rtp_tx *t, size_t taglen,
    const uint8_t *ck, const uint8_t *salt, const uint8_t *ak)
{
	srtp_rtp_tx_wipe(t);
	keys_set(&t->k, taglen, ck, salt, ak);
}

int
srtp_rtp_tx_init(struct srtp_rtp_tx *t, uint16_t profile,
    const uint8_t *master)
{
	srtp_rtp_tx_wipe(t);
	return (keys_init(&t->k, profile, master));
}

int
srtp_rtp_rx_init(struct srtp_rtp_rx *r, uint16_t profile,
    const uint8_t *master)
{
	srtp_rtp_rx_wipe(r);
	return (keys_init(&r->k, profile, master));
}

/* Keys and indices gone; the context refuses packets until keyed again. */
void
srtp_rtp_tx_wipe(struct srtp_rtp_tx *t)
{
	keys_free(&t->k);
	explicit_bzero(t, sizeof(*t));
}

void
srtp_rtp_rx_wipe(struct srtp_rtp_rx *r)
{
	keys_free(&r->k);
	explicit_bzero(r, sizeof(*r));
}

/*
 * Length of the RTP header with its CSRCs and extension, which stay in
 * the clear (RFC 3711 3.1), or 0 if it does not fit in len.
 */
static size_t
header_len(const uint8_t *p, size_t len)
{
	size_t	 n;

	if (len < RTP_HDRLEN)
		return (0);
	n = RTP_HDRLEN + 4 * (size_t)(p[0] & 0x0f);
	if (p[0] & 0x10) {
		if (len < n + 4)
			return (0);
		n += 4 + 4 * (size_t)get16(p + n + 2);
	}
	return (n <= len ? n : 0);
}

/*
 * The index for seq, from hi, the highest index seen, and its distance
 * from hi.  As libsrtp's rdbx: until hi passes 2^15 the ROC is 0 (a
 * guess of ROC -1 makes no sense there); after that, the ROC of hi, one
 * less or one more, whichever is nearest.
 */
static int32_t
estimate(uint64_t hi, uint16_t seq, uint64_t *idx)
{
	uint32_t	 roc = (uint32_t)(hi >> 16);
	int32_t		 s_l = (uint16_t)hi, d;

	if (hi <= SEQ_MEDIAN) {
		*idx = seq;
		return ((int32_t)seq - s_l);
	}
	d = (int32_t)seq - s_l;
	if (s_l < SEQ_MEDIAN) {
		if (d > SEQ_MEDIAN) {
			roc--;
			d -= SEQ_SPAN;
		}
	} else if (s_l - SEQ_MEDIAN > (int32_t)seq) {
		roc++;
		d += SEQ_SPAN;
	}
	*idx = (uint64_t)roc << 16 | seq;
	return (d);
}

/*
 * HMAC-SHA1 over the authenticated portion and the ROC (RFC 3711 4.2):
 * the inner hash from its keyed state, the outer one a single block.
 */
static void
auth_tag(const struct srtp_rtp_keys *k, const uint8_t *p, size_t len,
    uint32_t roc, uint8_t tag[SHA1_DIGEST_LEN])
{
	struct sha1_state	 s;
	uint8_t			 b[SHA1_BLOCK_LEN];
	uint32_t		 h[5];
	int			 i;

	sha1_state_resume(&s, k->inner0, SHA1_BLOCK_LEN);
	sha1_state_update(&s, p, len);
	put32(b, roc);
	sha1_state_update(&s, b, 4);
	sha1_state_finish(&s, b);
	/* 0x80, zeros, and (64 + 20) * 8 bits as the length. */
	b[SHA1_DIGEST_LEN] = 0x80;
	memset(b + SHA1_DIGEST_LEN + 1, 0,
	    SHA1_BLOCK_LEN - SHA1_DIGEST_LEN - 1 - 2);
	b[62] = 0x02;
	b[63] = 0xa0;
	memcpy(h, k->outer0, sizeof(h));
	sha1_compress(h, b, 1);
	for (i = 0; i < 5; i++)
		put32(tag + 4 * i, h[i]);
}

/* Keystream for ssrc and index xored into the payload. */
static void
crypt_payload(struct srtp_rtp_keys *k, uint32_t ssrc, uint64_t idx,
    uint8_t *p, size_t len)
{
	uint8_t	 ctr[16];
	int	 i;

	memcpy(ctr, k->salt, sizeof(ctr));
	for (i = 0; i < 4; i++)
		ctr[4 + i] ^= (uint8_t)(ssrc >> (24 - 8 * i));
	for (i = 0; i < 6; i++)
		ctr[8 + i] ^= (uint8_t)(idx >> (40 - 8 * i));
	ctr_xor(k, ctr, p, len);
	/* It holds the session salt. */
	explicit_bzero(ctr, sizeof(ctr));
}

/*
 * The slot for ssrc, or a free one claimed for it.  Every index sent
 * under the key stays on record, so that none is ever sent twice with
 * other content: when all slots are taken a new SSRC is refused.
 */
static struct srtp_rtp_txslot *
tx_slot(struct srtp_rtp_tx *t, uint32_t ssrc)
{
	struct srtp_rtp_txslot	*s = &t->slot[t->last];
	unsigned int		 i;

	if (s->used != 0 && s->ssrc == ssrc)
		return (s);
	for (i = 0; i < SRTP_RTP_SSRCS; i++) {
		s = &t->slot[i];
		if (s->used == 0) {
			s->ssrc = ssrc;
			s->hi = 0;
		} else if (s->ssrc != ssrc)
			continue;
		s->used = 1;
		t->last = i;
		return (s);
	}
	return (NULL);
}

/*
 * Protect the RTP packet in buf in place: encrypt after the header, add
 * the tag.  Sending an index again is allowed (a retransmission), one
 * more than the replay window behind the highest is not.
 */
int
srtp_rtp_protect(struct srtp_rtp_tx *t, uint8_t *buf, size_t *len,
    size_t size)
{
	struct srtp_rtp_txslot	*s;
	uint8_t			 tag[SHA1_DIGEST_LEN];
	uint64_t		 idx;
	size_t			 hlen;
	int32_t			 d;
	uint32_t		 ssrc;

	if (!t->k.keyed || (hlen = header_len(buf, *len)) == 0 ||
	    size < *len || size - *len < t->k.taglen ||
	    t->k.packets >= SRTP_RTP_KEY_LIMIT)
		return (SRTP_ERR);
	ssrc = get32(buf + 8);
	if ((s = tx_slot(t, ssrc)) == NULL)
		return (SRTP_ERR);
	d = estimate(s->hi, get16(buf + 2), &idx);
	if (d <= -SRTP_REPLAY_WINDOW)
		return (SRTP_ERR);
	if (d > 0)
		s->hi = idx;
	t->k.packets++;
	crypt_payload(&t->k, ssrc, idx, buf + hlen, *len - hlen);
	auth_tag(&t->k, buf, *len, (uint32_t)(idx >> 16), tag);
	memcpy(buf + *len, tag, t->k.taglen);
	*len += t->k.taglen;
	return (0);
}

/*
 * The slot for ssrc, or NULL.  A new SSRC takes a slot (rx_claim) only
 * once a packet of it has authenticated, so forgeries with made-up SSRCs
 * never push a live one out.
 */
static struct srtp_rtp_rxslot *
rx_find(struct srtp_rtp_rx *r, uint32_t ssrc)
{
	struct srtp_rtp_rxslot	*s = &r->slot[r->last];
	unsigned int		 i;

	if (s->used != 0 && s->ssrc == ssrc)
		return (s);
	for (i = 0; i < SRTP_RTP_SSRCS; i++) {
		s = &r->slot[i];
		if (s->used != 0 && s->ssrc == ssrc) {
			r->last = i;
			return (s);
		}
	}
	return (NULL);
}

/* The least recently used slot, now ssrc's, fresh. */
static struct srtp_rtp_rxslot *
rx_claim(struct srtp_rtp_rx *r, uint32_t ssrc)
{
	struct srtp_rtp_rxslot	*s;
	unsigned int		 i, old = 0;

	for (i = 1; i < SRTP_RTP_SSRCS; i++)
		if (r->slot[i].used < r->slot[old].used)
			old = i;
	s = &r->slot[old];
	memset(s, 0, sizeof(*s));
	s->ssrc = ssrc;
	r->last = old;
	return (s);
}

/* Whether index idx, d from the highest, was seen or is too old. */
static int
rx_seen(const struct srtp_rtp_rxslot *s, uint64_t idx, int32_t d)
{
	unsigned int	 bit = idx % SRTP_REPLAY_WINDOW;

	if (d > 0)
		return (0);
	if (d <= -SRTP_REPLAY_WINDOW)
		return (1);
	return ((s->seen[bit / 64] >> (bit % 64) & 1) != 0);
}

/* Record idx; past the highest, the indices skipped become unseen. */
static void
rx_mark(struct srtp_rtp_rxslot *s, uint64_t idx, int32_t d)
{
	unsigned int	 bit;
	uint64_t	 i;

	if (d > 0) {
		if (d >= SRTP_REPLAY_WINDOW)
			memset(s->seen, 0, sizeof(s->seen));
		else
			for (i = s->hi + 1; i < idx; i++) {
				bit = i % SRTP_REPLAY_WINDOW;
				s->seen[bit / 64] &= ~(1ULL << (bit % 64));
			}
		s->hi = idx;
	}
	bit = idx % SRTP_REPLAY_WINDOW;
	s->seen[bit / 64] |= 1ULL << (bit % 64);
}

/*
 * Verify and decrypt an SRTP packet in place.  The window is checked
 * before the tag and moved only after it, so a forged packet changes
 * nothing.
 */
int
srtp_rtp_unprotect(struct srtp_rtp_rx *r, uint8_t *buf, size_t *len)
{
	struct srtp_rtp_rxslot	*s;
	uint8_t			 tag[SHA1_DIGEST_LEN], diff = 0;
	uint64_t		 idx;
	size_t			 hlen, plen, i;
	int32_t			 d;
	uint32_t		 ssrc;

	if (!r->k.keyed || *len < r->k.taglen ||
	    (hlen = header_len(buf, *len - r->k.taglen)) == 0 ||
	    r->k.packets >= SRTP_RTP_KEY_LIMIT)
		return (SRTP_ERR);
	plen = *len - r->k.taglen;
	ssrc = get32(buf + 8);
	/* A fresh SSRC starts at index 0 with nothing seen. */
	s = rx_find(r, ssrc);
	d = estimate(s != NULL ? s->hi : 0, get16(buf + 2), &idx);
	if (s != NULL && rx_seen(s, idx, d))
		return (SRTP_EREPLAY);
	auth_tag(&r->k, buf, plen, (uint32_t)(idx >> 16), tag);
	for (i = 0; i < r->k.taglen; i++)
		diff |= tag[i] ^ buf[plen + i];
	if (diff != 0)
		return (SRTP_EAUTH);
	if (s == NULL)
		s = rx_claim(r, ssrc);
	rx_mark(s, idx, d);
	s->used = ++r->clock;
	r->k.packets++;
	crypt_payload(&r->k, ssrc, idx, buf + hlen, plen - hlen);
	*len = plen;
	return (0);
}
