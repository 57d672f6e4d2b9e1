/*
 * IPC connection: buffered, non-blocking framing with descriptor passing.
 * Nothing here knows about event loops.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"

#define IPC_RBUFMIN	(16 * 1024)

static int	ipc_fail(struct ipc_conn *, const char *, ...)
		    __attribute__((__format__ (printf, 2, 3)));

void
ipc_init(struct ipc_conn *c, int fd, enum kb_proc self, enum kb_proc peer)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->self = self;
	c->peer = peer;
	TAILQ_INIT(&c->outq);
}

void
ipc_clear(struct ipc_conn *c)
{
	struct ipc_out	*o;
	int		 i;

	while ((o = TAILQ_FIRST(&c->outq)) != NULL) {
		TAILQ_REMOVE(&c->outq, o, entry);
		if (o->fd != -1)
			close(o->fd);
		free(o);
	}
	for (i = 0; i < c->nrfds; i++)
		close(c->rfds[i]);
	c->nrfds = 0;
	free(c->rbuf);
	c->rbuf = NULL;
	c->rsize = c->rlen = c->roff = 0;
	c->outlen = 0;
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
}

static int
ipc_fail(struct ipc_conn *c, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return (-1);
}

const char *
ipc_strerror(const struct ipc_conn *c)
{
	return (c->err);
}

/*
 * Queues one frame.  fd, when not -1, is passed to the peer and closed
 * here once sent; it is closed on failure too.
 */
int
ipc_compose(struct ipc_conn *c, uint16_t type, uint64_t call, int fd,
    const void *data, size_t len)
{
	struct ipc_out	*o;
	struct ipc_hdr	 hdr;

	if (len > IPC_MAXPAYLOAD || c->outlen + len > IPC_MAXQUEUE) {
		if (fd != -1)
			close(fd);
		errno = ENOBUFS;
		return (ipc_fail(c, "%s: frame too large or queue full",
		    ipc_typename(type)));
	}
	if ((o = malloc(sizeof(*o) + sizeof(hdr) + len)) == NULL) {
		if (fd != -1)
			close(fd);
		return (ipc_fail(c, "malloc: %s", strerror(errno)));
	}
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.flags = fd != -1 ? IPC_F_FD : 0;
	hdr.len = len;
	hdr.call = call;
	memcpy(o->buf, &hdr, sizeof(hdr));
	if (len > 0)
		memcpy(o->buf + sizeof(hdr), data, len);
	o->len = sizeof(hdr) + len;
	o->off = 0;
	o->fd = fd;
	TAILQ_INSERT_TAIL(&c->outq, o, entry);
	c->outlen += o->len;
	return (0);
}

int
ipc_vsend(struct ipc_conn *c, uint16_t type, uint64_t call, int fd,
    va_list ap)
{
	const struct ipc_type	*t;
	static uint8_t		 buf[IPC_MAXPAYLOAD];
	ssize_t			 len;

	if ((t = ipc_type(type)) == NULL) {
		if (fd != -1)
			close(fd);
		return (ipc_fail(c, "unknown message type %u", type));
	}
	if ((len = ipc_pack(buf, sizeof(buf), t->fmt, ap)) == -1) {
		if (fd != -1)
			close(fd);
		return (ipc_fail(c, "%s: payload too large", t->name));
	}
	return (ipc_compose(c, type, call, fd, buf, len));
}

/*
 * Packs the arguments by the type's format from the message table and
 * queues the frame.
 */
int
ipc_send(struct ipc_conn *c, uint16_t type, uint64_t call, int fd, ...)
{
	va_list	 ap;
	int	 rv;

	va_start(ap, fd);
	rv = ipc_vsend(c, type, call, fd, ap);
	va_end(ap);
	return (rv);
}

int
ipc_pending(const struct ipc_conn *c)
{
	return (!TAILQ_EMPTY(&c->outq));
}

/*
 * Writes as much as the socket takes.  Returns 0 when everything is sent,
 * 1 when more remains (wait for writability), -1 on error.
 */
int
ipc_flush(struct ipc_conn *c)
{
	struct ipc_out	*o;
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	ssize_t		 n;

	while ((o = TAILQ_FIRST(&c->outq)) != NULL) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = o->buf + o->off;
		iov.iov_len = o->len - o->off;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		if (o->fd != -1) {
			memset(&cmsgbuf, 0, sizeof(cmsgbuf));
			mh.msg_control = &cmsgbuf.buf;
			mh.msg_controllen = sizeof(cmsgbuf.buf);
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_len = CMSG_LEN(sizeof(int));
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			memcpy(CMSG_DATA(cm), &o->fd, sizeof(int));
		}
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				return (1);
			return (ipc_fail(c, "sendmsg: %s", strerror(errno)));
		}
		if (o->fd != -1) {
			close(o->fd);
			o->fd = -1;
		}
		o->off += n;
		c->outlen -= n;
		if (o->off < o->len)
			continue;
		TAILQ_REMOVE(&c->outq, o, entry);
		free(o);
	}
	return (0);
}

/*
 * Reads what the socket has.  Returns bytes read, 0 on end of file, -1 on
 * error (errno EAGAIN: nothing to read now).
 */
ssize_t
ipc_fill(struct ipc_conn *c)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * IPC_MAXFDS)];
	} cmsgbuf;
	uint8_t		*p;
	ssize_t		 n;
	size_t		 want, i, nfd;
	int		 fd;

	/* Drop what was handed out, then make room for one more frame. */
	if (c->roff > 0) {
		memmove(c->rbuf, c->rbuf + c->roff, c->rlen - c->roff);
		c->rlen -= c->roff;
		c->roff = 0;
	}
	want = c->rlen + IPC_RBUFMIN;
	if (want > sizeof(struct ipc_hdr) + IPC_MAXPAYLOAD)
		want = sizeof(struct ipc_hdr) + IPC_MAXPAYLOAD;
	if (want > c->rsize) {
		if ((p = realloc(c->rbuf, want)) == NULL)
			return (ipc_fail(c, "realloc: %s", strerror(errno)));
		c->rbuf = p;
		c->rsize = want;
	}
	if (c->rlen == c->rsize) {
		errno = ENOBUFS;
		return (ipc_fail(c, "receive buffer full"));
	}

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = c->rbuf + c->rlen;
	iov.iov_len = c->rsize - c->rlen;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = &cmsgbuf.buf;
	mh.msg_controllen = sizeof(cmsgbuf.buf);
	n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC);
	if (n == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			ipc_fail(c, "recvmsg: %s", strerror(errno));
		return (-1);
	}
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfd; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			    sizeof(int));
			if (c->nrfds < IPC_MAXFDS)
				c->rfds[c->nrfds++] = fd;
			else
				close(fd);
		}
	}
	if (mh.msg_flags & MSG_CTRUNC) {
		errno = EPROTO;
		return (ipc_fail(c, "descriptors truncated"));
	}
	c->rlen += n;
	return (n);
}

/*
 * Appends bytes as if read from the socket; for tests and the fuzzer.
 */
int
ipc_feed(struct ipc_conn *c, const void *data, size_t len)
{
	uint8_t	*p;

	if (c->roff > 0) {
		memmove(c->rbuf, c->rbuf + c->roff, c->rlen - c->roff);
		c->rlen -= c->roff;
		c->roff = 0;
	}
	if (len > SIZE_MAX - c->rlen)
		return (-1);
	if (c->rlen + len > c->rsize) {
		if ((p = realloc(c->rbuf, c->rlen + len)) == NULL)
			return (-1);
		c->rbuf = p;
		c->rsize = c->rlen + len;
	}
	memcpy(c->rbuf + c->rlen, data, len);
	c->rlen += len;
	return (0);
}

/*
 * Hands out the next complete frame.  Returns 1 with *m filled, 0 when no
 * complete frame is buffered, -1 when the peer sent something it must not
 * (the connection should then be closed; ipc_strerror() says why).
 */
int
ipc_next(struct ipc_conn *c, struct ipc_msg *m)
{
	const struct ipc_type	*t;
	struct ipc_hdr		 hdr;
	const char		*why;
	size_t			 avail;

	avail = c->rlen - c->roff;
	if (avail < sizeof(hdr))
		return (0);
	memcpy(&hdr, c->rbuf + c->roff, sizeof(hdr));
	if (hdr.len > IPC_MAXPAYLOAD)
		return (ipc_fail(c, "frame of %u bytes exceeds the limit",
		    hdr.len));
	if ((t = ipc_type(hdr.type)) == NULL)
		return (ipc_fail(c, "unknown message type %u", hdr.type));
	if ((t->from & PROC_BIT(c->peer)) == 0 ||
	    (t->to & PROC_BIT(c->self)) == 0)
		return (ipc_fail(c, "%s may not travel from %s to %s",
		    t->name, proc_name(c->peer), proc_name(c->self)));
	if (hdr.flags & ~IPC_F_MASK)
		return (ipc_fail(c, "%s: unknown flags 0x%x", t->name,
		    hdr.flags));
	if (!!(hdr.flags & IPC_F_FD) != t->fd)
		return (ipc_fail(c, "%s: descriptor flag mismatch", t->name));
	if (avail - sizeof(hdr) < hdr.len)
		return (0);
	if ((hdr.flags & IPC_F_FD) && c->nrfds == 0)
		return (ipc_fail(c, "%s: descriptor missing", t->name));
	if (ipc_validate(c->rbuf + c->roff + sizeof(hdr), hdr.len, t->fmt,
	    &why) == -1)
		return (ipc_fail(c, "%s: %s", t->name, why));

	m->hdr = hdr;
	m->data = c->rbuf + c->roff + sizeof(hdr);
	m->fd = -1;
	if (hdr.flags & IPC_F_FD) {
		m->fd = c->rfds[0];
		memmove(c->rfds, c->rfds + 1, --c->nrfds * sizeof(int));
	}
	c->roff += sizeof(hdr) + hdr.len;
	return (1);
}

/*
 * Unpacks a frame from ipc_next() by its type's format.
 */
int
ipc_unpack(const struct ipc_msg *m, ...)
{
	const struct ipc_type	*t;
	va_list			 ap;
	int			 rv;

	if ((t = ipc_type(m->hdr.type)) == NULL)
		return (-1);
	va_start(ap, m);
	rv = ipc_vunpack(m->data, m->hdr.len, t->fmt, ap);
	va_end(ap);
	return (rv);
}
