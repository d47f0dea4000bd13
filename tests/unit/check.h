/* SPDX-License-Identifier: Apache-2.0 */
/* Minimal unit-test support: TAP-like "ok"/"not ok" lines, a failure count,
 * and exit status 0 only when every check passed. */
#ifndef LOCKSET_CHECK_H
#define LOCKSET_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                                        \
	do {                                                                               \
		check_count++;                                                             \
		if (!(cond)) {                                                             \
			check_failures++;                                                  \
			fprintf(stderr, "not ok: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                          \
	} while (0)

#define CHECK_INT_EQ(a, b)                                                                    \
	do {                                                                                  \
		long long check_a_ = (long long)(a), check_b_ = (long long)(b);               \
		check_count++;                                                                \
		if (check_a_ != check_b_) {                                                   \
			check_failures++;                                                     \
			fprintf(stderr, "not ok: %s:%d: %s == %s (%lld != %lld)\n", __FILE__, \
			        __LINE__, #a, #b, check_a_, check_b_);                        \
		}                                                                             \
	} while (0)

#define CHECK_STR_EQ(a, b)                                                                        \
	do {                                                                                      \
		const char *check_a_ = (a), *check_b_ = (b);                                      \
		check_count++;                                                                    \
		if (check_a_ == NULL || check_b_ == NULL || strcmp(check_a_, check_b_) != 0) {    \
			check_failures++;                                                         \
			fprintf(stderr, "not ok: %s:%d: %s == %s (\"%s\" != \"%s\")\n", __FILE__, \
			        __LINE__, #a, #b, check_a_ ? check_a_ : "(null)",                 \
			        check_b_ ? check_b_ : "(null)");                                  \
		}                                                                                 \
	} while (0)

/* Run one test function and report it by name. */
#define RUN(test)                                                                            \
	do {                                                                                 \
		int check_before_ = check_failures;                                          \
		test();                                                                      \
		printf("%s %s\n", check_failures == check_before_ ? "ok" : "not ok", #test); \
	} while (0)

#define CHECK_DONE() \
	(printf("# %d checks, %d failed\n", check_count, check_failures), check_failures ? 1 : 0)

#endif
