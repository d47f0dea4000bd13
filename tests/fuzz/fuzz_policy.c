/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the policy document (policy.h) end to end. The input is
 * parsed and validated as an org policy; a valid one is merged into effective
 * settings (settings.h), alone and as a per-user policy over the bundled
 * example, and compiled into a decision policy (decide.h). Any JSON object is
 * also applied as a user's preferences over the example, as PUT
 * /v1/users/{user}/settings would. */
#include "fuzz.h"

#include "engine/decide.h"
#include "policy/policy.h"
#include "policy/settings.h"

#include <stdlib.h>

static const char *const homes[] = {"/home/alice"};
static const struct settings_env env = {homes, 1, "/tmp", "/tmp"};
static json_t *example; /* the bundled example policy, valid */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct problems errs = PROBLEMS_INIT;
	size_t len;
	char *text = fuzz_read_src("schema/examples/admin-settings.json", &len);

	example = policy_parse(text, len, &errs, NULL);
	if (example == NULL || policy_schema() == NULL)
		abort();
	free(text);
	problems_clear(&errs);
	return 0;
}

/* Effective settings must exist and compile for any valid layering. */
static void
effective_compiles(const json_t *org, const json_t *user_policy, const json_t *prefs)
{
	json_t *eff = settings_effective(org, user_policy, prefs, &env), *locked;
	struct decide_policy *dp;

	if (eff == NULL || (dp = decide_policy_new(eff)) == NULL)
		abort();
	decide_policy_free(dp);
	json_decref(eff);
	locked = settings_locked_keys(org, user_policy, prefs);
	if (locked == NULL)
		abort();
	json_decref(locked);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct problems errs = PROBLEMS_INIT, warns = PROBLEMS_INIT;
	json_t *doc, *prefs;

	doc = policy_parse((const char *)data, size, &errs, &warns);
	if ((doc == NULL) != (errs.n > 0))
		abort();
	if (doc != NULL) {
		if (policy_validate(doc, &errs, NULL) != 0)
			abort(); /* parse accepted what validation refuses */
		effective_compiles(doc, NULL, NULL);
		effective_compiles(example, doc, NULL);
	}
	prefs = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (json_is_object(prefs))
		effective_compiles(example, NULL, prefs);
	json_decref(prefs);
	json_decref(doc);
	problems_clear(&errs);
	problems_clear(&warns);
	return 0;
}
