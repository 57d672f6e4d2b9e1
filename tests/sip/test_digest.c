/*
 * Digest computation against the RFC examples, verification and the
 * nonce store's aging and replay rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"

static int	failures;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); \
		failures++;						\
	}								\
} while (0)

static void
rfc2617(void)
{
	struct digest_params	 p = {
		.alg = DIGEST_MD5, .username = "Mufasa",
		.realm = "testrealm@host.com",
		.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093",
		.nc = "00000001", .cnonce = "0a4f113b", .qop = "auth",
		.method = "GET", .uri = "/dir/index.html",
		.response = "6629fae49393a05397450978507c4ef1" };
	char			 ha1[DIGEST_HEXLEN_MAX], r[DIGEST_HEXLEN_MAX];

	CHECK(digest_ha1(DIGEST_MD5, p.username, p.realm, "Circle Of Life",
	    ha1) == 0);
	CHECK(digest_response(&p, ha1, r) == 0);
	CHECK(strcmp(r, p.response) == 0);
	CHECK(digest_verify(&p, "Circle Of Life", NULL) == 1);
	CHECK(digest_verify(&p, NULL, ha1) == 1);
	CHECK(digest_verify(&p, "Circle of Life", NULL) == 0);
	p.response = "6629FAE49393A05397450978507C4EF1";
	CHECK(digest_verify(&p, "Circle Of Life", NULL) == 1);
	p.response = "6629fae49393a05397450978507c4ef";
	CHECK(digest_verify(&p, "Circle Of Life", NULL) == 0);
	p.response = "6629fae49393a05397450978507c4ef1";
	p.nc = "00000002";
	CHECK(digest_verify(&p, "Circle Of Life", NULL) == 0);
	p.nc = "00000001";
	p.method = "POST";
	CHECK(digest_verify(&p, "Circle Of Life", NULL) == 0);
	/* A SHA-256 HA1 is no good for an MD5 response. */
	p.method = "GET";
	CHECK(digest_ha1(DIGEST_SHA256, p.username, p.realm,
	    "Circle Of Life", ha1) == 0);
	CHECK(digest_verify(&p, NULL, ha1) == 0);
	p.qop = "auth-int";
	CHECK(digest_verify(&p, "Circle Of Life", NULL) == 0);
}

static void
rfc7616(void)
{
	struct digest_params	 p = {
		.alg = DIGEST_MD5, .username = "Mufasa",
		.realm = "http-auth@example.org",
		.nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
		.nc = "00000001",
		.cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
		.qop = "auth", .method = "GET", .uri = "/dir/index.html",
		.response = "8ca523f5e9506fed4657c9700eebdbec" };
	enum digest_alg		 alg;

	CHECK(digest_verify(&p, "Circle of Life", NULL) == 1);
	p.alg = DIGEST_SHA256;
	p.response = "753927fa0e85d155564e2e272a28d180"
	    "2ca10daf4496794697cf8db5856cb6c1";
	CHECK(digest_verify(&p, "Circle of Life", NULL) == 1);
	CHECK(digest_verify(&p, "Circle Of Life", NULL) == 0);
	p.alg = DIGEST_MD5;
	CHECK(digest_verify(&p, "Circle of Life", NULL) == 0);

	CHECK(digest_alg_parse("sha-256", &alg) == 0 && alg == DIGEST_SHA256);
	CHECK(digest_alg_parse(NULL, &alg) == 0 && alg == DIGEST_MD5);
	CHECK(digest_alg_parse("SHA-512-256", &alg) == -1);
	CHECK(strcmp(digest_alg_name(DIGEST_SHA256), "SHA-256") == 0);
}

static void
rfc2069(void)
{
	struct digest_params	 p = {
		.alg = DIGEST_MD5, .username = "u", .realm = "r",
		.nonce = "n", .method = "REGISTER", .uri = "sip:r" };
	char			 ha1[DIGEST_HEXLEN_MAX], r[DIGEST_HEXLEN_MAX];

	/* Without qop: H(HA1:nonce:HA2), here computed by hand with md5sum. */
	CHECK(digest_ha1(DIGEST_MD5, "u", "r", "p", ha1) == 0);
	CHECK(digest_response(&p, ha1, r) == 0);
	p.response = r;
	CHECK(digest_verify(&p, "p", NULL) == 1);
	p.nc = "00000001";
	CHECK(digest_verify(&p, "p", NULL) == 1);	/* nc ignored */
	p.qop = "auth";
	CHECK(digest_verify(&p, "p", NULL) == 0);	/* no cnonce */
}

static void
equal(void)
{
	CHECK(digest_equal("abc", "abc"));
	CHECK(!digest_equal("abc", "abd"));
	CHECK(!digest_equal("abc", "ab"));
	CHECK(!digest_equal("ab", "abc"));
	CHECK(digest_equal("", ""));
}

static void
nonces(void)
{
	struct nonce_store	*ns;
	char			 n[DIGEST_NONCELEN], n2[DIGEST_NONCELEN];
	char			 forged[DIGEST_NONCELEN];
	uint32_t		 nc;
	time_t			 t = 1000000;
	int			 i;

	ns = nonce_store_new(300, 4);
	CHECK(ns != NULL);
	CHECK(nonce_make(ns, t, n) == 0);
	CHECK(strlen(n) == 64);
	CHECK(nonce_make(ns, t, n2) == 0);
	CHECK(strcmp(n, n2) != 0);

	CHECK(nonce_check(ns, n, 1, t) == NONCE_OK);
	CHECK(nonce_check(ns, n, 1, t) == NONCE_OK);	/* check keeps nothing */
	CHECK(nonce_commit(ns, n, 1, t + 1) == NONCE_OK);
	CHECK(nonce_check(ns, n, 1, t + 1) == NONCE_REPLAY);
	CHECK(nonce_commit(ns, n, 1, t + 1) == NONCE_REPLAY);
	CHECK(nonce_commit(ns, n, 3, t + 2) == NONCE_OK);
	CHECK(nonce_check(ns, n, 2, t + 2) == NONCE_REPLAY);
	CHECK(nonce_check(ns, n, 4, t + 300) == NONCE_OK);
	CHECK(nonce_check(ns, n, 4, t + 301) == NONCE_STALE);

	/* No qop: usable once. */
	CHECK(nonce_commit(ns, n2, 0, t) == NONCE_OK);
	CHECK(nonce_check(ns, n2, 0, t) == NONCE_REPLAY);

	/* One changed character breaks the MAC; so does the timestamp. */
	strlcpy(forged, n, sizeof(forged));
	forged[20] = forged[20] == 'a' ? 'b' : 'a';
	CHECK(nonce_check(ns, forged, 1, t) == NONCE_INVALID);
	strlcpy(forged, n, sizeof(forged));
	forged[15] = forged[15] == '1' ? '2' : '1';
	CHECK(nonce_check(ns, forged, 1, t) == NONCE_INVALID);
	CHECK(nonce_check(ns, "abc", 1, t) == NONCE_INVALID);
	CHECK(nonce_check(ns, NULL, 1, t) == NONCE_INVALID);

	/* The table is bounded; a forgotten fresh nonce of ours is stale. */
	for (i = 0; i < 10; i++)
		CHECK(nonce_make(ns, t + 10, n2) == 0);
	CHECK(nonce_store_count(ns) == 4);
	CHECK(nonce_check(ns, n, 10, t + 10) == NONCE_STALE);
	CHECK(nonce_check(ns, n2, 1, t + 10) == NONCE_OK);

	/* Aging on issue drops old entries. */
	CHECK(nonce_make(ns, t + 1000, n) == 0);
	CHECK(nonce_store_count(ns) == 1);

	/* Another process key: our nonce means nothing there. */
	nonce_store_free(ns);
	ns = nonce_store_new(300, 4);
	CHECK(nonce_check(ns, n, 1, t + 1000) == NONCE_INVALID);
	nonce_store_free(ns);

	CHECK(nonce_parse_nc("0000000a", &nc) == 0 && nc == 10);
	CHECK(nonce_parse_nc("00000000", &nc) == -1);
	CHECK(nonce_parse_nc("1", &nc) == -1);
	CHECK(nonce_parse_nc("0000000g", &nc) == -1);
	CHECK(nonce_parse_nc(NULL, &nc) == -1);
}

int
main(void)
{
	rfc2617();
	rfc7616();
	rfc2069();
	equal();
	nonces();
	if (failures) {
		fprintf(stderr, "%d failures\n", failures);
		return (1);
	}
	return (0);
}
