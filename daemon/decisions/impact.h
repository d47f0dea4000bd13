/* SPDX-License-Identifier: Apache-2.0 */
/* Impact preview: replay the recorded decision inputs (inputs.h) of a time
 * window against a proposed org policy and report which past requests it
 * would newly deny or newly allow, grouped by rule. */
#ifndef LOCKSET_IMPACT_H
#define LOCKSET_IMPACT_H

#include <jansson.h>
#include <time.h>

struct served_hub;
struct userpolicy;
struct inputs;

#define IMPACT_MAX_EXAMPLES 20
#define IMPACT_DEFAULT_DAYS 7

/* Parse an RFC 3339 time ("2026-11-28T12:00:00Z", fractions and offsets
 * allowed) into the stored form (UTC, microseconds) in out (32 bytes).
 * Returns 0, or -1 when s is not such a time. */
int impact_parse_time(const char *s, char out[32]);
/* The stored form of now minus seconds. */
void impact_time_ago(time_t seconds, char out[32]);

/* Replay every input in recorded since (stored form) against proposed
 * (borrowed, a valid policy document) in place of served's current policy; a
 * user with a per-user policy (up) is judged by the proposed org policy under
 * their current user policy. The window is exact to the
 * minute (the minute that holds since counts whole). Every count is of past
 * requests: a recorded row of identical requests counts as many. Inputs whose
 * body was too large to keep are skipped and counted. New reference:
 *   {"since", "replayed", "skipped",
 *    "newlyDenied": {"count", "byRule": {rule: n}},
 *    "newlyAllowed": {"count", "byRule": {rule: n}},
 *    "examples": [{"time","count","method","uri","user","before","after","rules"}...]}
 * One example per distinct request (method, URI, user, body) and verdict, at
 * most IMPACT_MAX_EXAMPLES, in the order first seen; "count" is how many such
 * requests there were, "time" the last of them.
 * NULL with *unavailable = 1 when the inputs cannot be read, NULL otherwise
 * on ENOMEM. */
json_t *impact_preview(struct inputs *in, struct served_hub *served, struct userpolicy *up,
                       const json_t *proposed, const char *since, int *unavailable);

#endif
