/* SPDX-License-Identifier: Apache-2.0 */
/* Per-user policies, Docker Admin Console's "specific users": the current
 * policy of every user that has one is kept in memory (loaded from the policy
 * history at start-up), changed through the store with an audit row first,
 * and compiled into a decision policy per user ($HOME being that user's
 * home), cached per served build (a new org version, or new group homes).
 * Users without a policy cost the decision path one atomic load, unless the
 * org policy names $HOME. */
#ifndef LOCKSET_USERPOLICY_H
#define LOCKSET_USERPOLICY_H

#include <jansson.h>

struct audit;
struct policystore;
struct served_hub;
struct userpolicy;
struct served;
struct decide_policy;
struct problems;

enum userpolicy_status {
	UP_OK = 0,
	UP_NOT_FOUND, /* delete: the user has no policy */
	UP_STORE,     /* the history could not be written; nothing changed */
	UP_AUDIT,     /* the audit row could not be written; nothing changed */
	UP_INTERNAL,  /* out of memory */
	UP_INVALID,   /* the document fails the org policy's checks (errs says why) */
};

/* The per-user policies, loaded from store's history. Every change goes to
 * store, is recorded in audit and told to served's long-polls; decisions
 * compile on top of served's policies. All three are borrowed and must
 * outlive the table. NULL with *err (malloc'd) on failure. */
struct userpolicy *userpolicy_open(struct served_hub *served, struct policystore *store,
                                   struct audit *audit, char **err);
/* Free it (NULL is fine). */
void userpolicy_close(struct userpolicy *up);

/* Is name acceptable as a user name in a path (1-256 bytes of valid UTF-8;
 * no '/', no control, bidirectional or zero-width characters)? On refusal adds a problem at path to errs (may be
 * NULL) and returns 0. */
int userpolicy_name_valid(const char *name, const char *path, struct problems *errs);

/* user's current policy document (new reference) and its version, or NULL
 * when the user has none. */
json_t *userpolicy_get(struct userpolicy *up, const char *user, long long *version);

/* Every user with a policy, sorted by name: [{"user", "version"}...] (new
 * reference), NULL on ENOMEM. */
json_t *userpolicy_list(struct userpolicy *up);

/* Set (doc borrowed) or delete (doc NULL) user's policy. doc must pass the
 * very checks an org policy passes (policy_accept: schema, limits, and the
 * file loader's own checks), else UP_INVALID with errs filled (warns gets the
 * warnings; both may be NULL). Then a new version in the history, then
 * policy.user.updated / policy.user.deleted in the audit log (actor), then
 * the in-memory copy. On UP_AUDIT the version is withdrawn. *version receives
 * the new version number. */
enum userpolicy_status userpolicy_set(struct userpolicy *up, const char *user, const json_t *doc,
                                      const char *actor, const char *comment, long long *version,
                                      struct problems *errs, struct problems *warns);

/* The decision policy for user under s, $HOME being that user's home: s->dp
 * when no user is named, or the user has no policy and s does not name
 * $HOME (*hold NULL); else a policy compiled for the user, with a reference
 * in *hold (release with userpolicy_release). NULL only when compiling
 * failed (out of memory): the caller must deny. */
const struct decide_policy *userpolicy_decide(struct userpolicy *up, const struct served *s,
                                              const char *user, void **hold);
void userpolicy_release(void *hold);

/* The effective settings for user under s (policy and preferences layers,
 * $HOME being the user's home);
 * new reference with "policyVersion", "user" and "userPolicyVersion" (null
 * when none) added. NULL with *unavailable set when the preferences could not
 * be read, NULL otherwise on ENOMEM. */
json_t *userpolicy_effective(struct userpolicy *up, const struct served *s, const char *user,
                             int *unavailable);

/* The GET /v1/settings?user= reply for user under the current policy (a new
 * reference with refs 1; release with served_user_reply_release), or NULL
 * with *unavailable set when the preferences cannot be read (else out of
 * memory). Long-poll waiters get theirs from here too, built on the waiters'
 * thread. */
struct served_user_reply *userpolicy_reply(struct userpolicy *up, const char *user,
                                           int *unavailable);

#endif
