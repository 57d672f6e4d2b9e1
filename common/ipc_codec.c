/*
 * Packing and unpacking IPC payloads by format string (see ipc.h).
 * ipc_validate() is the gate every received frame passes; ipc_vunpack()
 * then cannot fail on a frame that passed it.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "ipc.h"

#define PUT(p, v) do { memcpy((p), &(v), sizeof(v)); } while (0)

static size_t
sa_len(const struct sockaddr *sa)
{
	if (sa == NULL)
		return (0);
	switch (sa->sa_family) {
	case AF_INET:
		return (sizeof(struct sockaddr_in));
	case AF_INET6:
		return (sizeof(struct sockaddr_in6));
	default:
		return (0);
	}
}

/*
 * Returns the payload length, or -1 if it does not fit in len bytes or the
 * format is bad.
 */
ssize_t
ipc_pack(uint8_t *buf, size_t len, const char *fmt, va_list ap)
{
	const struct sockaddr	*sa;
	const char		*s;
	const void		*blob;
	size_t			 off = 0, n;
	uint64_t		 q;
	uint32_t		 d;
	uint16_t		 w;
	uint8_t			 b;

	for (; *fmt != '\0'; fmt++) {
		switch (*fmt) {
		case 'b':
			b = va_arg(ap, int);
			if (len - off < sizeof(b))
				return (-1);
			PUT(buf + off, b);
			off += sizeof(b);
			break;
		case 'w':
			w = va_arg(ap, int);
			if (len - off < sizeof(w))
				return (-1);
			PUT(buf + off, w);
			off += sizeof(w);
			break;
		case 'd':
			d = va_arg(ap, unsigned int);
			if (len - off < sizeof(d))
				return (-1);
			PUT(buf + off, d);
			off += sizeof(d);
			break;
		case 'q':
			q = va_arg(ap, uint64_t);
			if (len - off < sizeof(q))
				return (-1);
			PUT(buf + off, q);
			off += sizeof(q);
			break;
		case 's':
			s = va_arg(ap, const char *);
			if (s == NULL)
				s = "";
			n = strlen(s) + 1;
			if (n > UINT16_MAX || len - off < sizeof(w) + n)
				return (-1);
			w = n;
			PUT(buf + off, w);
			memcpy(buf + off + sizeof(w), s, n);
			off += sizeof(w) + n;
			break;
		case 'x':
			blob = va_arg(ap, const void *);
			n = va_arg(ap, size_t);
			if (n > UINT32_MAX || len - off < sizeof(d) + n)
				return (-1);
			d = n;
			PUT(buf + off, d);
			if (n > 0)
				memcpy(buf + off + sizeof(d), blob, n);
			off += sizeof(d) + n;
			break;
		case 'A':
			sa = va_arg(ap, const struct sockaddr *);
			n = sa_len(sa);
			if (len - off < 1 + n)
				return (-1);
			buf[off] = n;
			if (n > 0)
				memcpy(buf + off + 1, sa, n);
			off += 1 + n;
			break;
		default:
			return (-1);
		}
	}
	return (off);
}

/*
 * Checks that buf holds exactly one payload of the given format.
 */
int
ipc_validate(const uint8_t *buf, size_t len, const char *fmt,
    const char **why)
{
	struct sockaddr_storage	 ss;
	size_t			 off = 0, n;
	uint32_t		 d;
	uint16_t		 w;

	for (; *fmt != '\0'; fmt++) {
		switch (*fmt) {
		case 'b':
		case 'w':
		case 'd':
		case 'q':
			n = *fmt == 'b' ? 1 : *fmt == 'w' ? 2 : *fmt == 'd' ?
			    4 : 8;
			if (len - off < n)
				goto truncated;
			off += n;
			break;
		case 's':
			if (len - off < sizeof(w))
				goto truncated;
			memcpy(&w, buf + off, sizeof(w));
			off += sizeof(w);
			if (w == 0 || len - off < w)
				goto badstr;
			/* Exactly one NUL, at the end. */
			if (memchr(buf + off, '\0', w) != buf + off + w - 1)
				goto badstr;
			off += w;
			break;
		case 'x':
			if (len - off < sizeof(d))
				goto truncated;
			memcpy(&d, buf + off, sizeof(d));
			off += sizeof(d);
			if (len - off < d)
				goto truncated;
			off += d;
			break;
		case 'A':
			if (len - off < 1)
				goto truncated;
			n = buf[off++];
			if (len - off < n)
				goto truncated;
			if (n != 0) {
				if (n > sizeof(ss))
					goto badaddr;
				memset(&ss, 0, sizeof(ss));
				memcpy(&ss, buf + off, n);
				if (sa_len((struct sockaddr *)&ss) != n)
					goto badaddr;
			}
			off += n;
			break;
		default:
			*why = "bad format in message table";
			return (-1);
		}
	}
	if (off != len) {
		*why = "trailing bytes in payload";
		return (-1);
	}
	return (0);
 truncated:
	*why = "truncated payload";
	return (-1);
 badstr:
	*why = "malformed string in payload";
	return (-1);
 badaddr:
	*why = "malformed address in payload";
	return (-1);
}

/*
 * Unpacks a payload that passed ipc_validate() with the same format.
 */
int
ipc_vunpack(const uint8_t *buf, size_t len, const char *fmt, va_list ap)
{
	struct sockaddr_storage	*ss;
	const char		*why;
	const void		**blob;
	size_t			*blen;
	size_t			 off = 0, n;
	uint32_t		 d;
	uint16_t		 w;

	if (ipc_validate(buf, len, fmt, &why) == -1)
		return (-1);
	for (; *fmt != '\0'; fmt++) {
		switch (*fmt) {
		case 'b':
			*va_arg(ap, uint8_t *) = buf[off];
			off += 1;
			break;
		case 'w':
			memcpy(va_arg(ap, uint16_t *), buf + off, 2);
			off += 2;
			break;
		case 'd':
			memcpy(va_arg(ap, uint32_t *), buf + off, 4);
			off += 4;
			break;
		case 'q':
			memcpy(va_arg(ap, uint64_t *), buf + off, 8);
			off += 8;
			break;
		case 's':
			memcpy(&w, buf + off, sizeof(w));
			*va_arg(ap, const char **) =
			    (const char *)buf + off + sizeof(w);
			off += sizeof(w) + w;
			break;
		case 'x':
			memcpy(&d, buf + off, sizeof(d));
			blob = va_arg(ap, const void **);
			blen = va_arg(ap, size_t *);
			*blob = buf + off + sizeof(d);
			*blen = d;
			off += sizeof(d) + d;
			break;
		case 'A':
			n = buf[off++];
			ss = va_arg(ap, struct sockaddr_storage *);
			memset(ss, 0, sizeof(*ss));
			memcpy(ss, buf + off, n);
			off += n;
			break;
		}
	}
	return (0);
}
