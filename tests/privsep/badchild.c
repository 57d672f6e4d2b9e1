/*
 * A child that breaks the IPC framing toward the parent, installed in
 * place of sipd by badchild.sh: the parent must log it once, end that
 * child, restart it, and leave the other children alone.  It behaves
 * until it has acknowledged its configuration, then sends a frame of a
 * type that does not exist.
 */
#include <sys/types.h>

#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "ipc.h"

int
main(void)
{
	struct ipc_conn	 c;
	struct ipc_msg	 m;
	struct pollfd	 pfd;
	uint32_t	 gen;

	ipc_init(&c, 3, PROC_SIPD, PROC_PARENT);
	for (;;) {
		pfd.fd = 3;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 10000) <= 0 || ipc_fill(&c) <= 0)
			return (1);
		while (ipc_next(&c, &m) == 1) {
			if (m.fd != -1)
				close(m.fd);
			if (m.hdr.type != IMSG_CFG_DONE)
				continue;
			ipc_unpack(&m, &gen);
			ipc_send(&c, IMSG_CFG_ACK, 0, -1, gen);
			ipc_compose(&c, IMSG_MAX + 7, 0, -1, "junk", 4);
			while (ipc_pending(&c))
				if (ipc_flush(&c) == -1)
					return (1);
			/* Wait to be killed. */
			pause();
		}
	}
}
