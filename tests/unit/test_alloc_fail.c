/* SPDX-License-Identifier: Apache-2.0 */
/* Allocation failure, the way curl's torture tests and jansson's chaos test
 * do it: run an operation once to count its allocations, then again with the
 * 1st, 2nd, ... Nth allocation failing, until one run allocates fewer than N
 * times. Lockset's own malloc, calloc, realloc, strdup, strndup, asprintf and
 * vasprintf are wrapped at link time (-Wl,--wrap=..., this binary only) and
 * jansson's allocator is set with json_set_alloc_funcs.
 * Operations: policy load (policy_parse, policy_validate, settings_effective,
 * decide_policy_new) over every policy case, and the decision path
 * (decide_policy_new, decide_eval) over the decision corpus. Every failure must
 * end in a clean error or a deny: never a crash (ASan builds catch the
 * use-after-free and leak kind), never an invalid policy accepted, never
 * settings or a compiled policy that differ from the real ones, never an
 * allow the real run does not give. */
#include "check.h"
#include "engine/decide.h"
#include "engine/gojson.h"
#include "log.h"
#include "policy/policy.h"
#include "policy/settings.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Failing allocators                                                       */

static long countdown = -1; /* allocations left before the one that fails; -1: off */
static long allocs;         /* allocations seen since arm() */
static int failed;          /* the armed failure happened */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
int __real_vasprintf(char **out, const char *fmt, va_list ap);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
int __wrap_vasprintf(char **out, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
int __wrap_asprintf(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Does this allocation fail? (With errno ENOMEM, as the real ones do.) */
static int
fail_now(void)
{
	allocs++;
	if (countdown < 0 || --countdown > 0)
		return 0;
	countdown = -1;
	failed = 1;
	errno = ENOMEM;
	return 1;
}

void *
__wrap_malloc(size_t n)
{
	return fail_now() ? NULL : __real_malloc(n);
}

void *
__wrap_calloc(size_t n, size_t size)
{
	return fail_now() ? NULL : __real_calloc(n, size);
}

void *
__wrap_realloc(void *p, size_t n)
{
	return fail_now() ? NULL : __real_realloc(p, n);
}

char *
__wrap_strdup(const char *s)
{
	return fail_now() ? NULL : __real_strdup(s);
}

char *
__wrap_strndup(const char *s, size_t n)
{
	return fail_now() ? NULL : __real_strndup(s, n);
}

int
__wrap_vasprintf(char **out, const char *fmt, va_list ap)
{
	return fail_now() ? -1 : __real_vasprintf(out, fmt, ap);
}

int
__wrap_asprintf(char **out, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = __wrap_vasprintf(out, fmt, ap);
	va_end(ap);
	return rc;
}

static void *
json_fail_malloc(size_t n)
{
	return __wrap_malloc(n);
}

/* jansson 2.14's reader writes past a buffer when one of its own allocations
 * fails in the middle of a string (seen with valgrind), so a whole
 * json_loadb or json_loads counts as one allocation here: it fails as a
 * correct reader would, with json_error_out_of_memory, or runs with no
 * failure inside. */
json_t *__real_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *err);
json_t *__wrap_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *err);
json_t *__real_json_loads(const char *s, size_t flags, json_error_t *err);
json_t *__wrap_json_loads(const char *s, size_t flags, json_error_t *err);

static json_t *
load_failing(const char *buf, size_t len, size_t flags, json_error_t *err)
{
	long saved;
	json_t *j;

	if (fail_now()) {
		if (err != NULL) {
			memset(err, 0, sizeof(*err));
			snprintf(err->text, sizeof(err->text), "out of memory");
			err->text[JSON_ERROR_TEXT_LENGTH - 1] = (char)json_error_out_of_memory;
		}
		return NULL;
	}
	saved = countdown;
	countdown = -1;
	j = __real_json_loadb(buf, len, flags, err);
	countdown = saved;
	return j;
}

json_t *
__wrap_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *err)
{
	return load_failing(buf, len, flags, err);
}

json_t *
__wrap_json_loads(const char *s, size_t flags, json_error_t *err)
{
	return load_failing(s, strlen(s), flags, err);
}

/* Make the nth allocation from now on fail (n >= 1). ALLOC_FAIL_TRACE=1 in
 * the environment names each run on stderr (to find the one that crashes). */
static void
arm(long n)
{
	static int trace = -1;

	if (trace == -1)
		trace = getenv("ALLOC_FAIL_TRACE") != NULL;
	if (trace)
		fprintf(stderr, "# allocation %ld fails\n", n);
	/* A block a cleared arena kept would spare the run its malloc: each
	 * run starts without, so a failing arena grow is among the runs. */
	gojson_arena_spares_free();
	countdown = n;
	allocs = 0;
	failed = 0;
}

/* No more failures; failed still tells whether the armed one happened. */
static void
disarm(void)
{
	countdown = -1;
}

/* ------------------------------------------------------------------------ */
/* Inputs                                                                   */

static const char *const homes[] = {"/home/alice"};
static const struct settings_env env = {homes, 1, "/tmp", "/tmp"};
static char srcdir[2048];
static long total_runs;

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f != NULL && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL) {
		*len = fread(buf, 1, (size_t)n, f);
		buf[*len] = '\0';
	}
	if (f != NULL)
		fclose(f);
	return buf;
}

/* Call fn(path) for every file of dir ending in suffix. */
static void
each_file(const char *dir, const char *suffix, void (*fn)(const char *path))
{
	char path[4096];
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);

	CHECK(n > 0);
	for (int i = 0; i < n; i++) {
		size_t l = strlen(names[i]->d_name), sl = strlen(suffix);

		if (l > sl && strcmp(names[i]->d_name + l - sl, suffix) == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
			fn(path);
		}
		free(names[i]);
	}
	free(names);
}

/* ------------------------------------------------------------------------ */
/* Policy load                                                              */

/* The whole load of one document, as the daemon does it: parse and validate,
 * merge into effective settings, compile. 1 when it went through, with the
 * effective settings in *eff; 0 when refused. */
static int
load_policy(const char *text, size_t len, json_t **eff)
{
	struct problems errs = PROBLEMS_INIT, warns = PROBLEMS_INIT;
	json_t *doc = policy_parse(text, len, &errs, &warns);
	struct decide_policy *dp = NULL;

	*eff = NULL;
	if (doc != NULL && policy_validate(doc, &errs, NULL) == 0 &&
	    (*eff = settings_effective(doc, NULL, NULL, &env)) != NULL)
		dp = decide_policy_new(*eff);
	if (dp == NULL) {
		json_decref(*eff);
		*eff = NULL;
	}
	decide_policy_free(dp);
	json_decref(doc);
	problems_clear(&errs);
	problems_clear(&warns);
	return *eff != NULL;
}

static void
policy_case(const char *path)
{
	size_t len = 0;
	char *text = read_file(path, &len);
	json_t *want, *got;
	int valid;
	long n;

	CHECK(text != NULL);
	if (getenv("ALLOC_FAIL_TRACE") != NULL)
		fprintf(stderr, "# %s\n", path);
	valid = load_policy(text, len, &want);
	if (strstr(path, "/invalid/") != NULL)
		CHECK(!valid);
	for (n = 1;; n++) {
		int ok;

		arm(n);
		ok = load_policy(text, len, &got);
		disarm();
		total_runs++;
		if (ok && (!valid || !json_equal(want, got))) {
			check_failures++;
			fprintf(stderr, "not ok: %s: allocation %ld failing gave %s\n", path, n,
			        valid ? "different effective settings" : "an accepted policy");
		}
		json_decref(got);
		if (!failed)
			break;
	}
	check_count++;
	json_decref(want);
	free(text);
}

static void
test_policy_load(void)
{
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/tests/cases/policy/valid", srcdir);
	each_file(dir, ".json", policy_case);
	snprintf(dir, sizeof(dir), "%s/tests/cases/policy/invalid", srcdir);
	each_file(dir, ".json", policy_case);
}

/* ------------------------------------------------------------------------ */
/* The decision path                                                        */

#define MAX_CASES 1024

struct dcase {
	char name[256], settings[64], method[16], uri[2048], user[64], ctype[128];
	char containers[4][1024];
	size_t ncontainers;
	char *body; /* NULL: no body */
	size_t body_len;
	int allow;       /* the verdict without failures */
	char rules[512]; /* and its sorted rule ids */
};

static struct dcase cases[MAX_CASES];
static size_t ncases;

static void
header(struct dcase *c, const char *k, const char *v)
{
	if (strcmp(k, "settings") == 0)
		snprintf(c->settings, sizeof(c->settings), "%s", v);
	else if (strcmp(k, "method") == 0)
		snprintf(c->method, sizeof(c->method), "%s", v);
	else if (strcmp(k, "uri") == 0)
		snprintf(c->uri, sizeof(c->uri), "%s", v);
	else if (strcmp(k, "user") == 0)
		snprintf(c->user, sizeof(c->user), "%s", v);
	else if (strcmp(k, "content-type") == 0)
		snprintf(c->ctype, sizeof(c->ctype), "%s", v);
	else if (strcmp(k, "container") == 0 && c->ncontainers < 4)
		snprintf(c->containers[c->ncontainers++], sizeof(c->containers[0]), "%s", v);
}

/* A decision case (tests/cases/decisions/README.md); "@TMP@" is left as it
 * is: a path that does not exist is judged the same way in every run. */
static void
load_case(const char *path)
{
	size_t len = 0;
	char *text = read_file(path, &len), *line, *next;
	struct dcase *c = &cases[ncases];

	CHECK(text != NULL && ncases < MAX_CASES);
	if (text == NULL || ncases == MAX_CASES)
		return;
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", strrchr(path, '/') + 1);
	for (line = text; line != NULL && *line != '\0'; line = next) {
		char *colon;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (strcmp(line, "body:") == 0) {
			c->body_len = next != NULL ? len - (size_t)(next - text) : 0;
			c->body = malloc(c->body_len + 1);
			memcpy(c->body, next != NULL ? next : "", c->body_len);
			break;
		}
		if (line[0] == '#' || (colon = strchr(line, ':')) == NULL)
			continue;
		*colon++ = '\0';
		header(c, line, colon + strspn(colon, " "));
	}
	free(text);
	ncases++;
}

/* The case's container lookup: "REF IMAGE SRC..." lines. */
static int
lookup(void *arg, const char *ref, struct decide_mounts *out)
{
	const struct dcase *c = arg;
	char line[1024], *tok, *save;

	for (size_t i = 0; i < c->ncontainers; i++) {
		snprintf(line, sizeof(line), "%s", c->containers[i]);
		if ((tok = strtok_r(line, " ", &save)) == NULL || strcmp(tok, ref) != 0)
			continue;
		tok = strtok_r(NULL, " ", &save);
		if (tok != NULL && strcmp(tok, "-") != 0 && (out->image = strdup(tok)) == NULL)
			return -1;
		while ((tok = strtok_r(NULL, " ", &save)) != NULL)
			if (decide_mounts_add(out, tok) == -1)
				return -1;
		return 1;
	}
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Judge case c with dp (failures armed by the caller): 0 with the verdict and
 * sorted rule ids, or -1 when decide_eval reported ENOMEM (then denied). */
static int
judge(const struct decide_policy *dp, const struct dcase *c, int *allow, char *rules, size_t rsz)
{
	struct decide_request req = {0};
	struct decision d;
	const char *ids[64];
	size_t n;
	char *msg;
	json_t *v;
	int rc;

	req.method = c->method;
	req.uri = c->uri;
	req.user = c->user;
	req.body = c->body;
	req.body_len = c->body_len;
	req.has_body = c->body != NULL;
	req.content_type = c->ctype[0] != '\0' ? c->ctype : NULL;
	req.container = lookup;
	req.container_arg = (void *)c;
	rc = decide_eval(dp, &req, &d);
	*allow = d.allow;
	for (n = 0; n < d.nv && n < 64; n++)
		ids[n] = d.v[n].rule;
	qsort(ids, n, sizeof(ids[0]), cmp_str);
	rules[0] = '\0';
	for (size_t i = 0; i < n; i++)
		if (i == 0 || strcmp(ids[i], ids[i - 1]) != 0)
			snprintf(rules + strlen(rules), rsz - strlen(rules), " %s", ids[i]);
	/* What the callers build from a decision; NULL is their ENOMEM. */
	v = decision_violations_json(&d);
	msg = d.allow ? NULL : decision_deny_message(&d, 3, "0123456789abcdef");
	json_decref(v);
	free(msg);
	decision_clear(&d);
	return rc;
}

static struct decide_policy *
compile(const char *settings, json_t **eff)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/tests/cases/decisions/settings/%s", srcdir, settings);
	*eff = json_load_file(path, 0, NULL);
	CHECK(*eff != NULL);
	return *eff != NULL ? decide_policy_new(*eff) : NULL;
}

/* Every case judged by settings under the nth failure of decide_eval. */
static void
eval_failing(const struct decide_policy *dp, struct dcase *c)
{
	char rules[512];
	int allow;
	long n;

	for (n = 1;; n++) {
		arm(n);
		int rc = judge(dp, c, &allow, rules, sizeof(rules));
		disarm();
		total_runs++;
		if ((rc == -1 && allow) ||
		    (rc == 0 && (allow != c->allow || strcmp(rules, c->rules) != 0))) {
			check_failures++;
			fprintf(stderr, "not ok: %s: allocation %ld failing: rc %d, %s [%s]\n",
			        c->name, n, rc, allow ? "allow" : "deny", rules);
		}
		if (!failed)
			break;
	}
	check_count++;
}

/* A policy compiled under the nth failure is refused or judges every case of
 * its settings exactly as the real one. */
static void
compile_failing(const json_t *eff, const char *settings)
{
	char rules[512];
	int allow;
	long n;

	for (n = 1;; n++) {
		struct decide_policy *dp;

		arm(n);
		dp = decide_policy_new(eff);
		disarm();
		total_runs++;
		for (size_t i = 0; dp != NULL && i < ncases; i++) {
			if (strcmp(cases[i].settings, settings) != 0)
				continue;
			judge(dp, &cases[i], &allow, rules, sizeof(rules));
			if (allow != cases[i].allow || strcmp(rules, cases[i].rules) != 0) {
				check_failures++;
				fprintf(stderr,
				        "not ok: %s: a policy compiled with allocation %ld "
				        "failing gives %s [%s]\n",
				        cases[i].name, n, allow ? "allow" : "deny", rules);
			}
		}
		decide_policy_free(dp);
		if (!failed)
			break;
	}
	check_count++;
}

static void
test_decision_path(void)
{
	static const char *const settings[] = {"audit.json",      "eci.json",
	                                       "locked.json",     "locked-open.json",
	                                       "permissive.json", "strict.json"};
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/tests/cases/decisions", srcdir);
	each_file(dir, ".case", load_case);
	CHECK(ncases >= 60);
	for (size_t s = 0; s < sizeof(settings) / sizeof(settings[0]); s++) {
		json_t *eff;
		struct decide_policy *dp = compile(settings[s], &eff);

		CHECK(dp != NULL);
		for (size_t i = 0; dp != NULL && i < ncases; i++)
			if (strcmp(cases[i].settings, settings[s]) == 0)
				CHECK_INT_EQ(judge(dp, &cases[i], &cases[i].allow, cases[i].rules,
				                   sizeof(cases[i].rules)),
				             0);
		compile_failing(eff, settings[s]);
		for (size_t i = 0; dp != NULL && i < ncases; i++)
			if (strcmp(cases[i].settings, settings[s]) == 0)
				eval_failing(dp, &cases[i]);
		decide_policy_free(dp);
		json_decref(eff);
	}
	for (size_t i = 0; i < ncases; i++)
		free(cases[i].body);
}

int
main(void)
{
	const char *s = getenv("LOCKSET_SRCDIR");

	snprintf(srcdir, sizeof(srcdir), "%s", s != NULL ? s : "..");
	log_init(1, LOG_LVL_ERROR);
	json_set_alloc_funcs(json_fail_malloc, free);
	/* Parsed once for the life of the process: not what is tested here. */
	CHECK(policy_schema() != NULL);
	RUN(test_policy_load);
	printf("# policy load: %ld runs with one allocation failing\n", total_runs);
	total_runs = 0;
	RUN(test_decision_path);
	printf("# decision path: %ld runs with one allocation failing\n", total_runs);
	return CHECK_DONE();
}
