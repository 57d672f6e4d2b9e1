/* The PBX side of a media load run (loadsend.h). */
#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/sockios.h>

#include <err.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rtp.h"

#include "loadsend.h"

#define LOAD_PKT	(12 + LOAD_SAMPLES)

uint64_t
load_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

/*
 * The one socket of every call's PBX side, on 127.0.0.1: blocking for
 * sendmmsg (it is read with MSG_DONTWAIT), room for bursts, the kernel's
 * receive time on each datagram.
 */
int
load_pbx_socket(struct sockaddr_in *sin)
{
	socklen_t	 slen = sizeof(*sin);
	int		 s, on = 1, bufsz = 8 << 20;

	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		err(1, "socket");
	setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &bufsz, sizeof(bufsz));
	setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &bufsz, sizeof(bufsz));
	if (setsockopt(s, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) == -1)
		err(1, "SO_TIMESTAMPNS");
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)sin, sizeof(*sin)) == -1 ||
	    getsockname(s, (struct sockaddr *)sin, &slen) == -1)
		err(1, "pbx socket");
	return (s);
}

void
load_sched_init(struct load_sched *s, int fd, load_dest_fn dest,
    struct load_dir *far, struct load_dir *late)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->dest = dest;
	s->far = far;
	s->late = late;
	if ((s->tfd = timerfd_create(CLOCK_MONOTONIC,
	    TFD_NONBLOCK | TFD_CLOEXEC)) == -1)
		err(1, "timerfd_create");
	/* Wake-ups on time, not up to 50 µs late (the default slack). */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
}

/*
 * Packet number i of the window: call i % n of round i / n.  Call c sends
 * in tick c * 100 / n of each 20 ms period.
 */
static uint64_t
load_due(const struct load_sched *s, int64_t i)
{
	int64_t	 ticks = LOAD_PERIOD_US / LOAD_TICK_US;

	return (s->start + (uint64_t)(i / s->n) * LOAD_PERIOD_US +
	    (uint64_t)((i % s->n) * ticks / s->n) * LOAD_TICK_US);
}

static void
load_arm(struct load_sched *s, uint64_t at)
{
	struct itimerspec	 its;

	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = at / 1000000;
	its.it_value.tv_nsec = at % 1000000 * 1000;
	if (timerfd_settime(s->tfd, TFD_TIMER_ABSTIME, &its, NULL) == -1)
		err(1, "timerfd_settime");
}

/* n calls for seconds s, from the next tick on. */
void
load_sched_start(struct load_sched *s, int n, int seconds)
{
	s->n = n;
	s->sent = 0;
	s->total = (int64_t)n * seconds * (1000000 / LOAD_PERIOD_US);
	s->start = load_now() + LOAD_TICK_US;
	load_arm(s, s->start);
}

size_t
load_packet(uint8_t *buf, size_t size, uint16_t seq, uint32_t ts,
    uint32_t ssrc, uint64_t stamp)
{
	struct rtp_hdr	 h;
	size_t		 n;

	memset(&h, 0, sizeof(h));
	h.pt = 0;
	h.seq = seq;
	h.ts = ts;
	h.ssrc = ssrc;
	n = rtp_write_header(buf, size, &h);
	memset(buf + n, 0xff, LOAD_SAMPLES);
	load_restamp(buf + n, stamp);
	return (n + LOAD_SAMPLES);
}

static void
load_flush(struct load_sched *s, struct mmsghdr *mm, int n)
{
	int	 i = 0, r;

	while (i < n) {
		if ((r = sendmmsg(s->fd, mm + i, n - i, 0)) == -1) {
			if (errno != EINTR)
				i++;	/* that one is lost: not sent */
			continue;
		}
		s->far->sent += r;
		i += r;
	}
}

/*
 * The timerfd is readable: every packet due by now goes, in batches, all
 * stamped with the time read before they are made; then the timer is set
 * to the next tick.  Returns 1 when the window's last packet went.
 */
int
load_sched_tick(struct load_sched *s)
{
	static uint8_t		 buf[LOAD_BATCH][LOAD_PKT];
	struct mmsghdr		 mm[LOAD_BATCH];
	struct iovec		 iov[LOAD_BATCH];
	const struct sockaddr_in *to;
	uint64_t		 now, due;
	uint16_t		*seq;
	int64_t			 call, round;
	int			 n;

	for (;;) {
		now = load_now();
		n = 0;
		while (s->sent < s->total && n < LOAD_BATCH &&
		    (due = load_due(s, s->sent)) <= now) {
			call = s->sent % s->n;
			round = s->sent / s->n;
			s->sent++;
			load_note(s->late, now - due);
			if ((to = s->dest(call, &seq)) == NULL)
				continue;
			iov[n].iov_base = buf[n];
			iov[n].iov_len = load_packet(buf[n], LOAD_PKT, ++*seq,
			    (uint32_t)round * LOAD_SAMPLES,
			    0x10000 + (uint32_t)call, now);
			memset(&mm[n], 0, sizeof(mm[n]));
			mm[n].msg_hdr.msg_name = (void *)to;
			mm[n].msg_hdr.msg_namelen = sizeof(*to);
			mm[n].msg_hdr.msg_iov = &iov[n];
			mm[n].msg_hdr.msg_iovlen = 1;
			n++;
		}
		load_flush(s, mm, n);
		if (s->sent == s->total) {
			load_arm(s, 0);		/* disarmed */
			return (1);
		}
		if ((due = load_due(s, s->sent)) > load_now())
			break;
	}
	/* Setting the timer again clears its expiry: no read needed. */
	load_arm(s, due);
	return (0);
}

static int64_t
load_us(const struct timespec *ts)
{
	return ((int64_t)ts->tv_sec * 1000000 + ts->tv_nsec / 1000);
}

/*
 * The kernel's time of arrival of the last datagram read from fd
 * (SIOCGSTAMPNS, CLOCK_REALTIME) on the monotonic clock, in µs; 0 when
 * it has none (the first ask turns the stamps on).
 */
uint64_t
load_rx_time(int fd)
{
	struct timespec	 ts;

	if (fd == -1 || ioctl(fd, SIOCGSTAMPNS, &ts) == -1)
		return (0);
	return (load_us(&ts) + load_rt_offset());
}

/* Monotonic minus real time, µs: the kernel's stamps are real time. */
int64_t
load_rt_offset(void)
{
	struct timespec	 mono, real;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	return (load_us(&mono) - load_us(&real));
}

/* The SCM_TIMESTAMPNS of a datagram read, monotonic µs; def if none. */
int64_t
load_msg_time(struct msghdr *mh, int64_t off, int64_t def)
{
	struct timespec	 ts;
	struct cmsghdr	*cm;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_TIMESTAMPNS) {
			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			return (load_us(&ts) + off);
		}
	return (def);
}

/*
 * The PBX socket is readable: each datagram's delay runs from its stamp
 * to the kernel's time of arrival (SO_TIMESTAMPNS, CLOCK_REALTIME, taken
 * to the monotonic clock with an offset read per batch), so that the
 * generator's own wake-up does not count.
 */
void
load_pbx_receive(int fd, struct load_dir *d, int sending)
{
	static uint8_t	 buf[LOAD_BATCH][1500];
	union load_ctl	 ctl[LOAD_BATCH];
	struct mmsghdr	 mm[LOAD_BATCH];
	struct iovec	 iov[LOAD_BATCH];
	struct rtp_hdr	 h;
	int64_t		 off, now;
	int		 i, n;

	do {
		for (i = 0; i < LOAD_BATCH; i++) {
			iov[i].iov_base = buf[i];
			iov[i].iov_len = sizeof(buf[i]);
			memset(&mm[i], 0, sizeof(mm[i]));
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
			mm[i].msg_hdr.msg_control = &ctl[i];
			mm[i].msg_hdr.msg_controllen = sizeof(ctl[i]);
		}
		if ((n = recvmmsg(fd, mm, LOAD_BATCH, MSG_DONTWAIT,
		    NULL)) <= 0)
			return;
		now = load_now();
		off = load_rt_offset();
		for (i = 0; i < n; i++) {
			if (rtp_parse(buf[i], mm[i].msg_len, &h) == -1 ||
			    h.paylen != LOAD_SAMPLES || !sending)
				continue;
			load_note(d, load_msg_time(&mm[i].msg_hdr, off, now) -
			    (int64_t)load_stamp(h.payload));
		}
	} while (n == LOAD_BATCH);
}
