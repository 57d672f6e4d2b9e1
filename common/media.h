/*
 * Structured media descriptions exchanged over IPC.  sipd and kandyd turn
 * SDP text into these and back; mediad only ever sees these structures,
 * never SDP.  They travel as fixed-size blobs and every receiver runs the
 * matching *_valid() check before trusting a field.
 */
#ifndef KB_MEDIA_H
#define KB_MEDIA_H

#include <sys/socket.h>
#include <stdint.h>

#define MEDIA_MAXCODECS		8
#define MEDIA_MAXCANDS		16
#define MEDIA_UFRAGLEN		64	/* including NUL */
#define MEDIA_PWDLEN		128	/* including NUL */
#define MEDIA_FPLEN		104	/* "AB:CD:..." for SHA-256, with NUL */
#define MEDIA_FOUNDLEN		33
#define MEDIA_SRTP_KEYLEN	30	/* SDES master key (16) || salt (14) */

enum media_dir {
	MEDIA_SENDRECV = 0,
	MEDIA_SENDONLY,
	MEDIA_RECVONLY,
	MEDIA_INACTIVE
};

enum media_codec {
	CODEC_NONE = 0,
	CODEC_PCMU,		/* static payload type 0 */
	CODEC_PCMA,		/* static payload type 8 */
	CODEC_TELEPHONE_EVENT,	/* RFC 4733, dynamic payload type */
	CODEC_OPUS		/* understood in SDP, never relayed: no transcoding */
};

struct media_codec_desc {
	uint8_t		codec;		/* enum media_codec */
	uint8_t		pt;		/* payload type 0-127 */
	uint16_t	channels;
	uint32_t	clock;		/* Hz */
};

/* RFC 4568 crypto suites we key libsrtp with. */
enum media_crypto_suite {
	CRYPTO_NONE = 0,		/* plain RTP */
	CRYPTO_AES_CM_128_HMAC_SHA1_80,
	CRYPTO_AES_CM_128_HMAC_SHA1_32
};

/*
 * SDES-SRTP (RFC 4568) of one side: the a=crypto line's tag, suite and
 * inline master key||salt.  The key is a secret: never logged.
 */
struct media_crypto {
	uint32_t		tag;		/* 0-999999999 */
	uint8_t			suite;		/* enum media_crypto_suite */
	uint8_t			key[MEDIA_SRTP_KEYLEN];
};

/* The RTP side toward the PBX: plain RTP, or SRTP keyed by SDES. */
struct media_rtp_desc {
	struct sockaddr_storage	addr;		/* RTP address, port set */
	uint16_t		rtcp_port;	/* 0: RTP port + 1 */
	uint8_t			rtcp_mux;
	uint8_t			dir;		/* enum media_dir */
	uint16_t		ptime;		/* ms, 0: unspecified */
	uint8_t			ncodecs;
	struct media_codec_desc	codecs[MEDIA_MAXCODECS];	/* in preference order */
	struct media_crypto	crypto;		/* the sender's key */
};

enum ice_cand_type {
	CAND_HOST = 0,
	CAND_SRFLX,
	CAND_PRFLX,
	CAND_RELAY
};

enum ice_transport {
	ICE_UDP = 0,
	ICE_TCP_ACTIVE,
	ICE_TCP_PASSIVE,
	ICE_TCP_SO
};

struct ice_cand {
	char			foundation[MEDIA_FOUNDLEN];
	uint8_t			component;	/* 1 RTP, 2 RTCP */
	uint8_t			type;		/* enum ice_cand_type */
	uint8_t			transport;	/* enum ice_transport */
	uint32_t		priority;
	struct sockaddr_storage	addr;
	struct sockaddr_storage	raddr;		/* related address, may be unset */
};

enum dtls_setup {
	SETUP_ACTPASS = 0,
	SETUP_ACTIVE,
	SETUP_PASSIVE
};

/* The WebRTC side toward Kandy: ICE, DTLS and the negotiated codecs. */
struct media_webrtc_desc {
	char			ufrag[MEDIA_UFRAGLEN];
	char			pwd[MEDIA_PWDLEN];
	char			fingerprint[MEDIA_FPLEN];	/* sha-256, upper-case hex pairs */
	uint8_t			setup;		/* enum dtls_setup */
	uint8_t			dir;		/* enum media_dir */
	uint8_t			rtcp_mux;
	uint8_t			ice_lite;
	uint32_t		ssrc;		/* our sending SSRC, 0 if unknown */
	uint8_t			ncodecs;
	struct media_codec_desc	codecs[MEDIA_MAXCODECS];
	uint8_t			ncands;
	struct ice_cand		cands[MEDIA_MAXCANDS];
};

/* What mediad reports about a call's media (MEDIA_EVENT). */
enum media_event {
	MEDIA_EV_ICE_CONNECTED = 1,
	MEDIA_EV_ICE_FAILED,
	MEDIA_EV_DTLS_CONNECTED,	/* SRTP keyed: audio flows */
	MEDIA_EV_DTLS_FAILED,
	MEDIA_EV_TIMEOUT,		/* no RTP for the configured time */
	MEDIA_EV_ERROR			/* allocation or socket failure */
};

/* media.c */
int	 media_rtp_valid(const struct media_rtp_desc *, const char **);
int	 media_webrtc_valid(const struct media_webrtc_desc *, const char **);
const char *media_codec_name(enum media_codec);
const char *media_dir_name(enum media_dir);
const char *media_crypto_name(enum media_crypto_suite);

#endif /* KB_MEDIA_H */
