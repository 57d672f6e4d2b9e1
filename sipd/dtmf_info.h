/*
 * SIP INFO DTMF bodies: application/dtmf-relay ("Signal=5\r\nDuration=160")
 * and application/dtmf ("5").
 */
#ifndef SIPD_DTMF_INFO_H
#define SIPD_DTMF_INFO_H

#include <stddef.h>

#define DTMF_OK		0
#define DTMF_EBODY	(-1)	/* a DTMF type, but a body we cannot use: 400 */
#define DTMF_ETYPE	(-2)	/* not a DTMF body: 415 */

/*
 * The RFC 4733 event code (0-9, * 10, # 11, A-D 12-15, flash 16) and the
 * duration in ms (250 when the body gives none).
 */
int	 dtmf_info_parse(const char *, const char *, size_t, int *,
	    unsigned int *);

#endif /* SIPD_DTMF_INFO_H */
