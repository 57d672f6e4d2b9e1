/*
 * bridged: the privileged parent of kandy-bridge.  It reads the
 * configuration, starts sipd, kandyd and mediad, hands each the part of the
 * configuration it needs, restarts them when they die, and answers
 * bridgectl on the control socket.  It parses nothing from the network.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "kb_config.h"
#include "bridged.h"
#include "config.h"
#include "log.h"
#include "privdrop.h"

struct bridged	*env;

static struct event	 ev_sighup, ev_sigterm, ev_sigint, ev_sigchld;

static __dead void
usage(void)
{
	extern char	*__progname;

	fprintf(stderr, "usage: %s [-dnv] [-D macro=value] [-f file]\n",
	    __progname);
	exit(1);
}

static void
bridged_shutdown(void)
{
	env->stopping = 1;
	children_stop();
	control_cleanup(env->conf->control_socket);
	log_info("terminated");
	purge_config(env->conf);
	exit(0);
}

static void
bridged_sig(int sig, short events, void *arg)
{
	char	 why[256];

	switch (sig) {
	case SIGHUP:
		log_info("reload requested with SIGHUP");
		if (bridged_reload(why, sizeof(why)) == -1)
			log_warnx("reload failed, old configuration kept: %s",
			    why);
		break;
	case SIGTERM:
	case SIGINT:
		bridged_shutdown();
		break;
	case SIGCHLD:
		children_reap();
		break;
	}
}

/*
 * Re-reads the configuration file.  A file that does not parse leaves the
 * running configuration in place.  Settings that only take effect at start
 * (user, chroot, control socket) are kept and reported.
 */
int
bridged_reload(char *why, size_t whylen)
{
	struct bridged_conf	*nconf;

	if ((nconf = parse_config(env->conffile, 0)) == NULL) {
		snprintf(why, whylen, "%s has errors, see the log",
		    env->conffile);
		return (-1);
	}
	if (strcmp(nconf->user, env->conf->user) != 0 ||
	    strcmp(nconf->chroot, env->conf->chroot) != 0 ||
	    strcmp(nconf->control_socket, env->conf->control_socket) != 0)
		log_warnx("reload: user, chroot and control socket changes "
		    "take effect at the next start");
	free(nconf->user);
	free(nconf->chroot);
	free(nconf->control_socket);
	nconf->user = strdup(env->conf->user);
	nconf->chroot = strdup(env->conf->chroot);
	nconf->control_socket = strdup(env->conf->control_socket);
	if (nconf->user == NULL || nconf->chroot == NULL ||
	    nconf->control_socket == NULL)
		fatal("strdup");
	purge_config(env->conf);
	env->conf = nconf;
	if (!env->verbose)
		log_setverbose(env->conf->log_verbose);
	config_push();
	snprintf(why, whylen, "configuration reloaded (generation %u)",
	    env->cfg_gen);
	log_info("%s", why);
	return (0);
}

void
bridged_setverbose(int v)
{
	struct child	*c;
	int		 i;

	log_setverbose(v);
	for (i = PROC_SIPD; i <= PROC_MEDIAD; i++) {
		c = child_get(i);
		if (c->state == CHILD_STARTING || c->state == CHILD_RUNNING)
			ipc_ev_send(&c->iev, IMSG_CFG_LOG, 0, -1, v);
	}
}

int
main(int argc, char *argv[])
{
	struct bridged_conf	*conf;
	const char		*conffile = KB_CONFFILE;
	const char		*libexec;
	int			 ch, debug = 0, noaction = 0, verbose = 0;

	log_init(1, 0, LOG_DAEMON);
	while ((ch = getopt(argc, argv, "dD:f:nv")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'D':
			if (cmdline_symset(optarg) < 0)
				errx(1, "could not parse macro definition %s",
				    optarg);
			break;
		case 'f':
			conffile = optarg;
			break;
		case 'n':
			noaction = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	if (argc > 0)
		usage();
	/* With -v the parser's notes (unused macros, includes) show. */
	log_setverbose(verbose);

	if ((conf = parse_config(conffile, verbose ? CONF_F_VERBOSE : 0)) ==
	    NULL)
		exit(1);
	if (noaction) {
		print_config(stdout, conf);
		log_info("configuration OK");
		purge_config(conf);
		exit(0);
	}
	if (geteuid() != 0)
		errx(1, "need root privileges");
	nocoredump();

	/* Children live in libexecdir; tests point this at the build tree. */
	if ((libexec = getenv("KB_LIBEXECDIR")) == NULL || *libexec == '\0')
		libexec = KB_LIBEXECDIR;

	if ((env = calloc(1, sizeof(*env))) == NULL)
		err(1, "calloc");
	env->conf = conf;
	env->conffile = conffile;
	env->libexecdir = libexec;
	env->foreground = debug;
	env->verbose = verbose;
	env->started = time(NULL);
	TAILQ_INIT(&env->ctl_conns);

	log_init(debug, verbose || conf->log_verbose, LOG_DAEMON);
	log_procinit("parent");
	if (!debug && daemon(0, 0) == -1)
		fatal("daemon");

	if ((env->base = event_base_new()) == NULL)
		fatalx("event_base_new");
	signal(SIGPIPE, SIG_IGN);
	evsignal_assign(&ev_sighup, env->base, SIGHUP, bridged_sig, NULL);
	evsignal_assign(&ev_sigterm, env->base, SIGTERM, bridged_sig, NULL);
	evsignal_assign(&ev_sigint, env->base, SIGINT, bridged_sig, NULL);
	evsignal_assign(&ev_sigchld, env->base, SIGCHLD, bridged_sig, NULL);
	evsignal_add(&ev_sighup, NULL);
	evsignal_add(&ev_sigterm, NULL);
	evsignal_add(&ev_sigint, NULL);
	evsignal_add(&ev_sigchld, NULL);

	if (control_init(conf->control_socket) == -1)
		fatalx("control socket setup failed");
	log_info("kandy-bridge %s starting", KB_VERSION);
	children_start();
	event_base_dispatch(env->base);
	bridged_shutdown();
	return (0);
}
