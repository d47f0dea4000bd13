/* SPDX-License-Identifier: Apache-2.0 */
/* Host paths as a bind mount sees them: lexical cleaning (like Go's
 * filepath.Clean), symlink resolution of the part that exists on this host,
 * and prefix tests that only match whole path components. */
#ifndef LOCKSET_HOSTPATH_H
#define LOCKSET_HOSTPATH_H

#include <stddef.h>

/* Largest path these functions handle (including the NUL). */
#define HOSTPATH_MAX 4096

/* Clean path lexically into out: collapse "//", drop ".", apply ".." (never
 * above "/"), drop a trailing "/". A relative path is taken as relative to "/".
 * Returns 0, or -1 when the result does not fit in outsz bytes. */
int hostpath_clean(const char *path, char *out, size_t outsz);

/* Resolve path component by component as the kernel would when mounting it
 * (symlinks followed, ".." taken physically), into out. Components that do not
 * exist are appended unchanged; dangling symlinks are followed to their
 * target; loops stop after 40 links. A relative path is taken as relative to
 * "/". Returns 0, or -1 when the path cannot be resolved completely: a loop,
 * a result or link target too long, or a component that cannot be examined
 * (EACCES, ELOOP, ENAMETOOLONG), or a link on procfs (/proc/<pid>/root and
 * the like lead into another process's view, which no reading of them
 * tells). out then holds the cleaned path, which callers that enforce must
 * not judge instead: refuse. */
int hostpath_resolve(const char *path, char *out, size_t outsz);

/* hostpath_resolve following only the links only root could have put where
 * they are: from the first directory someone else may change, the rest of
 * path is taken as written. What a policy's own paths (file shares) may be
 * resolved by: a share's owner could otherwise point it at "/". */
int hostpath_resolve_trusted(const char *path, char *out, size_t outsz);

/* hostpath_resolve, and in the same walk whether only root can change where
 * path leads (held != NULL, *held set to 1 by the caller): every directory
 * the resolution looks a name up in (through every symlink) must be root's
 * and writable by no one else, or sticky with the name root's. *held is
 * cleared at the first that someone else could put a symlink in, with why
 * set ("/home/al belongs to uid 1000"). */
int hostpath_resolve_held(const char *path, char *out, size_t outsz, int *held, char *why,
                          size_t whysz);

/* hostpath_resolve_held spending one of *budget for each file system
 * lookup it makes (lstat, readlink, statfs, getxattr): -1, with *budget
 * 0, when it runs out before the path is resolved. What bounds the work one
 * request can ask for. */
int hostpath_resolve_budget(const char *path, char *out, size_t outsz, int *held, char *why,
                            size_t whysz, unsigned *budget);

/* 1 when path equals prefix or lies below it, comparing whole components
 * ("/home/al" does not cover "/home/alice"; "/" covers everything). Both
 * arguments must be clean. */
int hostpath_within(const char *path, const char *prefix);

#endif
