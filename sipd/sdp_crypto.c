/*
 * SDES-SRTP (RFC 4568) a=crypto attributes: one line read into a
 * media_crypto, or written from one.  Only what mediad can key is
 * accepted: the two AES_CM_128 suites, one inline key, a lifetime we
 * never reach, no MKI and no session parameters.  Anything else makes the
 * line unusable, and the caller goes on to the next one.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdp_media.h"

/* A shorter lifetime would need rekeying mid-call, which we do not do. */
#define CRYPTO_MIN_LIFETIME_LOG2	31

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
b64_value(char c)
{
	const char	*p;

	if (c == '\0' || (p = strchr(b64, c)) == NULL)
		return (-1);
	return ((int)(p - b64));
}

/*
 * Exactly MEDIA_SRTP_KEYLEN bytes from s[0..len): 30 bytes are 40
 * characters with no padding, so anything else is the wrong length.
 */
static int
key_decode(const char *s, size_t len, uint8_t *key)
{
	size_t	 i, o = 0;
	int	 v[4], j;

	if (len != MEDIA_SRTP_KEYLEN / 3 * 4)
		return (-1);
	for (i = 0; i < len; i += 4) {
		for (j = 0; j < 4; j++)
			if ((v[j] = b64_value(s[i + j])) == -1)
				return (-1);
		key[o++] = (v[0] << 2) | (v[1] >> 4);
		key[o++] = ((v[1] & 0xf) << 4) | (v[2] >> 2);
		key[o++] = ((v[2] & 0x3) << 6) | v[3];
	}
	return (0);
}

static void
key_encode(const uint8_t *key, char *out)
{
	size_t	 i, o = 0;

	for (i = 0; i < MEDIA_SRTP_KEYLEN; i += 3) {
		out[o++] = b64[key[i] >> 2];
		out[o++] = b64[((key[i] & 0x3) << 4) | (key[i + 1] >> 4)];
		out[o++] = b64[((key[i + 1] & 0xf) << 2) | (key[i + 2] >> 6)];
		out[o++] = b64[key[i + 2] & 0x3f];
	}
	out[o] = '\0';
}

static enum media_crypto_suite
suite_of(const char *s, size_t len)
{
	enum media_crypto_suite	 c;
	const char		*name;

	for (c = CRYPTO_AES_CM_128_HMAC_SHA1_80;
	    c <= CRYPTO_AES_CM_128_HMAC_SHA1_32; c++) {
		name = media_crypto_name(c);
		if (strlen(name) == len && strncmp(s, name, len) == 0)
			return (c);
	}
	return (CRYPTO_NONE);
}

/* "2^n" or a decimal count of packets: long enough to be ignored? */
static int
lifetime_ok(const char *s, size_t len)
{
	char			 num[24];
	unsigned long long	 v;
	char			*end;
	int			 pow2 = 0;

	if (len > 2 && s[0] == '2' && s[1] == '^') {
		pow2 = 1;
		s += 2;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(num))
		return (0);
	memcpy(num, s, len);
	num[len] = '\0';
	if (!isdigit((unsigned char)num[0]))
		return (0);
	v = strtoull(num, &end, 10);
	if (*end != '\0')
		return (0);
	if (pow2)
		return (v >= CRYPTO_MIN_LIFETIME_LOG2 && v <= 64);
	return (v >= (1ULL << CRYPTO_MIN_LIFETIME_LOG2));
}

/*
 * value is what follows "a=crypto:": tag SP suite SP inline:key[|life]
 * [|mki:len] [SP session-params].  0 and *c filled when we can key it.
 */
int
sdp_crypto_parse(const char *value, struct media_crypto *c)
{
	const char	*p = value, *q, *bar;
	unsigned long	 tag;
	size_t		 n;

	memset(c, 0, sizeof(*c));
	for (n = 0; isdigit((unsigned char)p[n]); n++)
		;
	if (n == 0 || n > 9 || p[n] != ' ')
		return (-1);
	tag = strtoul(p, NULL, 10);
	for (p += n; *p == ' ' || *p == '\t'; p++)
		;
	for (q = p; *q != '\0' && *q != ' ' && *q != '\t'; q++)
		;
	if ((c->suite = suite_of(p, q - p)) == CRYPTO_NONE)
		return (-1);
	for (p = q; *p == ' ' || *p == '\t'; p++)
		;
	if (strncmp(p, "inline:", 7) != 0)
		return (-1);
	p += 7;
	/* One key-param, then nothing: no second key, no session params. */
	for (q = p; *q != '\0' && *q != ' ' && *q != '\t' && *q != ';'; q++)
		;
	for (n = 0; q[n] == ' ' || q[n] == '\t'; n++)
		;
	if (q[n] != '\0')
		goto bad;
	if ((bar = memchr(p, '|', q - p)) == NULL)
		bar = q;
	if (key_decode(p, bar - p, c->key) == -1)
		goto bad;
	while (bar < q) {
		p = bar + 1;
		if ((bar = memchr(p, '|', q - p)) == NULL)
			bar = q;
		/* An MKI is mki:length; a lifetime has no colon. */
		if (memchr(p, ':', bar - p) != NULL || !lifetime_ok(p, bar - p))
			goto bad;
	}
	c->tag = tag;
	return (0);
 bad:
	explicit_bzero(c, sizeof(*c));
	return (-1);
}

/* "a=crypto:<tag> <suite> inline:<key>\r\n" into buf; -1 if it won't fit. */
int
sdp_crypto_write(const struct media_crypto *c, char *buf, size_t len)
{
	char	 key[MEDIA_SRTP_KEYLEN / 3 * 4 + 1];
	int	 n;

	if (c->suite == CRYPTO_NONE)
		return (-1);
	key_encode(c->key, key);
	n = snprintf(buf, len, "a=crypto:%u %s inline:%s\r\n", c->tag,
	    media_crypto_name(c->suite), key);
	explicit_bzero(key, sizeof(key));
	if (n < 0 || (size_t)n >= len)
		return (-1);
	return (n);
}
