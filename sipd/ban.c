/*
 * Damping of authentication failures: a source that fails too often in a
 * window is refused for a while, and that is logged once per ban.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sipd.h"

#define BAN_MAXENTRIES	4096

struct ban_entry {
	TAILQ_ENTRY(ban_entry)	 entry;
	int			 family;
	uint8_t			 addr[16];
	unsigned int		 failures;	/* within the window */
	unsigned int		 consecutive;	/* since the last success */
	time_t			 first;		/* of the window */
	time_t			 until;		/* banned until, 0: not */
};

struct ban_table {
	TAILQ_HEAD(ban_list, ban_entry) entries;	/* most recently used first */
	size_t			 count;
	unsigned int		 failures, window, bantime;
};

struct ban_table *
ban_new(unsigned int failures, unsigned int window, unsigned int bantime)
{
	struct ban_table	*bt;

	if ((bt = calloc(1, sizeof(*bt))) == NULL)
		return (NULL);
	TAILQ_INIT(&bt->entries);
	bt->failures = failures;
	bt->window = window;
	bt->bantime = bantime;
	return (bt);
}

static void
ban_remove(struct ban_table *bt, struct ban_entry *e)
{
	TAILQ_REMOVE(&bt->entries, e, entry);
	bt->count--;
	free(e);
}

void
ban_free(struct ban_table *bt)
{
	struct ban_entry	*e;

	if (bt == NULL)
		return;
	while ((e = TAILQ_FIRST(&bt->entries)) != NULL)
		ban_remove(bt, e);
	free(bt);
}

/* The address without the port; v4-mapped v6 counts as v4. */
static int
ban_key(const struct sockaddr *sa, int *family, uint8_t addr[16])
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6	*sin6 = (const struct sockaddr_in6 *)sa;

	memset(addr, 0, 16);
	if (sa->sa_family == AF_INET) {
		*family = AF_INET;
		memcpy(addr, &sin->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			*family = AF_INET;
			memcpy(addr, &sin6->sin6_addr.s6_addr[12], 4);
		} else {
			*family = AF_INET6;
			memcpy(addr, &sin6->sin6_addr, 16);
		}
	} else
		return (-1);
	return (0);
}

static struct ban_entry *
ban_find(struct ban_table *bt, const struct sockaddr *sa, int create)
{
	struct ban_entry	*e;
	uint8_t			 addr[16];
	int			 family;

	if (ban_key(sa, &family, addr) == -1)
		return (NULL);
	TAILQ_FOREACH(e, &bt->entries, entry) {
		if (e->family == family && memcmp(e->addr, addr, 16) == 0) {
			TAILQ_REMOVE(&bt->entries, e, entry);
			TAILQ_INSERT_HEAD(&bt->entries, e, entry);
			return (e);
		}
	}
	if (!create)
		return (NULL);
	if (bt->count >= BAN_MAXENTRIES)
		ban_remove(bt, TAILQ_LAST(&bt->entries, ban_list));
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return (NULL);
	e->family = family;
	memcpy(e->addr, addr, 16);
	TAILQ_INSERT_HEAD(&bt->entries, e, entry);
	bt->count++;
	return (e);
}

int
ban_check(struct ban_table *bt, const struct sockaddr *sa, time_t now)
{
	struct ban_entry	*e;

	if ((e = ban_find(bt, sa, 0)) == NULL || e->until == 0)
		return (0);
	if (now < e->until)
		return (1);
	e->until = 0;
	e->failures = 0;
	e->consecutive = 0;
	return (0);
}

int
ban_fail(struct ban_table *bt, const struct sockaddr *sa, time_t now)
{
	struct ban_entry	*e;
	char			 buf[INET6_ADDRSTRLEN];

	if ((e = ban_find(bt, sa, 1)) == NULL)
		return (1);
	if (e->failures == 0 || now - e->first > (time_t)bt->window) {
		e->first = now;
		e->failures = 0;
	}
	e->failures++;
	e->consecutive++;
	if (bt->failures > 0 && e->failures >= bt->failures && e->until == 0) {
		e->until = now + bt->bantime;
		inet_ntop(e->family, e->addr, buf, sizeof(buf));
		log_warnx("%s: %u authentication failures in %u s, "
		    "ignored for %u s", buf, e->failures, bt->window,
		    bt->bantime);
	}
	return (e->consecutive);
}

void
ban_success(struct ban_table *bt, const struct sockaddr *sa)
{
	struct ban_entry	*e;

	if ((e = ban_find(bt, sa, 0)) != NULL)
		ban_remove(bt, e);
}

void
ban_expire(struct ban_table *bt, time_t now)
{
	struct ban_entry	*e, *next;

	for (e = TAILQ_FIRST(&bt->entries); e != NULL; e = next) {
		next = TAILQ_NEXT(e, entry);
		if (e->until != 0 ? now >= e->until :
		    now - e->first > (time_t)bt->window)
			ban_remove(bt, e);
	}
}
