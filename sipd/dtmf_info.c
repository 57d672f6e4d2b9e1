/*
 * SIP INFO DTMF bodies (application/dtmf-relay and application/dtmf), as
 * 3CX and most PBXs send them, turned into an RFC 4733 event code and a
 * duration.  The body is a few "key=value" lines, not SIP or SDP.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dtmf_info.h"

#define DTMF_MAXBODY		256
#define DTMF_DEFAULT_MS		250	/* no Duration= */
#define DTMF_MAX_MS		10000

/* "5", "*", "#", "A"-"D", or the event number "0"-"16" some PBXs send. */
static int
dtmf_event(const char *s)
{
	const char	*errstr;
	long long	 n;

	if (s[0] != '\0' && s[1] == '\0') {
		if (s[0] >= '0' && s[0] <= '9')
			return (s[0] - '0');
		if (s[0] == '*')
			return (10);
		if (s[0] == '#')
			return (11);
		if (toupper((unsigned char)s[0]) >= 'A' &&
		    toupper((unsigned char)s[0]) <= 'D')
			return (12 + toupper((unsigned char)s[0]) - 'A');
		return (-1);
	}
	n = strtonum(s, 10, 16, &errstr);
	return (errstr != NULL ? -1 : (int)n);
}

static char *
trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return (s);
}

int
dtmf_info_parse(const char *ctype, const char *body, size_t len, int *event,
    unsigned int *ms)
{
	char		 buf[DTMF_MAXBODY + 1], *line, *next, *key, *val;
	const char	*errstr;
	long long	 n;
	int		 relay;

	if (ctype == NULL)
		return (DTMF_ETYPE);
	if (strcasecmp(ctype, "application/dtmf-relay") == 0)
		relay = 1;
	else if (strcasecmp(ctype, "application/dtmf") == 0)
		relay = 0;
	else
		return (DTMF_ETYPE);
	if (len == 0 || len > DTMF_MAXBODY || memchr(body, '\0', len) != NULL)
		return (DTMF_EBODY);
	memcpy(buf, body, len);
	buf[len] = '\0';
	*event = -1;
	*ms = DTMF_DEFAULT_MS;
	if (!relay) {
		/* The body is the key alone. */
		buf[strcspn(buf, "\r\n")] = '\0';
		if ((*event = dtmf_event(trim(buf))) == -1)
			return (DTMF_EBODY);
		return (DTMF_OK);
	}
	for (line = buf; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((val = strchr(line, '=')) == NULL)
			continue;
		*val++ = '\0';
		key = trim(line);
		val = trim(val);
		if (strcasecmp(key, "Signal") == 0) {
			if ((*event = dtmf_event(val)) == -1)
				return (DTMF_EBODY);
		} else if (strcasecmp(key, "Duration") == 0) {
			n = strtonum(val, 1, DTMF_MAX_MS, &errstr);
			if (errstr != NULL)
				return (DTMF_EBODY);
			*ms = (unsigned int)n;
		}
	}
	return (*event == -1 ? DTMF_EBODY : DTMF_OK);
}
