/*
 * Logging shared by the parent and the children.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int		 log_foreground;
static int		 log_verbose;
static const char	*log_procname;

void
log_init(int foreground, int verbose, int facility)
{
	extern char	*__progname;

	log_foreground = foreground;
	log_verbose = verbose;
	log_procname = __progname;
	if (!foreground)
		openlog(__progname, LOG_PID | LOG_NDELAY, facility);
	tzset();
}

void
log_procinit(const char *procname)
{
	if (procname != NULL)
		log_procname = procname;
}

void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

int
log_getverbose(void)
{
	return (log_verbose);
}

void
vlog(int pri, const char *fmt, va_list ap)
{
	char	 buf[1024];
	int	 saved_errno = errno, n, m;

	if (log_foreground) {
		/*
		 * One write(2) per line keeps lines whole across processes
		 * and needs no stdio, which sandboxed children cannot set up.
		 */
		n = snprintf(buf, sizeof(buf), "%s: ", log_procname);
		if (n < 0 || (size_t)n >= sizeof(buf))
			n = 0;
		m = vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
		if (m < 0)
			m = 0;
		n += m;
		if ((size_t)n > sizeof(buf) - 2)
			n = sizeof(buf) - 2;
		buf[n++] = '\n';
		(void)write(STDERR_FILENO, buf, n);
	} else
		vsyslog(pri, fmt, ap);
	errno = saved_errno;
}

static void
logit(int pri, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(pri, fmt, ap);
	va_end(ap);
}

static void
vwarn_errno(int pri, const char *emsg, va_list ap)
{
	char	 buf[1024];
	int	 saved_errno = errno;

	if (emsg == NULL)
		logit(pri, "%s", strerror(saved_errno));
	else {
		vsnprintf(buf, sizeof(buf), emsg, ap);
		logit(pri, "%s: %s", buf, strerror(saved_errno));
	}
	errno = saved_errno;
}

void
log_warn(const char *emsg, ...)
{
	va_list	 ap;

	va_start(ap, emsg);
	vwarn_errno(LOG_ERR, emsg, ap);
	va_end(ap);
}

void
log_warnx(const char *emsg, ...)
{
	va_list	 ap;

	va_start(ap, emsg);
	vlog(LOG_ERR, emsg, ap);
	va_end(ap);
}

void
log_info(const char *emsg, ...)
{
	va_list	 ap;

	va_start(ap, emsg);
	vlog(LOG_INFO, emsg, ap);
	va_end(ap);
}

void
log_debug(const char *emsg, ...)
{
	va_list	 ap;

	if (log_verbose) {
		va_start(ap, emsg);
		vlog(LOG_DEBUG, emsg, ap);
		va_end(ap);
	}
}

static __dead void
vfatalc(int code, const char *emsg, va_list ap)
{
	char	 buf[1024];

	if (emsg != NULL)
		vsnprintf(buf, sizeof(buf), emsg, ap);
	else
		buf[0] = '\0';
	if (code)
		logit(LOG_CRIT, "fatal in %s: %s%s%s", log_procname, buf,
		    buf[0] ? ": " : "", strerror(code));
	else
		logit(LOG_CRIT, "fatal in %s: %s", log_procname, buf);
	exit(1);
}

void
fatal(const char *emsg, ...)
{
	va_list	 ap;

	va_start(ap, emsg);
	vfatalc(errno, emsg, ap);
	va_end(ap);
}

void
fatalx(const char *emsg, ...)
{
	va_list	 ap;

	va_start(ap, emsg);
	vfatalc(0, emsg, ap);
	va_end(ap);
}
