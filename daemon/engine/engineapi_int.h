/* SPDX-License-Identifier: Apache-2.0 */
/* The Engine API route inventory (engineapi_inventory.c), shared by the
 * classifier (engineapi_route.c) and the test that holds it against moby's
 * API documents. Not for other modules: they use engineapi_classify. */
#ifndef LOCKSET_ENGINEAPI_INT_H
#define LOCKSET_ENGINEAPI_INT_H

#include <stddef.h>

#include "engineapi.h"

/* One (method, path) dockerd serves. pattern is spelled as the API documents
 * spell it ("/images/{name}/tag"); a {param} matches one path segment, or,
 * when wide, one or more characters including '/' (dockerd's {name:.*}); a
 * wide parameter is the last one and only literal text follows it. */
struct engineapi_entry {
	const char *method;
	const char *pattern;
	enum engineapi_route route;
	enum engineapi_class klass;
	const char *command; /* deniedCommands vocabulary id, or NULL */
	unsigned char form;  /* the handler reads r.Form (see engineapi_target) */
	unsigned char wide;
};

/* Entry i of the inventory, in match order; NULL past the last one. */
const struct engineapi_entry *engineapi_inventory_at(size_t i);

/* The first entry, in dockerd's router order, whose method equals method and
 * whose pattern matches path (decoded, cleaned, without its version prefix),
 * or NULL. On a match with a path parameter, path is cut (in place) after the
 * first parameter and *id points at it; otherwise *id is NULL. */
const struct engineapi_entry *engineapi_inventory_match(const char *method, char *path,
                                                        const char **id);

#endif
