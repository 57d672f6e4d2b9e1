/*
 * System call sandbox of a child.  On Linux a libseccomp allow-list: the
 * calls every child needs, plus the caller's own list; anything else kills
 * the process (or, built with -Dseccomp_debug=true, is logged and fails
 * with ENOSYS on x86-64).  On OpenBSD the caller's promises go to pledge(2).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "kb_config.h"
#include "log.h"
#include "privdrop.h"

#ifdef __OpenBSD__

void
sandbox_apply(const char *promises, const int *extra, size_t nextra)
{
	if (unveil(NULL, NULL) == -1)
		fatal("unveil");
	if (pledge(promises, NULL) == -1)
		fatal("pledge");
}

void
sandbox_violate(void)
{
	char	*argv[] = { "sh", NULL };

	log_warnx("sandbox test: attempting a forbidden system call");
	execv("/bin/sh", argv);
	log_warnx("sandbox test: forbidden call returned: the sandbox is "
	    "not enforcing");
}

#else /* Linux */

#include <sys/ioctl.h>
#include <sched.h>
#include <linux/sockios.h>
#include <linux/wireless.h>
#include <termios.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <seccomp.h>
#include <ucontext.h>

static const int sandbox_base[] = {
	SCMP_SYS(brk),
	SCMP_SYS(clock_gettime),
	SCMP_SYS(clock_nanosleep),
	SCMP_SYS(close),
	SCMP_SYS(dup),
	SCMP_SYS(epoll_create1),
	SCMP_SYS(epoll_ctl),
	SCMP_SYS(epoll_pwait),
	SCMP_SYS(epoll_wait),
	SCMP_SYS(eventfd2),		/* GLib's wake-ups */
	SCMP_SYS(exit),
	SCMP_SYS(exit_group),
	SCMP_SYS(fcntl),
	SCMP_SYS(fstat),
	SCMP_SYS(futex),
	SCMP_SYS(getpid),
	SCMP_SYS(getppid),
	SCMP_SYS(getrandom),
	SCMP_SYS(gettid),
	SCMP_SYS(gettimeofday),
	SCMP_SYS(madvise),
	SCMP_SYS(mmap),
	SCMP_SYS(mprotect),
	SCMP_SYS(mremap),
	SCMP_SYS(munmap),
	SCMP_SYS(nanosleep),
	SCMP_SYS(newfstatat),
	SCMP_SYS(pipe2),
	SCMP_SYS(poll),
	SCMP_SYS(ppoll),
	SCMP_SYS(read),
	SCMP_SYS(readv),
	SCMP_SYS(recvfrom),
	SCMP_SYS(recvmsg),
	SCMP_SYS(restart_syscall),
	SCMP_SYS(rseq),
	SCMP_SYS(rt_sigaction),
	SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigreturn),
	SCMP_SYS(sendmsg),
	SCMP_SYS(uname),
	SCMP_SYS(sched_getaffinity),
	SCMP_SYS(sched_getattr),
	SCMP_SYS(sched_yield),
	SCMP_SYS(sendto),		/* syslog */
	SCMP_SYS(set_robust_list),
	SCMP_SYS(sigaltstack),		/* sanitizers at exit */
	SCMP_SYS(write),
	SCMP_SYS(writev),
};

#if KB_SECCOMP_DEBUG
static void
sandbox_sigsys(int sig, siginfo_t *info, void *ctx)
{
	char	 buf[64];
	int	 n, nr = info->si_syscall;

	/* Async-signal-safe report of the refused call. */
	n = sizeof(buf);
	buf[--n] = '\n';
	do {
		buf[--n] = '0' + nr % 10;
		nr /= 10;
	} while (nr > 0 && n > 0);
	(void)write(STDERR_FILENO, "sandbox: refused system call ", 29);
	(void)write(STDERR_FILENO, buf + n, sizeof(buf) - n);
#if defined(__x86_64__)
	/* The first two arguments say more than the number alone. */
	{
		unsigned long long	 a;
		int			 r, j;
		char			 hex[2 + 16 + 1];

		for (r = 0; r < 2; r++) {
			a = ((ucontext_t *)ctx)->uc_mcontext.gregs[r == 0 ?
			    REG_RDI : REG_RSI];
			hex[0] = ' ';
			hex[1] = 'x';
			for (j = 0; j < 16; j++)
				hex[2 + j] = "0123456789abcdef"[(a >> (60 - 4 *
				    j)) & 0xf];
			hex[18] = '\n';
			(void)write(STDERR_FILENO, hex, sizeof(hex));
		}
	}
#endif
#if defined(__x86_64__)
	/* The call did not run: make it return -ENOSYS to its caller. */
	((ucontext_t *)ctx)->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
#endif
}
#endif

static void
sandbox_add(scmp_filter_ctx ctx, const int *list, size_t n)
{
	size_t	 i;
	int	 rv;

	for (i = 0; i < n; i++) {
		/* A call this architecture lacks is negative: skip it. */
		if (list[i] < 0)
			continue;
		if ((rv = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, list[i], 0)) < 0)
			fatalx("seccomp_rule_add %d: %s", list[i],
			    strerror(-rv));
	}
}

void
sandbox_apply(const char *promises, const int *extra, size_t nextra)
{
	const struct scmp_arg_cmp ioctls[] = {
		{ 1, SCMP_CMP_EQ, FIONBIO, 0 },
		{ 1, SCMP_CMP_EQ, FIONREAD, 0 },
		{ 1, SCMP_CMP_EQ, SIOCGIFNAME, 0 },	/* libnice: the */
		{ 1, SCMP_CMP_EQ, SIOCGIFINDEX, 0 },	/* local interface */
		{ 1, SCMP_CMP_EQ, SIOCGIWNAME, 0 },	/* wireless? (no) */
		{ 1, SCMP_CMP_EQ, SIOCGIWESSID, 0 },
		{ 1, SCMP_CMP_EQ, TCGETS, 0 },		/* isatty(3) */
	};
	const struct scmp_arg_cmp setname = { 0, SCMP_CMP_EQ, PR_SET_NAME, 0 };
	const struct scmp_arg_cmp thread = { 0, SCMP_CMP_MASKED_EQ,
	    CLONE_THREAD, CLONE_THREAD };
	size_t		 i;
	scmp_filter_ctx	 ctx;
	uint32_t	 deny = SCMP_ACT_KILL_PROCESS;
	int		 rv;

#if KB_SECCOMP_DEBUG
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sandbox_sigsys;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGSYS, &sa, NULL) == -1)
		fatal("sigaction SIGSYS");
	deny = SCMP_ACT_TRAP;
#endif
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("PR_SET_NO_NEW_PRIVS");
	/* Foreign architectures (x32, i386 entry points) are killed. */
	if ((ctx = seccomp_init(deny)) == NULL)
		fatalx("seccomp_init failed");
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    SCMP_ACT_KILL_PROCESS) < 0)
		fatalx("seccomp: cannot set bad-architecture action");
	sandbox_add(ctx, sandbox_base,
	    sizeof(sandbox_base) / sizeof(sandbox_base[0]));
	sandbox_add(ctx, extra, nextra);
	/*
	 * Files: a library that tries to open one (sofia's resolver reads
	 * resolv.conf, others /dev/urandom) is told EACCES instead of being
	 * killed; there is nothing to open in the chroot anyway.
	 */
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat),
	    0) < 0 || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
	    SCMP_SYS(open), 0) < 0 || seccomp_rule_add(ctx,
	    SCMP_ACT_ERRNO(EACCES), SCMP_SYS(readlink), 0) < 0)
		fatalx("seccomp_rule_add open");
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
	    SCMP_SYS(sched_setattr), 0) < 0)
		fatalx("seccomp_rule_add sched_setattr");
	/* GLib names its threads; nothing else of prctl(2). */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
	    setname) < 0)
		fatalx("seccomp_rule_add prctl");
	/*
	 * Threads (GLib's and libnice's helpers), never processes: clone3's
	 * flags cannot be inspected, so it says ENOSYS and glibc falls back
	 * to clone, which is allowed only with CLONE_THREAD.
	 */
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3),
	    0) < 0 || seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
	    thread) < 0)
		fatalx("seccomp_rule_add clone");
	/*
	 * ioctl only to set non-blocking mode, ask for pending bytes, or
	 * look up an interface's name and index.
	 */
	for (i = 0; i < sizeof(ioctls) / sizeof(ioctls[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
		    ioctls[i]) < 0)
			fatalx("seccomp_rule_add ioctl");
	if ((rv = seccomp_load(ctx)) < 0)
		fatalx("seccomp_load: %s", strerror(-rv));
	seccomp_release(ctx);
	log_debug("sandbox: seccomp filter loaded (%s)", promises);
}

/*
 * Makes a call that no child's list allows, execve(2); used by the
 * sandbox test.  The process should not survive it.
 */
void
sandbox_violate(void)
{
	char	*argv[] = { "sh", NULL }, *envp[] = { NULL };
	long	 rv;

	log_warnx("sandbox test: attempting a forbidden system call");
	rv = syscall(SYS_execve, "/bin/sh", argv, envp);
	log_warnx("sandbox test: forbidden call returned %ld (errno %d): "
	    "the sandbox is not enforcing", rv, errno);
}

#endif /* __OpenBSD__ */
