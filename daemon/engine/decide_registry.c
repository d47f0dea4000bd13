/* SPDX-License-Identifier: Apache-2.0 */
/* allowedRegistries: the registry a request has dockerd talk to, named as
 * an image reference (a pull, a push, a service's image), a login's server
 * address or a search term, must be listed. */
#include <string.h>

#include "decide_int.h"

/* Whether registry (normalised) is listed. */
static int
registry_listed(const struct decide_policy *dp, const char *registry)
{
	for (size_t i = 0; i < dp->nregistries; i++)
		if (strcmp(registry, dp->registries[i]) == 0)
			return 1;
	return 0;
}

void
decide_judge_registry(struct ctx *c, const char *field, const char *flag, const char *image)
{
	const struct decide_policy *dp = c->dp;
	struct imageref ref;

	if (image[0] == '\0' || !dp->registries_restricted)
		return;
	if (imageref_parse(image, &ref) == 0 && registry_listed(dp, ref.registry))
		return;
	decide_violate(c, "registry", field, image, flag,
	               "registry %s is not in the allowed registries (allowed: %s)",
	               ref.registry[0] != '\0' ? ref.registry : "(unparsable reference)",
	               dp->registries_text[0] != '\0' ? dp->registries_text : "none");
}

void
decide_judge_registry_at(struct ctx *c, const char *field, const char *flag, const char *value,
                         enum decide_registry_name how)
{
	const struct decide_policy *dp = c->dp;
	char registry[256];
	int ok;

	if (!dp->registries_restricted)
		return;
	ok = how == DECIDE_REGISTRY_SERVER
	         ? imageref_server_registry(value, registry, sizeof(registry))
	         : imageref_search_registry(value, registry, sizeof(registry));
	if (ok == 0 && registry_listed(dp, registry))
		return;
	decide_violate(c, "registry", field, value, flag,
	               "registry %s is not in the allowed registries (allowed: %s)",
	               ok == 0 ? registry : "(unparsable address)",
	               dp->registries_text[0] != '\0' ? dp->registries_text : "none");
}
