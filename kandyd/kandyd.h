/*
 * kandyd: private declarations.
 */
#ifndef KANDYD_H
#define KANDYD_H

/* sandbox.c */
void	sandbox_kandyd(void);

#endif /* KANDYD_H */
