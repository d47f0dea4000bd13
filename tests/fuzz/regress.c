/* SPDX-License-Identifier: Apache-2.0 */
/* Replays a fuzz target's committed inputs without libFuzzer, under the
 * normal build, so that `make check` keeps every crash found fixed: each file
 * in tests/fuzz/regressions/TARGET/ and tests/fuzz/seeds/TARGET/ is fed to
 * LLVMFuzzerTestOneInput once (FUZZ_ALSO names a target whose inputs have
 * the same format and are replayed too). Extra arguments name further files.
 * A crash, a sanitizer report or an abort() in the target fails the test. */
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* LLVMFuzzerInitialize is optional for libFuzzer; a target without one gets
 * this weak default. */
__attribute__((weak)) int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

static int
replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "not ok: cannot read %s\n", path);
		if (f != NULL)
			fclose(f);
		return -1;
	}
	fclose(f);
	/* An exact-size copy, so an over-read is a sanitizer report. */
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replay every regular file of dir (sorted); returns how many, -1 on error. */
static long
replay_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL, path[4096];
	size_t n = 0, cap = 0, i;
	long done = 0;

	if (d == NULL)
		return 0; /* no inputs of this kind yet */
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap &&
		    (names = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof(*names))) == NULL)
			abort();
		if ((names[n++] = strdup(e->d_name)) == NULL)
			abort();
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		struct stat st;

		if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= (int)sizeof(path)) {
			fprintf(stderr, "not ok: path too long: %s/%s\n", dir, names[i]);
			done = -1;
		} else if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(path) != 0)
				done = -1;
			else if (done >= 0)
				done++;
		}
		free(names[i]);
	}
	free(names);
	return done;
}

int
main(int argc, char **argv)
{
	const char *kinds[] = {"regressions", "seeds"};
#ifdef FUZZ_ALSO
	const char *targets[] = {FUZZ_TARGET, FUZZ_ALSO};
#else
	const char *targets[] = {FUZZ_TARGET};
#endif
	char dir[4096];
	long total = 0, n;
	size_t k, t;

	LLVMFuzzerInitialize(&argc, &argv);
	for (t = 0; t < sizeof(targets) / sizeof(targets[0]); t++)
		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			snprintf(dir, sizeof(dir), "%s/tests/fuzz/%s/%s", fuzz_srcdir(), kinds[k],
			         targets[t]);
			if ((n = replay_dir(dir)) < 0)
				return 1;
			printf("ok %ld %s inputs of %s\n", n, kinds[k], targets[t]);
			total += n;
		}
	for (int i = 1; i < argc; i++) {
		if (replay_file(argv[i]) != 0)
			return 1;
		total++;
	}
	printf("# %ld inputs replayed through %s\n", total, FUZZ_TARGET);
	return 0;
}
