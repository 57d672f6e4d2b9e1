/*
 * kandysim: emulated Kandy CPaaS for tests.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "kandysim.h"
#include "log.h"
#include "simmedia.h"

struct simconf simconf = {
	.token_lifetime = 3600,
	.refresh_lifetime = 7200,
	.turn_ttl = 86400,
	.turn_secret = "kandysim-turn-secret",
	.domain = "kandy.test",
	.conncheck_interval = 30,
	.channel_lifetime = 3600,
	.ring_delay_ms = 100
};

static __dead void
usage(void)
{
	extern char	*__progname;

	fprintf(stderr, "usage: %s [-dv] [-c cert] [-D domain] [-k key] "
	    "[-l addr:port] [-S sample-dir]\n"
	    "\t[-s turn-secret] [-T token-lifetime] [-t turn-addr:port] "
	    "[-u users-file]\n",
	    __progname);
	exit(1);
}

int
main(int argc, char *argv[])
{
	const char	*cert = "kandysim.crt", *key = "kandysim.key";
	const char	*users_file = NULL, *turn = NULL, *errstr;
	const char	*sample_dir = NULL;
	char		 addr[256] = "127.0.0.1", *colon;
	int		 ch, debug = 0, verbose = 0, port = 8443;

	while ((ch = getopt(argc, argv, "c:D:dk:l:S:s:T:t:u:v")) != -1) {
		switch (ch) {
		case 'c':
			cert = optarg;
			break;
		case 'D':
			if (strlcpy(simconf.domain, optarg,
			    sizeof(simconf.domain)) >= sizeof(simconf.domain))
				errx(1, "domain too long");
			break;
		case 'd':
			debug = 1;
			break;
		case 'k':
			key = optarg;
			break;
		case 'l':
			if (strlcpy(addr, optarg, sizeof(addr)) >= sizeof(addr))
				errx(1, "address too long");
			if ((colon = strrchr(addr, ':')) == NULL)
				usage();
			*colon = '\0';
			port = strtonum(colon + 1, 0, 65535, &errstr);
			if (errstr != NULL)
				errx(1, "port %s", errstr);
			if (addr[0] == '[' && colon[-1] == ']') {
				colon[-1] = '\0';
				memmove(addr, addr + 1, strlen(addr));
			}
			break;
		case 'S':
			sample_dir = optarg;
			break;
		case 's':
			if (strlcpy(simconf.turn_secret, optarg,
			    sizeof(simconf.turn_secret)) >=
			    sizeof(simconf.turn_secret))
				errx(1, "turn secret too long");
			break;
		case 'T':
			simconf.token_lifetime = strtonum(optarg, 1,
			    86400 * 30, &errstr);
			if (errstr != NULL)
				errx(1, "token lifetime %s", errstr);
			break;
		case 't':
			turn = optarg;
			break;
		case 'u':
			users_file = optarg;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	log_init(debug, verbose, LOG_DAEMON);
	auth_init();
	if (users_file != NULL && users_load(users_file) == -1)
		fatalx("%s: cannot load users", users_file);
	if (sample_dir != NULL && samples_load(sample_dir) == -1)
		fatalx("%s: cannot load the samples", sample_dir);
	simmedia = &simmedia_webrtc;
	simmedia_webrtc_local(addr);
	if (turn != NULL && simmedia_webrtc_turn(turn) == -1)
		errx(1, "bad TURN server %s", turn);
	if (!debug && daemon(1, 0) == -1)
		fatal("daemon");
	return (server_run(addr, port, cert, key));
}
