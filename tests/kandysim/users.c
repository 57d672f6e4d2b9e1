/*
 * Emulated users: a name with a password (password grant) and/or a
 * client id and secret (client_credentials grant).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kandysim.h"
#include "log.h"

struct userlist	 users = TAILQ_HEAD_INITIALIZER(users);
static int	 nusers;

static int
name_ok(const char *s)
{
	size_t	 n;

	if (s == NULL || (n = strlen(s)) == 0 || n >= SIM_NAME_MAX)
		return (0);
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && strchr("._-+@", *s) == NULL)
			return (0);
	return (1);
}

struct user *
user_find(const char *name)
{
	struct user	*u;

	if (name == NULL)
		return (NULL);
	TAILQ_FOREACH(u, &users, entry)
		if (strcasecmp(u->name, name) == 0)
			return (u);
	return (NULL);
}

struct user *
user_find_client(const char *client_id)
{
	struct user	*u;

	if (client_id == NULL)
		return (NULL);
	TAILQ_FOREACH(u, &users, entry)
		if (u->client_id != NULL &&
		    strcmp(u->client_id, client_id) == 0)
			return (u);
	return (NULL);
}

/* Add or update a user; NULL on a bad name or when full. */
struct user *
user_add(const char *name, const char *password, const char *client_id,
    const char *client_secret)
{
	struct user	*u;
	char		*p;

	if (!name_ok(name))
		return (NULL);
	if ((u = user_find(name)) == NULL) {
		if (nusers >= SIM_MAX_USERS)
			return (NULL);
		u = xcalloc(1, sizeof(*u));
		strlcpy(u->name, name, sizeof(u->name));
		for (p = u->name; *p; p++)
			*p = tolower((unsigned char)*p);
		TAILQ_INSERT_TAIL(&users, u, entry);
		nusers++;
	}
	if (password != NULL)
		strset(&u->password, password);
	if (client_id != NULL) {
		strset(&u->client_id, client_id);
		strset(&u->client_secret, client_secret ? client_secret : "");
	}
	return (u);
}

/*
 * Lines: "user NAME PASSWORD" or "client CLIENT_ID SECRET NAME";
 * '#' starts a comment.
 */
int
users_load(const char *path)
{
	FILE		*f;
	char		 line[1024], *w[5], *p, *s;
	int		 n, lineno = 0, errors = 0;

	if ((f = fopen(path, "r")) == NULL) {
		log_warn("%s", path);
		return (-1);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		n = 0;
		s = line;
		while (n < 5 && (p = strsep(&s, " \t\r\n")) != NULL)
			if (*p != '\0')
				w[n++] = p;
		if (n == 0)
			continue;
		if (n == 3 && strcmp(w[0], "user") == 0 &&
		    user_add(w[1], w[2], NULL, NULL) != NULL)
			continue;
		if (n == 4 && strcmp(w[0], "client") == 0 &&
		    user_add(w[3], NULL, w[1], w[2]) != NULL)
			continue;
		log_warnx("%s:%d: bad line", path, lineno);
		errors++;
	}
	fclose(f);
	return (errors ? -1 : 0);
}

json_t *
users_json(void)
{
	struct user	*u;
	json_t		*a, *o;

	a = json_array();
	TAILQ_FOREACH(u, &users, entry) {
		o = json_pack("{s:s, s:b, s:b}", "username", u->name,
		    "has_password", u->password != NULL,
		    "subscribed", user_subscribed(u));
		if (u->client_id != NULL)
			json_object_set_new(o, "client_id",
			    json_string(u->client_id));
		json_array_append_new(a, o);
	}
	return (a);
}
