/*
 * Number rules: how a dialled number becomes the E.164 digits used toward
 * Kandy (outbound) or toward the PBX (inbound).  Rules are tried in order;
 * the first whose prefix and length match is applied: strip leading
 * digits, then prepend.  A number that matches no rule is left unchanged
 * unless the rule list ends with a reject rule.
 */
#ifndef KB_NUMRULE_H
#define KB_NUMRULE_H

#include <stdint.h>

#define NUMRULE_MAXDIGITS	32	/* including NUL */

enum numrule_dir {
	NUMRULE_OUTBOUND = 0,	/* 3CX -> Kandy */
	NUMRULE_INBOUND		/* Kandy -> 3CX (DID routing) */
};

struct numrule {
	uint8_t		dir;		/* enum numrule_dir */
	uint8_t		reject;		/* matching numbers are refused (404) */
	uint8_t		minlen;		/* 0: any */
	uint8_t		maxlen;		/* 0: any */
	uint8_t		strip;		/* leading characters removed */
	char		prefix[NUMRULE_MAXDIGITS];	/* "" matches all; may start with '+' */
	char		prepend[NUMRULE_MAXDIGITS];
};

#endif /* KB_NUMRULE_H */
