/*
 * HTTP Digest for SIP: hashes, responses, verification and sipd's nonces.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <mbedtls/md.h>

#include "digest.h"

#define NONCE_TSHEX	16
#define NONCE_RNDHEX	16
#define NONCE_MACHEX	32
#define NONCE_HEX	(NONCE_TSHEX + NONCE_RNDHEX + NONCE_MACHEX)
#define NONCE_SKEW	5	/* seconds a nonce may come from the future */

static const struct {
	const char	*name;
	enum digest_alg	 alg;
} digest_algs[] = {
	{ "MD5",		DIGEST_MD5 },
	{ "MD5-sess",		DIGEST_MD5_SESS },
	{ "SHA-256",		DIGEST_SHA256 },
	{ "SHA-256-sess",	DIGEST_SHA256_SESS },
};

int
digest_alg_parse(const char *s, enum digest_alg *alg)
{
	size_t	i;

	/* RFC 7616: a missing algorithm means MD5. */
	if (s == NULL || *s == '\0') {
		*alg = DIGEST_MD5;
		return (0);
	}
	for (i = 0; i < sizeof(digest_algs) / sizeof(digest_algs[0]); i++) {
		if (strcasecmp(s, digest_algs[i].name) == 0) {
			*alg = digest_algs[i].alg;
			return (0);
		}
	}
	return (-1);
}

const char *
digest_alg_name(enum digest_alg alg)
{
	size_t	i;

	for (i = 0; i < sizeof(digest_algs) / sizeof(digest_algs[0]); i++)
		if (digest_algs[i].alg == alg)
			return (digest_algs[i].name);
	return ("unknown");
}

static mbedtls_md_type_t
digest_mdtype(enum digest_alg alg)
{
	switch (alg) {
	case DIGEST_MD5:
	case DIGEST_MD5_SESS:
		return (MBEDTLS_MD_MD5);
	case DIGEST_SHA256:
	case DIGEST_SHA256_SESS:
		return (MBEDTLS_MD_SHA256);
	}
	return (MBEDTLS_MD_NONE);
}

size_t
digest_hexlen(enum digest_alg alg)
{
	return (digest_mdtype(alg) == MBEDTLS_MD_MD5 ? 32 : 64);
}

static void
tohex(const unsigned char *in, size_t len, char *out)
{
	static const char	hex[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 0xf];
	}
	out[2 * len] = '\0';
}

/*
 * Hash the NULL-terminated list of strings joined by ':' into lower-case
 * hex: every digest value is of that form.
 */
static int
hash_joined(enum digest_alg alg, char out[DIGEST_HEXLEN_MAX], ...)
{
	const mbedtls_md_info_t	*info;
	mbedtls_md_context_t	 ctx;
	unsigned char		 md[MBEDTLS_MD_MAX_SIZE];
	const char		*s;
	va_list			 ap;
	int			 first = 1, rv = -1;

	if ((info = mbedtls_md_info_from_type(digest_mdtype(alg))) == NULL)
		return (-1);
	mbedtls_md_init(&ctx);
	if (mbedtls_md_setup(&ctx, info, 0) != 0 ||
	    mbedtls_md_starts(&ctx) != 0)
		goto done;
	va_start(ap, out);
	while ((s = va_arg(ap, const char *)) != NULL) {
		if (!first && mbedtls_md_update(&ctx,
		    (const unsigned char *)":", 1) != 0)
			break;
		if (mbedtls_md_update(&ctx, (const unsigned char *)s,
		    strlen(s)) != 0)
			break;
		first = 0;
	}
	va_end(ap);
	if (s != NULL || mbedtls_md_finish(&ctx, md) != 0)
		goto done;
	tohex(md, mbedtls_md_get_size(info), out);
	rv = 0;
 done:
	mbedtls_md_free(&ctx);
	return (rv);
}

int
digest_ha1(enum digest_alg alg, const char *user, const char *realm,
    const char *password, char out[DIGEST_HEXLEN_MAX])
{
	if (user == NULL || realm == NULL || password == NULL)
		return (-1);
	return (hash_joined(alg, out, user, realm, password, NULL));
}

int
digest_response(const struct digest_params *p, const char *ha1,
    char out[DIGEST_HEXLEN_MAX])
{
	char	 sess[DIGEST_HEXLEN_MAX], ha2[DIGEST_HEXLEN_MAX];
	int	 rv;

	if (ha1 == NULL || p->nonce == NULL || p->method == NULL ||
	    p->uri == NULL || strlen(ha1) != digest_hexlen(p->alg))
		return (-1);
	if (p->qop != NULL && strcmp(p->qop, "auth") != 0)
		return (-1);	/* auth-int is never offered */
	if (p->qop != NULL && (p->nc == NULL || p->cnonce == NULL))
		return (-1);

	if (p->alg == DIGEST_MD5_SESS || p->alg == DIGEST_SHA256_SESS) {
		if (p->cnonce == NULL)
			return (-1);
		if (hash_joined(p->alg, sess, ha1, p->nonce, p->cnonce,
		    NULL) == -1)
			return (-1);
		ha1 = sess;
	}
	if (hash_joined(p->alg, ha2, p->method, p->uri, NULL) == -1)
		return (-1);
	if (p->qop == NULL)
		rv = hash_joined(p->alg, out, ha1, p->nonce, ha2, NULL);
	else
		rv = hash_joined(p->alg, out, ha1, p->nonce, p->nc, p->cnonce,
		    p->qop, ha2, NULL);
	explicit_bzero(sess, sizeof(sess));
	return (rv);
}

int
digest_equal(const char *a, const char *b)
{
	size_t			 la, lb, i;
	unsigned char		 diff;

	la = strlen(a);
	lb = strlen(b);
	diff = la != lb;
	/* Walk the expected value's length whatever the other holds. */
	for (i = 0; i < la; i++)
		diff |= (unsigned char)a[i] ^ (unsigned char)(i < lb ? b[i] : 0);
	return (diff == 0);
}

int
digest_verify(const struct digest_params *p, const char *password,
    const char *stored_ha1)
{
	char	 ha1[DIGEST_HEXLEN_MAX], want[DIGEST_HEXLEN_MAX];
	char	 got[DIGEST_HEXLEN_MAX];
	size_t	 i, n;
	int	 ok;

	if (p->response == NULL || p->username == NULL || p->realm == NULL)
		return (0);
	n = strlen(p->response);
	if (n != digest_hexlen(p->alg))
		return (0);
	/* Hex is case-insensitive on the wire. */
	for (i = 0; i < n; i++)
		got[i] = tolower((unsigned char)p->response[i]);
	got[n] = '\0';

	if (password != NULL) {
		if (digest_ha1(p->alg, p->username, p->realm, password,
		    ha1) == -1)
			return (0);
	} else if (stored_ha1 != NULL &&
	    strlen(stored_ha1) == digest_hexlen(p->alg)) {
		for (i = 0; stored_ha1[i] != '\0'; i++)
			ha1[i] = tolower((unsigned char)stored_ha1[i]);
		ha1[i] = '\0';
	} else
		return (0);

	ok = digest_response(p, ha1, want) == 0 && digest_equal(want, got);
	explicit_bzero(ha1, sizeof(ha1));
	explicit_bzero(want, sizeof(want));
	return (ok);
}

/*
 * Nonces: hex(timestamp) hex(random) hex(truncated HMAC-SHA-256 of both
 * under a key made at start).  The MAC tells our nonces from forged ones
 * without a table; the table remembers each issued nonce's highest nc.
 */
struct nonce_entry {
	RB_ENTRY(nonce_entry)	 node;
	TAILQ_ENTRY(nonce_entry) age;
	char			 nonce[DIGEST_NONCELEN];
	time_t			 issued;
	uint32_t		 last_nc;
	int			 used;
};

RB_HEAD(nonce_tree, nonce_entry);
TAILQ_HEAD(nonce_ageq, nonce_entry);

struct nonce_store {
	struct nonce_tree	 tree;
	struct nonce_ageq	 ageq;
	unsigned char		 key[32];
	unsigned int		 maxage;
	size_t			 max, count;
};

static int
nonce_cmp(struct nonce_entry *a, struct nonce_entry *b)
{
	return (strcmp(a->nonce, b->nonce));
}

/* libbsd leaves __unused undefined; the tree code wants it. */
#ifndef __unused
#define __unused	__attribute__((__unused__))
#endif
RB_GENERATE_STATIC(nonce_tree, nonce_entry, node, nonce_cmp);

struct nonce_store *
nonce_store_new(unsigned int maxage, size_t max)
{
	struct nonce_store	*ns;

	if ((ns = calloc(1, sizeof(*ns))) == NULL)
		return (NULL);
	RB_INIT(&ns->tree);
	TAILQ_INIT(&ns->ageq);
	arc4random_buf(ns->key, sizeof(ns->key));
	ns->maxage = maxage;
	ns->max = max > 0 ? max : 1;
	return (ns);
}

static void
nonce_remove(struct nonce_store *ns, struct nonce_entry *e)
{
	RB_REMOVE(nonce_tree, &ns->tree, e);
	TAILQ_REMOVE(&ns->ageq, e, age);
	ns->count--;
	free(e);
}

void
nonce_store_free(struct nonce_store *ns)
{
	struct nonce_entry	*e;

	if (ns == NULL)
		return;
	while ((e = TAILQ_FIRST(&ns->ageq)) != NULL)
		nonce_remove(ns, e);
	explicit_bzero(ns->key, sizeof(ns->key));
	free(ns);
}

void
nonce_store_set_maxage(struct nonce_store *ns, unsigned int maxage)
{
	ns->maxage = maxage;
}

size_t
nonce_store_count(struct nonce_store *ns)
{
	return (ns->count);
}

static int
nonce_mac(struct nonce_store *ns, const char *prefix, char out[NONCE_MACHEX + 1])
{
	unsigned char	 mac[32];

	if (mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256),
	    ns->key, sizeof(ns->key), (const unsigned char *)prefix,
	    NONCE_TSHEX + NONCE_RNDHEX, mac) != 0)
		return (-1);
	tohex(mac, NONCE_MACHEX / 2, out);
	return (0);
}

static void
nonce_expire(struct nonce_store *ns, time_t now)
{
	struct nonce_entry	*e;

	while ((e = TAILQ_FIRST(&ns->ageq)) != NULL &&
	    (now - e->issued > (time_t)ns->maxage || ns->count > ns->max))
		nonce_remove(ns, e);
}

int
nonce_make(struct nonce_store *ns, time_t now, char out[DIGEST_NONCELEN])
{
	struct nonce_entry	*e;
	unsigned char		 rnd[NONCE_RNDHEX / 2];
	char			 mac[NONCE_MACHEX + 1];

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return (-1);
	arc4random_buf(rnd, sizeof(rnd));
	snprintf(e->nonce, sizeof(e->nonce), "%016llx",
	    (unsigned long long)now);
	tohex(rnd, sizeof(rnd), e->nonce + NONCE_TSHEX);
	if (nonce_mac(ns, e->nonce, mac) == -1) {
		free(e);
		return (-1);
	}
	memcpy(e->nonce + NONCE_TSHEX + NONCE_RNDHEX, mac, sizeof(mac));
	e->issued = now;
	if (RB_INSERT(nonce_tree, &ns->tree, e) != NULL) {
		free(e);	/* 64 random bits collided: give up this once */
		return (-1);
	}
	TAILQ_INSERT_TAIL(&ns->ageq, e, age);
	ns->count++;
	nonce_expire(ns, now);
	strlcpy(out, e->nonce, DIGEST_NONCELEN);
	return (0);
}

static enum nonce_state
nonce_lookup(struct nonce_store *ns, const char *nonce, uint32_t nc,
    time_t now, struct nonce_entry **ep)
{
	struct nonce_entry	 key, *e;
	char			 mac[NONCE_MACHEX + 1];
	unsigned long long	 ts;
	size_t			 i;

	*ep = NULL;
	if (nonce == NULL || strlen(nonce) != NONCE_HEX)
		return (NONCE_INVALID);
	for (i = 0; i < NONCE_HEX; i++)
		if (!isxdigit((unsigned char)nonce[i]) ||
		    isupper((unsigned char)nonce[i]))
			return (NONCE_INVALID);
	if (nonce_mac(ns, nonce, mac) == -1 ||
	    !digest_equal(mac, nonce + NONCE_TSHEX + NONCE_RNDHEX))
		return (NONCE_INVALID);
	if (sscanf(nonce, "%16llx", &ts) != 1)
		return (NONCE_INVALID);
	if ((time_t)ts > now + NONCE_SKEW || now - (time_t)ts >
	    (time_t)ns->maxage)
		return (NONCE_STALE);
	strlcpy(key.nonce, nonce, sizeof(key.nonce));
	/* Ours and young but forgotten (table full): ask again, stale. */
	if ((e = RB_FIND(nonce_tree, &ns->tree, &key)) == NULL)
		return (NONCE_STALE);
	if (nc == 0 ? e->used : nc <= e->last_nc)
		return (NONCE_REPLAY);
	*ep = e;
	return (NONCE_OK);
}

enum nonce_state
nonce_check(struct nonce_store *ns, const char *nonce, uint32_t nc, time_t now)
{
	struct nonce_entry	*e;

	return (nonce_lookup(ns, nonce, nc, now, &e));
}

enum nonce_state
nonce_commit(struct nonce_store *ns, const char *nonce, uint32_t nc,
    time_t now)
{
	struct nonce_entry	*e;
	enum nonce_state	 st;

	if ((st = nonce_lookup(ns, nonce, nc, now, &e)) != NONCE_OK)
		return (st);
	e->last_nc = nc;
	e->used = 1;
	return (NONCE_OK);
}

const char *
nonce_state_name(enum nonce_state st)
{
	switch (st) {
	case NONCE_OK:
		return ("ok");
	case NONCE_STALE:
		return ("stale");
	case NONCE_REPLAY:
		return ("replayed");
	case NONCE_INVALID:
		return ("invalid");
	}
	return ("unknown");
}

int
nonce_parse_nc(const char *s, uint32_t *nc)
{
	unsigned long	 v;
	char		*end;
	size_t		 i;

	if (s == NULL || strlen(s) != 8)
		return (-1);
	for (i = 0; i < 8; i++)
		if (!isxdigit((unsigned char)s[i]))
			return (-1);
	v = strtoul(s, &end, 16);
	if (*end != '\0' || v == 0)
		return (-1);
	*nc = (uint32_t)v;
	return (0);
}
