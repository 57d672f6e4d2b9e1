/*
 * The processes of kandy-bridge and the messages they exchange.  Every
 * message type is listed here, grouped by who sends it, and once more in
 * ipc_table.c with its payload format and the directions it may travel.
 */
#ifndef KB_PROC_H
#define KB_PROC_H

enum kb_proc {
	PROC_PARENT = 0,
	PROC_SIPD,
	PROC_KANDYD,
	PROC_MEDIAD,
	PROC_CTL,		/* bridgectl on the control socket */
	PROC_MAX
};

#define PROC_BIT(p)	(1U << (p))
#define PROC_CHILDREN	(PROC_BIT(PROC_SIPD) | PROC_BIT(PROC_KANDYD) | \
			    PROC_BIT(PROC_MEDIAD))

/* Child descriptors: the parent channel is always this one. */
#define PROC_PARENT_FD	3

/* The Kandy account as the trunk's registrations see it. */
enum kandy_trunk {
	KANDY_TRUNK_SIGNING_IN = 0,	/* no usable token yet */
	KANDY_TRUNK_UP = 1,		/* a valid token */
	KANDY_TRUNK_DOWN = 2		/* refused or unreachable */
};

enum imsg_type {
	IMSG_NONE = 0,

	/* parent -> child: configuration and plumbing */
	IMSG_CFG_BEGIN,		/* d: generation */
	IMSG_CFG_LOG,		/* d: verbose */
	IMSG_CFG_DONE,		/* d: generation */
	IMSG_PEER_FD,		/* b: peer proc; fd: channel to that peer */
	IMSG_PEER_GONE,		/* b: peer proc that died */
	IMSG_TEST_SANDBOX,	/* child attempts a forbidden syscall */

	/* parent -> one child: its part of the configuration (common/cfg.h) */
	IMSG_CFG_SIP,		/* x: struct cfg_sip			-> sipd */
	IMSG_CFG_SIP_LISTEN,	/* xss: cfg_sip_listen, TLS cert, key PEM -> sipd */
	IMSG_CFG_SIP_ALLOW,	/* x: struct cfg_allow			-> sipd */
	IMSG_CFG_NUMRULE,	/* x: struct numrule			-> sipd */
	IMSG_CFG_KANDY,		/* x: struct cfg_kandy			-> kandyd */
	IMSG_CFG_KANDY_SECRET,	/* s: client secret or password		-> kandyd */
	IMSG_CFG_KANDY_CA,	/* x: trust anchors, PEM, in pieces; the last
				 * ends in NUL				-> kandyd */
	IMSG_CFG_MEDIA,		/* x: struct cfg_media			-> mediad */
	IMSG_CFG_ICE_SERVER,	/* x: struct cfg_ice_server		-> mediad */

	/* child <-> child: the first frame on a new peer channel */
	IMSG_PEER_HELLO,	/* b: sender's proc */

	/* child -> parent */
	IMSG_CFG_ACK,		/* d: generation applied */
	IMSG_PEER_LINK,		/* bb: peer proc, 1 hello received / 0 closed */
	IMSG_RESOLVE,		/* dss: request id, host, service */
	IMSG_AUTH_CHECK,	/* db sssssssss: sipd asks the parent to check a
				 * digest: request id, enum digest_alg, username,
				 * realm, nonce, nc, cnonce, qop, method, uri,
				 * response ("" for absent) */

	/* parent -> sipd */
	IMSG_AUTH_RESULT,	/* dd: request id, 1 right / 0 wrong */

	/* parent -> child: resolver answers */
	IMSG_RESOLVE_ADDR,	/* dA: request id, one address */
	IMSG_RESOLVE_DONE,	/* dds: request id, error (0 ok), message */

	/*
	 * sipd <-> kandyd: call signalling.  The call id in the header
	 * names the call everywhere; its originator picks it at random.
	 */
	IMSG_CALL_OUT,		/* sss: S->K Kandy address, caller, caller name */
	IMSG_CALL_IN,		/* sss: K->S DID, caller, caller name */
	IMSG_CALL_RINGING,	/* (none): either way */
	IMSG_CALL_ANSWERED,	/* (none): either way */
	IMSG_CALL_END,		/* dds: either way: SIP status, Kandy HTTP
				 * status or 0, reason */

	/*
	 * Media: sipd and kandyd describe each leg to mediad with
	 * structures from common/media.h; mediad never sees SDP.
	 */
	IMSG_MEDIA_ALLOC,	/* b: S,K->M 0 we offer to Kandy, 1 Kandy offered,
				 * 2 the PBX sent no offer: MEDIA_RTP_LOCAL at
				 * once with our offer (late offer) */
	IMSG_MEDIA_RTP_REMOTE,	/* x: S->M struct media_rtp_desc of the PBX */
	IMSG_MEDIA_RTP_LOCAL,	/* x: M->S our RTP side */
	IMSG_MEDIA_WEBRTC_REMOTE, /* x: K->M struct media_webrtc_desc of Kandy */
	IMSG_MEDIA_WEBRTC_LOCAL, /* x: M->K our WebRTC side, gathering done */
	IMSG_MEDIA_WEBRTC_START, /* (none): K->M inbound: our answer goes to
				 * Kandy, ICE may check */
	IMSG_MEDIA_DTMF,	/* bd: S->M RFC 4733 event, duration in ms */
	IMSG_MEDIA_EVENT,	/* ds: M->S,K enum media_event, detail */
	IMSG_MEDIA_FREE,	/* (none): S,K->M the call is over */
	IMSG_TURN_CREDS,	/* ssd: K->M username, password, lifetime s */

	/* bridgectl -> parent */
	IMSG_CTL_SHOW_STATUS,	/* (none) */
	IMSG_CTL_RELOAD,	/* (none) */
	IMSG_CTL_LOG_VERBOSE,	/* d: verbose */
	IMSG_CTL_TEST_SANDBOX,	/* b: proc to provoke */

	/*
	 * bridgectl -> parent -> the child that knows (sipd: calls and
	 * registrations; kandyd: the Kandy account).  Between the parent and
	 * the child the header's call field carries the control connection's
	 * id; the child's rows, CTL_RESULT and CTL_END come back with it and
	 * the parent relays them unchanged.
	 */
	IMSG_CTL_SHOW_CALLS,	/* (none) */
	IMSG_CTL_SHOW_REGS,	/* (none) */
	IMSG_CTL_SHOW_KANDY,	/* (none) */
	IMSG_CTL_HANGUP,	/* q: call id */

	/* parent -> bridgectl (relayed from a child where it answers) */
	IMSG_CTL_STATUS,	/* sdsqdss: name, pid, state, start time, restarts,
				 * last exit, linked peers */
	IMSG_CTL_CALL,		/* qssssqqss: call id, direction, from, to, state,
				 * start time, answer time or 0, Kandy session,
				 * media ports */
	IMSG_CTL_REG,		/* sssssqq: AOR, contact, user, source, state,
				 * since, expiry time */
	IMSG_CTL_KANDY,		/* ss: name, value (one line of show kandy) */
	IMSG_CTL_RESULT,	/* ds: 0 ok / errno-like code, message */
	IMSG_CTL_END,		/* (none): end of a listing */

	/*
	 * Media figures: bridgectl -> parent -> mediad, rows back the same
	 * way (relayed like the other CTL_* answers); the call record's
	 * media part, mediad -> sipd.
	 */
	IMSG_CTL_SHOW_MEDIA,	/* q: call id, 0 for every call */
	IMSG_CTL_MEDIA,		/* qsqqqqddddddss: one leg of a call: call id,
				 * leg ("pbx", "kandy"), packets in, out,
				 * bytes in, out, packets lost, jitter us,
				 * lost and jitter us as the peer reports our
				 * stream, round trip us (0xffffffff unknown),
				 * MOS x 100 (0 unknown), state, path */
	IMSG_MEDIA_STATS,	/* s: M->S the media part of the call record,
				 * sent when the call is freed ("" when
				 * mediad had no such call) */

	/*
	 * sipd <-> kandyd, after the call set-up: the Kandy session, a
	 * Retry-After for a 503, the PBX's re-offers, and the live-call list
	 * a restarted kandyd picks its calls up from.
	 */
	IMSG_CALL_SESSION,	/* s: K->S Kandy session id of the call */
	IMSG_CALL_RETRY,	/* d: K->S Retry-After (s) for the CALL_END 503
				 * that follows */
	IMSG_CALL_UPDATE,	/* b: S->K the PBX re-offered (re-INVITE or
				 * UPDATE) on an answered call: its enum
				 * media_dir */
	IMSG_CALL_SYNC,		/* (none): K->S list the live calls; S->K the
				 * list is complete */
	IMSG_CALL_LIVE,		/* bbs: S->K one live call: 1 from Kandy, 1
				 * answered, Kandy session id or "" */

	IMSG_KANDY_STATE,	/* bd: K->S the Kandy account for the trunk:
				 * enum kandy_trunk, Retry-After (s) when
				 * down; sent on change and to a new sipd */

	/*
	 * sipd -> parent: the PBX challenged our INVITE; the header's call
	 * field carries the call id.  enum digest_alg, realm, nonce, nc,
	 * cnonce, qop ("" without), method, uri.
	 */
	IMSG_AUTH_ANSWER,	/* bsssssss */
	/* parent -> sipd: username, response ("" when it cannot answer) */
	IMSG_AUTH_ANSWERED,	/* ss */

	/*
	 * kandyd -> sipd: Kandy's re-offer changed the direction of an
	 * answered call (the far party holds or resumes): the enum media_dir
	 * we now offer the PBX in a re-INVITE (sendonly, inactive, sendrecv).
	 */
	IMSG_CALL_HOLD,		/* b: K->S */

	IMSG_MAX
};

/* proc.c */
const char	*proc_name(enum kb_proc);

#endif /* KB_PROC_H */
