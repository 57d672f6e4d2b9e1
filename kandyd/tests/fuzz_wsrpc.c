/*
 * libFuzzer target: messages on the wsrpc WebSocket (wsrpc_parse).  What
 * parses is bounded and clean: ids usable in paths, SDP of the length
 * said, and an event always names its call.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kandyd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wsrpc_msg	 w;
	const char		*err;

	if (wsrpc_parse((const char *)data, size, &w, &err) == -1) {
		if (w.n.sdp != NULL)
			abort();
		return (0);
	}
	if (w.kind == WR_RESPONSE && (w.id < 0 || w.id > INT32_MAX ||
	    (w.callid[0] != '\0' && !kandy_id_valid(w.callid))))
		abort();
	if (w.kind == WR_EVENT && !kandy_id_valid(w.n.session_id))
		abort();
	if (w.n.sdp != NULL && (strlen(w.n.sdp) != w.n.sdplen ||
	    w.n.sdplen > SDP_MAXLEN))
		abort();
	kandy_notify_free(&w.n);
	return (0);
}
