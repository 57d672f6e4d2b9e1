/*
 * Interoperability with a real WebRTC stack: headless Chromium answers an
 * offer made from our leg's description, and the two must finish ICE,
 * DTLS and SRTP and carry audio both ways (Chromium's fake microphone to
 * us, our A-law tone to it, which its statistics must count).  The SDP
 * here is a minimal test fixture; kandyd owns the real SDP.  Chromium
 * ignores loopback candidates, so meson runs this test through
 * tests/lib/isolated.sh, in a network namespace whose only other address
 * is 192.0.2.1 on a veth pair: no traffic reaches the host's real interfaces.
 * Skipped (77) without chromium.
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "check.h"
#include "dtls.h"
#include "g711.h"
#include "ice.h"
#include "log.h"
#include "rtp.h"

static int	 failures;

static const char page[] =
"<html><body><script>\n"
"(async () => {\n"
"  const offer = atob(location.hash.slice(1));\n"
"  const pc = new RTCPeerConnection({});\n"
"  await pc.setRemoteDescription({type: 'offer', sdp: offer});\n"
"  const s = await navigator.mediaDevices.getUserMedia({audio: true});\n"
"  const tr = pc.getTransceivers()[0];\n"
"  await tr.sender.replaceTrack(s.getAudioTracks()[0]);\n"
"  tr.direction = 'sendrecv';\n"
"  await pc.setLocalDescription(await pc.createAnswer());\n"
"  await new Promise(r => {\n"
"    if (pc.iceGatheringState === 'complete') r();\n"
"    pc.onicegatheringstatechange = () => {\n"
"      if (pc.iceGatheringState === 'complete') r(); };\n"
"  });\n"
"  console.log('KBANSWER ' + btoa(pc.localDescription.sdp));\n"
"  setInterval(async () => {\n"
"    const st = await pc.getStats();\n"
"    st.forEach(r => {\n"
"      if (r.type === 'inbound-rtp')\n"
"        console.log('KBIN ' + r.packetsReceived + ' ' +\n"
"            Math.round((r.totalAudioEnergy || 0) * 1000));\n"
"    });\n"
"    console.log('KBSTATE ' + pc.connectionState);\n"
"  }, 250);\n"
"})().catch(e => console.log('KBERROR ' + e));\n"
"</script></body></html>\n";

struct peer {
	struct ice_leg	*leg;
	int		 gathered, ready, failed;
	int		 rtp_in, pcma_in, loud;
	pid_t		 pid;
	int		 out;
	char		 text[262144];
	size_t		 textlen;
};

static void
on_event(struct ice_leg *l, enum ice_event ev, void *arg)
{
	struct peer	*p = arg;

	if (ev == ICE_EV_GATHERED)
		p->gathered = 1;
	else if (ev == ICE_EV_READY)
		p->ready = 1;
	else if (ev == ICE_EV_FAILED)
		p->failed = 1;
}

static void
on_rtp(struct ice_leg *l, uint8_t *buf, size_t len, void *arg)
{
	struct peer	*p = arg;
	struct rtp_hdr	 h;
	int16_t		 x[160];
	size_t		 i;

	p->rtp_in++;
	if (rtp_parse(buf, len, &h) == -1 || h.pt != 8 || h.paylen != 160)
		return;
	p->pcma_in++;
	/* Chromium's fake microphone beeps: some packets carry sound. */
	for (i = 0; i < 160; i++)
		x[i] = g711_alaw_decode(h.payload[i]);
	if (tone_energy(x, 160) > 1e-4)
		p->loud++;
}

static const char *
b64(const char *in, char *out, size_t outlen)
{
	static const char	 t[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t			 n = strlen(in), i, o = 0;
	uint32_t		 v;

	for (i = 0; i < n && o + 5 < outlen; i += 3) {
		v = (uint8_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint8_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (uint8_t)in[i + 2];
		out[o++] = t[v >> 18 & 63];
		out[o++] = t[v >> 12 & 63];
		out[o++] = i + 1 < n ? t[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? t[v & 63] : '=';
	}
	out[o] = '\0';
	return (out);
}

static size_t
unb64(const char *in, char *out, size_t outlen)
{
	const char	*t =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char	*p;
	uint32_t	 v = 0;
	size_t		 o = 0;
	int		 bits = 0;

	for (; *in != '\0' && *in != '=' && o + 1 < outlen; in++) {
		if ((p = strchr(t, *in)) == NULL)
			break;
		v = v << 6 | (uint32_t)(p - t);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)(v >> bits & 0xff);
		}
	}
	out[o] = '\0';
	return (o);
}

static void
make_offer(const struct media_webrtc_desc *d, char *sdp, size_t len)
{
	const struct sockaddr_in	*sin;
	char				 ip[INET_ADDRSTRLEN];
	size_t				 o;
	unsigned int			 i, port;

	sin = (const struct sockaddr_in *)&d->cands[0].addr;
	port = ntohs(sin->sin_port);
	o = snprintf(sdp, len,
	    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
	    "a=group:BUNDLE 0\r\n"
	    "m=audio %u UDP/TLS/RTP/SAVPF 8 101\r\n"
	    "c=IN IP4 127.0.0.1\r\n"
	    "a=mid:0\r\na=sendrecv\r\na=rtcp-mux\r\n"
	    "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n"
	    "a=fingerprint:sha-256 %s\r\na=setup:actpass\r\n"
	    "a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
	    "a=ssrc:287454020 cname:kandy-bridge\r\n",
	    port, d->ufrag, d->pwd, d->fingerprint);
	for (i = 0; i < d->ncands && o < len; i++) {
		sin = (const struct sockaddr_in *)&d->cands[i].addr;
		inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
		o += snprintf(sdp + o, len - o,
		    "a=candidate:%s 1 udp %u %s %u typ host\r\n",
		    d->cands[i].foundation, d->cands[i].priority, ip,
		    ntohs(sin->sin_port));
	}
	if (o < len)
		snprintf(sdp + o, len - o, "a=end-of-candidates\r\n");
}

/* Pick what our leg needs out of Chromium's answer. */
static int
parse_answer(char *sdp, struct media_webrtc_desc *d)
{
	char		*line, *save = NULL, f[64], proto[8], ip[64], typ[16];
	unsigned int	 comp, prio, port;
	struct ice_cand	*c;

	memset(d, 0, sizeof(*d));
	d->rtcp_mux = 1;
	for (line = strtok_r(sdp, "\r\n", &save); line != NULL;
	    line = strtok_r(NULL, "\r\n", &save)) {
		if (strncmp(line, "a=ice-ufrag:", 12) == 0)
			strlcpy(d->ufrag, line + 12, sizeof(d->ufrag));
		else if (strncmp(line, "a=ice-pwd:", 10) == 0)
			strlcpy(d->pwd, line + 10, sizeof(d->pwd));
		else if (strncmp(line, "a=fingerprint:sha-256 ", 22) == 0)
			strlcpy(d->fingerprint, line + 22,
			    sizeof(d->fingerprint));
		else if (strcmp(line, "a=setup:active") == 0)
			d->setup = SETUP_ACTIVE;
		else if (strcmp(line, "a=setup:passive") == 0)
			d->setup = SETUP_PASSIVE;
		else if (strncmp(line, "a=candidate:", 12) == 0 &&
		    d->ncands < MEDIA_MAXCANDS &&
		    sscanf(line + 12, "%63s %u %7s %u %63s %u typ %15s", f,
		    &comp, proto, &prio, ip, &port, typ) == 7 &&
		    strcasecmp(proto, "udp") == 0 && comp == 1) {
			c = &d->cands[d->ncands];
			memset(c, 0, sizeof(*c));
			strlcpy(c->foundation, f, sizeof(c->foundation));
			c->component = 1;
			c->transport = ICE_UDP;
			c->priority = prio;
			c->type = strcmp(typ, "host") == 0 ? CAND_HOST :
			    strcmp(typ, "srflx") == 0 ? CAND_SRFLX :
			    strcmp(typ, "relay") == 0 ? CAND_RELAY : CAND_PRFLX;
			if (inet_pton(AF_INET, ip,
			    &((struct sockaddr_in *)&c->addr)->sin_addr) == 1) {
				c->addr.ss_family = AF_INET;
				((struct sockaddr_in *)&c->addr)->sin_port =
				    htons(port);
				d->ncands++;
			}
		}
	}
	return (d->ufrag[0] != '\0' && d->pwd[0] != '\0' &&
	    d->fingerprint[0] != '\0' ? 0 : -1);
}

static void
read_output(struct peer *p)
{
	ssize_t	 n;

	while (p->textlen < sizeof(p->text) - 1 &&
	    (n = read(p->out, p->text + p->textlen,
	    sizeof(p->text) - 1 - p->textlen)) > 0)
		p->textlen += n;
	p->text[p->textlen] = '\0';
}

/* The last "KBIN <packets> <energy>" Chromium printed. */
static int
last_inbound(const char *text, long *pkts, long *energy)
{
	const char	*s, *last = NULL;

	for (s = text; (s = strstr(s, "KBIN ")) != NULL; s++)
		last = s;
	return (last != NULL && sscanf(last, "KBIN %ld %ld", pkts,
	    energy) == 2);
}

static void
iterate(GMainContext *ctx, struct peer *p, unsigned int ms)
{
	struct timespec	 ts;
	uint64_t	 end, now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	end = (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + ms;
	do {
		while (g_main_context_iteration(ctx, FALSE))
			;
		read_output(p);
		usleep(2000);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	} while (now < end);
}

int
main(void)
{
	GMainContext		*ctx;
	struct ice_config	 cfg;
	struct ice_callbacks	 cb;
	struct media_webrtc_desc local, remote;
	static struct peer	 p;
	static char		 sdp[8192], enc[16384], url[20000], ans[16384];
	char			 dir[] = "/tmp/kbbrowserXXXXXX", path[128];
	char			 ud[160];
	struct rtp_hdr		 h;
	uint8_t			 pkt[256];
	int16_t			 x[160];
	const char		*a, *e;
	long			 pkts = 0, energy = 0;
	size_t			 n, k;
	int			 fds[2], i, status;
	FILE			*f;

	if (system("command -v chromium >/dev/null 2>&1") != 0) {
		fprintf(stderr, "chromium not installed, skipping\n");
		return (77);
	}
	log_init(1, getenv("VERBOSE") != NULL, 0);
	signal(SIGPIPE, SIG_IGN);
	if (dtls_init() == -1 || mkdtemp(dir) == NULL)
		return (1);
	ctx = g_main_context_new();

	memset(&cfg, 0, sizeof(cfg));
	cfg.ctx = ctx;
	cfg.offerer = 1;
	cfg.nlocal = 1;
	((struct sockaddr_in *)&cfg.local[0])->sin_family = AF_INET;
	((struct sockaddr_in *)&cfg.local[0])->sin_addr.s_addr =
	    htonl(INADDR_LOOPBACK);
	cb.event = on_event;
	cb.rtp = on_rtp;
	cb.rtcp = NULL;
	cb.arg = &p;
	if ((p.leg = ice_leg_new(&cfg, &cb)) == NULL)
		return (1);
	ice_leg_gather(p.leg);
	while (!p.gathered)
		g_main_context_iteration(ctx, TRUE);
	CHECK(ice_leg_local_desc(p.leg, &local) == 0 && local.ncands > 0);
	make_offer(&local, sdp, sizeof(sdp));

	snprintf(path, sizeof(path), "%s/page.html", dir);
	if ((f = fopen(path, "w")) == NULL)
		return (1);
	fputs(page, f);
	fclose(f);
	snprintf(url, sizeof(url), "file://%s#%s", path,
	    b64(sdp, enc, sizeof(enc)));
	snprintf(ud, sizeof(ud), "--user-data-dir=%s/profile", dir);

	if (pipe(fds) == -1 || (p.pid = fork()) == -1)
		return (1);
	if (p.pid == 0) {
		char *const argv[] = { "chromium", "--headless=new",
		    "--no-sandbox", "--disable-gpu", "--no-first-run",
		    "--use-fake-device-for-media-stream",
		    "--use-fake-ui-for-media-stream", "--enable-logging=stderr",
		    "--v=0", "--disable-features=WebRtcHideLocalIpsWithMdns",
		    ud, url, NULL };

		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	p.out = fds[0];
	fcntl(p.out, F_SETFL, O_NONBLOCK);

	/* Chromium's answer. */
	for (i = 0; i < 200 && strstr(p.text, "KBANSWER ") == NULL &&
	    strstr(p.text, "KBERROR") == NULL; i++)
		iterate(ctx, &p, 100);
	if ((a = strstr(p.text, "KBANSWER ")) == NULL) {
		fprintf(stderr, "no answer from chromium:\n%s\n",
		    (e = strstr(p.text, "KBERROR")) != NULL ? e : p.text);
		failures++;
		goto out;
	}
	a += strlen("KBANSWER ");
	n = strcspn(a, "\"\r\n ");
	if (n >= sizeof(enc))
		n = sizeof(enc) - 1;
	memcpy(enc, a, n);
	enc[n] = '\0';
	unb64(enc, ans, sizeof(ans));
	CHECK(parse_answer(ans, &remote) == 0);
	CHECK(remote.setup == SETUP_ACTIVE);
	CHECK(ice_leg_set_remote(p.leg, &remote) == 0);

	/* ICE, DTLS, SRTP with Chromium. */
	for (i = 0; i < 150 && !p.ready && !p.failed; i++)
		iterate(ctx, &p, 100);
	CHECK(p.ready && !p.failed);
	if (!p.ready)
		goto out;

	/* Two seconds of our tone toward it, while its microphone plays. */
	for (i = 0; i < 100; i++) {
		memset(&h, 0, sizeof(h));
		h.pt = 8;
		h.seq = 1000 + i;
		h.ts = i * 160;
		h.ssrc = 287454020;
		h.marker = i == 0;
		n = rtp_write_header(pkt, sizeof(pkt), &h);
		tone_fill(x, 160, 1000, 0.5, 8000, (uint64_t)i * 160);
		for (k = 0; k < 160; k++)
			pkt[n + k] = g711_alaw_encode(x[k]);
		CHECK(ice_leg_send_rtp(p.leg, pkt, n + 160) == 0);
		iterate(ctx, &p, 20);
	}
	iterate(ctx, &p, 1000);
	CHECK(last_inbound(p.text, &pkts, &energy));
	fprintf(stderr, "chromium received %ld packets (energy %ld), "
	    "we received %d (%d PCMA, %d with sound)\n", pkts, energy,
	    p.rtp_in, p.pcma_in, p.loud);
	/*
	 * Chromium counts a packet only once SRTP has authenticated and
	 * decrypted it.  (Headless it plays nothing out, so no audio energy.)
	 */
	CHECK(pkts >= 90);
	CHECK(p.pcma_in >= 50 && p.loud > 0);
	CHECK(ice_leg_stats(p.leg)->auth_fail == 0);
 out:
	kill(p.pid, SIGTERM);
	waitpid(p.pid, &status, 0);
	close(p.out);
	ice_leg_free(p.leg);
	while (g_main_context_iteration(ctx, FALSE))
		;
	g_main_context_unref(ctx);
	snprintf(url, sizeof(url), "rm -rf %s", dir);
	system(url);
	if (failures > 0) {
		fprintf(stderr, "%d failures\n", failures);
		return (1);
	}
	return (0);
}
