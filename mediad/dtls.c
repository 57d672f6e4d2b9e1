/*
 * DTLS-SRTP sessions on mbedtls 2.28.  See dtls.h for the model.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "dtls.h"
#include "dtlsfrag.h"
#include "log.h"

#define DTLS_MTU		1200	/* fits TURN and IPv6 headers */
#define DTLS_TIMEOUT_MIN	500	/* ms, first retransmission */
#define DTLS_TIMEOUT_MAX	16000	/* ms, gives up after ~30 s */
#define DTLS_EXPORT_LABEL	"EXTRACTOR-dtls_srtp"
#define DTLS_CN			"CN=kandy-bridge"

struct dtls_session {
	mbedtls_ssl_context	 ssl;
	mbedtls_ssl_config	 conf;
	struct dtls_callbacks	 cb;
	enum dtls_role		 role;
	enum dtls_state		 state;
	int			 retired;	/* ssl and conf freed */
	char			 remote_fp[MEDIA_FPLEN];
	int			 fp_ok;
	/* The datagram being fed in, read by the receive BIO. */
	const uint8_t		*in;
	size_t			 inlen;
	/* mbedtls' timer, kept against the monotonic clock. */
	uint64_t		 timer_start;
	uint32_t		 timer_int;
	uint32_t		 timer_fin;
	int			 timer_fired;
	/* What the export callback gave us, wiped after use. */
	uint8_t			 master[48];
	uint8_t			 randoms[64];
	mbedtls_tls_prf_types	 prf;
	int			 have_master;
	/* Server: a ClientHello arriving in fragments. */
	struct dtls_chello	 chello;
};

static struct {
	int			 ready;
	mbedtls_entropy_context	 entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_pk_context	 key;
	mbedtls_x509_crt	 cert;
	char			 fingerprint[MEDIA_FPLEN];
} dtls_global;

static unsigned long	 retired_count;	/* sessions retired, ever */

static const int dtls_suites[] = {
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
	0
};

/*
 * mbedtls prefers the largest curve it has (secp521r1), three times the
 * work of secp256r1 for each side's ECDHE.  WebRTC peers offer x25519,
 * secp256r1 and secp384r1; secp256r1 is mbedtls' fastest of them and
 * also our certificate's curve.  secp521r1 stays last for peers whose
 * certificate uses it.
 */
static const mbedtls_ecp_group_id dtls_curves[] = {
	MBEDTLS_ECP_DP_SECP256R1,
	MBEDTLS_ECP_DP_CURVE25519,
	MBEDTLS_ECP_DP_SECP384R1,
	MBEDTLS_ECP_DP_SECP521R1,
	MBEDTLS_ECP_DP_NONE
};

static const mbedtls_ssl_srtp_profile dtls_srtp_profiles[] = {
	MBEDTLS_TLS_SRTP_AES128_CM_HMAC_SHA1_80,
	MBEDTLS_TLS_SRTP_AES128_CM_HMAC_SHA1_32,
	MBEDTLS_TLS_SRTP_UNSET
};

static void	dtls_fail(struct dtls_session *, const char *, int);

static uint64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void
log_mbedtls(const char *what, int ret)
{
	char	 buf[128];

	mbedtls_strerror(ret, buf, sizeof(buf));
	log_warnx("dtls: %s: %s (-0x%04x)", what, buf, (unsigned int)-ret);
}

/* Format a SHA-256 digest of der as "AB:CD:...". */
int
dtls_fingerprint(const uint8_t *der, size_t len, char *out, size_t outlen)
{
	static const char	 hex[] = "0123456789ABCDEF";
	uint8_t			 md[32];
	size_t			 i;

	if (outlen < sizeof(md) * 3)
		return (-1);
	if (mbedtls_sha256_ret(der, len, md, 0) != 0)
		return (-1);
	for (i = 0; i < sizeof(md); i++) {
		out[i * 3] = hex[md[i] >> 4];
		out[i * 3 + 1] = hex[md[i] & 0xf];
		out[i * 3 + 2] = i + 1 < sizeof(md) ? ':' : '\0';
	}
	return (0);
}

static int
make_certificate(void)
{
	mbedtls_x509write_cert	 w;
	mbedtls_mpi		 serial;
	uint8_t			 der[1024], sbytes[8];
	char			 from[16], until[16];
	time_t			 t;
	struct tm		 tm;
	int			 n, ret = -1;

	mbedtls_x509write_crt_init(&w);
	mbedtls_mpi_init(&serial);
	/* Peers check the fingerprint, not the dates; keep them sane. */
	t = time(NULL) - 86400;
	gmtime_r(&t, &tm);
	strftime(from, sizeof(from), "%Y%m%d%H%M%S", &tm);
	t += 366 * 86400;
	gmtime_r(&t, &tm);
	strftime(until, sizeof(until), "%Y%m%d%H%M%S", &tm);
	if (mbedtls_ctr_drbg_random(&dtls_global.drbg, sbytes,
	    sizeof(sbytes)) != 0)
		goto done;
	sbytes[0] &= 0x7f;
	sbytes[0] |= 0x01;
	if (mbedtls_mpi_read_binary(&serial, sbytes, sizeof(sbytes)) != 0)
		goto done;
	mbedtls_x509write_crt_set_version(&w, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&w, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&w, &dtls_global.key);
	mbedtls_x509write_crt_set_issuer_key(&w, &dtls_global.key);
	if (mbedtls_x509write_crt_set_subject_name(&w, DTLS_CN) != 0 ||
	    mbedtls_x509write_crt_set_issuer_name(&w, DTLS_CN) != 0 ||
	    mbedtls_x509write_crt_set_serial(&w, &serial) != 0 ||
	    mbedtls_x509write_crt_set_validity(&w, from, until) != 0)
		goto done;
	/* The DER is written at the end of the buffer. */
	n = mbedtls_x509write_crt_der(&w, der, sizeof(der),
	    mbedtls_ctr_drbg_random, &dtls_global.drbg);
	if (n <= 0) {
		log_mbedtls("certificate", n);
		goto done;
	}
	if (mbedtls_x509_crt_parse_der(&dtls_global.cert,
	    der + sizeof(der) - n, n) != 0)
		goto done;
	if (dtls_fingerprint(dtls_global.cert.raw.p, dtls_global.cert.raw.len,
	    dtls_global.fingerprint, sizeof(dtls_global.fingerprint)) != 0)
		goto done;
	ret = 0;
 done:
	mbedtls_mpi_free(&serial);
	mbedtls_x509write_crt_free(&w);
	return (ret);
}

/*
 * Seed the random generator and make this process's key and certificate.
 * Call once at start, before the sandbox.  Returns 0, -1 on failure.
 */
int
dtls_init(void)
{
	static const char	 pers[] = "kandy-bridge dtls";
	int			 ret;

	if (dtls_global.ready)
		return (0);
	mbedtls_entropy_init(&dtls_global.entropy);
	mbedtls_ctr_drbg_init(&dtls_global.drbg);
	mbedtls_pk_init(&dtls_global.key);
	mbedtls_x509_crt_init(&dtls_global.cert);
	if ((ret = mbedtls_ctr_drbg_seed(&dtls_global.drbg,
	    mbedtls_entropy_func, &dtls_global.entropy,
	    (const unsigned char *)pers, sizeof(pers) - 1)) != 0) {
		log_mbedtls("seed", ret);
		return (-1);
	}
	if ((ret = mbedtls_pk_setup(&dtls_global.key,
	    mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY))) != 0 ||
	    (ret = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1,
	    mbedtls_pk_ec(dtls_global.key), mbedtls_ctr_drbg_random,
	    &dtls_global.drbg)) != 0) {
		log_mbedtls("key", ret);
		return (-1);
	}
	if (make_certificate() == -1)
		return (-1);
	dtls_global.ready = 1;
	log_debug("dtls: certificate fingerprint sha-256 %s",
	    dtls_global.fingerprint);
	return (0);
}

const char *
dtls_local_fingerprint(void)
{
	return (dtls_global.ready ? dtls_global.fingerprint : NULL);
}

/*
 * Resolve our a=setup and DTLS role (RFC 5763 section 5).  As offerer we
 * sent actpass and remote is the answer's setup; as answerer remote is the
 * offer's setup and we pick active when free to (RFC 5763: SHOULD).
 * Returns -1 if the combination is not valid.
 */
int
dtls_role_resolve(int offerer, enum dtls_setup remote, enum dtls_setup *local,
    enum dtls_role *role)
{
	if (offerer) {
		*local = SETUP_ACTPASS;
		switch (remote) {
		case SETUP_ACTIVE:
			*role = DTLS_ROLE_SERVER;
			return (0);
		case SETUP_PASSIVE:
			*role = DTLS_ROLE_CLIENT;
			return (0);
		default:
			/* An answer must not say actpass. */
			return (-1);
		}
	}
	switch (remote) {
	case SETUP_ACTPASS:
	case SETUP_PASSIVE:
		*local = SETUP_ACTIVE;
		*role = DTLS_ROLE_CLIENT;
		return (0);
	case SETUP_ACTIVE:
		*local = SETUP_PASSIVE;
		*role = DTLS_ROLE_SERVER;
		return (0);
	}
	return (-1);
}

const char *
dtls_state_name(enum dtls_state s)
{
	switch (s) {
	case DTLS_STATE_NEW:
		return ("new");
	case DTLS_STATE_HANDSHAKE:
		return ("handshake");
	case DTLS_STATE_CONNECTED:
		return ("connected");
	case DTLS_STATE_FAILED:
		return ("failed");
	case DTLS_STATE_CLOSED:
		return ("closed");
	}
	return ("unknown");
}

static int
bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct dtls_session	*s = ctx;

	/* A lost datagram is the retransmission timer's problem. */
	if (s->cb.send(s->cb.arg, buf, len) == -1)
		log_debug("dtls: send of %zu bytes failed", len);
	return ((int)len);
}

static int
bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct dtls_session	*s = ctx;
	size_t			 n;

	if (s->in == NULL)
		return (MBEDTLS_ERR_SSL_WANT_READ);
	/* DTLS reads whole datagrams; a short buffer truncates, as UDP. */
	n = s->inlen < len ? s->inlen : len;
	memcpy(buf, s->in, n);
	s->in = NULL;
	s->inlen = 0;
	return ((int)n);
}

static void
timer_set(void *ctx, uint32_t int_ms, uint32_t fin_ms)
{
	struct dtls_session	*s = ctx;

	s->timer_start = now_ms();
	s->timer_int = int_ms;
	s->timer_fin = fin_ms;
	s->timer_fired = 0;
	if (s->cb.timer != NULL)
		s->cb.timer(s->cb.arg, fin_ms);
}

static int
timer_get(void *ctx)
{
	struct dtls_session	*s = ctx;
	uint64_t		 elapsed;

	if (s->timer_fin == 0)
		return (-1);
	/* The owner's loop said the time is up: trust it, not rounding. */
	if (s->timer_fired)
		return (2);
	elapsed = now_ms() - s->timer_start;
	if (elapsed >= s->timer_fin)
		return (2);
	if (elapsed >= s->timer_int)
		return (1);
	return (0);
}

static int
verify_peer(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	struct dtls_session	*s = ctx;
	char			 fp[MEDIA_FPLEN];

	/* Only the leaf matters; self-signed is the norm in WebRTC. */
	if (depth != 0) {
		*flags = 0;
		return (0);
	}
	if (dtls_fingerprint(crt->raw.p, crt->raw.len, fp, sizeof(fp)) == -1 ||
	    strcasecmp(fp, s->remote_fp) != 0) {
		s->fp_ok = 0;
		log_warnx("dtls: peer certificate fingerprint %s does not "
		    "match the remote description", fp);
		return (MBEDTLS_ERR_SSL_PEER_VERIFY_FAILED);
	}
	s->fp_ok = 1;
	*flags = 0;
	return (0);
}

static int
export_keys(void *ctx, const unsigned char *ms, const unsigned char *kb,
    size_t maclen, size_t keylen, size_t ivlen,
    const unsigned char client_random[32],
    const unsigned char server_random[32], mbedtls_tls_prf_types prf)
{
	struct dtls_session	*s = ctx;

	memcpy(s->master, ms, sizeof(s->master));
	memcpy(s->randoms, client_random, 32);
	memcpy(s->randoms + 32, server_random, 32);
	s->prf = prf;
	s->have_master = 1;
	return (0);
}

/*
 * Derive the SRTP master keys (RFC 5764 section 4.2): client key, server
 * key, client salt, server salt.  "local" is ours, by role.
 */
static int
derive_srtp(struct dtls_session *s, struct srtp_keymat *k)
{
	mbedtls_dtls_srtp_info	 info;
	uint8_t			 out[2 * SRTP_KEYMAT_LEN];
	const uint8_t		*ck, *sk, *cs, *ss;
	int			 ret;

	mbedtls_ssl_get_dtls_srtp_negotiation_result(&s->ssl, &info);
	if (info.chosen_dtls_srtp_profile !=
	    MBEDTLS_TLS_SRTP_AES128_CM_HMAC_SHA1_80 &&
	    info.chosen_dtls_srtp_profile !=
	    MBEDTLS_TLS_SRTP_AES128_CM_HMAC_SHA1_32) {
		log_warnx("dtls: peer did not negotiate a usable SRTP profile");
		return (-1);
	}
	if (!s->have_master)
		return (-1);
	ret = mbedtls_ssl_tls_prf(s->prf, s->master, sizeof(s->master),
	    DTLS_EXPORT_LABEL, s->randoms, sizeof(s->randoms), out,
	    sizeof(out));
	mbedtls_platform_zeroize(s->master, sizeof(s->master));
	s->have_master = 0;
	if (ret != 0) {
		log_mbedtls("key export", ret);
		return (-1);
	}
	ck = out;
	sk = out + SRTP_KEYMAT_KEY_LEN;
	cs = out + 2 * SRTP_KEYMAT_KEY_LEN;
	ss = cs + SRTP_KEYMAT_SALT_LEN;
	k->profile = info.chosen_dtls_srtp_profile;
	if (s->role == DTLS_ROLE_SERVER) {
		/* Ours are the server's halves. */
		const uint8_t	*t;

		t = ck, ck = sk, sk = t;
		t = cs, cs = ss, ss = t;
	}
	memcpy(k->local, ck, SRTP_KEYMAT_KEY_LEN);
	memcpy(k->local + SRTP_KEYMAT_KEY_LEN, cs, SRTP_KEYMAT_SALT_LEN);
	memcpy(k->remote, sk, SRTP_KEYMAT_KEY_LEN);
	memcpy(k->remote + SRTP_KEYMAT_KEY_LEN, ss, SRTP_KEYMAT_SALT_LEN);
	mbedtls_platform_zeroize(out, sizeof(out));
	return (0);
}

/*
 * Create a session.  remote_fp is the peer's sha-256 fingerprint from the
 * remote description.  Returns NULL on failure (logged).
 */
struct dtls_session *
dtls_session_new(enum dtls_role role, const char *remote_fp,
    const struct dtls_callbacks *cb)
{
	struct dtls_session	*s;
	int			 ret;

	if (!dtls_global.ready)
		fatalx("dtls_session_new before dtls_init");
	if (cb == NULL || cb->send == NULL || remote_fp == NULL)
		fatalx("dtls_session_new: missing callback or fingerprint");
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		log_warn("dtls: calloc");
		return (NULL);
	}
	s->cb = *cb;
	s->role = role;
	if (strlcpy(s->remote_fp, remote_fp, sizeof(s->remote_fp)) >=
	    sizeof(s->remote_fp)) {
		log_warnx("dtls: remote fingerprint too long");
		free(s);
		return (NULL);
	}
	mbedtls_ssl_init(&s->ssl);
	mbedtls_ssl_config_init(&s->conf);
	if ((ret = mbedtls_ssl_config_defaults(&s->conf,
	    role == DTLS_ROLE_CLIENT ? MBEDTLS_SSL_IS_CLIENT :
	    MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_DATAGRAM,
	    MBEDTLS_SSL_PRESET_DEFAULT)) != 0)
		goto fail;
	mbedtls_ssl_conf_min_version(&s->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
	    MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_rng(&s->conf, mbedtls_ctr_drbg_random,
	    &dtls_global.drbg);
	mbedtls_ssl_conf_ciphersuites(&s->conf, dtls_suites);
	mbedtls_ssl_conf_curves(&s->conf, dtls_curves);
	/* Optional here, because verify_peer decides and fails hard. */
	mbedtls_ssl_conf_authmode(&s->conf, MBEDTLS_SSL_VERIFY_OPTIONAL);
	if ((ret = mbedtls_ssl_conf_own_cert(&s->conf, &dtls_global.cert,
	    &dtls_global.key)) != 0)
		goto fail;
	/* ICE has already proven the peer's address: no cookie exchange. */
	mbedtls_ssl_conf_dtls_cookies(&s->conf, NULL, NULL, NULL);
	mbedtls_ssl_conf_handshake_timeout(&s->conf, DTLS_TIMEOUT_MIN,
	    DTLS_TIMEOUT_MAX);
	if ((ret = mbedtls_ssl_conf_dtls_srtp_protection_profiles(&s->conf,
	    dtls_srtp_profiles)) != 0)
		goto fail;
	mbedtls_ssl_conf_srtp_mki_value_supported(&s->conf,
	    MBEDTLS_SSL_DTLS_SRTP_MKI_UNSUPPORTED);
	/* The export callback is per configuration, hence one per session. */
	mbedtls_ssl_conf_export_keys_ext_cb(&s->conf, export_keys, s);
	if ((ret = mbedtls_ssl_setup(&s->ssl, &s->conf)) != 0)
		goto fail;
	mbedtls_ssl_set_verify(&s->ssl, verify_peer, s);
	mbedtls_ssl_set_bio(&s->ssl, s, bio_send, bio_recv, NULL);
	mbedtls_ssl_set_timer_cb(&s->ssl, s, timer_set, timer_get);
	mbedtls_ssl_set_mtu(&s->ssl, DTLS_MTU);
	return (s);
 fail:
	log_mbedtls("session setup", ret);
	mbedtls_ssl_free(&s->ssl);
	mbedtls_ssl_config_free(&s->conf);
	free(s);
	return (NULL);
}

static void
set_state(struct dtls_session *s, enum dtls_state st,
    const struct srtp_keymat *k)
{
	if (s->state == st)
		return;
	s->state = st;
	if (st == DTLS_STATE_FAILED || st == DTLS_STATE_CLOSED)
		timer_set(s, 0, 0);
	if (s->cb.state != NULL)
		s->cb.state(s->cb.arg, st, k);
}

static void
dtls_fail(struct dtls_session *s, const char *what, int ret)
{
	if (ret != 0)
		log_mbedtls(what, ret);
	else
		log_warnx("dtls: %s", what);
	mbedtls_platform_zeroize(s->master, sizeof(s->master));
	s->have_master = 0;
	set_state(s, DTLS_STATE_FAILED, NULL);
}

static void
handshake_step(struct dtls_session *s)
{
	struct srtp_keymat	 k;
	int			 ret;

	ret = mbedtls_ssl_handshake(&s->ssl);
	if (ret == MBEDTLS_ERR_SSL_WANT_READ ||
	    ret == MBEDTLS_ERR_SSL_WANT_WRITE)
		return;
	if (ret != 0) {
		/*
		 * A server that has not yet accepted a ClientHello starts over
		 * rather than let one stray datagram kill the call.
		 */
		if (s->role == DTLS_ROLE_SERVER &&
		    s->ssl.state <= MBEDTLS_SSL_CLIENT_HELLO &&
		    mbedtls_ssl_session_reset(&s->ssl) == 0) {
			log_debug("dtls: bad first datagram ignored (-0x%04x)",
			    (unsigned int)-ret);
			return;
		}
		dtls_fail(s, "handshake", ret);
		return;
	}
	/* Belt and braces: no keys unless the fingerprint was checked. */
	if (!s->fp_ok || mbedtls_ssl_get_peer_cert(&s->ssl) == NULL) {
		mbedtls_ssl_send_alert_message(&s->ssl,
		    MBEDTLS_SSL_ALERT_LEVEL_FATAL,
		    MBEDTLS_SSL_ALERT_MSG_BAD_CERT);
		dtls_fail(s, "peer presented no verified certificate", 0);
		return;
	}
	if (derive_srtp(s, &k) == -1) {
		mbedtls_ssl_send_alert_message(&s->ssl,
		    MBEDTLS_SSL_ALERT_LEVEL_FATAL,
		    MBEDTLS_SSL_ALERT_MSG_HANDSHAKE_FAILURE);
		dtls_fail(s, "no SRTP keys", 0);
		return;
	}
	log_debug("dtls: handshake done as %s, %s, profile %s",
	    s->role == DTLS_ROLE_CLIENT ? "client" : "server",
	    mbedtls_ssl_get_ciphersuite(&s->ssl), srtp_profile_name(k.profile));
	set_state(s, DTLS_STATE_CONNECTED, &k);
	mbedtls_platform_zeroize(&k, sizeof(k));
}

/* Begin the handshake: the client sends its ClientHello, a server waits. */
int
dtls_session_start(struct dtls_session *s)
{
	if (s->state != DTLS_STATE_NEW)
		return (0);
	set_state(s, DTLS_STATE_HANDSHAKE, NULL);
	if (s->role == DTLS_ROLE_CLIENT)
		handshake_step(s);
	return (s->state == DTLS_STATE_FAILED ? -1 : 0);
}

/* Feed one received datagram. */
void
dtls_session_input(struct dtls_session *s, const uint8_t *buf, size_t len)
{
	uint8_t	 scratch[256];
	int	 ret;

	/* An empty datagram would read as end of file. */
	if (len == 0)
		return;
	if (s->retired) {
		/* 21: an alert, which can no longer be read (see retire). */
		if (buf[0] == 21)
			log_debug("dtls: an alert from the peer, not read: the "
			    "handshake state is released");
		return;
	}
	if (s->state == DTLS_STATE_NEW)
		set_state(s, DTLS_STATE_HANDSHAKE, NULL);
	if (s->state == DTLS_STATE_FAILED || s->state == DTLS_STATE_CLOSED)
		return;
	s->in = buf;
	s->inlen = len;
	if (s->state == DTLS_STATE_HANDSHAKE && s->role == DTLS_ROLE_SERVER &&
	    s->ssl.state <= MBEDTLS_SSL_CLIENT_HELLO) {
		/* mbedtls cannot take a fragmented ClientHello: rebuild it. */
		switch (dtls_chello_feed(&s->chello, buf, len, &s->in,
		    &s->inlen)) {
		case DTLS_CHELLO_HELD:
			s->in = NULL;
			return;
		case DTLS_CHELLO_BAD:
			log_debug("dtls: bad ClientHello fragment dropped");
			s->in = NULL;
			return;
		case DTLS_CHELLO_DONE:
			log_debug("dtls: ClientHello of %zu bytes reassembled",
			    s->inlen);
			break;
		}
	}
	if (s->state == DTLS_STATE_HANDSHAKE) {
		handshake_step(s);
		if (s->ssl.state > MBEDTLS_SSL_CLIENT_HELLO &&
		    s->chello.msg != NULL)
			dtls_chello_clear(&s->chello);
	} else {
		/*
		 * Connected: this answers a retransmitted final flight and
		 * notices close_notify; application data has no use here.
		 */
		ret = mbedtls_ssl_read(&s->ssl, scratch, sizeof(scratch));
		if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
			log_debug("dtls: peer closed");
			set_state(s, DTLS_STATE_CLOSED, NULL);
		} else if (ret < 0 && ret != MBEDTLS_ERR_SSL_WANT_READ &&
		    ret != MBEDTLS_ERR_SSL_WANT_WRITE &&
		    ret != MBEDTLS_ERR_SSL_TIMEOUT)
			log_debug("dtls: read: -0x%04x", (unsigned int)-ret);
	}
	s->in = NULL;
	s->inlen = 0;
}

/* The timer armed through cb.timer expired. */
void
dtls_session_timer(struct dtls_session *s)
{
	if (s->state != DTLS_STATE_HANDSHAKE || s->timer_fin == 0)
		return;
	s->timer_fired = 1;
	handshake_step(s);
}

enum dtls_state
dtls_session_state(const struct dtls_session *s)
{
	return (s->state);
}

/*
 * The peer has sent SRTP with the keys, so it has our last flight and
 * will not ask for it again: the TLS state goes.  Its two record buffers
 * (16 KiB each in Debian's mbedtls, fixed at build time) were a third of
 * a call's memory.  The cost: the peer's later DTLS records cannot be
 * read, so its close_notify is not seen and ours is not sent; the call
 * ends by signalling, ICE consent or the media timeout instead
 * (docs/decisions.md).
 */
void
dtls_session_retire(struct dtls_session *s)
{
	if (s->state != DTLS_STATE_CONNECTED || s->retired)
		return;
	dtls_chello_clear(&s->chello);
	mbedtls_ssl_free(&s->ssl);
	mbedtls_ssl_config_free(&s->conf);
	s->retired = 1;
	retired_count++;
	log_debug("dtls: handshake state released");
}

/* Sessions retired so far: their memory is free but may stay resident. */
unsigned long
dtls_retired_count(void)
{
	return (retired_count);
}

/* Say goodbye politely; the session stays until freed. */
void
dtls_session_close(struct dtls_session *s)
{
	if (s->state == DTLS_STATE_CONNECTED && !s->retired)
		mbedtls_ssl_close_notify(&s->ssl);
	set_state(s, DTLS_STATE_CLOSED, NULL);
}

void
dtls_session_free(struct dtls_session *s)
{
	if (s == NULL)
		return;
	dtls_chello_clear(&s->chello);
	if (!s->retired) {
		mbedtls_ssl_free(&s->ssl);
		mbedtls_ssl_config_free(&s->conf);
	}
	mbedtls_platform_zeroize(s, sizeof(*s));
	free(s);
}
