/*
 * RTP and RTCP wire formats (RFC 3550), first-byte demultiplexing of a
 * shared ICE socket (RFC 7983, RFC 5761) and RFC 4733 telephone events.
 * Nothing here allocates; parsed views point into the caller's buffer.
 */
#ifndef KB_RTP_H
#define KB_RTP_H

#include <stddef.h>
#include <stdint.h>

#define RTP_VERSION		2
#define RTP_HDRLEN		12
#define RTP_MAXCSRC		15
#define RTCP_HDRLEN		4

/* What a datagram on a multiplexed socket is (RFC 7983). */
enum pkt_kind {
	PKT_UNKNOWN = 0,
	PKT_STUN,		/* first byte 0-3 */
	PKT_ZRTP,		/* 16-19 */
	PKT_DTLS,		/* 20-63 */
	PKT_TURN_CHANNEL,	/* 64-79 */
	PKT_RTP,		/* 128-191, payload type not in 64-95 */
	PKT_RTCP		/* 128-191, second byte 192-223 */
};

struct rtp_hdr {
	uint8_t		 marker;
	uint8_t		 pt;
	uint16_t	 seq;
	uint32_t	 ts;
	uint32_t	 ssrc;
	uint8_t		 cc;		/* CSRC count */
	uint8_t		 has_ext;
	uint16_t	 ext_profile;	/* 0xBEDE: one-byte header extensions */
	const uint8_t	*csrc;		/* cc * 4 bytes, network order */
	const uint8_t	*ext;		/* extension body, without its 4-byte head */
	size_t		 extlen;
	const uint8_t	*payload;
	size_t		 paylen;	/* without padding */
	uint8_t		 padlen;	/* trailing padding bytes, 0 if none */
	size_t		 hdrlen;	/* fixed + CSRC + extension */
};

/* RTCP packet types (RFC 3550 section 12.1, RFC 4585). */
#define RTCP_SR		200
#define RTCP_RR		201
#define RTCP_SDES	202
#define RTCP_BYE	203
#define RTCP_APP	204
#define RTCP_RTPFB	205
#define RTCP_PSFB	206

#define RTCP_SDES_END	0
#define RTCP_SDES_CNAME	1

struct rtcp_report {
	uint32_t	 ssrc;
	uint8_t		 fraction;
	int32_t		 lost;		/* signed 24 bits */
	uint32_t	 highest_seq;
	uint32_t	 jitter;
	uint32_t	 lsr;
	uint32_t	 dlsr;
};

/* One packet of a compound RTCP datagram, as rtcp_walk() hands it over. */
struct rtcp_pkt {
	uint8_t		 pt;
	uint8_t		 count;		/* RC / SC / subtype field */
	const uint8_t	*data;		/* the whole packet, header included */
	size_t		 len;		/* without padding */
	uint32_t	 ssrc;		/* sender (SR, RR, APP, FB), first SSRC (BYE) */
	/* SR only */
	uint64_t	 ntp;
	uint32_t	 rtp_ts;
	uint32_t	 pkts;
	uint32_t	 octets;
	/* SR and RR */
	const uint8_t	*reports;	/* count report blocks of 24 bytes */
	/* BYE */
	const uint8_t	*reason;	/* not NUL-terminated, may be NULL */
	size_t		 reasonlen;
	/* APP */
	char		 name[5];
	const uint8_t	*appdata;
	size_t		 appdatalen;
};

/* Return 0 to go on walking, anything else stops the walk and is returned. */
typedef int	(*rtcp_walk_cb)(const struct rtcp_pkt *, void *);
/* Called for each SDES item; type RTCP_SDES_CNAME etc., text not NUL-terminated. */
typedef void	(*rtcp_sdes_cb)(uint32_t, uint8_t, const uint8_t *, size_t,
		    void *);

/* RFC 4733 telephone-event payload. */
struct rtp_dtmf {
	uint8_t		 event;		/* 0-9, 10 '*', 11 '#', 12-15 A-D */
	uint8_t		 end;
	uint8_t		 volume;	/* 0-63, -dBm0 */
	uint16_t	 duration;	/* timestamp units */
};
#define RTP_DTMF_LEN	4

/* rtp.c */
enum pkt_kind	 pkt_classify(const uint8_t *, size_t);
const char	*pkt_kind_name(enum pkt_kind);
int		 rtp_parse(const uint8_t *, size_t, struct rtp_hdr *);
size_t		 rtp_write_header(uint8_t *, size_t, const struct rtp_hdr *);
int		 rtcp_walk(const uint8_t *, size_t, rtcp_walk_cb, void *);
int		 rtcp_report_get(const struct rtcp_pkt *, unsigned int,
		    struct rtcp_report *);
int		 rtcp_sdes_walk(const struct rtcp_pkt *, rtcp_sdes_cb, void *);
size_t		 rtcp_write_rr(uint8_t *, size_t, uint32_t,
		    const struct rtcp_report *, unsigned int);
size_t		 rtcp_write_sr(uint8_t *, size_t, uint32_t, uint64_t, uint32_t,
		    uint32_t, uint32_t, const struct rtcp_report *,
		    unsigned int);
size_t		 rtcp_write_sdes_cname(uint8_t *, size_t, uint32_t,
		    const char *);
int		 rtp_dtmf_parse(const uint8_t *, size_t, struct rtp_dtmf *);
size_t		 rtp_dtmf_write(uint8_t *, size_t, const struct rtp_dtmf *);
int		 rtp_dtmf_char(uint8_t);
int		 rtp_dtmf_event(int);

/* Byte order helpers for the wire formats. */
static inline uint16_t
get16(const uint8_t *p)
{
	return ((uint16_t)(p[0] << 8 | p[1]));
}

static inline uint32_t
get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

static inline void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static inline void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

#endif /* KB_RTP_H */
