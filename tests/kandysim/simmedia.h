/*
 * The media endpoint behind kandysim's phone numbers and incoming calls.
 * The call engine only sees these hooks; the WebRTC endpoint (ICE,
 * DTLS-SRTP, tones, recording) plugs in here.  Until it does, the stub in
 * simmedia_stub.c answers with SDP text from a template: no media flows.
 */
#ifndef SIMMEDIA_H
#define SIMMEDIA_H

#include <sys/types.h>

#include <jansson.h>

struct simmedia_call;

struct simmedia_ops {
	const char	*name;
	/* Allocate an endpoint for a call; mode is "echo", "tone", ... */
	struct simmedia_call *(*start)(u_int callid, const char *mode);
	/* Our offer for a call we place (incoming toward a user). */
	char		*(*offer)(struct simmedia_call *);
	/* Our answer to a remote offer (first offer or re-offer). */
	char		*(*answer)(struct simmedia_call *, const char *offer);
	/* The remote answer to our offer. */
	int		 (*remote_answer)(struct simmedia_call *,
			    const char *answer);
	/* Statistics for /_sim/calls, or NULL. */
	json_t		*(*stats)(struct simmedia_call *);
	void		 (*stop)(struct simmedia_call *);
};

/* The hooks in use; strings returned are malloc'd and owned by the caller. */
extern const struct simmedia_ops *simmedia;
extern const struct simmedia_ops simmedia_stub;

#endif /* SIMMEDIA_H */
