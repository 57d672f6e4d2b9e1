/*
 * WebRTC SDP: build/parse round trips, real-world style remote SDPs and
 * the errors a hostile or broken peer can provoke.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "kandyd.h"
#include "check.h"

static const char *dir;

static void
set_addr(struct sockaddr_storage *ss, const char *a, int port)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (strchr(a, ':') != NULL) {
		sin6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, a, &sin6->sin6_addr);
		sin6->sin6_port = htons(port);
	} else {
		sin->sin_family = AF_INET;
		inet_pton(AF_INET, a, &sin->sin_addr);
		sin->sin_port = htons(port);
	}
}

static const char *
ip(const struct sockaddr_storage *ss, int *port)
{
	static char			 buf[4][INET6_ADDRSTRLEN];
	static int			 n;
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)ss;

	n = (n + 1) % 4;
	*port = -1;
	if (ss->ss_family != AF_INET)
		return ("(not inet)");
	*port = ntohs(sin->sin_port);
	return (inet_ntop(AF_INET, &sin->sin_addr, buf[n], sizeof(buf[n])));
}

static void
add_cand(struct media_webrtc_desc *d, const char *f, int type, int tr,
    uint32_t prio, const char *a, int port, const char *ra, int rport)
{
	struct ice_cand	*c = &d->cands[d->ncands++];

	strlcpy(c->foundation, f, sizeof(c->foundation));
	c->component = 1;
	c->type = type;
	c->transport = tr;
	c->priority = prio;
	set_addr(&c->addr, a, port);
	if (ra != NULL)
		set_addr(&c->raddr, ra, rport);
}

static void
local_desc(struct media_webrtc_desc *d, struct sdp_local *l)
{
	memset(d, 0, sizeof(*d));
	strlcpy(d->ufrag, "Ab3+", sizeof(d->ufrag));
	strlcpy(d->pwd, "p4ssw0rdp4ssw0rdp4ss/+", sizeof(d->pwd));
	strlcpy(d->fingerprint, "01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:"
	    "CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF",
	    sizeof(d->fingerprint));
	d->setup = SETUP_ACTPASS;
	d->dir = MEDIA_SENDRECV;
	d->rtcp_mux = 1;
	d->ssrc = 0x11223344;
	d->codecs[0] = (struct media_codec_desc){ CODEC_PCMA, 8, 1, 8000 };
	d->codecs[1] = (struct media_codec_desc){ CODEC_OPUS, 111, 2, 48000 };
	d->codecs[2] = (struct media_codec_desc){ CODEC_PCMU, 0, 1, 8000 };
	d->codecs[3] = (struct media_codec_desc){ CODEC_TELEPHONE_EVENT, 101,
	    1, 8000 };
	d->ncodecs = 4;
	add_cand(d, "1", CAND_HOST, ICE_UDP, 2130706431, "10.0.0.5", 40000,
	    NULL, 0);
	add_cand(d, "2", CAND_HOST, ICE_TCP_PASSIVE, 1694498815, "10.0.0.5",
	    40001, NULL, 0);
	add_cand(d, "3", CAND_SRFLX, ICE_UDP, 1694498815, "203.0.113.5", 50000,
	    "10.0.0.5", 40000);
	add_cand(d, "4", CAND_RELAY, ICE_UDP, 16777215, "198.51.100.9", 60000,
	    "203.0.113.5", 50000);
	add_cand(d, "5", CAND_HOST, ICE_TCP_ACTIVE, 1694498814, "10.0.0.5",
	    9, NULL, 0);

	memset(l, 0, sizeof(*l));
	l->sess_id = 8181818181818181ULL;
	l->sess_version = 2;
	strlcpy(l->cname, "bridgecname", sizeof(l->cname));
	strlcpy(l->stream_id, "kb-stream", sizeof(l->stream_id));
	strlcpy(l->track_id, "kb-audio", sizeof(l->track_id));
	l->rtcp_rsize = 1;
}

static void
test_build_text(void)
{
	struct media_webrtc_desc d;
	struct sdp_local	 l;
	char			 buf[8192];
	const char		*err = NULL;
	int			 n;

	local_desc(&d, &l);
	n = sdp_webrtc_build(&d, &l, buf, sizeof(buf), &err);
	CHECK(n > 0);
	CHECK_INT(strlen(buf), n);
	/* The wire text, line by line where it matters. */
	CHECK(strncmp(buf, "v=0\r\no=- 8181818181818181 2 IN IP4 127.0.0.1\r\n"
	    "s=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n", 74) == 0);
	CHECK(strstr(buf, "\r\nm=audio 60000 UDP/TLS/RTP/SAVPF 8 0 101\r\n"
	    "c=IN IP4 198.51.100.9\r\na=rtcp:60000 IN IP4 198.51.100.9\r\n")
	    != NULL);
	CHECK(strstr(buf, "a=candidate:1 1 udp 2130706431 10.0.0.5 40000 "
	    "typ host generation 0\r\n") != NULL);
	CHECK(strstr(buf, "a=candidate:2 1 tcp 1694498815 10.0.0.5 40001 "
	    "typ host tcptype passive generation 0\r\n") != NULL);
	CHECK(strstr(buf, "a=candidate:3 1 udp 1694498815 203.0.113.5 50000 "
	    "typ srflx raddr 10.0.0.5 rport 40000 generation 0\r\n") != NULL);
	CHECK(strstr(buf, "a=candidate:4 1 udp 16777215 198.51.100.9 60000 "
	    "typ relay raddr 203.0.113.5 rport 50000 generation 0\r\n") != NULL);
	CHECK(strstr(buf, "a=candidate:5 1 tcp 1694498814 10.0.0.5 9 "
	    "typ host tcptype active generation 0\r\n") != NULL);
	CHECK(strstr(buf, "a=ice-ufrag:Ab3+\r\na=ice-pwd:p4ssw0rdp4ssw0rdp4ss/+"
	    "\r\n") != NULL);
	CHECK(strstr(buf, "a=fingerprint:sha-256 01:23:45:67:89:AB:CD:EF:01:23"
	    ":45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF"
	    "\r\na=setup:actpass\r\na=mid:0\r\na=sendrecv\r\n") != NULL);
	CHECK(strstr(buf, "a=msid:kb-stream kb-audio\r\na=rtcp-mux\r\n"
	    "a=rtcp-rsize\r\n") != NULL);
	CHECK(strstr(buf, "a=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n"
	    "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n") != NULL);
	CHECK(strstr(buf, "a=ssrc:287454020 cname:bridgecname\r\n"
	    "a=ssrc:287454020 msid:kb-stream kb-audio\r\n") != NULL);
	CHECK(strstr(buf, "opus") == NULL);
	CHECK(strstr(buf, "ice-options") == NULL);
	CHECK(strstr(buf, "ice-lite") == NULL);
	CHECK(buf[n - 2] == '\r' && buf[n - 1] == '\n');

	/* Too small a buffer fails cleanly. */
	CHECK_INT(sdp_webrtc_build(&d, &l, buf, 100, &err), -1);
	CHECK_STR(buf, "");

	/* Opus alone cannot be relayed: nothing to offer. */
	d.codecs[0] = d.codecs[1];
	d.ncodecs = 1;
	CHECK_INT(sdp_webrtc_build(&d, &l, buf, sizeof(buf), &err), -1);

	/* Invalid descriptions are refused before any text is made. */
	local_desc(&d, &l);
	d.ufrag[0] = '\0';
	CHECK_INT(sdp_webrtc_build(&d, &l, buf, sizeof(buf), &err), -1);
	local_desc(&d, &l);
	strlcpy(l.cname, "a b", sizeof(l.cname));
	CHECK_INT(sdp_webrtc_build(&d, &l, buf, sizeof(buf), &err), -1);

	/* No candidate yet: the discard address, as browsers write it. */
	local_desc(&d, &l);
	d.ncands = 0;
	d.ice_lite = 1;
	d.setup = SETUP_PASSIVE;
	d.dir = MEDIA_SENDONLY;
	CHECK(sdp_webrtc_build(&d, &l, buf, sizeof(buf), &err) > 0);
	CHECK(strstr(buf, "m=audio 9 UDP/TLS/RTP/SAVPF 8 0 101\r\n"
	    "c=IN IP4 0.0.0.0\r\n") != NULL);
	CHECK(strstr(buf, "t=0 0\r\na=ice-lite\r\n") != NULL);
	CHECK(strstr(buf, "a=setup:passive\r\n") != NULL);
	CHECK(strstr(buf, "a=sendonly\r\n") != NULL);
}

static void
test_round_trip(void)
{
	struct media_webrtc_desc d, r;
	struct sdp_local	 l;
	char			 buf[8192];
	const char		*err = NULL;
	int			 n, port, setup, dir;

	for (setup = SETUP_ACTPASS; setup <= SETUP_PASSIVE; setup++)
	for (dir = MEDIA_SENDRECV; dir <= MEDIA_INACTIVE; dir++) {
		local_desc(&d, &l);
		d.setup = setup;
		d.dir = dir;
		d.rtcp_mux = dir & 1;
		d.ice_lite = setup == SETUP_PASSIVE;
		n = sdp_webrtc_build(&d, &l, buf, sizeof(buf), &err);
		CHECK(n > 0);
		CHECK_INT(sdp_webrtc_parse(buf, n, &r, &err), 0);
		CHECK_STR(r.ufrag, d.ufrag);
		CHECK_STR(r.pwd, d.pwd);
		CHECK_STR(r.fingerprint, d.fingerprint);
		CHECK_INT(r.setup, setup);
		CHECK_INT(r.dir, dir);
		CHECK_INT(r.rtcp_mux, d.rtcp_mux);
		CHECK_INT(r.ice_lite, d.ice_lite);
		CHECK_INT(r.ssrc, d.ssrc);
		/* Opus dropped, order kept. */
		CHECK_INT(r.ncodecs, 3);
		CHECK_INT(r.codecs[0].codec, CODEC_PCMA);
		CHECK_INT(r.codecs[0].pt, 8);
		CHECK_INT(r.codecs[1].codec, CODEC_PCMU);
		CHECK_INT(r.codecs[1].pt, 0);
		CHECK_INT(r.codecs[2].codec, CODEC_TELEPHONE_EVENT);
		CHECK_INT(r.codecs[2].pt, 101);
		CHECK_INT(r.codecs[2].clock, 8000);
		/* TCP candidates are written but not taken back. */
		CHECK_INT(r.ncands, 3);
		CHECK_STR(r.cands[0].foundation, "1");
		CHECK_STR(ip(&r.cands[0].addr, &port), "10.0.0.5");
		CHECK_INT(port, 40000);
		CHECK_INT(r.cands[0].priority, 2130706431);
		CHECK_INT(r.cands[0].type, CAND_HOST);
		CHECK_INT(r.cands[0].raddr.ss_family, AF_UNSPEC);
		CHECK_STR(r.cands[1].foundation, "3");
		CHECK_INT(r.cands[1].type, CAND_SRFLX);
		CHECK_STR(ip(&r.cands[1].raddr, &port), "10.0.0.5");
		CHECK_INT(port, 40000);
		CHECK_STR(r.cands[2].foundation, "4");
		CHECK_INT(r.cands[2].type, CAND_RELAY);
		CHECK_STR(ip(&r.cands[2].addr, &port), "198.51.100.9");
		CHECK_INT(port, 60000);
		CHECK_INT(media_webrtc_valid(&r, &err), 0);
	}
}

static char *
load(const char *name, size_t *len)
{
	char	 path[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return (check_slurp(path, len));
}

static void
test_chrome(void)
{
	struct media_webrtc_desc r;
	const char		*err = NULL;
	char			*sdp;
	size_t			 len;
	int			 port;

	sdp = load("chrome-offer.sdp", &len);
	CHECK_INT(sdp_webrtc_parse(sdp, len, &r, &err), 0);
	if (err != NULL)
		fprintf(stderr, "chrome: %s\n", err);
	CHECK_STR(r.ufrag, "xZ3q");
	CHECK_STR(r.pwd, "Lr5n3sUqJ1Xw8YtZk0aB2cD4");
	CHECK_STR(r.fingerprint, "3B:4F:11:9A:0C:DE:72:55:A1:B2:C3:D4:E5:F6:07:"
	    "18:29:3A:4B:5C:6D:7E:8F:90:A1:B2:C3:D4:E5:F6:07:18");
	CHECK_INT(r.setup, SETUP_ACTPASS);
	CHECK_INT(r.dir, MEDIA_SENDRECV);
	CHECK_INT(r.rtcp_mux, 1);
	CHECK_INT(r.ice_lite, 0);
	CHECK_INT(r.ssrc, 3735928559U);
	/* red, G722, CN and 48 kHz telephone-event are not ours. */
	CHECK_INT(r.ncodecs, 4);
	CHECK_INT(r.codecs[0].codec, CODEC_OPUS);
	CHECK_INT(r.codecs[0].pt, 111);
	CHECK_INT(r.codecs[0].channels, 2);
	CHECK_INT(r.codecs[0].clock, 48000);
	CHECK_INT(r.codecs[1].codec, CODEC_PCMU);
	CHECK_INT(r.codecs[2].codec, CODEC_PCMA);
	CHECK_INT(r.codecs[3].codec, CODEC_TELEPHONE_EVENT);
	CHECK_INT(r.codecs[3].pt, 126);
	/* IPv6, TCP and mDNS candidates skipped. */
	CHECK_INT(r.ncands, 3);
	CHECK_STR(r.cands[0].foundation, "2999745851");
	CHECK_STR(ip(&r.cands[0].addr, &port), "192.168.1.23");
	CHECK_INT(port, 50124);
	CHECK_STR(r.cands[1].foundation, "842163049");
	CHECK_INT(r.cands[1].type, CAND_SRFLX);
	CHECK_INT(r.cands[1].priority, 1686052607);
	CHECK_STR(ip(&r.cands[1].raddr, &port), "192.168.1.23");
	CHECK_INT(port, 50124);
	CHECK_INT(r.cands[2].type, CAND_RELAY);
	CHECK_STR(ip(&r.cands[2].addr, &port), "198.51.100.10");
	CHECK_INT(port, 61234);
	free(sdp);
}

static void
test_kandy_ms(void)
{
	struct media_webrtc_desc r;
	const char		*err = NULL;
	char			*sdp;
	size_t			 len;
	int			 port;

	sdp = load("kandy-ms-answer.sdp", &len);
	CHECK_INT(sdp_webrtc_parse(sdp, len, &r, &err), 0);
	CHECK_STR(r.ufrag, "Ms7k2Qp9");
	CHECK_STR(r.pwd, "Zt4cXv8bNm1LkJh6Gf3dSa0q");
	CHECK_STR(r.fingerprint, "A0:11:B2:23:C4:35:D6:47:E8:59:FA:6B:0C:7D:"
	    "1E:8F:A0:11:B2:23:C4:35:D6:47:E8:59:FA:6B:0C:7D:1E:8F");
	CHECK_INT(r.ice_lite, 1);
	CHECK_INT(r.setup, SETUP_PASSIVE);
	CHECK_INT(r.rtcp_mux, 1);
	CHECK_INT(r.ssrc, 287654321);
	CHECK_INT(r.ncodecs, 2);
	CHECK_INT(r.codecs[0].codec, CODEC_PCMU);
	CHECK_INT(r.codecs[1].codec, CODEC_TELEPHONE_EVENT);
	CHECK_INT(r.codecs[1].pt, 101);
	CHECK_INT(r.ncands, 1);
	CHECK_STR(ip(&r.cands[0].addr, &port), "198.51.100.40");
	CHECK_INT(port, 40012);
	free(sdp);

	/* LF only, no candidate lines, no rtpmap for static PCMU. */
	sdp = load("sbc-hold-offer.sdp", &len);
	CHECK_INT(sdp_webrtc_parse(sdp, len, &r, &err), 0);
	CHECK_INT(r.setup, SETUP_ACTIVE);
	CHECK_INT(r.dir, MEDIA_SENDONLY);
	CHECK_INT(r.rtcp_mux, 0);
	CHECK_INT(r.ncodecs, 3);
	CHECK_INT(r.codecs[0].codec, CODEC_PCMA);
	CHECK_INT(r.codecs[1].codec, CODEC_PCMU);
	CHECK_INT(r.codecs[2].codec, CODEC_TELEPHONE_EVENT);
	CHECK_INT(r.codecs[2].pt, 100);
	CHECK_INT(r.ncands, 1);
	CHECK_STR(ip(&r.cands[0].addr, &port), "192.0.2.8");
	CHECK_INT(port, 20000);
	CHECK_STR(r.pwd, "0123456789abcdefABCDEF+/");
	free(sdp);
}

#define HEAD	"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
#define ICE	"a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n"
#define FP	"a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:" \
		"CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n"
#define MAUDIO	"m=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 192.0.2.1\r\n"

static void
bad(const char *sdp, const char *why)
{
	struct media_webrtc_desc r;
	const char		*err = NULL;

	if (sdp_webrtc_parse(sdp, strlen(sdp), &r, &err) != -1) {
		fprintf(stderr, "accepted SDP that should fail: %s\n", why);
		check_failures++;
	} else if (err == NULL) {
		fprintf(stderr, "no error text: %s\n", why);
		check_failures++;
	}
}

static void
test_errors(void)
{
	struct media_webrtc_desc r;
	const char		*err = NULL;
	char			 big[SDP_MAXLEN + 10], line[4000];
	const char		*ok = HEAD ICE FP MAUDIO;

	CHECK_INT(sdp_webrtc_parse(ok, strlen(ok), &r, &err), 0);
	CHECK_INT(r.ncands, 1);

	bad("", "empty");
	bad("v=1\r\n", "wrong version");
	bad(HEAD ICE FP, "no media");
	bad(HEAD ICE FP "m=audio 0 UDP/TLS/RTP/SAVPF 0\r\n", "audio rejected");
	bad(HEAD ICE FP "m=audio 4000 RTP/AVP 0\r\n", "plain RTP");
	bad(HEAD ICE MAUDIO, "no fingerprint");
	bad(HEAD ICE "a=fingerprint:sha-1 00:11:22:33:44:55:66:77:88:99:AA:"
	    "BB:CC:DD:EE:FF:00:11:22:33\r\n" MAUDIO, "sha-1 only");
	bad(HEAD ICE "a=fingerprint:sha-256 00:11\r\n" MAUDIO, "short fp");
	bad(HEAD "a=ice-ufrag:abc\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n" FP
	    MAUDIO, "short ufrag");
	bad(HEAD "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstu\r\n" FP
	    MAUDIO, "short pwd");
	bad(HEAD "a=ice-ufrag:ab cd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n"
	    FP MAUDIO, "space in ufrag");
	bad(HEAD "a=ice-ufrag:" "0123456789012345678901234567890123456789"
	    "0123456789012345678901234\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n"
	    FP MAUDIO, "ufrag longer than we hold");
	bad(HEAD ICE FP MAUDIO "a=setup:holdconn\r\n", "holdconn");
	bad(HEAD ICE FP "m=audio 9 UDP/TLS/RTP/SAVPF 9 13\r\n"
	    "c=IN IP4 192.0.2.1\r\na=rtpmap:9 G722/8000\r\n", "no codec");
	bad(HEAD ICE FP "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\n",
	    "no candidate at all");
	bad(HEAD ICE FP "m=audio x UDP/TLS/RTP/SAVPF 0\r\n", "bad port");
	bad(HEAD ICE FP "m=audio 9 UDP/TLS/RTP/SAVPF 0 300\r\n", "bad pt");
	bad(HEAD ICE FP "garbage\r\n" MAUDIO, "junk line");
	bad("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\0\r\n", "embedded NUL");

	memset(line, 'a', sizeof(line));
	memcpy(line, "a=x:", 4);
	line[sizeof(line) - 1] = '\0';
	snprintf(big, sizeof(big), HEAD "%s\r\n" ICE FP MAUDIO, line);
	bad(big, "line too long");
	memset(big, '\n', sizeof(big));
	memcpy(big, ok, strlen(ok));
	CHECK_INT(sdp_webrtc_parse(big, sizeof(big), &r, &err), -1);

	/* Rejected first audio, bundle video first: the next audio is ours. */
	ok = HEAD ICE FP
	    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=candidate:9 1 udp 1 192.0.2.9 "
	    "9999 typ host\r\na=rtpmap:96 VP8/90000\r\n"
	    "m=audio 0 UDP/TLS/RTP/SAVPF 0\r\n"
	    "m=audio 5004 UDP/TLS/RTP/SAVPF 8\r\na=recvonly\r\n"
	    "a=candidate:1 1 udp 100 192.0.2.1 5004 typ host\r\n"
	    "a=candidate:bad\r\n"
	    "a=candidate:2 3 udp 100 192.0.2.1 5004 typ host\r\n"
	    "a=candidate:3 1 udp 100 192.0.2.1 0 typ host\r\n"
	    "a=candidate:4 1 udp 99999999999 192.0.2.1 5004 typ host\r\n"
	    "a=candidate:5 1 udp 100 192.0.2.1 5004 typ weird\r\n"
	    "a=candidate:6 2 udp 100 192.0.2.1 5005 typ srflx raddr x rport 1\r\n"
	    "m=audio 6000 UDP/TLS/RTP/SAVPF 0\r\n"
	    "a=candidate:7 1 udp 100 192.0.2.7 6000 typ host\r\n";
	CHECK_INT(sdp_webrtc_parse(ok, strlen(ok), &r, &err), 0);
	CHECK_INT(r.dir, MEDIA_RECVONLY);
	CHECK_INT(r.ncodecs, 1);
	CHECK_INT(r.codecs[0].codec, CODEC_PCMA);
	CHECK_INT(r.ncands, 2);
	CHECK_STR(r.cands[0].foundation, "1");
	CHECK_STR(r.cands[1].foundation, "6");
	CHECK_INT(r.cands[1].component, 2);
	CHECK_INT(r.cands[1].raddr.ss_family, AF_UNSPEC);
}

static void
test_valid(void)
{
	struct media_webrtc_desc d;
	struct media_rtp_desc	 rtp;
	struct sdp_local	 l;
	const char		*err;

	local_desc(&d, &l);
	CHECK_INT(media_webrtc_valid(&d, &err), 0);
	d.fingerprint[2] = '-';
	CHECK_INT(media_webrtc_valid(&d, &err), -1);
	local_desc(&d, &l);
	d.fingerprint[0] = 'a';
	CHECK_INT(media_webrtc_valid(&d, &err), -1);
	local_desc(&d, &l);
	memset(d.pwd, 'x', sizeof(d.pwd));
	CHECK_INT(media_webrtc_valid(&d, &err), -1);
	local_desc(&d, &l);
	d.ncands = MEDIA_MAXCANDS + 1;
	CHECK_INT(media_webrtc_valid(&d, &err), -1);
	local_desc(&d, &l);
	d.ncodecs = MEDIA_MAXCODECS + 1;
	CHECK_INT(media_webrtc_valid(&d, &err), -1);
	local_desc(&d, &l);
	d.codecs[0].codec = CODEC_OPUS + 1;
	CHECK_INT(media_webrtc_valid(&d, &err), -1);
	local_desc(&d, &l);
	d.codecs[0].pt = 128;
	CHECK_INT(media_webrtc_valid(&d, &err), -1);
	local_desc(&d, &l);
	d.cands[1].addr.ss_family = AF_UNIX;
	CHECK_INT(media_webrtc_valid(&d, &err), -1);
	local_desc(&d, &l);
	d.cands[1].component = 3;
	CHECK_INT(media_webrtc_valid(&d, &err), -1);
	local_desc(&d, &l);
	d.cands[1].type = CAND_RELAY + 1;
	CHECK_INT(media_webrtc_valid(&d, &err), -1);
	local_desc(&d, &l);
	memset(d.cands[1].foundation, '1', sizeof(d.cands[1].foundation));
	CHECK_INT(media_webrtc_valid(&d, &err), -1);
	local_desc(&d, &l);
	d.setup = SETUP_PASSIVE + 1;
	CHECK_INT(media_webrtc_valid(&d, &err), -1);
	local_desc(&d, &l);
	d.dir = MEDIA_INACTIVE + 1;
	CHECK_INT(media_webrtc_valid(&d, &err), -1);

	memset(&rtp, 0, sizeof(rtp));
	CHECK_INT(media_rtp_valid(&rtp, &err), -1);
	set_addr(&rtp.addr, "192.0.2.1", 10000);
	rtp.ncodecs = 1;
	rtp.codecs[0] = (struct media_codec_desc){ CODEC_PCMU, 0, 1, 8000 };
	CHECK_INT(media_rtp_valid(&rtp, &err), 0);
	set_addr(&rtp.addr, "2001:db8::1", 10000);
	CHECK_INT(media_rtp_valid(&rtp, &err), 0);
	set_addr(&rtp.addr, "192.0.2.1", 0);
	CHECK_INT(media_rtp_valid(&rtp, &err), -1);
	set_addr(&rtp.addr, "192.0.2.1", 10000);
	rtp.dir = 9;
	CHECK_INT(media_rtp_valid(&rtp, &err), -1);
	rtp.dir = 0;
	rtp.codecs[0].clock = 0;
	CHECK_INT(media_rtp_valid(&rtp, &err), -1);

	CHECK_STR(media_codec_name(CODEC_PCMA), "PCMA");
	CHECK_STR(media_codec_name(CODEC_TELEPHONE_EVENT), "telephone-event");
	CHECK_STR(media_codec_name(99), "unknown");
	CHECK_STR(media_dir_name(MEDIA_RECVONLY), "recvonly");
	CHECK_STR(media_dir_name(99), "unknown");
}

int
main(int argc, char *argv[])
{
	if (argc != 2) {
		fprintf(stderr, "usage: test_sdp corpus-dir\n");
		return (2);
	}
	dir = argv[1];
	test_build_text();
	test_round_trip();
	test_chrome();
	test_kandy_ms();
	test_errors();
	test_valid();
	if (check_failures)
		fprintf(stderr, "%d failures\n", check_failures);
	return (check_failures != 0);
}
