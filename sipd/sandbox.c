/*
 * sipd's system calls beyond the common set: its SIP sockets.
 */
#include <seccomp.h>
#include <stddef.h>

#include "privdrop.h"
#include "sipd.h"

static const int sipd_syscalls[] = {
	SCMP_SYS(accept),		/* sofia-sip uses accept(2) */
	SCMP_SYS(accept4),
	SCMP_SYS(bind),
	SCMP_SYS(connect),
	SCMP_SYS(getpeername),
	SCMP_SYS(getsockname),
	SCMP_SYS(getsockopt),
	SCMP_SYS(listen),
	SCMP_SYS(setsockopt),
	SCMP_SYS(shutdown),
	SCMP_SYS(socket),
	/*
	 * sofia answers an unknown SIP version (RFC 4475 badvers) to the Via
	 * host as written, through its resolver and glibc's: host name, DNS
	 * query (none configured in the chroot: 127.0.0.1, refused at once).
	 */
	SCMP_SYS(sendmmsg),
	SCMP_SYS(uname),
	/*
	 * sofia's TLS transport probes for its default certificate files
	 * ($HOME/.sip/auth/...) as the listener is bound; in the empty
	 * chroot they are never there, and the identity comes from memory
	 * (tls_mem.c).  access(2) opens nothing.
	 */
	SCMP_SYS(access),
};

void
sandbox_sipd(void)
{
	sandbox_apply("stdio inet recvfd", sipd_syscalls,
	    sizeof(sipd_syscalls) / sizeof(sipd_syscalls[0]));
}
