/*
 * SIP INFO DTMF bodies: application/dtmf-relay and application/dtmf to
 * RFC 4733 event codes and durations; other types and broken bodies.
 */
#include <stdio.h>
#include <string.h>

#include "dtmf_info.h"

static int	failures;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); \
		failures++;						\
	}								\
} while (0)

static int
parse(const char *ctype, const char *body, int *ev, unsigned int *ms)
{
	*ev = -2;
	*ms = 0;
	return (dtmf_info_parse(ctype, body, strlen(body), ev, ms));
}

int
main(void)
{
	static const struct {
		const char	*key;
		int		 event;
	} keys[] = {
		{ "0", 0 }, { "9", 9 }, { "*", 10 }, { "#", 11 }, { "A", 12 },
		{ "d", 15 }, { "10", 10 }, { "16", 16 },
	};
	char		 body[64];
	unsigned int	 ms, i;
	int		 ev;

	/* 3CX's form. */
	CHECK(parse("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n",
	    &ev, &ms) == DTMF_OK && ev == 5 && ms == 160);
	/* Case, spaces, LF only, no Duration, no final newline. */
	CHECK(parse("Application/DTMF-Relay", "signal = #\nduration= 90",
	    &ev, &ms) == DTMF_OK && ev == 11 && ms == 90);
	CHECK(parse("application/dtmf-relay", "Signal=1", &ev, &ms) ==
	    DTMF_OK && ev == 1 && ms == 250);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(body, sizeof(body), "Signal=%s\r\nDuration=100\r\n",
		    keys[i].key);
		CHECK(parse("application/dtmf-relay", body, &ev, &ms) ==
		    DTMF_OK && ev == keys[i].event && ms == 100);
	}
	CHECK(parse("application/dtmf", "7\r\n", &ev, &ms) == DTMF_OK &&
	    ev == 7 && ms == 250);
	CHECK(parse("application/dtmf", " * ", &ev, &ms) == DTMF_OK &&
	    ev == 10);

	/* Not DTMF at all: 415. */
	CHECK(parse("application/media_control+xml", "<x/>", &ev, &ms) ==
	    DTMF_ETYPE);
	CHECK(parse(NULL, "Signal=1", &ev, &ms) == DTMF_ETYPE);
	/* DTMF, but unusable: 400. */
	CHECK(parse("application/dtmf-relay", "Signal=X\r\n", &ev, &ms) ==
	    DTMF_EBODY);
	CHECK(parse("application/dtmf-relay", "Signal=17\r\n", &ev, &ms) ==
	    DTMF_EBODY);
	CHECK(parse("application/dtmf-relay", "Duration=100\r\n", &ev, &ms) ==
	    DTMF_EBODY);
	CHECK(parse("application/dtmf-relay", "Signal=1\r\nDuration=0\r\n",
	    &ev, &ms) == DTMF_EBODY);
	CHECK(parse("application/dtmf-relay",
	    "Signal=1\r\nDuration=99999999999\r\n", &ev, &ms) == DTMF_EBODY);
	CHECK(parse("application/dtmf-relay", "", &ev, &ms) == DTMF_EBODY);
	CHECK(parse("application/dtmf", "12", &ev, &ms) == DTMF_OK &&
	    ev == 12);
	CHECK(parse("application/dtmf", "Z", &ev, &ms) == DTMF_EBODY);
	CHECK(dtmf_info_parse("application/dtmf", "1\0", 2, &ev, &ms) ==
	    DTMF_EBODY);
	memset(body, 'x', sizeof(body));
	CHECK(dtmf_info_parse("application/dtmf-relay", body, 300, &ev, &ms) ==
	    DTMF_EBODY);

	if (failures == 0)
		printf("dtmf_info: all passed\n");
	return (failures != 0);
}
