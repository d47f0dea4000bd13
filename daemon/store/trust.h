/* SPDX-License-Identifier: Apache-2.0 */
/* Which files the daemon may trust: what only root (or the daemon's own uid)
 * could have written. One rule for the settings file, the state directory
 * and everything in it, and the directory of the pid file: a real file or
 * directory (not a symbolic link), owned by root or the daemon's euid, and
 * writable by neither group nor others. */
#ifndef LOCKSET_TRUST_H
#define LOCKSET_TRUST_H

#include "util/problems.h"

#include <sys/stat.h>

enum trust_kind { TRUST_FILE, TRUST_DIR };

/* Judge one lstat/fstat result of path. On refusal appends one error (path
 * "") naming the file, its owner (uid and name) and its mode in octal, and
 * returns -1; 0 when it may be trusted. */
int trust_check_stat(const char *path, const struct stat *st, enum trust_kind kind,
                     struct problems *errs);

/* lstat path and judge it. A missing path is acceptable when missing_ok (0
 * is returned); otherwise it is an error. */
int trust_check_path(const char *path, enum trust_kind kind, int missing_ok, struct problems *errs);

/* The state directory and the files in it the daemon adopts when they exist:
 * lockset.db, lockset.db-wal, lockset.db-shm, audit-signing.key and
 * inputs-hmac.key. Every problem is appended to errs. 0 or -1. */
int trust_check_state_dir(const char *dir, struct problems *errs);

#endif
