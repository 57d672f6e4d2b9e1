/*
 * bridgectl command parser.
 */
#ifndef BRIDGECTL_PARSER_H
#define BRIDGECTL_PARSER_H

enum actions {
	NONE,
	SHOW_STATUS,
	RELOAD,
	LOG_VERBOSE,
	LOG_BRIEF,
	TEST_SANDBOX
};

struct parse_result {
	enum actions	 action;
	int		 proc;		/* TEST_SANDBOX */
};

struct parse_result	*parse(int, char *[]);

#endif /* BRIDGECTL_PARSER_H */
