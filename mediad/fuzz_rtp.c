/*
 * libFuzzer target: everything mediad reads from a media socket goes
 * through the demultiplexer and then the RTP or RTCP parser.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rtp.h"
#include "rtpseq.h"
#include "rtpstat.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
sdes_sink(uint32_t ssrc, uint8_t type, const uint8_t *t, size_t len,
    void *arg)
{
	size_t	*sum = arg;

	if (len > 0)
		*sum += t[0] + t[len - 1] + type + (ssrc & 1);
}

static int
rtcp_sink(const struct rtcp_pkt *p, void *arg)
{
	struct rtcp_report	 r;
	size_t			*sum = arg;
	unsigned int		 i;

	for (i = 0; rtcp_report_get(p, i, &r) == 0; i++)
		*sum += r.ssrc + r.jitter;
	if (p->pt == RTCP_SDES)
		rtcp_sdes_walk(p, sdes_sink, sum);
	if (p->reason != NULL && p->reasonlen > 0)
		*sum += p->reason[p->reasonlen - 1];
	if (p->appdata != NULL && p->appdatalen > 0)
		*sum += p->appdata[p->appdatalen - 1];
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rtp_seqmap	 map;
	static struct rtp_recv_stats	 st;
	static uint64_t			 now;
	static uint8_t			 copy[2048];
	struct rtcp_report		 rr;
	struct rtp_hdr		 h;
	struct rtp_dtmf		 d;
	volatile size_t		 sum = 0;
	size_t			 s = 0;

	switch (pkt_classify(data, size)) {
	case PKT_RTP:
		if (rtp_parse(data, size, &h) == 0) {
			if (h.paylen > 0)
				s += h.payload[0] + h.payload[h.paylen - 1];
			if (h.extlen > 0)
				s += h.ext[h.extlen - 1];
			if (h.cc > 0)
				s += h.csrc[h.cc * 4 - 1];
			if (rtp_dtmf_parse(h.payload, h.paylen, &d) == 0)
				s += d.duration;
			/* Stream state carries over from input to input. */
			now += 20000;
			rtp_stats_update(&st, &h, now);
			rtp_stats_report(&st, now, &rr);
			s += rr.lost;
			if (size <= sizeof(copy)) {
				memcpy(copy, data, size);
				if (map.clock == 0)
					rtp_seqmap_init(&map, 1, 8000, 0, 0);
				if (size & 1)
					rtp_seqmap_drop(&map, copy, size);
				else
					rtp_seqmap_apply(&map, copy, size, now);
			}
		}
		break;
	case PKT_RTCP:
		rtcp_walk(data, size, rtcp_sink, &s);
		break;
	default:
		/* Parsers must also survive being handed the wrong kind. */
		rtp_parse(data, size, &h);
		rtcp_walk(data, size, rtcp_sink, &s);
		break;
	}
	sum = s;
	(void)sum;
	return (0);
}
