/*
 * The PBX side of a media load run, shared by both generators: one
 * G.711 packet per call every 20 ms from one UDP socket, the calls spread
 * over the 20 ms on a grid of LOAD_TICK_US ticks.  A timerfd wakes the
 * generator at the next tick, which sends all its packets with sendmmsg,
 * stamped with one send time; between ticks it sleeps.  The PBX socket
 * is read with recvmmsg and the kernel's receive time stamp.  Also the
 * generators' helpers for the kernel's time stamps.
 */
#ifndef LOADSEND_H
#define LOADSEND_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdint.h>
#include <time.h>

#include "loadstat.h"

#define LOAD_SAMPLES	160	/* 20 ms of G.711 */
#define LOAD_PERIOD_US	20000
#define LOAD_TICK_US	200	/* 100 ticks per period */
#define LOAD_BATCH	64	/* packets per sendmmsg or recvmmsg */

/* Room for one datagram's SCM_TIMESTAMPNS. */
union load_ctl {
	struct cmsghdr	 h;
	char		 b[CMSG_SPACE(sizeof(struct timespec))];
};

/* Where call i's packets go and its sequence number; NULL: not up. */
typedef const struct sockaddr_in *(*load_dest_fn)(int, uint16_t **);

struct load_sched {
	load_dest_fn	 dest;
	struct load_dir	*far;		/* sent counted here */
	struct load_dir	*late;		/* send time behind the schedule */
	uint64_t	 start;		/* µs, monotonic */
	int64_t		 sent, total;	/* packets, due or sent so far */
	int		 n;		/* calls */
	int		 fd;		/* the PBX socket */
	int		 tfd;		/* timerfd */
};

/* loadsend.c */
uint64_t	 load_now(void);
int		 load_pbx_socket(struct sockaddr_in *);
void		 load_sched_init(struct load_sched *, int, load_dest_fn,
		    struct load_dir *, struct load_dir *);
void		 load_sched_start(struct load_sched *, int, int);
int		 load_sched_tick(struct load_sched *);
size_t		 load_packet(uint8_t *, size_t, uint16_t, uint32_t,
		    uint32_t, uint64_t);
void		 load_pbx_receive(int, struct load_dir *, int);
uint64_t	 load_rx_time(int);
int64_t		 load_rt_offset(void);
int64_t		 load_msg_time(struct msghdr *, int64_t, int64_t);

#endif
