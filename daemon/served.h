/* SPDX-License-Identifier: Apache-2.0 */
/* The policy being served right now: the org document, its effective settings,
 * the prebuilt GET /v1/settings reply and the compiled decision policy. A new
 * policy is built completely off to the side and swapped in atomically; readers
 * hold a reference, so a reload never pulls bytes out from under a request.
 * Long-poll waiters are woken on every swap. */
#ifndef LOCKSET_SERVED_H
#define LOCKSET_SERVED_H

#include "homes.h"
#include "problems.h"
#include "settings.h"

#include <jansson.h>
#include <microhttpd.h>
#include <time.h>

struct decide_policy;

struct served {
	long long version;         /* policy version */
	json_t *doc;               /* the org policy document as stored */
	json_t *effective;         /* effective settings (no user layer) */
	struct decide_policy *dp;  /* compiled for decisions */
	char etag[72];             /* strong ETag of the settings reply, quoted */
	char doc_etag[72];         /* strong ETag of the policy document, quoted */
	struct MHD_Response *r200; /* prebuilt 200 reply of GET /v1/settings */
	struct MHD_Response *r304; /* prebuilt 304 reply */
	time_t loaded_at;
	/* The path variables this version was built with: $HOME stands for the
	 * home group's members (the homes are owned here). */
	struct settings_env env;
	struct homes homes;
	int uses_home; /* the policy names $HOME: a user a request names gets their own */
	unsigned long long build; /* grows with every build, rebuilds of a version too */
	int refs;
};

/* Remember where the policy comes from and how $TMP and $TEMP expand ($HOME:
 * see served_set_homes). */
void served_configure(const char *settings_path, const struct settings_env *env);
/* The homes $HOME stands for when no user is named (the home group's
 * members; copied). Returns 1 when they differ from the ones before (then
 * served_rebuild() applies them to the served policy), else 0; -1 on ENOMEM. */
int served_set_homes(const struct homes *homes);
/* Build the current policy again, same document and version, with the homes
 * now set. 0 or -1. Callers serialise it with policy changes
 * (policylife_rebuild). */
int served_rebuild(void);
/* Load and validate the settings file: a new reference, or NULL with errs
 * filled (the current policy keeps serving). warns gets non-fatal findings.
 * Installing it, under which version, is policylife.c's business. */
json_t *served_load(struct problems *errs, struct problems *warns);
/* The settings file path given to served_configure. Borrowed. */
const char *served_settings_path(void);
/* Install an already validated document (steals doc) under version, which
 * comes from the policy history (policystore.h). */
int served_install(json_t *doc, long long version);
/* A new reference to the current policy (NULL before the first load). */
struct served *served_acquire(void);
void served_release(struct served *s);
/* Seconds since the daemon started serving. */
long served_uptime(void);

/* The path variables for a request that names user under s: s->env with
 * $HOME standing for that user's home alone (none when the user database
 * does not know the user). hold keeps the home; clear it with homes_clear.
 * 0, or -1 on ENOMEM. */
int served_user_env(const struct served *s, const char *user, struct settings_env *env,
                    struct homes *hold);
/* Quoted strong ETag over some bytes: "\"<sha256 hex>\"". out >= 68 bytes. */
void served_etag(const char *bytes, size_t len, char *out);

/* Long-poll waiters: woken (fire called from another thread) when the policy
 * changes or the deadline passes. */
struct served_waiter {
	char etag[72];
	struct timespec deadline;
	void (*fire)(struct served_waiter *w);
	int fired;
	struct served_waiter *prev, *next;
};
/* Register w. Returns 0 when registered, 1 when the ETag already differs (not
 * registered: reply now). */
int served_wait_add(struct served_waiter *w);
/* Register w whatever the ETags are (for per-user long-polls, whose ETag is
 * not the served one): it fires at the next change of any kind or at its
 * deadline. */
void served_wait_add_any(struct served_waiter *w);
/* Counts changes that wake waiters: read it before computing a reply, and if
 * it differs after registering a waiter, a change slipped in between. */
unsigned long long served_generation(void);
/* A change that is not a new org policy (a per-user policy or preferences):
 * wake every waiter so per-user long-polls re-check their ETag. */
void served_notify(void);
/* Remove w if still registered (safe to call twice). */
void served_wait_remove(struct served_waiter *w);
/* Wake every waiter for good (at shutdown): from now on waiters answer
 * instead of going back to sleep. */
void served_wake_all(void);
/* 1 once served_wake_all() was called. */
int served_shutting_down(void);
/* Start/stop the deadline thread. */
int served_start(void);
void served_stop(void);

#endif
