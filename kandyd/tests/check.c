#include <stdio.h>
#include <stdlib.h>

#include "check.h"

int check_failures;

char *
check_slurp(const char *path, size_t *lenp)
{
	FILE	*f;
	char	*buf;
	long	 len;

	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	if (len < 0 || (buf = malloc(len + 1)) == NULL ||
	    fread(buf, 1, len, f) != (size_t)len) {
		perror(path);
		exit(2);
	}
	buf[len] = '\0';
	fclose(f);
	if (lenp != NULL)
		*lenp = len;
	return (buf);
}
