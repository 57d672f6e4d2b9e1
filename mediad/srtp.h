/*
 * SRTP/SRTCP contexts keyed from DTLS-SRTP (RFC 5764) or SDES.  One
 * srtp_pair per media leg: an outbound context keyed with our master key
 * and an inbound one keyed with the peer's, so an SSRC seen in both
 * directions never lands in the wrong context.  RTP runs on our own
 * transform (srtp_rtp.c), SRTCP on libsrtp2.  Protect and unprotect work
 * in place and never allocate.
 */
#ifndef KB_SRTP_H
#define KB_SRTP_H

#include <stddef.h>
#include <stdint.h>

/* RFC 5764 protection profile numbers. */
#define SRTP_PROFILE_AES128_CM_SHA1_80	0x0001
#define SRTP_PROFILE_AES128_CM_SHA1_32	0x0002

#define SRTP_KEYMAT_KEY_LEN	16
#define SRTP_KEYMAT_SALT_LEN	14
#define SRTP_KEYMAT_LEN		(SRTP_KEYMAT_KEY_LEN + SRTP_KEYMAT_SALT_LEN)
/*
 * The replay window in packets.  Larger than libsrtp's default of 128 so
 * that reordering across a jittery TURN path is not mistaken for replay.
 */
#define SRTP_REPLAY_WINDOW	1024

/* Room protect needs after the packet: the longest auth tag we use. */
#define SRTP_TRAILER_ROOM	16
/* SRTCP adds the E-flag/index word as well as the tag. */
#define SRTCP_TRAILER_ROOM	(4 + SRTP_TRAILER_ROOM)

/* Master key followed by master salt, for each direction. */
struct srtp_keymat {
	uint16_t	 profile;
	uint8_t		 local[SRTP_KEYMAT_LEN];
	uint8_t		 remote[SRTP_KEYMAT_LEN];
};

/* Results of unprotect other than success. */
#define SRTP_ERR	-1	/* malformed or internal error */
#define SRTP_EAUTH	-2	/* authentication failed: tampered or wrong key */
#define SRTP_EREPLAY	-3	/* replayed or too old for the window */

struct srtp_pair;
struct srtp_ctx_t_;	/* libsrtp2's session */

/* srtp.c */
void		 srtp_pair_global_init(void);
const char	*srtp_profile_name(uint16_t);
struct srtp_pair *srtp_pair_new(const struct srtp_keymat *);
int		 srtp_pair_rekey_remote(struct srtp_pair *, uint16_t,
		    const uint8_t *);
void		 srtp_pair_free(struct srtp_pair *);
int		 srtp_pair_protect(struct srtp_pair *, uint8_t *, size_t *,
		    size_t);
int		 srtp_pair_unprotect(struct srtp_pair *, uint8_t *, size_t *);
int		 srtp_pair_protect_rtcp(struct srtp_pair *, uint8_t *, size_t *,
		    size_t);
int		 srtp_pair_unprotect_rtcp(struct srtp_pair *, uint8_t *,
		    size_t *);
struct srtp_ctx_t_ *srtp_pair_libsrtp(uint16_t, const uint8_t *, int);
int		 srtp_pair_libsrtp_result(int);

#endif /* KB_SRTP_H */
