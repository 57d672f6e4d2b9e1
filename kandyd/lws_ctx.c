/*
 * The libwebsockets context kandyd runs on: client only, TLS trust
 * anchors from memory (the parent sends the CA file's contents; kandyd
 * reads no files once sandboxed), lws' own event loop.
 */
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "kandyd.h"
#include "log.h"

#define KD_MAXPROTOCOLS	8

static struct lws_protocols	 kd_protocols[KD_MAXPROTOCOLS];
static const char		*kd_ca;
static size_t			 kd_calen;

/*
 * libwebsockets 4.1 takes only the first certificate of the PEM it is
 * given in memory; the rest of a bundle is added here, when lws asks for
 * extra client verification certificates (user is the SSL_CTX).
 */
int
kd_lws_load_ca(void *sslctx)
{
	X509_STORE	*store;
	X509		*x;
	BIO		*bio;
	int		 n = 0;

	if (kd_ca == NULL || sslctx == NULL)
		return (0);
	if ((store = SSL_CTX_get_cert_store(sslctx)) == NULL ||
	    (bio = BIO_new_mem_buf(kd_ca, kd_calen)) == NULL)
		return (-1);
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		/* The first one is already there: a duplicate is no error. */
		X509_STORE_add_cert(store, x);
		X509_free(x);
		n++;
	}
	ERR_clear_error();
	BIO_free(bio);
	log_debug("%d trust anchors loaded", n);
	return (n > 0 ? 0 : -1);
}

static void
kd_lws_emit(int level, const char *line)
{
	char	 buf[512];
	size_t	 len;

	strlcpy(buf, line, sizeof(buf));
	len = strlen(buf);
	while (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (level & LLL_ERR)
		log_warnx("lws: %s", buf);
	else
		log_debug("lws: %s", buf);
}

/*
 * lws' own messages go to our log, errors and warnings only: its chattier
 * levels print URLs, and our channel URL carries the access token.
 */
void
kd_lws_log_init(void)
{
	lws_set_log_level(getenv("KD_LWS_DEBUG") ? 0xff : (LLL_ERR | LLL_WARN), kd_lws_emit);
}

/*
 * extra: protocols the caller adds (the IPC descriptor, a test server),
 * next to ours.  ca: PEM trust anchors, required.
 */
struct lws_context *
kd_lws_create(const char *ca, size_t calen, const struct lws_protocols *extra,
    int nextra)
{
	struct lws_context_creation_info	 info;
	struct lws_context			*ctx;
	int					 n = 0, i;

	if (ca == NULL || calen == 0 || nextra < 0 ||
	    nextra > KD_MAXPROTOCOLS - 3)
		return (NULL);
	memset(kd_protocols, 0, sizeof(kd_protocols));
	kd_protocols[n++] = http_protocol;
	kd_protocols[n++] = ws_protocol;
	for (i = 0; i < nextra; i++)
		kd_protocols[n++] = extra[i];

	/* Kept for kd_lws_load_ca(), called while the context is made. */
	kd_ca = ca;
	kd_calen = calen;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = kd_protocols;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.client_ssl_ca_mem = ca;
	info.client_ssl_ca_mem_len = calen;
	info.gid = -1;
	info.uid = -1;
	if ((ctx = lws_create_context(&info)) == NULL)
		log_warnx("cannot create the libwebsockets context");
	kd_ca = NULL;
	kd_calen = 0;
	return (ctx);
}
