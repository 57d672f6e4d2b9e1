/*
 * Runs a libFuzzer target over the files named on the command line, so
 * the corpus is exercised by every build, with or without clang.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
main(int argc, char *argv[])
{
	FILE	*f;
	uint8_t	*buf;
	long	 len;
	int	 i;

	for (i = 1; i < argc; i++) {
		if ((f = fopen(argv[i], "rb")) == NULL ||
		    fseek(f, 0, SEEK_END) == -1 || (len = ftell(f)) < 0 ||
		    fseek(f, 0, SEEK_SET) == -1) {
			perror(argv[i]);
			return (1);
		}
		if ((buf = malloc(len + 1)) == NULL ||
		    fread(buf, 1, len, f) != (size_t)len) {
			perror(argv[i]);
			return (1);
		}
		fclose(f);
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
	}
	printf("%d inputs\n", argc - 1);
	return (0);
}
