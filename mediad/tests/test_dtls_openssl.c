/*
 * DTLS-SRTP against another implementation: OpenSSL's s_server and
 * s_client print the RFC 5764 keying material they export; ours must be
 * the same bytes, in both roles.  Skipped (77) without the openssl tool.
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "dtls.h"
#include "log.h"

static int	 failures;

struct peer {
	int			 sock;
	int			 connected;	/* UDP socket has a peer */
	unsigned int		 timer;		/* ms, 0 none */
	uint64_t		 deadline;
	enum dtls_state		 state;
	struct srtp_keymat	 keys;
	/* OpenSSL's output */
	pid_t			 pid;
	int			 out;		/* its stdout and stderr */
	int			 in;		/* its stdin */
	char			 text[16384];
	size_t			 textlen;
};

static uint64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static int
p_send(void *arg, const uint8_t *buf, size_t len)
{
	struct peer	*p = arg;

	return (send(p->sock, buf, len, 0) == -1 ? -1 : 0);
}

static void
p_timer(void *arg, unsigned int ms)
{
	struct peer	*p = arg;

	p->timer = ms;
	p->deadline = now_ms() + ms;
}

static void
p_state(void *arg, enum dtls_state st, const struct srtp_keymat *k)
{
	struct peer	*p = arg;

	p->state = st;
	if (k != NULL)
		p->keys = *k;
}

static int
run_cmd(const char *cmd, char *out, size_t outlen)
{
	FILE	*f;
	size_t	 n;

	if ((f = popen(cmd, "r")) == NULL)
		return (-1);
	n = fread(out, 1, outlen - 1, f);
	out[n] = '\0';
	return (pclose(f) == 0 ? 0 : -1);
}

static pid_t
spawn(char *const argv[], int *out, int *in)
{
	int	 po[2], pi[2];
	pid_t	 pid;

	if (pipe(po) == -1 || pipe(pi) == -1)
		return (-1);
	if ((pid = fork()) == -1)
		return (-1);
	if (pid == 0) {
		dup2(pi[0], 0);
		dup2(po[1], 1);
		dup2(po[1], 2);
		close(po[0]);
		close(pi[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(po[1]);
	close(pi[0]);
	fcntl(po[0], F_SETFL, O_NONBLOCK);
	*out = po[0];
	*in = pi[1];
	return (pid);
}

static void
read_output(struct peer *p)
{
	ssize_t	 n;

	while (p->textlen < sizeof(p->text) - 1 &&
	    (n = read(p->out, p->text + p->textlen,
	    sizeof(p->text) - 1 - p->textlen)) > 0)
		p->textlen += n;
	p->text[p->textlen] = '\0';
}

/* The 60 bytes OpenSSL printed after "Keying material: ", or -1. */
static int
openssl_keymat(const char *text, uint8_t out[60])
{
	const char	*s;
	unsigned int	 v;
	int		 i;

	if ((s = strstr(text, "Keying material: ")) == NULL)
		return (-1);
	s += strlen("Keying material: ");
	for (i = 0; i < 60; i++, s += 2) {
		if (!isxdigit((unsigned char)s[0]) ||
		    !isxdigit((unsigned char)s[1]) ||
		    sscanf(s, "%2x", &v) != 1)
			return (-1);
		out[i] = v;
	}
	return (0);
}

/* Drive our session and watch OpenSSL until both are done or 15 s pass. */
static void
drive(struct peer *p, struct dtls_session *s, const char *want)
{
	struct pollfd		 pfd[2];
	struct sockaddr_storage	 from;
	socklen_t		 fromlen;
	uint8_t			 buf[4096];
	ssize_t			 n;
	uint64_t		 end = now_ms() + 15000;

	while (now_ms() < end) {
		read_output(p);
		if (p->state != DTLS_STATE_HANDSHAKE &&
		    p->state != DTLS_STATE_NEW && strstr(p->text, want) != NULL)
			return;
		if (p->state == DTLS_STATE_FAILED)
			return;
		pfd[0].fd = p->sock;
		pfd[0].events = POLLIN;
		pfd[1].fd = p->out;
		pfd[1].events = POLLIN;
		poll(pfd, 2, 20);
		if (pfd[0].revents & POLLIN) {
			fromlen = sizeof(from);
			n = recvfrom(p->sock, buf, sizeof(buf), 0,
			    (struct sockaddr *)&from, &fromlen);
			if (n > 0 && !p->connected) {
				connect(p->sock, (struct sockaddr *)&from,
				    fromlen);
				p->connected = 1;
			}
			if (n > 0)
				dtls_session_input(s, buf, n);
		}
		if (p->timer != 0 && now_ms() >= p->deadline) {
			p->timer = 0;
			dtls_session_timer(s);
		}
	}
}

static int
udp_socket(struct sockaddr_in *sin)
{
	socklen_t	 len = sizeof(*sin);
	int		 fd;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)sin, sizeof(*sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)sin, &len) == -1)
		return (-1);
	return (fd);
}

static void
stop(struct peer *p)
{
	int	 status;

	close(p->in);
	kill(p->pid, SIGTERM);
	waitpid(p->pid, &status, 0);
	close(p->out);
	close(p->sock);
}

static void
check_keys(struct peer *p, enum dtls_role role)
{
	uint8_t	 km[60], mine[60];

	CHECK(p->state == DTLS_STATE_CONNECTED);
	CHECK(openssl_keymat(p->text, km) == 0);
	if (p->state != DTLS_STATE_CONNECTED)
		return;
	/* Rebuild RFC 5764's layout: keys client then server, salts too. */
	if (role == DTLS_ROLE_CLIENT) {
		memcpy(mine, p->keys.local, 16);
		memcpy(mine + 16, p->keys.remote, 16);
		memcpy(mine + 32, p->keys.local + 16, 14);
		memcpy(mine + 46, p->keys.remote + 16, 14);
	} else {
		memcpy(mine, p->keys.remote, 16);
		memcpy(mine + 16, p->keys.local, 16);
		memcpy(mine + 32, p->keys.remote + 16, 14);
		memcpy(mine + 46, p->keys.local + 16, 14);
	}
	CHECK(memcmp(km, mine, 60) == 0);
	CHECK(p->keys.profile == SRTP_PROFILE_AES128_CM_SHA1_80);
}

int
main(void)
{
	struct dtls_callbacks	 cb;
	struct dtls_session	*s;
	struct sockaddr_in	 sin, srv;
	static struct peer	 p;
	char			 dir[] = "/tmp/kbdtlsXXXXXX", cmd[1024];
	char			 cert[128], key[128], fp[256], port[16], *f;
	char			 addr[64];
	int			 fd;

	log_init(1, 0, 0);
	if (system("openssl version >/dev/null 2>&1") != 0) {
		fprintf(stderr, "openssl not found, skipping\n");
		return (77);
	}
	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(dir) == NULL || dtls_init() == -1)
		return (1);
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey ec -pkeyopt "
	    "ec_paramgen_curve:prime256v1 -nodes -keyout %s -out %s -days 1 "
	    "-subj /CN=peer >/dev/null 2>&1 && "
	    "openssl x509 -noout -fingerprint -sha256 -in %s", key, cert, cert);
	if (run_cmd(cmd, fp, sizeof(fp)) == -1 ||
	    (f = strchr(fp, '=')) == NULL) {
		fprintf(stderr, "cannot make a certificate\n");
		return (1);
	}
	f++;
	f[strcspn(f, "\r\n")] = '\0';

	cb.send = p_send;
	cb.timer = p_timer;
	cb.state = p_state;
	cb.arg = &p;

	/* We are the client, OpenSSL the server. */
	if ((fd = udp_socket(&sin)) == -1)
		return (1);
	close(fd);	/* a free port for s_server */
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", ntohs(sin.sin_port));
	{
		char *const argv[] = { "openssl", "s_server", "-dtls1_2",
		    "-accept", addr, "-cert", cert, "-key", key,
		    "-use_srtp", "SRTP_AES128_CM_SHA1_80:SRTP_AES128_CM_SHA1_32",
		    "-keymatexport", "EXTRACTOR-dtls_srtp",
		    "-keymatexportlen", "60", "-verify", "1", "-naccept", "1",
		    NULL };

		memset(&p, 0, sizeof(p));
		if ((p.pid = spawn(argv, &p.out, &p.in)) == -1)
			return (1);
	}
	/* Wait until it listens. */
	{
		uint64_t end = now_ms() + 5000;

		while (strstr(p.text, "ACCEPT") == NULL && now_ms() < end) {
			usleep(10000);
			read_output(&p);
		}
	}
	srv = sin;
	if ((p.sock = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    connect(p.sock, (struct sockaddr *)&srv, sizeof(srv)) == -1)
		return (1);
	p.connected = 1;
	s = dtls_session_new(DTLS_ROLE_CLIENT, f, &cb);
	CHECK(s != NULL && dtls_session_start(s) == 0);
	drive(&p, s, "Keying material: ");
	check_keys(&p, DTLS_ROLE_CLIENT);
	CHECK(strstr(p.text, "SRTP_AES128_CM_SHA1_80") != NULL);
	if (failures > 0)
		fprintf(stderr, "s_server said:\n%s\n", p.text);
	dtls_session_free(s);
	stop(&p);

	/* We are the server, OpenSSL the client. */
	memset(&p, 0, sizeof(p));
	if ((p.sock = udp_socket(&sin)) == -1)
		return (1);
	snprintf(port, sizeof(port), "%u", ntohs(sin.sin_port));
	snprintf(addr, sizeof(addr), "127.0.0.1:%s", port);
	{
		char *const argv[] = { "openssl", "s_client", "-dtls1_2",
		    "-connect", addr, "-cert", cert, "-key", key,
		    "-use_srtp", "SRTP_AES128_CM_SHA1_80",
		    "-keymatexport", "EXTRACTOR-dtls_srtp",
		    "-keymatexportlen", "60", NULL };

		if ((p.pid = spawn(argv, &p.out, &p.in)) == -1)
			return (1);
	}
	s = dtls_session_new(DTLS_ROLE_SERVER, f, &cb);
	CHECK(s != NULL && dtls_session_start(s) == 0);
	drive(&p, s, "Keying material: ");
	check_keys(&p, DTLS_ROLE_SERVER);
	if (getenv("VERBOSE") != NULL || failures > 0)
		fprintf(stderr, "s_client said:\n%s\n", p.text);
	dtls_session_free(s);
	stop(&p);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	system(cmd);
	if (failures > 0) {
		fprintf(stderr, "%d failures\n", failures);
		return (1);
	}
	return (0);
}
