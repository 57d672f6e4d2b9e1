/*
 * libsrtp2's AES counter mode (AES-ICM 128 and 256) on mbedtls and
 * HMAC-SHA1 on our SHA-1 (sha1_state.h: SHA-NI or mbedtls's blocks),
 * installed in place of the library's own types, which on Debian
 * come from NSS and cost about three times as much per packet.  libsrtp
 * keeps everything else: key derivation, ROC, replay database, SRTCP.
 */
#ifndef KB_SRTP_MBEDTLS_H
#define KB_SRTP_MBEDTLS_H

#include <stddef.h>

#include <srtp2/auth.h>
#include <srtp2/cipher.h>

extern const srtp_cipher_type_t	 srtp_mbedtls_aes_icm_128;
extern const srtp_cipher_type_t	 srtp_mbedtls_aes_icm_256;
extern const srtp_auth_type_t	 srtp_mbedtls_hmac_sha1;

/* srtp_mbedtls.c */
int	 srtp_mbedtls_install(void);
int	 srtp_mbedtls_uninstall(void);
size_t	 srtp_mbedtls_live(void);

#endif /* KB_SRTP_MBEDTLS_H */
