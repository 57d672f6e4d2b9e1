/*
 * Placeholder media endpoint: NOT REAL MEDIA.  It produces syntactically
 * valid WebRTC SDP from a template (fixed ICE credentials, a dummy
 * fingerprint, a host candidate on 127.0.0.1 that nothing listens on) so
 * that signalling can be exercised before the WebRTC endpoint exists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kandysim.h"
#include "simmedia.h"

struct simmedia_call {
	u_int		 callid;
	char		 mode[32];
	int		 offers;
	int		 answers;
};

static const char stub_sdp[] =
    "v=0\r\n"
    "o=kandysim %u %d IN IP4 127.0.0.1\r\n"
    "s=kandysim-stub\r\n"
    "t=0 0\r\n"
    "%s"
    "a=msid-semantic: WMS\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 0 8 %d\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "a=rtcp:9 IN IP4 127.0.0.1\r\n"
    "a=ice-ufrag:ksim%04u\r\n"
    "a=ice-pwd:kandysimstubpasswordnomedia\r\n"
    "a=fingerprint:sha-256 "
    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n"
    "a=setup:%s\r\n"
    "a=mid:%s\r\n"
    "a=sendrecv\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:%d telephone-event/8000\r\n"
    "a=fmtp:%d 0-15\r\n"
    "a=ssrc:%u cname:kandysim\r\n"
    "a=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host\r\n"
    "a=end-of-candidates\r\n";

/* What an answer must mirror from the offer: BUNDLE, mid, DTMF type. */
struct offer_facts {
	int	 bundle;
	char	 mid[32];
	int	 te_pt;
};

static void
offer_facts(const char *offer, struct offer_facts *f)
{
	const char	*p;
	int		 pt;

	f->bundle = offer == NULL;	/* our own offers bundle */
	strlcpy(f->mid, "0", sizeof(f->mid));
	f->te_pt = 101;
	if (offer == NULL)
		return;
	f->bundle = strstr(offer, "a=group:BUNDLE") != NULL;
	if ((p = strstr(offer, "\na=mid:")) != NULL)
		snprintf(f->mid, sizeof(f->mid), "%.*s",
		    (int)strcspn(p + 7, "\r\n"), p + 7);
	for (p = offer; (p = strstr(p, "\na=rtpmap:")) != NULL; p++)
		if (sscanf(p + 10, "%d telephone-event/8000", &pt) == 1 &&
		    strncmp(strchr(p + 10, ' ') ? strchr(p + 10, ' ') + 1 :
		    "", "telephone-event/8000", 20) == 0 && pt >= 96 &&
		    pt <= 127) {
			f->te_pt = pt;
			break;
		}
}

static char *
stub_sdp_text(struct simmedia_call *mc, int version, const char *setup,
    const char *offer)
{
	struct offer_facts	 f;
	char			 bundle[64], *s;

	offer_facts(offer, &f);
	if (f.bundle)
		snprintf(bundle, sizeof(bundle), "a=group:BUNDLE %s\r\n",
		    f.mid);
	else
		bundle[0] = '\0';
	if (asprintf(&s, stub_sdp, mc->callid + 1000, version, bundle,
	    f.te_pt, mc->callid % 10000, setup, f.mid, f.te_pt, f.te_pt,
	    mc->callid + 0x1000) == -1)
		return (NULL);
	return (s);
}

static struct simmedia_call *
stub_start(u_int callid, const char *mode)
{
	struct simmedia_call	*mc;

	mc = xcalloc(1, sizeof(*mc));
	mc->callid = callid;
	snprintf(mc->mode, sizeof(mc->mode), "%s", mode ? mode : "none");
	return (mc);
}

static char *
stub_offer(struct simmedia_call *mc)
{
	return (stub_sdp_text(mc, ++mc->offers, "actpass", NULL));
}

static char *
stub_answer(struct simmedia_call *mc, const char *offer)
{
	return (stub_sdp_text(mc, ++mc->answers, "active", offer));
}

static int
stub_remote_answer(struct simmedia_call *mc, const char *answer)
{
	return (0);
}

static json_t *
stub_stats(struct simmedia_call *mc)
{
	return (json_pack("{s:s, s:s, s:b}", "endpoint", "stub",
	    "mode", mc->mode, "real_media", 0));
}

static void
stub_stop(struct simmedia_call *mc)
{
	free(mc);
}

const struct simmedia_ops simmedia_stub = {
	"stub",
	stub_start,
	stub_offer,
	stub_answer,
	stub_remote_answer,
	stub_stats,
	stub_stop,
	NULL,
	NULL,
	NULL
};

const struct simmedia_ops *simmedia = &simmedia_stub;
