/*
 * libFuzzer target for the configuration parser.  The file is trusted
 * input, but a parser that crashes on a typo is still a bug.  Each input
 * is written to a private temporary file, parsed, printed and freed.
 * Built with -DFUZZ_CORPUS_MAIN it runs the same function over the files
 * named on its command line instead.
 */
#include <sys/stat.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

int	fuzz_config_one(const uint8_t *, size_t);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	 fuzz_path[] = "/tmp/bridged-fuzz.XXXXXX";
static int	 fuzz_fd = -1;

static void
fuzz_cleanup(void)
{
	unlink(fuzz_path);
}

int
fuzz_config_one(const uint8_t *data, size_t size)
{
	struct bridged_conf	*conf;
	FILE			*null;

	if (fuzz_fd == -1) {
		log_init(1, 0, LOG_DAEMON);
		if ((fuzz_fd = mkstemp(fuzz_path)) == -1)
			fatal("mkstemp");
		if (fchmod(fuzz_fd, 0600) == -1)
			fatal("fchmod");
		atexit(fuzz_cleanup);
	}
	if (ftruncate(fuzz_fd, 0) == -1 ||
	    pwrite(fuzz_fd, data, size, 0) != (ssize_t)size)
		fatal("%s", fuzz_path);
	if ((conf = parse_config(fuzz_path, 0)) != NULL) {
		if ((null = fopen("/dev/null", "w")) == NULL)
			fatal("/dev/null");
		print_config(null, conf);
		fclose(null);
		purge_config(conf);
	}
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return (fuzz_config_one(data, size));
}

#ifdef FUZZ_CORPUS_MAIN
int
main(int argc, char *argv[])
{
	FILE	*fp;
	uint8_t	 buf[65536];
	size_t	 len;
	int	 i;

	for (i = 1; i < argc; i++) {
		if ((fp = fopen(argv[i], "r")) == NULL)
			fatal("%s", argv[i]);
		len = fread(buf, 1, sizeof(buf), fp);
		fclose(fp);
		fuzz_config_one(buf, len);
	}
	printf("%d inputs parsed\n", argc - 1);
	return (0);
}
#endif
