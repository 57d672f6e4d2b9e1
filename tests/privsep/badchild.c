/*
 * A sipd that breaks the IPC framing, installed in place of the real one
 * by badchild.sh.  It behaves until it has acknowledged its configuration,
 * then, by BADCHILD_MODE:
 *	parent	sends the parent a frame of a type that does not exist; the
 *		parent must log it once, end this child and restart it;
 *	peer	sends kandyd such a frame on their channel once, and behaves
 *		on the channel the parent hands over afterwards; kandyd must
 *		drop the channel and the parent relink the two.
 */
#include <sys/types.h>

#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"

static void
flush(struct ipc_conn *c)
{
	while (ipc_pending(c))
		if (ipc_flush(c) == -1)
			exit(1);
}

int
main(void)
{
	struct ipc_conn	 c, peer;
	struct ipc_msg	 m;
	struct pollfd	 pfd;
	const char	*mode = getenv("BADCHILD_MODE");
	uint32_t	 gen;
	uint8_t		 who;
	int		 peermode, spoiled = 0;

	peermode = mode != NULL && strcmp(mode, "peer") == 0;
	ipc_init(&c, 3, PROC_SIPD, PROC_PARENT);
	for (;;) {
		pfd.fd = 3;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 30000) <= 0 || ipc_fill(&c) <= 0)
			return (1);
		while (ipc_next(&c, &m) == 1) {
			if (m.hdr.type == IMSG_PEER_FD) {
				ipc_unpack(&m, &who);
				if (!peermode || who != PROC_KANDYD) {
					close(m.fd);
					continue;
				}
				ipc_init(&peer, m.fd, PROC_SIPD, PROC_KANDYD);
				if (!spoiled) {
					ipc_compose(&peer, IMSG_MAX + 7, 0, -1,
					    "junk", 4);
					spoiled = 1;
				} else
					ipc_send(&peer, IMSG_PEER_HELLO, 0, -1,
					    PROC_SIPD);
				flush(&peer);
				/* Keep the descriptor open: do not clear. */
				continue;
			}
			if (m.fd != -1)
				close(m.fd);
			if (m.hdr.type != IMSG_CFG_DONE)
				continue;
			ipc_unpack(&m, &gen);
			ipc_send(&c, IMSG_CFG_ACK, 0, -1, gen);
			if (!peermode)
				ipc_compose(&c, IMSG_MAX + 7, 0, -1, "junk", 4);
			flush(&c);
		}
	}
}
