/* SPDX-License-Identifier: Apache-2.0 */
/* The Go-compatible JSON reader: strings decode the same whether they are
 * plain (copied whole) or not (escapes, non-ASCII, errors), wherever in an
 * eight-byte word the special byte falls; keys select fields by Go's folding
 * through the fold signature (ſ, K, any case); base64 decodes as Go's
 * StdEncoding, padding only at the end, sixteen digits at a time or not;
 * plain strings of any length decode whole wherever the text ends. */
#include "check.h"
#include "engine/gojson.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* The string member "k" of {"k": <text>} decoded, or NULL with *why set. */
static const char *
decode(struct gojson_arena *a, const char *text, size_t *len, const char **why, size_t *at)
{
	char doc[512];
	const struct gojson_value *root;

	snprintf(doc, sizeof(doc), "{\"k\": %s}", text);
	*why = NULL;
	if (gojson_parse(a, doc, strlen(doc), &root, why, at) != 0)
		return NULL;
	*len = root->child->len;
	return root->child->s;
}

static void
test_plain_and_escaped_strings_decode_alike(void)
{
	static const struct {
		const char *esc, *dec;
	} special[] = {
	    {"\\n", "\n"},
	    {"\\\"", "\""},
	    {"\\u0041", "A"},
	    {"é", "é"},
	    {"\\ud83d\\ude00", "\xf0\x9f\x98\x80"},
	    {"\\ud800", "\xef\xbf\xbd"},
	    {"\xff", "\xef\xbf\xbd"},
	    {"\\/", "/"},
	};
	struct gojson_arena a;
	const char *why, *got;
	size_t at, len;
	char text[128], want[128];

	gojson_arena_init(&a);
	/* The special text at every offset of the first words, plain text round it. */
	for (size_t s = 0; s < sizeof(special) / sizeof(special[0]); s++)
		for (int off = 0; off < 20; off++) {
			snprintf(text, sizeof(text), "\"%.*s%sxyz0123456789\"", off,
			         "abcdefghijklmnopqrstuvwxyz", special[s].esc);
			snprintf(want, sizeof(want), "%.*s%sxyz0123456789", off,
			         "abcdefghijklmnopqrstuvwxyz", special[s].dec);
			got = decode(&a, text, &len, &why, &at);
			CHECK_STR_EQ(got, want);
			CHECK_INT_EQ(len, strlen(want));
		}
	got = decode(&a, "\"a plain string of more than eight bytes\"", &len, &why, &at);
	CHECK_STR_EQ(got, "a plain string of more than eight bytes");
	got = decode(&a, "\"\"", &len, &why, &at);
	CHECK(got != NULL && len == 0 && got[0] == '\0');
	got = decode(&a, "\"nul \\u0000 inside\"", &len, &why, &at);
	CHECK(got != NULL && len == 12 && memcmp(got, "nul \0 inside", 13) == 0);
	gojson_arena_clear(&a);
}

/* Plain keys and values of every length up to past two blocks of sixteen,
 * followed by anything from one byte to many before the end of the text:
 * decoded whole, and the key found by its folded name. */
static void
test_plain_strings_of_every_length_and_place(void)
{
	static const char letters[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	const struct gojson_value *root;
	struct gojson_arena a;
	char doc[256], name[64];

	for (int n = 1; n <= 40; n++)
		for (int pad = 0; pad <= 20; pad++) {
			struct gojson_view v = {&root, 1};
			const char *why = NULL;
			size_t at = 0;
			int len;

			len = snprintf(doc, sizeof(doc), "{\"%.*s\":\"%.*s\"%*s}", n, letters, n,
			               letters + 1, pad, "");
			gojson_arena_init(&a);
			CHECK_INT_EQ(gojson_parse(&a, doc, (size_t)len, &root, &why, &at), 0);
			CHECK_INT_EQ(root->child->klen, n);
			CHECK(memcmp(root->child->key, letters, (size_t)n) == 0);
			CHECK(root->child->key[n] == '\0');
			CHECK_INT_EQ(root->child->len, n);
			CHECK(memcmp(root->child->s, letters + 1, (size_t)n) == 0);
			CHECK(root->child->s[n] == '\0');
			for (int i = 0; i < n; i++) /* the name in the other case */
				name[i] = (char)(letters[i] ^ 0x20);
			name[n] = '\0';
			CHECK(gojson_view_string(&v, name) == root->child->s);
			gojson_arena_clear(&a);
		}
}

static void
test_bad_strings_are_refused_at_the_string(void)
{
	struct gojson_arena a;
	const char *why;
	size_t at, len;

	gojson_arena_init(&a);
	for (int off = 0; off < 12; off++) {
		char text[64];

		snprintf(text, sizeof(text), "\"%.*s\tx\"", off, "0123456789ab");
		CHECK(decode(&a, text, &len, &why, &at) == NULL);
		CHECK_STR_EQ(why, "control character in string");
		CHECK_INT_EQ(at, 6); /* the opening quote of the value */
	}
	CHECK(decode(&a, "\"abcdefghijklmnop", &len, &why, &at) == NULL);
	CHECK_STR_EQ(why, "unterminated string");
	CHECK(decode(&a, "\"abcdefgh\\x\"", &len, &why, &at) == NULL);
	CHECK_STR_EQ(why, "bad escape in string");
	CHECK(decode(&a, "\"abcdefgh\\u12G4\"", &len, &why, &at) == NULL);
	CHECK_STR_EQ(why, "bad \\u escape in string");
	gojson_arena_clear(&a);
}

static void
test_keys_select_fields_by_go_folding(void)
{
	static const char doc[] =
	    "{\"privileged\": false, \"PRIVILEGED\": true, \"\\u0053ysctls\": {\"a\": \"1\"},"
	    " \"Cap\xc5\xbf"
	    "Add\": [\"x\"], \"\xe2\x84\xaa"
	    "ernelMemory\": \"k\", \"Devices\": [], \"Devicesx\": null, \"Image\": \"i\"}";
	const struct gojson_value *root, *caps;
	struct gojson_view v, sys;
	struct gojson_arena a;
	const char *why;
	size_t at;

	gojson_arena_init(&a);
	CHECK_INT_EQ(gojson_parse(&a, doc, strlen(doc), &root, &why, &at), 0);
	v.obj = &root;
	v.n = 1;
	CHECK_INT_EQ(gojson_view_bool(&v, "Privileged"), 1);
	CHECK_INT_EQ(gojson_view_struct(&a, &v, "Sysctls", &sys), 0);
	CHECK_INT_EQ(sys.n, 1);
	CHECK_INT_EQ(gojson_view_slice(&a, &v, "CapAdd", 0, &caps), 0);
	CHECK(caps == NULL); /* the key is "CapſAdd": ſ is an s, not nothing */
	CHECK_INT_EQ(gojson_view_slice(&a, &v, "CapSAdd", 0, &caps), 0);
	CHECK(caps != NULL);
	CHECK_STR_EQ(gojson_view_string(&v, "KernelMemory"), "k");
	CHECK_INT_EQ(gojson_view_slice(&a, &v, "Devices", 0, &caps), 0);
	CHECK(caps != NULL); /* "Devicesx" is another field */
	CHECK_STR_EQ(gojson_view_string(&v, "image"), "i");
	CHECK(gojson_view_string(&v, "Imag") == NULL);
	CHECK_INT_EQ(gojson_fold_hash("K\xc5\xbf", 3), gojson_fold_hash("\xe2\x84\xaas", 4));
	gojson_arena_clear(&a);
}

/* Parse doc into a, then take all but the last 16 bytes of the arena's
 * inline buffer, so that the next allocation (a view of one member) ends
 * exactly where the arena does: a write past it is past the arena, which the
 * sanitizers see. */
static const struct gojson_value *
parse_leaving_16(struct gojson_arena *a, const char *doc)
{
	const struct gojson_value *root = NULL;
	const char *why;
	size_t at;

	gojson_arena_init(a);
	CHECK_INT_EQ(gojson_parse(a, doc, strlen(doc), &root, &why, &at), 0);
	CHECK(a->blocks == NULL && a->inline_used + 16 <= GOJSON_ARENA_INLINE);
	CHECK(gojson_arena_alloc(a, GOJSON_ARENA_INLINE - a->inline_used - 16) != NULL);
	return root;
}

/* A null resets a pointer (and a map, and a slice), not a struct held by
 * value; [] starts a slice afresh; a shorter array keeps the elements past
 * its end. Go decodes every later value into what is there. Only the values
 * after the reset are kept, however many came before it. */
static void
test_views_reset_where_go_does(void)
{
	static const char objs[] =
	    "{\"H\": {\"a\": \"1\"}, \"H\": {\"b\": \"2\"}, \"H\": {\"c\": \"3\"},"
	    " \"H\": null, \"H\": {\"d\": \"4\"}}";
	static const char empty[] =
	    "{\"M\": [{\"a\": \"1\"}, {\"a\": \"2\"}], \"M\": [], \"M\": [{\"b\": \"3\"}]}";
	static const char merged[] =
	    "{\"M\": [{\"a\": \"1\"}, {\"a\": \"2\"}], \"M\": [{\"b\": \"3\"}],"
	    " \"M\": [{\"c\": \"4\"}, {\"c\": \"5\"}]}";
	static const char nulled[] =
	    "{\"M\": [{\"a\": \"1\"}], \"M\": [{\"a\": \"2\"}],"
	    " \"M\": [{\"a\": \"3\"}], \"M\": null, \"M\": [{\"b\": \"4\"}]}";
	static const char opts[] =
	    "{\"O\": {\"type\": \"nfs\", \"o\": \"bind\"}, \"O\": {\"type\": null}}";
	const struct gojson_value *root;
	struct gojson_view v = {&root, 1}, h, *m;
	struct gojson_arena a;
	const char *why;
	size_t n, at;

	root = parse_leaving_16(&a, objs);
	CHECK_INT_EQ(gojson_view_struct(&a, &v, "H", &h), 0);
	CHECK_INT_EQ(h.n, 1);
	CHECK(gojson_view_string(&h, "a") == NULL);
	CHECK_STR_EQ(gojson_view_string(&h, "d"), "4");
	CHECK_INT_EQ(gojson_view_struct_value(&a, &v, "H", &h), 0);
	CHECK_INT_EQ(h.n, 4);
	CHECK_STR_EQ(gojson_view_string(&h, "a"), "1");
	CHECK_STR_EQ(gojson_view_string(&h, "d"), "4");
	gojson_arena_clear(&a);

	root = parse_leaving_16(&a, nulled);
	CHECK_INT_EQ(gojson_view_struct_slice(&a, &v, "M", &m, &n), 0);
	CHECK_INT_EQ(n, 1);
	CHECK_INT_EQ(m[0].n, 1);
	CHECK(gojson_view_string(&m[0], "a") == NULL);
	CHECK_STR_EQ(gojson_view_string(&m[0], "b"), "4");
	gojson_arena_clear(&a);

	root = parse_leaving_16(&a, empty);
	CHECK_INT_EQ(gojson_view_struct_slice(&a, &v, "M", &m, &n), 0);
	CHECK_INT_EQ(n, 1);
	CHECK_INT_EQ(m[0].n, 1);
	CHECK(gojson_view_string(&m[0], "a") == NULL);
	gojson_arena_clear(&a);

	gojson_arena_init(&a);
	CHECK_INT_EQ(gojson_parse(&a, merged, strlen(merged), &root, &why, &at), 0);
	CHECK_INT_EQ(gojson_view_struct_slice(&a, &v, "M", &m, &n), 0);
	CHECK_INT_EQ(n, 2);
	CHECK_INT_EQ(m[0].n, 3);
	CHECK_STR_EQ(gojson_view_string(&m[0], "a"), "1");
	CHECK_STR_EQ(gojson_view_string(&m[0], "b"), "3");
	CHECK_STR_EQ(gojson_view_string(&m[0], "c"), "4");
	CHECK_INT_EQ(m[1].n, 2);
	CHECK_STR_EQ(gojson_view_string(&m[1], "a"), "2");
	CHECK_STR_EQ(gojson_view_string(&m[1], "c"), "5");
	gojson_arena_clear(&a);

	/* A map's null value is stored as "" (each value is decoded afresh). */
	gojson_arena_init(&a);
	CHECK_INT_EQ(gojson_parse(&a, opts, strlen(opts), &root, &why, &at), 0);
	CHECK_INT_EQ(gojson_view_map(&a, &v, "O", &h), 0);
	CHECK_STR_EQ(gojson_map_get(&h, "type"), "");
	CHECK_STR_EQ(gojson_map_get(&h, "o"), "bind");
	CHECK(gojson_map_get(&h, "device") == NULL);
	gojson_arena_clear(&a);
}

/* The last member of a field over every object of a view, in document order,
 * as the plain reading of encoding/json gives it: each member in turn, the
 * ones whose key folds to the name and whose type fits replacing the one
 * before. */
static const struct gojson_value *
last_by_walking(const struct gojson_view *v, const char *name, int want_bool)
{
	const struct gojson_value *c, *last = NULL;

	for (size_t i = 0; i < v->n; i++)
		for (c = v->obj[i]->child; c != NULL; c = c->next)
			if (gojson_key_matches(c->key, c->klen, name) &&
			    (want_bool ? c->type == GOJSON_TRUE || c->type == GOJSON_FALSE
			               : c->type == GOJSON_STRING))
				last = c;
	return last;
}

/* Strings and bools of merged objects, small and large (indexed: their
 * members are found backwards through the index), with keys spelt in every
 * way that folds to the name, nulls and values of the wrong type between:
 * the last fitting member in document order, as walking them all finds it. */
static void
test_string_and_bool_fields_are_the_last_that_fit(void)
{
	static const char *const keys[] = {
	    "Image", "image", "IMAGE", "Privileged", "privileged", "x", "y", "\\u0049mage", "Imag"};
	static const char *const values[] = {"\"s\"", "true", "false", "null", "1", "[]", "{}"};
	unsigned seed = 12345;

	for (int round = 0; round < 2000; round++) {
		char doc[8192];
		size_t o = 0, at;
		const struct gojson_value *root, *objs[4];
		struct gojson_view v = {objs, 0};
		struct gojson_arena a;
		const char *why;

		seed = seed * 1103515245u + 12345u;
		v.n = 1 + (seed >> 16) % 4;
		o += (size_t)snprintf(doc + o, sizeof(doc) - o, "[");
		for (size_t i = 0; i < v.n; i++) {
			size_t members;

			seed = seed * 1103515245u + 12345u;
			members = (seed >> 16) % 30; /* past GOJSON_INDEX_MIN (12) or not */
			o += (size_t)snprintf(doc + o, sizeof(doc) - o, "%s{", i > 0 ? "," : "");
			for (size_t m = 0; m < members; m++) {
				seed = seed * 1103515245u + 12345u;
				o += (size_t)snprintf(doc + o, sizeof(doc) - o, "%s\"%s\": %s",
				                      m > 0 ? "," : "", keys[(seed >> 8) % 9],
				                      values[(seed >> 20) % 7]);
			}
			o += (size_t)snprintf(doc + o, sizeof(doc) - o, "}");
		}
		o += (size_t)snprintf(doc + o, sizeof(doc) - o, "]");
		gojson_arena_init(&a);
		CHECK_INT_EQ(gojson_parse(&a, doc, o, &root, &why, &at), 0);
		for (size_t i = 0; i < v.n; i++)
			objs[i] = i == 0 ? root->child : objs[i - 1]->next;
		for (int k = 0; k < 2; k++) {
			const char *name = k == 0 ? "Image" : "Privileged";
			const struct gojson_value *s = last_by_walking(&v, name, 0);
			const struct gojson_value *b = last_by_walking(&v, name, 1);

			CHECK(gojson_view_string(&v, name) == (s != NULL ? s->s : NULL));
			CHECK_INT_EQ(gojson_view_bool(&v, name),
			             b != NULL && b->type == GOJSON_TRUE);
		}
		gojson_arena_clear(&a);
	}
}

static void
test_base64_as_go_decodes_it(void)
{
	unsigned char out[64];

	CHECK_INT_EQ(gojson_base64_decode("", 0, out), 0);
	CHECK_INT_EQ(gojson_base64_decode("YWJjZGVmZ2hp", 12, out), 9);
	CHECK(memcmp(out, "abcdefghi", 9) == 0);
	CHECK_INT_EQ(gojson_base64_decode("YWJjZGVmZ2g=", 12, out), 8);
	CHECK(memcmp(out, "abcdefgh", 8) == 0);
	CHECK_INT_EQ(gojson_base64_decode("YWJjZGVmZw==", 12, out), 7);
	CHECK(memcmp(out, "abcdefg", 7) == 0);
	CHECK_INT_EQ(gojson_base64_decode("YQ==YWJj", 8, out), -1); /* padding inside */
	CHECK_INT_EQ(gojson_base64_decode("YWJjZGVm*2hp", 12, out), -1);
	CHECK_INT_EQ(gojson_base64_decode("YWJjZGVmZ2h", 11, out), -1);
	CHECK_INT_EQ(gojson_base64_decode("YWJjZGVmZ===", 12, out), -1);
	CHECK_INT_EQ(gojson_base64_decode("YWJjZGVmZ2=p", 12, out), -1);
	CHECK_INT_EQ(gojson_base64_decode("+/+/", 4, out), 3);
	CHECK(out[0] == 0xfb && out[1] == 0xff && out[2] == 0xbf);
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* A plain reference: a quad at a time, '=' only as "x==" or "xx=" padding
 * in the last quad. */
static long
base64_reference(const char *in, size_t len, unsigned char *out)
{
	long n = 0;

	if (len % 4 != 0)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];

		for (int k = 0; k < 4; k++) {
			const char *d = in[i + k] != '\0' ? strchr(b64_alphabet, in[i + k]) : NULL;

			if (d != NULL)
				v[k] = (int)(d - b64_alphabet);
			else if (in[i + k] == '=' && k >= 2 && i + 4 == len)
				v[k] = -1;
			else
				return -1;
		}
		if (v[2] < 0 && v[3] >= 0)
			return -1;
		out[n++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (v[2] >= 0)
			out[n++] = (unsigned char)(v[1] << 4 | v[2] >> 2);
		if (v[3] >= 0)
			out[n++] = (unsigned char)(v[2] << 6 | v[3]);
	}
	return n;
}

static size_t
base64_encode(const unsigned char *in, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) |
		             (i + 2 < n ? in[i + 2] : 0);

		out[o++] = b64_alphabet[v >> 18 & 63];
		out[o++] = b64_alphabet[v >> 12 & 63];
		out[o++] = i + 1 < n ? b64_alphabet[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? b64_alphabet[v & 63] : '=';
	}
	return o;
}

/* Decode into a buffer of exactly len / 4 * 3 bytes (so that a sanitizer
 * build catches a write past it) and compare with the reference. */
static void
check_base64_like_reference(const char *text, size_t len)
{
	unsigned char *got = malloc(len / 4 * 3 + 1), *want = malloc(len / 4 * 3 + 1);
	long g, w;

	CHECK(got != NULL && want != NULL);
	g = gojson_base64_decode(text, len, got);
	w = base64_reference(text, len, want);
	CHECK_INT_EQ(g, w);
	CHECK(w < 0 || memcmp(got, want, (size_t)w) == 0);
	free(got);
	free(want);
}

/* The wide decoder and the quad loops agree with the reference on every
 * length around their thresholds, and on every byte value put at places
 * inside and between the wide blocks and in the last quad. */
static void
test_base64_every_length_and_byte_like_reference(void)
{
	unsigned char raw[300];
	char text[404];
	unsigned seed = 12345;
	size_t len;

	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)((seed = seed * 1103515245u + 12345u) >> 16);
	for (size_t n = 0; n <= sizeof(raw); n++)
		check_base64_like_reference(text, base64_encode(raw, n, text));
	len = base64_encode(raw, 100, text); /* 136 digits, two of them '=' */
	for (size_t at = 0; at < len; at += at < 40 || at > len - 8 ? 1 : 7)
		for (int c = 0; c < 256; c++) {
			char keep = text[at];

			text[at] = (char)c;
			check_base64_like_reference(text, len);
			text[at] = keep;
		}
}

/* A \u0000 in any string or member name marks the arena (the engine then
 * reads nothing of the document); an escaped backslash before "u0000" does
 * not, nor does any other escape; clearing the arena clears the mark. */
static void
test_nul_is_marked(void)
{
	static const struct {
		const char *doc;
		int nul;
	} cases[] = {
	    {"{\"k\":\"a\\u0000b\"}", 1}, {"{\"k\":[\"x\",\"\\u0000\"]}", 1},
	    {"{\"k\\u0000\":1}", 1},      {"{\"k\":{\"a\":{\"b\":\"\\u0000\"}}}", 1},
	    {"{\"k\":\"\\\\u0000\"}", 0}, {"{\"k\":\"\\u0001\\u0100\\u1000\"}", 0},
	    {"{\"k\":\"plain\"}", 0},
	};
	struct gojson_arena a;
	const struct gojson_value *root;
	const char *why;
	size_t at;

	gojson_arena_init(&a);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_INT_EQ(gojson_parse(&a, cases[i].doc, strlen(cases[i].doc), &root, &why, &at),
		             0);
		CHECK_INT_EQ(a.nul, cases[i].nul);
		if (a.nul != cases[i].nul)
			fprintf(stderr, "# %s\n", cases[i].doc);
		gojson_arena_clear(&a);
		CHECK_INT_EQ(a.nul, 0);
	}
}

/* A block past the inline buffer, in a fresh arena of this thread. */
static char *
block_alloc(struct gojson_arena *a)
{
	gojson_arena_init(a);
	CHECK(gojson_arena_alloc(a, GOJSON_ARENA_INLINE) != NULL);
	return gojson_arena_alloc(a, 100);
}

static void *
other_thread_block(void *kept)
{
	struct gojson_arena a;
	char *p = block_alloc(&a);

	/* Another thread's kept block is not this one's. */
	CHECK(p != NULL && p != kept);
	gojson_arena_clear(&a);
	return NULL; /* its kept block is freed at exit (ASan, valgrind) */
}

/* A cleared arena's block serves the next arena of the same thread, and a
 * document parsed into it reads the same as into fresh memory. */
static void
test_cleared_blocks_serve_the_next_arena(void)
{
	struct gojson_arena a;
	const struct gojson_value *root;
	const char *why;
	size_t at, len = 0;
	char *p1, *p2, doc[20000];
	void *other;
	pthread_t t;

	p1 = block_alloc(&a);
	CHECK(p1 != NULL);
	memset(p1, 'x', 100);
	gojson_arena_clear(&a);
	/* Were the block freed, this would most likely take its place. */
	other = malloc(65536);
	CHECK(other != NULL);
	p2 = block_alloc(&a);
	CHECK(p2 == p1);
	gojson_arena_clear(&a);
	free(other);
	CHECK_INT_EQ(pthread_create(&t, NULL, other_thread_block, p1), 0);
	CHECK_INT_EQ(pthread_join(t, NULL), 0);

	/* Some 900 members: more than the inline buffer holds. */
	len += (size_t)snprintf(doc, sizeof(doc), "{");
	for (int i = 0; i < 900; i++)
		len += (size_t)snprintf(doc + len, sizeof(doc) - len, "%s\"k%d\":\"v%d\"",
		                        i ? "," : "", i, i);
	len += (size_t)snprintf(doc + len, sizeof(doc) - len, "}");
	for (int round = 0; round < 3; round++) {
		struct gojson_view v = {&root, 1};

		gojson_arena_init(&a);
		CHECK_INT_EQ(gojson_parse(&a, doc, len, &root, &why, &at), 0);
		CHECK(a.blocks != NULL);
		CHECK_STR_EQ(gojson_view_string(&v, "k0"), "v0");
		CHECK_STR_EQ(gojson_view_string(&v, "K899"), "v899");
		gojson_arena_clear(&a);
	}
	gojson_arena_spares_free();
}

int
main(void)
{
	RUN(test_plain_and_escaped_strings_decode_alike);
	RUN(test_nul_is_marked);
	RUN(test_plain_strings_of_every_length_and_place);
	RUN(test_bad_strings_are_refused_at_the_string);
	RUN(test_keys_select_fields_by_go_folding);
	RUN(test_views_reset_where_go_does);
	RUN(test_string_and_bool_fields_are_the_last_that_fit);
	RUN(test_base64_as_go_decodes_it);
	RUN(test_base64_every_length_and_byte_like_reference);
	RUN(test_cleared_blocks_serve_the_next_arena);
	return CHECK_DONE();
}
