/*
 * Feeds files to a libFuzzer entry point, so the corpus is exercised by a
 * normal test without clang's fuzzer runtime.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
main(int argc, char *argv[])
{
	static uint8_t	 buf[65536];
	FILE		*f;
	size_t		 n, cut;
	int		 i;

	for (i = 1; i < argc; i++) {
		if ((f = fopen(argv[i], "rb")) == NULL) {
			perror(argv[i]);
			return (1);
		}
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		/* Every prefix too: truncation is the commonest attack. */
		for (cut = 0; cut <= n; cut++)
			LLVMFuzzerTestOneInput(buf, cut);
	}
	return (0);
}
