/* SPDX-License-Identifier: Apache-2.0 */
/* The org policy's life cycle: every change, whether written through the API,
 * dropped into the settings file (MDM, SIGHUP, inotify) or a rollback, goes
 * through here, one at a time, and gets a persistent version number from the
 * policy history (policystore.h), an audit row and then the served copy.
 *
 * Order of an API change, under one mutex so If-Match checks and writes are
 * atomic:
 *   1. record the new version in policy_versions (withdrawable);
 *   2. append the policy.updated audit row: the point of no return. If it
 *      cannot be written the version is withdrawn and nothing was applied
 *      (503 audit_unavailable);
 *   3. write the settings file atomically (temp file in the same directory,
 *      fsync, rename, fsync of the directory; owner and mode kept). If that
 *      fails the version is withdrawn and policy.update_failed is audited;
 *   4. install it in memory (served_install), waking long-polls.
 * A crash between 2 and 3 leaves the old file: the next start finds its hash
 * differs from the newest version and records it as a new version by "file".
 * A crash between 3 and 4 leaves the new file, whose hash matches the newest
 * version, so it keeps that number. The daemon's own rename is seen by the
 * file watch and found unchanged the same way.
 */
#ifndef LOCKSET_POLICYLIFE_H
#define LOCKSET_POLICYLIFE_H

#include "util/problems.h"

#include <jansson.h>

struct audit;
struct policylife;
struct policystore;
struct served_hub;

enum policylife_status {
	PL_OK = 0,
	PL_INVALID,      /* errs lists every problem with its JSON pointer */
	PL_PRECONDITION, /* If-Match does not match the current document */
	PL_NO_POLICY,    /* nothing is served yet */
	PL_AUDIT,        /* the audit row could not be written; nothing applied */
	PL_STORE,        /* the policy history could not be written; nothing applied */
	PL_WRITE,        /* the settings file could not be written; nothing applied */
	PL_INTERNAL,     /* out of memory */
};

struct policylife_change {
	const char *actor;    /* the caller's identity, e.g. "uid:0", "token:ci" */
	const char *comment;  /* recorded with the version; may be NULL */
	const char *source;   /* "api" or "rollback" */
	const char *if_match; /* the If-Match header, or NULL */
	int patch;            /* the body is an RFC 7396 merge patch */
	int dry_run;          /* validate and compute, store nothing */
	const char *origin;   /* the audit row's component; NULL: "api" */
};

struct policylife_result {
	long long version; /* the version now served (or that would be) */
	int changed;       /* 0: the document equals the current one */
	json_t *diff;      /* jsondiff_summary of the change (owned) */
	json_t *effective; /* dry run: the resulting effective settings (owned) */
	char etag[72];     /* the document's ETag after the change */
	struct problems warns;
};

/* The change protocol for the policy served by served (whose settings file
 * it writes), versioned in store and recorded in audit before it serves
 * (all borrowed; they must outlive it). NULL when out of memory.
 *
 * managed (upstream mode): the org policy is managed by a central lockset
 * and changes only through policylife_apply. A settings file whose content
 * differs from the newest version is then not adopted, at start-up or on
 * reload: policy.file_ignored is audited, the newest version keeps serving
 * and the file is rewritten with it. With no version recorded yet, the file
 * is adopted as usual. */
struct policylife *policylife_new(struct served_hub *served, struct policystore *store,
                                  struct audit *audit, int managed);
void policylife_free(struct policylife *pl);

/* At start-up, after the state database is open: give doc (the validated
 * file; stolen) its version from the history and install it. Returns 0, or
 * -1 with errs filled. */
int policylife_start(struct policylife *pl, json_t *doc, struct problems *errs);

/* The settings file changed (SIGHUP, inotify): load and validate it, and when
 * its content differs from the newest version record a new version (actor
 * "file"), audit policy.updated and install it. *changed says whether a new
 * version is served. Returns 0, or -1 with errs filled (the current policy
 * keeps serving); an invalid file is audited as policy.reload_failed. */
int policylife_reload(struct policylife *pl, struct problems *errs, struct problems *warns,
                      int *changed);

/* The path variables changed (the home group's members, served_set_homes):
 * build the served policy again, same document and version, in turn with
 * every other change. 0 or -1. */
int policylife_rebuild(struct policylife *pl);

/* Apply a change from the API: body (borrowed) is the new document, or a
 * merge patch when c->patch. Fills res (release with policylife_result_clear)
 * and, for PL_INVALID, errs. */
enum policylife_status policylife_apply(struct policylife *pl, const json_t *body,
                                        const struct policylife_change *c,
                                        struct policylife_result *res, struct problems *errs);
void policylife_result_clear(struct policylife_result *res);

/* Replace path's content with len bytes of text atomically: a temp file in the
 * same directory, written, fsynced, given the old file's owner and mode,
 * renamed over path, then the directory fsynced. Returns 0, or -1 with errno
 * set (the temp file is removed). */
int policylife_write_file(const char *path, const char *text, size_t len);

#endif
