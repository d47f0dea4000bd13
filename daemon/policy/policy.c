/* SPDX-License-Identifier: Apache-2.0 */
/* The org policy: turns bytes into a validated admin-settings document with
 * every problem located (line:column for syntax, JSON pointer for content),
 * and refuses settings files that someone other than root could have written. */
#include "build-config.h"

#include "policy.h"

#include "util/embedded.h"
#include "util/jsonscan.h"
#include "jsonschema.h"
#include "log.h"
#include "settings.h"
#include "store/trust.h"

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCHEMA_NAME "admin-settings.schema.json"

static json_t *schema_cache;

const json_t *
policy_schema(void)
{
	json_t *s = __atomic_load_n(&schema_cache, __ATOMIC_ACQUIRE), *expected = NULL;
	const struct embedded_file *f;
	json_error_t jerr;

	if (s != NULL)
		return s;
	if ((f = embedded_find(SCHEMA_NAME)) == NULL) {
		log_warnx("policy: %s is not compiled in", SCHEMA_NAME);
		return NULL;
	}
	if ((s = json_loadb(f->data, f->len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		log_warnx("policy: %s:%d:%d: %s", SCHEMA_NAME, jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	/* First one in wins; a thread that lost the race drops its copy. */
	if (!__atomic_compare_exchange_n(&schema_cache, &expected, s, 0, __ATOMIC_ACQ_REL,
	                                 __ATOMIC_ACQUIRE)) {
		json_decref(s);
		return expected;
	}
	return s;
}

/* ---------------------------------------------------------------------------
 * Syntax errors */

/* 1-based line and column (in characters) of byte offset off in buf. */
static void
locate(const char *buf, size_t len, size_t off, int *line, int *column)
{
	int l = 1, c = 1;

	for (size_t i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			l++;
			c = 1;
		} else if (((unsigned char)buf[i] & 0xC0) != 0x80) {
			c++;
		}
	}
	*line = l;
	*column = c;
}

static int
is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static void
syntax_error(struct problems *errs, const char *buf, size_t len, size_t off, const char *msg)
{
	int line, column;

	locate(buf, len, off, &line, &column);
	problems_add_at(errs, "", line, column, "%s", msg);
}

/* Refuse deep nesting before jansson sees it (its own limit is 2048). */
static int
check_depth(const char *buf, size_t len, struct problems *errs)
{
	static const struct jsonscan_limits lim = {POLICY_MAX_DEPTH, SIZE_MAX, SIZE_MAX};
	size_t at = jsonscan_check(buf, len, &lim);
	char msg[64];

	if (at == len)
		return 0;
	snprintf(msg, sizeof(msg), "nesting deeper than %d levels", POLICY_MAX_DEPTH);
	syntax_error(errs, buf, len, at, msg);
	return -1;
}

/* Turn jansson's error into a located, plain message. jansson reports the
 * offset just past the offending token and quotes the token after "near". */
static void
report_json_error(struct problems *errs, const char *buf, size_t len, const json_error_t *e)
{
	const char *near = strstr(e->text, " near '");
	size_t pos = (size_t)e->position, start = pos, tlen = 0;
	char msg[256], token[64] = "";

	if (pos > len)
		pos = start = len;
	if (near != NULL && strlen(e->text) < sizeof(e->text) - 1) {
		tlen = strlen(near + 7);
		tlen = tlen > 0 ? tlen - 1 : 0; /* the closing quote */
		start = tlen <= pos ? pos - tlen : pos;
		snprintf(token, sizeof(token), "%.*s", (int)(tlen < 40 ? tlen : 40), near + 7);
	}
	if (strncmp(e->text, "duplicate object key", 20) == 0) {
		snprintf(msg, sizeof(msg), "duplicate key %s (each key may appear once)", token);
	} else if (strncmp(e->text, "too big", 7) == 0) {
		if (near == NULL) {
			while (start > 0 && (buf[start - 1] == '-' ||
			                     (buf[start - 1] >= '0' && buf[start - 1] <= '9')))
				start--;
		}
		snprintf(msg, sizeof(msg), "integer out of range (more than 64 bits): %.*s",
		         (int)(pos - start < 40 ? pos - start : 40), buf + start);
	} else if (strncmp(e->text, "real number overflow", 20) == 0) {
		snprintf(msg, sizeof(msg), "number out of range: %s", token);
	} else if (strncmp(e->text, "end of file expected", 20) == 0) {
		snprintf(msg, sizeof(msg), "unexpected text after the end of the document: %s",
		         token);
	} else if (strncmp(e->text, "unable to decode byte", 21) == 0 ||
	           strstr(e->text, "UTF-8") != NULL) {
		snprintf(msg, sizeof(msg), "invalid UTF-8 (%.*s)",
		         (int)(near ? (size_t)(near - e->text) : strlen(e->text)), e->text);
	} else if (strstr(e->text, "\\u0000") != NULL) {
		snprintf(msg, sizeof(msg), "NUL character (\\u0000) in a string");
	} else if (strstr(e->text, "near end of file") != NULL) {
		snprintf(msg, sizeof(msg),
		         "unexpected end of document (unclosed object, array "
		         "or string?)");
	} else if ((strcmp(token, "}") == 0 || strcmp(token, "]") == 0)) {
		size_t j = start;
		while (j > 0 && is_space(buf[j - 1]))
			j--;
		if (j > 0 && buf[j - 1] == ',') {
			snprintf(msg, sizeof(msg), "trailing comma before '%s'", token);
			start = j - 1;
		} else {
			snprintf(msg, sizeof(msg), "%s", e->text);
		}
	} else {
		snprintf(msg, sizeof(msg), "%s", e->text);
	}
	syntax_error(errs, buf, len, start, msg);
}

static const char *
kind_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	default:
		return "an object";
	}
}

/* ---------------------------------------------------------------------------
 * Parse and validate */

json_t *
policy_parse(const char *buf, size_t len, struct problems *errs, struct problems *warns)
{
	json_t *doc = NULL;
	json_error_t jerr;
	size_t first = 0;

	if (buf == NULL)
		len = 0;
	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
		buf += 3;
		len -= 3;
	}
	while (first < len && is_space(buf[first]))
		first++;
	if (first == len) {
		syntax_error(errs, buf, len, len, "empty document");
		goto out;
	}
	if (check_depth(buf, len, errs) < 0)
		goto out;
	doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (doc == NULL) {
		report_json_error(errs, buf, len, &jerr);
		goto out;
	}
	if (!json_is_object(doc)) {
		char msg[96];

		snprintf(msg, sizeof(msg), "expected a JSON object at the top level; found %s",
		         kind_name(doc));
		syntax_error(errs, buf, len, first, msg);
		json_decref(doc);
		doc = NULL;
		goto out;
	}
	if (policy_validate(doc, errs, warns) < 0) {
		json_decref(doc);
		doc = NULL;
	}
out:
	return doc;
}

/* The nesting of a parsed value, counted as check_depth counts brackets;
 * stops counting past limit. */
static int
value_depth(const json_t *v, int limit)
{
	const char *key;
	json_t *child;
	size_t i;
	int deepest = 0, d;

	if (!json_is_object(v) && !json_is_array(v))
		return 0;
	if (limit <= 0)
		return 1;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, child)
		{
			if ((d = value_depth(child, limit - 1)) > deepest)
				deepest = d;
		}
	} else {
		json_array_foreach(v, i, child)
		{
			if ((d = value_depth(child, limit - 1)) > deepest)
				deepest = d;
		}
	}
	return 1 + deepest;
}

int
policy_validate(const json_t *doc, struct problems *errs, struct problems *warns)
{
	const json_t *schema = policy_schema();
	int rc;

	if (schema == NULL) {
		problems_add(errs, "", "the policy schema is not available");
		return -1;
	}
	/* The file loader refuses such a document before parsing it: so must
	 * every other way in (an unknown key is kept, whatever it holds). */
	if (value_depth(doc, POLICY_MAX_DEPTH + 1) > POLICY_MAX_DEPTH) {
		problems_add(errs, "", "nesting deeper than %d levels", POLICY_MAX_DEPTH);
		return -1;
	}
	rc = jsonschema_validate(schema, schema, doc, "", errs, warns);
	/* Shares and protected paths that would cover the whole host. */
	if (settings_check_paths(doc, errs, warns) != 0)
		rc = -1;
	return rc;
}

char *
policy_render(const json_t *doc, size_t *len)
{
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER), *t;

	if (text == NULL)
		return NULL;
	*len = strlen(text);
	if ((t = realloc(text, *len + 2)) == NULL) {
		free(text);
		return NULL;
	}
	t[(*len)++] = '\n';
	t[*len] = '\0';
	return t;
}

char *
policy_accept(const json_t *doc, size_t *len, struct problems *errs, struct problems *warns)
{
	char *text = NULL;
	json_t *again = NULL;

	if (policy_validate(doc, errs, warns) != 0)
		return NULL;
	if ((text = policy_render(doc, len)) == NULL)
		return NULL;
	/* Warnings were given once already. */
	if ((again = policy_load_buffer(text, *len, errs, NULL)) == NULL) {
		free(text);
		return NULL;
	}
	json_decref(again);
	return text;
}

json_t *
policy_load_buffer(const char *buf, size_t len, struct problems *errs, struct problems *warns)
{
	if (len > POLICY_MAX_FILE) {
		problems_add(errs, "",
		             "%zu bytes as a settings file: larger than the %d byte (1 MiB) limit",
		             len, POLICY_MAX_FILE);
		return NULL;
	}
	return policy_parse(buf, len, errs, warns);
}

/* ---------------------------------------------------------------------------
 * Files */

int
policy_check_file(const char *path, struct problems *errs)
{
	struct stat st;
	char *copy = NULL;
	int rc = -1;

	if (lstat(path, &st) < 0) {
		problems_add(errs, "", "%s: %s", path, strerror(errno));
		goto out;
	}
	if (trust_check_stat(path, &st, TRUST_FILE, errs) < 0)
		goto out;
	if ((copy = strdup(path)) == NULL) {
		problems_add(errs, "", "%s: out of memory", path);
		goto out;
	}
	{
		const char *dir = dirname(copy);
		if (lstat(dir, &st) < 0) {
			problems_add(errs, "", "%s: %s", dir, strerror(errno));
			goto out;
		}
		if (trust_check_stat(dir, &st, TRUST_DIR, errs) < 0)
			goto out;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

json_t *
policy_load_file(const char *path, struct problems *errs, struct problems *warns)
{
	struct stat before, after;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	json_t *doc = NULL;
	int fd = -1;

	if (policy_check_file(path, errs) < 0 || lstat(path, &before) < 0)
		goto out;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) < 0) {
		problems_add(errs, "", "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &after) < 0 || after.st_dev != before.st_dev ||
	    after.st_ino != before.st_ino) {
		problems_add(errs, "", "%s: changed while being opened", path);
		goto out;
	}
	if (trust_check_stat(path, &after, TRUST_FILE, errs) < 0)
		goto out;
	if ((buf = malloc(POLICY_MAX_FILE + 1)) == NULL) {
		problems_add(errs, "", "%s: out of memory", path);
		goto out;
	}
	while (len <= POLICY_MAX_FILE) {
		n = read(fd, buf + len, POLICY_MAX_FILE + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			problems_add(errs, "", "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > POLICY_MAX_FILE) {
		problems_add(errs, "", "%s: larger than the %d byte (1 MiB) limit", path,
		             POLICY_MAX_FILE);
		goto out;
	}
	doc = policy_load_buffer(buf, len, errs, warns);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return doc;
}
