/*
 * The parts of bridged.conf that the parent hands to the children, as
 * fixed-size structures sent as IPC blobs (CFG_* messages).  Each child
 * gets only what it needs; the trunk password never leaves the parent.
 * A receiver checks the blob's size and calls cfg_terminate_*() before
 * reading a string.
 */
#ifndef KB_CFG_H
#define KB_CFG_H

#include <sys/socket.h>
#include <stdint.h>

#include "media.h"
#include "numrule.h"

#define CFG_NAMELEN	128
#define CFG_HOSTLEN	256
#define CFG_PATHLEN	512

/* sipd: CFG_SIP, then CFG_SIP_LISTEN, CFG_SIP_ALLOW, CFG_NUMRULE each. */
struct cfg_sip {
	char		realm[CFG_NAMELEN];
	char		trunk_user[CFG_NAMELEN];
	char		public_address[CFG_HOSTLEN];	/* "" unset */
	char		kandy_domain[CFG_HOSTLEN];	/* for sip: addresses */
	uint8_t		kandy_address;		/* tel or sip, config.h enum */
	uint8_t		digest_md5;		/* parent can verify MD5 */
	uint8_t		digest_sha256;		/* parent can verify SHA-256 */
	uint8_t		register_requires_kandy;
	uint8_t		invite_auth;
	uint8_t		pai;
	uint8_t		telephone_event;
	uint32_t	max_calls;
	uint32_t	max_cps;
	uint32_t	session_expires;
	uint32_t	min_se;
	uint32_t	noanswer_timeout;
	uint32_t	register_min_expires;
	uint32_t	register_max_expires;
	uint32_t	auth_failures;
	uint32_t	auth_ban;
	uint8_t		ncodecs;
	uint8_t		codecs[MEDIA_MAXCODECS];	/* enum media_codec */
	uint8_t		srtp;			/* CFG_SRTP_* */
};

/* sip { srtp no | offer | require }: SDES-SRTP toward the PBX. */
#define CFG_SRTP_NO		0
#define CFG_SRTP_OFFER		1
#define CFG_SRTP_REQUIRE	2

struct cfg_sip_listen {
	struct sockaddr_storage	 ss;		/* AF_UNSPEC: all addresses */
	uint16_t		 port;
	uint8_t			 transport;	/* udp, tcp, tls */
};

struct cfg_allow {
	struct sockaddr_storage	 addr;
	uint8_t			 prefixlen;
};

/* kandyd: CFG_KANDY, then CFG_KANDY_SECRET and CFG_KANDY_CA. */
struct cfg_kandy {
	char		url[CFG_PATHLEN];
	char		host[CFG_HOSTLEN];
	char		path[CFG_PATHLEN];
	char		client_id[CFG_NAMELEN];
	char		user[CFG_NAMELEN];
	char		domain[CFG_HOSTLEN];
	char		did[CFG_NAMELEN];	/* "": none */
	uint16_t	port;
	uint8_t		grant;
	uint8_t		address;
	uint8_t		dialect;
	uint32_t	call_audit;
};

/* mediad: CFG_MEDIA, then CFG_ICE_SERVER each (static TURN credentials). */
struct cfg_media {
	uint16_t	rtp_low;
	uint16_t	rtp_high;
	uint8_t		ncodecs;
	uint8_t		codecs[MEDIA_MAXCODECS];
	uint8_t		telephone_event;
	uint8_t		relay_only;
	uint32_t	timeout;
	char		public_address[CFG_HOSTLEN];
};

struct cfg_ice_server {
	char		host[CFG_HOSTLEN];
	char		username[CFG_NAMELEN];	/* "": from Kandy */
	char		password[CFG_NAMELEN];	/* secret */
	uint16_t	port;
	uint8_t		scheme;			/* stun, stuns, turn, turns */
	uint8_t		transport;		/* udp, tcp */
};

/* cfg.c: force every string of a received structure to end in NUL */
void	cfg_terminate_sip(struct cfg_sip *);
void	cfg_terminate_kandy(struct cfg_kandy *);
void	cfg_terminate_media(struct cfg_media *);
void	cfg_terminate_ice_server(struct cfg_ice_server *);

#endif /* KB_CFG_H */
