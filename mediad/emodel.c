/*
 * The E-model (ITU-T G.107) with every impairment a relay cannot see left
 * at its default: R = R0 - Is - Id - Ie,eff + A reduces to 93.2 - Id -
 * Ie,eff.  Id comes from the one-way delay, Ie,eff from the packet loss
 * with G.711's values from ITU-T G.113 appendix I (Ie 0, Bpl 25.1 with
 * packet loss concealment, which browsers and PBXs do) and random loss
 * (BurstR 1).
 */
#include "emodel.h"

#define R_DEFAULT	93.2	/* R0 - Is + A with G.107's default values */
#define G711_IE		0.0
#define G711_BPL	25.1
#define PTIME_MS	20	/* packetisation */
#define CODEC_MS	10	/* processing and play-out at the far end */

/* R from the one-way mouth-to-ear delay (ms) and packet loss (%). */
double
emodel_r(double delay_ms, double loss_pct)
{
	double	 id, ie;

	if (delay_ms < 0)
		delay_ms = 0;
	if (loss_pct < 0)
		loss_pct = 0;
	if (loss_pct > 100)
		loss_pct = 100;
	/* Delay impairment: gentle up to 177.3 ms, steep beyond. */
	id = 0.024 * delay_ms;
	if (delay_ms > 177.3)
		id += 0.11 * (delay_ms - 177.3);
	/* Equipment impairment with random loss. */
	ie = G711_IE + (95.0 - G711_IE) * loss_pct / (loss_pct + G711_BPL);
	return (R_DEFAULT - id - ie);
}

/* G.107 annex B: R to MOS (conversational quality, estimated). */
double
emodel_mos_from_r(double r)
{
	if (r <= 0)
		return (1.0);
	if (r >= 100)
		return (4.5);
	return (1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6);
}

/*
 * MOS for one leg: the network's share of the delay is half the round
 * trip (0 when no report has told it yet), a jitter buffer holds two
 * jitters, and packetisation and play-out add their own.
 */
double
emodel_mos(uint32_t rtt_ms, uint32_t jitter_ms, double loss_pct)
{
	double	 d = PTIME_MS + CODEC_MS + 2.0 * jitter_ms;

	if (rtt_ms != EMODEL_RTT_UNKNOWN)
		d += rtt_ms / 2.0;
	return (emodel_mos_from_r(emodel_r(d, loss_pct)));
}
