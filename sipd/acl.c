/*
 * Source address allow-list: the PBX's networks.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "sipd.h"

int
acl_parse(const char *s, struct sipd_net *net)
{
	char		 buf[INET6_ADDRSTRLEN + 8], *slash;
	const char	*errstr;
	int		 max;

	memset(net, 0, sizeof(*net));
	if (strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		return (-1);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, net->addr) == 1) {
		net->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, net->addr) == 1) {
		net->family = AF_INET6;
		max = 128;
	} else
		return (-1);
	net->prefixlen = max;
	if (slash != NULL) {
		net->prefixlen = strtonum(slash, 0, max, &errstr);
		if (errstr != NULL)
			return (-1);
	}
	return (0);
}

static int
prefix_match(const uint8_t *a, const uint8_t *b, int bits)
{
	int	 bytes = bits / 8, rest = bits % 8;
	uint8_t	 mask;

	if (memcmp(a, b, bytes) != 0)
		return (0);
	if (rest == 0)
		return (1);
	mask = 0xff << (8 - rest);
	return ((a[bytes] & mask) == (b[bytes] & mask));
}

int
acl_allowed(const struct sipd_net *nets, int nnets, const struct sockaddr *sa)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;
	const uint8_t			*addr;
	int				 family, i;

	if (nnets == 0)
		return (1);
	if (sa->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)sa;
		addr = (const uint8_t *)&sin->sin_addr;
		family = AF_INET;
	} else if (sa->sa_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)sa;
		addr = sin6->sin6_addr.s6_addr;
		family = AF_INET6;
		/* A v4 peer on a dual-stack socket is judged as v4. */
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			addr += 12;
			family = AF_INET;
		}
	} else
		return (0);
	for (i = 0; i < nnets; i++)
		if (nets[i].family == family &&
		    prefix_match(nets[i].addr, addr, nets[i].prefixlen))
			return (1);
	return (0);
}
