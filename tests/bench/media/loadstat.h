/*
 * Figures of a media load run: one-way delays in a histogram of 1 µs
 * buckets, packets sent and received per direction, and a process's CPU
 * time and resident set from /proc.
 */
#ifndef LOADSTAT_H
#define LOADSTAT_H

#include <sys/types.h>
#include <stdint.h>

#define LOAD_MAXUS	100000	/* delays beyond 100 ms land in the last bucket */
#define LOAD_NICE	-10	/* the generator's; the relay's is 0 */
/*
 * After a step's calls are up and before its silent window: ICE goes on
 * checking for some seconds after the handshakes (libnice's 20 ms tick),
 * which is set-up work, not what a call costs while it lasts.
 */
#define LOAD_SETTLE_MS	5000
#define LOAD_SILENT_MS	2000	/* calls up, no audio: the idle cost */

struct load_dir {
	uint64_t	 sent, got;
	uint32_t	 hist[LOAD_MAXUS + 1];
};

struct load_proc {
	uint64_t	 cpu_ns;		/* all its threads', user and system */
	unsigned long	 rss_kib;
	unsigned long	 anon_kib;	/* RssAnon: private, not library code */
};

void		 load_dir_reset(struct load_dir *);
void		 load_note(struct load_dir *, int64_t);
unsigned int	 load_pct(const struct load_dir *, int);
double		 load_loss(const struct load_dir *);
uint64_t	 load_stamp(const uint8_t *);
void		 load_restamp(uint8_t *, uint64_t);
int		 load_proc_read(pid_t, struct load_proc *);
void		 load_nofile(int);
void		 load_nice(void);
void		 load_relay_nice(pid_t);
void		 load_header(void);
int		 load_report(int, int, int, const struct load_dir *,
		    const struct load_dir *, const struct load_proc *,
		    const struct load_proc *, const struct load_proc *,
		    const struct load_proc *, const struct load_dir *,
		    const struct load_proc *, const struct load_proc *);

#endif
