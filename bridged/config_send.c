/*
 * Handing the configuration to the children.  Each child gets only the
 * parts it needs, between CFG_BEGIN and CFG_DONE of one generation, and
 * acknowledges the generation once applied.  Secrets go only to the one
 * process that uses them.
 */
#include <stdlib.h>

#include "bridged.h"
#include "config.h"
#include "log.h"

int
config_send(struct child *c)
{
	struct ipc_ev	*iev = &c->iev;
	uint32_t	 gen = env->cfg_gen;

	if (ipc_ev_send(iev, IMSG_CFG_BEGIN, 0, -1, gen) == -1)
		return (-1);
	ipc_ev_send(iev, IMSG_CFG_LOG, 0, -1, log_getverbose());
	return (ipc_ev_send(iev, IMSG_CFG_DONE, 0, -1, gen));
}

void
config_push(void)
{
	struct child	*c;
	int		 i;

	env->cfg_gen++;
	for (i = PROC_SIPD; i <= PROC_MEDIAD; i++) {
		c = child_get(i);
		if (c->state == CHILD_STARTING || c->state == CHILD_RUNNING)
			config_send(c);
	}
}
