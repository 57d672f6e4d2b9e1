/*
 * An independent SRTP transform written straight from RFC 3711 on
 * mbedtls primitives (AES-128 counter mode, HMAC-SHA1).  Tests check it
 * against the RFC's appendix B vectors and then check libsrtp against it;
 * the benchmark uses it as the mbedtls side of the comparison.
 */
#ifndef KB_SRTP_REF_H
#define KB_SRTP_REF_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/aes.h>
#include <mbedtls/md.h>

struct srtp_ref {
	mbedtls_aes_context	 aes;
	mbedtls_md_context_t	 hmac;
	uint8_t			 salt[14];
	size_t			 taglen;
	uint32_t		 roc;
	uint16_t		 last_seq;
	int			 started;
	uint32_t		 rtcp_index;
	int			 rtcp;		/* keyed for SRTCP */
};

void	srtp_ref_kdf(const uint8_t *, const uint8_t *, uint8_t, uint8_t *,
	    size_t);
void	srtp_ref_keystream(const uint8_t *, const uint8_t *, uint32_t,
	    uint64_t, uint8_t *, size_t);
int	srtp_ref_init(struct srtp_ref *, const uint8_t *, size_t, int);
void	srtp_ref_free(struct srtp_ref *);
size_t	srtp_ref_protect(struct srtp_ref *, uint8_t *, size_t, size_t);
size_t	srtp_ref_protect_rtcp(struct srtp_ref *, uint8_t *, size_t);

#endif /* KB_SRTP_REF_H */
