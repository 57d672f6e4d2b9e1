/*
 * SRTP on our own transform (srtp_rtp.c), SRTCP on libsrtp2 with its
 * ciphers on mbedtls.  See srtp.h.
 */
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "log.h"
#include "srtp.h"
#include "srtp_mbedtls.h"
#include "srtp_rtp.h"

/*
 * RTP goes through our transform: libsrtp's per-packet stream lookup,
 * window shifting and key-limit bookkeeping cost more than its crypto
 * did.  SRTCP, a few packets a second, stays on libsrtp, whose RTP half
 * of each session is never used but keeps its real policy: libsrtp
 * takes as much of the master key as the RTP cipher wants to derive
 * SRTCP's keys too, so a null RTP cipher would key SRTCP with zeros.
 */
struct srtp_pair {
	struct srtp_rtp_tx	 tx;
	struct srtp_rtp_rx	 rx;
	srtp_t			 rtcp_tx;
	srtp_t			 rtcp_rx;
};

/*
 * Initialise libsrtp once per process, with its AES-ICM and HMAC-SHA1
 * replaced by ours on mbedtls (srtp_mbedtls.c).
 */
void
srtp_pair_global_init(void)
{
	static int	 done;
	srtp_err_status_t err;

	if (done)
		return;
	if ((err = srtp_init()) != srtp_err_status_ok)
		fatalx("srtp_init: error %d", err);
	if (srtp_mbedtls_install() == -1)
		fatalx("srtp: mbedtls cipher types fail their self-test");
	done = 1;
}

const char *
srtp_profile_name(uint16_t profile)
{
	switch (profile) {
	case SRTP_PROFILE_AES128_CM_SHA1_80:
		return ("SRTP_AES128_CM_HMAC_SHA1_80");
	case SRTP_PROFILE_AES128_CM_SHA1_32:
		return ("SRTP_AES128_CM_HMAC_SHA1_32");
	}
	return ("unknown");
}

static int
make_session(srtp_t *sess, uint16_t profile, const uint8_t *master,
    int outbound)
{
	srtp_policy_t		 pol;
	uint8_t			 key[SRTP_KEYMAT_LEN];
	srtp_err_status_t	 err;

	memset(&pol, 0, sizeof(pol));
	switch (profile) {
	case SRTP_PROFILE_AES128_CM_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
		break;
	case SRTP_PROFILE_AES128_CM_SHA1_32:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&pol.rtp);
		break;
	default:
		log_warnx("srtp: unsupported profile %u", profile);
		return (-1);
	}
	/* RFC 5764 4.1.2: SRTCP keeps the 80-bit tag in both profiles. */
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
	/* libsrtp wants a non-const key; it copies it during create. */
	memcpy(key, master, sizeof(key));
	pol.key = key;
	pol.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	pol.window_size = SRTP_REPLAY_WINDOW;
	/*
	 * Sending the same index twice happens when a relayed packet is
	 * retransmitted upstream; refusing it would only drop audio.
	 */
	pol.allow_repeat_tx = outbound;
	err = srtp_create(sess, &pol);
	memset(key, 0, sizeof(key));
	if (err != srtp_err_status_ok) {
		log_warnx("srtp: create: error %d", err);
		return (-1);
	}
	return (0);
}

/*
 * For tests and benchmarks: a libsrtp2 session for one direction, RTP
 * and SRTCP, made as srtp_pair makes its SRTCP ones (a libsrtp oracle
 * for our RTP transform, and what it is measured against).
 */
srtp_t
srtp_pair_libsrtp(uint16_t profile, const uint8_t *master, int outbound)
{
	srtp_t	 s;

	srtp_pair_global_init();
	if (make_session(&s, profile, master, outbound) == -1)
		return (NULL);
	return (s);
}

/* Create both directions from negotiated key material. */
struct srtp_pair *
srtp_pair_new(const struct srtp_keymat *k)
{
	struct srtp_pair	*p;

	srtp_pair_global_init();
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		log_warn("srtp: calloc");
		return (NULL);
	}
	if (make_session(&p->rtcp_tx, k->profile, k->local, 1) == -1) {
		free(p);
		return (NULL);
	}
	if (make_session(&p->rtcp_rx, k->profile, k->remote, 0) == -1) {
		srtp_dealloc(p->rtcp_tx);
		free(p);
		return (NULL);
	}
	/* The profile is one make_session took: these cannot fail. */
	if (srtp_rtp_tx_init(&p->tx, k->profile, k->local) == -1 ||
	    srtp_rtp_rx_init(&p->rx, k->profile, k->remote) == -1)
		fatalx("srtp: RTP keys for profile %u", k->profile);
	return (p);
}

/*
 * The peer's new key (SDES re-offer): only the inbound context is made
 * again.  Ours keeps its rollover counter, so the same key never covers
 * the same packet index twice.
 */
int
srtp_pair_rekey_remote(struct srtp_pair *p, uint16_t profile,
    const uint8_t *remote)
{
	srtp_t	 rx;

	if (make_session(&rx, profile, remote, 0) == -1)
		return (-1);
	srtp_dealloc(p->rtcp_rx);
	p->rtcp_rx = rx;
	/* Wipes the old keys and window first. */
	if (srtp_rtp_rx_init(&p->rx, profile, remote) == -1)
		fatalx("srtp: RTP keys for profile %u", profile);
	return (0);
}

/* libsrtp wipes its sessions' keys as it frees them; we wipe ours. */
void
srtp_pair_free(struct srtp_pair *p)
{
	if (p == NULL)
		return;
	srtp_dealloc(p->rtcp_tx);
	srtp_dealloc(p->rtcp_rx);
	srtp_rtp_tx_wipe(&p->tx);
	srtp_rtp_rx_wipe(&p->rx);
	free(p);
}

/* libsrtp2's status as our result: 0, SRTP_EAUTH, SRTP_EREPLAY, SRTP_ERR. */
int
srtp_pair_libsrtp_result(int err)
{
	switch (err) {
	case srtp_err_status_ok:
		return (0);
	case srtp_err_status_auth_fail:
		return (SRTP_EAUTH);
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
		return (SRTP_EREPLAY);
	default:
		return (SRTP_ERR);
	}
}

/*
 * Protect the RTP packet in buf (*len bytes, room for size) in place.
 * Returns 0 and updates *len, or SRTP_ERR.
 */
int
srtp_pair_protect(struct srtp_pair *p, uint8_t *buf, size_t *len,
    size_t size)
{
	if (*len < 12 || *len > (size_t)INT32_MAX || size < *len ||
	    size - *len < SRTP_TRAILER_ROOM)
		return (SRTP_ERR);
	return (srtp_rtp_protect(&p->tx, buf, len, size));
}

/*
 * Verify and decrypt an SRTP packet in place.  Returns 0 and updates
 * *len, or SRTP_ERR, SRTP_EAUTH or SRTP_EREPLAY.
 */
int
srtp_pair_unprotect(struct srtp_pair *p, uint8_t *buf, size_t *len)
{
	if (*len < 12 || *len > (size_t)INT32_MAX)
		return (SRTP_ERR);
	return (srtp_rtp_unprotect(&p->rx, buf, len));
}

int
srtp_pair_protect_rtcp(struct srtp_pair *p, uint8_t *buf, size_t *len,
    size_t size)
{
	int	 n;

	if (*len < 8 || *len > (size_t)INT32_MAX || size < *len ||
	    size - *len < SRTCP_TRAILER_ROOM)
		return (SRTP_ERR);
	n = (int)*len;
	if (srtp_protect_rtcp(p->rtcp_tx, buf, &n) != srtp_err_status_ok)
		return (SRTP_ERR);
	*len = n;
	return (0);
}

int
srtp_pair_unprotect_rtcp(struct srtp_pair *p, uint8_t *buf, size_t *len)
{
	int	 n, rv;

	if (*len < 8 || *len > (size_t)INT32_MAX)
		return (SRTP_ERR);
	n = (int)*len;
	if ((rv = srtp_pair_libsrtp_result(srtp_unprotect_rtcp(p->rtcp_rx, buf, &n))) != 0)
		return (rv);
	*len = n;
	return (0);
}
