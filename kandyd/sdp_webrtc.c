/*
 * WebRTC SDP toward Kandy: build our full (non-trickle) offer or answer
 * from a media description, and parse the remote one back into a media
 * description.
 *
 * The parser is our own rather than sofia-sip's sdp_parse: every line a
 * WebRTC peer cares about (candidate, ice-ufrag, ice-pwd, fingerprint,
 * setup, rtcp-mux, group, ssrc) is an opaque a= string to sofia and would
 * be parsed by hand anyway, and kandyd, which faces the Internet and never
 * sees SIP, should not carry a SIP stack for splitting lines.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kandyd.h"

#define FAIL(msg)	do { if (errstr != NULL) *errstr = (msg); return (-1); } while (0)

#define SDP_MAXLINE	2048
#define SDP_MAXFMT	32

/* Building. */

struct sbuf {
	char	*buf;
	size_t	 size;
	size_t	 off;
	int	 overflow;
};

static void
sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (sb->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->off, sb->size - sb->off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sb->size - sb->off) {
		sb->overflow = 1;
		return;
	}
	sb->off += n;
}

static const char *
addr_str(const struct sockaddr_storage *ss, char *buf, size_t len,
    unsigned int *port, const char **nettype)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6	*sin6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET6) {
		*port = ntohs(sin6->sin6_port);
		*nettype = "IP6";
		return (inet_ntop(AF_INET6, &sin6->sin6_addr, buf, len));
	}
	*port = ntohs(sin->sin_port);
	*nettype = "IP4";
	return (inet_ntop(AF_INET, &sin->sin_addr, buf, len));
}

static const char *
cand_type_name(unsigned int t)
{
	static const char *names[] = { "host", "srflx", "prflx", "relay" };

	return (t <= CAND_RELAY ? names[t] : "host");
}

static void
build_cand(struct sbuf *sb, const struct ice_cand *c)
{
	static const char	*tcptype[] = { NULL, "active", "passive", "so" };
	char			 a[INET6_ADDRSTRLEN], ra[INET6_ADDRSTRLEN];
	const char		*nt;
	unsigned int		 port, rport;

	if (addr_str(&c->addr, a, sizeof(a), &port, &nt) == NULL)
		return;
	sb_printf(sb, "a=candidate:%s %u %s %" PRIu32 " %s %u typ %s",
	    c->foundation, c->component,
	    c->transport == ICE_UDP ? "udp" : "tcp", c->priority, a, port,
	    cand_type_name(c->type));
	if (c->type != CAND_HOST && c->raddr.ss_family != AF_UNSPEC &&
	    addr_str(&c->raddr, ra, sizeof(ra), &rport, &nt) != NULL)
		sb_printf(sb, " raddr %s rport %u", ra, rport);
	if (c->transport != ICE_UDP && c->transport <= ICE_TCP_SO)
		sb_printf(sb, " tcptype %s", tcptype[c->transport]);
	sb_printf(sb, " generation 0\r\n");
}

/*
 * The default candidate for m= and c=: RFC 8839 wants the one most
 * likely to work, so a relayed UDP candidate first, then reflexive, then
 * host.
 */
static const struct ice_cand *
default_cand(const struct media_webrtc_desc *d)
{
	static const uint8_t	 order[] = { CAND_RELAY, CAND_SRFLX, CAND_PRFLX,
				    CAND_HOST };
	unsigned int		 i, j;

	for (j = 0; j < sizeof(order); j++)
		for (i = 0; i < d->ncands; i++)
			if (d->cands[i].component == 1 &&
			    d->cands[i].transport == ICE_UDP &&
			    d->cands[i].type == order[j])
				return (&d->cands[i]);
	return (NULL);
}

static int
relayable(const struct media_codec_desc *c)
{
	/* No transcoding: Opus is understood but never offered. */
	return (c->codec == CODEC_PCMU || c->codec == CODEC_PCMA ||
	    c->codec == CODEC_TELEPHONE_EVENT);
}

static const char *
setup_name(unsigned int s)
{
	switch (s) {
	case SETUP_ACTIVE:
		return ("active");
	case SETUP_PASSIVE:
		return ("passive");
	default:
		return ("actpass");
	}
}

int
sdp_webrtc_build(const struct media_webrtc_desc *d, const struct sdp_local *l,
    char *buf, size_t len, const char **errstr)
{
	struct sbuf		 sb = { buf, len, 0, 0 };
	const struct ice_cand	*dc;
	const char		*nt = "IP4";
	char			 a[INET6_ADDRSTRLEN] = "0.0.0.0";
	unsigned int		 i, n, port = 9;

	if (len == 0)
		FAIL("no buffer");
	buf[0] = '\0';
	if (media_webrtc_valid(d, errstr) == -1)
		return (-1);
	if (memchr(l->cname, '\0', sizeof(l->cname)) == NULL ||
	    memchr(l->stream_id, '\0', sizeof(l->stream_id)) == NULL ||
	    memchr(l->track_id, '\0', sizeof(l->track_id)) == NULL ||
	    l->cname[0] == '\0' || l->stream_id[0] == '\0' ||
	    l->track_id[0] == '\0' ||
	    strpbrk(l->cname, " \r\n") != NULL ||
	    strpbrk(l->stream_id, " \r\n") != NULL ||
	    strpbrk(l->track_id, " \r\n") != NULL)
		FAIL("bad cname or msid");
	for (i = n = 0; i < d->ncodecs; i++)
		if (relayable(&d->codecs[i]))
			n++;
	if (n == 0)
		FAIL("no codec we can relay");

	if ((dc = default_cand(d)) != NULL &&
	    addr_str(&dc->addr, a, sizeof(a), &port, &nt) == NULL)
		FAIL("bad default candidate address");

	sb_printf(&sb, "v=0\r\n");
	sb_printf(&sb, "o=- %" PRIu64 " %" PRIu64 " IN IP4 127.0.0.1\r\n",
	    l->sess_id, l->sess_version);
	sb_printf(&sb, "s=-\r\nt=0 0\r\n");
	if (d->ice_lite)
		sb_printf(&sb, "a=ice-lite\r\n");
	/* The Kandy SDK offers no BUNDLE group and rejects an answer with one. */
	if (!l->no_bundle)
		sb_printf(&sb, "a=group:BUNDLE 0\r\n");
	sb_printf(&sb, "a=msid-semantic: WMS %s\r\n", l->stream_id);

	sb_printf(&sb, "m=audio %u UDP/TLS/RTP/SAVPF", port);
	for (i = 0; i < d->ncodecs; i++)
		if (relayable(&d->codecs[i]))
			sb_printf(&sb, " %u", d->codecs[i].pt);
	sb_printf(&sb, "\r\n");
	sb_printf(&sb, "c=IN %s %s\r\n", nt, a);
	sb_printf(&sb, "a=rtcp:%u IN %s %s\r\n", port, nt, a);
	for (i = 0; i < d->ncands; i++)
		build_cand(&sb, &d->cands[i]);
	sb_printf(&sb, "a=ice-ufrag:%s\r\n", d->ufrag);
	sb_printf(&sb, "a=ice-pwd:%s\r\n", d->pwd);
	sb_printf(&sb, "a=fingerprint:sha-256 %s\r\n", d->fingerprint);
	sb_printf(&sb, "a=setup:%s\r\n", setup_name(d->setup));
	sb_printf(&sb, "a=mid:0\r\n");
	sb_printf(&sb, "a=%s\r\n", media_dir_name(d->dir));
	sb_printf(&sb, "a=msid:%s %s\r\n", l->stream_id, l->track_id);
	if (d->rtcp_mux)
		sb_printf(&sb, "a=rtcp-mux\r\n");
	if (l->rtcp_rsize)
		sb_printf(&sb, "a=rtcp-rsize\r\n");
	for (i = 0; i < d->ncodecs; i++) {
		const struct media_codec_desc *c = &d->codecs[i];

		if (!relayable(c))
			continue;
		sb_printf(&sb, "a=rtpmap:%u %s/%" PRIu32 "%s\r\n", c->pt,
		    media_codec_name(c->codec), c->clock,
		    c->channels == 2 ? "/2" : "");
		if (c->codec == CODEC_TELEPHONE_EVENT)
			sb_printf(&sb, "a=fmtp:%u 0-15\r\n", c->pt);
	}
	if (d->ssrc != 0) {
		sb_printf(&sb, "a=ssrc:%" PRIu32 " cname:%s\r\n", d->ssrc,
		    l->cname);
		sb_printf(&sb, "a=ssrc:%" PRIu32 " msid:%s %s\r\n", d->ssrc,
		    l->stream_id, l->track_id);
	}
	if (sb.overflow) {
		buf[0] = '\0';
		FAIL("SDP does not fit the buffer");
	}
	return (sb.off);
}

/* Parsing. */

/* Values that may appear at session level and be overridden per media. */
struct sdp_level {
	char	ufrag[MEDIA_UFRAGLEN];
	char	pwd[MEDIA_PWDLEN];
	char	fp[MEDIA_FPLEN];
	int	fp_other;	/* a fingerprint with another hash was seen */
	int	setup;		/* -1: absent */
	int	dir;		/* -1: absent */
	int	rtcp_mux;
	int	toolong;	/* an ICE credential did not fit */
	struct sockaddr_in c;	/* c= address, family 0 if absent */
};

struct sdp_rtpmap {
	uint8_t		seen;
	uint8_t		codec;
	uint16_t	channels;
	uint32_t	clock;
};

struct sdp_parser {
	struct media_webrtc_desc *d;
	int		 where;		/* 0 session, 1 our audio, 2 skipped */
	int		 have_audio;
	int		 saw_version;
	unsigned int	 port;
	uint8_t		 fmt[SDP_MAXFMT];
	unsigned int	 nfmt;
	struct sdp_rtpmap rtpmap[128];
	struct sdp_level lv[2];
	int		 have_ssrc;
};

static int
ice_chars(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '+' && s[i] != '/')
			return (0);
	return (1);
}

static int
num(const char *s, unsigned long max, unsigned long *out)
{
	char		*ep;
	unsigned long	 v;

	if (!isdigit((unsigned char)*s))
		return (-1);
	errno = 0;
	v = strtoul(s, &ep, 10);
	if (*ep != '\0' || errno == ERANGE || v > max)
		return (-1);
	*out = v;
	return (0);
}

/* An a=ice-ufrag or a=ice-pwd value into a bounded field. */
static void
ice_cred(struct sdp_level *lv, char *dst, size_t dstlen, const char *v)
{
	size_t	 len = strlen(v);

	/* Trailing blanks occur in the wild. */
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	if (len >= dstlen || !ice_chars(v, len)) {
		lv->toolong = 1;
		return;
	}
	memcpy(dst, v, len);
	dst[len] = '\0';
}

static void
fingerprint(struct sdp_level *lv, char *v)
{
	char	*hash, *hex, *save;
	char	 out[MEDIA_FPLEN];
	size_t	 i, len;

	if ((hash = strtok_r(v, " \t", &save)) == NULL ||
	    (hex = strtok_r(NULL, " \t", &save)) == NULL)
		return;
	if (strcasecmp(hash, "sha-256") != 0) {
		lv->fp_other = 1;
		return;
	}
	len = strlen(hex);
	if (len != 95)
		return;
	for (i = 0; i < len; i++) {
		if (i % 3 == 2) {
			if (hex[i] != ':')
				return;
			out[i] = ':';
		} else if (isxdigit((unsigned char)hex[i]))
			out[i] = toupper((unsigned char)hex[i]);
		else
			return;
	}
	out[len] = '\0';
	strlcpy(lv->fp, out, sizeof(lv->fp));
}

static int
ipv4(const char *s, uint16_t port, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) != 1)
		return (-1);
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	return (0);
}

/*
 * a=candidate:<foundation> <component> <transport> <priority> <address>
 *     <port> typ <type> [raddr <a> rport <p>] [tcptype <t>] [ext value]...
 * Candidates we cannot use (TCP, IPv6, mDNS names) or cannot parse are
 * skipped; the rest of the SDP still counts.
 */
static void
candidate(struct sdp_parser *p, char *v)
{
	struct ice_cand	 c;
	char		*tok[8], *k, *val, *save, *raddr = NULL;
	unsigned long	 comp, prio, port, rport = 0;
	int		 i;

	if (p->d->ncands >= MEDIA_MAXCANDS)
		return;
	for (i = 0; i < 8; i++)
		if ((tok[i] = strtok_r(i == 0 ? v : NULL, " \t", &save)) == NULL)
			return;
	memset(&c, 0, sizeof(c));
	if (strlen(tok[0]) < 1 || strlen(tok[0]) >= sizeof(c.foundation) ||
	    !ice_chars(tok[0], strlen(tok[0])))
		return;
	strlcpy(c.foundation, tok[0], sizeof(c.foundation));
	if (num(tok[1], 2, &comp) == -1 || comp < 1)
		return;
	c.component = comp;
	if (strcasecmp(tok[2], "udp") != 0)
		return;
	c.transport = ICE_UDP;
	if (num(tok[3], UINT32_MAX, &prio) == -1)
		return;
	c.priority = prio;
	if (num(tok[5], 65535, &port) == -1 || port == 0)
		return;
	if (ipv4(tok[4], port, &c.addr) == -1)
		return;
	if (strcmp(tok[6], "typ") != 0)
		return;
	if (strcmp(tok[7], "host") == 0)
		c.type = CAND_HOST;
	else if (strcmp(tok[7], "srflx") == 0)
		c.type = CAND_SRFLX;
	else if (strcmp(tok[7], "prflx") == 0)
		c.type = CAND_PRFLX;
	else if (strcmp(tok[7], "relay") == 0)
		c.type = CAND_RELAY;
	else
		return;
	/* Extensions come in name/value pairs. */
	while ((k = strtok_r(NULL, " \t", &save)) != NULL) {
		if ((val = strtok_r(NULL, " \t", &save)) == NULL)
			return;
		if (strcmp(k, "raddr") == 0)
			raddr = val;
		else if (strcmp(k, "rport") == 0) {
			if (num(val, 65535, &rport) == -1)
				return;
		}
	}
	/* A related address we cannot read is dropped, not fatal. */
	if (raddr != NULL && c.type != CAND_HOST &&
	    ipv4(raddr, rport, &c.raddr) == -1)
		memset(&c.raddr, 0, sizeof(c.raddr));
	p->d->cands[p->d->ncands++] = c;
}

/* a=rtpmap:<pt> <name>/<clock>[/<channels>] */
static void
rtpmap(struct sdp_parser *p, char *v)
{
	char		*pt, *enc, *name, *clock, *ch, *save;
	unsigned long	 n, rate, chans = 1;
	struct sdp_rtpmap *m;

	if ((pt = strtok_r(v, " \t", &save)) == NULL ||
	    (enc = strtok_r(NULL, " \t", &save)) == NULL)
		return;
	if (num(pt, 127, &n) == -1)
		return;
	m = &p->rtpmap[n];
	if ((name = strtok_r(enc, "/", &save)) == NULL ||
	    (clock = strtok_r(NULL, "/", &save)) == NULL)
		return;
	if (num(clock, 192000, &rate) == -1 || rate == 0)
		return;
	if ((ch = strtok_r(NULL, "/", &save)) != NULL &&
	    (num(ch, 2, &chans) == -1 || chans == 0))
		return;
	memset(m, 0, sizeof(*m));
	m->seen = 1;
	m->clock = rate;
	m->channels = chans;
	if (strcasecmp(name, "PCMU") == 0 && rate == 8000 && chans == 1)
		m->codec = CODEC_PCMU;
	else if (strcasecmp(name, "PCMA") == 0 && rate == 8000 && chans == 1)
		m->codec = CODEC_PCMA;
	else if (strcasecmp(name, "telephone-event") == 0 && rate == 8000)
		m->codec = CODEC_TELEPHONE_EVENT;
	else if (strcasecmp(name, "opus") == 0 && rate == 48000)
		m->codec = CODEC_OPUS;
	else
		m->codec = CODEC_NONE;
}

/* m=audio <port>[/<n>] <proto> <fmt>... */
static int
media_line(struct sdp_parser *p, char *v, const char **errstr)
{
	char		*type, *port, *proto, *fmt, *save, *slash;
	unsigned long	 n;
	unsigned int	 i;

	if (p->where == 1) {
		/* Only the first accepted audio section is ours. */
		p->where = 2;
		return (0);
	}
	p->where = 2;
	if ((type = strtok_r(v, " \t", &save)) == NULL ||
	    (port = strtok_r(NULL, " \t", &save)) == NULL ||
	    (proto = strtok_r(NULL, " \t", &save)) == NULL)
		FAIL("malformed m= line");
	if (p->have_audio || strcmp(type, "audio") != 0)
		return (0);
	if ((slash = strchr(port, '/')) != NULL)
		*slash = '\0';
	if (num(port, 65535, &n) == -1)
		FAIL("malformed m= port");
	if (n == 0)
		return (0);	/* a rejected section: look further */
	if (strcmp(proto, "UDP/TLS/RTP/SAVPF") != 0 &&
	    strcmp(proto, "UDP/TLS/RTP/SAVP") != 0 &&
	    strcmp(proto, "RTP/SAVPF") != 0)
		FAIL("audio is not DTLS-SRTP");
	p->port = n;
	p->have_audio = 1;
	p->where = 1;
	p->nfmt = 0;
	while ((fmt = strtok_r(NULL, " \t", &save)) != NULL) {
		if (num(fmt, 127, &n) == -1)
			FAIL("malformed m= format");
		for (i = 0; i < p->nfmt; i++)
			if (p->fmt[i] == n)
				break;
		if (i == p->nfmt && p->nfmt < SDP_MAXFMT)
			p->fmt[p->nfmt++] = n;
	}
	return (0);
}

static void
conn_line(struct sdp_parser *p, struct sdp_level *lv, char *v)
{
	char	*nt, *at, *addr, *slash, *save;

	if ((nt = strtok_r(v, " \t", &save)) == NULL ||
	    (at = strtok_r(NULL, " \t", &save)) == NULL ||
	    (addr = strtok_r(NULL, " \t", &save)) == NULL)
		return;
	if (strcmp(nt, "IN") != 0 || strcmp(at, "IP4") != 0)
		return;
	if ((slash = strchr(addr, '/')) != NULL)
		*slash = '\0';
	memset(&lv->c, 0, sizeof(lv->c));
	if (inet_pton(AF_INET, addr, &lv->c.sin_addr) == 1)
		lv->c.sin_family = AF_INET;
}

static void
attribute(struct sdp_parser *p, struct sdp_level *lv, char *a)
{
	char		*v;
	unsigned long	 n;

	if ((v = strchr(a, ':')) != NULL)
		*v++ = '\0';
	else
		v = a + strlen(a);

	if (strcmp(a, "ice-ufrag") == 0)
		ice_cred(lv, lv->ufrag, sizeof(lv->ufrag), v);
	else if (strcmp(a, "ice-pwd") == 0)
		ice_cred(lv, lv->pwd, sizeof(lv->pwd), v);
	else if (strcmp(a, "ice-lite") == 0 && p->where == 0)
		p->d->ice_lite = 1;
	else if (strcmp(a, "fingerprint") == 0)
		fingerprint(lv, v);
	else if (strcmp(a, "setup") == 0) {
		if (strcmp(v, "actpass") == 0)
			lv->setup = SETUP_ACTPASS;
		else if (strcmp(v, "active") == 0)
			lv->setup = SETUP_ACTIVE;
		else if (strcmp(v, "passive") == 0)
			lv->setup = SETUP_PASSIVE;
		else
			lv->setup = -2;		/* holdconn or junk */
	} else if (strcmp(a, "sendrecv") == 0)
		lv->dir = MEDIA_SENDRECV;
	else if (strcmp(a, "sendonly") == 0)
		lv->dir = MEDIA_SENDONLY;
	else if (strcmp(a, "recvonly") == 0)
		lv->dir = MEDIA_RECVONLY;
	else if (strcmp(a, "inactive") == 0)
		lv->dir = MEDIA_INACTIVE;
	else if (strcmp(a, "rtcp-mux") == 0)
		lv->rtcp_mux = 1;
	else if (p->where == 1 && strcmp(a, "candidate") == 0)
		candidate(p, v);
	else if (p->where == 1 && strcmp(a, "rtpmap") == 0)
		rtpmap(p, v);
	else if (p->where == 1 && strcmp(a, "ssrc") == 0 && !p->have_ssrc) {
		char *sp = strchr(v, ' ');

		if (sp != NULL)
			*sp = '\0';
		if (num(v, UINT32_MAX, &n) == 0 && n != 0) {
			p->d->ssrc = n;
			p->have_ssrc = 1;
		}
	}
}

static int
line(struct sdp_parser *p, char *l, const char **errstr)
{
	struct sdp_level	*lv;

	if (!p->saw_version) {
		if (strcmp(l, "v=0") != 0)
			FAIL("not an SDP: no v=0 first");
		p->saw_version = 1;
		return (0);
	}
	if (l[0] == '\0')
		return (0);	/* tolerate blank lines */
	if (l[1] != '=' || !islower((unsigned char)l[0]))
		FAIL("malformed SDP line");
	if (l[0] == 'm')
		return (media_line(p, l + 2, errstr));
	if (p->where == 2)
		return (0);
	lv = &p->lv[p->where];
	if (l[0] == 'a')
		attribute(p, lv, l + 2);
	else if (l[0] == 'c')
		conn_line(p, lv, l + 2);
	return (0);
}

static int
codecs(struct sdp_parser *p)
{
	struct media_webrtc_desc *d = p->d;
	struct media_codec_desc	*c;
	struct sdp_rtpmap	 m;
	unsigned int		 i;

	for (i = 0; i < p->nfmt && d->ncodecs < MEDIA_MAXCODECS; i++) {
		m = p->rtpmap[p->fmt[i]];
		if (!m.seen) {
			/* RFC 3551 static types need no rtpmap. */
			memset(&m, 0, sizeof(m));
			m.clock = 8000;
			m.channels = 1;
			if (p->fmt[i] == 0)
				m.codec = CODEC_PCMU;
			else if (p->fmt[i] == 8)
				m.codec = CODEC_PCMA;
		}
		if (m.codec == CODEC_NONE)
			continue;
		c = &d->codecs[d->ncodecs++];
		c->codec = m.codec;
		c->pt = p->fmt[i];
		c->clock = m.clock;
		c->channels = m.channels;
	}
	return (d->ncodecs);
}

int
sdp_webrtc_parse(const char *sdp, size_t len, struct media_webrtc_desc *d,
    const char **errstr)
{
	struct sdp_parser	*p;
	struct sdp_level	*s, *m;
	char			 l[SDP_MAXLINE];
	const char		*cp, *end, *nl, *err = NULL;
	size_t			 ll;
	int			 rv = -1;

	memset(d, 0, sizeof(*d));
	if (len > SDP_MAXLEN)
		FAIL("SDP too large");
	if ((p = calloc(1, sizeof(*p))) == NULL)
		FAIL("out of memory");
	p->d = d;
	p->lv[0].setup = p->lv[1].setup = -1;
	p->lv[0].dir = p->lv[1].dir = -1;

	for (cp = sdp, end = sdp + len; cp < end; cp = nl + 1) {
		if ((nl = memchr(cp, '\n', end - cp)) == NULL)
			nl = end;
		ll = nl - cp;
		if (ll > 0 && cp[ll - 1] == '\r')
			ll--;
		if (ll >= sizeof(l)) {
			err = "SDP line too long";
			goto done;
		}
		memcpy(l, cp, ll);
		l[ll] = '\0';
		if (strlen(l) != ll) {
			err = "NUL in SDP";
			goto done;
		}
		if (line(p, l, &err) == -1)
			goto done;
	}

	s = &p->lv[0];
	m = &p->lv[1];
	if (!p->saw_version) {
		err = "empty SDP";
		goto done;
	}
	if (!p->have_audio) {
		err = "no accepted audio section";
		goto done;
	}
	if (s->toolong || m->toolong) {
		err = "ICE credential too long or malformed";
		goto done;
	}
	strlcpy(d->ufrag, m->ufrag[0] ? m->ufrag : s->ufrag, sizeof(d->ufrag));
	strlcpy(d->pwd, m->pwd[0] ? m->pwd : s->pwd, sizeof(d->pwd));
	if (m->fp[0])
		strlcpy(d->fingerprint, m->fp, sizeof(d->fingerprint));
	else if (s->fp[0])
		strlcpy(d->fingerprint, s->fp, sizeof(d->fingerprint));
	else {
		err = (m->fp_other || s->fp_other) ?
		    "only non-SHA-256 fingerprints" : "no DTLS fingerprint";
		goto done;
	}
	/* Absent a=setup we take actpass and let the caller pick a role. */
	d->setup = m->setup != -1 ? m->setup :
	    (s->setup != -1 ? s->setup : SETUP_ACTPASS);
	if (m->setup == -2 || (m->setup == -1 && s->setup == -2)) {
		err = "unsupported a=setup";
		goto done;
	}
	d->dir = m->dir != -1 ? m->dir : (s->dir != -1 ? s->dir :
	    MEDIA_SENDRECV);
	d->rtcp_mux = m->rtcp_mux || s->rtcp_mux;
	if (codecs(p) == 0) {
		err = "no codec we understand";
		goto done;
	}
	/* No candidate lines: the m= port and c= address are the only one. */
	if (d->ncands == 0) {
		struct sockaddr_in *c = m->c.sin_family ? &m->c : &s->c;

		if (c->sin_family == AF_INET && c->sin_addr.s_addr != 0) {
			struct ice_cand *ic = &d->cands[d->ncands++];

			strlcpy(ic->foundation, "0", sizeof(ic->foundation));
			ic->component = 1;
			ic->type = CAND_HOST;
			ic->transport = ICE_UDP;
			ic->priority = 1;
			memcpy(&ic->addr, c, sizeof(*c));
			((struct sockaddr_in *)&ic->addr)->sin_port =
			    htons(p->port);
		}
	}
	/* Non-trickle: without a candidate now there will never be one. */
	if (d->ncands == 0) {
		err = "no usable ICE candidate";
		goto done;
	}
	if (media_webrtc_valid(d, &err) == -1)
		goto done;
	rv = 0;
 done:
	free(p);
	if (rv == -1) {
		memset(d, 0, sizeof(*d));
		if (errstr != NULL)
			*errstr = err;
	}
	return (rv);
}
