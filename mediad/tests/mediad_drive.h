/*
 * Driving a real mediad alone: the test plays its parent, sipd and
 * kandyd over the same socketpairs bridged would give it.
 */
#ifndef MEDIAD_DRIVE_H
#define MEDIAD_DRIVE_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "ipc.h"

#define DRIVE_SAMPLES	160	/* 20 ms of G.711 */

/* mediad_drive.c */
void	drive_init(void);
int	drive_stop(pid_t);
pid_t	drive_start(const char *, struct ipc_conn *, struct ipc_conn *,
	    struct ipc_conn *);
pid_t	drive_start_quiet(const char *, struct ipc_conn *, struct ipc_conn *,
	    struct ipc_conn *);
void	drive_flush(struct ipc_conn *);
size_t	drive_tone_packet(uint8_t *, size_t, double, int, uint32_t);

#endif /* MEDIAD_DRIVE_H */
