/*
 * RTP/RTCP parsing and building.  Every function here takes untrusted
 * bytes: lengths are checked before each read and nothing is allocated.
 */
#include <string.h>

#include "rtp.h"

enum pkt_kind
pkt_classify(const uint8_t *buf, size_t len)
{
	uint8_t	 b;

	if (len == 0)
		return (PKT_UNKNOWN);
	b = buf[0];
	if (b <= 3)
		return (PKT_STUN);
	if (b >= 16 && b <= 19)
		return (PKT_ZRTP);
	if (b >= 20 && b <= 63)
		return (PKT_DTLS);
	if (b >= 64 && b <= 79)
		return (PKT_TURN_CHANNEL);
	if (b >= 128 && b <= 191) {
		if (len < 2)
			return (PKT_UNKNOWN);
		/* RFC 5761: types 64-95 with the marker bit are RTCP. */
		if (buf[1] >= 192 && buf[1] <= 223)
			return (PKT_RTCP);
		return (PKT_RTP);
	}
	return (PKT_UNKNOWN);
}

const char *
pkt_kind_name(enum pkt_kind k)
{
	switch (k) {
	case PKT_STUN:
		return ("stun");
	case PKT_ZRTP:
		return ("zrtp");
	case PKT_DTLS:
		return ("dtls");
	case PKT_TURN_CHANNEL:
		return ("turn-channel");
	case PKT_RTP:
		return ("rtp");
	case PKT_RTCP:
		return ("rtcp");
	default:
		return ("unknown");
	}
}

/*
 * Parse and validate an RTP header.  Returns 0 and fills h, or -1 if the
 * packet is not well-formed RTP version 2.
 */
int
rtp_parse(const uint8_t *buf, size_t len, struct rtp_hdr *h)
{
	size_t	 off, extwords;

	memset(h, 0, sizeof(*h));
	if (len < RTP_HDRLEN || (buf[0] >> 6) != RTP_VERSION)
		return (-1);
	h->cc = buf[0] & 0x0f;
	h->marker = buf[1] >> 7;
	h->pt = buf[1] & 0x7f;
	h->seq = get16(buf + 2);
	h->ts = get32(buf + 4);
	h->ssrc = get32(buf + 8);
	off = RTP_HDRLEN;
	if (len - off < (size_t)h->cc * 4)
		return (-1);
	h->csrc = buf + off;
	off += (size_t)h->cc * 4;
	if (buf[0] & 0x10) {
		if (len - off < 4)
			return (-1);
		h->has_ext = 1;
		h->ext_profile = get16(buf + off);
		extwords = get16(buf + off + 2);
		off += 4;
		if (len - off < extwords * 4)
			return (-1);
		h->ext = buf + off;
		h->extlen = extwords * 4;
		off += extwords * 4;
	}
	h->hdrlen = off;
	h->paylen = len - off;
	if (buf[0] & 0x20) {
		/* The count includes itself, so 0 is invalid. */
		h->padlen = buf[len - 1];
		if (h->padlen == 0 || h->padlen > h->paylen)
			return (-1);
		h->paylen -= h->padlen;
	}
	h->payload = buf + off;
	return (0);
}

/*
 * Write the fixed header, CSRCs and extension described by h (payload and
 * padding are the caller's).  Returns the header length, 0 if it does not
 * fit or h is inconsistent.
 */
size_t
rtp_write_header(uint8_t *buf, size_t size, const struct rtp_hdr *h)
{
	size_t	 need;

	if (h->cc > RTP_MAXCSRC || h->pt > 127 || (h->extlen % 4) != 0 ||
	    h->extlen / 4 > 0xffff)
		return (0);
	need = RTP_HDRLEN + (size_t)h->cc * 4 +
	    (h->has_ext ? 4 + h->extlen : 0);
	if (size < need)
		return (0);
	buf[0] = RTP_VERSION << 6 | (h->has_ext ? 0x10 : 0) | h->cc;
	buf[1] = (h->marker ? 0x80 : 0) | h->pt;
	put16(buf + 2, h->seq);
	put32(buf + 4, h->ts);
	put32(buf + 8, h->ssrc);
	if (h->cc > 0)
		memcpy(buf + RTP_HDRLEN, h->csrc, (size_t)h->cc * 4);
	if (h->has_ext) {
		need = RTP_HDRLEN + (size_t)h->cc * 4;
		put16(buf + need, h->ext_profile);
		put16(buf + need + 2, h->extlen / 4);
		if (h->extlen > 0)
			memcpy(buf + need + 4, h->ext, h->extlen);
		need += 4 + h->extlen;
	}
	return (need);
}

/*
 * Walk the items of an SDES packet.  With cb NULL it only validates.
 * Returns 0, or -1 if the chunks do not add up.
 */
int
rtcp_sdes_walk(const struct rtcp_pkt *p, rtcp_sdes_cb cb, void *arg)
{
	const uint8_t	*b = p->data;
	size_t		 off = RTCP_HDRLEN, len = p->len;
	unsigned int	 chunk;
	uint32_t	 ssrc;
	uint8_t		 type, ilen;

	for (chunk = 0; chunk < p->count; chunk++) {
		if (len - off < 4)
			return (-1);
		ssrc = get32(b + off);
		off += 4;
		for (;;) {
			if (off >= len)
				return (-1);
			type = b[off];
			if (type == RTCP_SDES_END)
				break;
			if (len - off < 2)
				return (-1);
			ilen = b[off + 1];
			if (len - off - 2 < ilen)
				return (-1);
			if (cb != NULL)
				cb(ssrc, type, b + off + 2, ilen, arg);
			off += 2 + ilen;
		}
		/* The end item, then null octets up to a 32-bit boundary. */
		off = (off + 4) & ~(size_t)3;
		if (off > len)
			return (-1);
	}
	return (0);
}

static int
rtcp_decode(const uint8_t *b, size_t len, struct rtcp_pkt *p)
{
	size_t	 need, rlen;

	memset(p, 0, sizeof(*p));
	p->count = b[0] & 0x1f;
	p->pt = b[1];
	p->data = b;
	p->len = len;
	switch (p->pt) {
	case RTCP_SR:
		need = 28 + (size_t)p->count * 24;
		if (len < need)
			return (-1);
		p->ssrc = get32(b + 4);
		p->ntp = (uint64_t)get32(b + 8) << 32 | get32(b + 12);
		p->rtp_ts = get32(b + 16);
		p->pkts = get32(b + 20);
		p->octets = get32(b + 24);
		p->reports = b + 28;
		break;
	case RTCP_RR:
		need = 8 + (size_t)p->count * 24;
		if (len < need)
			return (-1);
		p->ssrc = get32(b + 4);
		p->reports = b + 8;
		break;
	case RTCP_SDES:
		return (rtcp_sdes_walk(p, NULL, NULL));
	case RTCP_BYE:
		need = 4 + (size_t)p->count * 4;
		if (len < need)
			return (-1);
		if (p->count > 0)
			p->ssrc = get32(b + 4);
		if (len > need) {
			rlen = b[need];
			if (len - need - 1 < rlen)
				return (-1);
			p->reason = b + need + 1;
			p->reasonlen = rlen;
		}
		break;
	case RTCP_APP:
		if (len < 12)
			return (-1);
		p->ssrc = get32(b + 4);
		memcpy(p->name, b + 8, 4);
		p->name[4] = '\0';
		p->appdata = b + 12;
		p->appdatalen = len - 12;
		break;
	case RTCP_RTPFB:
	case RTCP_PSFB:
		if (len < 12)
			return (-1);
		p->ssrc = get32(b + 4);
		break;
	default:
		/* Unknown types are carried, not interpreted. */
		break;
	}
	return (0);
}

/*
 * Validate a compound RTCP datagram as a whole (version, lengths adding up
 * to the datagram, padding only in the last packet), then hand each packet
 * to cb.  Returns -1 if malformed (cb is then never called), otherwise 0
 * or the first non-zero value cb returned.
 */
int
rtcp_walk(const uint8_t *buf, size_t len, rtcp_walk_cb cb, void *arg)
{
	struct rtcp_pkt	 p;
	size_t		 off, plen, body;
	int		 pass, rv;

	if (len < RTCP_HDRLEN)
		return (-1);
	for (pass = 0; pass < 2; pass++) {
		for (off = 0; off < len; off += plen) {
			if (len - off < RTCP_HDRLEN ||
			    (buf[off] >> 6) != RTP_VERSION)
				return (-1);
			plen = ((size_t)get16(buf + off + 2) + 1) * 4;
			if (plen > len - off)
				return (-1);
			body = plen;
			if (buf[off] & 0x20) {
				if (off + plen != len)
					return (-1);
				if (buf[off + plen - 1] == 0 ||
				    buf[off + plen - 1] > plen - RTCP_HDRLEN)
					return (-1);
				body -= buf[off + plen - 1];
			}
			if (rtcp_decode(buf + off, body, &p) == -1)
				return (-1);
			if (pass == 1 && cb != NULL &&
			    (rv = cb(&p, arg)) != 0)
				return (rv);
		}
	}
	return (0);
}

/* Fetch report block i of an SR or RR.  Returns -1 if there is none. */
int
rtcp_report_get(const struct rtcp_pkt *p, unsigned int i,
    struct rtcp_report *r)
{
	const uint8_t	*b;
	uint32_t	 lost;

	if ((p->pt != RTCP_SR && p->pt != RTCP_RR) || i >= p->count)
		return (-1);
	b = p->reports + (size_t)i * 24;
	r->ssrc = get32(b);
	r->fraction = b[4];
	lost = get32(b + 4) & 0xffffff;
	if (lost & 0x800000)
		lost |= 0xff000000;
	r->lost = (int32_t)lost;
	r->highest_seq = get32(b + 8);
	r->jitter = get32(b + 12);
	r->lsr = get32(b + 16);
	r->dlsr = get32(b + 20);
	return (0);
}

static void
write_blocks(uint8_t *b, const struct rtcp_report *r, unsigned int n)
{
	unsigned int	 i;

	for (i = 0; i < n; i++, b += 24) {
		put32(b, r[i].ssrc);
		put32(b + 4, (uint32_t)r[i].lost & 0xffffff);
		b[4] = r[i].fraction;
		put32(b + 8, r[i].highest_seq);
		put32(b + 12, r[i].jitter);
		put32(b + 16, r[i].lsr);
		put32(b + 20, r[i].dlsr);
	}
}

/*
 * Build a sender report: ntp is the 64-bit NTP timestamp, rtp_ts the same
 * instant on the RTP clock.  Returns its length, 0 if it does not fit.
 */
size_t
rtcp_write_sr(uint8_t *buf, size_t size, uint32_t ssrc, uint64_t ntp,
    uint32_t rtp_ts, uint32_t pkts, uint32_t octets,
    const struct rtcp_report *r, unsigned int n)
{
	size_t	 len = 28 + (size_t)n * 24;

	if (n > 31 || size < len)
		return (0);
	buf[0] = RTP_VERSION << 6 | n;
	buf[1] = RTCP_SR;
	put16(buf + 2, len / 4 - 1);
	put32(buf + 4, ssrc);
	put32(buf + 8, (uint32_t)(ntp >> 32));
	put32(buf + 12, (uint32_t)ntp);
	put32(buf + 16, rtp_ts);
	put32(buf + 20, pkts);
	put32(buf + 24, octets);
	write_blocks(buf + 28, r, n);
	return (len);
}

/* Build a receiver report.  Returns its length, 0 if it does not fit. */
size_t
rtcp_write_rr(uint8_t *buf, size_t size, uint32_t ssrc,
    const struct rtcp_report *r, unsigned int n)
{
	size_t	 len = 8 + (size_t)n * 24;

	if (n > 31 || size < len)
		return (0);
	buf[0] = RTP_VERSION << 6 | n;
	buf[1] = RTCP_RR;
	put16(buf + 2, len / 4 - 1);
	put32(buf + 4, ssrc);
	write_blocks(buf + 8, r, n);
	return (len);
}

/* Build an SDES packet with one CNAME chunk. */
size_t
rtcp_write_sdes_cname(uint8_t *buf, size_t size, uint32_t ssrc,
    const char *cname)
{
	size_t	 clen = strlen(cname), len;

	if (clen > 255)
		return (0);
	/* header, SSRC, item head, text, end item, pad to 4 */
	len = (4 + 4 + 2 + clen + 1 + 3) & ~(size_t)3;
	if (size < len)
		return (0);
	memset(buf, 0, len);
	buf[0] = RTP_VERSION << 6 | 1;
	buf[1] = RTCP_SDES;
	put16(buf + 2, len / 4 - 1);
	put32(buf + 4, ssrc);
	buf[8] = RTCP_SDES_CNAME;
	buf[9] = clen;
	memcpy(buf + 10, cname, clen);
	return (len);
}

/* Parse the first event of an RFC 4733 payload. */
int
rtp_dtmf_parse(const uint8_t *buf, size_t len, struct rtp_dtmf *d)
{
	if (len < RTP_DTMF_LEN)
		return (-1);
	d->event = buf[0];
	d->end = buf[1] >> 7;
	d->volume = buf[1] & 0x3f;
	d->duration = get16(buf + 2);
	return (0);
}

size_t
rtp_dtmf_write(uint8_t *buf, size_t size, const struct rtp_dtmf *d)
{
	if (size < RTP_DTMF_LEN || d->volume > 63)
		return (0);
	buf[0] = d->event;
	buf[1] = (d->end ? 0x80 : 0) | d->volume;
	put16(buf + 2, d->duration);
	return (RTP_DTMF_LEN);
}

/* The DTMF character for an event code, -1 if it is not a DTMF digit. */
int
rtp_dtmf_char(uint8_t event)
{
	static const char	 digits[] = "0123456789*#ABCD";

	if (event > 15)
		return (-1);
	return (digits[event]);
}

/* The event code for a DTMF character, -1 if there is none. */
int
rtp_dtmf_event(int c)
{
	static const char	 digits[] = "0123456789*#ABCD";
	const char		*p;

	if (c == '\0' || (p = strchr(digits, c >= 'a' && c <= 'd' ?
	    c - 'a' + 'A' : c)) == NULL)
		return (-1);
	return (p - digits);
}
