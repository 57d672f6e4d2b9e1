/*
 * SHA-1 compression on the x86 SHA extensions (SHA-NI), for
 * sha1_state.c, which picks it at run time when the CPU has them.
 */
#ifndef KB_SHA1_X86_H
#define KB_SHA1_X86_H

#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__) || defined(__i386__)
#define SHA1_X86	1

/* sha1_x86.c */
int	 sha1_x86_usable(void);
void	 sha1_x86_compress(uint32_t [5], const uint8_t *, size_t);
#else
#define SHA1_X86	0
#endif

#endif /* KB_SHA1_X86_H */
