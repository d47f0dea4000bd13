/* SPDX-License-Identifier: Apache-2.0 */
/* Engine API request -> facts. The route classifier mirrors dockerd's router
 * (decoded, cleaned, case-sensitive paths); the body reader mirrors Go's
 * encoding/json: keys fold case, the last duplicate wins in document order,
 * nested structs and maps merge, slices are replaced. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engineapi.h"
#include "hostpath.h"

/* ------------------------------------------------------------------------ */
/* Routes                                                                   */

const char *
engineapi_route_name(enum engineapi_route route)
{
	switch (route) {
	case ENGINEAPI_CONTAINER_CREATE:
		return "container.create";
	case ENGINEAPI_EXEC_CREATE:
		return "exec.create";
	case ENGINEAPI_CONTAINER_UPDATE:
		return "container.update";
	case ENGINEAPI_CONTAINER_START:
		return "container.start";
	case ENGINEAPI_IMAGE_CREATE:
		return "image.create";
	case ENGINEAPI_IMAGE_LOAD:
		return "image.load";
	case ENGINEAPI_BUILD:
		return "build";
	case ENGINEAPI_PLUGIN_INSTALL:
		return "plugin.install";
	case ENGINEAPI_VOLUME_CREATE:
		return "volume.create";
	case ENGINEAPI_OTHER:
		break;
	}
	return "other";
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode n bytes of s into out (at least n + 1 bytes); a '%' not
 * followed by two hex digits stays literal. plus != 0 turns '+' into ' '. */
static void
pct_decode(const char *s, size_t n, char *out, int plus)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 &&
		    hexval((unsigned char)s[i + 2]) >= 0) {
			out[o++] = (char)(hexval((unsigned char)s[i + 1]) * 16 +
			                  hexval((unsigned char)s[i + 2]));
			i += 2;
		} else if (plus && s[i] == '+') {
			out[o++] = ' ';
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
}

/* path = "/containers/" X suffix with X non-empty: return X (in place). */
static const char *
match_middle(char *path, const char *head, const char *suffix)
{
	size_t hl = strlen(head), sl = strlen(suffix), pl = strlen(path);

	if (pl <= hl + sl || strncmp(path, head, hl) != 0 || strcmp(path + pl - sl, suffix) != 0)
		return NULL;
	path[pl - sl] = '\0';
	return path + hl;
}

static enum engineapi_route
match_route(char *p, const char **id)
{
	*id = NULL;
	if (strcmp(p, "/containers/create") == 0)
		return ENGINEAPI_CONTAINER_CREATE;
	if (strcmp(p, "/images/create") == 0)
		return ENGINEAPI_IMAGE_CREATE;
	if (strcmp(p, "/images/load") == 0)
		return ENGINEAPI_IMAGE_LOAD;
	if (strcmp(p, "/build") == 0)
		return ENGINEAPI_BUILD;
	if (strcmp(p, "/plugins/pull") == 0 || strcmp(p, "/plugins/create") == 0)
		return ENGINEAPI_PLUGIN_INSTALL;
	if (strcmp(p, "/volumes/create") == 0)
		return ENGINEAPI_VOLUME_CREATE;
	if ((*id = match_middle(p, "/containers/", "/exec")) != NULL)
		return ENGINEAPI_EXEC_CREATE;
	if ((*id = match_middle(p, "/containers/", "/update")) != NULL)
		return ENGINEAPI_CONTAINER_UPDATE;
	if ((*id = match_middle(p, "/containers/", "/start")) != NULL)
		return ENGINEAPI_CONTAINER_START;
	if ((*id = match_middle(p, "/plugins/", "/upgrade")) != NULL)
		return ENGINEAPI_PLUGIN_INSTALL;
	return ENGINEAPI_OTHER;
}

int
engineapi_classify(const char *method, const char *uri, struct engineapi_target *t)
{
	const char *q, *s;
	char *dec, *path;
	size_t n;
	int result = -1;

	t->route = ENGINEAPI_OTHER;
	t->id = NULL;
	t->query = NULL;
	t->heap = NULL;
	if (method == NULL || uri == NULL || strcmp(method, "POST") != 0)
		return 0;
	/* Absolute-form request target: "http://host/v1.47/containers/create". */
	if (uri[0] != '/') {
		s = strstr(uri, "://");
		if (s == NULL || (s = strchr(s + 3, '/')) == NULL)
			return 0;
		uri = s;
	}
	q = strchr(uri, '?');
	n = q != NULL ? (size_t)(q - uri) : strlen(uri);
	if (q != NULL)
		t->query = q + 1;
	/* Decoded and cleaned halves share one buffer. */
	if (2 * (n + 1) <= sizeof(t->buf)) {
		dec = t->buf;
	} else {
		t->heap = malloc(2 * (n + 1));
		if (t->heap == NULL)
			goto out;
		dec = t->heap;
	}
	path = dec + n + 1;
	pct_decode(uri, n, dec, 0);
	if (hostpath_clean(dec, path, n + 1) == -1)
		goto out;
	/* Optional "/v[0-9.]+" version segment. */
	if (path[0] == '/' && path[1] == 'v') {
		size_t i = 2;

		while (path[i] == '.' || (path[i] >= '0' && path[i] <= '9'))
			i++;
		if (i > 2 && path[i] == '/')
			path += i;
	}
	t->route = match_route(path, &t->id);
	result = 0;
out:
	return result;
}

void
engineapi_target_clear(struct engineapi_target *t)
{
	if (t == NULL)
		return;
	free(t->heap);
	t->heap = NULL;
}

int
engineapi_query_next(const char **cursor, const char *key, char *buf, size_t bufsz)
{
	const char *p = *cursor;
	size_t kl = strlen(key);
	char kbuf[128];

	if (p == NULL)
		return 0;
	while (*p != '\0') {
		const char *pair = p, *eq, *end = strchr(p, '&');
		size_t pl, klen;

		if (end == NULL)
			end = p + strlen(p);
		p = *end == '&' ? end + 1 : end;
		pl = (size_t)(end - pair);
		eq = memchr(pair, '=', pl);
		klen = eq != NULL ? (size_t)(eq - pair) : pl;
		if (klen >= sizeof(kbuf) || klen < kl)
			continue;
		pct_decode(pair, klen, kbuf, 1);
		if (strcmp(kbuf, key) != 0)
			continue;
		*cursor = p;
		if (bufsz == 0)
			return 1;
		if (eq == NULL) {
			buf[0] = '\0';
		} else {
			size_t vl = (size_t)(end - eq - 1);

			if (vl >= bufsz)
				vl = bufsz - 1;
			pct_decode(eq + 1, vl, buf, 1);
		}
		return 1;
	}
	*cursor = p;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Arena: facts and the parsed body live here; one free at the end.         */

struct engineapi_arena_block {
	struct engineapi_arena_block *next;
	size_t cap, used;
	_Alignas(16) char data[];
};

static void *
arena_alloc(struct engineapi_facts *f, size_t size)
{
	struct engineapi_arena_block *b;
	void *p;

	size = (size + 15) & ~(size_t)15;
	if (ENGINEAPI_ARENA_INLINE - f->inline_used >= size) {
		p = f->inline_buf + f->inline_used;
		f->inline_used += size;
		return p;
	}
	b = f->blocks;
	if (b == NULL || b->cap - b->used < size) {
		size_t cap = size > 65536 ? size : 65536;

		b = malloc(sizeof(*b) + cap);
		if (b == NULL)
			return NULL;
		b->cap = cap;
		b->used = 0;
		b->next = f->blocks;
		f->blocks = b;
	}
	p = b->data + b->used;
	b->used += size;
	return p;
}

void
engineapi_facts_init(struct engineapi_facts *f)
{
	f->body_ok = 0;
	f->error[0] = '\0';
	f->image = NULL;
	f->name = NULL;
	f->v = NULL;
	f->n = f->cap = 0;
	f->blocks = NULL;
	f->inline_used = 0;
}

void
engineapi_facts_clear(struct engineapi_facts *f)
{
	struct engineapi_arena_block *b, *next;

	if (f == NULL)
		return;
	for (b = f->blocks; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	engineapi_facts_init(f);
}

/* ------------------------------------------------------------------------ */
/* A JSON reader that keeps every object member, duplicates included, in    */
/* document order, with strings decoded as Go decodes them (invalid UTF-8   */
/* and lone surrogates become U+FFFD).                                      */

enum jv_type { JV_NULL, JV_FALSE, JV_TRUE, JV_NUMBER, JV_STRING, JV_ARRAY, JV_OBJECT };

struct jv {
	enum jv_type type;
	const char *key; /* member name, when inside an object */
	size_t klen;
	const char *s; /* decoded string (NUL-terminated) */
	size_t len;
	struct jv *child, *next;
	size_t n; /* number of children */
};

#define JSON_MAX_DEPTH 1000

struct parser {
	struct engineapi_facts *f;
	const unsigned char *p, *end;
	int depth;
	int nomem;
	const char *err;
};

static void
skip_ws(struct parser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

/* Length of a valid UTF-8 sequence at s (as Go's utf8.DecodeRune accepts
 * it), or 0 when the byte starts no valid sequence. */
static size_t
utf8_len(const unsigned char *s, const unsigned char *end)
{
	size_t n = (size_t)(end - s);
	unsigned char lo = 0x80, hi = 0xBF;
	size_t need, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		need = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		need = 3;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		need = 4;
	else
		return 0;
	if (s[0] == 0xE0)
		lo = 0xA0;
	else if (s[0] == 0xED)
		hi = 0x9F;
	else if (s[0] == 0xF0)
		lo = 0x90;
	else if (s[0] == 0xF4)
		hi = 0x8F;
	if (n < need || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < need; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return need;
}

static size_t
put_utf8(char *o, uint32_t r)
{
	if (r < 0x80) {
		o[0] = (char)r;
		return 1;
	}
	if (r < 0x800) {
		o[0] = (char)(0xC0 | (r >> 6));
		o[1] = (char)(0x80 | (r & 0x3F));
		return 2;
	}
	if (r < 0x10000) {
		o[0] = (char)(0xE0 | (r >> 12));
		o[1] = (char)(0x80 | ((r >> 6) & 0x3F));
		o[2] = (char)(0x80 | (r & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (r >> 18));
	o[1] = (char)(0x80 | ((r >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((r >> 6) & 0x3F));
	o[3] = (char)(0x80 | (r & 0x3F));
	return 4;
}

static int
hex4(const unsigned char *s, uint32_t *out)
{
	int i;

	*out = 0;
	for (i = 0; i < 4; i++) {
		int h = hexval(s[i]);

		if (h < 0)
			return -1;
		*out = *out * 16 + (uint32_t)h;
	}
	return 0;
}

/* Parse a string at ps->p (on the opening quote) into arena memory. */
static int
parse_string(struct parser *ps, const char **out, size_t *outlen)
{
	const unsigned char *s = ps->p + 1, *q;
	size_t hi = 0, o = 0;
	char *buf;

	for (q = s; q < ps->end && *q != '"'; q++) {
		if (*q == '\\')
			q++;
		else if (*q >= 0x80)
			hi++;
	}
	if (q >= ps->end) {
		ps->err = "unterminated string";
		return -1;
	}
	buf = arena_alloc(ps->f, (size_t)(q - s) + 2 * hi + 1);
	if (buf == NULL) {
		ps->nomem = 1;
		return -1;
	}
	while (s < q) {
		if (*s < 0x20) {
			ps->err = "control character in string";
			return -1;
		}
		if (*s >= 0x80) {
			size_t l = utf8_len(s, q);

			if (l == 0) {
				o += put_utf8(buf + o, 0xFFFD);
				s++;
			} else {
				memcpy(buf + o, s, l);
				o += l;
				s += l;
			}
			continue;
		}
		if (*s != '\\') {
			buf[o++] = (char)*s++;
			continue;
		}
		s++;
		switch (*s) {
		case '"':
		case '\\':
		case '/':
			buf[o++] = (char)*s++;
			break;
		case 'b':
			buf[o++] = '\b', s++;
			break;
		case 'f':
			buf[o++] = '\f', s++;
			break;
		case 'n':
			buf[o++] = '\n', s++;
			break;
		case 'r':
			buf[o++] = '\r', s++;
			break;
		case 't':
			buf[o++] = '\t', s++;
			break;
		case 'u': {
			uint32_t r, r2;

			if (q - s < 5 || hex4(s + 1, &r) == -1) {
				ps->err = "bad \\u escape in string";
				return -1;
			}
			s += 5;
			if (r >= 0xD800 && r < 0xDC00 && q - s >= 6 && s[0] == '\\' &&
			    s[1] == 'u' && hex4(s + 2, &r2) == 0 && r2 >= 0xDC00 && r2 < 0xE000) {
				r = 0x10000 + ((r - 0xD800) << 10) + (r2 - 0xDC00);
				s += 6;
			} else if (r >= 0xD800 && r < 0xE000) {
				r = 0xFFFD;
			}
			o += put_utf8(buf + o, r);
			break;
		}
		default:
			ps->err = "bad escape in string";
			return -1;
		}
	}
	buf[o] = '\0';
	*out = buf;
	*outlen = o;
	ps->p = q + 1;
	return 0;
}

static int
parse_number(struct parser *ps)
{
	const unsigned char *p = ps->p;

	if (p < ps->end && *p == '-')
		p++;
	if (p < ps->end && *p == '0') {
		p++;
	} else if (p < ps->end && *p >= '1' && *p <= '9') {
		while (p < ps->end && isdigit(*p))
			p++;
	} else {
		goto bad;
	}
	if (p < ps->end && *p == '.') {
		p++;
		if (p >= ps->end || !isdigit(*p))
			goto bad;
		while (p < ps->end && isdigit(*p))
			p++;
	}
	if (p < ps->end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < ps->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= ps->end || !isdigit(*p))
			goto bad;
		while (p < ps->end && isdigit(*p))
			p++;
	}
	ps->p = p;
	return 0;
bad:
	ps->err = "bad number";
	return -1;
}

static int
parse_literal(struct parser *ps, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, lit, n) != 0) {
		ps->err = "invalid character";
		return -1;
	}
	ps->p += n;
	return 0;
}

static struct jv *parse_value(struct parser *ps);

/* Parse the members of an array or object; ps->p is past the bracket. */
static int
parse_children(struct parser *ps, struct jv *v, int object)
{
	struct jv **tail = &v->child;
	char close = object ? '}' : ']';

	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return 0;
	}
	for (;;) {
		const char *key = NULL;
		size_t klen = 0;
		struct jv *c;

		skip_ws(ps);
		if (object) {
			if (ps->p >= ps->end || *ps->p != '"') {
				ps->err = "expected object key";
				return -1;
			}
			if (parse_string(ps, &key, &klen) == -1)
				return -1;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':') {
				ps->err = "expected ':' after object key";
				return -1;
			}
			ps->p++;
		}
		c = parse_value(ps);
		if (c == NULL)
			return -1;
		c->key = key;
		c->klen = klen;
		*tail = c;
		tail = &c->next;
		v->n++;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			return 0;
		}
		ps->err = object ? "expected ',' or '}'" : "expected ',' or ']'";
		return -1;
	}
}

static struct jv *
parse_value(struct parser *ps)
{
	struct jv *v;
	int rc = 0;

	skip_ws(ps);
	if (ps->p >= ps->end) {
		ps->err = "unexpected end of input";
		return NULL;
	}
	v = arena_alloc(ps->f, sizeof(*v));
	if (v == NULL) {
		ps->nomem = 1;
		return NULL;
	}
	memset(v, 0, sizeof(*v));
	switch (*ps->p) {
	case '{':
	case '[':
		v->type = *ps->p == '{' ? JV_OBJECT : JV_ARRAY;
		if (++ps->depth > JSON_MAX_DEPTH) {
			ps->err = "nesting too deep";
			return NULL;
		}
		ps->p++;
		rc = parse_children(ps, v, v->type == JV_OBJECT);
		ps->depth--;
		break;
	case '"':
		v->type = JV_STRING;
		rc = parse_string(ps, &v->s, &v->len);
		break;
	case 't':
		v->type = JV_TRUE;
		rc = parse_literal(ps, "true");
		break;
	case 'f':
		v->type = JV_FALSE;
		rc = parse_literal(ps, "false");
		break;
	case 'n':
		v->type = JV_NULL;
		rc = parse_literal(ps, "null");
		break;
	default:
		v->type = JV_NUMBER;
		rc = parse_number(ps);
		break;
	}
	return rc == -1 ? NULL : v;
}

/* ------------------------------------------------------------------------ */
/* Go's view of a struct: every object that was decoded into it, in order.  */

int
engineapi_key_matches(const char *key, size_t klen, const char *name)
{
	const unsigned char *k = (const unsigned char *)key;
	size_t i = 0;

	for (; *name != '\0'; name++) {
		int c = tolower((unsigned char)*name);

		if (i >= klen)
			return 0;
		if (k[i] < 0x80) {
			if (tolower(k[i]) != c)
				return 0;
			i++;
		} else if (c == 'k' && klen - i >= 3 && k[i] == 0xE2 && k[i + 1] == 0x84 &&
		           k[i + 2] == 0xAA) {
			i += 3; /* U+212A KELVIN SIGN */
		} else if (c == 's' && klen - i >= 2 && k[i] == 0xC5 && k[i + 1] == 0xBF) {
			i += 2; /* U+017F LATIN SMALL LETTER LONG S */
		} else {
			return 0;
		}
	}
	return i == klen;
}

struct view {
	const struct jv **obj;
	size_t n;
};

/* A pointer-to-struct (or struct) field: objects after the last null. */
static int
view_struct(struct engineapi_facts *f, const struct view *parent, const char *name,
            struct view *out)
{
	size_t i, count = 0;
	const struct jv *c;

	out->obj = NULL;
	out->n = 0;
	for (i = 0; i < parent->n; i++)
		for (c = parent->obj[i]->child; c != NULL; c = c->next)
			if (engineapi_key_matches(c->key, c->klen, name)) {
				if (c->type == JV_NULL)
					count = 0;
				else if (c->type == JV_OBJECT)
					count++;
			}
	if (count == 0)
		return 0;
	out->obj = arena_alloc(f, count * sizeof(*out->obj));
	if (out->obj == NULL)
		return -1;
	for (i = 0; i < parent->n; i++)
		for (c = parent->obj[i]->child; c != NULL; c = c->next)
			if (engineapi_key_matches(c->key, c->klen, name)) {
				if (c->type == JV_NULL)
					out->n = 0;
				else if (c->type == JV_OBJECT)
					out->obj[out->n++] = c;
			}
	return 0;
}

/* The last member for name of type want (null leaves a value unchanged, as
 * for Go strings and bools; other types are type errors dockerd rejects). */
static const struct jv *
view_last(const struct view *v, const char *name, enum jv_type want)
{
	const struct jv *c, *last = NULL;
	size_t i;

	for (i = 0; i < v->n; i++)
		for (c = v->obj[i]->child; c != NULL; c = c->next)
			if (engineapi_key_matches(c->key, c->klen, name) &&
			    (c->type == want || (want == JV_TRUE && c->type == JV_FALSE)))
				last = c;
	return last;
}

static const char *
view_string(const struct view *v, const char *name)
{
	const struct jv *c = view_last(v, name, JV_STRING);

	return c != NULL ? c->s : NULL;
}

static int
view_bool(const struct view *v, const char *name)
{
	const struct jv *c = view_last(v, name, JV_TRUE);

	return c != NULL && c->type == JV_TRUE;
}

/* A slice field: the last array (or null, which makes it nil) wins whole.
 * strslice != 0 also takes a bare string, as Docker's StrSlice does.
 * Returns the array or string node, or NULL for nil. */
static const struct jv *
view_slice(const struct view *v, const char *name, int strslice)
{
	const struct jv *c, *last = NULL;
	size_t i;

	for (i = 0; i < v->n; i++)
		for (c = v->obj[i]->child; c != NULL; c = c->next) {
			if (!engineapi_key_matches(c->key, c->klen, name))
				continue;
			if (c->type == JV_NULL)
				last = NULL;
			else if (c->type == JV_ARRAY || (strslice && c->type == JV_STRING))
				last = c;
		}
	return last;
}

/* A map field: objects after the last null, merged (keys exact). */
static int
view_map(struct engineapi_facts *f, const struct view *parent, const char *name, struct view *out)
{
	return view_struct(f, parent, name, out);
}

/* Last string value for an exact map key. */
static const char *
map_get(const struct view *m, const char *key)
{
	const struct jv *c;
	const char *last = NULL;
	size_t i;

	for (i = 0; i < m->n; i++)
		for (c = m->obj[i]->child; c != NULL; c = c->next)
			if (c->klen == strlen(key) && memcmp(c->key, key, c->klen) == 0 &&
			    c->type == JV_STRING)
				last = c->s;
	return last;
}

/* A slice of structs: element i merges every object decoded at index i
 * since the last null (Go decodes into the existing element), and the
 * length is that of the last array. */
static int
view_struct_slice(struct engineapi_facts *f, const struct view *parent, const char *name,
                  struct view **out, size_t *nout)
{
	const struct jv *c, *e, *last = NULL;
	size_t i, j, max = 0, *counts;
	struct view *views;

	*out = NULL;
	*nout = 0;
	for (i = 0; i < parent->n; i++)
		for (c = parent->obj[i]->child; c != NULL; c = c->next)
			if (engineapi_key_matches(c->key, c->klen, name)) {
				if (c->type == JV_NULL) {
					last = NULL;
				} else if (c->type == JV_ARRAY) {
					last = c;
					max = c->n > max ? c->n : max;
				}
			}
	if (last == NULL || last->n == 0)
		return 0;
	views = arena_alloc(f, max * sizeof(*views));
	counts = arena_alloc(f, max * sizeof(*counts));
	if (views == NULL || counts == NULL)
		return -1;
	memset(counts, 0, max * sizeof(*counts));
	/* Two passes over the arrays since the last null: count, then fill.
	 * max covers every array, so indexes before a null stay in bounds. */
	for (int pass = 0; pass < 2; pass++) {
		for (i = 0; i < max && pass == 1; i++) {
			views[i].obj = arena_alloc(f, (counts[i] ? counts[i] : 1) * sizeof(void *));
			if (views[i].obj == NULL)
				return -1;
			views[i].n = 0;
		}
		for (i = 0; i < parent->n; i++)
			for (c = parent->obj[i]->child; c != NULL; c = c->next) {
				if (!engineapi_key_matches(c->key, c->klen, name))
					continue;
				if (c->type == JV_NULL) {
					for (j = 0; j < max; j++)
						pass == 0 ? (counts[j] = 0) : (views[j].n = 0);
					continue;
				}
				if (c->type != JV_ARRAY)
					continue;
				for (j = 0, e = c->child; e != NULL; j++, e = e->next)
					if (e->type == JV_OBJECT) {
						if (pass == 0)
							counts[j]++;
						else
							views[j].obj[views[j].n++] = e;
					}
			}
	}
	*out = views;
	*nout = last->n;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Facts                                                                    */

static int
add_fact(struct engineapi_facts *f, enum engineapi_fact_kind kind, const char *value,
         const char *prefix, const char *name, long index, const char *suffix)
{
	struct engineapi_fact *fa;

	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 16;
		struct engineapi_fact *v = arena_alloc(f, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		if (f->n > 0)
			memcpy(v, f->v, f->n * sizeof(*v));
		f->v = v;
		f->cap = cap;
	}
	fa = &f->v[f->n++];
	fa->kind = kind;
	fa->value = value != NULL ? value : "";
	fa->list = NULL;
	fa->nlist = 0;
	fa->prefix = prefix;
	fa->name = name;
	fa->index = index;
	fa->suffix = suffix;
	return 0;
}

void
engineapi_fact_field(const struct engineapi_fact *fa, char *buf, size_t bufsz)
{
	if (fa->index >= 0)
		snprintf(buf, bufsz, "%s%s[%ld]%s", fa->prefix, fa->name, fa->index,
		         fa->suffix != NULL ? fa->suffix : "");
	else
		snprintf(buf, bufsz, "%s%s%s", fa->prefix, fa->name,
		         fa->suffix != NULL ? fa->suffix : "");
}

/* Each string of a []string (or StrSlice) field as a fact. */
static int
string_facts(struct engineapi_facts *f, const struct view *v, const char *prefix, const char *name,
             enum engineapi_fact_kind kind, int strslice)
{
	const struct jv *a = view_slice(v, name, strslice), *e;
	long i;

	if (a == NULL)
		return 0;
	if (a->type == JV_STRING)
		return add_fact(f, kind, a->s, prefix, name, -1, NULL);
	for (i = 0, e = a->child; e != NULL; i++, e = e->next)
		if (e->type == JV_STRING && add_fact(f, kind, e->s, prefix, name, i, NULL) == -1)
			return -1;
	return 0;
}

static const char *const default_caps[] = {
    "CHOWN",  "DAC_OVERRIDE", "FSETID",  "FOWNER",           "MKNOD",      "NET_RAW", "SETGID",
    "SETUID", "SETFCAP",      "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL",    "AUDIT_WRITE",
};

static int
is_default_cap(const char *cap)
{
	size_t i;

	if (strncasecmp(cap, "CAP_", 4) == 0)
		cap += 4;
	for (i = 0; i < sizeof(default_caps) / sizeof(default_caps[0]); i++)
		if (strcasecmp(cap, default_caps[i]) == 0)
			return 1;
	return 0;
}

/* "bind" or "rbind" among the comma-separated mount options o. */
static int
has_bind_option(const char *o)
{
	while (o != NULL && *o != '\0') {
		const char *end = strchr(o, ',');
		size_t n = end != NULL ? (size_t)(end - o) : strlen(o);

		if ((n == 4 && strncmp(o, "bind", 4) == 0) ||
		    (n == 5 && strncmp(o, "rbind", 5) == 0))
			return 1;
		o = end != NULL ? end + 1 : NULL;
	}
	return 0;
}

/* A local-driver volume whose options make it a host mount: o=bind with a
 * device, or any absolute device (a block device node is a host path too). */
static const char *
local_volume_device(const char *driver, const struct view *opts)
{
	const char *device, *o;

	if (driver != NULL && driver[0] != '\0' && strcasecmp(driver, "local") != 0)
		return NULL;
	device = map_get(opts, "device");
	o = map_get(opts, "o");
	if (device == NULL || device[0] == '\0')
		return NULL;
	if (has_bind_option(o) || device[0] == '/')
		return device;
	return NULL;
}

static int
mount_facts(struct engineapi_facts *f, const struct view *hc, const char *prefix)
{
	struct view *m;
	size_t n, i;

	if (view_struct_slice(f, hc, "Mounts", &m, &n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		const char *type = view_string(&m[i], "Type");
		const char *src = view_string(&m[i], "Source");

		if (type == NULL)
			continue;
		if (strcasecmp(type, "bind") == 0 && src != NULL && src[0] != '\0') {
			if (add_fact(f, EF_HOST_PATH, src, prefix, "Mounts", (long)i, ".Source") ==
			    -1)
				return -1;
		} else if (strcasecmp(type, "volume") == 0) {
			struct view vo, dc, opts;
			const char *dev;

			if (view_struct(f, &m[i], "VolumeOptions", &vo) == -1 ||
			    view_struct(f, &vo, "DriverConfig", &dc) == -1 ||
			    view_map(f, &dc, "Options", &opts) == -1)
				return -1;
			dev = local_volume_device(view_string(&dc, "Name"), &opts);
			if (dev != NULL &&
			    add_fact(f, EF_HOST_PATH, dev, prefix, "Mounts", (long)i,
			             ".VolumeOptions.DriverConfig.Options.device") == -1)
				return -1;
		}
	}
	return 0;
}

static int
device_facts(struct engineapi_facts *f, const struct view *hc, const char *prefix)
{
	struct view *d;
	size_t n, i;

	if (view_struct_slice(f, hc, "Devices", &d, &n) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (add_fact(f, EF_DEVICE, view_string(&d[i], "PathOnHost"), prefix, "Devices",
		             (long)i, NULL) == -1)
			return -1;
	if (view_struct_slice(f, hc, "DeviceRequests", &d, &n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		const char *drv = view_string(&d[i], "Driver");

		if (add_fact(f, EF_DEVICE_REQUEST, drv != NULL && drv[0] ? drv : "gpu", prefix,
		             "DeviceRequests", (long)i, NULL) == -1)
			return -1;
	}
	return string_facts(f, hc, prefix, "DeviceCgroupRules", EF_DEVICE_CGROUP_RULE, 0);
}

static int
list_fact(struct engineapi_facts *f, const struct view *hc, const char *prefix, const char *name,
          enum engineapi_fact_kind kind)
{
	const struct jv *a = view_slice(hc, name, 0), *e;
	const char **list;
	size_t n = 0;

	if (a == NULL)
		return 0;
	list = arena_alloc(f, (a->n ? a->n : 1) * sizeof(*list));
	if (list == NULL)
		return -1;
	for (e = a->child; e != NULL; e = e->next)
		if (e->type == JV_STRING)
			list[n++] = e->s;
	if (add_fact(f, kind, n == 0 ? "[]" : "[...]", prefix, name, -1, NULL) == -1)
		return -1;
	f->v[f->n - 1].list = list;
	f->v[f->n - 1].nlist = n;
	return 0;
}

#define SYSCTL_FACTS_MAX 32

static int
sysctl_facts(struct engineapi_facts *f, const struct view *hc, const char *prefix)
{
	const char *seen[SYSCTL_FACTS_MAX];
	char *suffix;
	struct view m;
	const struct jv *c;
	size_t i, j, nseen = 0;

	if (view_map(f, hc, "Sysctls", &m) == -1)
		return -1;
	for (i = 0; i < m.n; i++)
		for (c = m.obj[i]->child; c != NULL && nseen < SYSCTL_FACTS_MAX; c = c->next) {
			for (j = 0; j < nseen && strcmp(seen[j], c->key) != 0; j++)
				;
			if (j < nseen)
				continue;
			seen[nseen++] = c->key;
			suffix = arena_alloc(f, c->klen + 2);
			if (suffix == NULL)
				return -1;
			suffix[0] = '.';
			memcpy(suffix + 1, c->key, c->klen + 1);
			if (add_fact(f, EF_SYSCTL, c->key, prefix, "Sysctls", -1, suffix) == -1)
				return -1;
		}
	return 0;
}

static const struct {
	const char *name;
	enum engineapi_fact_kind kind;
} host_modes[] = {
    {"PidMode", EF_PID_MODE},         {"IpcMode", EF_IPC_MODE},
    {"UTSMode", EF_UTS_MODE},         {"UsernsMode", EF_USERNS_MODE},
    {"NetworkMode", EF_NETWORK_MODE}, {"CgroupnsMode", EF_CGROUPNS_MODE},
};

/* Everything in one HostConfig view. */
static int
hostconfig_facts(struct engineapi_facts *f, const struct view *hc, const char *prefix)
{
	const struct jv *caps, *e;
	size_t i;
	long k;

	if (hc->n == 0)
		return 0;
	if (view_bool(hc, "Privileged") &&
	    add_fact(f, EF_PRIVILEGED, "true", prefix, "Privileged", -1, NULL) == -1)
		return -1;
	for (i = 0; i < sizeof(host_modes) / sizeof(host_modes[0]); i++) {
		const char *m = view_string(hc, host_modes[i].name);

		if (m != NULL && m[0] != '\0' &&
		    add_fact(f, host_modes[i].kind, m, prefix, host_modes[i].name, -1, NULL) == -1)
			return -1;
	}
	if (string_facts(f, hc, prefix, "CapAdd", EF_CAP_ADD, 1) == -1)
		return -1;
	/* Deprecated (API 1.40-1.42): a full capability set replacing the defaults. */
	caps = view_slice(hc, "Capabilities", 0);
	for (k = 0, e = caps != NULL ? caps->child : NULL; e != NULL; k++, e = e->next)
		if (e->type == JV_STRING && !is_default_cap(e->s) &&
		    add_fact(f, EF_CAP_ADD, e->s, prefix, "Capabilities", k, NULL) == -1)
			return -1;
	if (device_facts(f, hc, prefix) == -1 ||
	    string_facts(f, hc, prefix, "SecurityOpt", EF_SECURITY_OPT, 0) == -1 ||
	    list_fact(f, hc, prefix, "MaskedPaths", EF_MASKED_PATHS) == -1 ||
	    list_fact(f, hc, prefix, "ReadonlyPaths", EF_READONLY_PATHS) == -1 ||
	    sysctl_facts(f, hc, prefix) == -1)
		return -1;
	/* Binds: "src:dst[:opts]"; only an absolute src is a host path. */
	{
		const struct jv *b = view_slice(hc, "Binds", 0);

		for (k = 0, e = b != NULL ? b->child : NULL; e != NULL; k++, e = e->next) {
			const char *colon;
			char *src;

			if (e->type != JV_STRING || e->s[0] != '/' ||
			    (colon = strchr(e->s, ':')) == NULL)
				continue;
			src = arena_alloc(f, (size_t)(colon - e->s) + 1);
			if (src == NULL)
				return -1;
			memcpy(src, e->s, (size_t)(colon - e->s));
			src[colon - e->s] = '\0';
			if (add_fact(f, EF_HOST_PATH, src, prefix, "Binds", k, NULL) == -1)
				return -1;
		}
	}
	return mount_facts(f, hc, prefix);
}

static int
has_host_network(const struct engineapi_facts *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->v[i].kind == EF_NETWORK_MODE && strcasecmp(f->v[i].value, "host") == 0)
			return 1;
	return 0;
}

static int
create_facts(struct engineapi_facts *f, const struct view *root)
{
	struct view hc, nc, ep;
	const struct jv *c;
	size_t i;

	f->image = view_string(root, "Image");
	if (view_struct(f, root, "HostConfig", &hc) == -1 ||
	    hostconfig_facts(f, &hc, "HostConfig.") == -1)
		return -1;
	/* Old daemons also read HostConfig fields at the top level. */
	if (hostconfig_facts(f, root, "") == -1)
		return -1;
	if (view_struct(f, root, "NetworkingConfig", &nc) == -1 ||
	    view_map(f, &nc, "EndpointsConfig", &ep) == -1)
		return -1;
	if (has_host_network(f))
		return 0;
	for (i = 0; i < ep.n; i++)
		for (c = ep.obj[i]->child; c != NULL; c = c->next)
			if (strcasecmp(c->key, "host") == 0 && c->type != JV_NULL)
				return add_fact(f, EF_NETWORK_MODE, "host",
				                "NetworkingConfig.EndpointsConfig.", c->key, -1,
				                NULL);
	return 0;
}

static int
volume_facts(struct engineapi_facts *f, const struct view *root)
{
	struct view opts;
	const char *dev;

	f->name = view_string(root, "Name");
	if (view_map(f, root, "DriverOpts", &opts) == -1)
		return -1;
	dev = local_volume_device(view_string(root, "Driver"), &opts);
	if (dev != NULL && add_fact(f, EF_HOST_PATH, dev, "", "DriverOpts", -1, ".device") == -1)
		return -1;
	return 0;
}

int
engineapi_facts_parse(struct engineapi_facts *f, enum engineapi_route route, const char *body,
                      size_t len)
{
	struct parser ps;
	struct jv *root;
	struct view rv;
	int result = -1;

	memset(&ps, 0, sizeof(ps));
	ps.f = f;
	ps.p = (const unsigned char *)body;
	ps.end = ps.p + len;
	if (body == NULL || len == 0) {
		snprintf(f->error, sizeof(f->error), "request body is missing");
		return 0;
	}
	root = parse_value(&ps);
	if (root == NULL) {
		if (ps.nomem)
			goto out;
		snprintf(f->error, sizeof(f->error),
		         "request body is not valid JSON: %s at byte %zu",
		         ps.err != NULL ? ps.err : "syntax error",
		         (size_t)(ps.p - (const unsigned char *)body));
		return 0;
	}
	skip_ws(&ps);
	if (ps.p != ps.end) {
		snprintf(
		    f->error, sizeof(f->error),
		    "request body is not valid JSON: unexpected data after the value at byte %zu",
		    (size_t)(ps.p - (const unsigned char *)body));
		return 0;
	}
	if (root->type == JV_NULL) {
		f->body_ok = 1;
		return 0;
	}
	if (root->type != JV_OBJECT) {
		snprintf(f->error, sizeof(f->error), "request body is not a JSON object");
		return 0;
	}
	f->body_ok = 1;
	rv.obj = (const struct jv **)&root;
	rv.n = 1;
	switch (route) {
	case ENGINEAPI_CONTAINER_CREATE:
		result = create_facts(f, &rv);
		break;
	case ENGINEAPI_EXEC_CREATE:
		result = 0;
		if (view_bool(&rv, "Privileged"))
			result = add_fact(f, EF_PRIVILEGED, "true", "", "Privileged", -1, NULL);
		break;
	case ENGINEAPI_CONTAINER_UPDATE:
		result = device_facts(f, &rv, "");
		break;
	case ENGINEAPI_CONTAINER_START:
		result = hostconfig_facts(f, &rv, "");
		break;
	case ENGINEAPI_VOLUME_CREATE:
		result = volume_facts(f, &rv);
		break;
	default:
		result = 0;
		break;
	}
out:
	return result;
}
