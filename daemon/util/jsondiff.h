/* SPDX-License-Identifier: Apache-2.0 */
/* Two small JSON tools for policy changes: applying a JSON merge patch
 * (RFC 7396) and summarising what changed between two documents as JSON
 * pointers, for audit rows and replies. */
#ifndef LOCKSET_JSONDIFF_H
#define LOCKSET_JSONDIFF_H

#include <jansson.h>

/* Keys listed per kind in a summary; more are counted but not listed. */
#define JSONDIFF_MAX_LISTED 200

/* Apply patch to target as RFC 7396 says: an object patch merges member by
 * member (null removes), anything else replaces the target whole. Both are
 * borrowed; target may be NULL. Returns a new reference, NULL on ENOMEM. */
json_t *jsondiff_merge_patch(const json_t *target, const json_t *patch);

/* What changed from old to new (both borrowed, NULL = empty object):
 * {"added": [ptr...], "removed": [ptr...], "changed": [ptr...]}. Objects are
 * compared member by member down to the leaves; arrays and scalars whole, at
 * their own pointer. Lists are in key order and hold at most
 * JSONDIFF_MAX_LISTED entries; "truncated": true says some were left out.
 * New reference, NULL on ENOMEM. */
json_t *jsondiff_summary(const json_t *old, const json_t *new_doc);

#endif
