/* SPDX-License-Identifier: Apache-2.0 */
/* Internals shared by gojson.c (the arena, the parser), gojson_string.c
 * (strings) and gojson_view.c (fields by Go's rules): the arena's blocks,
 * the parser's state, the fold signature of keys, and the index that large
 * objects get so a field lookup visits only the members that may match.
 * Not for other modules: they use gojson.h. */
#ifndef LOCKSET_GOJSON_INT_H
#define LOCKSET_GOJSON_INT_H

#include "gojson.h"

/* Under AddressSanitizer the arena's free space is poisoned and each
 * allocation unpoisoned to exactly its size, so that a write past a value
 * the arena holds is reported where it happens, not hidden by the room
 * after it. gojson_arena_clear leaves the inline buffer unpoisoned: an arena
 * on the stack must be cleared before its frame ends. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GOJSON_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(GOJSON_ASAN)
#define GOJSON_ASAN 1
#endif
#ifdef GOJSON_ASAN
#include <sanitizer/asan_interface.h>
#define GOJSON_POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define GOJSON_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define GOJSON_POISON(p, n)   ((void)(p), (void)(n))
#define GOJSON_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* One malloc'd block of an arena, after its inline buffer is full. */
struct gojson_arena_block {
	struct gojson_arena_block *next;
	size_t cap, used;
	_Alignas(16) char data[];
};

/* A new block with room for size bytes (a multiple of 16), the first size
 * of them taken (and still poisoned under AddressSanitizer). NULL when out of
 * memory. */
void *gojson_arena_grow(struct gojson_arena *a, size_t size);

/* gojson_arena_alloc, inlined for the parser's many small
 * allocations: room in the inline buffer or in the current block. */
static inline void *
gojson_arena_take(struct gojson_arena *a, size_t want)
{
	struct gojson_arena_block *b = a->blocks;
	size_t size = (want + 15) & ~(size_t)15;
	void *p;

	if (GOJSON_ARENA_INLINE - a->inline_used >= size) {
		p = a->inline_buf + a->inline_used;
		a->inline_used += size;
	} else if (b != NULL && b->cap - b->used >= size) {
		p = b->data + b->used;
		b->used += size;
	} else if ((p = gojson_arena_grow(a, size)) == NULL) {
		return NULL;
	}
	GOJSON_UNPOISON(p, want);
	return p;
}

/* The parser's state over one body: a ps->err message and ps->nomem say
 * why it stopped. */
struct gojson_parser {
	struct gojson_arena *a;
	const unsigned char *p, *end;
	int depth;
	int nomem;
	const char *err;
};

/* Parse a string at ps->p (on the opening quote) into arena memory
 * (gojson_string.c), leaving ps->p past the closing quote. *plain (if not
 * NULL) says whether it was copied whole. Returns 0, or -1 with ps->err or
 * ps->nomem set. */
int gojson_parse_string(struct gojson_parser *ps, const char **out, size_t *outlen, int *plain);

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

/* ASCII case folding without the locale lookup tolower() does. */
static inline int
gojson_ascii_fold(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* The fold signature: the folded length and the first, middle and last
 * folded characters. Cheap to compute and to compare; a match is confirmed
 * by gojson_key_matches. */
static inline unsigned
gojson_sig_pack(size_t n, unsigned first, unsigned mid, unsigned last)
{
	return (unsigned)(n & 0xff) | first << 8 | mid << 16 | last << 24;
}

/* The fold signature of klen bytes of plain ASCII (gojson_fold_hash gives
 * the same for them, and handles any key); inline, as the parser takes one
 * for every member. */
static inline unsigned
gojson_fold_sig_ascii(const char *key, size_t klen)
{
	if (klen == 0)
		return 0;
	return gojson_sig_pack(klen, (unsigned)gojson_ascii_fold((unsigned char)key[0]),
	                       (unsigned)gojson_ascii_fold((unsigned char)key[klen / 2]),
	                       (unsigned)gojson_ascii_fold((unsigned char)key[klen - 1]));
}

#endif
