/* SPDX-License-Identifier: Apache-2.0 */
/* $HOME's homes from an injected user database: a user's home; a group's
 * members, listed and by primary group; cleaned, sorted, each once; "/",
 * relative homes and unknown users left out; a missing group found as such. */
#include "check.h"
#include "policy/homes.h"

#include <errno.h>

struct fake_user {
	const char *name, *dir;
	gid_t gid;
};

static const struct fake_user users[] = {
    {"alice", "/home/alice", 100},   {"bob", "/home/bob", 999},
    {"carol", "/home/carol/", 100},  {"dave", "/", 999},
    {"erin", "relative/home", 999},  {"frank", "/home//alice", 999},
    {"gail", "/srv/home/gail", 500},
};
#define NUSERS (sizeof(users) / sizeof(users[0]))

static char *docker_members[] = {"alice", "carol", "ghost", NULL};
static char *empty_members[] = {NULL};
static size_t pwent_next;

static void
fill(const struct fake_user *u, struct passwd *pw)
{
	pw->pw_name = (char *)u->name;
	pw->pw_dir = (char *)u->dir;
	pw->pw_gid = u->gid;
	pw->pw_uid = 1000;
}

static int
fake_getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t len, struct passwd **res)
{
	(void)buf;
	(void)len;
	*res = NULL;
	for (size_t i = 0; i < NUSERS; i++) {
		if (strcmp(users[i].name, name) == 0) {
			fill(&users[i], pw);
			*res = pw;
		}
	}
	return 0;
}

static int
fake_getgrnam_r(const char *name, struct group *gr, char *buf, size_t len, struct group **res)
{
	(void)buf;
	(void)len;
	*res = NULL;
	if (strcmp(name, "docker") == 0) {
		gr->gr_name = "docker";
		gr->gr_gid = 999;
		gr->gr_mem = docker_members;
		*res = gr;
	} else if (strcmp(name, "empty") == 0) {
		gr->gr_name = "empty";
		gr->gr_gid = 777;
		gr->gr_mem = empty_members;
		*res = gr;
	}
	return 0;
}

static void
fake_setpwent(void)
{
	pwent_next = 0;
}

static int
fake_getpwent_r(struct passwd *pw, char *buf, size_t len, struct passwd **res)
{
	(void)buf;
	(void)len;
	*res = NULL;
	if (pwent_next == NUSERS)
		return ENOENT;
	fill(&users[pwent_next++], pw);
	*res = pw;
	return 0;
}

static void
fake_endpwent(void)
{
}

static const struct homes_nss fake = {fake_getpwnam_r, fake_getgrnam_r, fake_setpwent,
                                      fake_getpwent_r, fake_endpwent};

static void
test_group_members_listed_and_by_primary_group(void)
{
	struct homes h = {0};

	CHECK_INT_EQ(homes_of_group(&fake, "docker", &h), 1);
	/* alice, carol (listed; ghost has no entry), bob, frank (primary gid 999:
	 * frank's home is alice's, once); dave ("/") and erin (relative) have none. */
	CHECK_INT_EQ(h.n, 3);
	CHECK(h.n == 3 && strcmp(h.v[0], "/home/alice") == 0);
	CHECK(h.n == 3 && strcmp(h.v[1], "/home/bob") == 0);
	CHECK(h.n == 3 && strcmp(h.v[2], "/home/carol") == 0);
	homes_clear(&h);
	CHECK_INT_EQ(h.n, 0);
}

static void
test_missing_or_empty_group_means_no_homes(void)
{
	struct homes h = {0};

	CHECK_INT_EQ(homes_of_group(&fake, "no-such-group", &h), 0);
	CHECK_INT_EQ(h.n, 0);
	CHECK_INT_EQ(homes_of_group(&fake, "empty", &h), 1);
	CHECK_INT_EQ(h.n, 0);
}

static void
test_one_users_home(void)
{
	struct homes h = {0}, g = {0};

	CHECK_INT_EQ(homes_of_user(&fake, "gail", &h), 1);
	CHECK(h.n == 1 && strcmp(h.v[0], "/srv/home/gail") == 0);
	CHECK_INT_EQ(homes_of_user(&fake, "nobody-known", &h), 0);
	CHECK_INT_EQ(homes_of_user(&fake, "dave", &h), 0); /* home "/": none */
	CHECK_INT_EQ(h.n, 1);
	CHECK_INT_EQ(homes_of_user(&fake, "gail", &g), 1);
	CHECK(homes_equal(&h, &g));
	CHECK_INT_EQ(homes_of_user(&fake, "alice", &g), 1);
	CHECK(!homes_equal(&h, &g));
	homes_clear(&h);
	homes_clear(&g);
	homes_clear(NULL);
}

int
main(void)
{
	RUN(test_group_members_listed_and_by_primary_group);
	RUN(test_missing_or_empty_group_means_no_homes);
	RUN(test_one_users_home);
	return CHECK_DONE();
}
