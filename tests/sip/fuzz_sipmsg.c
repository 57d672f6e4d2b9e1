/*
 * libFuzzer target for what sipd does with a request before any state:
 * sofia's SIP parser keeping raw header text, sipd's strict checks, the
 * digest credentials and their verification, the dialled number through
 * the number rules, and the SDP body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/su_alloc.h>
#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_parser.h>
#include <sofia-sip/auth_digest.h>

#include "engine.h"
#include "numrules.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct numrule rules[] = {
	{ NUMRULE_OUTBOUND, 0, 10, 10, 1, "05", "971" },
	{ NUMRULE_OUTBOUND, 1, 0, 0, 0, "900", "" },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	su_home_t		 home[1] = { SU_HOME_INIT(home) };
	struct digest_params	 dp;
	struct sdp_remote	 r;
	auth_response_t		 ar;
	const msg_auth_t	*au;
	msg_t			*msg;
	sip_t			*sip;
	const char		*why;
	char			 num[NUMRULE_MAXDIGITS];
	enum digest_alg		 alg;

	msg = msg_make(sip_default_mclass(), MSG_DO_EXTRACT_COPY, data, size);
	if (msg == NULL)
		return (0);
	sip = sip_object(msg);
	if (sip == NULL || sip->sip_request == NULL) {
		msg_destroy(msg);
		return (0);
	}
	(void)sipd_request_strict(sip, &why);
	if (sip->sip_request->rq_url->url_user != NULL)
		(void)numrule_apply(rules, 2, NUMRULE_OUTBOUND,
		    sip->sip_request->rq_url->url_user, num, sizeof(num));
	for (au = sip->sip_authorization; au != NULL; au = au->au_next) {
		/* As the engine: Digest with parameters only (sofia asserts). */
		if (au->au_scheme == NULL ||
		    strcasecmp(au->au_scheme, "Digest") != 0 ||
		    au->au_params == NULL)
			continue;
		memset(&ar, 0, sizeof(ar));
		ar.ar_size = sizeof(ar);
		if (auth_digest_response_get(home, &ar, au->au_params) < 0 ||
		    digest_alg_parse(ar.ar_algorithm, &alg) == -1)
			continue;
		memset(&dp, 0, sizeof(dp));
		dp.alg = alg;
		dp.username = ar.ar_username;
		dp.realm = ar.ar_realm;
		dp.nonce = ar.ar_nonce;
		dp.nc = ar.ar_nc;
		dp.cnonce = ar.ar_cnonce;
		dp.qop = ar.ar_qop;
		dp.method = sip->sip_request->rq_method_name;
		dp.uri = ar.ar_uri;
		dp.response = ar.ar_response;
		(void)digest_verify(&dp, "password", NULL);
	}
	if (sip->sip_payload != NULL)
		(void)sdp_parse_remote(sip->sip_payload->pl_data,
		    sip->sip_payload->pl_len, &r);
	su_home_deinit(home);
	msg_destroy(msg);
	return (0);
}
