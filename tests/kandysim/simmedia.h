/*
 * The media endpoint behind kandysim's phone numbers and incoming calls.
 * The call engine only sees these hooks.  kandysim uses the WebRTC
 * endpoint (simmedia.c: ICE, DTLS-SRTP, tones, digits, recording); the
 * fuzz target and the corpus runner keep the stub (simmedia_stub.c), which
 * answers with SDP text from a template and moves no media.
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
	/* Queue RFC 4733 digits to send; -1 if refused.  May be NULL. */
	int		 (*dtmf)(struct simmedia_call *, const char *);
	/* The received audio kept in "record" mode, or NULL.  May be NULL. */
	json_t		*(*recording)(struct simmedia_call *);
	/* A re-offer of a connected call in enum media_dir, or NULL.  May
	 * be NULL. */
	char		*(*reoffer)(struct simmedia_call *, int);
};

/* The hooks in use; strings returned are malloc'd and owned by the caller. */
extern const struct simmedia_ops *simmedia;
extern const struct simmedia_ops simmedia_stub;
extern const struct simmedia_ops simmedia_webrtc;

/* simmedia.c: the address candidates use, a TURN/UDP server. */
void	simmedia_webrtc_local(const char *);
int	simmedia_webrtc_turn(const char *);

#endif /* SIMMEDIA_H */
