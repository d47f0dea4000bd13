/* SPDX-License-Identifier: Apache-2.0 */
/* The output forms of an audit row: the JSON object the API returns (rules
 * and data as JSON, empty strings as null) and one RFC 4180 CSV line for
 * exports, with the CSV header that goes with it. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* open_memstream */
#endif
#include "audit_int.h"

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

/* One RFC 4180 field, quoted when it holds a quote, comma, CR or LF. A value
 * a spreadsheet would run as a formula (it starts with =, +, -, @, TAB or CR:
 * subjects and actors come from clients) gets a leading apostrophe, the
 * usual neutraliser; JSON and NDJSON exports carry the values unchanged. */
static void
csv_field(FILE *f, const char *s, int last)
{
	int formula = s != NULL && s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;

	if (s != NULL && (formula || strpbrk(s, "\",\r\n") != NULL)) {
		fputc('"', f);
		if (formula)
			fputc('\'', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else if (s != NULL) {
		fputs(s, f);
	}
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

	if (rules == NULL || (f = open_memstream(&buf, len)) == NULL)
		goto fail;
	snprintf(num, sizeof(num), "%lld", r->id);
	if (r->policy_version >= 0)
		snprintf(pv, sizeof(pv), "%lld", r->policy_version);
	else
		pv[0] = '\0';
	csv_field(f, num, 0);
	csv_field(f, r->time, 0);
	csv_field(f, r->action, 0);
	csv_field(f, r->actor, 0);
	csv_field(f, r->host, 0);
	csv_field(f, r->component, 0);
	csv_field(f, r->subject, 0);
	csv_field(f, r->decision, 0);
	csv_field(f, rules, 0);
	csv_field(f, r->data, 0);
	csv_field(f, pv, 0);
	csv_field(f, r->prev_hash, 0);
	csv_field(f, r->hash, 1);
	if (fclose(f) != 0)
		goto fail;
	free(rules);
	return buf;
fail:
	free(rules);
	free(buf);
	return NULL;
}
