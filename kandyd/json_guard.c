/*
 * The one door through which JSON from the network enters kandyd: size
 * and nesting are bounded before jansson sees the text, duplicate keys
 * and NUL characters are refused, and the top level must be an object.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

/*
 * A string member copied into a bounded field.  Returns 1 when copied,
 * 0 when absent (or JSON null), -1 when of another type, too long or
 * holding control characters.
 */
int
json_guard_str(json_t *obj, const char *key, char *dst, size_t dstlen)
{
	json_t		*v;
	const char	*s;
	size_t		 i, len;

	if (dstlen > 0)
		dst[0] = '\0';
	if ((v = json_object_get(obj, key)) == NULL || json_is_null(v))
		return (0);
	if (!json_is_string(v))
		return (-1);
	s = json_string_value(v);
	len = json_string_length(v);
	if (len >= dstlen)
		return (-1);
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return (-1);
	memcpy(dst, s, len + 1);
	return (1);
}

/* A non-negative integer member: 1 found, 0 absent, -1 otherwise. */
int
json_guard_int(json_t *obj, const char *key, int64_t max, int64_t *out)
{
	json_t	*v;

	*out = 0;
	if ((v = json_object_get(obj, key)) == NULL || json_is_null(v))
		return (0);
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > max)
		return (-1);
	*out = json_integer_value(v);
	return (1);
}
