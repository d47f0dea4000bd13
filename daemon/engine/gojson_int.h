/* SPDX-License-Identifier: Apache-2.0 */
/* Internals shared by gojson.c (the parser) and gojson_view.c (fields by
 * Go's rules): the fold signature of keys, and the index that large objects
 * get so a field lookup visits only the members that may match. Not for
 * other modules: they use gojson.h. */
#ifndef LOCKSET_GOJSON_INT_H
#define LOCKSET_GOJSON_INT_H

#include "gojson.h"

#define GOJSON_INDEX_MIN 12 /* members from which an object is indexed */

/* An object's members by fold signature: per bucket, the last member of the
 * bucket in document order; per member (by position), the one before it in
 * its bucket. Lives in the arena with the object. */
struct gojson_index {
	unsigned shift;                     /* 32 - log2(buckets) */
	int *head;                          /* per bucket: a position, or -1 */
	int *prev;                          /* per position: a position, or -1 */
	const struct gojson_value **member; /* per position */
};

/* The bucket of a fold signature. */
static inline unsigned
gojson_index_bucket(const struct gojson_index *ix, unsigned sig)
{
	return (sig * 0x9E3779B1u) >> ix->shift;
}

/* The fold signature of klen bytes of plain ASCII (gojson_fold_hash gives
 * the same for them, and handles any key). */
unsigned gojson_fold_sig_ascii(const char *key, size_t klen);

#endif
