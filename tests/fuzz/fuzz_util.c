/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the fuzz targets (fuzz.h): the source tree, reading its
 * files once at start-up, splitting structured inputs. */
#include "fuzz.h"

#include "engine/decide.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *
fuzz_srcdir(void)
{
	const char *s = getenv("LOCKSET_SRCDIR");

	return s != NULL && s[0] != '\0' ? s : FUZZ_SRCDIR;
}

char *
fuzz_read_src(const char *rel, size_t *len)
{
	char path[4096];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", fuzz_srcdir(), rel);
	f = fopen(path, "rb");
	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "fuzz: cannot read %s\n", path);
		abort();
	}
	fclose(f);
	buf[n] = '\0';
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

int
fuzz_take_line(const uint8_t **data, size_t *size, char **line)
{
	const uint8_t *nl = memchr(*data, '\n', *size);
	size_t n;

	if (nl == NULL)
		return -1;
	n = (size_t)(nl - *data);
	*line = malloc(n + 1);
	if (*line == NULL)
		abort();
	memcpy(*line, *data, n);
	(*line)[n] = '\0';
	*data = nl + 1;
	*size -= n + 1;
	return 0;
}

static char tmpdir[4096];

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
remove_tmpdir(void)
{
	if (tmpdir[0] != '\0')
		nftw(tmpdir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *
fuzz_tmpdir(void)
{
	const char *base = getenv("TMPDIR");

	if (tmpdir[0] != '\0')
		return tmpdir;
	snprintf(tmpdir, sizeof(tmpdir), "%s/lockset-fuzz-XXXXXX",
	         base != NULL && base[0] != '\0' ? base : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		perror("fuzz: mkdtemp");
		abort();
	}
	atexit(remove_tmpdir);
	return tmpdir;
}

/* ------------------------------------------------------------------------ */
/* Judging against the decision cases' policies                             */

static const char *const settings_files[] = {"audit.json",       "eci.json",        "locked.json",
                                             "locked-open.json", "permissive.json", "strict.json"};
#define NSETTINGS (sizeof(settings_files) / sizeof(settings_files[0]))

static struct decide_policy *policies[NSETTINGS];
static int audit_mode[NSETTINGS];

static void
load_policies(void)
{
	char rel[256];
	size_t i;

	for (i = 0; i < NSETTINGS; i++) {
		json_t *eff;
		const char *mode;
		char *text;

		snprintf(rel, sizeof(rel), "tests/cases/decisions/settings/%s", settings_files[i]);
		text = fuzz_read_src(rel, NULL);
		eff = json_loads(text, 0, NULL);
		if (eff == NULL || (policies[i] = decide_policy_new(eff)) == NULL) {
			fprintf(stderr, "fuzz: cannot compile %s\n", rel);
			abort();
		}
		mode = json_string_value(
		    json_object_get(json_object_get(eff, "containerPolicy"), "mode"));
		audit_mode[i] = mode != NULL && strcmp(mode, "audit") == 0;
		json_decref(eff);
		free(text);
	}
}

static void
check_decision(const struct decision *d, int audit)
{
	char *msg;
	json_t *v;

	if ((!d->allow && d->nv == 0) || (audit && !d->allow) || (!audit && d->allow && d->nv > 0))
		abort();
	if (d->mode == NULL || d->route == NULL || d->action == NULL)
		abort();
	for (size_t i = 0; i < d->nv; i++)
		if (d->v[i].rule == NULL || d->v[i].field == NULL || d->v[i].value == NULL ||
		    d->v[i].flag == NULL || d->v[i].message == NULL)
			abort();
	v = decision_violations_json(d);
	if (v == NULL || json_array_size(v) != d->nv)
		abort();
	json_decref(v);
	if (!d->allow) {
		msg = decision_deny_message(d, 7, "0123456789abcdef0123456789abcdef");
		if (msg == NULL)
			abort();
		free(msg);
	}
}

void
fuzz_judge(const struct decide_request *req)
{
	size_t i;

	if (policies[0] == NULL)
		load_policies();
	for (i = 0; i < NSETTINGS; i++) {
		struct decision d;

		if (decide_eval(policies[i], req, &d) != 0)
			abort(); /* out of memory is not expected here */
		check_decision(&d, audit_mode[i]);
		decision_clear(&d);
	}
}
