/* SPDX-License-Identifier: Apache-2.0 */
/* JSON read the way Go's encoding/json reads it into structs: every object
 * member kept in document order, duplicates included, strings decoded as Go
 * decodes them; struct fields found by case-folded key (ſ and K included),
 * the last duplicate winning, nested structs and maps merging, slices
 * replaced. Everything lives in an arena that is released in one call. */
#ifndef LOCKSET_GOJSON_H
#define LOCKSET_GOJSON_H

#include <stddef.h>

/* ------------------------------------------------------------------------ */
/* Arena                                                                    */

struct gojson_arena_block;

#define GOJSON_ARENA_INLINE 8192

/* Allocations come from inline_buf first, then from malloc'd blocks. */
struct gojson_arena {
	struct gojson_arena_block *blocks;
	size_t inline_used;
	/* A string or member name parsed into this arena held U+0000 (\u0000):
	 * Go keeps it, and a C string of it would end there. */
	int nul;
	_Alignas(16) char inline_buf[GOJSON_ARENA_INLINE];
};

void gojson_arena_init(struct gojson_arena *a);
/* size bytes aligned to 16, valid until gojson_arena_clear; NULL on ENOMEM. */
void *gojson_arena_alloc(struct gojson_arena *a, size_t size);
/* Release every block and make the arena empty again (it may be used again
 * without gojson_arena_init). Accepts NULL. */
void gojson_arena_clear(struct gojson_arena *a);
/* Cleared arenas leave a few standard blocks to the next arena of the same
 * thread (freed when the thread exits); this frees the calling thread's now,
 * for a caller that counts its allocations. */
void gojson_arena_spares_free(void);

/* ------------------------------------------------------------------------ */
/* Values                                                                   */

enum gojson_type {
	GOJSON_NULL,
	GOJSON_FALSE,
	GOJSON_TRUE,
	GOJSON_NUMBER,
	GOJSON_STRING,
	GOJSON_ARRAY,
	GOJSON_OBJECT
};

struct gojson_index;

/* One value; all of it lives in the arena. */
struct gojson_value {
	enum gojson_type type;
	unsigned kfold;  /* gojson_fold_hash of key, inside an object */
	const char *key; /* member name (decoded, NUL-terminated) inside an object */
	size_t klen;
	union {
		const char *s;                    /* decoded string (NUL-terminated) */
		const struct gojson_index *index; /* a large object's (internal) */
	};
	size_t len;
	struct gojson_value *child, *next; /* members or elements, in document order */
	size_t n;                          /* number of children */
};

/* Parse len bytes of text (not necessarily NUL-terminated) as one JSON value,
 * after which only white space may follow. Invalid UTF-8 and lone surrogates
 * in strings become U+FFFD, as in Go. Returns 0 with *out set; 1 on a syntax
 * error, with *why (static) and *at (the byte offset) set; -1 on ENOMEM. */
int gojson_parse(struct gojson_arena *a, const char *text, size_t len,
                 const struct gojson_value **out, const char **why, size_t *at);

/* 1 when a JSON object key (klen bytes of UTF-8) selects the struct field name
 * under Go's encoding/json rules: Unicode simple case folding, so "privileged",
 * "PRIVILEGED" and keys spelt with U+017F (long s) or U+212A (Kelvin sign)
 * match "Privileged". */
int gojson_key_matches(const char *key, size_t klen, const char *name);

/* A hash of a key as gojson_key_matches folds it (ASCII case, U+017F as s,
 * U+212A as k): keys that match one name have that name's hash, so most
 * members are passed over with one comparison. */
unsigned gojson_fold_hash(const char *key, size_t klen);

/* ------------------------------------------------------------------------ */
/* Views: Go's view of one struct (or map) is every object that was decoded  */
/* into it, in order. A view of the root is {&root, 1}.                      */

struct gojson_view {
	const struct gojson_value **obj;
	size_t n;
};

/* A pointer-to-struct field of parent: the objects after the last null (Go
 * sets the pointer to nil, and a later object starts a new struct). out->obj
 * is in the arena. Returns 0, or -1 on ENOMEM. */
int gojson_view_struct(struct gojson_arena *a, const struct gojson_view *parent, const char *name,
                       struct gojson_view *out);
/* A struct field held by value: every object, since null leaves a struct as
 * it was. Use it exactly where the Go type is not a pointer. */
int gojson_view_struct_value(struct gojson_arena *a, const struct gojson_view *parent,
                             const char *name, struct gojson_view *out);
/* A map field: the objects after the last null, merged (keys exact). */
int gojson_view_map(struct gojson_arena *a, const struct gojson_view *parent, const char *name,
                    struct gojson_view *out);
/* A slice of structs: element i merges every object decoded at index i since
 * the last null or empty array (Go decodes into the existing element; null
 * and [] make a new slice), and the length is that of the last array. *out (in the arena) is NULL when *nout is 0.
 * Returns 0, or -1 on ENOMEM. */
int gojson_view_struct_slice(struct gojson_arena *a, const struct gojson_view *parent,
                             const char *name, struct gojson_view **out, size_t *nout);

/* The last string for name (null leaves a value unchanged, as for Go strings),
 * or NULL. */
const char *gojson_view_string(const struct gojson_view *v, const char *name);
/* The last bool for name; 0 when there is none. */
int gojson_view_bool(const struct gojson_view *v, const char *name);
/* A slice field, *out set to the array (or, strslice != 0, the bare string)
 * that decides it, NULL for nil. The last array (or null, which makes it nil)
 * sets the length. For a []string (strslice 0) Go decodes into the elements
 * already there, so a null element keeps the string an earlier array put at
 * its index (since the last null or empty array): *out is then a merged copy
 * in the arena. strslice != 0 is Docker's StrSlice, which starts afresh each
 * time and also takes a bare string. Returns 0, or -1 on ENOMEM. */
int gojson_view_slice(struct gojson_arena *a, const struct gojson_view *v, const char *name,
                      int strslice, const struct gojson_value **out);
/* The value a map[string]string holds for an exact key: the last string, or
 * "" when the last is null (Go stores the zero value); NULL when absent. */
const char *gojson_map_get(const struct gojson_view *m, const char *key);

/* Decode standard padded base64 (how Go encodes []byte) of len bytes into out
 * (at least len / 4 * 3 bytes). Returns the length, or -1 when the text is
 * not base64. */
long gojson_base64_decode(const char *in, size_t len, unsigned char *out);

/* The length of the run of plain string bytes at s, before end: printable
 * ASCII other than '"' and '\\' (what a JSON string holds as it is). */
size_t gojson_plain_run(const char *s, const char *end);

/* Length of the valid UTF-8 sequence at the start of s (n bytes), as Go's
 * utf8.DecodeRune accepts one, or 0 when s[0] starts none (or n is 0). */
size_t gojson_utf8_len(const char *s, size_t n);

/* The value of hex digit c (either case), or -1. */
int gojson_hexval(int c);

#endif
