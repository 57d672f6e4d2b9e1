/*
 * libFuzzer target: channel messages, and the response and token
 * parsers that read the same kind of untrusted input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kandyd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kandy_token	 t;
	struct kandy_notify		 n;
	struct kandy_channel		 c;
	struct kandy_turn		 tu;
	struct kandy_error		 e;
	const char			*err, *buf = (const char *)data;
	char				 sid[KANDY_IDLEN];

	if (kandy_notify_parse(buf, size, &n, &err) == 0) {
		/* What parses is bounded and clean. */
		if (n.type != KN_UNKNOWN && n.type != KN_CONNCHECK &&
		    n.type != KN_CONNACK && (!kandy_id_valid(n.session_id) ||
		    n.id[0] == '\0'))
			abort();
		if (n.sdp != NULL && (strlen(n.sdp) != n.sdplen ||
		    n.sdplen > SDP_MAXLEN))
			abort();
		kandy_notify_free(&n);
	}
	kresp_token(buf, size, &t, &err);
	if (kresp_channel(buf, size, &c, &err) == 0 &&
	    !kandy_url_path_valid(c.channel_url))
		abort();
	kresp_turn(buf, size, &tu, &err);
	if (kresp_session(buf, size, sid, sizeof(sid), &err) == 0 &&
	    !kandy_id_valid(sid))
		abort();
	kresp_error(buf, size, &e, &err);

	/* The same bytes as a token. */
	if (size < JWT_MAXLEN + 8) {
		struct jwt_claims	 jc;
		char			*tok;

		if ((tok = malloc(size + 1)) == NULL)
			return (0);
		memcpy(tok, data, size);
		tok[size] = '\0';
		if (jwt_decode(tok, &jc, &err) == 0 &&
		    jc.preferred_username[0] != '\0' &&
		    !jwt_userid_valid(jc.preferred_username))
			abort();
		free(tok);
	}
	return (0);
}
