/* SPDX-License-Identifier: Apache-2.0 */
/* The keyed hash (HMAC-SHA-256, key in the state directory), and two
 * rewriters: a JSON walker that copies a body byte for byte except the string
 * values it must hide, and a query-string walker for buildargs. Strings are
 * decoded as Go decodes them before they are matched or hashed. */
#include "redact.h"

#include "gojson.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HMAC_BLOCK 64

struct redact {
	unsigned char ipad[HMAC_BLOCK], opad[HMAC_BLOCK];
	EVP_MD *sha256;
};

/* ------------------------------------------------------------------------ */
/* Key and token */

struct redact *
redact_new(const unsigned char key[REDACT_KEY_LEN])
{
	struct redact *r = calloc(1, sizeof(*r));

	if (r == NULL || (r->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
		free(r);
		return NULL;
	}
	memset(r->ipad, 0x36, HMAC_BLOCK);
	memset(r->opad, 0x5c, HMAC_BLOCK);
	for (size_t i = 0; i < REDACT_KEY_LEN; i++) {
		r->ipad[i] ^= key[i];
		r->opad[i] ^= key[i];
	}
	return r;
}

void
redact_free(struct redact *r)
{
	if (r == NULL)
		return;
	EVP_MD_free(r->sha256);
	OPENSSL_cleanse(r, sizeof(*r));
	free(r);
}

/* Read the 32-byte key at path, or create it (0600) when there is none. */
static int
key_load(const char *path, unsigned char key[REDACT_KEY_LEN], char **err)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), rc = -1;
	struct stat st;

	if (fd < 0 && errno == ENOENT) {
		if (RAND_bytes(key, REDACT_KEY_LEN) != 1)
			goto fail;
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, key, REDACT_KEY_LEN) != REDACT_KEY_LEN || fsync(fd) != 0)
			goto fail;
		log_info("inputs: created the recorded-input key %s", path);
		rc = 0;
		goto out;
	}
	if (fd < 0 || fstat(fd, &st) != 0)
		goto fail;
	if ((st.st_mode & 077) != 0 && fchmod(fd, 0600) != 0)
		goto fail;
	if (read(fd, key, REDACT_KEY_LEN) != REDACT_KEY_LEN || st.st_size != REDACT_KEY_LEN) {
		errno = EINVAL;
		goto fail;
	}
	rc = 0;
	goto out;
fail:
	if (err != NULL && asprintf(err, "%s: %s", path, strerror(errno ? errno : EIO)) < 0)
		*err = NULL;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

struct redact *
redact_open(const char *state_dir, char **err)
{
	unsigned char key[REDACT_KEY_LEN];
	struct redact *r = NULL;
	char *path = NULL;

	if (asprintf(&path, "%s/inputs-hmac.key", state_dir) < 0)
		return NULL;
	if (key_load(path, key, err) == 0 && (r = redact_new(key)) == NULL && err != NULL)
		*err = strdup("out of memory");
	OPENSSL_cleanse(key, sizeof(key));
	free(path);
	return r;
}

void
redact_token(const struct redact *r, const char *value, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char inner[32], outer[32], buf[HMAC_BLOCK + 32];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok;

	/* HMAC = H(opad || H(ipad || value)) */
	ok = c != NULL && EVP_DigestInit_ex(c, r->sha256, NULL) == 1 &&
	     EVP_DigestUpdate(c, r->ipad, HMAC_BLOCK) == 1 && EVP_DigestUpdate(c, value, n) == 1 &&
	     EVP_DigestFinal_ex(c, inner, NULL) == 1;
	memcpy(buf, r->opad, HMAC_BLOCK);
	memcpy(buf + HMAC_BLOCK, inner, 32);
	ok = ok && EVP_Digest(buf, sizeof(buf), outer, NULL, r->sha256, NULL) == 1;
	EVP_MD_CTX_free(c);
	if (!ok)
		memset(outer, 0, sizeof(outer)); /* still no secret in the output */
	memcpy(out, REDACT_PREFIX, sizeof(REDACT_PREFIX) - 1);
	out += sizeof(REDACT_PREFIX) - 1;
	for (int i = 0; i < 16; i++) {
		*out++ = hex[outer[i] >> 4];
		*out++ = hex[outer[i] & 15];
	}
	*out = '\0';
}

/* ------------------------------------------------------------------------ */
/* Output buffer */

struct buf {
	char *p;
	size_t n, cap;
	int nomem;
};

static void
put(struct buf *b, const void *s, size_t n)
{
	if (b->nomem)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->n + n + 1)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->nomem = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

/* s as a JSON string. */
static void
put_json_string(struct buf *b, const char *s, size_t n)
{
	char esc[8];

	put(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(b, esc, 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(b, esc, 6);
		} else {
			put(b, &s[i], 1);
		}
	}
	put(b, "\"", 1);
}

/* ------------------------------------------------------------------------ */
/* JSON strings */

static void
put_utf8(struct buf *b, unsigned cp)
{
	char u[4];

	if (cp < 0x80) {
		u[0] = (char)cp;
		put(b, u, 1);
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3F));
		put(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		put(b, u, 3);
	} else {
		u[0] = (char)(0xF0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		put(b, u, 4);
	}
}

/* Four hex digits at p, or -1. */
static long
hex4(const unsigned char *p, const unsigned char *end)
{
	long v = 0;

	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int h = gojson_hexval(p[i]);
		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

/* The string at *pp (its opening quote) decoded into out (escapes resolved;
 * lone surrogates become U+FFFD, as Go decodes them); *pp moves past the
 * closing quote. 0, or -1 when it is not a JSON string. */
static int
string_decode(const unsigned char **pp, const unsigned char *end, struct buf *out)
{
	static const char simple[] = "\"\\/bfnrt", value[] = "\"\\/\b\f\n\r\t";
	const unsigned char *p = *pp + 1;

	while (p < end && *p != '"') {
		const char *e;
		long u, lo;

		if (*p < 0x20)
			return -1;
		if (*p != '\\') {
			put(out, p++, 1);
			continue;
		}
		if (++p >= end)
			return -1;
		if (*p != 'u') {
			if ((e = memchr(simple, *p, sizeof(simple) - 1)) == NULL)
				return -1;
			put(out, &value[e - simple], 1);
			p++;
			continue;
		}
		if ((u = hex4(p + 1, end)) < 0)
			return -1;
		p += 5;
		if (u >= 0xD800 && u < 0xDC00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
		    (lo = hex4(p + 2, end)) >= 0xDC00 && lo < 0xE000) {
			u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
			p += 6;
		} else if (u >= 0xD800 && u < 0xE000) {
			u = 0xFFFD;
		}
		put_utf8(out, (unsigned)u);
	}
	if (p >= end)
		return -1;
	*pp = p + 1;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* The JSON walker: checks the structure, passes over what it keeps without
 * copying it, and builds an output only once a value must be hidden (the
 * bytes before it, then the token). */

enum mode {
	PLAIN,
	ENV,      /* the value of an Env member */
	ENV_ITEM, /* an entry of an Env array: "KEY=VALUE" */
	SECRET,   /* a string to hide whole */
	MAP,      /* an object whose string values are hidden (buildargs) */
};

struct walk {
	const struct redact *r;
	const unsigned char *p, *end;
	const unsigned char *copied; /* the input before this is in out already */
	struct buf out;
	int depth;
	int changed; /* a value was hidden: out holds the result */
};

static int value(struct walk *w, enum mode mode);

static void
ws(struct walk *w)
{
	while (w->p < w->end && (*w->p == ' ' || *w->p == '\t' || *w->p == '\n' || *w->p == '\r'))
		w->p++;
}

/* Past the string at w->p (its opening quote), checked as string_decode
 * checks it: no control character, only JSON's escapes. 0, or -1. */
static int
string_skip(struct walk *w)
{
	static const char simple[] = "\"\\/bfnrt";
	const unsigned char *p = w->p + 1;

	for (;;) {
		p += gojson_plain_run((const char *)p, (const char *)w->end);
		if (p >= w->end || *p < 0x20)
			return -1;
		if (*p == '"')
			break;
		if (*p >= 0x80) {
			p++;
			continue;
		}
		if (++p >= w->end) /* after a backslash */
			return -1;
		if (*p == 'u') {
			if (hex4(p + 1, w->end) < 0)
				return -1;
			p += 5;
		} else if (memchr(simple, *p, sizeof(simple) - 1) != NULL) {
			p++;
		} else {
			return -1;
		}
	}
	w->p = p + 1;
	return 0;
}

/* Replace the value from start to w->p with s as a JSON string. */
static void
replace(struct walk *w, const unsigned char *start, const char *s, size_t n)
{
	put(&w->out, w->copied, (size_t)(start - w->copied));
	put_json_string(&w->out, s, n);
	w->copied = w->p;
	w->changed = 1;
}

/* A string value hidden as mode says (ENV, ENV_ITEM, SECRET). */
static int
string_hide(struct walk *w, enum mode mode)
{
	const unsigned char *start = w->p;
	struct buf dec = {0}, v = {0};
	char token[REDACT_TOKEN_LEN + 1];
	const char *eq;
	int rc = string_decode(&w->p, w->end, &dec);

	if (rc == 0 && mode == ENV_ITEM &&
	    (eq = dec.p ? memchr(dec.p, '=', dec.n) : NULL) != NULL) {
		size_t klen = (size_t)(eq - dec.p) + 1;

		redact_token(w->r, eq + 1, dec.n - klen, token);
		put(&v, dec.p, klen);
		put(&v, token, strlen(token));
		replace(w, start, v.p, v.n);
		w->out.nomem |= v.nomem;
	} else if (rc == 0 && mode != ENV_ITEM) {
		redact_token(w->r, dec.p ? dec.p : "", dec.n, token);
		replace(w, start, token, strlen(token));
	} /* else an ENV_ITEM "KEY" without a value: kept */
	w->out.nomem |= dec.nomem;
	free(dec.p);
	free(v.p);
	return rc;
}

/* The mode of a member's value, from its decoded key (n bytes). */
static enum mode
member_mode(const struct walk *w, const char *k, size_t n, enum mode parent)
{
	/* Neither name has an s or a k, so a key that folds to one is ASCII of
	 * the same length. */
	if (parent == MAP)
		return SECRET;
	if (n == 3 && gojson_key_matches(k, n, "Env"))
		return ENV;
	if (n == 4 && w->depth == 1 && gojson_key_matches(k, n, "Data"))
		return SECRET;
	return PLAIN;
}

/* The key at w->p and the mode of its member's value. */
static int
key(struct walk *w, enum mode parent, enum mode *m)
{
	const unsigned char *k = w->p;
	struct buf dec = {0};
	size_t n;

	if (w->p >= w->end || *w->p != '"' || string_skip(w) != 0)
		return -1;
	n = (size_t)(w->p - k) - 2;
	if (memchr(k + 1, '\\', n) == NULL) {
		*m = member_mode(w, (const char *)k + 1, n, parent);
		return 0;
	}
	/* Escaped: decoded as dockerd decodes it before it is matched. */
	string_decode(&k, w->end, &dec);
	*m = member_mode(w, dec.p ? dec.p : "", dec.n, parent);
	w->out.nomem |= dec.nomem;
	free(dec.p);
	return 0;
}

static int
object(struct walk *w, enum mode mode)
{
	w->p++;
	ws(w);
	if (w->p < w->end && *w->p == '}') {
		w->p++;
		return 0;
	}
	for (;;) {
		enum mode m;
		int rc;

		if (key(w, mode, &m) != 0)
			return -1;
		ws(w);
		if (w->p >= w->end || *w->p != ':')
			return -1;
		w->p++;
		if ((rc = value(w, m)) != 0)
			return rc;
		ws(w);
		if (w->p < w->end && *w->p == ',') {
			w->p++;
			ws(w);
			continue;
		}
		if (w->p < w->end && *w->p == '}') {
			w->p++;
			return 0;
		}
		return -1;
	}
}

static int
array(struct walk *w, enum mode mode)
{
	enum mode item = mode == ENV ? ENV_ITEM : PLAIN;

	w->p++;
	ws(w);
	if (w->p < w->end && *w->p == ']') {
		w->p++;
		return 0;
	}
	for (;;) {
		int rc = value(w, item);

		if (rc != 0)
			return rc;
		ws(w);
		if (w->p < w->end && *w->p == ',') {
			w->p++;
			continue;
		}
		if (w->p < w->end && *w->p == ']') {
			w->p++;
			return 0;
		}
		return -1;
	}
}

/* A number or literal: the run of the characters they are made of, checked
 * loosely (the decision engine reads the body strictly; here only structure
 * matters). */
static int
scalar(struct walk *w)
{
	static const unsigned char in_scalar[256] = {
	    ['-'] = 1, ['+'] = 1, ['.'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
	    ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['e'] = 1, ['E'] = 1, ['t'] = 1,
	    ['r'] = 1, ['u'] = 1, ['f'] = 1, ['a'] = 1, ['l'] = 1, ['s'] = 1, ['n'] = 1};
	const unsigned char *s = w->p;

	while (w->p < w->end && in_scalar[*w->p])
		w->p++;
	return w->p == s ? -1 : 0;
}

static int
value(struct walk *w, enum mode mode)
{
	int rc;

	ws(w);
	if (w->p >= w->end)
		return -1;
	if (*w->p == '"')
		return mode == PLAIN ? string_skip(w) : string_hide(w, mode);
	if (*w->p != '{' && *w->p != '[')
		return scalar(w);
	if (++w->depth > REDACT_MAX_DEPTH)
		return -1;
	/* An object where Env's list should be: hide its values too. */
	rc = *w->p == '{' ? object(w, mode == MAP || mode == ENV ? MAP : PLAIN) : array(w, mode);
	w->depth--;
	return rc;
}

/* Walk text as one JSON value. 0 when it is one, with *changed set and, when
 * a value was hidden, *out filled with the result; 1 not JSON, -1 ENOMEM. */
static int
walk_json(const struct redact *r, const char *text, size_t len, enum mode mode, struct buf *out,
          int *changed)
{
	struct walk w = {r,
	                 (const unsigned char *)text,
	                 (const unsigned char *)text + len,
	                 (const unsigned char *)text,
	                 {0},
	                 0,
	                 0};
	int rc = value(&w, mode);

	if (rc == 0)
		ws(&w);
	if (rc == 0 && w.p == w.end && w.changed)
		put(&w.out, w.copied, (size_t)(w.end - w.copied));
	*out = w.out;
	*changed = w.changed;
	if (w.out.nomem)
		return -1;
	return rc == 0 && w.p == w.end ? 0 : 1;
}

int
redact_body(const struct redact *r, const char *body, size_t len, char **out, size_t *outlen)
{
	struct buf b;
	int changed, rc = walk_json(r, body, len, PLAIN, &b, &changed);

	*out = NULL;
	*outlen = 0;
	if (rc != 0 || !changed) {
		free(b.p);
		return rc;
	}
	*out = b.p;
	*outlen = b.n;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Query strings */

/* Percent-decode n bytes of s ('+' is a space) into out. */
static void
query_decode(const char *s, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] == '%' && i + 2 < n &&
		    (hi = gojson_hexval((unsigned char)s[i + 1])) >= 0 &&
		    (lo = gojson_hexval((unsigned char)s[i + 2])) >= 0) {
			char c = (char)(hi << 4 | lo);
			put(out, &c, 1);
			i += 2;
		} else {
			put(out, s[i] == '+' ? " " : &s[i], 1);
		}
	}
}

/* Percent-encode every byte outside RFC 3986's unreserved set. */
static void
query_encode(const char *s, size_t n, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char e[3] = {'%', hex[c >> 4], hex[c & 15]};

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~')
			put(out, &s[i], 1);
		else
			put(out, e, 3);
	}
}

/* One "key=value" of a query into out, its value hidden when key is buildargs. */
static void
query_param(const struct redact *r, const char *s, size_t n, struct buf *out)
{
	const char *eq = memchr(s, '=', n);
	struct buf key = {0}, val = {0}, red = {0};
	char token[REDACT_TOKEN_LEN + 1];
	int changed;

	query_decode(s, eq ? (size_t)(eq - s) : n, &key);
	if (eq == NULL || key.p == NULL || strcmp(key.p, "buildargs") != 0) {
		put(out, s, n);
		goto out;
	}
	put(out, s, (size_t)(eq + 1 - s));
	query_decode(eq + 1, n - (size_t)(eq + 1 - s), &val);
	if (walk_json(r, val.p ? val.p : "", val.n, MAP, &red, &changed) == 0) {
		if (changed)
			query_encode(red.p, red.n, out);
		else
			query_encode(val.p ? val.p : "", val.n, out);
	} else {
		redact_token(r, val.p ? val.p : "", val.n, token);
		query_encode(token, strlen(token), out);
	}
out:
	out->nomem |= key.nomem | val.nomem | red.nomem;
	free(key.p);
	free(val.p);
	free(red.p);
}

char *
redact_uri(const struct redact *r, const char *uri)
{
	const char *q = strchr(uri, '?'), *s;
	struct buf out = {0};

	if (q == NULL)
		return strdup(uri);
	put(&out, uri, (size_t)(q + 1 - uri));
	for (s = q + 1;;) {
		size_t n = strcspn(s, "&;");

		query_param(r, s, n, &out);
		if (s[n] == '\0')
			break;
		put(&out, &s[n], 1);
		s += n + 1;
	}
	if (out.nomem) {
		free(out.p);
		return NULL;
	}
	return out.p;
}
