/*
 * Received configuration structures: strings are forced to end in NUL,
 * so a confused sender cannot make a reader run off an array.
 */
#include "cfg.h"

#define TERMINATE(a)	((a)[sizeof(a) - 1] = '\0')

void
cfg_terminate_sip(struct cfg_sip *c)
{
	TERMINATE(c->realm);
	TERMINATE(c->trunk_user);
	TERMINATE(c->public_address);
	TERMINATE(c->kandy_domain);
	if (c->ncodecs > MEDIA_MAXCODECS)
		c->ncodecs = MEDIA_MAXCODECS;
}

void
cfg_terminate_kandy(struct cfg_kandy *c)
{
	TERMINATE(c->url);
	TERMINATE(c->host);
	TERMINATE(c->path);
	TERMINATE(c->client_id);
	TERMINATE(c->user);
	TERMINATE(c->domain);
	TERMINATE(c->did);
}

void
cfg_terminate_media(struct cfg_media *c)
{
	TERMINATE(c->public_address);
	if (c->ncodecs > MEDIA_MAXCODECS)
		c->ncodecs = MEDIA_MAXCODECS;
}

void
cfg_terminate_ice_server(struct cfg_ice_server *c)
{
	TERMINATE(c->host);
	TERMINATE(c->username);
	TERMINATE(c->password);
}
