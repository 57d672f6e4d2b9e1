/*
 * RTP receiver statistics, after RFC 3550 appendix A (written anew).
 */
#include <string.h>

#include "rtpstat.h"

#define MAX_DROPOUT	3000	/* forward jump still taken as loss */
#define MAX_MISORDER	100	/* backward step still taken as reordering */
#define SEQ_MOD		65536u

void
rtp_stats_init(struct rtp_recv_stats *s, uint32_t ssrc, uint32_t clock)
{
	memset(s, 0, sizeof(*s));
	s->ssrc = ssrc;
	s->clock = clock;
}

static void
restart_at(struct rtp_recv_stats *s, uint16_t seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = SEQ_MOD + 1;	/* no pending jump */
	s->cycles = 0;
	s->received = 0;
	s->received_prior = 0;
	s->expected_prior = 0;
}

/*
 * Account for one packet that arrived at arrival_us.  Returns 0 if it was
 * counted, -1 if it is a jump not (yet) believed: a single stray packet far
 * from the sequence must not wreck the counters.
 */
int
rtp_stats_update(struct rtp_recv_stats *s, const struct rtp_hdr *h,
    uint64_t arrival_us)
{
	uint16_t	 udelta;
	int64_t		 arrival, transit, d;

	if (!s->started) {
		restart_at(s, h->seq);
		s->started = 1;
	} else {
		udelta = h->seq - s->max_seq;
		if (udelta < MAX_DROPOUT) {
			/* In order, maybe with a gap. */
			if (h->seq < s->max_seq)
				s->cycles += SEQ_MOD;
			s->max_seq = h->seq;
		} else if (udelta <= SEQ_MOD - MAX_MISORDER) {
			/* A big jump: believe it when the next one follows. */
			if (h->seq == s->bad_seq) {
				restart_at(s, h->seq);
				s->restarts++;
			} else {
				s->bad_seq = (h->seq + 1) & (SEQ_MOD - 1);
				return (-1);
			}
		}
		/* else: duplicate or reordered, counted below */
	}
	s->received++;
	s->bytes += h->paylen;

	/* Interarrival jitter (A.8), in RTP clock units. */
	if (s->clock != 0) {
		arrival = (int64_t)(arrival_us * s->clock / 1000000);
		transit = arrival - (int64_t)h->ts;
		if (s->have_transit) {
			d = transit - s->transit;
			if (d < 0)
				d = -d;
			/* J += (|D| - J) / 16, kept times 16. */
			s->jitter_q4 += (uint32_t)d - ((s->jitter_q4 + 8) >> 4);
		}
		s->transit = transit;
		s->have_transit = 1;
	}
	return (0);
}

/* A sender report for this source arrived: remember it for LSR/DLSR. */
void
rtp_stats_sr(struct rtp_recv_stats *s, uint64_t ntp, uint64_t arrival_us)
{
	s->lsr = (uint32_t)(ntp >> 16);
	s->lsr_at = arrival_us;
}

uint32_t
rtp_stats_ext_max(const struct rtp_recv_stats *s)
{
	return (s->cycles + s->max_seq);
}

/* Cumulative packets lost; negative when duplicates outnumber losses. */
int64_t
rtp_stats_lost(const struct rtp_recv_stats *s)
{
	int64_t	 expected;

	if (!s->started)
		return (0);
	expected = (int64_t)rtp_stats_ext_max(s) - s->base_seq + 1;
	return (expected - (int64_t)s->received);
}

/* Jitter in RTP clock units. */
uint32_t
rtp_stats_jitter(const struct rtp_recv_stats *s)
{
	return (s->jitter_q4 >> 4);
}

/* Fill a report block for now_us and start a new reporting interval. */
void
rtp_stats_report(struct rtp_recv_stats *s, uint64_t now_us,
    struct rtcp_report *r)
{
	uint32_t	 expected, exp_int;
	int64_t		 rec_int, lost_int, lost;
	uint64_t	 dlsr;

	memset(r, 0, sizeof(*r));
	r->ssrc = s->ssrc;
	if (!s->started)
		return;
	expected = rtp_stats_ext_max(s) - s->base_seq + 1;
	exp_int = expected - s->expected_prior;
	rec_int = (int64_t)(s->received - s->received_prior);
	s->expected_prior = expected;
	s->received_prior = s->received;
	lost_int = (int64_t)exp_int - rec_int;
	if (exp_int != 0 && lost_int > 0)
		r->fraction = (uint8_t)((lost_int << 8) / exp_int);
	/* The field is 24 bits, signed: clamp. */
	lost = rtp_stats_lost(s);
	if (lost > 0x7fffff)
		lost = 0x7fffff;
	if (lost < -0x800000)
		lost = -0x800000;
	r->lost = (int32_t)lost;
	r->highest_seq = rtp_stats_ext_max(s);
	r->jitter = rtp_stats_jitter(s);
	if (s->lsr_at != 0 && now_us >= s->lsr_at) {
		r->lsr = s->lsr;
		/* In units of 1/65536 s. */
		dlsr = (now_us - s->lsr_at) * 65536 / 1000000;
		r->dlsr = dlsr > UINT32_MAX ? UINT32_MAX : (uint32_t)dlsr;
	}
}
