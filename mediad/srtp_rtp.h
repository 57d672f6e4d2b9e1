/*
 * The SRTP transform for RTP packets (RFC 3711), AES128_CM with
 * HMAC-SHA1 80- or 32-bit tags, key derivation rate 0, without libsrtp:
 * fixed per-direction state, a few SSRC slots, no allocation and no list
 * walk per packet.  AES runs on AES-NI where the CPU has it, mbedtls
 * otherwise; the HMAC keeps its keyed inner and outer SHA-1 states, so a
 * packet costs its own blocks plus one outer block.  srtp.c uses it for
 * RTP; SRTCP stays on libsrtp2.
 */
#ifndef KB_SRTP_RTP_H
#define KB_SRTP_RTP_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/aes.h>

#include "aes_x86.h"
#include "srtp.h"

/*
 * SSRCs tracked per direction: a relay sees one or two (a new one after
 * the far end re-INVITEs).  Inbound, the least recently used slot makes
 * way for a new one; outbound, a new SSRC past these is refused, as its
 * ROC would have to start again under the same key.
 */
#define SRTP_RTP_SSRCS		4
/* RFC 3711 9.2: no more than 2^48 packets under one master key. */
#define SRTP_RTP_KEY_LIMIT	(1ULL << 48)

/*
 * Session keys of one direction.  What every packet reads comes first
 * and together, the round keys right after: few cache lines per packet.
 */
struct srtp_rtp_keys {
	int			 keyed;
	int			 x86;		/* aes is AES-NI's */
	uint64_t		 packets;	/* under this master key */
	size_t			 taglen;	/* 10 or 4 */
	uint8_t			 salt[16];	/* session salt, then 0, 0 */
	uint32_t		 inner0[5];	/* after auth key ^ ipad */
	uint32_t		 outer0[5];	/* after auth key ^ opad */
	union {
#if AES_X86
		struct aes_x86_key	 x86;
#endif
		mbedtls_aes_context	 mb;
	}			 aes;
};

/* Highest index sent for one SSRC (48 bits: ROC and sequence number). */
struct srtp_rtp_txslot {
	uint64_t		 hi;
	uint32_t		 ssrc;
	int			 used;
};

/*
 * Highest index received for one SSRC and which of the window's indices
 * below it came: bit (i % SRTP_REPLAY_WINDOW) for index i.
 */
struct srtp_rtp_rxslot {
	uint64_t		 hi;
	uint64_t		 used;		/* LRU stamp, 0: free */
	uint32_t		 ssrc;
	uint64_t		 seen[SRTP_REPLAY_WINDOW / 64];
};

struct srtp_rtp_tx {
	unsigned int		 last;		/* slot of the last packet */
	struct srtp_rtp_txslot	 slot[SRTP_RTP_SSRCS];
	struct srtp_rtp_keys	 k;
};

struct srtp_rtp_rx {
	unsigned int		 last;
	uint64_t		 clock;		/* for the LRU stamps */
	struct srtp_rtp_rxslot	 slot[SRTP_RTP_SSRCS];
	struct srtp_rtp_keys	 k;
};

/* srtp_rtp.c: contexts start zeroed; init wipes what was there. */
void	 srtp_rtp_kdf(const uint8_t [SRTP_KEYMAT_LEN], uint8_t, uint8_t *,
	    size_t);
int	 srtp_rtp_tx_init(struct srtp_rtp_tx *, uint16_t, const uint8_t *);
int	 srtp_rtp_rx_init(struct srtp_rtp_rx *, uint16_t, const uint8_t *);
void	 srtp_rtp_tx_init_session(struct srtp_rtp_tx *, size_t,
	    const uint8_t *, const uint8_t *, const uint8_t *);
void	 srtp_rtp_tx_wipe(struct srtp_rtp_tx *);
void	 srtp_rtp_rx_wipe(struct srtp_rtp_rx *);
int	 srtp_rtp_protect(struct srtp_rtp_tx *, uint8_t *, size_t *, size_t);
int	 srtp_rtp_unprotect(struct srtp_rtp_rx *, uint8_t *, size_t *);

#endif /* KB_SRTP_RTP_H */
