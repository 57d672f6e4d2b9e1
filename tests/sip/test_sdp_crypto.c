/*
 * SDES-SRTP in SDP toward the PBX: a=crypto lines read into the media
 * description (good, bad base64, wrong length, unknown suite, lifetimes,
 * MKI, several lines), answers and offers written with our key.
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

/* 30 bytes 0x00..0x1d in base64. */
#define KEY_SEQ		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd"

#define HEAD \
    "v=0\r\n" \
    "o=3cxPS 1 1 IN IP4 192.0.2.10\r\n" \
    "s=-\r\n" \
    "c=IN IP4 192.0.2.10\r\n" \
    "t=0 0\r\n"

/* 3CX with SRTP on: two suites, 32 first, a lifetime on the first. */
static const char offer_savp[] = HEAD
    "m=audio 40000 RTP/SAVP 8 0 101\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=crypto:7 AES_CM_128_HMAC_SHA1_32 inline:" KEY_SEQ "|2^31\r\n"
    "a=crypto:8 AES_CM_128_HMAC_SHA1_80 inline:" KEY_SEQ "\r\n"
    "a=sendrecv\r\n";

/* Only lines we cannot key, SAVP alone: 488. */
static const char offer_savp_bad[] = HEAD
    "m=audio 40000 RTP/SAVP 0\r\n"
    "a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:" KEY_SEQ "\r\n"
    "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" KEY_SEQ "|2^20\r\n"
    "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:" KEY_SEQ "|1:4\r\n";

/* The same, with a plain m-line after it: that one is taken. */
static const char offer_savp_avp[] = HEAD
    "m=audio 40000 RTP/SAVP 0\r\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_SEQ "|2^31|1:4\r\n"
    "m=audio 40002 RTP/AVP 0\r\n";

/* Best-effort SRTP: AVP with a key. */
static const char offer_avp_crypto[] = HEAD
    "m=audio 40000 RTP/AVP 0\r\n"
    "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:" KEY_SEQ "\r\n";

static const char offer_plain[] = HEAD
    "m=audio 40000 RTP/AVP 0\r\n";

static void
local_desc(struct media_rtp_desc *l)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&l->addr;
	int			 i;

	memset(l, 0, sizeof(*l));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(10000);
	inet_pton(AF_INET, "10.0.0.5", &sin->sin_addr);
	l->ptime = 20;
	l->ncodecs = 2;
	l->codecs[0] = (struct media_codec_desc){ CODEC_PCMA, 8, 1, 8000 };
	l->codecs[1] = (struct media_codec_desc){ CODEC_PCMU, 0, 1, 8000 };
	/* What mediad sends: its key, suite 80 and tag 1 for offers. */
	l->crypto.suite = CRYPTO_AES_CM_128_HMAC_SHA1_80;
	l->crypto.tag = 1;
	for (i = 0; i < MEDIA_SRTP_KEYLEN; i++)
		l->crypto.key[i] = 0xff - i;
}

static int
key_is_seq(const struct media_crypto *c)
{
	int	 i;

	for (i = 0; i < MEDIA_SRTP_KEYLEN; i++)
		if (c->key[i] != i)
			return (0);
	return (1);
}

static void
lines(void)
{
	struct media_crypto	 c, back;
	char			 buf[128];
	int			 n;

	CHECK(sdp_crypto_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_SEQ,
	    &c) == 0);
	CHECK(c.tag == 1 && c.suite == CRYPTO_AES_CM_128_HMAC_SHA1_80);
	CHECK(key_is_seq(&c));
	CHECK(sdp_crypto_parse("999999999 AES_CM_128_HMAC_SHA1_32 inline:"
	    KEY_SEQ "|2147483648  ", &c) == 0);
	CHECK(c.tag == 999999999 && c.suite == CRYPTO_AES_CM_128_HMAC_SHA1_32);
	CHECK(sdp_crypto_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_SEQ
	    "|2^48", &c) == 0);

	/* Bad base64, wrong lengths, padding. */
	CHECK(sdp_crypto_parse("1 AES_CM_128_HMAC_SHA1_80 inline:"
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGx*d", &c) == -1);
	CHECK(sdp_crypto_parse("1 AES_CM_128_HMAC_SHA1_80 inline:"
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g", &c) == -1);
	CHECK(sdp_crypto_parse("1 AES_CM_128_HMAC_SHA1_80 inline:"
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBka", &c) == -1);
	CHECK(sdp_crypto_parse("1 AES_CM_128_HMAC_SHA1_80 inline:"
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw=", &c) == -1);
	CHECK(sdp_crypto_parse("1 AES_CM_128_HMAC_SHA1_80 inline:", &c) == -1);
	/* Suites, tags, key methods we do not take. */
	CHECK(sdp_crypto_parse("1 AES_256_CM_HMAC_SHA1_80 inline:" KEY_SEQ,
	    &c) == -1);
	CHECK(sdp_crypto_parse("1 aes_cm_128_hmac_sha1_80 inline:" KEY_SEQ,
	    &c) == -1);
	CHECK(sdp_crypto_parse("AES_CM_128_HMAC_SHA1_80 inline:" KEY_SEQ,
	    &c) == -1);
	CHECK(sdp_crypto_parse("1234567890 AES_CM_128_HMAC_SHA1_80 inline:"
	    KEY_SEQ, &c) == -1);
	CHECK(sdp_crypto_parse("1 AES_CM_128_HMAC_SHA1_80 uri:" KEY_SEQ,
	    &c) == -1);
	/* Short lifetimes, MKI, two keys, session parameters. */
	CHECK(sdp_crypto_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_SEQ
	    "|2^30", &c) == -1);
	CHECK(sdp_crypto_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_SEQ
	    "|1048576", &c) == -1);
	CHECK(sdp_crypto_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_SEQ
	    "|2^x", &c) == -1);
	CHECK(sdp_crypto_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_SEQ
	    "|1:4", &c) == -1);
	CHECK(sdp_crypto_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_SEQ
	    "|2^31|1:4", &c) == -1);
	CHECK(sdp_crypto_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_SEQ
	    ";inline:" KEY_SEQ, &c) == -1);
	CHECK(sdp_crypto_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_SEQ
	    " UNENCRYPTED_SRTP", &c) == -1);
	CHECK(c.suite == CRYPTO_NONE);

	/* Written lines read back as the same key. */
	CHECK(sdp_crypto_parse("5 AES_CM_128_HMAC_SHA1_32 inline:" KEY_SEQ,
	    &c) == 0);
	n = sdp_crypto_write(&c, buf, sizeof(buf));
	CHECK(n > 0 && strcmp(buf, "a=crypto:5 AES_CM_128_HMAC_SHA1_32 inline:"
	    KEY_SEQ "\r\n") == 0);
	buf[n - 2] = '\0';
	CHECK(sdp_crypto_parse(buf + 9, &back) == 0 &&
	    memcmp(&c, &back, sizeof(c)) == 0);
	CHECK(sdp_crypto_write(&c, buf, 40) == -1);
	c.suite = CRYPTO_NONE;
	CHECK(sdp_crypto_write(&c, buf, sizeof(buf)) == -1);
}

static void
offers(void)
{
	struct sdp_remote	 r, back;
	struct media_rtp_desc	 l;
	struct sdp_local	 st;
	char			 buf[SDP_MAXBODY];
	int			 n;

	sdp_set_srtp(SDP_SRTP_NO);
	local_desc(&l);
	sdp_local_init(&st);

	/* The first line we can key wins, with its tag. */
	CHECK(sdp_parse_remote(offer_savp, strlen(offer_savp), &r) == SDP_OK);
	CHECK(r.chosen == 0);
	CHECK(r.rtp.crypto.suite == CRYPTO_AES_CM_128_HMAC_SHA1_32);
	CHECK(r.rtp.crypto.tag == 7 && key_is_seq(&r.rtp.crypto));
	n = sdp_write_answer(&st, &l, &r, NULL, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK(strstr(buf, "m=audio 10000 RTP/SAVP 8 0\r\n") != NULL);
	/* Their tag and suite, our key. */
	CHECK(strstr(buf, "a=crypto:7 AES_CM_128_HMAC_SHA1_32 inline:") !=
	    NULL);
	CHECK(strstr(buf, KEY_SEQ) == NULL);
	CHECK(strstr(buf, "a=crypto:8") == NULL);
	CHECK(sdp_parse_remote(buf, n, &back) == SDP_OK);
	CHECK(back.rtp.crypto.tag == 7 &&
	    memcmp(back.rtp.crypto.key, l.crypto.key, MEDIA_SRTP_KEYLEN) == 0);

	CHECK(sdp_parse_remote(offer_savp_bad, strlen(offer_savp_bad), &r) ==
	    SDP_ENOCRYPTO);
	CHECK(strcmp(sdp_strerror(SDP_ENOCRYPTO), "no usable SRTP key") == 0);

	/* Fallback: the SAVP line refused in place, the AVP one plain. */
	CHECK(sdp_parse_remote(offer_savp_avp, strlen(offer_savp_avp), &r) ==
	    SDP_OK);
	CHECK(r.chosen == 1 && r.rtp.crypto.suite == CRYPTO_NONE);
	n = sdp_write_answer(&st, &l, &r, NULL, buf, sizeof(buf));
	CHECK(n > 0 && strstr(buf, "m=audio 0 RTP/SAVP 0\r\n"
	    "m=audio 10000 RTP/AVP 0\r\n") != NULL);
	CHECK(strstr(buf, "a=crypto") == NULL);

	/* AVP with a key is answered in kind. */
	CHECK(sdp_parse_remote(offer_avp_crypto, strlen(offer_avp_crypto),
	    &r) == SDP_OK);
	CHECK(r.rtp.crypto.tag == 3);
	n = sdp_write_answer(&st, &l, &r, NULL, buf, sizeof(buf));
	CHECK(n > 0 && strstr(buf, "m=audio 10000 RTP/AVP 0\r\n") != NULL);
	CHECK(strstr(buf, "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:") !=
	    NULL);

	/* Plain offers are answered plain, unless SRTP is required. */
	CHECK(sdp_parse_remote(offer_plain, strlen(offer_plain), &r) ==
	    SDP_OK);
	n = sdp_write_answer(&st, &l, &r, NULL, buf, sizeof(buf));
	CHECK(n > 0 && strstr(buf, "a=crypto") == NULL);
	sdp_set_srtp(SDP_SRTP_REQUIRE);
	CHECK(sdp_parse_remote(offer_plain, strlen(offer_plain), &r) ==
	    SDP_ENOCRYPTO);
	CHECK(sdp_parse_remote(offer_savp_avp, strlen(offer_savp_avp), &r) ==
	    SDP_ENOCRYPTO);
	CHECK(sdp_parse_remote(offer_savp, strlen(offer_savp), &r) == SDP_OK);
	sdp_set_srtp(SDP_SRTP_NO);
}

static void
our_offers(void)
{
	struct sdp_remote	 back;
	struct media_rtp_desc	 l;
	struct sdp_local	 st;
	char			 buf[SDP_MAXBODY];
	int			 n;

	local_desc(&l);
	sdp_local_init(&st);
	sdp_set_srtp(SDP_SRTP_NO);
	n = sdp_write_offer(&st, &l, NULL, buf, sizeof(buf));
	CHECK(n > 0 && strstr(buf, "m=audio 10000 RTP/AVP 8 0\r\n") != NULL);
	CHECK(strstr(buf, "a=crypto") == NULL);

	sdp_set_srtp(SDP_SRTP_OFFER);
	n = sdp_write_offer(&st, &l, NULL, buf, sizeof(buf));
	CHECK(n > 0 && strstr(buf, "m=audio 10000 RTP/AVP 8 0\r\n") != NULL);
	CHECK(strstr(buf, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:") !=
	    NULL);
	CHECK(sdp_parse_remote(buf, n, &back) == SDP_OK);
	CHECK(memcmp(back.rtp.crypto.key, l.crypto.key,
	    MEDIA_SRTP_KEYLEN) == 0);

	sdp_set_srtp(SDP_SRTP_REQUIRE);
	n = sdp_write_offer(&st, &l, NULL, buf, sizeof(buf));
	CHECK(n > 0 && strstr(buf, "m=audio 10000 RTP/SAVP 8 0\r\n") != NULL);
	CHECK(strstr(buf, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:") !=
	    NULL);
	CHECK(sdp_parse_remote(buf, n, &back) == SDP_OK);
	CHECK(back.rtp.crypto.suite == CRYPTO_AES_CM_128_HMAC_SHA1_80);
	sdp_set_srtp(SDP_SRTP_NO);
}

int
main(void)
{
	log_init(1, 2, 0);
	lines();
	offers();
	our_offers();
	if (failures) {
		fprintf(stderr, "%d failures\n", failures);
		return (1);
	}
	return (0);
}
