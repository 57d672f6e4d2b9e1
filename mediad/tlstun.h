/*
 * TURN over TLS for libnice.  libnice's NICE_RELAY_TYPE_TURN_TLS only
 * wraps TLS for the Google and OC2007 dialects; with RFC 5245 it speaks
 * plain TCP, which a TLS-only TURN server on port 443 refuses.  A tunnel
 * listens on 127.0.0.1, and for every connection libnice makes to it (as
 * to a TURN/TCP server) opens a TLS connection to the real server and
 * copies bytes both ways.  Runs on the owner's GLib main context.
 */
#ifndef KB_TLSTUN_H
#define KB_TLSTUN_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

struct tls_tunnel;

/* tlstun.c */
int		 tls_tunnel_load_ca(const char *, size_t);
struct tls_tunnel *tls_tunnel_new(GMainContext *,
		    const struct sockaddr_storage *, const char *);
const struct sockaddr_storage *tls_tunnel_local(const struct tls_tunnel *);
void		 tls_tunnel_free(struct tls_tunnel *);
uint64_t	 tls_tunnel_sessions(void);

#endif /* KB_TLSTUN_H */
