/*
 * Checks run by every receiver of a media description blob, and the
 * names used when logging one.  A blob comes from another process of
 * ours, but that process parsed network input to fill it: nothing in it
 * is trusted until these checks pass.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <ctype.h>
#include <string.h>

#include "media.h"

#define FAIL(msg)	do { if (errstr != NULL) *errstr = (msg); return (-1); } while (0)

/* The string ends inside its array. */
static int
str_terminated(const char *s, size_t size)
{
	return (memchr(s, '\0', size) != NULL);
}

/* RFC 8445 ice-char: ALPHA / DIGIT / "+" / "/". */
static int
ice_chars(const char *s)
{
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '+' && *s != '/')
			return (0);
	return (1);
}

static int
addr_port(const struct sockaddr_storage *ss, int family_only)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	switch (ss->ss_family) {
	case AF_INET:
		sin = (const struct sockaddr_in *)ss;
		return (family_only || sin->sin_port != 0);
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)ss;
		return (family_only || sin6->sin6_port != 0);
	default:
		return (0);
	}
}

static int
codecs_valid(const struct media_codec_desc *c, unsigned int n,
    const char **errstr)
{
	unsigned int	 i;

	if (n > MEDIA_MAXCODECS)
		FAIL("too many codecs");
	for (i = 0; i < n; i++) {
		if (c[i].codec == CODEC_NONE || c[i].codec > CODEC_OPUS)
			FAIL("unknown codec");
		if (c[i].pt > 127)
			FAIL("payload type out of range");
		if (c[i].clock == 0 || c[i].clock > 192000)
			FAIL("bad clock rate");
		if (c[i].channels < 1 || c[i].channels > 2)
			FAIL("bad channel count");
	}
	return (0);
}

int
media_rtp_valid(const struct media_rtp_desc *d, const char **errstr)
{
	if (!addr_port(&d->addr, 0))
		FAIL("RTP address family or port");
	if (d->rtcp_mux > 1)
		FAIL("rtcp_mux not a boolean");
	if (d->dir > MEDIA_INACTIVE)
		FAIL("direction out of range");
	if (d->ptime > 1000)
		FAIL("ptime out of range");
	if (d->crypto.suite > CRYPTO_AES_CM_128_HMAC_SHA1_32)
		FAIL("unknown crypto suite");
	if (d->crypto.tag > 999999999)
		FAIL("crypto tag out of range");
	return (codecs_valid(d->codecs, d->ncodecs, errstr));
}

/* "AB:CD:...": 32 upper-case hex pairs separated by colons. */
static int
fingerprint_valid(const char *fp)
{
	int	 i;

	if (strlen(fp) != 32 * 3 - 1)
		return (0);
	for (i = 0; i < 32 * 3 - 1; i++) {
		if (i % 3 == 2) {
			if (fp[i] != ':')
				return (0);
		} else if (!isdigit((unsigned char)fp[i]) &&
		    (fp[i] < 'A' || fp[i] > 'F'))
			return (0);
	}
	return (1);
}

static int
cand_valid(const struct ice_cand *c, const char **errstr)
{
	size_t	 len;

	if (!str_terminated(c->foundation, sizeof(c->foundation)))
		FAIL("candidate foundation not terminated");
	len = strlen(c->foundation);
	if (len < 1 || len > 32 || !ice_chars(c->foundation))
		FAIL("bad candidate foundation");
	if (c->component < 1 || c->component > 2)
		FAIL("candidate component out of range");
	if (c->type > CAND_RELAY)
		FAIL("candidate type out of range");
	if (c->transport > ICE_TCP_SO)
		FAIL("candidate transport out of range");
	/* An active TCP candidate's port is 9 (discard): nonzero anyway. */
	if (!addr_port(&c->addr, 0))
		FAIL("candidate address family or port");
	/* The related address is optional; a browser may give rport 0. */
	if (c->raddr.ss_family != AF_UNSPEC && !addr_port(&c->raddr, 1))
		FAIL("candidate related address family");
	return (0);
}

int
media_webrtc_valid(const struct media_webrtc_desc *d, const char **errstr)
{
	size_t		 len;
	unsigned int	 i;

	if (!str_terminated(d->ufrag, sizeof(d->ufrag)) ||
	    !str_terminated(d->pwd, sizeof(d->pwd)) ||
	    !str_terminated(d->fingerprint, sizeof(d->fingerprint)))
		FAIL("string not terminated");
	/* RFC 8445 section 5.3: ufrag 4-256, pwd 22-256 ice-chars. */
	len = strlen(d->ufrag);
	if (len < 4 || !ice_chars(d->ufrag))
		FAIL("bad ICE ufrag");
	len = strlen(d->pwd);
	if (len < 22 || !ice_chars(d->pwd))
		FAIL("bad ICE pwd");
	if (!fingerprint_valid(d->fingerprint))
		FAIL("bad DTLS fingerprint");
	if (d->setup > SETUP_PASSIVE)
		FAIL("DTLS setup out of range");
	if (d->dir > MEDIA_INACTIVE)
		FAIL("direction out of range");
	if (d->rtcp_mux > 1 || d->ice_lite > 1)
		FAIL("flag not a boolean");
	if (codecs_valid(d->codecs, d->ncodecs, errstr) == -1)
		return (-1);
	if (d->ncands > MEDIA_MAXCANDS)
		FAIL("too many candidates");
	for (i = 0; i < d->ncands; i++)
		if (cand_valid(&d->cands[i], errstr) == -1)
			return (-1);
	return (0);
}

const char *
media_codec_name(enum media_codec c)
{
	switch (c) {
	case CODEC_NONE:
		return ("none");
	case CODEC_PCMU:
		return ("PCMU");
	case CODEC_PCMA:
		return ("PCMA");
	case CODEC_TELEPHONE_EVENT:
		return ("telephone-event");
	case CODEC_OPUS:
		return ("opus");
	}
	return ("unknown");
}

const char *
media_dir_name(enum media_dir d)
{
	switch (d) {
	case MEDIA_SENDRECV:
		return ("sendrecv");
	case MEDIA_SENDONLY:
		return ("sendonly");
	case MEDIA_RECVONLY:
		return ("recvonly");
	case MEDIA_INACTIVE:
		return ("inactive");
	}
	return ("unknown");
}

/* The RFC 4568 name, as a=crypto writes it. */
const char *
media_crypto_name(enum media_crypto_suite s)
{
	switch (s) {
	case CRYPTO_NONE:
		return ("none");
	case CRYPTO_AES_CM_128_HMAC_SHA1_80:
		return ("AES_CM_128_HMAC_SHA1_80");
	case CRYPTO_AES_CM_128_HMAC_SHA1_32:
		return ("AES_CM_128_HMAC_SHA1_32");
	}
	return ("unknown");
}
