/*
 * Number handling for sipd: clean what 3CX sends, apply the configured
 * number rules, and build the address used toward Kandy.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "numrule.h"
#include "numrules.h"

/* Characters people and PBXs put in numbers for readability. */
static int
visual_separator(char c)
{
	return (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' ||
	    c == '/' || c == '\t');
}

int
numrule_normalise(const char *in, char *out, size_t outlen)
{
	size_t	 n = 0;
	int	 digits = 0;

	if (in == NULL || outlen == 0)
		return (-1);
	for (; *in != '\0'; in++) {
		if (visual_separator(*in))
			continue;
		if (*in == '+') {
			/* Only as the first character that counts. */
			if (n != 0)
				return (-1);
		} else if (!isdigit((unsigned char)*in))
			return (-1);
		else
			digits++;
		if (n + 1 >= outlen)
			return (-1);
		out[n++] = *in;
	}
	out[n] = '\0';
	return (digits > 0 ? 0 : -1);
}

static size_t
ndigits(const char *s)
{
	return (strlen(s) - (s[0] == '+'));
}

const struct numrule *
numrule_match(const struct numrule *rules, size_t nrules,
    enum numrule_dir dir, const char *num)
{
	const struct numrule	*r;
	size_t			 i, len;

	len = ndigits(num);
	for (i = 0; i < nrules; i++) {
		r = &rules[i];
		if (r->dir != dir)
			continue;
		if (strncmp(num, r->prefix, strlen(r->prefix)) != 0)
			continue;
		if (r->minlen != 0 && len < r->minlen)
			continue;
		if (r->maxlen != 0 && len > r->maxlen)
			continue;
		return (r);
	}
	return (NULL);
}

int
numrule_apply(const struct numrule *rules, size_t nrules,
    enum numrule_dir dir, const char *in, char *out, size_t outlen)
{
	const struct numrule	*r;
	char			 num[NUMRULE_MAXDIGITS];
	const char		*rest;
	int			 n;

	if (numrule_normalise(in, num, sizeof(num)) == -1)
		return (NUMRULE_BAD);
	if ((r = numrule_match(rules, nrules, dir, num)) == NULL) {
		if (strlcpy(out, num, outlen) >= outlen)
			return (NUMRULE_BAD);
		return (NUMRULE_OK);
	}
	if (r->reject)
		return (NUMRULE_REJECTED);
	rest = strlen(num) > r->strip ? num + r->strip : "";
	n = snprintf(out, outlen, "%s%s", r->prepend, rest);
	if (n < 0 || (size_t)n >= outlen)
		return (NUMRULE_BAD);
	/* The result must still be a number. */
	if (numrule_normalise(out, num, sizeof(num)) == -1 ||
	    strcmp(out, num) != 0)
		return (NUMRULE_BAD);
	return (NUMRULE_OK);
}

int
numrule_e164(const char *in, char *out, size_t outlen)
{
	size_t	 len;

	if (in[0] == '+')
		in++;
	len = strlen(in);
	/* E.164: at most 15 digits, country code never starts with 0. */
	if (len < 3 || len > 15 || in[0] == '0' ||
	    strspn(in, "0123456789") != len)
		return (-1);
	if (strlcpy(out, in, outlen) >= outlen)
		return (-1);
	return (0);
}

int
numrule_kandy_address(const char *digits, const char *domain, char *out,
    size_t outlen)
{
	int	 n;

	if (strspn(digits, "0123456789") != strlen(digits) || *digits == '\0')
		return (-1);
	if (domain == NULL || *domain == '\0')
		n = snprintf(out, outlen, "tel:+%s", digits);
	else {
		/* A domain is a host name or literal, nothing else. */
		if (strpbrk(domain, "@;?<> \"\t\r\n") != NULL)
			return (-1);
		n = snprintf(out, outlen, "sip:%s@%s", digits, domain);
	}
	return (n < 0 || (size_t)n >= outlen ? -1 : 0);
}

int
numrule_kandy_user(const char *s)
{
	size_t	 n = strlen(s);

	return (n > 0 && n <= 64 && isalpha((unsigned char)s[0]) &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") == n);
}

const char *
numrule_result_name(int rv)
{
	switch (rv) {
	case NUMRULE_OK:
		return ("ok");
	case NUMRULE_REJECTED:
		return ("rejected by rule");
	case NUMRULE_BAD:
		return ("not a number");
	}
	return ("unknown");
}
