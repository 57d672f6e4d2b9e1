/*
 * Runs the fuzz target over corpus files or directories, so that the
 * request handling is exercised on every build, with or without clang.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const unsigned char *, size_t);

static int
run_file(const char *path)
{
	FILE		*f;
	unsigned char	*buf;
	long		 len;

	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		return (-1);
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	if (len < 0 || (buf = malloc(len + 1)) == NULL ||
	    fread(buf, 1, len, f) != (size_t)len) {
		fclose(f);
		return (-1);
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return (0);
}

int
main(int argc, char *argv[])
{
	struct dirent	**names;
	struct stat	 st;
	char		 path[4096];
	int		 i, j, n, files = 0, errors = 0;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == -1) {
			perror(argv[i]);
			return (1);
		}
		if (!S_ISDIR(st.st_mode)) {
			errors += run_file(argv[i]) != 0;
			files++;
			continue;
		}
		/* Sorted, so state built by one input is seen by the next. */
		if ((n = scandir(argv[i], &names, NULL, alphasort)) == -1) {
			perror(argv[i]);
			return (1);
		}
		for (j = 0; j < n; j++) {
			if (names[j]->d_name[0] != '.') {
				snprintf(path, sizeof(path), "%s/%s", argv[i],
				    names[j]->d_name);
				errors += run_file(path) != 0;
				files++;
			}
			free(names[j]);
		}
		free(names);
	}
	printf("%d inputs, %d unreadable\n", files, errors);
	return (errors || files == 0);
}
