/* SPDX-License-Identifier: Apache-2.0 */
/* Lexical cleaning, symlink resolution and component-wise prefix tests for
 * host paths named in bind mounts. Pure functions; resolution only reads the
 * file system (lstat, readlink, statfs, getxattr). */
#include <errno.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "hostpath.h"

#define HOSTPATH_MAX_LINKS 40

/* The next segment of the path at *p, after its slashes; *p moves past
 * it. NULL at the end. */
static const char *
next_segment(const char **p, size_t *len)
{
	const char *s;

	while (**p == '/')
		(*p)++;
	s = *p;
	while (**p != '\0' && **p != '/')
		(*p)++;
	*len = (size_t)(*p - s);
	return *len > 0 ? s : NULL;
}

/* Drop the last component of a clean absolute path, never above the root. */
static void
drop_last(char *buf)
{
	char *slash = strrchr(buf, '/');

	if (slash == buf)
		buf[1] = '\0';
	else
		*slash = '\0';
}

/* Append "/" and a component to a clean absolute path in buf. */
static int
append_component(char *buf, size_t bufsz, const char *comp, size_t len)
{
	size_t n = strlen(buf);

	if (n > 1) {
		if (n + 1 >= bufsz)
			return -1;
		buf[n++] = '/';
	}
	if (n + len >= bufsz)
		return -1;
	memcpy(buf + n, comp, len);
	buf[n + len] = '\0';
	return 0;
}

int
hostpath_clean(const char *path, char *out, size_t outsz)
{
	const char *p = path, *s;
	size_t len;

	if (outsz < 2)
		return -1;
	strcpy(out, "/");
	while ((s = next_segment(&p, &len)) != NULL) {
		if (len == 1 && s[0] == '.')
			continue;
		if (len == 2 && s[0] == '.' && s[1] == '.')
			drop_last(out); /* lexical "..": never above the root */
		else if (append_component(out, outsz, s, len) != 0)
			return -1;
	}
	return 0;
}

/* 0 when only root can change what the name at entry (lstat'ed into *est,
 * or NULL when it does not exist) in the directory dir refers to: dir is
 * root's and writable by no one else (no group or other write bit, no access
 * ACL that could grant one), or it is root's and sticky and the entry is
 * root's too. Otherwise 1, with why set; -1 when dir cannot be examined. */
static int
changeable(const char *dir, const struct stat *est, char *why, size_t whysz)
{
	struct stat st;

	if (lstat(dir, &st) == -1)
		return -1;
	if (st.st_uid != 0)
		snprintf(why, whysz, "%s belongs to uid %lu", dir, (unsigned long)st.st_uid);
	else if (getxattr(dir, "system.posix_acl_access", NULL, 0) > 0)
		snprintf(why, whysz, "%s has an access ACL", dir);
	else if (!(st.st_mode & (S_IWGRP | S_IWOTH)) ||
	         ((st.st_mode & S_ISVTX) && est != NULL && est->st_uid == 0))
		return 0;
	else
		snprintf(why, whysz, "%s is writable by %s", dir,
		         (st.st_mode & S_IWOTH) ? "anyone" : "its group");
	return 1;
}

/* 1 when dir is on procfs (or cannot be asked): its links, /proc/<pid>/root,
 * cwd and fd/N, are not text the kernel follows but jumps into another
 * process's view, a container's root, whose own absolute links the kernel
 * then takes from the host's root. No reading of them can say where they
 * lead. */
static int
on_procfs(const char *dir)
{
	struct statfs sf;

	return statfs(dir, &sf) != 0 || sf.f_type == PROC_SUPER_MAGIC;
}

/* Ask about the directory that holds the last component of done (its first
 * dlen bytes): changeable(), or with ask NULL on_procfs(). */
static int
dir_of(char *done, size_t dlen,
       int (*ask)(const char *dir, const struct stat *est, char *why, size_t whysz),
       const struct stat *est, char *why, size_t whysz)
{
	char c = done[dlen];
	int rc;

	done[dlen] = '\0';
	rc = ask != NULL ? ask(done, est, why, whysz) : on_procfs(done);
	done[dlen] = c;
	return rc;
}

/* Take n lookups from *budget (NULL: no limit). -1 when it has fewer left,
 * which empties it. */
static int
spend(unsigned *budget, unsigned n)
{
	if (budget == NULL)
		return 0;
	if (*budget < n) {
		*budget = 0;
		return -1;
	}
	*budget -= n;
	return 0;
}

/* The walk of hostpath_resolve_held. trusted: follow only links in
 * directories only root can change; from the first directory someone else
 * could change, the rest of the path is taken as written. budget: as
 * hostpath_resolve_budget's. */
static int
resolve(const char *path, char *out, size_t outsz, int *held, char *why, size_t whysz, int trusted,
        unsigned *budget)
{
	/* todo holds the components still to walk; done the resolved prefix. */
	char todo[HOSTPATH_MAX], done[HOSTPATH_MAX], link[HOSTPATH_MAX], tmp[HOSTPATH_MAX];
	const char *p, *s;
	size_t len;
	int links = 0, missing = 0, result = -1;

	if (strlen(path) >= sizeof(todo))
		goto out;
	strcpy(todo, path);
	strcpy(done, "/");
	p = todo;
	while ((s = next_segment(&p, &len)) != NULL) {
		size_t dlen;
		struct stat st;
		ssize_t ll;

		if (len == 1 && s[0] == '.')
			continue;
		if (len == 2 && s[0] == '.' && s[1] == '.') {
			drop_last(done); /* physical "..": the parent of what is resolved */
			continue;
		}
		dlen = strlen(done);
		if (append_component(done, sizeof(done), s, len) == -1)
			goto out;
		if (missing)
			continue;
		if (spend(budget, 1) == -1)
			goto out;
		if (lstat(done, &st) == -1) {
			/* Nothing below a missing component exists either. Any other
			 * error (EACCES, ELOOP, ENAMETOOLONG) leaves the path unknown. */
			if (errno != ENOENT && errno != ENOTDIR)
				goto out;
			missing = 1;
		}
		/* Whoever may change the directory may put a link in the name's
		 * place; below a missing name, the engine makes the rest as root. */
		if (held != NULL && *held) {
			int rc;

			if (spend(budget, 2) == -1)
				goto out;
			rc = dir_of(done, dlen, changeable, missing ? NULL : &st, why, whysz);

			if (rc == -1)
				goto out;
			*held = rc == 0;
			if (trusted && !*held)
				missing = 1; /* from here on, as written */
		}
		if (missing || !S_ISLNK(st.st_mode))
			continue;
		if (++links > HOSTPATH_MAX_LINKS || spend(budget, 2) == -1 ||
		    dir_of(done, dlen, NULL, NULL, NULL, 0) != 0)
			goto out;
		ll = readlink(done, link, sizeof(link));
		if (ll < 0 || (size_t)ll >= sizeof(link))
			goto out; /* unreadable, or a target too long to hold */
		link[ll] = '\0';
		done[dlen] = '\0';
		if (link[0] == '/')
			strcpy(done, "/");
		/* New work list: the link target, then whatever was left. */
		if ((size_t)ll + strlen(p) + 2 > sizeof(tmp))
			goto out;
		memcpy(tmp, link, (size_t)ll);
		tmp[ll] = '/';
		strcpy(tmp + ll + 1, p);
		strcpy(todo, tmp);
		p = todo;
	}
	if (strlen(done) >= outsz)
		goto out;
	strcpy(out, done);
	result = 0;
out:
	if (result == -1 && hostpath_clean(path, out, outsz) == -1 && outsz > 0)
		out[0] = '\0';
	return result;
}

int
hostpath_resolve_held(const char *path, char *out, size_t outsz, int *held, char *why, size_t whysz)
{
	return resolve(path, out, outsz, held, why, whysz, 0, NULL);
}

int
hostpath_resolve_budget(const char *path, char *out, size_t outsz, int *held, char *why,
                        size_t whysz, unsigned *budget)
{
	return resolve(path, out, outsz, held, why, whysz, 0, budget);
}

int
hostpath_resolve(const char *path, char *out, size_t outsz)
{
	return resolve(path, out, outsz, NULL, NULL, 0, 0, NULL);
}

int
hostpath_resolve_trusted(const char *path, char *out, size_t outsz)
{
	char why[HOSTPATH_MAX + 64];
	int held = 1;

	return resolve(path, out, outsz, &held, why, sizeof(why), 1, NULL);
}

int
hostpath_within(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	if (n == 1 && prefix[0] == '/')
		return path[0] == '/';
	if (strncmp(path, prefix, n) != 0)
		return 0;
	return path[n] == '\0' || path[n] == '/';
}
