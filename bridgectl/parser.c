/*
 * bridgectl's grammar: a static table of keywords, each leading to the
 * next table.  Keywords may be abbreviated to any unique prefix; an
 * ambiguous or unknown word prints what would have been valid.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"
#include "proc.h"

enum token_type {
	ENDTOKEN,
	NOTOKEN,
	KEYWORD,
	PROCNAME,
	CALLID
};

struct token {
	enum token_type		 type;
	const char		*keyword;
	int			 value;
	const struct token	*next;
};

static const struct token t_main[];
static const struct token t_show[];
static const struct token t_log[];
static const struct token t_test[];
static const struct token t_procname[];
static const struct token t_callid[];

static const struct token t_main[] = {
	{ KEYWORD,	"hangup",	HANGUP,		t_callid },
	{ KEYWORD,	"log",		NONE,		t_log },
	{ KEYWORD,	"reload",	RELOAD,		NULL },
	{ KEYWORD,	"show",		SHOW_STATUS,	t_show },
	{ KEYWORD,	"test",		NONE,		t_test },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_show[] = {
	{ NOTOKEN,	"",		NONE,		NULL },
	{ KEYWORD,	"call",		SHOW_CALL,	t_callid },
	{ KEYWORD,	"calls",	SHOW_CALLS,	NULL },
	{ KEYWORD,	"kandy",	SHOW_KANDY,	NULL },
	{ KEYWORD,	"registrations", SHOW_REGS,	NULL },
	{ KEYWORD,	"status",	SHOW_STATUS,	NULL },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_log[] = {
	{ KEYWORD,	"brief",	LOG_BRIEF,	NULL },
	{ KEYWORD,	"verbose",	LOG_VERBOSE,	NULL },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_test[] = {
	{ KEYWORD,	"sandbox",	TEST_SANDBOX,	t_procname },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_callid[] = {
	{ CALLID,	"",		NONE,		NULL },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static const struct token t_procname[] = {
	{ PROCNAME,	"",		NONE,		NULL },
	{ ENDTOKEN,	"",		NONE,		NULL }
};

static struct parse_result	res;

static const struct token	*match_token(const char *,
				    const struct token *);
static void			 show_valid_args(const struct token *);

struct parse_result *
parse(int argc, char *argv[])
{
	const struct token	*table = t_main, *match;

	memset(&res, 0, sizeof(res));
	while (argc >= 0) {
		if ((match = match_token(argc ? argv[0] : NULL, table)) ==
		    NULL) {
			fprintf(stderr, "valid commands/args:\n");
			show_valid_args(table);
			return (NULL);
		}
		argc--;
		argv++;
		if (match->type == NOTOKEN || match->next == NULL)
			break;
		table = match->next;
	}
	if (argc > 0) {
		fprintf(stderr, "superfluous argument: %s\n", argv[0]);
		return (NULL);
	}
	return (&res);
}

static const struct token *
match_token(const char *word, const struct token *table)
{
	const struct token	*t = NULL, *exact = NULL;
	char			*ep;
	int			 i, match = 0, p;

	for (i = 0; table[i].type != ENDTOKEN; i++) {
		switch (table[i].type) {
		case NOTOKEN:
			if (word == NULL || strlen(word) == 0) {
				match++;
				t = &table[i];
			}
			break;
		case KEYWORD:
			if (word == NULL || strncmp(word, table[i].keyword,
			    strlen(word)) != 0)
				break;
			/* A whole keyword wins over longer ones it begins. */
			if (strcmp(word, table[i].keyword) == 0) {
				exact = &table[i];
				break;
			}
			match++;
			t = &table[i];
			break;
		case PROCNAME:
			if (word == NULL)
				break;
			for (p = PROC_SIPD; p <= PROC_MEDIAD; p++)
				if (strcmp(word, proc_name(p)) == 0) {
					res.proc = p;
					match++;
					t = &table[i];
				}
			break;
		case CALLID:
			if (word == NULL)
				break;
			/* Call ids are shown in hexadecimal. */
			errno = 0;
			res.call = strtoull(word, &ep, 16);
			if (*word != '\0' && *ep == '\0' && errno == 0 &&
			    res.call != 0) {
				match++;
				t = &table[i];
			}
			break;
		case ENDTOKEN:
			break;
		}
	}
	if (exact != NULL) {
		t = exact;
		match = 1;
	}
	if (t != NULL && t->type == KEYWORD && t->value)
		res.action = t->value;
	if (match != 1) {
		if (word == NULL)
			fprintf(stderr, "missing argument:\n");
		else if (match > 1)
			fprintf(stderr, "ambiguous argument: %s\n", word);
		else if (match < 1)
			fprintf(stderr, "unknown argument: %s\n", word);
		return (NULL);
	}
	return (t);
}

static void
show_valid_args(const struct token *table)
{
	int	 i;

	for (i = 0; table[i].type != ENDTOKEN; i++) {
		switch (table[i].type) {
		case NOTOKEN:
			fprintf(stderr, "  <cr>\n");
			break;
		case KEYWORD:
			fprintf(stderr, "  %s\n", table[i].keyword);
			break;
		case PROCNAME:
			fprintf(stderr, "  sipd | kandyd | mediad\n");
			break;
		case CALLID:
			fprintf(stderr, "  <call id, as show calls lists it>\n");
			break;
		case ENDTOKEN:
			break;
		}
	}
}
