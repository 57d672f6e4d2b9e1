/*
 * bridgectl command parser.
 */
#ifndef BRIDGECTL_PARSER_H
#define BRIDGECTL_PARSER_H

#include <stdint.h>

enum actions {
	NONE,
	SHOW_STATUS,
	SHOW_CALLS,
	SHOW_CALL,
	SHOW_REGS,
	SHOW_KANDY,
	HANGUP,
	RELOAD,
	LOG_VERBOSE,
	LOG_BRIEF,
	TEST_SANDBOX
};

struct parse_result {
	enum actions	 action;
	int		 proc;		/* TEST_SANDBOX */
	uint64_t	 call;		/* HANGUP, SHOW_CALL */
};

struct parse_result	*parse(int, char *[]);

#endif /* BRIDGECTL_PARSER_H */
