/* Figures of a media load run (loadstat.h). */
#include <sys/types.h>
#include <sys/resource.h>

#include <dirent.h>
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loadstat.h"

void
load_dir_reset(struct load_dir *d)
{
	memset(d, 0, sizeof(*d));
}

void
load_note(struct load_dir *d, int64_t us)
{
	if (us < 0)
		us = 0;
	if (us > LOAD_MAXUS)
		us = LOAD_MAXUS;
	d->hist[us]++;
	d->got++;
}

/* The pct-th percentile of the delays noted, in µs (100: the largest). */
unsigned int
load_pct(const struct load_dir *d, int pct)
{
	uint64_t	 want, seen = 0;
	unsigned int	 us;

	if (d->got == 0)
		return (0);
	want = (d->got * pct + 99) / 100;
	if (want == 0)
		want = 1;
	for (us = 0; us <= LOAD_MAXUS; us++)
		if ((seen += d->hist[us]) >= want)
			return (us);
	return (LOAD_MAXUS);
}

/* Per cent of the packets sent that did not arrive. */
double
load_loss(const struct load_dir *d)
{
	if (d->sent == 0 || d->got >= d->sent)
		return (0);
	return (100.0 * (double)(d->sent - d->got) / (double)d->sent);
}

/* The send time travels in the payload's first 8 bytes, big-endian. */
uint64_t
load_stamp(const uint8_t *p)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (v);
}

void
load_restamp(uint8_t *p, uint64_t us)
{
	int	 i;

	for (i = 7; i >= 0; i--, us >>= 8)
		p[i] = us & 0xff;
}

/* utime and stime (fields 14, 15) of /proc/PID/stat; VmRSS of status. */
int
load_proc_read(pid_t pid, struct load_proc *lp)
{
	char		 path[64], line[1024];
	struct timespec	 ts;
	clockid_t	 clk;
	FILE		*f;

	/*
	 * The process's CPU clock, in ns: /proc's ticks (10 ms) are too
	 * coarse for a 2 s silent window of 50 calls.
	 */
	if (clock_getcpuclockid(pid, &clk) != 0 ||
	    clock_gettime(clk, &ts) == -1)
		return (-1);
	lp->cpu_ns = (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	lp->rss_kib = lp->anon_kib = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %lu", &lp->rss_kib) != 1)
			sscanf(line, "RssAnon: %lu", &lp->anon_kib);
	fclose(f);
	return (0);
}

void
load_header(void)
{
	printf("%6s %6s %9s %9s %7s %7s %7s %7s %9s %9s %8s %9s %7s %7s "
	    "%6s %9s\n", "calls", "up", "loss>far%", "loss>pbx%", "p50us",
	    "p99us", "p99<us", "max_us", "cpu_us/cs", "cpu_us/pk", "KiB/call",
	    "idle_us/cs", "late99", "latemax", "gen%", "anon/call");
}

/*
 * One step's line: calls set up and carrying audio, loss each way, the
 * delay toward the far end (p50, p99, max) and back (p99), CPU per
 * call-second and per relayed packet over the load window, RSS growth
 * per call since idle, CPU per call-second with the calls up but silent.
 * Last, the growth of private memory (RssAnon: heap and anonymous maps,
 * not the library code the first call pages in) per call since idle.
 * p0: idle, no calls; pi..pa: silent window (LOAD_SILENT_MS, after
 * LOAD_SETTLE_MS); pa..pb: the load.
 * Then the generator's own figures: how late it sent behind its schedule
 * (p99, max, µs) and its CPU over the window in per cent of one core; a
 * generator near 100 % or sending late is the bottleneck, not the relay.
 * Whether the step meets < 0.1 % loss and p99 < 1 ms both ways.
 */
int
load_report(int n, int up, int seconds, const struct load_dir *far,
    const struct load_dir *pbx, const struct load_proc *p0,
    const struct load_proc *pi, const struct load_proc *pa,
    const struct load_proc *pb, const struct load_dir *late,
    const struct load_proc *ga, const struct load_proc *gb)
{
	double		 cpu_us, idle_us;
	uint64_t	 relayed = far->got + pbx->got;

	cpu_us = (double)(pb->cpu_ns - pa->cpu_ns) / 1e3;
	idle_us = (double)(pa->cpu_ns - pi->cpu_ns) / 1e3;
	printf("%6d %6d %9.3f %9.3f %7u %7u %7u %7u %9.1f %9.2f %8.1f %9.1f "
	    "%7u %7u %6.1f %9.1f\n",
	    n, up, load_loss(far), load_loss(pbx), load_pct(far, 50),
	    load_pct(far, 99), load_pct(pbx, 99), load_pct(far, 100),
	    up ? cpu_us / ((double)up * seconds) : 0,
	    relayed ? cpu_us / relayed : 0,
	    (double)((long)pb->rss_kib - (long)p0->rss_kib) / n,
	    idle_us * 1000 / ((double)n * LOAD_SILENT_MS), load_pct(late, 99),
	    load_pct(late, 100), (double)(gb->cpu_ns - ga->cpu_ns) / 1e7 /
	    seconds,
	    (double)((long)pb->anon_kib - (long)p0->anon_kib) / n);
	fflush(stdout);
	return (up == n && load_loss(far) < 0.1 && load_loss(pbx) < 0.1 &&
	    load_pct(far, 99) < 1000 && load_pct(pbx, 99) < 1000);
}

/*
 * Every call is several descriptors, in the generator and in the relay:
 * 1,000 calls need more than the usual 1,024.  As many as allowed, up to
 * 64 Ki.
 */
void
load_nofile(int maxcalls)
{
	struct rlimit	 rl;

	rl.rlim_cur = rl.rlim_max = 65536;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1 &&
	    (getrlimit(RLIMIT_NOFILE, &rl) == -1 ||
	    (rl.rlim_cur = rl.rlim_max, setrlimit(RLIMIT_NOFILE, &rl) == -1)))
		err(1, "setrlimit RLIMIT_NOFILE");
	if (rl.rlim_cur < 8 * (rlim_t)maxcalls)
		warnx("RLIMIT_NOFILE %llu: may not be enough for %d calls",
		    (unsigned long long)rl.rlim_cur, maxcalls);
}

/*
 * The generator runs at LOAD_NICE: when the host's two cores are short
 * (the relay, the generator, whatever else runs there), it keeps its
 * schedule and the relay waits, so that the figures are the relay's.  It
 * competes with every runnable thread alike, and rtpengine runs five at
 * 1,000 calls.  The relay's threads get nice 0 from here (its own
 * privileges are dropped): after the fork and again before each window,
 * for the threads it started since.
 */
void
load_nice(void)
{
	if (setpriority(PRIO_PROCESS, 0, LOAD_NICE) == -1)
		warn("setpriority %d", LOAD_NICE);
}

void
load_relay_nice(pid_t pid)
{
	char		 path[64];
	struct dirent	*de;
	DIR		*d;

	setpriority(PRIO_PROCESS, pid, 0);
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if ((d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			setpriority(PRIO_PROCESS, atoi(de->d_name), 0);
	closedir(d);
}
