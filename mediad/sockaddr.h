/*
 * The little the media legs need of a struct sockaddr_storage holding an
 * IPv4 or IPv6 address: its length, its port, and comparisons.
 */
#ifndef KB_SOCKADDR_H
#define KB_SOCKADDR_H

#include <sys/socket.h>

#include <stdint.h>

/* sockaddr.c */
socklen_t	 ss_len(const struct sockaddr_storage *);
uint16_t	 ss_port(const struct sockaddr_storage *);
void		 ss_set_port(struct sockaddr_storage *, uint16_t);
int		 ss_same_host(const struct sockaddr_storage *,
		    const struct sockaddr_storage *);
int		 ss_same(const struct sockaddr_storage *,
		    const struct sockaddr_storage *);

#endif /* KB_SOCKADDR_H */
