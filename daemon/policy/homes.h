/* SPDX-License-Identifier: Apache-2.0 */
/* Home directories from the user database, for $HOME in policies: one user's
 * home, or the homes of every member of a group (its listed members and the
 * users whose primary group it is). Never the daemon's own home. The lookups
 * go through a table of NSS functions so unit tests can inject a user
 * database of their own. */
#ifndef LOCKSET_HOMES_H
#define LOCKSET_HOMES_H

#include <grp.h>
#include <pwd.h>
#include <stddef.h>

/* The user database calls, with the signatures of their glibc namesakes. */
struct homes_nss {
	int (*getpwnam_r)(const char *name, struct passwd *pw, char *buf, size_t len,
	                  struct passwd **res);
	int (*getgrnam_r)(const char *name, struct group *gr, char *buf, size_t len,
	                  struct group **res);
	void (*setpwent)(void);
	int (*getpwent_r)(struct passwd *pw, char *buf, size_t len, struct passwd **res);
	void (*endpwent)(void);
};

/* The system's: getpwnam_r, getgrnam_r, setpwent, getpwent_r, endpwent. */
extern const struct homes_nss homes_nss_system;

/* A set of homes: absolute, cleaned, sorted, each once; "/" is never one (a
 * user whose home is "/" has none: $HOME must not mean the whole host). */
struct homes {
	char **v;
	size_t n;
};

/* Free what h holds and empty it. Accepts NULL. */
void homes_clear(struct homes *h);

/* Add user's home to out. 1 when added (or there already), 0 when the user
 * does not exist or has no usable home, -1 on ENOMEM. */
int homes_of_user(const struct homes_nss *nss, const char *user, struct homes *out);

/* Add the home of every member of group to out: the users gr_mem lists and
 * every user whose primary gid is the group's (the whole passwd database is
 * walked; not thread-safe: call from one thread, at start-up or on reload).
 * 1 when the group exists, 0 when it does not, -1 on ENOMEM. */
int homes_of_group(const struct homes_nss *nss, const char *group, struct homes *out);

/* 1 when a and b hold the same homes. */
int homes_equal(const struct homes *a, const struct homes *b);

#endif
