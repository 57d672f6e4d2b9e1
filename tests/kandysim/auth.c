/*
 * The token endpoint (Keycloak-shaped OAuth2: password, client_credentials
 * and refresh_token grants), HS256 JWTs signed with a per-process key,
 * bearer checks, and TURN REST credentials.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/md.h>

#include "kandysim.h"
#include "log.h"

#define JWT_MAX		4096

static unsigned char	 jwt_key[32];
static uint64_t		 token_seq;

void
auth_init(void)
{
	arc4random_buf(jwt_key, sizeof(jwt_key));
}

static int
hmac(mbedtls_md_type_t type, const void *key, size_t keylen,
    const void *in, size_t len, unsigned char *out)
{
	const mbedtls_md_info_t	*md;

	if ((md = mbedtls_md_info_from_type(type)) == NULL)
		return (-1);
	return (mbedtls_md_hmac(md, key, keylen, in, len, out) == 0 ? 0 : -1);
}

/* Sign claims into a compact JWS; NULL if it does not fit. */
static char *
jwt_make(json_t *claims)
{
	static const char	 hdr[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	unsigned char		 mac[32];
	char			*payload, *tok;
	size_t			 n, plen;

	if ((payload = json_dumps(claims, JSON_COMPACT)) == NULL)
		return (NULL);
	plen = strlen(payload);
	tok = xcalloc(1, JWT_MAX);
	n = b64url_encode((const unsigned char *)hdr, strlen(hdr), tok,
	    JWT_MAX);
	tok[n++] = '.';
	if (n + plen * 4 / 3 + 64 > JWT_MAX) {
		free(payload);
		free(tok);
		return (NULL);
	}
	n += b64url_encode((unsigned char *)payload, plen, tok + n,
	    JWT_MAX - n);
	free(payload);
	if (hmac(MBEDTLS_MD_SHA256, jwt_key, sizeof(jwt_key), tok, n,
	    mac) == -1) {
		free(tok);
		return (NULL);
	}
	tok[n++] = '.';
	b64url_encode(mac, sizeof(mac), tok + n, JWT_MAX - n);
	return (tok);
}

/* Verify signature and expiry; returns the claims or NULL. */
static json_t *
jwt_verify(const char *tok, const char *typ)
{
	unsigned char	 mac[32], sig[64], payload[JWT_MAX];
	const char	*dot1, *dot2;
	json_t		*claims;
	json_int_t	 exp;
	ssize_t		 n;
	size_t		 len;
	int		 diff = 0;
	u_int		 i;

	len = strlen(tok);
	if (len >= JWT_MAX)
		return (NULL);
	if ((dot1 = strchr(tok, '.')) == NULL ||
	    (dot2 = strchr(dot1 + 1, '.')) == NULL)
		return (NULL);
	if (hmac(MBEDTLS_MD_SHA256, jwt_key, sizeof(jwt_key), tok,
	    dot2 - tok, mac) == -1)
		return (NULL);
	n = b64url_decode(dot2 + 1, strlen(dot2 + 1), sig, sizeof(sig));
	if (n != sizeof(mac))
		return (NULL);
	for (i = 0; i < sizeof(mac); i++)
		diff |= mac[i] ^ sig[i];
	if (diff)
		return (NULL);
	n = b64url_decode(dot1 + 1, dot2 - dot1 - 1, payload,
	    sizeof(payload));
	if (n <= 0)
		return (NULL);
	if ((claims = json_loadb((char *)payload, n, 0, NULL)) == NULL)
		return (NULL);
	exp = json_integer_value(json_object_get(claims, "exp"));
	if (!json_is_string(json_object_get(claims, "typ")) ||
	    strcmp(jstr(claims, "typ"), typ) != 0 || exp <= time(NULL)) {
		json_decref(claims);
		return (NULL);
	}
	return (claims);
}

static struct user *
claims_user(json_t *claims)
{
	struct user	*u;
	const char	*name;

	if ((name = jstr(claims, "preferred_username")) == NULL)
		return (NULL);
	if ((u = user_find(name)) == NULL)
		return (NULL);
	if ((uint64_t)json_integer_value(json_object_get(claims, "seq")) <
	    u->min_token_seq)
		return (NULL);
	return (u);
}

struct user *
auth_bearer(const char *tok)
{
	struct user	*u;
	json_t		*claims;

	if (tok == NULL || (claims = jwt_verify(tok, "Bearer")) == NULL)
		return (NULL);
	u = claims_user(claims);
	json_decref(claims);
	return (u);
}

/* The user behind the request's bearer token, or NULL after a 401. */
struct user *
auth_check(const struct simreq *req, struct simresp *resp)
{
	struct user	*u = NULL;

	if (req->auth != NULL && strncasecmp(req->auth, "Bearer ", 7) == 0)
		u = auth_bearer(req->auth + 7);
	if (u == NULL) {
		resp_oauth(resp, 401, "invalid_token",
		    "Token is missing, invalid or expired");
		resp->www_auth = 1;
	}
	return (u);
}

/* Revoke every token issued so far, for one user or for all. */
void
auth_expire(struct user *only)
{
	struct user	*u;

	TAILQ_FOREACH(u, &users, entry)
		if (only == NULL || u == only)
			u->min_token_seq = token_seq + 1;
}

static int
hexval(int c)
{
	if (isdigit(c))
		return (c - '0');
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

/* The decoded value of one x-www-form-urlencoded field, malloc'd. */
char *
form_value(const char *body, size_t len, const char *name)
{
	const char	*p = body, *end = body + len, *amp, *eq;
	size_t		 nlen = strlen(name);
	char		*out, *o;
	int		 h, l;

	while (p < end) {
		if ((amp = memchr(p, '&', end - p)) == NULL)
			amp = end;
		eq = memchr(p, '=', amp - p);
		if (eq != NULL && (size_t)(eq - p) == nlen &&
		    memcmp(p, name, nlen) == 0) {
			o = out = xcalloc(1, amp - eq);
			for (p = eq + 1; p < amp; p++) {
				if (*p == '+')
					*o++ = ' ';
				else if (*p == '%' && amp - p >= 3 &&
				    (h = hexval(p[1])) != -1 &&
				    (l = hexval(p[2])) != -1) {
					*o++ = h << 4 | l;
					p += 2;
				} else
					*o++ = *p;
			}
			*o = '\0';
			if (strlen(out) != (size_t)(o - out)) {
				free(out);	/* embedded NUL */
				return (NULL);
			}
			return (out);
		}
		p = amp + 1;
	}
	return (NULL);
}

static void
token_issue(struct simresp *resp, struct user *u, const char *client_id)
{
	json_t		*c, *r;
	char		*access, *id, *refresh;
	char		 jti[40], sess[40];
	time_t		 now = time(NULL);

	uuid_str(sess, sizeof(sess));
	token_seq++;
	uuid_str(jti, sizeof(jti));
	c = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}",
	    "exp", (json_int_t)(now + simconf.token_lifetime),
	    "iat", (json_int_t)now, "jti", jti, "iss", "kandysim",
	    "sub", u->name, "typ", "Bearer", "azp", client_id,
	    "preferred_username", u->name, "scope", "openid",
	    "seq", (json_int_t)token_seq);
	json_object_set_new(c, "session_state", json_string(sess));
	access = jwt_make(c);
	json_object_set_new(c, "typ", json_string("ID"));
	json_object_set_new(c, "aud", json_string(client_id));
	uuid_str(jti, sizeof(jti));
	json_object_set_new(c, "jti", json_string(jti));
	id = jwt_make(c);
	json_object_set_new(c, "typ", json_string("Refresh"));
	json_object_set_new(c, "exp",
	    json_integer(now + simconf.refresh_lifetime));
	uuid_str(jti, sizeof(jti));
	json_object_set_new(c, "jti", json_string(jti));
	refresh = jwt_make(c);
	json_decref(c);
	if (access == NULL || id == NULL || refresh == NULL) {
		resp_oauth(resp, 400, "invalid_request", "Token too large");
		goto done;
	}
	r = json_pack("{s:s, s:i, s:i, s:s, s:s, s:s, s:i, s:s, s:s}",
	    "access_token", access, "expires_in", simconf.token_lifetime,
	    "refresh_expires_in", simconf.refresh_lifetime,
	    "refresh_token", refresh, "token_type", "bearer",
	    "id_token", id, "not-before-policy", 0,
	    "session_state", sess, "scope", "openid");
	resp_json(resp, 200, r);
 done:
	free(access);
	free(id);
	free(refresh);
}

static int
secret_eq(const char *a, const char *b)
{
	size_t	 la, lb, i;
	int	 diff;

	if (a == NULL || b == NULL)
		return (0);
	la = strlen(a);
	lb = strlen(b);
	diff = la != lb;
	for (i = 0; i < la && i < lb; i++)
		diff |= a[i] ^ b[i];
	return (!diff);
}

void
auth_token(const struct simreq *req, struct simresp *resp)
{
	struct user	*u = NULL;
	json_t		*claims;
	char		*grant, *cid, *user, *pass, *secret, *refresh;

	if (strcmp(req->method, "POST") != 0) {
		resp_oauth(resp, 405, "invalid_request", "Use POST");
		return;
	}
	if (req->ctype == NULL || strncasecmp(req->ctype,
	    "application/x-www-form-urlencoded", 33) != 0) {
		resp_oauth(resp, 400, "invalid_request",
		    "Content-Type must be application/x-www-form-urlencoded");
		return;
	}
	grant = form_value(req->body, req->bodylen, "grant_type");
	cid = form_value(req->body, req->bodylen, "client_id");
	user = form_value(req->body, req->bodylen, "username");
	pass = form_value(req->body, req->bodylen, "password");
	secret = form_value(req->body, req->bodylen, "client_secret");
	refresh = form_value(req->body, req->bodylen, "refresh_token");

	if (grant == NULL)
		resp_oauth(resp, 400, "invalid_request",
		    "Missing form parameter: grant_type");
	else if (cid == NULL || *cid == '\0')
		resp_oauth(resp, 400, "invalid_client",
		    "Missing form parameter: client_id");
	else if (strcmp(grant, "password") == 0) {
		if (user == NULL || pass == NULL)
			resp_oauth(resp, 400, "invalid_request",
			    "Missing username or password");
		else if ((u = user_find(user)) == NULL || u->password ==
		    NULL || !secret_eq(u->password, pass))
			resp_oauth(resp, 401, "invalid_grant",
			    "Invalid user credentials");
		else
			token_issue(resp, u, cid);
	} else if (strcmp(grant, "client_credentials") == 0) {
		if ((u = user_find_client(cid)) == NULL ||
		    !secret_eq(u->client_secret, secret))
			resp_oauth(resp, 401, "invalid_client",
			    "Invalid client credentials");
		else
			token_issue(resp, u, cid);
	} else if (strcmp(grant, "refresh_token") == 0) {
		claims = refresh ? jwt_verify(refresh, "Refresh") : NULL;
		if (claims == NULL || (u = claims_user(claims)) == NULL)
			resp_oauth(resp, 400, "invalid_grant",
			    "Invalid refresh token");
		else
			token_issue(resp, u, cid);
		json_decref(claims);
	} else
		resp_oauth(resp, 400, "unsupported_grant_type",
		    "Unsupported grant_type");
	if (u == NULL && user != NULL)
		log_debug("token request for %s refused", user);
	free(grant);
	free(cid);
	free(user);
	free(pass);
	free(secret);
	free(refresh);
}

/*
 * TURN REST credentials: username "expiry:user", password
 * base64(HMAC-SHA1(secret, username)), as coturn's use-auth-secret expects.
 */
int
turn_credentials(const char *user, char *name, size_t namelen, char *pass,
    size_t passlen, int *ttl)
{
	unsigned char	 mac[20];

	*ttl = simconf.turn_ttl;
	snprintf(name, namelen, "%lld:%s",
	    (long long)time(NULL) + simconf.turn_ttl, user);
	if (hmac(MBEDTLS_MD_SHA1, simconf.turn_secret,
	    strlen(simconf.turn_secret), name, strlen(name), mac) == -1)
		return (-1);
	b64_encode(mac, sizeof(mac), pass, passlen);
	return (0);
}
