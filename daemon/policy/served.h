/* SPDX-License-Identifier: Apache-2.0 */
/* The policy being served right now: the org document, its effective settings,
 * the prebuilt GET /v1/settings reply and the compiled decision policy. A new
 * policy is built completely off to the side and swapped in atomically; readers
 * hold a reference, so a reload never pulls bytes out from under a request.
 * Long-poll waiters are woken on every swap. */
#ifndef LOCKSET_SERVED_H
#define LOCKSET_SERVED_H

#include "homes.h"
#include "util/etag.h"
#include "util/problems.h"
#include "settings.h"

#include <jansson.h>
#include <time.h>

struct decide_policy;
struct served_hub;
struct userpolicy;

struct served {
	long long version;        /* policy version */
	json_t *doc;              /* the org policy document as stored */
	json_t *effective;        /* effective settings (no user layer) */
	struct decide_policy *dp; /* compiled for decisions */
	char etag[ETAG_SIZE];     /* strong ETag of the settings reply, quoted */
	char doc_etag[ETAG_SIZE]; /* strong ETag of the policy document, quoted */
	char *text;               /* the settings reply body: effective, indented */
	size_t text_len;
	time_t loaded_at;
	/* The path variables this version was built with: $HOME stands for the
	 * home group's members (the homes are owned here). */
	struct settings_env env;
	struct homes homes;
	int uses_home; /* the policy names $HOME: a user a request names gets their own */
	unsigned long long build; /* grows with every build, rebuilds of a version too */
	int refs;
};

/* A hub that serves the policy from settings_path (copied), $TMP and $TEMP
 * expanding as env says ($HOME: see served_set_homes). It owns the current
 * policy and the long-poll waiters; nothing is served before the first
 * served_install. NULL when out of memory. */
struct served_hub *served_hub_new(const char *settings_path, const struct settings_env *env);
/* Stop it (served_stop) and free it. NULL is fine. */
void served_hub_free(struct served_hub *h);
/* The homes $HOME stands for when no user is named (the home group's
 * members; copied). Returns 1 when they differ from the ones before (then
 * served_rebuild() applies them to the served policy), else 0; -1 on ENOMEM. */
int served_set_homes(struct served_hub *h, const struct homes *homes);
/* Build the current policy again, same document and version, with the homes
 * now set. 0 or -1. Callers serialise it with policy changes
 * (policylife_rebuild). */
int served_rebuild(struct served_hub *h);
/* Load and validate the settings file: a new reference, or NULL with errs
 * filled (the current policy keeps serving). warns gets non-fatal findings.
 * Installing it, under which version, is policylife.c's business. */
json_t *served_load(struct served_hub *h, struct problems *errs, struct problems *warns);
/* The settings file path given to served_hub_new. Borrowed. */
const char *served_settings_path(const struct served_hub *h);
/* Install an already validated document (steals doc) under version, which
 * comes from the policy history (policystore.h). */
int served_install(struct served_hub *h, json_t *doc, long long version);
/* A new reference to the current policy (NULL before the first load). */
struct served *served_acquire(struct served_hub *h);
/* Another reference to s (which the caller holds); returns s. */
struct served *served_ref(struct served *s);
void served_release(struct served *s);
/* Seconds since the daemon started serving. */
long served_uptime(const struct served_hub *h);

/* The path variables for a request that names user under s: s->env with
 * $HOME standing for that user's home alone (none when the user database
 * does not know the user). hold keeps the home; clear it with homes_clear.
 * 0, or -1 on ENOMEM. */
int served_user_env(const struct served *s, const char *user, struct settings_env *env,
                    struct homes *hold);

/* Long-poll waiters (served_wait.c). A waiter for the org settings
 * (user NULL) is woken when the served ETag differs from its etag; one for a
 * user's settings when a change could touch them (the org policy, the
 * user's policy or preferences) AND the user's new reply has another ETag:
 * that reply is built once per user and change (userpolicy_reply), on the
 * waiters' own thread, and handed to every waiter of the user. Every waiter
 * is woken at its deadline, at shutdown, and when its client has gone. */
struct served_user_reply {
	int refs;
	char etag[ETAG_SIZE]; /* quoted strong ETag of text */
	char *text;           /* the GET /v1/settings?user= body */
	size_t len;
};
/* Every long-poll holds one while it waits: the 8-byte fields first, then
 * the ints and the ETag (sized for etag_of's, the only ETags a waiter
 * compares), so that no padding sits between them. */
struct served_waiter {
	struct timespec deadline;
	void (*fire)(struct served_waiter *w); /* called once, from any thread */
	const char *user; /* borrowed for as long as registered; NULL: the org settings */
	struct served_user_reply *reply; /* per-user, woken by a change: the new reply (owned) */
	struct served_waiter *prev, *next;
	int fired;
	int fd;               /* the client's socket, watched for its going; <= 0: not watched */
	int gone;             /* fired because the client closed its connection */
	int any;              /* fired by every change (org or user), whatever the ETags */
	int internal;         /* lockset's own (not a client's): not counted against the caps */
	char etag[ETAG_SIZE]; /* the ETag the client has: etag_of's, as served */
};
void served_user_reply_release(struct served_user_reply *r);

/* Register an org waiter. Returns 0 when registered, 1 when the ETag
 * already differs (not registered: reply now). */
int served_wait_add(struct served_hub *h, struct served_waiter *w);
/* Register a per-user waiter (w->user and w->etag set). */
void served_wait_add_user(struct served_hub *h, struct served_waiter *w);
/* Register w whatever the ETags are (the bundle's long-polls): it fires at
 * the next change of any kind or at its deadline. */
void served_wait_add_any(struct served_hub *h, struct served_waiter *w);
/* served_wait_add_any for lockset's own waiters (the engine check), which
 * no client's long-poll limits count. */
void served_wait_add_internal(struct served_hub *h, struct served_waiter *w);
/* Counts changes: read it before computing a per-user reply; if it differs
 * after registering the waiter, a change slipped in between. */
unsigned long long served_generation(struct served_hub *h);
/* user's policy or preferences changed: their waiters re-check. */
void served_notify_user(struct served_hub *h, const char *user);
/* Remove w if still registered (safe to call twice); drops w->reply. */
void served_wait_remove(struct served_hub *h, struct served_waiter *w);
/* Waiters registered now (all, and per-user ones), and per-user replies
 * built by the waiters' thread since start-up. */
void served_wait_count(struct served_hub *h, size_t *all, size_t *users,
                       unsigned long long *builds);
/* Wake every waiter for good (at shutdown): from now on waiters answer
 * instead of going back to sleep. */
void served_wake_all(struct served_hub *h);
/* 1 once served_wake_all() was called. */
int served_shutting_down(struct served_hub *h);
/* Start the waiters' thread (deadlines, gone clients, per-user re-checks;
 * up, borrowed until served_stop, builds the per-user replies). */
int served_start(struct served_hub *h, struct userpolicy *up);
/* Stop that thread, waking every waiter, and drop the current policy. */
void served_stop(struct served_hub *h);

#endif
