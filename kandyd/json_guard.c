/*
 * The one door through which JSON from the network enters kandyd: size
 * and nesting are bounded before jansson sees the text, duplicate keys
 * and NUL characters are refused, and the top level must be an object.
 */
#include <stddef.h>

#include <jansson.h>

#include "kandyd.h"

int
json_guard_depth(const char *buf, size_t len, int maxdepth)
{
	size_t	 i;
	int	 depth = 0, instr = 0;

	for (i = 0; i < len; i++) {
		if (instr) {
			if (buf[i] == '\\')
				i++;
			else if (buf[i] == '"')
				instr = 0;
			continue;
		}
		switch (buf[i]) {
		case '"':
			instr = 1;
			break;
		case '{':
		case '[':
			if (++depth > maxdepth)
				return (-1);
			break;
		case '}':
		case ']':
			depth--;
			break;
		}
	}
	return (0);
}

json_t *
json_guard_load(const char *buf, size_t len, size_t maxlen,
    const char **errstr)
{
	json_error_t	 jerr;
	json_t		*j;

	if (len > maxlen) {
		*errstr = "JSON too large";
		return (NULL);
	}
	if (json_guard_depth(buf, len, JSON_MAXDEPTH) == -1) {
		*errstr = "JSON nested too deeply";
		return (NULL);
	}
	if ((j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		*errstr = "malformed JSON";
		return (NULL);
	}
	if (!json_is_object(j)) {
		json_decref(j);
		*errstr = "JSON is not an object";
		return (NULL);
	}
	return (j);
}
