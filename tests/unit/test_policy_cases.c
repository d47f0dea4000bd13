/* SPDX-License-Identifier: Apache-2.0 */
/* Data-driven policy tests: every file under tests/cases/policy/{invalid,valid}
 * is parsed and its problems (and, for valid files, effective settings) are
 * compared with its .expected sibling; the format is in that directory's README.
 * Also pins policy_check_file and policy_load_file on real files. */
#include "build-config.h"

#include "check.h"
#include "policy/jsonschema.h"
#include "policy/policy.h"
#include "policy/settings.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIN_INVALID_CASES 30

static const char *const alice_home[] = {"/home/alice"};
static const struct settings_env fixed_env = {alice_home, 1, "/tmp", "/tmp"};
static char casedir[1024];

static char *
read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL) {
		*len = fread(buf, 1, (size_t)n, f);
		buf[*len] = '\0';
	}
	fclose(f);
	return buf;
}

/* One line of a .expected file, split in place. */
struct expect {
	char *kind;    /* error, warning, effective, locked-keys */
	char *pointer; /* "" for the document */
	int line, col; /* -1 when not given */
	char *rest;    /* message fragment or JSON text */
};

static char *
next_token(char **s)
{
	char *t;

	while (**s == ' ' || **s == '\t')
		(*s)++;
	t = *s;
	while (**s != '\0' && **s != ' ' && **s != '\t')
		(*s)++;
	if (**s != '\0')
		*(*s)++ = '\0';
	return t;
}

static void
parse_expect(char *line, struct expect *e)
{
	char *save;
	int l, c, n = 0;

	e->kind = next_token(&line);
	e->line = e->col = -1;
	if (strcmp(e->kind, "locked-keys") == 0) {
		e->pointer = (char *)"";
	} else {
		e->pointer = next_token(&line);
		if (strcmp(e->pointer, "\"\"") == 0)
			e->pointer = (char *)"";
	}
	save = line;
	if (strcmp(e->kind, "error") == 0 || strcmp(e->kind, "warning") == 0) {
		char *t = next_token(&line);
		if (sscanf(t, "%d:%d%n", &l, &c, &n) == 2 && t[n] == '\0') {
			e->line = l;
			e->col = c;
		} else {
			line = save;
			if (*t != '\0' && line != t)
				t[strlen(t)] = ' '; /* undo the split */
		}
	}
	while (*line == ' ' || *line == '\t')
		line++;
	e->rest = line;
}

static void
print_problems(const char *name, const char *kind, const struct problems *p)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct problem *q = &p->v[i];
		fprintf(stderr, "  %s: %s %s", name, kind, q->path[0] ? q->path : "\"\"");
		if (q->line > 0)
			fprintf(stderr, " %d:%d", q->line, q->column);
		fprintf(stderr, " %s\n", q->message);
	}
}

/* Does problem number *next match e? Advances *next. */
static int
match_problem(const struct problems *p, size_t *next, const struct expect *e)
{
	const struct problem *q;

	if (*next >= p->n)
		return 0;
	q = &p->v[(*next)++];
	if (strcmp(q->path, e->pointer) != 0)
		return 0;
	if (e->line >= 0 ? (q->line != e->line || q->column != e->col) : q->line != 0)
		return 0;
	return strstr(q->message, e->rest) != NULL;
}

static int
check_effective(const char *name, const json_t *eff, const struct expect *e)
{
	json_t *want = json_loads(e->rest, JSON_DECODE_ANY, NULL);
	const json_t *got = jsonschema_pointer_get(eff, e->pointer);
	int ok = want != NULL && got != NULL && json_equal(want, (json_t *)got);

	if (!ok) {
		char *g = got ? json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
		fprintf(stderr, "  %s: effective %s: want %s, got %s\n", name, e->pointer, e->rest,
		        g ? g : "(missing)");
		free(g);
	}
	json_decref(want);
	return ok;
}

static json_t *
load_sibling(const char *base, const char *suffix, int as_policy)
{
	char path[1700];
	size_t len;
	char *buf;
	json_t *doc;
	struct problems errs = PROBLEMS_INIT;

	snprintf(path, sizeof(path), "%s%s", base, suffix);
	if ((buf = read_all(path, &len)) == NULL)
		return NULL;
	doc = as_policy ? policy_parse(buf, len, &errs, NULL) : json_loadb(buf, len, 0, NULL);
	if (doc == NULL) {
		fprintf(stderr, "  %s: does not load\n", path);
		print_problems(path, "error", &errs);
		check_failures++;
	}
	problems_clear(&errs);
	free(buf);
	return doc;
}

/* The effective settings (eff, borrowed) come out the same when computed again. */
static int
check_deterministic(const char *file, const json_t *doc, const json_t *up, const json_t *prefs,
                    const json_t *eff)
{
	json_t *eff2 = settings_effective(doc, up, prefs, &fixed_env);
	char *d1 = json_dumps(eff, JSON_COMPACT), *d2 = json_dumps(eff2, JSON_COMPACT);
	int same = d1 != NULL && d2 != NULL && strcmp(d1, d2) == 0;

	if (!same)
		fprintf(stderr, "  %s: effective settings are not deterministic\n", file);
	free(d1);
	free(d2);
	json_decref(eff2);
	return same;
}

/* A "locked-keys" line: the locked keys are exactly the JSON in e->rest. */
static int
check_locked_keys(const char *file, const json_t *doc, const json_t *up, const json_t *prefs,
                  const struct expect *e)
{
	json_t *want = json_loads(e->rest, 0, NULL);
	json_t *got = settings_locked_keys(doc, up, prefs);
	int same = want != NULL && got != NULL && json_equal(want, got);

	if (!same) {
		char *g = got ? json_dumps(got, JSON_COMPACT) : NULL;
		fprintf(stderr, "  %s: locked-keys: want %s, got %s\n", file, e->rest,
		        g ? g : "(null)");
		free(g);
	}
	json_decref(want);
	json_decref(got);
	return same;
}

/* Run one case; returns 1 when everything matched. */
static int
run_case(const char *dir, const char *file, int valid)
{
	char path[1600], base[1500];
	struct problems errs = PROBLEMS_INIT, warns = PROBLEMS_INIT;
	json_t *doc = NULL, *up = NULL, *prefs = NULL, *eff = NULL;
	char *input = NULL, *expected = NULL, *line, *saveptr = NULL;
	size_t len = 0, elen, nerr = 0, nwarn = 0;
	int ok = 1;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	snprintf(base, sizeof(base), "%s/%.*s", dir, (int)(strlen(file) - 5), file);
	input = read_all(path, &len);
	snprintf(path, sizeof(path), "%s.expected", base);
	expected = read_all(path, &elen);
	if (input == NULL || expected == NULL) {
		fprintf(stderr, "  %s: missing input or .expected file\n", file);
		ok = 0;
		goto out;
	}
	doc = policy_parse(input, len, &errs, &warns);
	if ((doc != NULL) != valid) {
		fprintf(stderr, "  %s: expected %s\n", file, valid ? "valid" : "invalid");
		ok = 0;
	}
	if (doc != NULL) {
		up = load_sibling(base, ".user-policy.json", 1);
		prefs = load_sibling(base, ".prefs.json", 0);
		eff = settings_effective(doc, up, prefs, &fixed_env);
		ok &= check_deterministic(file, doc, up, prefs, eff);
	}
	for (line = strtok_r(expected, "\n", &saveptr); line != NULL;
	     line = strtok_r(NULL, "\n", &saveptr)) {
		struct expect e;

		if (line[0] == '#' || line[strspn(line, " \t\r")] == '\0')
			continue;
		parse_expect(line, &e);
		if (strcmp(e.kind, "error") == 0) {
			ok &= match_problem(&errs, &nerr, &e);
		} else if (strcmp(e.kind, "warning") == 0) {
			ok &= match_problem(&warns, &nwarn, &e);
		} else if (strcmp(e.kind, "effective") == 0) {
			ok &= eff != NULL && check_effective(file, eff, &e);
		} else if (strcmp(e.kind, "locked-keys") == 0) {
			ok &= check_locked_keys(file, doc, up, prefs, &e);
		} else {
			fprintf(stderr, "  %s: bad line in .expected: %s\n", file, e.kind);
			ok = 0;
		}
	}
	if (nerr != errs.n || nwarn != warns.n)
		ok = 0;
	if (!ok || getenv("LOCKSET_CASES_PRINT") != NULL) {
		fprintf(stderr, "%s %s: actual problems:\n", ok ? "#" : "MISMATCH", file);
		print_problems(file, "error", &errs);
		print_problems(file, "warning", &warns);
	}
out:
	json_decref(eff);
	json_decref(doc);
	json_decref(up);
	json_decref(prefs);
	problems_clear(&errs);
	problems_clear(&warns);
	free(input);
	free(expected);
	return ok;
}

static int
is_case(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 5 && strcmp(d->d_name + n - 5, ".json") == 0 &&
	       (n < 17 || strcmp(d->d_name + n - 17, ".user-policy.json") != 0) &&
	       (n < 11 || strcmp(d->d_name + n - 11, ".prefs.json") != 0);
}

/* Runs every case in sub; returns how many there were. */
static int
run_dir(const char *sub, int valid)
{
	char dir[1100];
	struct dirent **names = NULL;
	int n;

	snprintf(dir, sizeof(dir), "%s/%s", casedir, sub);
	n = scandir(dir, &names, is_case, alphasort);
	if (n < 0) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		check_failures++;
		return 0;
	}
	for (int i = 0; i < n; i++) {
		check_count++;
		if (!run_case(dir, names[i]->d_name, valid)) {
			check_failures++;
			printf("not ok %s/%s\n", sub, names[i]->d_name);
		}
		free(names[i]);
	}
	free(names);
	return n;
}

static void
test_invalid_cases_report_exact_problems(void)
{
	int n = run_dir("invalid", 0);

	printf("# %d invalid cases\n", n);
	CHECK(n >= MIN_INVALID_CASES);
}

static void
test_valid_cases_give_expected_effective_settings(void)
{
	int n = run_dir("valid", 1);

	printf("# %d valid cases\n", n);
	CHECK(n >= 4);
}

/* ---------------------------------------------------------------------------
 * Files on disk */

static char tmpdir[64];

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
	chmod(path, mode);
}

static const char *
first_message(const struct problems *p)
{
	return p->n > 0 ? p->v[0].message : "";
}

static void
test_check_file_accepts_own_file_in_private_dir(void)
{
	char path[128];
	struct problems errs = PROBLEMS_INIT;

	snprintf(path, sizeof(path), "%s/ok.json", tmpdir);
	write_file(path, "{\"configurationFileVersion\": 2}", 0644);
	CHECK_INT_EQ(policy_check_file(path, &errs), 0);
	CHECK_INT_EQ(errs.n, 0);
	problems_clear(&errs);
}

static void
test_check_file_refuses_group_or_world_writable(void)
{
	char path[128], want[256];
	struct problems errs = PROBLEMS_INIT;

	snprintf(path, sizeof(path), "%s/ww.json", tmpdir);
	write_file(path, "{\"configurationFileVersion\": 2}", 0666);
	CHECK_INT_EQ(policy_check_file(path, &errs), -1);
	CHECK_INT_EQ(errs.n, 1);
	snprintf(want, sizeof(want), "%s: owned by uid %u (", path, (unsigned)geteuid());
	CHECK(strncmp(first_message(&errs), want, strlen(want)) == 0);
	CHECK(strstr(first_message(&errs), "), mode 0666: must be owned by root") != NULL);
	CHECK(strstr(first_message(&errs), "not writable by group or others") != NULL);
	problems_clear(&errs);
	chmod(path, 0620);
	CHECK_INT_EQ(policy_check_file(path, &errs), -1);
	CHECK(strstr(first_message(&errs), "mode 0620") != NULL);
	problems_clear(&errs);
}

static void
test_check_file_refuses_foreign_owner(void)
{
	char path[128];
	struct problems errs = PROBLEMS_INIT;

	if (geteuid() != 0) {
		printf("# skipped: needs root to chown\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/foreign.json", tmpdir);
	write_file(path, "{\"configurationFileVersion\": 2}", 0644);
	CHECK_INT_EQ(chown(path, 1000, 1000), 0);
	CHECK_INT_EQ(policy_check_file(path, &errs), -1);
	CHECK(strstr(first_message(&errs), ": owned by uid 1000 (") != NULL);
	CHECK(strstr(first_message(&errs), "mode 0644: must be owned by root and not writable") !=
	      NULL);
	problems_clear(&errs);
}

static void
test_check_file_refuses_symlink_and_non_regular(void)
{
	char path[128], link[128];
	struct problems errs = PROBLEMS_INIT;

	snprintf(path, sizeof(path), "%s/ok.json", tmpdir);
	snprintf(link, sizeof(link), "%s/link.json", tmpdir);
	CHECK_INT_EQ(symlink(path, link), 0);
	CHECK_INT_EQ(policy_check_file(link, &errs), -1);
	CHECK(strstr(first_message(&errs), "symbolic link") != NULL);
	problems_clear(&errs);
	CHECK_INT_EQ(policy_check_file(tmpdir, &errs), -1);
	CHECK(strstr(first_message(&errs), "not a regular file") != NULL);
	problems_clear(&errs);
	snprintf(path, sizeof(path), "%s/absent.json", tmpdir);
	CHECK_INT_EQ(policy_check_file(path, &errs), -1);
	CHECK(strstr(first_message(&errs), "No such file") != NULL);
	problems_clear(&errs);
}

static void
test_check_file_refuses_writable_or_sticky_directory(void)
{
	char dir[128], path[160];
	struct problems errs = PROBLEMS_INIT;

	snprintf(dir, sizeof(dir), "%s/shared", tmpdir);
	snprintf(path, sizeof(path), "%s/p.json", dir);
	CHECK_INT_EQ(mkdir(dir, 0755), 0);
	write_file(path, "{\"configurationFileVersion\": 2}", 0644);
	chmod(dir, 01777);
	CHECK_INT_EQ(policy_check_file(path, &errs), -1);
	CHECK(strstr(first_message(&errs), "directory owned by uid") != NULL);
	CHECK(strstr(first_message(&errs), "mode 01777") != NULL);
	CHECK(strstr(first_message(&errs), "sticky") != NULL);
	problems_clear(&errs);
	chmod(dir, 0775);
	CHECK_INT_EQ(policy_check_file(path, &errs), -1);
	CHECK(strstr(first_message(&errs), "mode 0775") != NULL);
	problems_clear(&errs);
	chmod(dir, 0755);
	CHECK_INT_EQ(policy_check_file(path, &errs), 0);
	problems_clear(&errs);
}

static void
test_load_file_parses_and_caps_size(void)
{
	char path[128];
	struct problems errs = PROBLEMS_INIT, warns = PROBLEMS_INIT;
	json_t *doc;
	char *big;
	FILE *f;

	snprintf(path, sizeof(path), "%s/ok.json", tmpdir);
	doc = policy_load_file(path, &errs, &warns);
	CHECK(doc != NULL);
	CHECK_INT_EQ(json_integer_value(json_object_get(doc, "configurationFileVersion")), 2);
	json_decref(doc);

	snprintf(path, sizeof(path), "%s/big.json", tmpdir);
	big = malloc(POLICY_MAX_FILE + 2);
	if (big == NULL)
		return;
	memset(big, ' ', POLICY_MAX_FILE + 1);
	memcpy(big, "{\"configurationFileVersion\": 2}", 31);
	f = fopen(path, "w");
	if (f != NULL) {
		fwrite(big, 1, POLICY_MAX_FILE + 1, f);
		fclose(f);
	}
	free(big);
	doc = policy_load_file(path, &errs, &warns);
	CHECK(doc == NULL);
	CHECK(strstr(first_message(&errs), "larger than the 1048576 byte (1 MiB) limit") != NULL);
	problems_clear(&errs);
	problems_clear(&warns);
}

static void
test_validate_reports_every_error_of_a_parsed_document(void)
{
	struct problems errs = PROBLEMS_INIT, warns = PROBLEMS_INIT;
	json_t *doc =
	    json_pack("{s:i, s:{s:s}, s:{s:s}, s:i}", "configurationFileVersion", 2, "proxy",
	              "mode", "auto", "containerPolicy", "mode", "loud", "newKey", 1);

	CHECK_INT_EQ(policy_validate(doc, &errs, &warns), -1);
	CHECK_INT_EQ(errs.n, 2);
	CHECK_INT_EQ(warns.n, 1);
	if (errs.n == 2 && warns.n == 1) {
		CHECK_STR_EQ(errs.v[0].path, "/proxy/mode");
		CHECK_STR_EQ(errs.v[0].message,
		             "expected one of \"system\", \"manual\"; found \"auto\"");
		CHECK_STR_EQ(errs.v[1].path, "/containerPolicy/mode");
		CHECK_STR_EQ(warns.v[0].path, "/newKey");
	}
	problems_clear(&errs);
	problems_clear(&warns);
	json_decref(doc);
	doc = json_pack("{s:i}", "configurationFileVersion", 2);
	CHECK_INT_EQ(policy_validate(doc, &errs, NULL), 0);
	json_decref(doc);
	problems_clear(&errs);
}

static void
remove_tree(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

int
main(void)
{
	const char *src = getenv("LOCKSET_SRCDIR");

	snprintf(casedir, sizeof(casedir), "%s/tests/cases/policy", src ? src : ".");
	RUN(test_invalid_cases_report_exact_problems);
	RUN(test_valid_cases_give_expected_effective_settings);
	RUN(test_validate_reports_every_error_of_a_parsed_document);

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/lockset-policy-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_check_file_accepts_own_file_in_private_dir);
	RUN(test_check_file_refuses_group_or_world_writable);
	RUN(test_check_file_refuses_foreign_owner);
	RUN(test_check_file_refuses_symlink_and_non_regular);
	RUN(test_check_file_refuses_writable_or_sticky_directory);
	RUN(test_load_file_parses_and_caps_size);
	remove_tree();
	return CHECK_DONE();
}
