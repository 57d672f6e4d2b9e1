/*
 * Process names, as shown in logs and by bridgectl.
 */
#include "proc.h"

const char *
proc_name(enum kb_proc p)
{
	static const char *names[PROC_MAX] = {
		[PROC_PARENT] = "parent",
		[PROC_SIPD] = "sipd",
		[PROC_KANDYD] = "kandyd",
		[PROC_MEDIAD] = "mediad",
		[PROC_CTL] = "bridgectl",
	};

	if ((unsigned)p >= PROC_MAX)
		return ("unknown");
	return (names[p]);
}
