/*
 * kandyd's system calls beyond the common set: HTTPS and WSS clients.
 */
#include <seccomp.h>
#include <stddef.h>

#include "kandyd.h"
#include "privdrop.h"

static const int kandyd_syscalls[] = {
	SCMP_SYS(connect),
	SCMP_SYS(getpeername),
	SCMP_SYS(getsockname),
	SCMP_SYS(getsockopt),
	SCMP_SYS(setsockopt),
	SCMP_SYS(shutdown),
	SCMP_SYS(socket),
};

void
sandbox_kandyd(void)
{
	sandbox_apply("stdio inet recvfd", kandyd_syscalls,
	    sizeof(kandyd_syscalls) / sizeof(kandyd_syscalls[0]));
}
