/*
 * The TLS identity of sipd's SIP over TLS listeners, from memory.
 * sofia-sip's TLS transport loads its certificate and key by file name
 * only, as it binds the listener; sipd binds after the chroot and the
 * seccomp filter, with no files to read (the parent sent the PEM text in
 * CFG_SIP_LISTEN).  So sipd defines the few OpenSSL file loaders sofia
 * calls: the dynamic linker binds sofia's calls to these, which ignore
 * the name and load the PEM held here.  Nothing else in sipd uses
 * OpenSSL.  See docs/decisions.md.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "log.h"
#include "sipd.h"

static char	*cert_pem;	/* certificate, then its chain */
static char	*key_pem;

static void
forget(char **p)
{
	if (*p == NULL)
		return;
	explicit_bzero(*p, strlen(*p));
	free(*p);
	*p = NULL;
}

/*
 * OpenSSL reads its configuration file and seeds its generator on first
 * use: before the chroot, with the SIP agent.
 */
void
sipd_tls_init(void)
{
	unsigned char	 b[1];

	if (OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG, NULL) != 1 ||
	    RAND_bytes(b, sizeof(b)) != 1)
		log_warnx("sipd: OpenSSL did not start; no SIP over TLS");
}

/* The identity the next TLS listener gets; NULL forgets it. */
int
sipd_tls_identity(const char *cert, const char *key)
{
	forget(&cert_pem);
	forget(&key_pem);
	if (cert == NULL || key == NULL)
		return (0);
	if ((cert_pem = strdup(cert)) == NULL ||
	    (key_pem = strdup(key)) == NULL) {
		forget(&cert_pem);
		return (-1);
	}
	return (0);
}

int
SSL_CTX_use_certificate_file(SSL_CTX *ctx, const char *file, int type)
{
	BIO	*b;
	X509	*x;
	int	 ok = 0;

	if (cert_pem == NULL ||
	    (b = BIO_new_mem_buf(cert_pem, -1)) == NULL)
		return (0);
	if ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		ok = SSL_CTX_use_certificate(ctx, x);
		X509_free(x);
	}
	/* Intermediate certificates, in the order given. */
	while (ok && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		if (!SSL_CTX_add_extra_chain_cert(ctx, x)) {
			X509_free(x);
			ok = 0;
		}
	ERR_clear_error();	/* the end of the PEM text */
	BIO_free(b);
	if (!ok)
		log_warnx("sipd: the TLS certificate is not usable");
	return (ok);
}

int
SSL_CTX_use_PrivateKey_file(SSL_CTX *ctx, const char *file, int type)
{
	BIO		*b;
	EVP_PKEY	*k;
	int		 ok = 0;

	if (key_pem == NULL || (b = BIO_new_mem_buf(key_pem, -1)) == NULL)
		return (0);
	if ((k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) != NULL) {
		ok = SSL_CTX_use_PrivateKey(ctx, k);
		EVP_PKEY_free(k);
	}
	BIO_free(b);
	if (!ok)
		log_warnx("sipd: the TLS key is not usable");
	return (ok);
}

/*
 * No trust anchors: the PBX is not asked for a client certificate (it is
 * authenticated by digest), and sipd never connects out over TLS except
 * on the PBX's own connection.
 */
int
SSL_CTX_load_verify_locations(SSL_CTX *ctx, const char *file,
    const char *path)
{
	return (1);
}

STACK_OF(X509_NAME) *
SSL_load_client_CA_file(const char *file)
{
	return (NULL);
}

/* OpenSSL seeds itself from the kernel (getrandom). */
int
RAND_load_file(const char *file, long max)
{
	return (0);
}
