/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the Go-compatible JSON reader (gojson.h). Parses the input,
 * checks the tree it builds (child counts, NUL-terminated strings that are
 * valid UTF-8, as Go hands them over), reads it through every kind of view the
 * engine uses, and runs the key matcher and the base64 decoder on the bytes. */
#include "fuzz.h"
#include "engine/gojson.h"

#include <stdlib.h>
#include <string.h>

/* Valid UTF-8 (no surrogates, nothing past U+10FFFF), as Go's decoder leaves
 * every string after replacing what is not. */
static int
utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i], need, cp, min;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			need = 1, cp = c & 0x1F, min = 0x80;
		else if (c >= 0xE0 && c <= 0xEF)
			need = 2, cp = c & 0x0F, min = 0x800;
		else if (c >= 0xF0 && c <= 0xF4)
			need = 3, cp = c & 0x07, min = 0x10000;
		else
			return 0;
		if (n - i <= need)
			return 0;
		for (unsigned k = 1; k <= need; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000))
			return 0;
		i += need + 1;
	}
	return 1;
}

static void
check_string(const char *s, size_t len)
{
	if (s == NULL || s[len] != '\0' || !utf8_valid((const unsigned char *)s, len))
		abort();
}

/* Walk the tree: every invariant gojson.h promises. */
static void
check_tree(const struct gojson_value *v, int in_object)
{
	const struct gojson_value *c;
	size_t n = 0;

	if (in_object)
		check_string(v->key, v->klen);
	if (v->type == GOJSON_STRING)
		check_string(v->s, v->len);
	for (c = v->child; c != NULL; c = c->next, n++)
		check_tree(c, v->type == GOJSON_OBJECT);
	if (n != v->n || (n > 0 && v->type != GOJSON_ARRAY && v->type != GOJSON_OBJECT))
		abort();
}

/* The key matcher against its definition for ASCII names: ASCII case
 * folding, plus U+017F for 's' and U+212A for 'k'. */
static int
key_matches_ref(const char *key, size_t klen, const char *name)
{
	size_t i = 0;

	for (; *name != '\0'; name++) {
		char c = *name >= 'A' && *name <= 'Z' ? (char)(*name + 32) : *name;
		char k = i < klen && key[i] >= 'A' && key[i] <= 'Z' ? (char)(key[i] + 32)
		                                                    : (i < klen ? key[i] : 0);

		if (i < klen && k == c) {
			i++;
		} else if (c == 's' && klen - i >= 2 && memcmp(key + i, "\xC5\xBF", 2) == 0) {
			i += 2;
		} else if (c == 'k' && klen - i >= 3 && memcmp(key + i, "\xE2\x84\xAA", 3) == 0) {
			i += 3;
		} else {
			return 0;
		}
	}
	return i == klen;
}

static void
read_views(struct gojson_arena *a, const struct gojson_value *root)
{
	struct gojson_view top = {&root, 1}, hc, m, *mounts = NULL;
	const struct gojson_value *binds, *caps;
	size_t nm = 0, i;

	if (root->type != GOJSON_OBJECT)
		return;
	(void)gojson_view_string(&top, "Image");
	if (gojson_view_struct(a, &top, "HostConfig", &hc) != 0)
		return;
	(void)gojson_view_bool(&hc, "Privileged");
	if (gojson_view_slice(a, &hc, "Binds", 0, &binds) != 0 ||
	    gojson_view_slice(a, &hc, "CapAdd", 1, &caps) != 0)
		return;
	if (binds != NULL) /* the merged copy must be a well-formed array */
		check_tree(binds, 0);
	if (gojson_view_map(a, &hc, "Sysctls", &m) == 0)
		(void)gojson_map_get(&m, "kernel.shm_rmid_forced");
	if (gojson_view_struct_slice(a, &hc, "Mounts", &mounts, &nm) != 0)
		return;
	if ((nm > 0) != (mounts != NULL))
		abort();
	for (i = 0; i < nm; i++) {
		(void)gojson_view_string(&mounts[i], "Source");
		(void)gojson_view_string(&mounts[i], "Type");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"Privileged", "CapAdd", "Binds", "Mask", "ks"};
	struct gojson_arena a;
	const struct gojson_value *root = NULL;
	const char *why = NULL;
	size_t at = 0, i;
	unsigned char *out;
	long n;
	int rc;

	gojson_arena_init(&a);
	rc = gojson_parse(&a, (const char *)data, size, &root, &why, &at);
	if (rc == 0) {
		if (root == NULL)
			abort();
		check_tree(root, 0);
		read_views(&a, root);
	} else if (rc == 1 && (why == NULL || at > size)) {
		abort();
	}
	gojson_arena_clear(&a);

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (gojson_key_matches((const char *)data, size, names[i]) !=
		    key_matches_ref((const char *)data, size, names[i]))
			abort();

	out = malloc(size / 4 * 3 + 1);
	if (out == NULL)
		return 0;
	n = gojson_base64_decode((const char *)data, size, out);
	if (n > (long)(size / 4 * 3))
		abort();
	free(out);
	return 0;
}
