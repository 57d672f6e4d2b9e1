/*
 * sipd's number handling on top of the rules in common/numrule.h.
 */
#ifndef SIPD_NUMRULES_H
#define SIPD_NUMRULES_H

#include <stddef.h>

#include "numrule.h"

#define NUMRULE_OK		0
#define NUMRULE_REJECTED	(-2)	/* a reject rule matched: 404 */
#define NUMRULE_BAD		(-1)	/* not a number: 404 or 484 */

/* Drop visual separators; digits with at most one leading '+'. */
int	 numrule_normalise(const char *, char *, size_t);
const struct numrule *numrule_match(const struct numrule *, size_t,
	    enum numrule_dir, const char *);
/* Normalise, then apply the first matching rule of that direction. */
int	 numrule_apply(const struct numrule *, size_t, enum numrule_dir,
	    const char *, char *, size_t);
/* Plain E.164 digits (no '+') from a rule's result. */
int	 numrule_e164(const char *, char *, size_t);
/* "tel:+<digits>", or "sip:<digits>@<domain>" when a domain is given. */
int	 numrule_kandy_address(const char *, const char *, char *, size_t);
const char *numrule_result_name(int);
/* A Kandy user name rather than a number: a letter, then [A-Za-z0-9._-]. */
int	 numrule_kandy_user(const char *);

#endif /* SIPD_NUMRULES_H */
