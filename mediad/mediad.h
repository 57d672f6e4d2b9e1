/*
 * mediad: private declarations.
 */
#ifndef MEDIAD_H
#define MEDIAD_H

/* sandbox.c */
void	sandbox_mediad(void);

#endif /* MEDIAD_H */
