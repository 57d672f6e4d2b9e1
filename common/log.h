/*
 * Logging for every kandy-bridge process: stderr in the foreground,
 * syslog otherwise.  Secrets must never be passed to these functions.
 */
#ifndef KB_LOG_H
#define KB_LOG_H

#include <stdarg.h>

#ifndef __dead
#define __dead	__attribute__((__noreturn__))
#endif

void	log_init(int foreground, int verbose, int facility);
void	log_procinit(const char *procname);
void	log_setverbose(int verbose);
int	log_getverbose(void);
void	log_warn(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	log_warnx(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	log_info(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	log_debug(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
void	vlog(int, const char *, va_list)
	    __attribute__((__format__ (printf, 2, 0)));
__dead void fatal(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));
__dead void fatalx(const char *, ...)
	    __attribute__((__format__ (printf, 1, 2)));

#endif /* KB_LOG_H */
