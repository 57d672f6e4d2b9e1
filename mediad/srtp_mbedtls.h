/*
 * libsrtp2's AES-128 counter mode and HMAC-SHA1 on mbedtls; see
 * srtp_mbedtls.c.
 */
#ifndef KB_SRTP_MBEDTLS_H
#define KB_SRTP_MBEDTLS_H

int	srtp_mbedtls_install(void);

#endif /* KB_SRTP_MBEDTLS_H */
