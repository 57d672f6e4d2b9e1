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

enum imsg_type {
	IMSG_NONE = 0,

	/* parent -> child: configuration and plumbing */
	IMSG_CFG_BEGIN,		/* d: generation */
	IMSG_CFG_LOG,		/* d: verbose */
	IMSG_CFG_DONE,		/* d: generation */
	IMSG_PEER_FD,		/* b: peer proc; fd: channel to that peer */
	IMSG_PEER_GONE,		/* b: peer proc that died */
	IMSG_TEST_SANDBOX,	/* child attempts a forbidden syscall */

	/* child -> parent */
	IMSG_CFG_ACK,		/* d: generation applied */
	IMSG_RESOLVE,		/* dss: request id, host, service */

	/* parent -> child: resolver answers */
	IMSG_RESOLVE_ADDR,	/* dA: request id, one address */
	IMSG_RESOLVE_DONE,	/* dds: request id, error (0 ok), message */

	/* bridgectl -> parent */
	IMSG_CTL_SHOW_STATUS,	/* (none) */
	IMSG_CTL_RELOAD,	/* (none) */
	IMSG_CTL_LOG_VERBOSE,	/* d: verbose */
	IMSG_CTL_TEST_SANDBOX,	/* b: proc to provoke */

	/* parent -> bridgectl */
	IMSG_CTL_STATUS,	/* sdsqds: name, pid, state, start time, restarts, last exit */
	IMSG_CTL_RESULT,	/* ds: 0 ok / errno-like code, message */
	IMSG_CTL_END,		/* (none): end of a listing */

	IMSG_MAX
};

/* proc.c */
const char	*proc_name(enum kb_proc);

#endif /* KB_PROC_H */
