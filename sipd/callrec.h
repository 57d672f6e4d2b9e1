/*
 * The call record: one log line when a call ends, with its times, how
 * each side ended it and mediad's figures for both legs.
 */
#ifndef SIPD_CALLREC_H
#define SIPD_CALLREC_H

#include <sys/queue.h>

#include <stdint.h>
#include <time.h>

#define CALLREC_MEDIALEN	1200

struct callrec {
	TAILQ_ENTRY(callrec)	 entry;		/* waiting for mediad */
	uint64_t		 id;
	char			 dir[4];	/* "out" to Kandy, "in" */
	char			 from[64];
	char			 to[64];
	time_t			 start;		/* wall clock */
	uint64_t		 start_ms;	/* monotonic */
	uint64_t		 answer_ms;	/* 0: not answered */
	uint64_t		 end_ms;
	char			 sip[96];	/* how the SIP side ended */
	char			 kandy[160];	/* how the Kandy side ended */
	char			 media[CALLREC_MEDIALEN];
};

struct su_root_s;

/* callrec.c */
void	callrec_init(struct su_root_s *);
void	callrec_start(struct callrec *, uint64_t, const char *, const char *,
	    const char *);
void	callrec_answered(struct callrec *);
void	callrec_media(struct callrec *, uint64_t, const char *);
void	callrec_end(struct callrec *, const char *, const char *, int);

#endif /* SIPD_CALLREC_H */
