/*
 * sipd: private declarations.
 */
#ifndef SIPD_H
#define SIPD_H

/* sandbox.c */
void	sandbox_sipd(void);

#endif /* SIPD_H */
