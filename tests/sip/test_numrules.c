/*
 * Number rules: normalisation, first match by prefix and length, strip
 * then prepend, reject, and the Kandy address.
 */
#include <stdio.h>
#include <string.h>

#include "numrules.h"

static int	failures;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); \
		failures++;						\
	}								\
} while (0)

static const struct numrule rules[] = {
	/* 05x mobile, 10 digits: national to international */
	{ NUMRULE_OUTBOUND, 0, 10, 10, 1, "05", "971" },
	/* 00 international prefix */
	{ NUMRULE_OUTBOUND, 0, 0, 0, 2, "00", "" },
	/* premium numbers refused */
	{ NUMRULE_OUTBOUND, 1, 0, 0, 0, "900", "" },
	/* already international */
	{ NUMRULE_OUTBOUND, 0, 0, 0, 1, "+", "" },
	/* inbound: UAE numbers to national format for the PBX */
	{ NUMRULE_INBOUND, 0, 12, 12, 3, "971", "0" },
};
#define NRULES	(sizeof(rules) / sizeof(rules[0]))

static int
apply(enum numrule_dir dir, const char *in, const char *want)
{
	char	 out[NUMRULE_MAXDIGITS];
	int	 rv;

	rv = numrule_apply(rules, NRULES, dir, in, out, sizeof(out));
	if (rv != NUMRULE_OK)
		return (rv);
	if (strcmp(out, want) != 0) {
		fprintf(stderr, "%s -> %s, want %s\n", in, out, want);
		return (99);
	}
	return (0);
}

int
main(void)
{
	char	 buf[NUMRULE_MAXDIGITS], addr[128];

	CHECK(numrule_normalise("+971 (50) 123-4567", buf, sizeof(buf)) == 0);
	CHECK(strcmp(buf, "+971501234567") == 0);
	CHECK(numrule_normalise("050.123.4567", buf, sizeof(buf)) == 0);
	CHECK(strcmp(buf, "0501234567") == 0);
	CHECK(numrule_normalise("97+1", buf, sizeof(buf)) == -1);
	CHECK(numrule_normalise("++971", buf, sizeof(buf)) == -1);
	CHECK(numrule_normalise("123abc", buf, sizeof(buf)) == -1);
	CHECK(numrule_normalise("*97", buf, sizeof(buf)) == -1);
	CHECK(numrule_normalise("+", buf, sizeof(buf)) == -1);
	CHECK(numrule_normalise(" - ", buf, sizeof(buf)) == -1);
	CHECK(numrule_normalise("12345", buf, 4) == -1);

	CHECK(apply(NUMRULE_OUTBOUND, "0501234567", "971501234567") == 0);
	CHECK(apply(NUMRULE_OUTBOUND, "050 123 4567", "971501234567") == 0);
	/* Length outside the rule: next rules, none match, unchanged. */
	CHECK(apply(NUMRULE_OUTBOUND, "05012345678", "05012345678") == 0);
	CHECK(apply(NUMRULE_OUTBOUND, "00441632960001", "441632960001") == 0);
	CHECK(apply(NUMRULE_OUTBOUND, "+441632960001", "441632960001") == 0);
	CHECK(apply(NUMRULE_OUTBOUND, "9001234", "") == NUMRULE_REJECTED);
	CHECK(apply(NUMRULE_OUTBOUND, "abc", "") == NUMRULE_BAD);
	/* Rules of the other direction do not apply. */
	CHECK(apply(NUMRULE_INBOUND, "0501234567", "0501234567") == 0);
	CHECK(apply(NUMRULE_INBOUND, "971501234567", "0501234567") == 0);
	/* First match wins even when a later rule would fit better. */
	CHECK(apply(NUMRULE_OUTBOUND, "05", "05") == 0);

	CHECK(numrule_e164("971501234567", buf, sizeof(buf)) == 0);
	CHECK(strcmp(buf, "971501234567") == 0);
	CHECK(numrule_e164("+971501234567", buf, sizeof(buf)) == 0);
	CHECK(strcmp(buf, "971501234567") == 0);
	CHECK(numrule_e164("0501234567", buf, sizeof(buf)) == -1);
	CHECK(numrule_e164("1234567890123456", buf, sizeof(buf)) == -1);

	CHECK(numrule_kandy_address("971501234567", NULL, addr,
	    sizeof(addr)) == 0);
	CHECK(strcmp(addr, "tel:+971501234567") == 0);
	CHECK(numrule_kandy_address("971501234567", "example.com", addr,
	    sizeof(addr)) == 0);
	CHECK(strcmp(addr, "sip:971501234567@example.com") == 0);
	CHECK(numrule_kandy_address("97150", "a@b", addr, sizeof(addr)) == -1);
	CHECK(numrule_kandy_address("+9715", NULL, addr, sizeof(addr)) == -1);
	CHECK(numrule_kandy_address("971501234567", NULL, addr, 10) == -1);

	CHECK(numrule_kandy_user("bob"));
	CHECK(numrule_kandy_user("j.doe-2_x"));
	CHECK(!numrule_kandy_user(""));
	CHECK(!numrule_kandy_user("0501234567"));
	CHECK(!numrule_kandy_user("bob@kandy.test"));
	CHECK(!numrule_kandy_user("bob;x=1"));
	CHECK(!numrule_kandy_user("b\"ob"));
	CHECK(!numrule_kandy_user("_bob"));

	if (failures) {
		fprintf(stderr, "%d failures\n", failures);
		return (1);
	}
	return (0);
}
