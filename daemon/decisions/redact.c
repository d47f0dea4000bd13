/* SPDX-License-Identifier: Apache-2.0 */
/* The keyed hash (HMAC-SHA-256, key in the state directory), the output buffer,
 * and the query-string rewriter for buildargs and URLs' user information (the
 * JSON walker is redact_json.c). Values are decoded as Go decodes them before
 * they are matched or hashed. */
#include "redact_int.h"

#include "engine/gojson.h"
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

void
redact_buf_put(struct buf *b, const void *s, size_t n)
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
			redact_buf_put(out, &c, 1);
			i += 2;
		} else {
			redact_buf_put(out, s[i] == '+' ? " " : &s[i], 1);
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
			redact_buf_put(out, &s[i], 1);
		else
			redact_buf_put(out, e, 3);
	}
}

/* The user information of a URL in v (n bytes): from after "://" to the
 * last '@' before the path (a user and password, or a token as the user:
 * dockerd sends it to the server, a build's git remote or an import's
 * fromSrc). Its offset in *at and length in *len, or 0 when there is none. */
static int
url_userinfo(const char *v, size_t n, size_t *at, size_t *len)
{
	const char *s = v != NULL ? memmem(v, n, "://", 3) : NULL, *end, *last = NULL;

	if (s == NULL)
		return 0;
	s += 3;
	for (end = s; end < v + n && *end != '/' && *end != '?' && *end != '#'; end++)
		if (*end == '@')
			last = end;
	if (last == NULL)
		return 0;
	*at = (size_t)(s - v);
	*len = (size_t)(last - s);
	return 1;
}

/* A buildargs value (val, decoded) into out: a JSON map keeps its keys, and
 * anything else is hidden whole. */
static void
param_buildargs(const struct redact *r, const struct buf *val, struct buf *out)
{
	char token[REDACT_TOKEN_LEN + 1];
	struct buf red = {0};
	int changed;

	if (redact_json_walk(r, val->p ? val->p : "", val->n, 1, &red, &changed) == 0) {
		if (changed)
			query_encode(red.p, red.n, out);
		else
			query_encode(val->p ? val->p : "", val->n, out);
	} else {
		redact_token(r, val->p ? val->p : "", val->n, token);
		query_encode(token, strlen(token), out);
	}
	out->nomem |= red.nomem;
	free(red.p);
}

/* One "key=value" of a query into out: the value of buildargs hidden, and
 * the user information of a URL in any other; else copied as it is. */
static void
query_param(const struct redact *r, const char *s, size_t n, struct buf *out)
{
	const char *eq = memchr(s, '=', n);
	struct buf key = {0}, val = {0};
	char token[REDACT_TOKEN_LEN + 1];
	size_t at, len;

	if (eq == NULL) {
		redact_buf_put(out, s, n);
		return;
	}
	query_decode(s, (size_t)(eq - s), &key);
	query_decode(eq + 1, n - (size_t)(eq + 1 - s), &val);
	if (key.p != NULL && strcmp(key.p, "buildargs") == 0) {
		redact_buf_put(out, s, (size_t)(eq + 1 - s));
		param_buildargs(r, &val, out);
	} else if (url_userinfo(val.p, val.n, &at, &len)) {
		redact_token(r, val.p + at, len, token);
		redact_buf_put(out, s, (size_t)(eq + 1 - s));
		query_encode(val.p, at, out);
		query_encode(token, strlen(token), out);
		query_encode(val.p + at + len, val.n - at - len, out);
	} else {
		redact_buf_put(out, s, n);
	}
	out->nomem |= key.nomem | val.nomem;
	free(key.p);
	free(val.p);
}

char *
redact_uri(const struct redact *r, const char *uri)
{
	const char *q = strchr(uri, '?'), *s;
	struct buf out = {0};

	if (q == NULL)
		return strdup(uri);
	redact_buf_put(&out, uri, (size_t)(q + 1 - uri));
	for (s = q + 1;;) {
		size_t n = strcspn(s, "&;");

		query_param(r, s, n, &out);
		if (s[n] == '\0')
			break;
		redact_buf_put(&out, &s[n], 1);
		s += n + 1;
	}
	if (out.nomem) {
		free(out.p);
		return NULL;
	}
	return out.p;
}
