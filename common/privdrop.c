/*
 * The straight line every child walks once: look up the user, chroot,
 * drop groups and ids, and check that root cannot be had back.
 */
#include <sys/types.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/resource.h>

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "log.h"
#include "privdrop.h"

void
privdrop(const char *user, const char *dir)
{
	struct passwd	*pw;
	uid_t		 uid;
	gid_t		 gid;

	if ((pw = getpwnam(user)) == NULL)
		fatalx("unknown user %s", user);
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (uid == 0)
		fatalx("user %s is root", user);
	if (chroot(dir) == -1)
		fatal("chroot %s", dir);
	if (chdir("/") == -1)
		fatal("chdir(\"/\")");
	if (setgroups(1, &gid) == -1)
		fatal("setgroups");
	if (setresgid(gid, gid, gid) == -1)
		fatal("setresgid");
	if (setresuid(uid, uid, uid) == -1)
		fatal("setresuid");
	if (setuid(0) != -1 || seteuid(0) != -1)
		fatalx("privileges could be regained");
}

/*
 * Secrets live in the parent's and kandyd's memory: no process of ours
 * leaves a core file or lets another user attach to it.
 */
void
nocoredump(void)
{
	struct rlimit	 rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		fatal("setrlimit RLIMIT_CORE");
#ifdef __linux__
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("PR_SET_DUMPABLE");
#endif
}
