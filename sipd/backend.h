/*
 * sipd's backend: the SIP engine's callbacks turned into IPC messages to
 * the parent, kandyd and mediad, and their answers turned back into
 * engine calls.
 */
#ifndef SIPD_BACKEND_H
#define SIPD_BACKEND_H

#include "child.h"
#include "sipd.h"

struct su_root_s;

void	backend_init(struct child_ctx *, struct su_root_s *);
void	backend_configure(const struct sipd_config *);
void	backend_set_codecs(const uint8_t *, int, int);
void	backend_set_register_requires_kandy(int);
void	backend_dispatch(enum kb_proc, struct ipc_msg *);
void	backend_peer_down(enum kb_proc);

#endif /* SIPD_BACKEND_H */
