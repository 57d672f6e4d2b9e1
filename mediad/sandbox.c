/*
 * mediad's system calls beyond the common set: RTP and ICE sockets only.
 */
#include <seccomp.h>
#include <stddef.h>

#include "mediad.h"
#include "privdrop.h"

static const int mediad_syscalls[] = {
	SCMP_SYS(accept4),		/* the TURN-over-TLS tunnel */
	SCMP_SYS(bind),
	SCMP_SYS(connect),
	SCMP_SYS(getpeername),
	SCMP_SYS(getsockname),
	SCMP_SYS(getsockopt),
	SCMP_SYS(listen),
	SCMP_SYS(recvmmsg),
	SCMP_SYS(sendmmsg),
	SCMP_SYS(setsockopt),
	SCMP_SYS(socket),
};

void
sandbox_mediad(void)
{
	sandbox_apply("stdio inet recvfd", mediad_syscalls,
	    sizeof(mediad_syscalls) / sizeof(mediad_syscalls[0]));
}
