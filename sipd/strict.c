/*
 * Checks sofia's parser is liberal about but RFC 4475 wants refused:
 * a request that fails them gets 400 before anything else looks at it.
 */
#include <string.h>

#include <sofia-sip/sip.h>
#include <sofia-sip/msg_types.h>

#include "engine.h"

/* Method SP Request-URI SP SIP-Version CRLF, single spaces only. */
static int
request_line_ok(const msg_common_t *h)
{
	const char	*s = h->h_data;
	size_t		 len = h->h_len, i;
	int		 spaces = 0;

	if (s == NULL)
		return (1);	/* made by us, not parsed */
	while (len > 0 && (s[len - 1] == '\r' || s[len - 1] == '\n'))
		len--;
	if (len == 0 || s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ')
		return (0);
	for (i = 0; i < len; i++) {
		if (s[i] == '\t')
			return (0);
		if (s[i] != ' ')
			continue;
		if (s[i + 1] == ' ')
			return (0);
		spaces++;
	}
	return (spaces == 2);
}

/* No whitespace just inside <...> outside quoted strings. */
static int
angle_spacing_ok(const msg_common_t *h)
{
	const char	*s;
	size_t		 i, len;
	int		 quoted = 0;

	if (h == NULL || (s = h->h_data) == NULL)
		return (1);
	len = h->h_len;
	for (i = 0; i < len; i++) {
		if (quoted) {
			if (s[i] == '\\' && i + 1 < len)
				i++;
			else if (s[i] == '"')
				quoted = 0;
			continue;
		}
		if (s[i] == '"')
			quoted = 1;
		else if (s[i] == '<' && i + 1 < len &&
		    (s[i + 1] == ' ' || s[i + 1] == '\t'))
			return (0);
		else if (s[i] == '>' && i > 0 &&
		    (s[i - 1] == ' ' || s[i - 1] == '\t'))
			return (0);
	}
	return (1);
}

int
sipd_request_strict(const sip_t *sip, const char **why)
{
	if (sip->sip_error != NULL) {
		*why = "Bad Header";
		return (0);
	}
	if (!request_line_ok(sip->sip_request->rq_common)) {
		*why = "Bad Request Line";
		return (0);
	}
	if (sip->sip_request->rq_url->url_headers != NULL) {
		*why = "Headers in Request-URI";
		return (0);
	}
	if ((sip->sip_to && !angle_spacing_ok(sip->sip_to->a_common)) ||
	    (sip->sip_from && !angle_spacing_ok(sip->sip_from->a_common)) ||
	    (sip->sip_contact &&
	    !angle_spacing_ok(sip->sip_contact->m_common))) {
		*why = "Bad Address";
		return (0);
	}
	return (1);
}
