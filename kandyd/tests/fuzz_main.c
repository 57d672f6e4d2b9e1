/*
 * Runs a libFuzzer target's entry point over corpus files when the
 * target is built without libFuzzer, so every parser is exercised by
 * the normal test suite.
 */
#include <sys/types.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
run_file(const char *path)
{
	char	*buf;
	size_t	 len;

	buf = check_slurp(path, &len);
	LLVMFuzzerTestOneInput((const uint8_t *)buf, len);
	free(buf);
	return (1);
}

int
main(int argc, char *argv[])
{
	struct dirent	*de;
	DIR		*dir;
	char		 path[4096];
	int		 i, n = 0;

	for (i = 1; i < argc; i++) {
		if ((dir = opendir(argv[i])) == NULL) {
			n += run_file(argv[i]);
			continue;
		}
		while ((de = readdir(dir)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i],
			    de->d_name);
			n += run_file(path);
		}
		closedir(dir);
	}
	printf("%d inputs\n", n);
	return (n == 0);
}
