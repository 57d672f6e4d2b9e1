/*
 * mediad: the media relay of kandy-bridge; see bridged(8).  It runs on
 * GLib's main loop, which libnice needs.  For now it runs the IPC
 * plumbing only.
 */
#include <stdlib.h>

#include <glib.h>

#include "child.h"
#include "log.h"
#include "mediad.h"

static struct child_ctx	 ctx;

static void
mediad_dispatch(struct child_ctx *c, enum kb_proc from, struct ipc_msg *m)
{
	log_warnx("unexpected %s from %s", ipc_typename(m->hdr.type),
	    proc_name(from));
}

int
main(int argc, char *argv[])
{
	struct child_opts	 opts;
	GMainLoop		*loop;

	child_init(argc, argv, PROC_MEDIAD, &opts);
	loop = g_main_loop_new(NULL, FALSE);
	child_drop(&opts);
	sandbox_mediad();
	child_ctx_init(&ctx, PROC_MEDIAD, &child_glib_ops,
	    g_main_context_default(), mediad_dispatch);
	g_main_loop_run(loop);
	g_main_loop_unref(loop);
	return (0);
}
