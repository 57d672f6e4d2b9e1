/*
 * RTP steering by reuseport group; see steer.h.
 *
 * The owner's socket (libnice's) is put in a reuseport group after the
 * fact: Linux checks SO_REUSEPORT on the sockets already bound when a new
 * one binds, and makes the group then.  The owner is the group's first
 * member, ours the second, and the selector returns the member's index:
 * 1 for a first byte in 128-191, 0 for anything else.  An index that
 * names no member (ours closed) makes the kernel fall back to its hash,
 * which then has only the owner to choose.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "steer.h"

#if defined(__linux__)
#include <linux/filter.h>

#ifndef SO_ATTACH_REUSEPORT_CBPF
#define SO_ATTACH_REUSEPORT_CBPF	51
#endif

static struct sock_filter steer_insns[] = {
	/* A = the first byte of the UDP payload */
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),
	BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 128, 0, 2),
	BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 191, 1, 0),
	BPF_STMT(BPF_RET | BPF_K, 1),	/* RTP or RTCP: ours */
	BPF_STMT(BPF_RET | BPF_K, 0),	/* the owner's */
};

static int	 steer_broken;	/* the kernel said no once: stop asking */

int
steer_open(int owner)
{
	struct sock_fprog	 prog;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof(ss);
	int			 fd, on = 1, v6only = 0;
	socklen_t		 olen = sizeof(v6only);

	if (steer_broken)
		return (-1);
	if (getsockname(owner, (struct sockaddr *)&ss, &sslen) == -1 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
		return (-1);
	if (ss.ss_family == AF_INET6 && getsockopt(owner, IPPROTO_IPV6,
	    IPV6_V6ONLY, &v6only, &olen) == -1)
		return (-1);
	if ((fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		log_warn("steer: socket");
		return (-1);
	}
	if (setsockopt(owner, SOL_SOCKET, SO_REUSEPORT, &on,
	    sizeof(on)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) == -1 ||
	    (ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &v6only, sizeof(v6only)) == -1))
		goto broken;
	if (bind(fd, (struct sockaddr *)&ss, sslen) == -1) {
		/*
		 * Another member already (a steered socket not yet closed),
		 * or a socket of another user on the port: peek instead.
		 */
		log_debug("steer: bind: %s", strerror(errno));
		close(fd);
		return (-1);
	}
	prog.len = sizeof(steer_insns) / sizeof(steer_insns[0]);
	prog.filter = steer_insns;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog,
	    sizeof(prog)) == -1)
		goto broken;
	return (fd);
 broken:
	log_warn("steer: reuseport selector refused; media legs peek "
	    "at each datagram instead");
	steer_broken = 1;
	close(fd);
	return (-1);
}

#else

int
steer_open(int owner)
{
	(void)owner;
	return (-1);
}

#endif
