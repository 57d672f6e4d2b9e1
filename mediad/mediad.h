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
#include "ipc.h"

#define MEDIAD_MAXSERVERS	4

struct mediad_conf {
	struct cfg_media	 media;
	struct cfg_ice_server	 servers[MEDIAD_MAXSERVERS];
	/* each server's address, port set; AF_UNSPEC until resolved */
	struct sockaddr_storage	 addrs[MEDIAD_MAXSERVERS];
	unsigned int		 nservers;
};

extern struct child_ctx		 mediad_ctx;
extern struct mediad_conf	 mediad_conf;
extern int			 mediad_configured;

/* calls.c */
void	calls_init(void);
void	calls_dispatch(enum kb_proc, struct ipc_msg *);
void	calls_turn_creds(const char *, const char *, uint32_t);
unsigned int calls_count(void);

/* sandbox.c */
void	sandbox_mediad(void);

#endif /* MEDIAD_H */
