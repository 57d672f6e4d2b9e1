/*
 * Privilege drop and sandboxing of the children.
 */
#ifndef KB_PRIVDROP_H
#define KB_PRIVDROP_H

#include <stddef.h>

#define KB_USER		"_bridged"
#define KB_CHROOT	"/var/empty"

/* privdrop.c */
void	privdrop(const char *, const char *);
void	nocoredump(void);

/* sandbox.c */
void	sandbox_apply(const char *, const int *, size_t);
void	sandbox_violate(void);

#endif /* KB_PRIVDROP_H */
