/*
 * Small helpers: identifiers, base64, path splitting, allocation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kandysim.h"
#include "log.h"

void *
xcalloc(size_t n, size_t sz)
{
	void	*p;

	if ((p = calloc(n, sz)) == NULL)
		fatal("calloc");
	return (p);
}

char *
xstrdup(const char *s)
{
	char	*p;

	if (s == NULL)
		return (NULL);
	if ((p = strdup(s)) == NULL)
		fatal("strdup");
	return (p);
}

/* Replace a heap string, keeping NULL for NULL. */
void
strset(char **dst, const char *src)
{
	free(*dst);
	*dst = xstrdup(src);
}

void
uuid_str(char *buf, size_t len)
{
	unsigned char	 b[16];

	arc4random_buf(b, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(buf, len, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static size_t
b64_any(const unsigned char *in, size_t len, char *out, size_t outlen,
    const char *alpha, int pad)
{
	size_t		 i, o = 0;
	uint32_t	 v;

	for (i = 0; i < len; i += 3) {
		v = in[i] << 16;
		if (i + 1 < len)
			v |= in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		if (o + 5 > outlen)
			break;
		out[o++] = alpha[(v >> 18) & 63];
		out[o++] = alpha[(v >> 12) & 63];
		if (i + 1 < len)
			out[o++] = alpha[(v >> 6) & 63];
		else if (pad)
			out[o++] = '=';
		if (i + 2 < len)
			out[o++] = alpha[v & 63];
		else if (pad)
			out[o++] = '=';
	}
	if (outlen > 0)
		out[o < outlen ? o : outlen - 1] = '\0';
	return (o);
}

size_t
b64url_encode(const unsigned char *in, size_t len, char *out, size_t outlen)
{
	return (b64_any(in, len, out, outlen,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
	    0));
}

size_t
b64_encode(const unsigned char *in, size_t len, char *out, size_t outlen)
{
	return (b64_any(in, len, out, outlen,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
	    1));
}

static int
b64url_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return (c - 'A');
	if (c >= 'a' && c <= 'z')
		return (c - 'a' + 26);
	if (c >= '0' && c <= '9')
		return (c - '0' + 52);
	if (c == '-')
		return (62);
	if (c == '_')
		return (63);
	return (-1);
}

/* Decode unpadded base64url; -1 on a bad character or a full buffer. */
ssize_t
b64url_decode(const char *in, size_t len, unsigned char *out, size_t outlen)
{
	size_t		 i, o = 0;
	uint32_t	 acc = 0;
	int		 bits = 0, v;

	for (i = 0; i < len; i++) {
		if ((v = b64url_val(in[i])) == -1)
			return (-1);
		acc = (acc << 6) | v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outlen)
				return (-1);
			out[o++] = (acc >> bits) & 0xff;
		}
	}
	return (o);
}

/* Split "/a/b/c" in place into at most max segments; -1 if more. */
int
split_path(char *path, char **seg, int max)
{
	char	*p;
	int	 n = 0;

	while ((p = strsep(&path, "/")) != NULL) {
		if (*p == '\0')
			continue;
		if (n == max)
			return (-1);
		seg[n++] = p;
	}
	return (n);
}
