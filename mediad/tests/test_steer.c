/*
 * RTP steering (steer.c) on loopback, IPv4 and IPv6: with a steered
 * socket open, datagrams starting like RTP/RTCP reach it and STUN, DTLS,
 * TURN channel data and empty datagrams reach the owner's socket; both
 * can send from the shared address; once the steered socket is closed
 * the owner gets everything again, and it can be steered anew.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <syslog.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "log.h"
#include "sockaddr.h"
#include "steer.h"

static int	 failures;

static int
udp_bound(int af)
{
	struct sockaddr_storage	 ss;
	int			 fd;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = af;
	if (af == AF_INET)
		((struct sockaddr_in *)&ss)->sin_addr.s_addr =
		    htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
	if ((fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK, 0)) == -1)
		return (-1);
	if (bind(fd, (struct sockaddr *)&ss, ss_len(&ss)) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/* The first byte of the next datagram on fd within 2 s; -1 if none. */
static int
first_byte(int fd, size_t *len)
{
	struct pollfd	 p = { .fd = fd, .events = POLLIN };
	uint8_t		 buf[64];
	ssize_t		 n;

	if (poll(&p, 1, 2000) != 1)
		return (-1);
	if ((n = recv(fd, buf, sizeof(buf), 0)) == -1)
		return (-1);
	*len = n;
	return (n > 0 ? buf[0] : 256);
}

static int
quiet(int fd)
{
	struct pollfd	 p = { .fd = fd, .events = POLLIN };

	return (poll(&p, 1, 50) == 0);
}

static void
send_byte(int from, const struct sockaddr_storage *to, int first,
    size_t len)
{
	uint8_t	 buf[64];

	memset(buf, 0x55, sizeof(buf));
	buf[0] = first;
	if (sendto(from, buf, len, 0, (const struct sockaddr *)to,
	    ss_len(to)) != (ssize_t)len)
		fprintf(stderr, "sendto: %s\n", strerror(errno));
}

/* Each first byte to the owner's address lands on the expected socket. */
static void
check_split(int owner, int steered, int peer,
    const struct sockaddr_storage *addr)
{
	static const struct {
		int	 first;
		int	 ours;
	} cases[] = {
		{ 0x00, 0 }, { 0x01, 0 },	/* STUN */
		{ 20, 0 }, { 22, 0 }, { 63, 0 },	/* DTLS */
		{ 64, 0 }, { 79, 0 },		/* TURN channel */
		{ 127, 0 },
		{ 128, 1 }, { 0x80, 1 }, { 0x90, 1 }, { 191, 1 },
		{ 192, 0 }, { 255, 0 },
	};
	size_t	 i, len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		send_byte(peer, addr, cases[i].first, 40);
		if (cases[i].ours && steered != -1) {
			CHECK(first_byte(steered, &len) == cases[i].first);
			CHECK(quiet(owner));
		} else {
			CHECK(first_byte(owner, &len) == cases[i].first);
			if (steered != -1)
				CHECK(quiet(steered));
		}
	}
	/* An empty datagram has no first byte: the owner's. */
	send_byte(peer, addr, 0, 0);
	CHECK(first_byte(owner, &len) == 256 && len == 0);
}

static void
run(int af)
{
	struct sockaddr_storage	 addr, from;
	socklen_t		 alen = sizeof(addr), flen = sizeof(from);
	int			 owner, peer, steered;
	uint8_t			 b[4];

	if ((owner = udp_bound(af)) == -1 || (peer = udp_bound(af)) == -1) {
		printf("# %s loopback unavailable, skipped\n",
		    af == AF_INET ? "IPv4" : "IPv6");
		return;
	}
	CHECK(getsockname(owner, (struct sockaddr *)&addr, &alen) == 0);
	steered = steer_open(owner);
	CHECK(steered != -1);
	check_split(owner, steered, peer, &addr);

	/* Both send from the one address. */
	CHECK(send(steered, "rtp", 3, MSG_DONTWAIT) == -1);	/* unconnected */
	alen = sizeof(from);
	CHECK(getsockname(peer, (struct sockaddr *)&from, &alen) == 0);
	CHECK(sendto(steered, "\x80xx", 3, 0, (struct sockaddr *)&from,
	    alen) == 3);
	flen = sizeof(from);
	CHECK(recvfrom(peer, b, sizeof(b), 0, (struct sockaddr *)&from,
	    &flen) == 3);
	CHECK(ss_same(&from, &addr));

	/* Closed: the owner has everything again. */
	close(steered);
	check_split(owner, -1, peer, &addr);

	/* And a new one steers as the first did. */
	steered = steer_open(owner);
	CHECK(steered != -1);
	check_split(owner, steered, peer, &addr);
	close(steered);
	close(owner);
	close(peer);
}

int
main(void)
{
	log_init(1, 1, LOG_DAEMON);
#if defined(__linux__)
	run(AF_INET);
	run(AF_INET6);
#else
	printf("# no steering on this system: steer_open() must fail\n");
	{
		int	 fd = udp_bound(AF_INET);

		CHECK(fd != -1 && steer_open(fd) == -1);
	}
#endif
	if (failures) {
		printf("%d checks failed\n", failures);
		return (1);
	}
	printf("steer: ok\n");
	return (0);
}
