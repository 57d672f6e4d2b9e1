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

	[IMSG_CFG_SIP] =	{ "CFG_SIP",		"x",	P, S, 0 },
	[IMSG_CFG_SIP_LISTEN] =	{ "CFG_SIP_LISTEN",	"xss",	P, S, 0 },
	[IMSG_CFG_SIP_ALLOW] =	{ "CFG_SIP_ALLOW",	"x",	P, S, 0 },
	[IMSG_CFG_NUMRULE] =	{ "CFG_NUMRULE",	"x",	P, S, 0 },
	[IMSG_CFG_KANDY] =	{ "CFG_KANDY",		"x",	P, K, 0 },
	[IMSG_CFG_KANDY_SECRET] = { "CFG_KANDY_SECRET",	"s",	P, K, 0 },
	[IMSG_CFG_KANDY_CA] =	{ "CFG_KANDY_CA",	"x",	P, K, 0 },
	[IMSG_CFG_MEDIA] =	{ "CFG_MEDIA",		"x",	P, M, 0 },
	[IMSG_CFG_ICE_SERVER] =	{ "CFG_ICE_SERVER",	"x",	P, M, 0 },

	[IMSG_PEER_HELLO] =	{ "PEER_HELLO",		"b",	CH, CH, 0 },

	[IMSG_CFG_ACK] =	{ "CFG_ACK",		"d",	CH, P, 0 },
	[IMSG_PEER_LINK] =	{ "PEER_LINK",		"bb",	CH, P, 0 },
	[IMSG_RESOLVE] =	{ "RESOLVE",		"dss",	CH, P, 0 },
	[IMSG_AUTH_CHECK] =	{ "AUTH_CHECK",	"dbsssssssss",	S, P, 0 },
	[IMSG_AUTH_RESULT] =	{ "AUTH_RESULT",	"dd",	P, S, 0 },

	[IMSG_RESOLVE_ADDR] =	{ "RESOLVE_ADDR",	"dA",	P, CH, 0 },
	[IMSG_RESOLVE_DONE] =	{ "RESOLVE_DONE",	"dds",	P, CH, 0 },

	[IMSG_CALL_OUT] =	{ "CALL_OUT",		"sss",	S, K, 0 },
	[IMSG_CALL_IN] =	{ "CALL_IN",		"sss",	K, S, 0 },
	[IMSG_CALL_RINGING] =	{ "CALL_RINGING",	"",	S | K, S | K, 0 },
	[IMSG_CALL_ANSWERED] =	{ "CALL_ANSWERED",	"",	S | K, S | K, 0 },
	[IMSG_CALL_END] =	{ "CALL_END",		"dds",	S | K, S | K, 0 },

	[IMSG_MEDIA_ALLOC] =	{ "MEDIA_ALLOC",	"b",	S | K, M, 0 },
	[IMSG_MEDIA_RTP_REMOTE] = { "MEDIA_RTP_REMOTE",	"x",	S, M, 0 },
	[IMSG_MEDIA_RTP_LOCAL] = { "MEDIA_RTP_LOCAL",	"x",	M, S, 0 },
	[IMSG_MEDIA_WEBRTC_REMOTE] = { "MEDIA_WEBRTC_REMOTE", "x", K, M, 0 },
	[IMSG_MEDIA_WEBRTC_LOCAL] = { "MEDIA_WEBRTC_LOCAL", "x",	M, K, 0 },
	[IMSG_MEDIA_WEBRTC_START] = { "MEDIA_WEBRTC_START", "",	K, M, 0 },
	[IMSG_MEDIA_DTMF] =	{ "MEDIA_DTMF",		"bd",	S, M, 0 },
	[IMSG_MEDIA_EVENT] =	{ "MEDIA_EVENT",	"ds",	M, S | K, 0 },
	[IMSG_MEDIA_FREE] =	{ "MEDIA_FREE",		"",	S | K, M, 0 },
	[IMSG_TURN_CREDS] =	{ "TURN_CREDS",		"ssd",	K, M, 0 },

	[IMSG_CTL_SHOW_STATUS] = { "CTL_SHOW_STATUS",	"",	C, P, 0 },
	[IMSG_CTL_RELOAD] =	{ "CTL_RELOAD",		"",	C, P, 0 },
	[IMSG_CTL_LOG_VERBOSE] = { "CTL_LOG_VERBOSE",	"d",	C, P, 0 },
	[IMSG_CTL_TEST_SANDBOX] = { "CTL_TEST_SANDBOX",	"b",	C, P, 0 },

	[IMSG_CTL_SHOW_CALLS] =	{ "CTL_SHOW_CALLS",	"",	C | P, P | S, 0 },
	[IMSG_CTL_SHOW_REGS] =	{ "CTL_SHOW_REGS",	"",	C | P, P | S, 0 },
	[IMSG_CTL_SHOW_KANDY] =	{ "CTL_SHOW_KANDY",	"",	C | P, P | K, 0 },
	[IMSG_CTL_HANGUP] =	{ "CTL_HANGUP",		"q",	C | P, P | S, 0 },

	[IMSG_CTL_STATUS] =	{ "CTL_STATUS",		"sdsqdss", P, C, 0 },
	[IMSG_CTL_CALL] =	{ "CTL_CALL",	"qssssqqss",	P | S, C | P, 0 },
	[IMSG_CTL_REG] =	{ "CTL_REG",	"sssssqq",	P | S, C | P, 0 },
	[IMSG_CTL_KANDY] =	{ "CTL_KANDY",		"ss",	P | K, C | P, 0 },
	[IMSG_CTL_RESULT] =	{ "CTL_RESULT",		"ds",	P | CH, C | P, 0 },
	[IMSG_CTL_END] =	{ "CTL_END",		"",	P | CH, C | P, 0 },

	[IMSG_CTL_SHOW_MEDIA] =	{ "CTL_SHOW_MEDIA",	"q",	C | P, P | M, 0 },
	[IMSG_CTL_MEDIA] =	{ "CTL_MEDIA", "qsqqqqddddddss",	P | M, C | P, 0 },
	[IMSG_MEDIA_STATS] =	{ "MEDIA_STATS",	"s",	M, S, 0 },
	[IMSG_CALL_SESSION] =	{ "CALL_SESSION",	"s",	K, S, 0 },
	[IMSG_CALL_RETRY] =	{ "CALL_RETRY",		"d",	K, S, 0 },
	[IMSG_CALL_UPDATE] =	{ "CALL_UPDATE",	"b",	S, K, 0 },
	[IMSG_CALL_SYNC] =	{ "CALL_SYNC",		"",	S | K, S | K, 0 },
	[IMSG_CALL_LIVE] =	{ "CALL_LIVE",		"bbs",	S, K, 0 },
	[IMSG_KANDY_STATE] =	{ "KANDY_STATE",	"bd",	K, S, 0 },
	[IMSG_AUTH_ANSWER] =	{ "AUTH_ANSWER",	"bsssssss",	S, P, 0 },
	[IMSG_AUTH_ANSWERED] =	{ "AUTH_ANSWERED",	"ss",	P, S, 0 },
	[IMSG_CALL_HOLD] =	{ "CALL_HOLD",		"b",	K, S, 0 },
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
