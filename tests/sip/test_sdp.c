/*
 * SDP toward the PBX: what 3CX offers becomes the right media_rtp_desc,
 * and our answers and offers say what they should.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "sdp_media.h"

static int	failures;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); \
		failures++;						\
	}								\
} while (0)

/* What 3CX typically sends: PCMA first, G.729, telephone-event 101. */
static const char offer_3cx[] =
    "v=0\r\n"
    "o=3cxPS 1234567 89012 IN IP4 192.0.2.10\r\n"
    "s=3cxPS Audio call\r\n"
    "c=IN IP4 192.0.2.10\r\n"
    "t=0 0\r\n"
    "m=audio 40000 RTP/AVP 8 0 18 9 101\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:18 G729/8000\r\n"
    "a=fmtp:18 annexb=no\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n";

/*
 * SAVP with a suite we cannot key first, then AVP (the plain fallback);
 * media-level c= in IPv6; rtcp, mux.
 */
static const char offer_two[] =
    "v=0\r\n"
    "o=- 1 2 IN IP6 2001:db8::1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "m=audio 50000 RTP/SAVP 0 8 96\r\n"
    "c=IN IP6 2001:db8::1\r\n"
    "a=crypto:1 F8_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n"
    "a=rtpmap:96 telephone-event/8000\r\n"
    "m=audio 50002 RTP/AVP 0 96\r\n"
    "c=IN IP6 2001:db8::2\r\n"
    "a=rtpmap:96 telephone-event/8000\r\n"
    "a=rtcp:50009\r\n"
    "a=rtcp-mux\r\n"
    "a=sendonly\r\n";

static const char offer_video_first[] =
    "v=0\r\n"
    "o=- 1 1 IN IP4 192.0.2.1\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.1\r\n"
    "t=0 0\r\n"
    "m=video 50000 RTP/AVP 97\r\n"
    "a=rtpmap:97 H264/90000\r\n"
    "m=audio 0 RTP/AVP 0\r\n"
    "m=audio 50004 RTP/AVP 18 0\r\n";

static const char offer_nocodec[] =
    "v=0\r\n"
    "o=- 1 1 IN IP4 192.0.2.1\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.1\r\n"
    "t=0 0\r\n"
    "m=audio 50000 RTP/AVP 18 9 101\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n";

static const char offer_hold[] =
    "v=0\r\n"
    "o=- 1 2 IN IP4 0.0.0.0\r\n"
    "s=-\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "t=0 0\r\n"
    "m=audio 50000 RTP/AVP 0\r\n";

static const char offer_noc[] =
    "v=0\r\n"
    "o=- 1 1 IN IP4 192.0.2.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "m=audio 50000 RTP/AVP 0\r\n";

static uint16_t
port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohs(((const struct sockaddr_in *)ss)->sin_port));
	return (ntohs(((const struct sockaddr_in6 *)ss)->sin6_port));
}

static const char *
addr_of(const struct sockaddr_storage *ss)
{
	static char	 buf[INET6_ADDRSTRLEN];
	const void	*a;

	if (ss->ss_family == AF_INET)
		a = &((const struct sockaddr_in *)ss)->sin_addr;
	else
		a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
	return (inet_ntop(ss->ss_family, a, buf, sizeof(buf)));
}

static void
local_desc(struct media_rtp_desc *l)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&l->addr;

	memset(l, 0, sizeof(*l));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(10000);
	inet_pton(AF_INET, "10.0.0.5", &sin->sin_addr);
	l->ptime = 20;
	l->dir = MEDIA_SENDRECV;
	l->ncodecs = 3;
	l->codecs[0] = (struct media_codec_desc){ CODEC_PCMU, 0, 1, 8000 };
	l->codecs[1] = (struct media_codec_desc){ CODEC_PCMA, 8, 1, 8000 };
	l->codecs[2] = (struct media_codec_desc){ CODEC_TELEPHONE_EVENT,
	    100, 1, 8000 };
}

static void
parse(void)
{
	struct sdp_remote	 r;

	CHECK(sdp_parse_remote(offer_3cx, strlen(offer_3cx), &r) == SDP_OK);
	CHECK(r.chosen == 0 && r.nmlines == 1);
	CHECK(r.rtp.addr.ss_family == AF_INET);
	CHECK(strcmp(addr_of(&r.rtp.addr), "192.0.2.10") == 0);
	CHECK(port_of(&r.rtp.addr) == 40000);
	CHECK(r.rtp.ncodecs == 3);
	CHECK(r.rtp.codecs[0].codec == CODEC_PCMA && r.rtp.codecs[0].pt == 8);
	CHECK(r.rtp.codecs[1].codec == CODEC_PCMU && r.rtp.codecs[1].pt == 0);
	CHECK(r.rtp.codecs[2].codec == CODEC_TELEPHONE_EVENT &&
	    r.rtp.codecs[2].pt == 101);
	CHECK(r.rtp.ptime == 20);
	CHECK(r.rtp.dir == MEDIA_SENDRECV && !r.hold);
	CHECK(r.rtp.rtcp_port == 0 && !r.rtp.rtcp_mux);
	CHECK(r.sess_id == 1234567 && r.sess_version == 89012);

	CHECK(sdp_parse_remote(offer_two, strlen(offer_two), &r) == SDP_OK);
	CHECK(r.chosen == 1 && r.nmlines == 2);
	CHECK(r.rtp.addr.ss_family == AF_INET6);
	CHECK(strcmp(addr_of(&r.rtp.addr), "2001:db8::2") == 0);
	CHECK(port_of(&r.rtp.addr) == 50002);
	CHECK(r.rtp.ncodecs == 2);
	CHECK(r.rtp.codecs[1].codec == CODEC_TELEPHONE_EVENT &&
	    r.rtp.codecs[1].pt == 96);
	CHECK(r.rtp.rtcp_port == 50009 && r.rtp.rtcp_mux);
	CHECK(r.rtp.dir == MEDIA_SENDONLY && r.hold);
	CHECK(strcmp(r.mlines[0].proto, "RTP/SAVP") == 0);

	CHECK(sdp_parse_remote(offer_video_first, strlen(offer_video_first),
	    &r) == SDP_OK);
	CHECK(r.chosen == 2 && r.nmlines == 3);
	CHECK(r.rtp.ncodecs == 1 && r.rtp.codecs[0].codec == CODEC_PCMU);

	CHECK(sdp_parse_remote(offer_nocodec, strlen(offer_nocodec), &r) ==
	    SDP_ENOCODEC);
	CHECK(sdp_parse_remote(offer_hold, strlen(offer_hold), &r) == SDP_OK);
	CHECK(r.hold);
	CHECK(sdp_parse_remote(offer_noc, strlen(offer_noc), &r) != SDP_OK);
	CHECK(sdp_parse_remote("garbage", 7, &r) == SDP_EPARSE);
	CHECK(sdp_parse_remote("", 0, &r) == SDP_EPARSE);
}

static void
answer(void)
{
	struct media_rtp_desc	 l;
	struct sdp_remote	 r, back;
	struct sdp_local	 st;
	char			 buf[SDP_MAXBODY], o1[64], o2[64];
	int			 n;

	local_desc(&l);
	sdp_local_init(&st);
	CHECK(sdp_parse_remote(offer_3cx, strlen(offer_3cx), &r) == SDP_OK);
	n = sdp_write_answer(&st, &l, &r, "203.0.113.7", buf, sizeof(buf));
	CHECK(n > 0);
	/* 3CX's order, its telephone-event payload type, public address. */
	CHECK(strstr(buf, "m=audio 10000 RTP/AVP 8 0 101\r\n") != NULL);
	CHECK(strstr(buf, "a=rtpmap:101 telephone-event/8000\r\n") != NULL);
	CHECK(strstr(buf, "c=IN IP4 203.0.113.7\r\n") != NULL);
	CHECK(strstr(buf, "10.0.0.5") == NULL);
	CHECK(strstr(buf, "a=sendrecv\r\n") != NULL);
	CHECK(strstr(buf, "a=ptime:20\r\n") != NULL);
	CHECK(strstr(buf, "G729") == NULL);
	/* Our answer reads back as what we meant. */
	CHECK(sdp_parse_remote(buf, n, &back) == SDP_OK);
	CHECK(back.rtp.ncodecs == 3 && back.rtp.codecs[0].codec == CODEC_PCMA);
	CHECK(port_of(&back.rtp.addr) == 10000);
	sscanf(strstr(buf, "o="), "%63[^\r]", o1);

	/* Same answer again: same version; changed: version + 1. */
	n = sdp_write_answer(&st, &l, &r, "203.0.113.7", buf, sizeof(buf));
	sscanf(strstr(buf, "o="), "%63[^\r]", o2);
	CHECK(strcmp(o1, o2) == 0);
	CHECK(sdp_parse_remote(offer_hold, strlen(offer_hold), &r) == SDP_OK);
	n = sdp_write_answer(&st, &l, &r, "203.0.113.7", buf, sizeof(buf));
	CHECK(n > 0);
	CHECK(sdp_parse_remote(buf, n, &back) == SDP_OK);
	CHECK(back.sess_version == st.version);
	CHECK(back.sess_id == st.sess_id);
	sscanf(strstr(buf, "o="), "%63[^\r]", o2);
	CHECK(strcmp(o1, o2) != 0);
	CHECK(strstr(buf, "a=sendrecv\r\n") != NULL);

	/* Two m-lines: the SAVP one is refused with port 0, in place. */
	CHECK(sdp_parse_remote(offer_two, strlen(offer_two), &r) == SDP_OK);
	l.rtcp_mux = 1;
	n = sdp_write_answer(&st, &l, &r, NULL, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK(strstr(buf, "m=audio 0 RTP/SAVP 0\r\nm=audio 10000 RTP/AVP 0 96\r\n")
	    != NULL);
	CHECK(strstr(buf, "c=IN IP4 10.0.0.5\r\n") != NULL);
	CHECK(strstr(buf, "a=rtcp-mux\r\n") != NULL);
	CHECK(strstr(buf, "a=recvonly\r\n") != NULL);

	/* Only PCMA offered, only PCMU accepted: 488. */
	l.ncodecs = 1;
	CHECK(sdp_parse_remote(offer_video_first, strlen(offer_video_first),
	    &r) == SDP_OK);
	l.codecs[0].codec = CODEC_PCMA;
	CHECK(sdp_write_answer(&st, &l, &r, NULL, buf, sizeof(buf)) ==
	    SDP_ENOCODEC);
	/* Too small a buffer fails cleanly. */
	local_desc(&l);
	CHECK(sdp_parse_remote(offer_3cx, strlen(offer_3cx), &r) == SDP_OK);
	CHECK(sdp_write_answer(&st, &l, &r, NULL, buf, 40) == SDP_EPARSE);
}

static void
offer(void)
{
	struct media_rtp_desc	 l;
	struct sdp_remote	 back;
	struct sdp_local	 st;
	char			 buf[SDP_MAXBODY];
	int			 n;

	local_desc(&l);
	l.codecs[3] = (struct media_codec_desc){ CODEC_OPUS, 111, 2, 48000 };
	l.ncodecs = 4;
	sdp_local_init(&st);
	n = sdp_write_offer(&st, &l, NULL, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK(strstr(buf, "m=audio 10000 RTP/AVP 0 8 100\r\n") != NULL);
	CHECK(strstr(buf, "a=fmtp:100 0-16\r\n") != NULL);
	CHECK(sdp_parse_remote(buf, n, &back) == SDP_OK);
	CHECK(back.rtp.ncodecs == 3);
	CHECK(back.rtp.codecs[2].pt == 100);
	l.ncodecs = 1;
	l.codecs[0].codec = CODEC_TELEPHONE_EVENT;
	CHECK(sdp_write_offer(&st, &l, NULL, buf, sizeof(buf)) ==
	    SDP_ENOCODEC);
}

int
main(void)
{
	log_init(1, 2, 0);
	parse();
	answer();
	offer();
	if (failures) {
		fprintf(stderr, "%d failures\n", failures);
		return (1);
	}
	return (0);
}
