/*
 * AES-128 and AES-256 encryption on the x86 AES instructions (AES-NI):
 * key expansion, one block, and counter mode the way SRTP's AES-ICM
 * counts (RFC 3711 4.1.1: only the last 16 bits of the block count).
 * srtp_mbedtls.c uses it when the CPU has AES-NI, mbedtls otherwise.
 */
#ifndef KB_AES_X86_H
#define KB_AES_X86_H

#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__) || defined(__i386__)
#define AES_X86	1

struct aes_x86_key {
	_Alignas(16) uint8_t	 rk[15][16];	/* round keys */
	int			 rounds;	/* 10 or 14 */
};

/* aes_x86.c */
int	 aes_x86_use(void);
void	 aes_x86_force_portable(int);
int	 aes_x86_expand(struct aes_x86_key *, const uint8_t *, int);
void	 aes_x86_block(const struct aes_x86_key *, const uint8_t [16],
	    uint8_t [16]);
void	 aes_x86_ctr16(const struct aes_x86_key *, uint8_t [16], uint8_t *,
	    size_t);
#else
#define AES_X86	0
#endif

#endif /* KB_AES_X86_H */
