/*
 * The message table: every IPC message type, its payload format and the
 * directions it may travel.  ipc_next() refuses anything not allowed here.
 */
#include <stddef.h>

#include "ipc.h"

#define P	PROC_BIT(PROC_PARENT)
#define S	PROC_BIT(PROC_SIPD)
#define K	PROC_BIT(PROC_KANDYD)
#define M	PROC_BIT(PROC_MEDIAD)
#define C	PROC_BIT(PROC_CTL)
#define CH	PROC_CHILDREN

static const struct ipc_type ipc_types[IMSG_MAX] = {
	[IMSG_CFG_BEGIN] =	{ "CFG_BEGIN",		"d",	P, CH, 0 },
	[IMSG_CFG_LOG] =	{ "CFG_LOG",		"d",	P, CH, 0 },
	[IMSG_CFG_DONE] =	{ "CFG_DONE",		"d",	P, CH, 0 },
	[IMSG_PEER_FD] =	{ "PEER_FD",		"b",	P, CH, 1 },
	[IMSG_PEER_GONE] =	{ "PEER_GONE",		"b",	P, CH, 0 },
	[IMSG_TEST_SANDBOX] =	{ "TEST_SANDBOX",	"",	P, CH, 0 },

	[IMSG_CFG_ACK] =	{ "CFG_ACK",		"d",	CH, P, 0 },
	[IMSG_RESOLVE] =	{ "RESOLVE",		"dss",	CH, P, 0 },

	[IMSG_RESOLVE_ADDR] =	{ "RESOLVE_ADDR",	"dA",	P, CH, 0 },
	[IMSG_RESOLVE_DONE] =	{ "RESOLVE_DONE",	"dds",	P, CH, 0 },

	[IMSG_CTL_SHOW_STATUS] = { "CTL_SHOW_STATUS",	"",	C, P, 0 },
	[IMSG_CTL_RELOAD] =	{ "CTL_RELOAD",		"",	C, P, 0 },
	[IMSG_CTL_LOG_VERBOSE] = { "CTL_LOG_VERBOSE",	"d",	C, P, 0 },
	[IMSG_CTL_TEST_SANDBOX] = { "CTL_TEST_SANDBOX",	"b",	C, P, 0 },

	[IMSG_CTL_STATUS] =	{ "CTL_STATUS",		"sdsqds", P, C, 0 },
	[IMSG_CTL_RESULT] =	{ "CTL_RESULT",		"ds",	P, C, 0 },
	[IMSG_CTL_END] =	{ "CTL_END",		"",	P, C, 0 },
};

const struct ipc_type *
ipc_type(uint16_t type)
{
	if (type >= IMSG_MAX || ipc_types[type].name == NULL)
		return (NULL);
	return (&ipc_types[type]);
}

const char *
ipc_typename(uint16_t type)
{
	const struct ipc_type	*t;

	if ((t = ipc_type(type)) == NULL)
		return ("UNKNOWN");
	return (t->name);
}
