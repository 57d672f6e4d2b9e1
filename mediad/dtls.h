/*
 * DTLS 1.2 for DTLS-SRTP (RFC 5763, RFC 5764) on mbedtls 2.28.
 *
 * One ECDSA P-256 key and self-signed certificate per process, made by
 * dtls_init().  A dtls_session runs over an abstract datagram transport:
 * the owner feeds received datagrams in, gets datagrams to send through
 * a callback, and arms a one-shot timer when asked (retransmission).
 * The peer's certificate is accepted only if its SHA-256 fingerprint is
 * the one from the remote description.
 */
#ifndef KB_DTLS_H
#define KB_DTLS_H

#include <stddef.h>
#include <stdint.h>

#include "media.h"
#include "srtp.h"

enum dtls_role {
	DTLS_ROLE_CLIENT = 0,	/* setup:active */
	DTLS_ROLE_SERVER	/* setup:passive */
};

enum dtls_state {
	DTLS_STATE_NEW = 0,
	DTLS_STATE_HANDSHAKE,
	DTLS_STATE_CONNECTED,	/* SRTP keys delivered */
	DTLS_STATE_FAILED,
	DTLS_STATE_CLOSED	/* peer sent close_notify */
};

struct dtls_callbacks {
	/* Send one datagram; return -1 if it could not be sent. */
	int	(*send)(void *, const uint8_t *, size_t);
	/* Arm the one-shot retransmission timer, ms 0 disarms it. */
	void	(*timer)(void *, unsigned int);
	/* State changes; keys is non-NULL only with DTLS_STATE_CONNECTED. */
	void	(*state)(void *, enum dtls_state, const struct srtp_keymat *);
	void	*arg;
};

struct dtls_session;

/* dtls.c */
int		 dtls_init(void);
const char	*dtls_local_fingerprint(void);
int		 dtls_fingerprint(const uint8_t *, size_t, char *, size_t);
int		 dtls_role_resolve(int, enum dtls_setup, enum dtls_setup *,
		    enum dtls_role *);
const char	*dtls_state_name(enum dtls_state);
struct dtls_session *dtls_session_new(enum dtls_role, const char *,
		    const struct dtls_callbacks *);
int		 dtls_session_start(struct dtls_session *);
void		 dtls_session_input(struct dtls_session *, const uint8_t *,
		    size_t);
void		 dtls_session_timer(struct dtls_session *);
enum dtls_state	 dtls_session_state(const struct dtls_session *);
void		 dtls_session_retire(struct dtls_session *);
unsigned long	 dtls_retired_count(void);
void		 dtls_session_close(struct dtls_session *);
void		 dtls_session_free(struct dtls_session *);

#endif /* KB_DTLS_H */
