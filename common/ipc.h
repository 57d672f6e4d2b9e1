/*
 * kandy-bridge IPC: length-prefixed frames over Unix stream sockets, with
 * descriptor passing.  The core here does buffering, framing and checking
 * only; each process plugs it into its own event loop (ipc_event.c for
 * libevent, and one small adapter per other loop).
 *
 * Frame: struct ipc_hdr followed by hdr.len payload bytes.  Host byte
 * order: both ends are always on the same machine.  A frame is handed to
 * the caller only when its type is known, it may travel from the sending
 * process to this one, its descriptor flag matches a received descriptor,
 * and its payload matches the type's format exactly.
 */
#ifndef KB_IPC_H
#define KB_IPC_H

#include <sys/types.h>
#include <sys/queue.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "proc.h"

#define IPC_MAXPAYLOAD	(64 * 1024)	/* hard cap on one frame's payload */
#define IPC_MAXQUEUE	(8 * 1024 * 1024) /* unsent bytes before a peer is dropped */
#define IPC_MAXFDS	8		/* received, not yet claimed descriptors */

#define IPC_F_FD	0x0001		/* one descriptor travels with the frame */
#define IPC_F_MASK	IPC_F_FD

struct ipc_hdr {
	uint16_t	type;
	uint16_t	flags;
	uint32_t	len;
	uint64_t	call;		/* call id, 0 when not about a call */
};

/* A received, checked frame.  data is valid until the next ipc_fill(). */
struct ipc_msg {
	struct ipc_hdr	 hdr;
	const uint8_t	*data;
	int		 fd;		/* -1, or owned by the receiver */
};

struct ipc_out {
	TAILQ_ENTRY(ipc_out)	 entry;
	size_t			 len;
	size_t			 off;
	int			 fd;		/* sent with the first byte */
	uint8_t			 buf[];
};

struct ipc_conn {
	int			 fd;
	enum kb_proc		 self;
	enum kb_proc		 peer;
	uint8_t			*rbuf;
	size_t			 rsize;
	size_t			 rlen;		/* bytes held */
	size_t			 roff;		/* bytes already handed out */
	int			 rfds[IPC_MAXFDS];
	int			 nrfds;
	TAILQ_HEAD(, ipc_out)	 outq;
	size_t			 outlen;
	char			 err[128];	/* why the last call failed */
};

/* Payload formats, one character per field:
 *   b u8   w u16   d u32   q u64    (packed from int/int/unsigned/uint64_t)
 *   s  string: u16 length incl. NUL, bytes, NUL (packed from const char *,
 *      NULL packs as ""; unpacked as const char * into the frame)
 *   x  blob: u32 length, bytes (packed from const void *, size_t;
 *      unpacked as const void **, size_t *)
 *   A  socket address: u8 length, struct sockaddr bytes (packed from
 *      const struct sockaddr *, NULL packs as none; unpacked into a
 *      struct sockaddr_storage *, ss_family AF_UNSPEC when none)
 */
struct ipc_type {
	const char	*name;
	const char	*fmt;
	uint32_t	 from;		/* PROC_BIT() of who may send it */
	uint32_t	 to;		/* PROC_BIT() of who may receive it */
	int		 fd;		/* 1: must carry a descriptor */
};

/* ipc.c */
void		 ipc_init(struct ipc_conn *, int, enum kb_proc, enum kb_proc);
void		 ipc_clear(struct ipc_conn *);
int		 ipc_compose(struct ipc_conn *, uint16_t, uint64_t, int,
		    const void *, size_t);
int		 ipc_send(struct ipc_conn *, uint16_t, uint64_t, int, ...);
int		 ipc_vsend(struct ipc_conn *, uint16_t, uint64_t, int, va_list);
int		 ipc_flush(struct ipc_conn *);
int		 ipc_pending(const struct ipc_conn *);
ssize_t		 ipc_fill(struct ipc_conn *);
int		 ipc_next(struct ipc_conn *, struct ipc_msg *);
int		 ipc_feed(struct ipc_conn *, const void *, size_t);
int		 ipc_unpack(const struct ipc_msg *, ...);
const char	*ipc_strerror(const struct ipc_conn *);

/* ipc_codec.c */
ssize_t		 ipc_pack(uint8_t *, size_t, const char *, va_list);
int		 ipc_vunpack(const uint8_t *, size_t, const char *, va_list);
int		 ipc_validate(const uint8_t *, size_t, const char *,
		    const char **);

/* ipc_table.c */
const struct ipc_type	*ipc_type(uint16_t);
const char		*ipc_typename(uint16_t);

#endif /* KB_IPC_H */
