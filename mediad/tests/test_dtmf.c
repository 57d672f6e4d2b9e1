/*
 * RFC 4733 trains: wire bytes of a digit's packets, and a receiver that
 * reports each digit once through repeats and loss.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dtmf.h"

static int	 failures;

static struct rtp_hdr
hdr(uint32_t ts, const uint8_t *pl)
{
	struct rtp_hdr	 h;

	memset(&h, 0, sizeof(h));
	h.ts = ts;
	h.payload = pl;
	h.paylen = 4;
	return (h);
}

int
main(void)
{
	struct dtmf_tx	 tx;
	struct dtmf_rx	 rx;
	struct rtp_dtmf	 ev;
	struct rtp_hdr	 h;
	uint8_t		 pl[16][4];
	int		 marker, n, i, starts, ends;
	size_t		 len;

	/* '#' for 100 ms at 8 kHz, a packet every 20 ms. */
	CHECK(dtmf_tx_start(&tx, '#', 10, 800, 160) == 0);
	for (n = 0; n < 16; n++) {
		if ((len = dtmf_tx_next(&tx, pl[n], 4, &marker)) == 0)
			break;
		CHECK(len == 4);
		CHECK(marker == (n == 0));
	}
	/* 160, 320, 480, 640, 800 (end), then two more ends. */
	CHECK(n == 7);
	CHECK(pl[0][0] == 11 && pl[0][1] == 10 && pl[0][2] == 0 &&
	    pl[0][3] == 160);
	CHECK(pl[3][1] == 10 && get16(pl[3] + 2) == 640);
	for (i = 4; i < 7; i++)
		CHECK(pl[i][1] == (0x80 | 10) && get16(pl[i] + 2) == 800);
	CHECK(dtmf_tx_next(&tx, pl[15], 4, &marker) == 0);
	CHECK(dtmf_tx_start(&tx, 'x', 10, 800, 160) == -1);
	CHECK(dtmf_tx_start(&tx, '1', 64, 800, 160) == -1);
	CHECK(dtmf_tx_start(&tx, '1', 10, 800, 0) == -1);

	/* The receiver sees one start and one end. */
	memset(&rx, 0, sizeof(rx));
	starts = ends = 0;
	for (i = 0; i < n; i++) {
		h = hdr(48000, pl[i]);
		switch (dtmf_rx_packet(&rx, &h, &ev)) {
		case 1:
			starts++;
			CHECK(ev.event == 11);
			break;
		case 2:
			ends++;
			CHECK(ev.duration == 800);
			break;
		}
	}
	CHECK(starts == 1 && ends == 1);

	/* The same digit again is a new event (new timestamp)... */
	h = hdr(56000, pl[0]);
	CHECK(dtmf_rx_packet(&rx, &h, &ev) == 1);
	/* ...and one heard only by its end packet still counts once. */
	h = hdr(64000, pl[5]);
	CHECK(dtmf_rx_packet(&rx, &h, &ev) == 1 && ev.end);
	h = hdr(64000, pl[6]);
	CHECK(dtmf_rx_packet(&rx, &h, &ev) == 0);
	h = hdr(64000, pl[0]);
	h.paylen = 3;
	CHECK(dtmf_rx_packet(&rx, &h, &ev) == -1);

	if (failures > 0) {
		fprintf(stderr, "%d failures\n", failures);
		return (1);
	}
	return (0);
}
