/* JWT claim reading: good Keycloak-shaped tokens and malformed ones. */
#include <stdio.h>
#include <string.h>

#include "kandyd.h"
#include "check.h"

static void
b64url(const char *in, char *out)
{
	static const char	 abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t			 i, len = strlen(in);
	unsigned int		 v;

	for (i = 0; i + 2 < len; i += 3) {
		v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 |
		    (unsigned char)in[i + 2];
		*out++ = abc[v >> 18];
		*out++ = abc[(v >> 12) & 63];
		*out++ = abc[(v >> 6) & 63];
		*out++ = abc[v & 63];
	}
	if (len - i == 1) {
		v = (unsigned char)in[i] << 16;
		*out++ = abc[v >> 18];
		*out++ = abc[(v >> 12) & 63];
	} else if (len - i == 2) {
		v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
		*out++ = abc[v >> 18];
		*out++ = abc[(v >> 12) & 63];
		*out++ = abc[(v >> 6) & 63];
	}
	*out = '\0';
}

static char *
token(const char *hdr, const char *payload)
{
	static char	 buf[8192];
	size_t		 n;

	b64url(hdr, buf);
	n = strlen(buf);
	buf[n++] = '.';
	b64url(payload, buf + n);
	strlcat(buf, ".c2lnbmF0dXJl", sizeof(buf));
	return (buf);
}

#define HDR	"{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}"

static void
bad(const char *tok, const char *why)
{
	struct jwt_claims	 c;
	const char		*err = NULL;

	if (jwt_decode(tok, &c, &err) != -1 || err == NULL) {
		fprintf(stderr, "accepted bad JWT: %s\n", why);
		check_failures++;
	}
}

int
main(void)
{
	struct jwt_claims	 c;
	unsigned char		 out[16];
	const char		*err = NULL;
	char			 big[JWT_MAXLEN + 100];

	CHECK_INT(jwt_decode(token(HDR, "{\"exp\":1764160000,\"iat\":"
	    "1764156400,\"jti\":\"x\",\"iss\":\"https://kandy/auth/realms/r\","
	    "\"preferred_username\":\"alice@example.com\",\"typ\":\"ID\"}"),
	    &c, &err), 0);
	CHECK_STR(c.preferred_username, "alice@example.com");
	CHECK_INT(c.exp, 1764160000);
	CHECK_INT(c.iat, 1764156400);
	/* Half the life: 1800 s after now. */
	CHECK_INT(jwt_refresh_at(&c, 1764156400, 10), 1764158200);
	CHECK_INT(jwt_refresh_at(&c, 1764156400, 3600), 1764160000);

	/* Access tokens may lack preferred_username; iat may be absent. */
	CHECK_INT(jwt_decode(token(HDR, "{\"exp\":100.5}"), &c, &err), 0);
	CHECK_STR(c.preferred_username, "");
	CHECK_INT(c.exp, 100);
	CHECK_INT(c.iat, 0);
	CHECK_INT(jwt_refresh_at(&c, 50, 1), 75);
	CHECK_INT(jwt_refresh_at(&c, 200, 5), 205);

	/* Padding tolerated. */
	CHECK_INT(b64url_decode("YQ==", 4, out, sizeof(out)), 1);
	CHECK_INT(out[0], 'a');
	CHECK_INT(b64url_decode("YR", 2, out, sizeof(out)), -1);
	CHECK_INT(b64url_decode("Y", 1, out, sizeof(out)), -1);
	CHECK_INT(b64url_decode("YW+j", 4, out, sizeof(out)), -1);
	CHECK_INT(b64url_decode("YWJjZA", 6, out, 3), -1);
	CHECK_INT(b64url_decode("YWJjZA", 6, out, 4), 4);

	bad("", "empty");
	bad("abc", "one part");
	bad("a.b", "two parts");
	bad("a.b.c.d", "four parts");
	bad(token(HDR, "{\"exp\":1}") + 1, "broken header");
	bad(token("{\"typ\":\"JWT\"}", "{\"exp\":1}"), "no alg");
	bad(token("[1]", "{\"exp\":1}"), "header not object");
	bad(token(HDR, "not json"), "payload not json");
	bad(token(HDR, "{}"), "no exp");
	bad(token(HDR, "{\"exp\":\"1764160000\"}"), "exp string");
	bad(token(HDR, "{\"exp\":-5}"), "negative exp");
	bad(token(HDR, "{\"exp\":1,\"iat\":true}"), "iat bool");
	bad(token(HDR, "{\"exp\":1,\"iat\":5}"), "iat after exp");
	bad(token(HDR, "{\"exp\":1,\"exp\":2}"), "duplicate key");
	bad(token(HDR, "{\"exp\":1,\"preferred_username\":7}"), "user number");
	bad(token(HDR, "{\"exp\":1,\"preferred_username\":\"a/../b\"}"),
	    "user with slash");
	bad(token(HDR, "{\"exp\":1,\"preferred_username\":\"a b\"}"),
	    "user with space");
	bad(token(HDR, "{\"exp\":1,\"preferred_username\":\"a\\u0000b\"}"),
	    "user with NUL");
	bad(token(HDR, "{\"exp\":1,\"preferred_username\":\"\"}"),
	    "user empty");
	bad(token(HDR, "{\"exp\":1,\"x\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]"
	    "}"), "deep nesting");
	bad("ey!.ey.x", "bad alphabet");
	memset(big, 'A', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	big[10] = '.';
	big[20] = '.';
	bad(big, "too long");

	if (check_failures)
		fprintf(stderr, "%d failures\n", check_failures);
	return (check_failures != 0);
}
