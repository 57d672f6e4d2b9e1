/*
 * GLib main contexts driven by a libevent loop.  mediad gives each call
 * a GMainContext of its own (libnice, the RTP sockets and the call's
 * timers live on it) and watches the descriptors and the next timeout of
 * every context in one epoll set.  A packet for one call then wakes that
 * call's few sources only, where a single GLib loop would prepare, poll
 * and check every source of every call on each packet.
 */
#ifndef KB_GLOOP_H
#define KB_GLOOP_H

#include <glib.h>

struct event_base;
struct fd_watcher;
struct gloop;

/* For the legs: descriptors taken from GLib (fdwatch.h). */
extern const struct fd_watcher gloop_watcher;

/* gloop.c */
void		 gloop_init(struct event_base *);
struct gloop	*gloop_new(void);
struct gloop	*gloop_adopt(GMainContext *);
GMainContext	*gloop_context(const struct gloop *);
void		 gloop_refresh(struct gloop *);
void		 gloop_release(struct gloop *);
unsigned int	 gloop_count(void);

#endif /* KB_GLOOP_H */
