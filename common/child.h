/*
 * What every child process shares: its command line, its start-up steps,
 * and the handling of the parent's plumbing messages.  The event loop is
 * the child's own; these functions never block.
 */
#ifndef KB_CHILD_H
#define KB_CHILD_H

#include "ipc.h"
#include "proc.h"

struct child_opts {
	enum kb_proc	 self;
	int		 foreground;
	int		 verbose;
	const char	*user;
	const char	*chroot;
};

/* What the child does when the parent hands it a channel to a peer. */
struct child_hooks {
	void	(*peer_fd)(enum kb_proc, int, void *);
	void	(*peer_gone)(enum kb_proc, void *);
	void	(*cfg_done)(uint32_t, void *);
	void	*arg;
};

/* child.c */
void	child_init(int, char **, enum kb_proc, struct child_opts *);
void	child_drop(const struct child_opts *);
int	child_parent_msg(struct ipc_conn *, struct ipc_msg *,
	    const struct child_hooks *);

#endif /* KB_CHILD_H */
