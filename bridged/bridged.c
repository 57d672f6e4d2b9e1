/*
 * bridged, configuration check only: parse the file, print the effective
 * configuration, exit.  The daemon proper replaces this main and keeps
 * calling parse_config(), print_config() and purge_config().
 */
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <unistd.h>

#include "kb_config.h"
#include "config.h"
#include "log.h"

static __dead void	 usage(void);

static __dead void
usage(void)
{
	extern char	*__progname;

	fprintf(stderr, "usage: %s -n [-v] [-D macro=value] [-f file]\n",
	    __progname);
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct bridged_conf	*conf;
	const char		*conffile = KB_CONFFILE;
	int			 ch, noaction = 0, verbose = 0;

	log_init(1, 0, LOG_DAEMON);
	while ((ch = getopt(argc, argv, "D:f:nv")) != -1) {
		switch (ch) {
		case 'D':
			if (cmdline_symset(optarg) == -1)
				fatalx("could not define macro %s", optarg);
			break;
		case 'f':
			conffile = optarg;
			break;
		case 'n':
			noaction = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	if (argc > 0 || !noaction)
		usage();
	log_setverbose(verbose);

	if ((conf = parse_config(conffile, verbose ? CONF_F_VERBOSE : 0)) ==
	    NULL)
		exit(1);
	print_config(stdout, conf);
	if (fflush(stdout) == EOF || ferror(stdout))
		fatal("stdout");
	purge_config(conf);
	log_info("configuration OK");
	return (0);
}
