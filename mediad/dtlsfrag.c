/*
 * DTLS ClientHello reassembly.  See dtlsfrag.h.
 */
#include <stdlib.h>
#include <string.h>

#include "dtlsfrag.h"

#define REC_HDR		13	/* type, version, epoch, seq, length */
#define HS_HDR		12	/* type, len, msg seq, offset, frag len */
#define CT_HANDSHAKE	22
#define HT_CLIENT_HELLO	1

static uint32_t
get24(const uint8_t *p)
{
	return ((uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2]);
}

static void
put24(uint8_t *p, uint32_t v)
{
	p[0] = v >> 16;
	p[1] = v >> 8;
	p[2] = v;
}

void
dtls_chello_clear(struct dtls_chello *c)
{
	free(c->msg);
	free(c->have);
	free(c->out);
	memset(c, 0, sizeof(*c));
}

static int
complete(const struct dtls_chello *c)
{
	return (c->have != NULL && memchr(c->have, 0, c->len) == NULL);
}

/*
 * Look at one received datagram.  Fragments of a ClientHello (epoch 0,
 * message_seq 0) are kept; when the last one is in, out and outlen give a
 * single record with the whole message (valid until the next call or
 * dtls_chello_clear()).
 */
int
dtls_chello_feed(struct dtls_chello *c, const uint8_t *dg, size_t len,
    const uint8_t **out, size_t *outlen)
{
	const uint8_t	*r, *hs;
	size_t		 off, rlen;
	uint32_t	 mlen, foff, flen;
	int		 held = 0, other = 0;

	for (off = 0; off < len; off += REC_HDR + rlen) {
		r = dg + off;
		if (len - off < REC_HDR)
			return (held ? DTLS_CHELLO_BAD : DTLS_CHELLO_PASS);
		rlen = (size_t)r[11] << 8 | r[12];
		if (rlen > len - off - REC_HDR)
			return (held ? DTLS_CHELLO_BAD : DTLS_CHELLO_PASS);
		/* Only epoch 0 handshake records carrying a ClientHello. */
		if (r[0] != CT_HANDSHAKE || r[3] != 0 || r[4] != 0 ||
		    rlen < HS_HDR || r[REC_HDR] != HT_CLIENT_HELLO) {
			other = 1;
			continue;
		}
		hs = r + REC_HDR;
		mlen = get24(hs + 1);
		foff = get24(hs + 6);
		flen = get24(hs + 9);
		if (hs[4] != 0 || hs[5] != 0 || flen > rlen - HS_HDR ||
		    foff > mlen || flen > mlen - foff)
			return (DTLS_CHELLO_BAD);
		/* Whole in one record: mbedtls copes with that itself. */
		if (foff == 0 && flen == mlen) {
			other = 1;
			continue;
		}
		if (mlen > DTLS_CHELLO_MAX)
			return (DTLS_CHELLO_BAD);
		if (c->msg == NULL) {
			if ((c->msg = calloc(1, mlen)) == NULL ||
			    (c->have = calloc(1, mlen)) == NULL) {
				dtls_chello_clear(c);
				return (DTLS_CHELLO_BAD);
			}
			c->len = mlen;
		} else if (mlen != c->len)
			return (DTLS_CHELLO_BAD);
		memcpy(c->msg + foff, hs + HS_HDR, flen);
		memset(c->have + foff, 1, flen);
		memcpy(c->version, r + 1, 2);
		memcpy(c->seq, r + 5, 6);
		held = 1;
	}
	if (!held)
		return (DTLS_CHELLO_PASS);
	/* A datagram mixing fragments and other records is not a browser's. */
	if (other)
		return (DTLS_CHELLO_BAD);
	if (!complete(c))
		return (DTLS_CHELLO_HELD);

	free(c->out);
	if ((c->out = malloc(REC_HDR + HS_HDR + c->len)) == NULL)
		return (DTLS_CHELLO_BAD);
	c->out[0] = CT_HANDSHAKE;
	memcpy(c->out + 1, c->version, 2);
	c->out[3] = c->out[4] = 0;
	memcpy(c->out + 5, c->seq, 6);
	c->out[11] = (HS_HDR + c->len) >> 8;
	c->out[12] = (HS_HDR + c->len) & 0xff;
	c->out[REC_HDR] = HT_CLIENT_HELLO;
	put24(c->out + REC_HDR + 1, c->len);
	c->out[REC_HDR + 4] = c->out[REC_HDR + 5] = 0;
	put24(c->out + REC_HDR + 6, 0);
	put24(c->out + REC_HDR + 9, c->len);
	memcpy(c->out + REC_HDR + HS_HDR, c->msg, c->len);
	*out = c->out;
	*outlen = REC_HDR + HS_HDR + c->len;
	return (DTLS_CHELLO_DONE);
}
