/*
 * The E-model against values worked out by hand from ITU-T G.107's
 * formulas: R with no impairment, the delay knee at 177.3 ms, G.711's
 * loss impairment, the R to MOS mapping and its ends.
 */
#include <math.h>
#include <stdio.h>

#include "emodel.h"

static int	failures;

static void
near(const char *what, double got, double want, double tol)
{
	if (fabs(got - want) > tol) {
		printf("FAIL %s: %.4f, expected %.4f\n", what, got, want);
		failures++;
	} else
		printf("ok   %s: %.4f\n", what, got);
}

int
main(void)
{
	/* No delay, no loss: 93.2, MOS 4.41. */
	near("R, nothing lost", emodel_r(0, 0), 93.2, 1e-9);
	near("MOS of R 93.2", emodel_mos_from_r(93.2), 4.4094, 1e-3);
	/* Id = 0.024 d below the knee, + 0.11 (d - 177.3) above it. */
	near("R at 100 ms", emodel_r(100, 0), 93.2 - 2.4, 1e-9);
	near("R at 300 ms", emodel_r(300, 0), 93.2 - 7.2 - 0.11 * 122.7,
	    1e-9);
	/* Ie,eff = 95 Ppl / (Ppl + 25.1) for G.711 with concealment. */
	near("R at 1% loss", emodel_r(0, 1), 93.2 - 95.0 / 26.1, 1e-9);
	near("R at 10% loss", emodel_r(0, 10), 93.2 - 950.0 / 35.1, 1e-9);
	/* MOS = 1 + 0.035 R + R (R - 60)(100 - R) 7e-6 */
	near("MOS of R 50", emodel_mos_from_r(50), 1 + 1.75 - 50 * 10 * 50 *
	    7e-6, 1e-9);
	near("MOS below R 0", emodel_mos_from_r(-5), 1.0, 0);
	near("MOS above R 100", emodel_mos_from_r(120), 4.5, 0);
	/* A leg: 30 ms of packetisation and play-out, 2 jitters, RTT/2. */
	near("leg MOS, clean", emodel_mos(EMODEL_RTT_UNKNOWN, 0, 0),
	    emodel_mos_from_r(93.2 - 0.024 * 30), 1e-9);
	near("leg MOS, 200 ms RTT, 10 ms jitter", emodel_mos(200, 10, 0),
	    emodel_mos_from_r(93.2 - 0.024 * 150), 1e-9);
	if (emodel_mos(EMODEL_RTT_UNKNOWN, 0, 5) >= emodel_mos(
	    EMODEL_RTT_UNKNOWN, 0, 1) || emodel_mos(400, 0, 0) >=
	    emodel_mos(40, 0, 0)) {
		printf("FAIL: more loss or delay must not score better\n");
		failures++;
	}
	return (failures != 0);
}
