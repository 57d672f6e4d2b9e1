/*
 * SDP toward the PBX.  Parsing goes through sofia-sip's SDP parser; what
 * the bridge needs is copied out into fixed structures at once, so
 * nothing of the parser's memory outlives the call.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/su_alloc.h>
#include <sofia-sip/sdp.h>

#include "log.h"
#include "sdp_media.h"

static int	sdp_srtp = SDP_SRTP_NO;

static enum media_codec
codec_of(const sdp_rtpmap_t *rm)
{
	if (rm->rm_encoding == NULL)
		return (CODEC_NONE);
	if (rm->rm_rate != 8000)
		return (CODEC_NONE);
	/* Static payload types mean what RFC 3551 says, whatever the name. */
	if (rm->rm_pt == 0)
		return (CODEC_PCMU);
	if (rm->rm_pt == 8)
		return (CODEC_PCMA);
	if (rm->rm_pt < 96)
		return (CODEC_NONE);
	if (strcasecmp(rm->rm_encoding, "PCMU") == 0)
		return (CODEC_PCMU);
	if (strcasecmp(rm->rm_encoding, "PCMA") == 0)
		return (CODEC_PCMA);
	if (strcasecmp(rm->rm_encoding, "telephone-event") == 0)
		return (CODEC_TELEPHONE_EVENT);
	return (CODEC_NONE);
}

static int
has_codec(const struct media_rtp_desc *d, enum media_codec c)
{
	int	 i;

	for (i = 0; i < d->ncodecs; i++)
		if (d->codecs[i].codec == c)
			return (1);
	return (0);
}

static int
parse_addr(const sdp_connection_t *c, struct sockaddr_storage *ss,
    unsigned long port)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (c == NULL || c->c_address == NULL || c->c_nettype != sdp_net_in)
		return (-1);
	switch (c->c_addrtype) {
	case sdp_addr_ip4:
		if (inet_pton(AF_INET, c->c_address, &sin->sin_addr) != 1)
			return (-1);
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		return (0);
	case sdp_addr_ip6:
		if (inet_pton(AF_INET6, c->c_address, &sin6->sin6_addr) != 1)
			return (-1);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		return (0);
	default:
		return (-1);
	}
}

static int
null_addr(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6	*sin6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET)
		return (sin->sin_addr.s_addr == INADDR_ANY);
	return (IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr));
}

static unsigned int
attr_number(const sdp_attribute_t *a, unsigned int max)
{
	unsigned long	 v;
	char		*end;

	if (a == NULL || a->a_value == NULL)
		return (0);
	v = strtoul(a->a_value, &end, 10);
	if (end == a->a_value || v > max || (*end != '\0' && *end != ' '))
		return (0);
	return ((unsigned int)v);
}

/*
 * SDES keys of an m-line: the first a=crypto line we can key wins (the
 * offerer lists them in its preference order).  RTP/SAVP without one is
 * unusable, as is any m-line without one under "srtp require"; RTP/AVP
 * with a=crypto lines is best-effort SRTP, plain RTP if none is usable.
 */
static int
mline_crypto(const sdp_media_t *m, struct media_rtp_desc *d)
{
	const sdp_attribute_t	*a;

	for (a = m->m_attributes; a != NULL; a = a->a_next) {
		if (a->a_name == NULL || a->a_value == NULL ||
		    strcasecmp(a->a_name, "crypto") != 0)
			continue;
		if (sdp_crypto_parse(a->a_value, &d->crypto) == 0)
			return (SDP_OK);
		log_debug("sdp: a=crypto line not usable, skipped");
	}
	if (m->m_proto == sdp_proto_srtp || sdp_srtp == SDP_SRTP_REQUIRE)
		return (SDP_ENOCRYPTO);
	return (SDP_OK);
}

/* Fill d from one m-line, or say why it is no good. */
static int
use_mline(const sdp_session_t *sess, const sdp_media_t *m,
    struct media_rtp_desc *d)
{
	const sdp_rtpmap_t	*rm;
	enum media_codec	 c;
	int			 audio = 0;

	memset(d, 0, sizeof(*d));
	if (m->m_type != sdp_media_audio || (m->m_proto != sdp_proto_rtp &&
	    m->m_proto != sdp_proto_srtp) || m->m_rejected || m->m_port == 0 || m->m_port > 65535)
		return (SDP_ENOAUDIO);
	for (rm = m->m_rtpmaps; rm != NULL; rm = rm->rm_next) {
		if ((c = codec_of(rm)) == CODEC_NONE || has_codec(d, c))
			continue;
		if (d->ncodecs == MEDIA_MAXCODECS)
			break;
		d->codecs[d->ncodecs].codec = c;
		d->codecs[d->ncodecs].pt = rm->rm_pt;
		d->codecs[d->ncodecs].channels = 1;
		d->codecs[d->ncodecs].clock = 8000;
		d->ncodecs++;
		if (c != CODEC_TELEPHONE_EVENT)
			audio = 1;
	}
	if (!audio)
		return (SDP_ENOCODEC);
	if (parse_addr(sdp_media_connections(m), &d->addr, m->m_port) == -1)
		return (SDP_EPARSE);
	d->rtcp_port = attr_number(sdp_attribute_find(m->m_attributes,
	    "rtcp"), 65535);
	d->rtcp_mux = sdp_attribute_find(m->m_attributes, "rtcp-mux") != NULL;
	d->ptime = attr_number(sdp_attribute_find2(m->m_attributes,
	    sess->sdp_attributes, "ptime"), 1000);
	switch (m->m_mode) {
	case sdp_inactive:
		d->dir = MEDIA_INACTIVE;
		break;
	case sdp_sendonly:
		d->dir = MEDIA_SENDONLY;
		break;
	case sdp_recvonly:
		d->dir = MEDIA_RECVONLY;
		break;
	default:
		d->dir = MEDIA_SENDRECV;
		break;
	}
	return (mline_crypto(m, d));
}

/* RFC 4566 token characters. */
static int
token_char(unsigned char c)
{
	return (c > 0x20 && c < 0x7f && strchr("\"(),/:;<=>?@[\\]", c) == NULL);
}

/* Length of a run of token characters at s, at most up to end. */
static size_t
token_len(const char *s, const char *end)
{
	const char	*p;

	for (p = s; p < end && token_char(*p); p++)
		;
	return (p - s);
}

/*
 * m=<media> SP <port>[/<count>] SP <proto> 1*(SP <fmt>): sofia's parser
 * asks for gigabytes on some malformed m= lines, so they are checked
 * strictly here first.  <proto> is token *("/" token).
 */
static int
mline_ok(const char *s, const char *end)
{
	const char	*p = s + 2, *q;
	size_t		 n;
	int		 nfmt = 0;

	for (q = p; q < end && *q != '\r' && *q != '\n'; q++)
		;
	end = q;		/* the line only */
	if (p >= end || (n = token_len(p, end)) == 0)
		return (0);
	p += n;
	if (p >= end || *p++ != ' ')
		return (0);
	for (n = 0; p < end && isdigit((unsigned char)*p); p++)
		n++;
	if (n == 0 || n > 5)
		return (0);
	if (p < end && *p == '/') {
		for (p++, n = 0; p < end && isdigit((unsigned char)*p); p++)
			n++;
		if (n == 0)
			return (0);
	}
	if (p >= end || *p++ != ' ')
		return (0);
	for (;;) {
		if ((n = token_len(p, end)) == 0)
			return (0);
		p += n;
		if (p < end && *p == '/') {
			p++;
			continue;
		}
		break;
	}
	while (p < end && *p == ' ') {
		while (p < end && *p == ' ')
			p++;	/* also forgives trailing blanks */
		if (p == end)
			break;
		if ((n = token_len(p, end)) == 0)
			return (0);
		p += n;
		nfmt++;
	}
	return (p == end && nfmt > 0);
}

/*
 * Every line is <letter>=<value>; the structural lines are ASCII and no
 * line holds control characters.  Anything else is refused before sofia
 * sees it.
 */
static int
sdp_precheck(const char *text, size_t len)
{
	const char	*end = text + len;
	size_t		 i;
	int		 bol = 1, strict = 0;
	unsigned char	 c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)text[i];
		if (c == '\0')
			return (-1);
		if (bol && c != '\r' && c != '\n') {
			/* <type>=<value>, type one lower-case letter. */
			if (c < 'a' || c > 'z' || i + 1 == len ||
			    text[i + 1] != '=')
				return (-1);
			strict = strchr("vomctbrzk", c) != NULL;
			if (c == 'm' && !mline_ok(text + i, end))
				return (-1);
		}
		bol = c == '\n' || c == '\r';
		if (strict && c >= 0x7f)
			return (-1);
		if (c < 0x20 && c != '\r' && c != '\n' && c != '\t')
			return (-1);
	}
	return (0);
}

int
sdp_parse_remote(const char *text, size_t len, struct sdp_remote *r)
{
	su_home_t		*home;
	sdp_parser_t		*p;
	sdp_session_t		*sess;
	sdp_media_t		*m;
	struct media_rtp_desc	 d;
	int			 i, rv, best = SDP_ENOAUDIO;

	memset(r, 0, sizeof(*r));
	r->chosen = -1;
	if (text == NULL || len == 0 || len > 65536 ||
	    sdp_precheck(text, len) == -1)
		return (SDP_EPARSE);
	if ((home = su_home_new(sizeof(*home))) == NULL)
		return (SDP_EPARSE);
	p = sdp_parse(home, text, len, 0);
	if ((sess = sdp_session(p)) == NULL) {
		log_debug("sdp: %s", sdp_parsing_error(p));
		rv = SDP_EPARSE;
		goto done;
	}
	if (sess->sdp_origin != NULL) {
		r->sess_id = sess->sdp_origin->o_id;
		r->sess_version = sess->sdp_origin->o_version;
	}
	for (m = sess->sdp_media, i = 0; m != NULL; m = m->m_next, i++) {
		if (i == SDP_MAXMLINES) {
			rv = SDP_EPARSE;
			goto done;
		}
		/* Kept whole for the answer, or refused: never cut short. */
		if (m->m_type_name == NULL || m->m_proto_name == NULL ||
		    strlcpy(r->mlines[i].type, m->m_type_name,
		    sizeof(r->mlines[i].type)) >= sizeof(r->mlines[i].type) ||
		    strlcpy(r->mlines[i].proto, m->m_proto_name,
		    sizeof(r->mlines[i].proto)) >= sizeof(r->mlines[i].proto)) {
			rv = SDP_EPARSE;
			goto done;
		}
		/* sofia keeps RTP formats as rtpmaps, others as text. */
		if (m->m_rtpmaps != NULL)
			snprintf(r->mlines[i].fmt, sizeof(r->mlines[i].fmt),
			    "%u", m->m_rtpmaps->rm_pt);
		else if (m->m_format != NULL && m->m_format->l_text != NULL &&
		    strlcpy(r->mlines[i].fmt, m->m_format->l_text,
		    sizeof(r->mlines[i].fmt)) >= sizeof(r->mlines[i].fmt)) {
			rv = SDP_EPARSE;
			goto done;
		}
		/* Names we would write back must be plain tokens. */
		if (strpbrk(r->mlines[i].type, " \r\n") != NULL ||
		    strpbrk(r->mlines[i].proto, " \r\n") != NULL ||
		    strpbrk(r->mlines[i].fmt, " \r\n") != NULL ||
		    r->mlines[i].type[0] == '\0' ||
		    r->mlines[i].proto[0] == '\0' ||
		    r->mlines[i].fmt[0] == '\0') {
			rv = SDP_EPARSE;
			goto done;
		}
		if (r->chosen != -1)
			continue;
		rv = use_mline(sess, m, &d);
		if (rv == SDP_OK) {
			r->rtp = d;
			r->chosen = i;
		} else if (rv == SDP_ENOCODEC || (rv == SDP_ENOCRYPTO &&
		    best != SDP_ENOCODEC) || (rv == SDP_EPARSE &&
		    best == SDP_ENOAUDIO))
			best = rv;
	}
	r->nmlines = i;
	if (r->chosen == -1) {
		rv = best;
		goto done;
	}
	r->hold = null_addr(&r->rtp.addr) || r->rtp.dir != MEDIA_SENDRECV;
	rv = SDP_OK;
 done:
	sdp_parser_free(p);
	su_home_unref(home);
	return (rv);
}

const char *
sdp_strerror(int rv)
{
	switch (rv) {
	case SDP_OK:
		return ("ok");
	case SDP_EPARSE:
		return ("malformed SDP");
	case SDP_ENOAUDIO:
		return ("no usable audio stream");
	case SDP_ENOCODEC:
		return ("no common codec");
	case SDP_ENOCRYPTO:
		return ("no usable SRTP key");
	}
	return ("unknown SDP error");
}

/* From sip { srtp }: applies to every SDP read or written after it. */
void
sdp_set_srtp(int mode)
{
	sdp_srtp = mode;
}

void
sdp_local_init(struct sdp_local *l)
{
	memset(l, 0, sizeof(*l));
	/* Small enough to stay readable, random enough to be unique. */
	l->sess_id = arc4random() & 0x7fffffff;
	l->version = l->sess_id;
}

/* Appends to a buffer; remembers overflow instead of failing each time. */
struct sbuf {
	char	*buf;
	size_t	 size, len;
	int	 overflow;
};

static void
sbuf_printf(struct sbuf *sb, const char *fmt, ...)
	__attribute__((__format__ (printf, 2, 3)));

static void
sbuf_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (sb->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->len, sb->size - sb->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sb->size - sb->len)
		sb->overflow = 1;
	else
		sb->len += n;
}

static uint32_t
fnv1a(const char *s, size_t len)
{
	uint32_t	 h = 2166136261U;

	while (len-- > 0) {
		h ^= (unsigned char)*s++;
		h *= 16777619U;
	}
	return (h);
}

static const char *
dir_attr(int dir)
{
	switch (dir) {
	case MEDIA_SENDONLY:
		return ("sendonly");
	case MEDIA_RECVONLY:
		return ("recvonly");
	case MEDIA_INACTIVE:
		return ("inactive");
	}
	return ("sendrecv");
}

static int
addr_text(const struct media_rtp_desc *d, const char *public_addr,
    char *buf, size_t len, const char **family, uint16_t *port)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)&d->addr;
	const struct sockaddr_in6	*sin6 = (const struct sockaddr_in6 *)&d->addr;
	const void			*a;

	if (d->addr.ss_family == AF_INET) {
		a = &sin->sin_addr;
		*port = ntohs(sin->sin_port);
	} else if (d->addr.ss_family == AF_INET6) {
		a = &sin6->sin6_addr;
		*port = ntohs(sin6->sin6_port);
	} else
		return (-1);
	if (public_addr != NULL && *public_addr != '\0') {
		if (strpbrk(public_addr, " \r\n") != NULL ||
		    strlcpy(buf, public_addr, len) >= len)
			return (-1);
		*family = strchr(public_addr, ':') != NULL ? "IP6" : "IP4";
		return (0);
	}
	if (inet_ntop(d->addr.ss_family, a, buf, len) == NULL)
		return (-1);
	*family = d->addr.ss_family == AF_INET6 ? "IP6" : "IP4";
	return (0);
}

static void
write_codec(struct sbuf *sb, const struct media_codec_desc *c)
{
	switch (c->codec) {
	case CODEC_PCMU:
		sbuf_printf(sb, "a=rtpmap:%u PCMU/8000\r\n", c->pt);
		break;
	case CODEC_PCMA:
		sbuf_printf(sb, "a=rtpmap:%u PCMA/8000\r\n", c->pt);
		break;
	case CODEC_TELEPHONE_EVENT:
		sbuf_printf(sb, "a=rtpmap:%u telephone-event/8000\r\n"
		    "a=fmtp:%u 0-16\r\n", c->pt, c->pt);
		break;
	}
}

/*
 * The transport of our audio m-line: plain RTP/AVP, or with keys the
 * offer's own (RTP/SAVP, or RTP/AVP for best-effort SRTP); our offers say
 * RTP/SAVP only when SRTP is required.
 */
static const char *
crypto_proto(const struct sdp_remote *offer,
    const struct media_crypto *crypto)
{
	if (crypto == NULL)
		return ("RTP/AVP");
	if (offer != NULL)
		return (offer->mlines[offer->chosen].proto);
	return (sdp_srtp == SDP_SRTP_REQUIRE ? "RTP/SAVP" : "RTP/AVP");
}

/*
 * SDES keys for our answer: the offer's tag and suite with our key (RFC
 * 4568 section 7.1.2), when the chosen m-line carried keys.
 */
static const struct media_crypto *
answer_crypto(const struct media_rtp_desc *local,
    const struct sdp_remote *offer, struct media_crypto *c)
{
	if (offer->rtp.crypto.suite == CRYPTO_NONE)
		return (NULL);
	*c = local->crypto;
	c->tag = offer->rtp.crypto.tag;
	c->suite = offer->rtp.crypto.suite;
	return (c);
}

/* Our offer's keys: mediad's, when bridged.conf asks for SRTP. */
static const struct media_crypto *
offer_crypto(const struct media_rtp_desc *local, struct media_crypto *c)
{
	if (sdp_srtp == SDP_SRTP_NO)
		return (NULL);
	*c = local->crypto;
	if (c->suite == CRYPTO_NONE)
		c->suite = CRYPTO_AES_CM_128_HMAC_SHA1_80;
	if (c->tag == 0)
		c->tag = 1;
	return (c);
}

/*
 * Write the whole body: everything after o= is made first so that the
 * version only moves when the description does (RFC 3264 section 8).
 */
static int
write_body(struct sdp_local *l, const struct media_rtp_desc *local,
    const struct media_codec_desc *codecs, int ncodecs, int dir, int mux,
    const struct sdp_remote *offer, const struct media_crypto *crypto,
    const char *public_addr, char *out, size_t outlen)
{
	struct sbuf	 rest, sb;
	char		 tail[SDP_MAXBODY], addr[INET6_ADDRSTRLEN + 1];
	char		 cline[128];
	const char	*family;
	uint32_t	 h;
	uint16_t	 port;
	int		 i, j, n;

	if (addr_text(local, public_addr, addr, sizeof(addr), &family,
	    &port) == -1)
		return (SDP_EPARSE);
	rest = (struct sbuf){ tail, sizeof(tail), 0, 0 };
	sbuf_printf(&rest, "s=kandy-bridge\r\nc=IN %s %s\r\nt=0 0\r\n",
	    family, addr);
	n = offer != NULL ? offer->nmlines : 1;
	for (i = 0; i < n; i++) {
		if (offer != NULL && i != offer->chosen) {
			sbuf_printf(&rest, "m=%s 0 %s %s\r\n",
			    offer->mlines[i].type, offer->mlines[i].proto,
			    offer->mlines[i].fmt);
			continue;
		}
		sbuf_printf(&rest, "m=audio %u %s", port,
		    crypto_proto(offer, crypto));
		for (j = 0; j < ncodecs; j++)
			sbuf_printf(&rest, " %u", codecs[j].pt);
		sbuf_printf(&rest, "\r\n");
		for (j = 0; j < ncodecs; j++)
			write_codec(&rest, &codecs[j]);
		if (crypto != NULL) {
			if (sdp_crypto_write(crypto, cline, sizeof(cline)) == -1) {
				explicit_bzero(tail, sizeof(tail));
				return (SDP_ENOCRYPTO);
			}
			sbuf_printf(&rest, "%s", cline);
			explicit_bzero(cline, sizeof(cline));
		}
		if (local->ptime != 0)
			sbuf_printf(&rest, "a=ptime:%u\r\n", local->ptime);
		if (mux)
			sbuf_printf(&rest, "a=rtcp-mux\r\n");
		sbuf_printf(&rest, "a=%s\r\n", dir_attr(dir));
	}
	if (rest.overflow) {
		explicit_bzero(tail, sizeof(tail));
		return (SDP_EPARSE);
	}

	h = fnv1a(tail, rest.len);
	if (l->sent && (h != l->last_hash || l->bump))
		l->version++;
	l->bump = 0;
	sb = (struct sbuf){ out, outlen, 0, 0 };
	sbuf_printf(&sb, "v=0\r\no=- %llu %llu IN %s %s\r\n%s",
	    (unsigned long long)l->sess_id, (unsigned long long)l->version,
	    family, addr, tail);
	explicit_bzero(tail, sizeof(tail));
	if (sb.overflow)
		return (SDP_EPARSE);
	l->last_hash = h;
	l->sent = 1;
	return ((int)sb.len);
}

/* The direction we answer with: ours, limited by what they offered. */
static int
answer_dir(int ours, int theirs)
{
	int	 send, recv;

	send = (ours == MEDIA_SENDRECV || ours == MEDIA_SENDONLY) &&
	    (theirs == MEDIA_SENDRECV || theirs == MEDIA_RECVONLY);
	recv = (ours == MEDIA_SENDRECV || ours == MEDIA_RECVONLY) &&
	    (theirs == MEDIA_SENDRECV || theirs == MEDIA_SENDONLY);
	if (send && recv)
		return (MEDIA_SENDRECV);
	if (send)
		return (MEDIA_SENDONLY);
	if (recv)
		return (MEDIA_RECVONLY);
	return (MEDIA_INACTIVE);
}

int
sdp_write_answer(struct sdp_local *l, const struct media_rtp_desc *local,
    const struct sdp_remote *offer, const char *public_addr, char *out,
    size_t outlen)
{
	struct media_codec_desc	 codecs[MEDIA_MAXCODECS];
	struct media_crypto	 key;
	int			 i, n = 0, audio = 0, rv;

	if (offer->chosen < 0 || offer->chosen >= offer->nmlines)
		return (SDP_ENOAUDIO);
	for (i = 0; i < offer->rtp.ncodecs; i++) {
		if (!has_codec(local, offer->rtp.codecs[i].codec))
			continue;
		codecs[n++] = offer->rtp.codecs[i];
		if (offer->rtp.codecs[i].codec != CODEC_TELEPHONE_EVENT)
			audio = 1;
	}
	if (!audio)
		return (SDP_ENOCODEC);
	rv = write_body(l, local, codecs, n,
	    answer_dir(local->dir, offer->rtp.dir),
	    local->rtcp_mux && offer->rtp.rtcp_mux, offer,
	    answer_crypto(local, offer, &key), public_addr, out, outlen);
	explicit_bzero(&key, sizeof(key));
	return (rv);
}

int
sdp_write_offer(struct sdp_local *l, const struct media_rtp_desc *local,
    const char *public_addr, char *out, size_t outlen)
{
	struct media_codec_desc	 codecs[MEDIA_MAXCODECS];
	struct media_crypto	 key;
	int			 i, n = 0, audio = 0, rv;

	/* Only what the relay passes without transcoding. */
	for (i = 0; i < local->ncodecs && i < MEDIA_MAXCODECS; i++) {
		switch (local->codecs[i].codec) {
		case CODEC_PCMU:
		case CODEC_PCMA:
			audio = 1;
			/* FALLTHROUGH */
		case CODEC_TELEPHONE_EVENT:
			codecs[n++] = local->codecs[i];
			break;
		}
	}
	if (!audio)
		return (SDP_ENOCODEC);
	rv = write_body(l, local, codecs, n, local->dir, local->rtcp_mux,
	    NULL, offer_crypto(local, &key), public_addr, out, outlen);
	explicit_bzero(&key, sizeof(key));
	return (rv);
}
