/*
 * libFuzzer target: arbitrary bytes as an IPC stream between every pair
 * of processes.  Accepted frames are unpacked by their format too.
 */
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "ipc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_conn	 c;
	struct ipc_msg	 m;
	const char	*why;
	int		 self, peer;

	if (size < 1)
		return (0);
	self = data[0] % PROC_MAX;
	peer = (data[0] / PROC_MAX) % PROC_MAX;
	ipc_init(&c, -1, self, peer);
	ipc_feed(&c, data + 1, size - 1);
	while (ipc_next(&c, &m) == 1) {
		/* What passed the gate must pass the format check again. */
		if (ipc_validate(m.data, m.hdr.len, ipc_type(m.hdr.type)->fmt,
		    &why) != 0)
			__builtin_trap();
		if (m.fd != -1)
			close(m.fd);
	}
	ipc_clear(&c);
	return (0);
}
