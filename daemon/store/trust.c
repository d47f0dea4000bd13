/* SPDX-License-Identifier: Apache-2.0 */
/* The trust rule for files the daemon reads as its own (see trust.h). A
 * database or key planted by another user would be adopted as lockset's own
 * audit log or signing key, so a file that fails is refused, never fixed. */
#include "trust.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The files of the state directory, as named by audit.c, db.c and redact.c. */
static const char *const state_files[] = {
    "lockset.db", "lockset.db-wal", "lockset.db-shm", "audit-signing.key", "inputs-hmac.key",
};

int
trust_check_stat(const char *path, const struct stat *st, enum trust_kind kind,
                 struct problems *errs)
{
	uid_t euid = geteuid();
	struct passwd *pw;
	char owner[160], want[192];
	unsigned mode = (unsigned)st->st_mode & 07777;
	int is_dir = kind == TRUST_DIR;

	if (is_dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode)) {
		problems_add(errs, "", "%s: %s", path,
		             S_ISLNK(st->st_mode) ? "is a symbolic link: must be a real file"
		             : is_dir             ? "not a directory"
		                                  : "not a regular file");
		return -1;
	}
	if ((st->st_uid == 0 || st->st_uid == euid) && (mode & 022) == 0)
		return 0;
	pw = getpwuid(st->st_uid);
	snprintf(owner, sizeof(owner), "%s", pw ? pw->pw_name : "unknown user");
	if (euid == 0) {
		snprintf(want, sizeof(want), "root");
	} else {
		pw = getpwuid(euid);
		snprintf(want, sizeof(want), "root or uid %u (%s)", (unsigned)euid,
		         pw ? pw->pw_name : "unknown user");
	}
	problems_add(errs, "",
	             "%s: %sowned by uid %u (%s), mode 0%03o: must be owned by %s and "
	             "not writable by group or others%s",
	             path, is_dir ? "directory " : "", (unsigned)st->st_uid, owner, mode, want,
	             is_dir && (mode & S_ISVTX) ? " (a sticky bit does not make it safe)" : "");
	return -1;
}

int
trust_check_path(const char *path, enum trust_kind kind, int missing_ok, struct problems *errs)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT && missing_ok)
			return 0;
		problems_add(errs, "", "%s: %s", path, strerror(errno));
		return -1;
	}
	return trust_check_stat(path, &st, kind, errs);
}

int
trust_check_state_dir(const char *dir, struct problems *errs)
{
	char path[4096];
	int rc = 0;

	if (trust_check_path(dir, TRUST_DIR, 0, errs) != 0)
		return -1;
	for (size_t i = 0; i < sizeof(state_files) / sizeof(state_files[0]); i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, state_files[i]) >=
		    sizeof(path)) {
			problems_add(errs, "", "%s: path too long", dir);
			return -1;
		}
		if (trust_check_path(path, TRUST_FILE, 1, errs) != 0)
			rc = -1;
	}
	return rc;
}
