/*
 * Call quality estimate: the E-model of ITU-T G.107, simplified to what a
 * relay can measure (delay, jitter, packet loss) for G.711, and its
 * mapping of the rating factor R to a mean opinion score.
 */
#ifndef KB_EMODEL_H
#define KB_EMODEL_H

#include <stdint.h>

#define EMODEL_RTT_UNKNOWN	UINT32_MAX

/* emodel.c */
double	 emodel_r(double, double);
double	 emodel_mos_from_r(double);
double	 emodel_mos(uint32_t, uint32_t, double);

#endif /* KB_EMODEL_H */
