/* SPDX-License-Identifier: Apache-2.0 */
/* The output forms of an audit row: the JSON object the API returns (rules
 * and data as JSON, empty strings as null) and one RFC 4180 CSV line for
 * exports, with the CSV header that goes with it: text to be read, with no
 * control character and no cell a spreadsheet would run as a formula. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* open_memstream */
#endif
#include "audit_int.h"
#include "util/names.h"
#include "util/textsafe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A string, or null when empty or not UTF-8. New reference. */
static json_t *
str_or_null(const char *s)
{
	json_t *j = s && s[0] ? json_string(s) : NULL;

	return j ? j : json_null();
}

json_t *
audit_row_json(const struct audit_row *r)
{
	json_t *o = json_object(), *rules, *data;

	if (o == NULL)
		return NULL;
	rules = json_loads(r->rules ? r->rules : "[]", JSON_DECODE_ANY, NULL);
	data = json_loads(r->data ? r->data : "{}", JSON_DECODE_ANY, NULL);
	if (json_object_set_new(o, "id", json_integer(r->id)) ||
	    json_object_set_new(o, "time", str_or_null(r->time)) ||
	    json_object_set_new(o, "action", str_or_null(r->action)) ||
	    json_object_set_new(o, "actor", str_or_null(r->actor)) ||
	    json_object_set_new(o, "host", str_or_null(r->host)) ||
	    json_object_set_new(o, "component", str_or_null(r->component)) ||
	    json_object_set_new(o, "subject", str_or_null(r->subject)) ||
	    json_object_set_new(o, "decision", str_or_null(r->decision)) ||
	    json_object_set_new(o, "rules", rules ? rules : str_or_null(r->rules)) ||
	    json_object_set_new(o, "data", data ? data : str_or_null(r->data)) ||
	    json_object_set_new(o, "policy_version",
	                        r->policy_version >= 0 ? json_integer(r->policy_version)
	                                               : json_null()) ||
	    json_object_set_new(o, "prev_hash", str_or_null(r->prev_hash)) ||
	    json_object_set_new(o, "hash", str_or_null(r->hash))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

const char *
audit_csv_header(void)
{
	return "id,time,action,actor,host,component,subject,decision,rules,data,policy_version,"
	       "prev_hash,hash\r\n";
}

/* The length of the formula trigger at s (a cell a spreadsheet would run as
 * a formula starts with one): = + - @ or their full-width forms (U+FF1D,
 * U+FF0B, U+FF0D, U+FF20), after any spaces; 0 when there is none. */
static size_t
formula_at(const char *s)
{
	static const char *const wide[] = {"\xef\xbc\x9d", "\xef\xbc\x8b", "\xef\xbc\x8d",
	                                   "\xef\xbc\xa0"};

	s += strspn(s, " ");
	if (*s != '\0' && strchr("=+-@", *s) != NULL)
		return 1;
	for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++)
		if (strncmp(s, wide[i], 3) == 0)
			return 3;
	return 0;
}

/* A spreadsheet starts a cell at the value's start and, when it splits on
 * them (European locales use ';'), after ';', ',' and '|' (TAB and CR are
 * escaped before this). 1 when one of those cells would be a formula. */
static int
formula_anywhere(const char *s)
{
	for (int start = 1; *s != '\0'; s++) {
		if (start && formula_at(s))
			return 1;
		start = strchr(";,|", *s) != NULL;
	}
	return 0;
}

/* One RFC 4180 field of text (s NULL: empty), quoted when it holds a quote,
 * a comma or needs neutralising: each control, line separator, bidi control
 * and byte that is not UTF-8 as a visible escape (textsafe_escape: "\x1b",
 * "\u202e"), so that no cell carries a raw CR or escape sequence, and an
 * apostrophe, the usual neutraliser, before each cell a spreadsheet would run
 * as a formula (formula_anywhere). JSON and NDJSON exports carry the values
 * unchanged. 0, or -1 without memory. */
static int
csv_field(FILE *f, const char *s, int last)
{
	char *t = textsafe_dup(s ? s : "");
	int quote;

	if (t == NULL)
		return -1;
	quote = strpbrk(t, "\",") != NULL || formula_anywhere(t);
	if (quote)
		fputc('"', f);
	for (int start = 1, i = 0; t[i] != '\0'; i++) {
		if (start && formula_at(t + i))
			fputc('\'', f);
		start = strchr(";,|", t[i]) != NULL;
		if (t[i] == '"')
			fputc('"', f);
		fputc(t[i], f);
	}
	if (quote)
		fputc('"', f);
	fputs(last ? "\r\n" : ",", f);
	free(t);
	return 0;
}

/* The data column: JSON text (NULL: empty). Its characters that act on a
 * terminal go as \uXXXX (textsafe_json_char), and so does a formula trigger
 * that would start a cell of a spreadsheet splitting on ';', ',' or '|'
 * (they occur in strings; outside them JSON has no triggers): the same JSON.
 * Quoted as RFC 4180 says. */
static void
csv_json(FILE *f, const char *json, int last)
{
	const char *p = json ? json : "";
	int quote = strpbrk(p, "\",\r\n") != NULL, in_str = 0, cell = 0;
	size_t k;
	unsigned cp;
	char esc[7];

	fputs(quote ? "\"" : "", f);
	for (; *p != '\0'; p += k) {
		if (*p == '\\' && in_str && p[1] != '\0') {
			fputs(p[1] == '"' ? "\\\"\"" : "\\", f); /* \" stays in the string */
			if (p[1] != '"')
				fputc(p[1], f);
			k = 2, cell = 0;
		} else if (*p == '"') {
			fputs("\"\"", f);
			k = 1, in_str = !in_str, cell = 0;
		} else if (in_str && cell && *p != ' ' && formula_at(p) &&
		           (k = names_utf8_decode(p, &cp)) > 0) {
			fprintf(f, "\\u%04x", cp);
			cell = 0;
		} else if (textsafe_json_char(p, &k, esc)) {
			fputs(esc, f);
			cell = 0;
		} else {
			fwrite(p, 1, k, f);
			cell = *p == ' ' ? cell : strchr(";,|", *p) != NULL;
		}
	}
	fputs(quote ? "\"" : "", f);
	fputs(last ? "\r\n" : ",", f);
}

/* The rule ids joined with ';'; malloc'd. */
static char *
rules_joined(const char *rules_json)
{
	json_t *arr = json_loads(rules_json ? rules_json : "[]", 0, NULL), *v;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL) {
		json_decref(arr);
		return NULL;
	}
	if (json_is_array(arr)) {
		json_array_foreach(arr, i, v)
		{
			fprintf(f, "%s%s", i ? ";" : "",
			        json_is_string(v) ? json_string_value(v) : "");
		}
	} else if (rules_json != NULL) {
		fputs(rules_json, f);
	}
	json_decref(arr);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

char *
audit_row_csv(const struct audit_row *r, size_t *len)
{
	char *buf = NULL, *rules = rules_joined(r->rules), num[32], pv[32];
	FILE *f = NULL;
	int rc = 0;

	if (rules == NULL || (f = open_memstream(&buf, len)) == NULL)
		goto fail;
	snprintf(num, sizeof(num), "%lld", r->id);
	if (r->policy_version >= 0)
		snprintf(pv, sizeof(pv), "%lld", r->policy_version);
	else
		pv[0] = '\0';
	const char *const head[] = {num,          r->time,    r->action,   r->actor, r->host,
	                            r->component, r->subject, r->decision, rules};
	const char *const tail[] = {pv, r->prev_hash, r->hash};
	for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		rc |= csv_field(f, head[i], 0);
	csv_json(f, r->data, 0);
	for (size_t i = 0; i < sizeof(tail) / sizeof(tail[0]); i++)
		rc |= csv_field(f, tail[i], i + 1 == sizeof(tail) / sizeof(tail[0]));
	if (fclose(f) != 0 || rc != 0)
		goto fail;
	free(rules);
	return buf;
fail:
	free(rules);
	free(buf);
	return NULL;
}
