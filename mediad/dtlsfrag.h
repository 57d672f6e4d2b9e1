/*
 * Reassembly of a fragmented DTLS ClientHello for the server side.
 * mbedtls 2.28 refuses a ClientHello split over several records, and
 * current browsers send exactly that (large key shares, MTU-sized
 * records).  The fragments are collected here and handed to mbedtls as
 * one record holding the whole message, which is what the handshake
 * transcript is computed over anyway.
 */
#ifndef KB_DTLSFRAG_H
#define KB_DTLSFRAG_H

#include <stddef.h>
#include <stdint.h>

#define DTLS_CHELLO_MAX	8192	/* a ClientHello larger than this is refused */

struct dtls_chello {
	uint8_t		*msg;		/* ClientHello body being rebuilt */
	uint8_t		*have;		/* one flag per body byte */
	uint32_t	 len;		/* body length */
	uint8_t		 version[2];
	uint8_t		 seq[6];	/* record number of the last fragment */
	uint8_t		*out;		/* the rebuilt record */
};

#define DTLS_CHELLO_PASS	0	/* not a fragment: give it to DTLS as is */
#define DTLS_CHELLO_DONE	1	/* *out is the whole ClientHello record */
#define DTLS_CHELLO_HELD	2	/* a fragment, kept; nothing to do yet */
#define DTLS_CHELLO_BAD		(-1)	/* malformed fragment: drop */

/* dtlsfrag.c */
int	dtls_chello_feed(struct dtls_chello *, const uint8_t *, size_t,
	    const uint8_t **, size_t *);
void	dtls_chello_clear(struct dtls_chello *);

#endif /* KB_DTLSFRAG_H */
