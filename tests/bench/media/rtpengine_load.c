/*
 * The peer of mediad_load: the same N G.711 20 ms calls through
 * rtpengine in userspace (no kernel module), RTP toward "3CX" and
 * SRTP with SDES (AES_CM_128_HMAC_SHA1_80) toward an echo peer of ours,
 * driven by rtpengine's ng control protocol (bencode over UDP).  The same
 * figures as mediad_load, from rtpengine's /proc entry.  The PBX side is
 * loadsend.c's; the echo peer is one UDP socket for every call (each
 * call's SRTP comes from its own rtpengine port), read and answered in
 * batches.
 *
 *	rtpengine_load RTPENGINE [SECONDS [N ...]]
 */
#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/base64.h>

#include "rtp.h"
#include "srtp.h"

#include "loadsend.h"
#include "loadstat.h"

#define MAXCALLS	2000
#define SUITE		"AES_CM_128_HMAC_SHA1_80"

struct call {
	struct sockaddr_in	 to_a;		/* rtpengine, RTP side */
	struct sockaddr_in	 to_b;		/* rtpengine, SRTP side */
	struct srtp_pair	*srtp;
	uint16_t		 seq, far_seq;
};

static struct call	 calls[MAXCALLS];
static int		 ncalls, ng_sock, pbx_sock, far_sock, ep;
static struct sockaddr_in pbx_addr, ng_addr, far_addr;
static int		 call_by_port[65536];	/* rtpengine's SRTP port: call + 1 */
static struct load_dir	 to_far, to_pbx, late;
static int		 sending, sending_done;
static struct load_sched sched;

/* One ng command (a bencoded dictionary) and the SDP of its answer. */
static int
ng(const char *dict, char *sdp, size_t size)
{
	static unsigned int	 cookie;
	char			 out[8192], in[8192], want[32], *p, *e;
	struct pollfd		 pfd = { 0, POLLIN, 0 };
	ssize_t			 n;
	unsigned long		 len;
	int			 tries;

	pfd.fd = ng_sock;
	snprintf(want, sizeof(want), "c%u ", ++cookie);
	n = snprintf(out, sizeof(out), "%s%s", want, dict);
	for (tries = 0; tries < 50; tries++) {
		sendto(ng_sock, out, n, 0, (struct sockaddr *)&ng_addr,
		    sizeof(ng_addr));
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		if ((n = recv(ng_sock, in, sizeof(in) - 1, 0)) <= 0)
			continue;
		in[n] = '\0';
		if (strncmp(in, want, strlen(want)) != 0)
			continue;
		if ((p = strstr(in, "3:sdp")) == NULL) {
			warnx("ng: %s", in);
			return (-1);
		}
		len = strtoul(p + 5, &e, 10);
		if (*e != ':' || len >= size || e + 1 + len > in + n)
			return (-1);
		memcpy(sdp, e + 1, len);
		sdp[len] = '\0';
		return (0);
	}
	warnx("ng: no answer from rtpengine");
	return (-1);
}

/* c= and m= of an SDP: where rtpengine wants the media. */
static int
sdp_where(const char *sdp, struct sockaddr_in *sin)
{
	char		 ip[64];
	const char	*p;
	unsigned int	 port;

	if ((p = strstr(sdp, "c=IN IP4 ")) == NULL ||
	    sscanf(p + 9, "%63[0-9.]", ip) != 1 ||
	    (p = strstr(sdp, "m=audio ")) == NULL ||
	    sscanf(p + 8, "%u", &port) != 1)
		return (-1);
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	return (inet_pton(AF_INET, ip, &sin->sin_addr) == 1 ? 0 : -1);
}

static int
udp_socket(struct sockaddr_in *sin)
{
	socklen_t	 slen = sizeof(*sin);
	int		 s, bufsz = 4 << 20;

	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)) == -1)
		err(1, "socket");
	setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &bufsz, sizeof(bufsz));
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)sin, sizeof(*sin)) == -1 ||
	    getsockname(s, (struct sockaddr *)sin, &slen) == -1)
		err(1, "bind");
	return (s);
}

#define SDP_HEAD	"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n" \
			"c=IN IP4 127.0.0.1\r\nt=0 0\r\n"

/* Offer from the PBX (RTP), answer from the echo peer (SRTP, SDES). */
static int
add_call(int i)
{
	struct call		*c = &calls[i];
	struct srtp_keymat	 km;
	char			 sdp[4096], ans[4096], cmd[8192], key[64];
	char			 callid[32], suite[32], *p;
	unsigned char		 raw[64];
	size_t			 n, klen;
	int			 tag;

	snprintf(callid, sizeof(callid), "load-%d-%d", (int)getpid(), i);
	n = snprintf(sdp, sizeof(sdp), SDP_HEAD "m=audio %u RTP/AVP 0\r\n"
	    "a=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=sendrecv\r\n",
	    ntohs(pbx_addr.sin_port));
	snprintf(cmd, sizeof(cmd), "d7:command5:offer7:call-id%zu:%s"
	    "8:from-tag1:a18:transport-protocol8:RTP/SAVP3:sdp%zu:%se",
	    strlen(callid), callid, n, sdp);
	if (ng(cmd, ans, sizeof(ans)) == -1 || sdp_where(ans, &c->to_b) == -1)
		return (-1);
	/* rtpengine's key for the suite we want. */
	for (p = strstr(ans, "a=crypto:"); p != NULL;
	    p = strstr(p + 1, "a=crypto:"))
		if (sscanf(p, "a=crypto:%d %31s inline:%63[A-Za-z0-9+/=]",
		    &tag, suite, key) == 3 && strcmp(suite, SUITE) == 0)
			break;
	if (p == NULL || mbedtls_base64_decode(raw, sizeof(raw), &klen,
	    (unsigned char *)key, strlen(key)) != 0 ||
	    klen != SRTP_KEYMAT_LEN)
		return (-1);
	memset(&km, 0, sizeof(km));
	km.profile = SRTP_PROFILE_AES128_CM_SHA1_80;
	memcpy(km.remote, raw, SRTP_KEYMAT_LEN);
	arc4random_buf(km.local, SRTP_KEYMAT_LEN);
	if (mbedtls_base64_encode((unsigned char *)key, sizeof(key), &klen,
	    km.local, SRTP_KEYMAT_LEN) != 0)
		return (-1);
	if ((c->srtp = srtp_pair_new(&km)) == NULL)
		return (-1);
	n = snprintf(sdp, sizeof(sdp), SDP_HEAD "m=audio %u RTP/SAVP 0\r\n"
	    "a=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=sendrecv\r\n"
	    "a=crypto:%d " SUITE " inline:%.*s\r\n", ntohs(far_addr.sin_port),
	    tag, (int)klen, key);
	snprintf(cmd, sizeof(cmd), "d7:command6:answer7:call-id%zu:%s"
	    "8:from-tag1:a6:to-tag1:b3:sdp%zu:%se", strlen(callid), callid,
	    n, sdp);
	if (ng(cmd, ans, sizeof(ans)) == -1 || sdp_where(ans, &c->to_a) == -1)
		return (-1);
	call_by_port[ntohs(c->to_b.sin_port)] = i + 1;
	return (0);
}

/*
 * The echo peer, one socket for every call: a batch read, each packet
 * unprotected and its delay noted at once; then the batch stamped again,
 * protected and sent back to the call's port in one sendmmsg.
 */
static void
echo(void)
{
	static uint8_t		 buf[LOAD_BATCH][1500];
	struct sockaddr_in	 from[LOAD_BATCH];
	union load_ctl		 ctl[LOAD_BATCH];
	struct mmsghdr		 in[LOAD_BATCH], out[LOAD_BATCH];
	struct iovec		 iov[LOAD_BATCH];
	struct rtp_hdr		 h;
	struct call		*c[LOAD_BATCH];
	size_t			 len[LOAD_BATCH], pay[LOAD_BATCH];
	int64_t			 now, off;
	int			 i, k, m, n, sent;

	do {
		memset(in, 0, sizeof(in));
		for (i = 0; i < LOAD_BATCH; i++) {
			iov[i].iov_base = buf[i];
			iov[i].iov_len = sizeof(buf[i]) - SRTP_TRAILER_ROOM;
			in[i].msg_hdr.msg_iov = &iov[i];
			in[i].msg_hdr.msg_iovlen = 1;
			in[i].msg_hdr.msg_name = &from[i];
			in[i].msg_hdr.msg_namelen = sizeof(from[i]);
			in[i].msg_hdr.msg_control = &ctl[i];
			in[i].msg_hdr.msg_controllen = sizeof(ctl[i]);
		}
		if ((n = recvmmsg(far_sock, in, LOAD_BATCH, MSG_DONTWAIT,
		    NULL)) <= 0)
			return;
		now = load_now();
		off = load_rt_offset();
		for (i = m = 0; i < n; i++) {
			if ((k = call_by_port[ntohs(from[i].sin_port)]) == 0)
				continue;
			c[m] = &calls[k - 1];
			len[m] = in[i].msg_len;
			if (srtp_pair_unprotect(c[m]->srtp, buf[i], &len[m]) != 0 ||
			    rtp_parse(buf[i], len[m], &h) == -1 ||
			    h.paylen != LOAD_SAMPLES)
				continue;
			if (sending)
				load_note(&to_far, load_msg_time(&in[i].msg_hdr,
				    off, now) - (int64_t)load_stamp(h.payload));
			pay[m] = h.payload - buf[i];
			if (m != i)
				memcpy(buf[m], buf[i], len[m]);
			m++;
		}
		now = load_now();
		for (i = k = 0; i < m; i++) {
			load_restamp(buf[i] + pay[i], now);
			put16(buf[i] + 2, ++c[i]->far_seq);
			if (srtp_pair_protect(c[i]->srtp, buf[i], &len[i],
			    sizeof(buf[i])) != 0)
				continue;
			memset(&out[k], 0, sizeof(out[k]));
			iov[k].iov_base = buf[i];
			iov[k].iov_len = len[i];
			out[k].msg_hdr.msg_iov = &iov[k];
			out[k].msg_hdr.msg_iovlen = 1;
			out[k].msg_hdr.msg_name = &c[i]->to_b;
			out[k].msg_hdr.msg_namelen = sizeof(c[i]->to_b);
			k++;
		}
		for (i = 0; i < k; i += sent > 0 ? sent : 1)
			sent = sendmmsg(far_sock, out + i, k - i, 0);
	} while (n == LOAD_BATCH);
}

static void
service(int ms)
{
	struct epoll_event	 ev[16];	/* few: the next tick comes soon */
	int			 i, n;

	n = epoll_wait(ep, ev, 16, ms);
	/* The tick first: the schedule before the echoes. */
	for (i = 0; i < n; i++)
		if (ev[i].data.u32 == MAXCALLS + 1)
			sending_done = load_sched_tick(&sched);
	for (i = 0; i < n; i++) {
		if (ev[i].data.u32 == MAXCALLS)
			load_pbx_receive(pbx_sock, &to_pbx, sending);
		else if (ev[i].data.u32 == MAXCALLS + 2)
			echo();
	}
}

static void
run(int ms)
{
	uint64_t	 end = load_now() + ms * 1000ULL;

	while (load_now() < end)
		service(5);
}

/* The PBX side of call i (loadsend.h): rtpengine's RTP port. */
static const struct sockaddr_in *
pbx_dest(int i, uint16_t **seq)
{
	*seq = &calls[i].seq;
	return (&calls[i].to_a);
}

static void
load_window(int n, int seconds)
{
	struct pollfd	 p = { sched.tfd, POLLIN, 0 };

	/* Only the tick wakes us; the echoes wait for it (mediad_load.c). */
	load_sched_start(&sched, n, seconds);
	while (!sending_done) {
		if (poll(&p, 1, -1) == -1 && errno != EINTR)
			err(1, "poll");
		service(0);
	}
	sending_done = 0;
	run(300);
}

int
main(int argc, char *argv[])
{
	char		 ngarg[64];
	char		*args[] = { argv[1], "--config-file=none", "--table=-1",
			    "--interface=127.0.0.1", ngarg, "--foreground",
			    "--log-stderr", "--log-level=3", "--port-min=20000",
			    "--port-max=32767", NULL };
	int		 steps[16], nsteps = 0, seconds = 5, i, n, up;
	struct load_proc p0, pi, pa, pb, ga, gb;
	struct epoll_event ev;
	pid_t		 pid;
	int		 best = 0, one = 1;

	if (argc < 2)
		errx(2, "usage: rtpengine_load RTPENGINE [SECONDS [N ...]]");
	if (access(argv[1], X_OK) == -1) {
		printf("SKIP: %s not installed (apt-get install "
		    "rtpengine-daemon): no peer figures\n", argv[1]);
		return (77);
	}
	if (argc > 2)
		seconds = atoi(argv[2]);
	for (i = 3; i < argc && nsteps < 16; i++)
		if ((n = atoi(argv[i])) > 0 && n <= MAXCALLS)
			steps[nsteps++] = n;
	if (nsteps == 0)
		steps[nsteps++] = 50;
	/* The relay inherits the limit across the exec. */
	load_nofile(MAXCALLS);
	signal(SIGPIPE, SIG_IGN);
	srtp_pair_global_init();
	/* A control port of this run's own: another rtpengine may be up. */
	ng_sock = udp_socket(&ng_addr);
	close(ng_sock);
	snprintf(ngarg, sizeof(ngarg), "--listen-ng=127.0.0.1:%u",
	    ntohs(ng_addr.sin_port));
	if ((pid = fork()) == 0) {
		/* Gone with us, even when we exit on an error. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execv(argv[1], args);
		_exit(127);
	}
	load_nice();
	load_relay_nice(pid);
	if ((ep = epoll_create1(0)) == -1)
		err(1, "epoll");
	{
		struct sockaddr_in	 mine;

		ng_sock = udp_socket(&mine);
	}
	pbx_sock = load_pbx_socket(&pbx_addr);
	ev.events = EPOLLIN;
	ev.data.u32 = MAXCALLS;
	epoll_ctl(ep, EPOLL_CTL_ADD, pbx_sock, &ev);
	load_sched_init(&sched, pbx_sock, pbx_dest, &to_far, &late);
	ev.data.u32 = MAXCALLS + 1;
	epoll_ctl(ep, EPOLL_CTL_ADD, sched.tfd, &ev);
	far_sock = udp_socket(&far_addr);
	if (setsockopt(far_sock, SOL_SOCKET, SO_TIMESTAMPNS, &one,
	    sizeof(one)) == -1)
		err(1, "SO_TIMESTAMPNS");
	ev.data.u32 = MAXCALLS + 2;
	epoll_ctl(ep, EPOLL_CTL_ADD, far_sock, &ev);
	{
		char	 sdp[64];

		/* Up when it answers a ping (the answer has no SDP). */
		for (i = 0; i < 100; i++) {
			usleep(100 * 1000);
			if (ng("d7:command4:pinge", sdp, sizeof(sdp)) == -1)
				break;
		}
	}
	run(500);
	if (load_proc_read(pid, &p0) == -1)
		errx(1, "rtpengine's /proc entry");
	printf("rtpengine pid %d, idle RSS %lu KiB; %d s per step\n",
	    (int)pid, p0.rss_kib, seconds);
	load_header();
	for (i = 0; i < nsteps; i++) {
		if (steps[i] <= ncalls)
			continue;
		for (up = ncalls; ncalls < steps[i]; ncalls++)
			if (add_call(ncalls) == 0)
				up++;
			else
				errx(1, "call %d not set up through rtpengine",
				    ncalls);
		run(LOAD_SETTLE_MS);
		load_proc_read(pid, &pi);
		run(LOAD_SILENT_MS);
		load_proc_read(pid, &pa);
		load_dir_reset(&to_far);
		load_dir_reset(&to_pbx);
		load_dir_reset(&late);
		load_relay_nice(pid);
		load_proc_read(getpid(), &ga);
		sending = 1;
		load_window(ncalls, seconds);
		sending = 0;
		load_proc_read(getpid(), &gb);
		load_proc_read(pid, &pb);
		to_pbx.sent = to_far.got;
		if (load_report(ncalls, up, seconds, &to_far, &to_pbx, &p0,
		    &pi, &pa, &pb, &late, &ga, &gb))
			best = ncalls;
		else if (load_loss(&to_far) > 5)
			break;
	}
	printf("max calls with < 0.1 %% loss and p99 < 1 ms: %d\n", best);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	return (0);
}
