/*
 * Reading the claims of the JWTs Kandy hands out.  The signature is not
 * checked: the token came over verified TLS from the server that will
 * check it again, and we only need the user id for our URLs and the
 * lifetime for the refresh timer.  Everything read is still bounded and
 * checked, since a wrong user id ends up in request paths.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "kandyd.h"

#define FAIL(msg)	do { *errstr = (msg); goto fail; } while (0)

static int
b64url_val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return (c - 'A');
	if (c >= 'a' && c <= 'z')
		return (c - 'a' + 26);
	if (c >= '0' && c <= '9')
		return (c - '0' + 52);
	if (c == '-')
		return (62);
	if (c == '_')
		return (63);
	return (-1);
}

/*
 * Base64url without padding (RFC 7515 section 2); trailing '=' is
 * tolerated.  Returns the decoded length or -1.
 */
ssize_t
b64url_decode(const char *in, size_t inlen, unsigned char *out, size_t outlen)
{
	uint32_t	 acc = 0;
	size_t		 i, o = 0;
	int		 bits = 0, v;

	while (inlen > 0 && in[inlen - 1] == '=')
		inlen--;
	if (inlen % 4 == 1)
		return (-1);
	for (i = 0; i < inlen; i++) {
		if ((v = b64url_val((unsigned char)in[i])) == -1)
			return (-1);
		acc = (acc << 6) | v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outlen)
				return (-1);
			out[o++] = (acc >> bits) & 0xff;
		}
	}
	/* Leftover bits must be zero: one encoding per value. */
	if ((acc & ((1U << bits) - 1)) != 0)
		return (-1);
	return (o);
}

/* A user id goes into URL paths: unreserved characters, '@' and '+'. */
int
jwt_userid_valid(const char *s)
{
	size_t	 len = strlen(s);

	if (len == 0 || len >= JWT_USERLEN)
		return (0);
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("-._~@+", *s) == NULL)
			return (0);
	return (1);
}

static json_t *
decode_part(const char *p, size_t len, const char **errstr)
{
	unsigned char	*buf;
	ssize_t		 n;
	json_t		*j;

	if (len == 0 || len > JWT_MAXLEN) {
		*errstr = "JWT part empty or too long";
		return (NULL);
	}
	if ((buf = malloc(len)) == NULL) {
		*errstr = "out of memory";
		return (NULL);
	}
	if ((n = b64url_decode(p, len, buf, len)) == -1) {
		free(buf);
		*errstr = "JWT part is not base64url";
		return (NULL);
	}
	j = json_guard_load((const char *)buf, n, JWT_MAXLEN, errstr);
	free(buf);
	return (j);
}

static int
claim_time(json_t *payload, const char *name, int64_t *out)
{
	json_t	*v;

	if ((v = json_object_get(payload, name)) == NULL)
		return (0);
	/* NumericDate may be written with a fraction. */
	if (json_is_integer(v))
		*out = json_integer_value(v);
	else if (json_is_real(v) && json_real_value(v) >= 0 &&
	    json_real_value(v) < 1e15)
		*out = (int64_t)json_real_value(v);
	else
		return (-1);
	return (*out < 0 ? -1 : 1);
}

int
jwt_decode(const char *token, struct jwt_claims *c, const char **errstr)
{
	const char	*dot1, *dot2;
	json_t		*hdr = NULL, *payload = NULL, *v;
	size_t		 len;
	int		 rv;

	memset(c, 0, sizeof(*c));
	len = strnlen(token, JWT_MAXLEN + 1);
	if (len > JWT_MAXLEN)
		FAIL("JWT too long");
	if ((dot1 = strchr(token, '.')) == NULL ||
	    (dot2 = strchr(dot1 + 1, '.')) == NULL ||
	    strchr(dot2 + 1, '.') != NULL)
		FAIL("JWT is not three dot-separated parts");
	if ((hdr = decode_part(token, dot1 - token, errstr)) == NULL)
		goto fail;
	if (!json_is_string(json_object_get(hdr, "alg")))
		FAIL("JWT header has no alg");
	if ((payload = decode_part(dot1 + 1, dot2 - dot1 - 1, errstr)) == NULL)
		goto fail;

	if ((rv = claim_time(payload, "exp", &c->exp)) != 1)
		FAIL(rv == 0 ? "JWT has no exp" : "JWT exp is not a time");
	if (claim_time(payload, "iat", &c->iat) == -1)
		FAIL("JWT iat is not a time");
	if (c->iat != 0 && c->iat > c->exp)
		FAIL("JWT issued after it expires");
	if ((v = json_object_get(payload, "preferred_username")) != NULL) {
		if (!json_is_string(v) ||
		    !jwt_userid_valid(json_string_value(v)))
			FAIL("JWT preferred_username unusable");
		strlcpy(c->preferred_username, json_string_value(v),
		    sizeof(c->preferred_username));
	}
	json_decref(hdr);
	json_decref(payload);
	return (0);
 fail:
	json_decref(hdr);
	json_decref(payload);
	memset(c, 0, sizeof(*c));
	return (-1);
}

/*
 * When to run the grant again: at half the token's life, as the public
 * SDKs do, counted from the time we received it.  Without iat we count
 * from now.  Never sooner than min_s.
 */
int64_t
jwt_refresh_at(const struct jwt_claims *c, int64_t now, int64_t min_s)
{
	int64_t	 life, at;

	life = c->exp - (c->iat != 0 ? c->iat : now);
	if (life < 0)
		life = 0;
	at = now + life / 2;
	if (at < now + min_s)
		at = now + min_s;
	return (at);
}
