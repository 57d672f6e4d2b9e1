/*
 * Per-destination rules for calls to phone numbers.  A pattern is digits
 * with an optional trailing '*'; the most specific match wins (an exact
 * pattern beats any prefix, a longer prefix beats a shorter one).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kandysim.h"

struct rulelist	 rules = TAILQ_HEAD_INITIALIZER(rules);
static int	 nrules;

static int
rule_score(const struct rule *r, const char *num)
{
	size_t	 len = strlen(r->match);

	if (len > 0 && r->match[len - 1] == '*') {
		if (strncmp(r->match, num, len - 1) == 0)
			return ((int)len);
		return (-1);
	}
	return (strcmp(r->match, num) == 0 ? 10000 : -1);
}

struct rule *
rule_match(const char *num)
{
	struct rule	*r, *best = NULL;
	int		 s, bests = -1;

	if (*num == '+')
		num++;
	TAILQ_FOREACH(r, &rules, entry)
		if ((s = rule_score(r, num)) > bests) {
			best = r;
			bests = s;
		}
	return (best);
}

static int
pattern_ok(const char *m)
{
	size_t	 i, len = strlen(m);

	if (len == 0 || len >= SIM_NAME_MAX)
		return (0);
	for (i = 0; i < len; i++)
		if (!isdigit((unsigned char)m[i]) &&
		    !(m[i] == '*' && i == len - 1))
			return (0);
	return (1);
}

static int
int_field(json_t *o, const char *key, int def, int min, int max, int *out)
{
	json_t	*v = json_object_get(o, key);

	if (v == NULL) {
		*out = def;
		return (0);
	}
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max)
		return (-1);
	*out = (int)json_integer_value(v);
	return (0);
}

/* Add a rule from its JSON form; -1 with a reason in err. */
int
rule_add(json_t *o, char *err, size_t errlen)
{
	struct rule	 r, *n;
	const char	*match, *action, *media;

	memset(&r, 0, sizeof(r));
	match = jstr(o, "match");
	action = jstr(o, "action");
	media = jstr(o, "media");
	if (match == NULL || !pattern_ok(match + (*match == '+'))) {
		snprintf(err, errlen, "match");
		return (-1);
	}
	strlcpy(r.match, match + (*match == '+'), sizeof(r.match));
	if (action == NULL || strcmp(action, "answer") == 0)
		r.action = RULE_ANSWER;
	else if (strcmp(action, "ring") == 0)
		r.action = RULE_RING;
	else if (strcmp(action, "reject") == 0)
		r.action = RULE_REJECT;
	else {
		snprintf(err, errlen, "action");
		return (-1);
	}
	if (int_field(o, "cause", r.action == RULE_REJECT ? 486 : 0, 0, 699,
	    &r.cause) == -1) {
		snprintf(err, errlen, "cause");
		return (-1);
	}
	if (int_field(o, "answer_after_ms", 0, 0, 3600000,
	    &r.answer_after_ms) == -1) {
		snprintf(err, errlen, "answer_after_ms");
		return (-1);
	}
	if (int_field(o, "hangup_after_ms", 0, 0, 86400000,
	    &r.hangup_after_ms) == -1) {
		snprintf(err, errlen, "hangup_after_ms");
		return (-1);
	}
	if (media != NULL && strlen(media) >= sizeof(r.media)) {
		snprintf(err, errlen, "media");
		return (-1);
	}
	strlcpy(r.media, media ? media : "echo", sizeof(r.media));
	if (nrules >= SIM_MAX_RULES) {
		snprintf(err, errlen, "too many rules");
		return (-1);
	}
	n = xcalloc(1, sizeof(*n));
	*n = r;
	TAILQ_INSERT_TAIL(&rules, n, entry);
	nrules++;
	return (0);
}

json_t *
rules_json(void)
{
	static const char	*names[] = { "answer", "ring", "reject" };
	struct rule		*r;
	json_t			*a;

	a = json_array();
	TAILQ_FOREACH(r, &rules, entry)
		json_array_append_new(a, json_pack("{s:s, s:s, s:i, s:i, "
		    "s:i, s:s}", "match", r->match, "action",
		    names[r->action], "cause", r->cause, "answer_after_ms",
		    r->answer_after_ms, "hangup_after_ms", r->hangup_after_ms,
		    "media", r->media));
	return (a);
}

void
rules_clear(void)
{
	struct rule	*r;

	while ((r = TAILQ_FIRST(&rules)) != NULL) {
		TAILQ_REMOVE(&rules, r, entry);
		free(r);
	}
	nrules = 0;
}
