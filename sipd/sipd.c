/*
 * sipd: the SIP side of kandy-bridge; see bridged(8).  It runs on
 * sofia-sip's su_root loop.  For now it runs the IPC plumbing only.
 */
#include <stdlib.h>

#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>

#include "child.h"
#include "log.h"
#include "sipd.h"

static struct child_ctx	 ctx;

static void
sipd_dispatch(struct child_ctx *c, enum kb_proc from, struct ipc_msg *m)
{
	switch (m->hdr.type) {
	case IMSG_CTL_SHOW_CALLS:
	case IMSG_CTL_SHOW_REGS:
		/* No SIP engine yet, so no calls and no registrations. */
		child_send(c, PROC_PARENT, IMSG_CTL_END, m->hdr.call, -1);
		break;
	case IMSG_CTL_HANGUP:
		child_send(c, PROC_PARENT, IMSG_CTL_RESULT, m->hdr.call, -1, 1,
		    "no such call");
		break;
	default:
		if (m->hdr.type >= IMSG_CFG_SIP &&
		    m->hdr.type <= IMSG_CFG_NUMRULE)
			break;
		log_warnx("unexpected %s from %s", ipc_typename(m->hdr.type),
		    proc_name(from));
		break;
	}
}

int
main(int argc, char *argv[])
{
	struct child_opts	 opts;
	su_root_t		*root;

	child_init(argc, argv, PROC_SIPD, &opts);
	if (su_init() != 0)
		fatalx("su_init");
	if ((root = su_root_create(NULL)) == NULL)
		fatalx("su_root_create");
	child_drop(&opts);
	sandbox_sipd();
	child_ctx_init(&ctx, PROC_SIPD, &child_su_ops, root, sipd_dispatch);
	su_root_run(root);
	su_root_destroy(root);
	su_deinit();
	return (0);
}
