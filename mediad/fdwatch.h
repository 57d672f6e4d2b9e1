/*
 * How a media leg watches a descriptor outside GLib's sources, when the
 * loop that drives its GLib context offers it (mediad: gloop.c).  A leg
 * given none uses GLib sources, as kandysim and the tests do.  Taking a
 * descriptor also hides it from the GLib sources on it (libnice's):
 * they see it ready only when the leg passes it on.
 */
#ifndef KB_FDWATCH_H
#define KB_FDWATCH_H

#include <glib.h>

struct fd_watcher {
	/* Call cb whenever fd is readable; NULL if it cannot. */
	void	*(*take)(GMainContext *, int, void (*)(int, void *), void *);
	/* The GLib sources on the descriptor see it readable, now. */
	void	 (*pass)(void *);
	/* Done: GLib's sources watch it again. */
	void	 (*give)(void *);
};

#endif /* KB_FDWATCH_H */
