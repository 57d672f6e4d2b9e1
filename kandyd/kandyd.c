/*
 * kandyd: see bridged(8).  For now it runs the IPC plumbing only.
 */
#include <event.h>
#include <stdlib.h>

#include "child.h"
#include "log.h"
#include "kandyd.h"

static struct child_ctx	 ctx;

static void
kandyd_dispatch(struct child_ctx *c, enum kb_proc from, struct ipc_msg *m)
{
	log_warnx("unexpected %s from %s", ipc_typename(m->hdr.type),
	    proc_name(from));
}

int
main(int argc, char *argv[])
{
	struct child_opts	 opts;
	struct event_base	*base;

	child_init(argc, argv, PROC_KANDYD, &opts);
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new");
	child_drop(&opts);
	sandbox_kandyd();
	child_ctx_init(&ctx, PROC_KANDYD, &child_event_ops, base, kandyd_dispatch);
	event_base_dispatch(base);
	return (0);
}
