/*
 * bridgectl's pieces: one request and its answers (bridgectl.c), and the
 * calls listing that joins sipd's and mediad's answers (calls.c).
 */
#ifndef BRIDGECTL_H
#define BRIDGECTL_H

#include <stdint.h>

#include "ipc.h"

/*
 * Called for each answer; returns 0 for more, 1 when the exchange is
 * over, -1 when it is over with an error.
 */
typedef int	(*reply_fn)(struct ipc_msg *, void *);

/* bridgectl.c */
int	exchange(struct ipc_conn *, reply_fn, void *);
void	fmt_uptime(char *, size_t, time_t);

/* calls.c */
int	show_calls(struct ipc_conn *, uint64_t);

#endif /* BRIDGECTL_H */
