/*
 * TLS tunnels toward TURN servers.  See tlstun.h.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "log.h"
#include "sockaddr.h"
#include "tlstun.h"

#define TUN_BUFSZ	16384

struct tun_conn;

struct tun_source {
	GSource		 source;
	struct tun_conn	*conn;
};

struct tun_conn {
	LIST_ENTRY(tun_conn)	 entry;
	struct tls_tunnel	*tun;
	int			 plain;		/* libnice's side */
	int			 tcp;		/* toward the TURN server */
	int			 connected;	/* TCP connect finished */
	int			 handshaken;
	int			 want_tcp_write;
	GSource			*src;
	gpointer		 plain_tag, tcp_tag;
	mbedtls_ssl_context	 ssl;
	uint8_t			 up[TUN_BUFSZ];		/* plain -> TLS */
	size_t			 uplen, upoff;
	uint8_t			 down[TUN_BUFSZ];	/* TLS -> plain */
	size_t			 downlen, downoff;
};

struct tls_tunnel {
	GMainContext			*ctx;
	struct sockaddr_storage		 server;
	struct sockaddr_storage		 local;
	char				 name[256];	/* for SNI and checks */
	int				 lfd;
	GSource				*lsrc;
	mbedtls_ssl_config		 conf;
	LIST_HEAD(, tun_conn)		 conns;
};

static struct {
	int			 ready;
	int			 have_ca;
	mbedtls_entropy_context	 entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_x509_crt	 ca;
	uint64_t		 sessions;	/* TLS handshakes completed */
} tun_global;

static void	conn_free(struct tun_conn *);
static void	pump(struct tun_conn *);

static int
global_init(void)
{
	static const char	 pers[] = "kandy-bridge turn tls";

	if (tun_global.ready)
		return (0);
	mbedtls_entropy_init(&tun_global.entropy);
	mbedtls_ctr_drbg_init(&tun_global.drbg);
	mbedtls_x509_crt_init(&tun_global.ca);
	if (mbedtls_ctr_drbg_seed(&tun_global.drbg, mbedtls_entropy_func,
	    &tun_global.entropy, (const unsigned char *)pers,
	    sizeof(pers) - 1) != 0) {
		log_warnx("tls tunnel: cannot seed");
		return (-1);
	}
	tun_global.ready = 1;
	return (0);
}

/*
 * Trust anchors for TURN servers, PEM text (the parent reads the file
 * before mediad is sandboxed).  Without them, server certificates are not
 * checked: the media itself is protected end to end by DTLS-SRTP.
 */
int
tls_tunnel_load_ca(const char *pem, size_t len)
{
	char	*copy;
	int	 ret;

	if (global_init() == -1)
		return (-1);
	/* mbedtls wants the terminating NUL counted. */
	if ((copy = malloc(len + 1)) == NULL)
		return (-1);
	memcpy(copy, pem, len);
	copy[len] = '\0';
	ret = mbedtls_x509_crt_parse(&tun_global.ca, (unsigned char *)copy,
	    len + 1);
	free(copy);
	if (ret < 0) {
		log_warnx("tls tunnel: no usable CA certificate");
		return (-1);
	}
	tun_global.have_ca = 1;
	return (0);
}

static int
bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct tun_conn	*c = ctx;
	ssize_t		 n;

	if ((n = send(c->tcp, buf, len, MSG_NOSIGNAL)) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return (MBEDTLS_ERR_SSL_WANT_WRITE);
		return (MBEDTLS_ERR_NET_SEND_FAILED);
	}
	return ((int)n);
}

static int
bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct tun_conn	*c = ctx;
	ssize_t		 n;

	if ((n = recv(c->tcp, buf, len, 0)) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return (MBEDTLS_ERR_SSL_WANT_READ);
		return (MBEDTLS_ERR_NET_RECV_FAILED);
	}
	if (n == 0)
		return (MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY);
	return ((int)n);
}

/* Watch exactly what the connection waits for, so the loop never spins. */
static void
rewatch(struct tun_conn *c)
{
	GIOCondition	 pc = 0, tc = 0;

	if (!c->connected) {
		tc = G_IO_OUT;
	} else {
		if (c->handshaken && c->uplen == 0)
			pc |= G_IO_IN;
		if (c->downlen > 0)
			pc |= G_IO_OUT;
		if (!c->handshaken || c->downlen == 0)
			tc |= G_IO_IN;
		if (c->want_tcp_write)
			tc |= G_IO_OUT;
	}
	g_source_modify_unix_fd(c->src, c->plain_tag, pc | G_IO_HUP | G_IO_ERR);
	g_source_modify_unix_fd(c->src, c->tcp_tag, tc | G_IO_HUP | G_IO_ERR);
}

static int
handshake(struct tun_conn *c)
{
	uint32_t	 flags;
	int		 ret;
	char		 buf[128];

	ret = mbedtls_ssl_handshake(&c->ssl);
	if (ret == MBEDTLS_ERR_SSL_WANT_READ)
		return (0);
	if (ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
		c->want_tcp_write = 1;
		return (0);
	}
	if (ret != 0) {
		mbedtls_strerror(ret, buf, sizeof(buf));
		log_warnx("tls tunnel: handshake with %s: %s", c->tun->name,
		    buf);
		return (-1);
	}
	if (tun_global.have_ca &&
	    (flags = mbedtls_ssl_get_verify_result(&c->ssl)) != 0) {
		mbedtls_x509_crt_verify_info(buf, sizeof(buf), "", flags);
		log_warnx("tls tunnel: %s: certificate not trusted: %s",
		    c->tun->name, buf);
		return (-1);
	}
	c->handshaken = 1;
	tun_global.sessions++;
	log_debug("tls tunnel: connected to %s, %s", c->tun->name,
	    mbedtls_ssl_get_ciphersuite(&c->ssl));
	return (0);
}

/* Move bytes while any direction makes progress.  -1: close. */
static int
move(struct tun_conn *c)
{
	ssize_t	 n;
	int	 ret, progress;

	do {
		progress = 0;
		c->want_tcp_write = 0;
		/* plain -> TLS */
		if (c->uplen == 0) {
			n = recv(c->plain, c->up, sizeof(c->up), 0);
			if (n == 0)
				return (-1);
			if (n > 0) {
				c->uplen = n;
				c->upoff = 0;
				progress = 1;
			} else if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				return (-1);
		}
		if (c->uplen > 0) {
			ret = mbedtls_ssl_write(&c->ssl, c->up + c->upoff,
			    c->uplen - c->upoff);
			if (ret > 0) {
				c->upoff += ret;
				if (c->upoff == c->uplen)
					c->uplen = c->upoff = 0;
				progress = 1;
			} else if (ret == MBEDTLS_ERR_SSL_WANT_WRITE)
				c->want_tcp_write = 1;
			else if (ret != MBEDTLS_ERR_SSL_WANT_READ)
				return (-1);
		}
		/* TLS -> plain */
		if (c->downlen == 0) {
			ret = mbedtls_ssl_read(&c->ssl, c->down,
			    sizeof(c->down));
			if (ret > 0) {
				c->downlen = ret;
				c->downoff = 0;
				progress = 1;
			} else if (ret == MBEDTLS_ERR_SSL_WANT_WRITE)
				c->want_tcp_write = 1;
			else if (ret != MBEDTLS_ERR_SSL_WANT_READ)
				return (-1);
		}
		if (c->downlen > 0) {
			n = send(c->plain, c->down + c->downoff,
			    c->downlen - c->downoff, MSG_NOSIGNAL);
			if (n > 0) {
				c->downoff += n;
				if (c->downoff == c->downlen)
					c->downlen = c->downoff = 0;
				progress = 1;
			} else if (n == -1 && errno != EAGAIN &&
			    errno != EWOULDBLOCK && errno != EINTR)
				return (-1);
		}
	} while (progress);
	return (0);
}

static void
pump(struct tun_conn *c)
{
	int		 err;
	socklen_t	 len = sizeof(err);

	if (!c->connected) {
		if (getsockopt(c->tcp, SOL_SOCKET, SO_ERROR, &err,
		    &len) == -1 || err != 0) {
			log_warnx("tls tunnel: cannot reach %s: %s",
			    c->tun->name, strerror(err));
			conn_free(c);
			return;
		}
		c->connected = 1;
	}
	c->want_tcp_write = 0;
	if (!c->handshaken && handshake(c) == -1) {
		conn_free(c);
		return;
	}
	if (c->handshaken && move(c) == -1) {
		conn_free(c);
		return;
	}
	rewatch(c);
}

static gboolean
conn_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
	struct tun_conn	*c = ((struct tun_source *)src)->conn;
	GIOCondition	 pr, tr;

	pr = g_source_query_unix_fd(src, c->plain_tag);
	tr = g_source_query_unix_fd(src, c->tcp_tag);
	if (((pr | tr) & (G_IO_HUP | G_IO_ERR)) && !(pr & G_IO_IN) &&
	    !(tr & G_IO_IN)) {
		conn_free(c);
		return (G_SOURCE_CONTINUE);	/* already destroyed */
	}
	pump(c);
	return (G_SOURCE_CONTINUE);
}

static GSourceFuncs conn_funcs = {
	NULL, NULL, conn_dispatch, NULL, NULL, NULL
};

static void
conn_free(struct tun_conn *c)
{
	LIST_REMOVE(c, entry);
	if (c->src != NULL) {
		g_source_destroy(c->src);
		g_source_unref(c->src);
	}
	mbedtls_ssl_free(&c->ssl);
	close(c->plain);
	if (c->tcp != -1)
		close(c->tcp);
	free(c);
}

static void
accept_one(struct tls_tunnel *t)
{
	struct tun_conn	*c;
	int		 fd, one = 1;

	if ((fd = accept4(t->lfd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) == -1)
		return;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	c->tun = t;
	c->plain = fd;
	mbedtls_ssl_init(&c->ssl);
	LIST_INSERT_HEAD(&t->conns, c, entry);
	if ((c->tcp = socket(t->server.ss_family, SOCK_STREAM |
	    SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1 ||
	    (connect(c->tcp, (struct sockaddr *)&t->server,
	    ss_len(&t->server)) == -1 && errno != EINPROGRESS)) {
		log_warn("tls tunnel: connect to %s", t->name);
		conn_free(c);
		return;
	}
	setsockopt(c->tcp, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(c->plain, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (mbedtls_ssl_setup(&c->ssl, &t->conf) != 0 ||
	    mbedtls_ssl_set_hostname(&c->ssl, t->name) != 0) {
		conn_free(c);
		return;
	}
	mbedtls_ssl_set_bio(&c->ssl, c, bio_send, bio_recv, NULL);
	c->src = g_source_new(&conn_funcs, sizeof(struct tun_source));
	((struct tun_source *)c->src)->conn = c;
	c->plain_tag = g_source_add_unix_fd(c->src, c->plain, 0);
	c->tcp_tag = g_source_add_unix_fd(c->src, c->tcp, G_IO_OUT);
	g_source_attach(c->src, t->ctx);
}

static gboolean
listener_ready(gint fd, GIOCondition cond, gpointer arg)
{
	accept_one(arg);
	return (G_SOURCE_CONTINUE);
}

/*
 * A tunnel to the TURN server at addr; name is its host name, for SNI and
 * certificate checks (may be NULL).  Point libnice at tls_tunnel_local()
 * as a TURN/TCP server.
 */
struct tls_tunnel *
tls_tunnel_new(GMainContext *ctx, const struct sockaddr_storage *addr,
    const char *name)
{
	struct tls_tunnel	*t;
	struct sockaddr_in	*sin;
	socklen_t		 len;

	if (global_init() == -1)
		return (NULL);
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return (NULL);
	t->ctx = ctx;
	t->server = *addr;
	t->lfd = -1;
	LIST_INIT(&t->conns);
	strlcpy(t->name, name != NULL && *name != '\0' ? name : "turn-server",
	    sizeof(t->name));
	mbedtls_ssl_config_init(&t->conf);
	if (mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_CLIENT,
	    MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT) != 0)
		goto fail;
	mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
	    MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random,
	    &tun_global.drbg);
	if (tun_global.have_ca) {
		mbedtls_ssl_conf_ca_chain(&t->conf, &tun_global.ca, NULL);
		mbedtls_ssl_conf_authmode(&t->conf,
		    MBEDTLS_SSL_VERIFY_REQUIRED);
	} else
		mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_NONE);

	/* Listen on 127.0.0.1, any port, for libnice only. */
	memset(&t->local, 0, sizeof(t->local));
	sin = (struct sockaddr_in *)&t->local;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	len = sizeof(*sin);
	if ((t->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1 ||
	    bind(t->lfd, (struct sockaddr *)sin, sizeof(*sin)) == -1 ||
	    getsockname(t->lfd, (struct sockaddr *)sin, &len) == -1 ||
	    listen(t->lfd, 8) == -1) {
		log_warn("tls tunnel: listen");
		goto fail;
	}
	t->lsrc = g_unix_fd_source_new(t->lfd, G_IO_IN);
	g_source_set_callback(t->lsrc, G_SOURCE_FUNC(listener_ready), t, NULL);
	g_source_attach(t->lsrc, ctx);
	return (t);
 fail:
	tls_tunnel_free(t);
	return (NULL);
}

const struct sockaddr_storage *
tls_tunnel_local(const struct tls_tunnel *t)
{
	return (&t->local);
}

void
tls_tunnel_free(struct tls_tunnel *t)
{
	if (t == NULL)
		return;
	while (!LIST_EMPTY(&t->conns))
		conn_free(LIST_FIRST(&t->conns));
	if (t->lsrc != NULL) {
		g_source_destroy(t->lsrc);
		g_source_unref(t->lsrc);
	}
	if (t->lfd != -1)
		close(t->lfd);
	mbedtls_ssl_config_free(&t->conf);
	free(t);
}

/* TLS sessions established since start, for statistics and tests. */
uint64_t
tls_tunnel_sessions(void)
{
	return (tun_global.sessions);
}
