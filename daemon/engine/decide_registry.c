/* SPDX-License-Identifier: Apache-2.0 */
/* allowedRegistries: the registry a request has dockerd talk to, named as
 * an image reference (a pull, a push, a service's image), a login's server
 * address or a search term, must be listed. */
#include <string.h>

#include "decide_int.h"

/* value names registry (normalised; NULL when it could not be read): refused
 * unless registry is listed. */
static void
judge_listed(struct ctx *c, const char *field, const char *flag, const char *value,
             const char *registry)
{
	const struct decide_policy *dp = c->dp;

	for (size_t i = 0; registry != NULL && i < dp->nregistries; i++)
		if (strcmp(registry, dp->registries[i]) == 0)
			return;
	decide_violate(c, "registry", field, value, flag,
	               "registry %s is not in the allowed registries (allowed: %s)",
	               registry != NULL ? registry : "(unparsable name)",
	               dp->registries_text[0] != '\0' ? dp->registries_text : "none");
}

void
decide_judge_registry(struct ctx *c, const char *field, const char *flag, const char *image)
{
	struct imageref ref;

	if (image[0] == '\0' || !c->dp->registries_restricted)
		return;
	judge_listed(c, field, flag, image, imageref_parse(image, &ref) == 0 ? ref.registry : NULL);
}

void
decide_judge_registry_at(struct ctx *c, const char *field, const char *flag, const char *value,
                         enum decide_registry_name how)
{
	char registry[256];
	int rc;

	if (!c->dp->registries_restricted)
		return;
	rc = how == DECIDE_REGISTRY_SERVER
	         ? imageref_server_registry(value, registry, sizeof(registry))
	         : imageref_search_registry(value, registry, sizeof(registry));
	judge_listed(c, field, flag, value, rc == 0 ? registry : NULL);
}
