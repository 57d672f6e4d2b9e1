/*
 * sipd's SIP engine alone, with an in-process backend standing in for the
 * parent, kandyd and mediad: digest responses are checked against the
 * password in $SIPD_TEST_PASSWORD (answered asynchronously, as the parent
 * would), calls are answered at once with a fixed local media
 * description, and every event is printed on stdout for the test to read.
 * SIGUSR1 and SIGUSR2 play kandyd's CALL_HOLD (sendonly, sendrecv) for
 * the newest call from the PBX.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>

#include "log.h"
#include "sdp_media.h"
#include "sipd.h"

struct verdict {
	uint64_t	 id;
	int		 ok;
};

static struct sipd	*sd;
static su_root_t	*root;
static const char	*password;
static int		 busy;
static int		 no_answer;
static int		 quick_verdict;	/* -Q: no delay (benchmarks) */
static struct verdict	 verdicts[64];
static int		 nverdicts;
static su_timer_t	*verdict_timer;
static int		 call_pbx;	/* -O: call the PBX once registered */
static int		 keep_out;	/* -K: no hangup of that call */
static su_timer_t	*out_timer;
static uint64_t		 out_call = 0x4b616e6479ULL;
static const char	*trunk_user = "3cx";
static su_timer_t	*answer_timer;
static uint64_t		 answer_call;	/* a challenge being answered */
static char		 answer_resp[DIGEST_HEXLEN_MAX];
static uint64_t		 last_call;	/* the newest call from the PBX */
static volatile sig_atomic_t hold_signal; /* SIGUSR1 hold, SIGUSR2 resume */
static volatile sig_atomic_t count_signal; /* SIGHUP: print transactions */
static su_timer_t	*hold_timer;

static void
local_media(struct media_rtp_desc *local)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&local->addr;
	int			 i;

	memset(local, 0, sizeof(*local));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(20000);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	local->dir = MEDIA_SENDRECV;
	local->ptime = 20;
	local->ncodecs = 3;
	local->codecs[0] = (struct media_codec_desc){ CODEC_PCMU, 0, 1, 8000 };
	local->codecs[1] = (struct media_codec_desc){ CODEC_PCMA, 8, 1, 8000 };
	local->codecs[2] = (struct media_codec_desc){ CODEC_TELEPHONE_EVENT,
	    101, 1, 8000 };
	/* An SDES key as mediad makes one: bytes 0x40, 0x41, ... */
	local->crypto.suite = CRYPTO_AES_CM_128_HMAC_SHA1_80;
	local->crypto.tag = 1;
	for (i = 0; i < MEDIA_SRTP_KEYLEN; i++)
		local->crypto.key[i] = 0x40 + i;
}

static void
out_start(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg)
{
	struct media_rtp_desc	 local;
	int			 rv;

	local_media(&local);
	rv = sipd_call_out(sd, out_call, "+971 50 123 4567", "+97141234567",
	    "Kandy \"Caller\"", &local);
	printf("OUT START %d\n", rv);
}

static void
out_hangup(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg)
{
	printf("OUT HANGUP %d\n", sipd_call_hangup(sd, out_call));
}

static void
call_progress(void *arg, uint64_t id, int status)
{
	printf("OUT PROGRESS %llu %d\n", (unsigned long long)id, status);
}

static void
call_early_media(void *arg, uint64_t id, const struct media_rtp_desc *remote)
{
	printf("OUT EARLY %llu codecs=%d pt0=%d port=%d\n",
	    (unsigned long long)id, remote->ncodecs,
	    remote->ncodecs ? remote->codecs[0].pt : -1,
	    ntohs(((const struct sockaddr_in *)&remote->addr)->sin_port));
}

static void
call_answered(void *arg, uint64_t id, const struct media_rtp_desc *remote)
{
	if (remote == NULL)
		printf("OUT ANSWERED %llu as early\n", (unsigned long long)id);
	else
		printf("OUT ANSWERED %llu codecs=%d pt0=%d\n",
		    (unsigned long long)id, remote->ncodecs,
		    remote->ncodecs ? remote->codecs[0].pt : -1);
	if (!keep_out)
		su_timer_set_interval(out_timer, out_hangup, NULL, 300);
}

static void
answer_deliver(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg)
{
	sipd_challenge_answer(sd, answer_call, answer_resp[0] ? trunk_user :
	    "", answer_resp);
}

/* As the parent does: the response from the trunk password, later. */
static void
answer_challenge(void *arg, uint64_t id, const struct digest_params *p)
{
	struct digest_params	 q = *p;
	char			 ha1[DIGEST_HEXLEN_MAX];

	q.username = trunk_user;
	answer_resp[0] = '\0';
	if (*password != '\0' && digest_ha1(p->alg, trunk_user, p->realm,
	    password, ha1) == 0 && digest_response(&q, ha1, answer_resp) != 0)
		answer_resp[0] = '\0';
	printf("OUT CHALLENGE %llu %s realm=%s qop=%s\n",
	    (unsigned long long)id, digest_alg_name(p->alg), p->realm,
	    p->qop ? p->qop : "-");
	answer_call = id;
	su_timer_set(answer_timer, answer_deliver, NULL);
}

static void
call_failed(void *arg, uint64_t id, int status)
{
	printf("OUT FAILED %llu %d\n", (unsigned long long)id, status);
}

static void
deliver(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg)
{
	struct verdict	 v[64];
	int		 i, n = nverdicts;

	memcpy(v, verdicts, sizeof(v));
	nverdicts = 0;
	for (i = 0; i < n; i++)
		sipd_auth_result(sd, v[i].id, v[i].ok);
}

static void
verify_digest(void *arg, uint64_t id, const struct digest_params *p)
{
	int	 ok;

	ok = digest_verify(p, password, NULL);
	printf("AUTH %s %s %s\n", p->username, digest_alg_name(p->alg),
	    ok ? "ok" : "fail");
	if (nverdicts == 64 || quick_verdict) {
		sipd_auth_result(sd, id, ok);
		return;
	}
	verdicts[nverdicts].id = id;
	verdicts[nverdicts].ok = ok;
	nverdicts++;
	su_timer_set(verdict_timer, deliver, NULL);
}

static int
can_take_calls(void *arg)
{
	return (!busy);
}

static void
registration(void *arg, const struct sipd_binding_info *b)
{
	char	 host[INET6_ADDRSTRLEN];
	int	 port;

	if (b->src.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&b->src)->sin6_addr,
		    host, sizeof(host));
		port = ntohs(((struct sockaddr_in6 *)&b->src)->sin6_port);
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&b->src)->sin_addr,
		    host, sizeof(host));
		port = ntohs(((struct sockaddr_in *)&b->src)->sin_port);
	}
	if (call_pbx && b->state == REG_REGISTERED) {
		call_pbx = 0;
		su_timer_set_interval(out_timer, out_start, NULL, 100);
	}
	printf("REG %s %s contact=%s expires=%u user=%s src=%s:%d %s\n",
	    reg_state_name(b->state), b->aor,
	    b->contact[0] ? b->contact : "-", b->expires,
	    b->user[0] ? b->user : "-", host, port,
	    sipd_transport_name(b->transport));
}

static void
call_new(void *arg, const struct sipd_call_info *ci,
    const struct media_rtp_desc *remote)
{
	struct media_rtp_desc	 local;

	printf("CALL NEW %llu from=%s name=\"%s\" to=%s number=%s kandy=%s "
	    "codecs=%d pt0=%d%s\n", (unsigned long long)ci->call,
	    ci->from_user, ci->from_name, ci->to_user, ci->number,
	    ci->kandy_addr, remote ? remote->ncodecs : 0,
	    remote && remote->ncodecs ? remote->codecs[0].pt : -1,
	    remote ? "" : " late");
	if (no_answer) {
		sipd_call_ringing(sd, ci->call);
		return;
	}
	local_media(&local);
	last_call = ci->call;
	sipd_call_ringing(sd, ci->call);
	sipd_call_answer(sd, ci->call, &local);
}

/* As kandyd's CALL_HOLD: the test signals Kandy's hold or resume. */
static void
hold_catch(int sig)
{
	hold_signal = sig;
}

static void
count_catch(int sig)
{
	count_signal = sig;
}

static void
hold_poll(su_root_magic_t *m, su_timer_t *t, su_timer_arg_t *arg)
{
	int	 sig = hold_signal, dir;
	size_t	 in, out;

	if (count_signal != 0) {
		count_signal = 0;
		sipd_transactions(sd, &in, &out);
		printf("TRANSACTIONS in=%zu out=%zu\n", in, out);
	}
	if (sig == 0)
		return;
	hold_signal = 0;
	dir = sig == SIGUSR1 ? MEDIA_SENDONLY : MEDIA_SENDRECV;
	printf("HOLD %llu dir=%d %d\n", (unsigned long long)last_call, dir,
	    sipd_call_hold(sd, last_call, dir));
}

/* The PBX's answer to that re-INVITE. */
static void
call_held(void *arg, uint64_t id, const struct media_rtp_desc *remote)
{
	printf("CALL HELD %llu dir=%d\n", (unsigned long long)id, remote->dir);
}

static void
call_update(void *arg, uint64_t id, const struct media_rtp_desc *remote)
{
	int	 i, te = -1;

	for (i = 0; i < remote->ncodecs; i++)
		if (remote->codecs[i].codec == CODEC_TELEPHONE_EVENT)
			te = remote->codecs[i].pt;
	printf("CALL UPDATE %llu dir=%d port=%d te=%d\n",
	    (unsigned long long)id, remote->dir,
	    ntohs(((const struct sockaddr_in *)&remote->addr)->sin_port), te);
}

static void
call_dtmf(void *arg, uint64_t id, int event, unsigned int ms)
{
	printf("CALL DTMF %llu event=%d ms=%u\n", (unsigned long long)id,
	    event, ms);
}

static void
call_confirmed(void *arg, uint64_t id)
{
	printf("CALL CONFIRMED %llu\n", (unsigned long long)id);
}

static void
call_ended(void *arg, uint64_t id, enum sipd_end why)
{
	printf("CALL END %llu %d\n", (unsigned long long)id, why);
}

/* A whole file into a string (-T: the TLS identity, as the parent sends it). */
static char *
slurp(const char *path)
{
	FILE	*f;
	char	*buf;
	long	 n;

	if ((f = fopen(path, "r")) == NULL || fseek(f, 0, SEEK_END) == -1 ||
	    (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) == -1 ||
	    (buf = calloc(1, n + 1)) == NULL ||
	    fread(buf, 1, n, f) != (size_t)n)
		fatal("%s", path);
	fclose(f);
	return (buf);
}

static void
tls_identity(char *arg)
{
	char	*key, *cert_pem, *key_pem;

	if ((key = strchr(arg, ':')) == NULL)
		fatalx("-T certificate:key");
	*key++ = '\0';
	cert_pem = slurp(arg);
	key_pem = slurp(key);
	if (sipd_tls_identity(cert_pem, key_pem) == -1)
		fatalx("out of memory");
	free(cert_pem);
	free(key_pem);
}

static __dead void
usage(void)
{
	fprintf(stderr, "usage: sipd_harness [-bsvIKNOPQ] [-a net] [-c cps] [-e min:max:def] "
	    "[-f failures:window:time] [-n nonce-age] [-r realm] [-u user] "
	    "[-R srtp-mode] [-S session-expires:min-se] [-T cert:key] [-t t1-ms] "
	    "-l url ...\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct sipd_config	 conf;
	struct sipd_backend	 be;
	int			 ch, verbose = 0;
	unsigned int		 a, b, c, t1 = 0;

	sipd_config_defaults(&conf);
	conf.ban_failures = 0;
	while ((ch = getopt(argc, argv, "a:bc:e:f:IKl:Nn:OPQR:r:S:sT:t:u:v")) !=
	    -1) {
		switch (ch) {
		case 'a':
			if (conf.nnets == SIPD_MAXNETS ||
			    acl_parse(optarg, &conf.nets[conf.nnets++]) == -1)
				usage();
			break;
		case 'b':
			busy = 1;
			break;
		case 'c':
			conf.max_cps = strtoul(optarg, NULL, 10);
			break;
		case 'e':
			if (sscanf(optarg, "%u:%u:%u", &a, &b, &c) != 3)
				usage();
			conf.reg_min_expires = a;
			conf.reg_max_expires = b;
			conf.reg_default_expires = c;
			break;
		case 'f':
			if (sscanf(optarg, "%u:%u:%u", &a, &b, &c) != 3)
				usage();
			conf.ban_failures = a;
			conf.ban_window = b;
			conf.ban_time = c;
			break;
		case 'I':
			conf.invite_auth = 1;
			break;
		case 'l':
			if (conf.nlisten == SIPD_MAXLISTEN)
				usage();
			strlcpy(conf.listen[conf.nlisten++], optarg,
			    sizeof(conf.listen[0]));
			break;
		case 'K':
			keep_out = 1;
			break;
		case 'N':
			no_answer = 1;
			break;
		case 'P':
			conf.pai = 1;
			break;
		case 'Q':
			quick_verdict = 1;
			break;
		case 'S':
			if (sscanf(optarg, "%u:%u", &a, &b) != 2)
				usage();
			conf.session_expires = a;
			conf.min_se = b;
			break;
		case 'O':
			call_pbx = 1;
			break;
		case 'n':
			conf.nonce_maxage = strtoul(optarg, NULL, 10);
			break;
		case 'R':
			sdp_set_srtp(strtoul(optarg, NULL, 10));
			break;
		case 'r':
			strlcpy(conf.realm, optarg, sizeof(conf.realm));
			break;
		case 's':
			conf.prefer_sha256 = 1;
			break;
		case 'T':
			tls_identity(optarg);
			break;
		case 't':
			t1 = strtoul(optarg, NULL, 10);
			break;
		case 'u':
			strlcpy(conf.auth_user, optarg, sizeof(conf.auth_user));
			trunk_user = optarg;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (conf.nlisten == 0)
		usage();
	if ((password = getenv("SIPD_TEST_PASSWORD")) == NULL)
		password = "";
	/* A few rules like a UAE deployment's. */
	conf.rules[0] = (struct numrule){ NUMRULE_OUTBOUND, 0, 10, 10, 1,
	    "05", "971" };
	conf.rules[1] = (struct numrule){ NUMRULE_OUTBOUND, 1, 0, 0, 0,
	    "900", "" };
	conf.rules[2] = (struct numrule){ NUMRULE_OUTBOUND, 0, 0, 0, 2,
	    "00", "" };
	conf.rules[3] = (struct numrule){ NUMRULE_INBOUND, 0, 12, 12, 4,
	    "+971", "0" };
	conf.nrules = 4;

	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init(1, verbose, 0);
	signal(SIGPIPE, SIG_IGN);
	su_init();
	if ((root = su_root_create(NULL)) == NULL)
		fatalx("su_root_create");
	verdict_timer = su_timer_create(su_root_task(root), 10);
	out_timer = su_timer_create(su_root_task(root), 100);
	answer_timer = su_timer_create(su_root_task(root), 10);
	hold_timer = su_timer_create(su_root_task(root), 50);
	signal(SIGUSR1, hold_catch);
	signal(SIGUSR2, hold_catch);
	signal(SIGHUP, count_catch);
	su_timer_run(hold_timer, hold_poll, NULL);
	memset(&be, 0, sizeof(be));
	be.verify_digest = verify_digest;
	be.can_take_calls = can_take_calls;
	be.registration = registration;
	be.call_new = call_new;
	be.call_update = call_update;
	be.call_dtmf = call_dtmf;
	be.call_confirmed = call_confirmed;
	be.call_ended = call_ended;
	be.call_progress = call_progress;
	be.call_answered = call_answered;
	be.call_failed = call_failed;
	be.answer_challenge = answer_challenge;
	be.call_early_media = call_early_media;
	be.call_held = call_held;
	if ((sd = sipd_create(root, &conf, &be)) == NULL)
		fatalx("cannot start the SIP engine");
	/* -t: a short T1 (and T4), so finished transactions go in seconds. */
	if (t1 != 0)
		sipd_timers(sd, t1, 10 * t1);
	printf("READY\n");
	su_root_run(root);
	sipd_destroy(sd);
	su_timer_destroy(verdict_timer);
	su_root_destroy(root);
	su_deinit();
	return (0);
}
