/*
 * mediad: the daemon around libmedia.  It gets structured media
 * descriptions over IPC (never SDP), runs one PBX leg, one WebRTC leg and
 * one relay per call, and reports events and statistics.
 */
#ifndef MEDIAD_H
#define MEDIAD_H

#include <sys/socket.h>

#include <stdint.h>

#include "cfg.h"
#include "child.h"
#include "ice.h"
#include "ipc.h"
#include "relay.h"
#include "rtpleg.h"

#define MEDIAD_MAXSERVERS	4

struct mediad_conf {
	struct cfg_media	 media;
	struct cfg_ice_server	 servers[MEDIAD_MAXSERVERS];
	/* each server's address, port set; AF_UNSPEC until resolved */
	struct sockaddr_storage	 addrs[MEDIAD_MAXSERVERS];
	unsigned int		 nservers;
};

#define FIGURE_UNKNOWN		0xffffffffU

/* One leg of a call, as bridgectl and the call record show it. */
struct leg_figures {
	uint64_t	 pkts_in, pkts_out;	/* RTP */
	uint64_t	 bytes_in, bytes_out;	/* RTP and RTCP, plain */
	uint32_t	 lost;		/* of what this side sent us */
	uint32_t	 jitter_us;
	uint32_t	 peer_lost;	/* of our stream, as this side reports */
	uint32_t	 peer_jitter_us;
	uint32_t	 rtt_us;	/* FIGURE_UNKNOWN until a report */
	uint32_t	 mos100;	/* 0 until something was received */
	char		 state[48];
	char		 path[160];
	char		 pair[16];	/* "host/relay": local/remote type */
};

extern struct child_ctx		 mediad_ctx;
extern struct mediad_conf	 mediad_conf;
extern int			 mediad_configured;

/* calls.c */
void	calls_init(void);
void	calls_dispatch(enum kb_proc, struct ipc_msg *);
void	calls_show(struct ipc_msg *);
void	calls_turn_creds(const char *, const char *, uint32_t);
unsigned int calls_count(void);
void	calls_tick(void);

/* callstats.c */
const char *cand_type_name(uint8_t);
void	figures_pbx(struct leg_figures *, const struct relay_side_stats *,
	    const struct rtp_leg *);
void	figures_web(struct leg_figures *, const struct relay_side_stats *,
	    struct ice_leg *);
void	figures_send(uint64_t, uint64_t, const char *,
	    const struct leg_figures *);
void	figures_record(char *, size_t, const struct leg_figures *,
	    const struct leg_figures *);

/* sandbox.c */
void	sandbox_mediad(void);

#endif /* MEDIAD_H */
