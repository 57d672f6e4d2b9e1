/*
 * libFuzzer target: the session list kandyd reads after a reconnect
 * (kresp_session_list).  What it hands out must be bounded and clean.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
entry(const struct session_entry *e, void *arg)
{
	if (!kandy_id_valid(e->sid) || strlen(e->status) >= sizeof(e->status))
		abort();
	if (e->answer_sdp != NULL && (e->answer_len == 0 ||
	    e->answer_len > SDP_MAXLEN ||
	    strlen(e->answer_sdp) != e->answer_len))
		abort();
	(*(int *)arg)++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*err;
	int		 n = 0, rv;

	rv = kresp_session_list((const char *)data, size, entry, &n, &err);
	if (rv != -1 && rv != n)
		abort();
	return (0);
}
