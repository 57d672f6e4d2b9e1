/*
 * HTTP Digest authentication as SIP uses it (RFC 2617, RFC 7616,
 * RFC 8760): MD5 and SHA-256, qop=auth or none.
 *
 * Two halves.  The computation and verification functions are pure and
 * are what the privileged parent calls with the password (or a stored
 * HA1): sipd never sees the secret.  The nonce store is sipd's: it issues
 * nonces authenticated by a per-process key, ages them out and refuses a
 * nonce-count that does not increase.
 */
#ifndef KB_DIGEST_H
#define KB_DIGEST_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define DIGEST_HEXLEN_MAX	65	/* SHA-256 hex plus NUL */
#define DIGEST_NONCELEN		65	/* our nonces: 64 hex characters plus NUL */

enum digest_alg {
	DIGEST_MD5 = 0,
	DIGEST_MD5_SESS,
	DIGEST_SHA256,
	DIGEST_SHA256_SESS
};

/* What a client sent in its Authorization header, plus the method. */
struct digest_params {
	enum digest_alg	 alg;
	const char	*username;
	const char	*realm;
	const char	*nonce;
	const char	*nc;		/* 8 hex digits; NULL without qop */
	const char	*cnonce;	/* NULL without qop */
	const char	*qop;		/* "auth" or NULL (RFC 2069 compatibility) */
	const char	*method;
	const char	*uri;
	const char	*response;
};

int	 digest_alg_parse(const char *, enum digest_alg *);
const char *digest_alg_name(enum digest_alg);
size_t	 digest_hexlen(enum digest_alg);

/* H(username:realm:password) in lower-case hex. */
int	 digest_ha1(enum digest_alg, const char *, const char *, const char *,
	    char [DIGEST_HEXLEN_MAX]);
/* The expected response for the given HA1 (hex, as digest_ha1 makes it). */
int	 digest_response(const struct digest_params *, const char *,
	    char [DIGEST_HEXLEN_MAX]);
/* Compare two NUL-terminated strings in time independent of their content. */
int	 digest_equal(const char *, const char *);
/*
 * 1 when the response is right, 0 when not or malformed.  Give either the
 * password or the stored HA1 (hex, computed with the same algorithm).
 */
int	 digest_verify(const struct digest_params *, const char *, const char *);

/* Nonce store: sipd's side. */
enum nonce_state {
	NONCE_OK = 0,		/* known, fresh, nc increases */
	NONCE_STALE,		/* ours but too old: re-challenge with stale=true */
	NONCE_REPLAY,		/* nc did not increase */
	NONCE_INVALID		/* not made by us */
};

struct nonce_store;

struct nonce_store *nonce_store_new(unsigned int, size_t);
void	 nonce_store_free(struct nonce_store *);
void	 nonce_store_set_maxage(struct nonce_store *, unsigned int);
int	 nonce_make(struct nonce_store *, time_t, char [DIGEST_NONCELEN]);
/* Check only; nc is the client's nc value (0 when it sent none). */
enum nonce_state nonce_check(struct nonce_store *, const char *, uint32_t,
	    time_t);
/* After a successful verification: remember nc (checks again). */
enum nonce_state nonce_commit(struct nonce_store *, const char *, uint32_t,
	    time_t);
size_t	 nonce_store_count(struct nonce_store *);
const char *nonce_state_name(enum nonce_state);
int	 nonce_parse_nc(const char *, uint32_t *);

#endif /* KB_DIGEST_H */
