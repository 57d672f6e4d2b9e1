/*
 * SHA-1 on a bare five-word state, for HMAC that keeps its keyed states
 * as five words and hashes a packet with its own blocks only.  Whole
 * blocks go to the SHA extensions when the CPU has them (sha1_x86.c),
 * to mbedtls otherwise.
 */
#ifndef KB_SHA1_STATE_H
#define KB_SHA1_STATE_H

#include <stddef.h>
#include <stdint.h>

#define SHA1_BLOCK_LEN	64
#define SHA1_DIGEST_LEN	20

struct sha1_state {
	uint32_t	 h[5];
	uint64_t	 len;		/* bytes hashed, buffered ones too */
	uint8_t		 buf[SHA1_BLOCK_LEN];	/* the len % 64 last ones */
};

/* sha1_state.c */
void	 sha1_compress(uint32_t [5], const uint8_t *, size_t);
void	 sha1_hmac_state(const uint8_t [SHA1_BLOCK_LEN], uint8_t,
	    uint32_t [5]);
void	 sha1_state_init(struct sha1_state *);
void	 sha1_state_resume(struct sha1_state *, const uint32_t [5],
	    uint64_t);
void	 sha1_state_update(struct sha1_state *, const uint8_t *, size_t);
void	 sha1_state_finish(struct sha1_state *, uint8_t [SHA1_DIGEST_LEN]);
int	 sha1_accelerated(void);
void	 sha1_force_portable(int);

#endif /* KB_SHA1_STATE_H */
