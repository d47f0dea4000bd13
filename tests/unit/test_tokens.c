/* SPDX-License-Identifier: Apache-2.0 */
/* API tokens against a real SQLite database, on a clock the test sets:
 * expiry, revocation, and the failure window that never refuses a valid
 * secret. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "store/db.h"
#include "http/tokens.h"

static char dir[] = "/tmp/lockset-tokens-XXXXXX";
static char path[4200];

static enum role
verify(const char *secret, const char *addr, time_t now, int *limited)
{
	char name[80];
	long long expires = 0;

	*limited = 0;
	return tokens_verify_at(secret, addr, now, name, sizeof(name), &expires, limited);
}

static void
test_token_expires_on_the_clock(void)
{
	struct problems errs = PROBLEMS_INIT;
	char *secret = NULL;
	time_t now = time(NULL);
	int limited;

	CHECK_INT_EQ(tokens_create("short", ROLE_AUDITOR, 60, "test", &secret, &errs), 0);
	CHECK(secret != NULL);
	CHECK_INT_EQ(verify(secret, "127.0.0.1", now, &limited), ROLE_AUDITOR);
	CHECK_INT_EQ(verify(secret, "127.0.0.1", now + 59, &limited), ROLE_AUDITOR);
	CHECK_INT_EQ(verify(secret, "127.0.0.1", now + 61, &limited), ROLE_NONE);
	free(secret);
	problems_clear(&errs);
}

static void
test_revoked_token_fails_at_once(void)
{
	struct problems errs = PROBLEMS_INIT;
	char *secret = NULL;
	int limited;

	CHECK_INT_EQ(tokens_create("gone", ROLE_RUNTIME, 0, "test", &secret, &errs), 0);
	CHECK_INT_EQ(verify(secret, "127.0.0.2", time(NULL), &limited), ROLE_RUNTIME);
	CHECK_INT_EQ(tokens_revoke("gone"), 0);
	CHECK_INT_EQ(verify(secret, "127.0.0.2", time(NULL), &limited), ROLE_NONE);
	CHECK_INT_EQ(tokens_revoke("gone"), 1);
	free(secret);
	problems_clear(&errs);
}

/* Ten failures from one address within the window limit its further
 * failures, never a correct secret; the window passes on the clock. */
static void
test_failure_window_limits_failures_not_valid_secrets(void)
{
	struct problems errs = PROBLEMS_INIT;
	char *secret = NULL;
	time_t now = time(NULL);
	int limited = 0, i;

	CHECK_INT_EQ(tokens_create("valid", ROLE_ADMIN, 0, "test", &secret, &errs), 0);
	for (i = 0; i < 10; i++)
		CHECK_INT_EQ(verify("lst_wrong", "10.9.9.9", now, &limited), ROLE_NONE);
	CHECK_INT_EQ(limited, 0);
	CHECK_INT_EQ(verify("lst_wrong", "10.9.9.9", now, &limited), ROLE_NONE);
	CHECK_INT_EQ(limited, 1);
	CHECK_INT_EQ(verify(secret, "10.9.9.9", now, &limited), ROLE_ADMIN);
	CHECK_INT_EQ(verify("lst_wrong", "10.9.9.9", now + 120, &limited), ROLE_NONE);
	CHECK_INT_EQ(limited, 0);
	free(secret);
	problems_clear(&errs);
}

int
main(void)
{
	struct db *d;
	char *err = NULL;

	if (mkdtemp(dir) == NULL)
		return 99;
	snprintf(path, sizeof(path), "%s/lockset.db", dir);
	d = db_open(path, NULL, &err);
	if (d == NULL || tokens_open(d, NULL, &err) != 0) {
		fprintf(stderr, "cannot open the database: %s\n", err ? err : "?");
		return 99;
	}
	RUN(test_token_expires_on_the_clock);
	RUN(test_revoked_token_fails_at_once);
	RUN(test_failure_window_limits_failures_not_valid_secrets);
	tokens_close();
	db_close(d);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return CHECK_DONE();
}
