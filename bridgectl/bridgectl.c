/*
 * bridgectl: administer a running bridged through its control socket.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bridgectl.h"
#include "log.h"
#include "parser.h"

#define BRIDGECTL_SOCKET	"/run/bridged.sock"
#define BRIDGECTL_TIMEOUT_MS	10000

static __dead void
usage(void)
{
	extern char	*__progname;

	fprintf(stderr, "usage: %s [-s socket] command [argument ...]\n",
	    __progname);
	exit(1);
}

void
fmt_uptime(char *buf, size_t len, time_t since)
{
	time_t	 t;

	if (since == 0) {
		strlcpy(buf, "-", len);
		return;
	}
	t = time(NULL) - since;
	if (t < 0)
		t = 0;
	if (t >= 86400)
		snprintf(buf, len, "%lldd%02lldh%02lldm", (long long)t / 86400,
		    (long long)t % 86400 / 3600, (long long)t % 3600 / 60);
	else
		snprintf(buf, len, "%02lld:%02lld:%02lld", (long long)t / 3600,
		    (long long)t % 3600 / 60, (long long)t % 60);
}

/*
 * Prints one reply.  Returns 1 when the reply ends the exchange, -1 for
 * an error result.
 */
static int
show_reply(struct ipc_msg *m, void *arg)
{
	int		*header = arg;
	const char	*name, *state, *last, *msg;
	const char	*aor, *contact, *user, *source, *links;
	uint64_t	 started, expires;
	uint32_t	 pid, restarts, code;
	char		 up[32];

	switch (m->hdr.type) {
	case IMSG_CTL_STATUS:
		ipc_unpack(m, &name, &pid, &state, &started, &restarts, &links,
		    &last);
		if (!*header) {
			printf("%-8s %7s %-11s %11s %8s %-20s %s\n", "PROCESS",
			    "PID", "STATE", "UPTIME", "RESTARTS", "LINKED TO",
			    "LAST EXIT");
			*header = 1;
		}
		fmt_uptime(up, sizeof(up), pid ? (time_t)started : 0);
		printf("%-8s %7u %-11s %11s %8u %-20s %s\n", name, pid, state,
		    up, restarts, *links ? links : "-", *last ? last : "-");
		return (0);
	case IMSG_CTL_REG:
		ipc_unpack(m, &aor, &contact, &user, &source, &state, &started,
		    &expires);
		if (!*header) {
			printf("%-24s %-10s %-13s %9s %-22s %s\n", "AOR",
			    "USER", "STATE", "EXPIRES", "SOURCE", "CONTACT");
			*header = 1;
		}
		if (expires > (uint64_t)time(NULL))
			snprintf(up, sizeof(up), "%llds", (long long)(expires -
			    time(NULL)));
		else
			strlcpy(up, "-", sizeof(up));
		printf("%-24s %-10s %-13s %9s %-22s %s\n", aor, user, state,
		    up, source, contact);
		return (0);
	case IMSG_CTL_KANDY:
		ipc_unpack(m, &name, &msg);
		printf("%-20s %s\n", name, msg);
		return (0);
	case IMSG_CTL_RESULT:
		ipc_unpack(m, &code, &msg);
		if (code != 0) {
			fprintf(stderr, "%s\n", msg);
			return (-1);
		}
		printf("%s\n", msg);
		return (1);
	case IMSG_CTL_END:
		return (1);
	}
	return (0);
}

/*
 * Reads answers until the handler says the exchange is over.  Returns
 * what the handler said last (1 or -1).
 */
int
exchange(struct ipc_conn *conn, reply_fn fn, void *arg)
{
	struct ipc_msg	 m;
	struct pollfd	 pfd;
	ssize_t		 n;
	int		 rv;

	for (;;) {
		pfd.fd = conn->fd;
		pfd.events = POLLIN;
		if ((rv = poll(&pfd, 1, BRIDGECTL_TIMEOUT_MS)) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "poll");
		}
		if (rv == 0)
			errx(1, "no answer from bridged");
		if ((n = ipc_fill(conn)) == 0)
			errx(1, "bridged closed the connection");
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			errx(1, "read: %s", ipc_strerror(conn));
		while ((rv = ipc_next(conn, &m)) == 1)
			if ((rv = fn(&m, arg)) != 0)
				return (rv);
		if (rv == -1)
			errx(1, "bad reply: %s", ipc_strerror(conn));
	}
}

int
main(int argc, char *argv[])
{
	struct sockaddr_un	 sun;
	struct parse_result	*res;
	struct ipc_conn		 conn;
	const char		*sock = BRIDGECTL_SOCKET;
	int			 ch, fd, header = 0, status;

	while ((ch = getopt(argc, argv, "s:")) != -1) {
		switch (ch) {
		case 's':
			sock = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if ((res = parse(argc, argv)) == NULL)
		exit(1);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, sock, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		errx(1, "socket path too long");
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		err(1, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(1, "connect: %s", sock);
	ipc_init(&conn, fd, PROC_CTL, PROC_PARENT);

	switch (res->action) {
	case SHOW_STATUS:
		ipc_send(&conn, IMSG_CTL_SHOW_STATUS, 0, -1);
		break;
	case SHOW_CALLS:
	case SHOW_CALL:
		status = show_calls(&conn, res->action == SHOW_CALL ?
		    res->call : 0);
		ipc_clear(&conn);
		return (status);
	case SHOW_REGS:
		ipc_send(&conn, IMSG_CTL_SHOW_REGS, 0, -1);
		break;
	case SHOW_KANDY:
		ipc_send(&conn, IMSG_CTL_SHOW_KANDY, 0, -1);
		break;
	case HANGUP:
		ipc_send(&conn, IMSG_CTL_HANGUP, 0, -1, res->call);
		break;
	case RELOAD:
		ipc_send(&conn, IMSG_CTL_RELOAD, 0, -1);
		break;
	case LOG_VERBOSE:
	case LOG_BRIEF:
		ipc_send(&conn, IMSG_CTL_LOG_VERBOSE, 0, -1,
		    res->action == LOG_VERBOSE);
		break;
	case TEST_SANDBOX:
		ipc_send(&conn, IMSG_CTL_TEST_SANDBOX, 0, -1, res->proc);
		break;
	case NONE:
		usage();
	}
	while (ipc_pending(&conn))
		if (ipc_flush(&conn) == -1)
			errx(1, "write: %s", ipc_strerror(&conn));
	status = exchange(&conn, show_reply, &header) == -1;
	ipc_clear(&conn);
	return (status);
}
