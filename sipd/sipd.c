/*
 * sipd: see bridged(8).  For now it runs the IPC plumbing only.
 */
#include <event.h>
#include <stdlib.h>

#include "child_event.h"
#include "log.h"
#include "sipd.h"

static struct child_event	 ce;

static void
sipd_dispatch(enum kb_proc from, struct ipc_msg *m)
{
	log_warnx("unexpected %s from %s", ipc_typename(m->hdr.type),
	    proc_name(from));
}

int
main(int argc, char *argv[])
{
	struct child_opts	 opts;
	struct event_base	*base;

	child_init(argc, argv, PROC_SIPD, &opts);
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new");
	child_drop(&opts);
	sandbox_sipd();
	child_event_init(&ce, base, PROC_SIPD, sipd_dispatch);
	event_base_dispatch(base);
	return (0);
}
