/*
 * Digest checks for sipd.  The trunk password (or its stored HA1) never
 * leaves the parent: sipd sends what the PBX put in its Authorization
 * header and gets back right or wrong.  Nonce freshness and replay are
 * sipd's to judge; this only checks the response.
 */
#include <string.h>

#include "bridged.h"
#include "config.h"
#include "digest.h"
#include "log.h"

static const char *
nonempty(const char *s)
{
	return (*s != '\0' ? s : NULL);
}

void
auth_check(struct child *c, struct ipc_msg *m)
{
	const struct sip_conf	*s = &env->conf->sip;
	struct digest_params	 p;
	const char		*ha1 = NULL, *password = NULL;
	uint32_t		 id;
	uint8_t			 alg;
	int			 ok = 0;

	memset(&p, 0, sizeof(p));
	ipc_unpack(m, &id, &alg, &p.username, &p.realm, &p.nonce, &p.nc,
	    &p.cnonce, &p.qop, &p.method, &p.uri, &p.response);
	p.nc = nonempty(p.nc);
	p.cnonce = nonempty(p.cnonce);
	p.qop = nonempty(p.qop);
	switch (alg) {
	case DIGEST_MD5:
	case DIGEST_MD5_SESS:
		ha1 = s->trunk_ha1;
		break;
	case DIGEST_SHA256:
	case DIGEST_SHA256_SESS:
		ha1 = s->trunk_ha1_sha256;
		break;
	default:
		log_warnx("auth: sipd asked about unknown algorithm %u", alg);
		goto done;
	}
	p.alg = alg;
	if (ha1 == NULL)
		password = s->trunk_password;
	if (s->trunk_user == NULL ||
	    strcmp(p.username, s->trunk_user) != 0 ||
	    strcmp(p.realm, s->realm) != 0 ||
	    (ha1 == NULL && password == NULL))
		goto done;
	ok = digest_verify(&p, password, ha1);
 done:
	log_debug("auth: %s digest for user \"%s\" is %s",
	    digest_alg_name(alg), p.username, ok ? "right" : "wrong");
	ipc_ev_send(&c->iev, IMSG_AUTH_RESULT, 0, -1, id, ok);
}

/*
 * The PBX challenged one of sipd's INVITEs: the response from the trunk
 * credentials, so that sipd can send the INVITE again without ever
 * holding the password.  A stored HA1 serves only when the PBX's realm is
 * the one it was made for.
 */
void
auth_answer(struct child *c, struct ipc_msg *m)
{
	const struct sip_conf	*s = &env->conf->sip;
	struct digest_params	 p;
	char			 ha1[DIGEST_HEXLEN_MAX];
	char			 resp[DIGEST_HEXLEN_MAX];
	const char		*stored;
	uint8_t			 alg;
	int			 ok = 0;

	memset(&p, 0, sizeof(p));
	resp[0] = '\0';
	if (ipc_unpack(m, &alg, &p.realm, &p.nonce, &p.nc, &p.cnonce, &p.qop,
	    &p.method, &p.uri) == -1)
		fatalx("AUTH_ANSWER: bad payload");
	p.nc = nonempty(p.nc);
	p.cnonce = nonempty(p.cnonce);
	p.qop = nonempty(p.qop);
	if (alg > DIGEST_SHA256_SESS || s->trunk_user == NULL)
		goto done;
	p.alg = alg;
	p.username = s->trunk_user;
	stored = alg == DIGEST_MD5 || alg == DIGEST_MD5_SESS ? s->trunk_ha1 :
	    s->trunk_ha1_sha256;
	if (s->trunk_password != NULL) {
		if (digest_ha1(alg, s->trunk_user, p.realm, s->trunk_password,
		    ha1) == -1)
			goto done;
	} else if (stored != NULL && strcmp(p.realm, s->realm) == 0)
		strlcpy(ha1, stored, sizeof(ha1));
	else
		goto done;
	ok = digest_response(&p, ha1, resp) == 0;
	explicit_bzero(ha1, sizeof(ha1));
 done:
	log_debug("auth: %s answer to the PBX's challenge (realm \"%s\"): %s",
	    digest_alg_name(alg), p.realm != NULL ? p.realm : "",
	    ok ? "made" : "none");
	ipc_ev_send(&c->iev, IMSG_AUTH_ANSWERED, m->hdr.call, -1,
	    ok && s->trunk_user != NULL ? s->trunk_user : "", ok ? resp : "");
}
