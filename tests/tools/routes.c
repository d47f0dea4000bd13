/* SPDX-License-Identifier: Apache-2.0 */
/* Print the route table, one route a line, for the role-matrix test:
 * "METHOD PATH MIN_ROLE LISTENER BODY" with every {param} filled with a
 * sample value, so a route added to routes.c is tested without anyone
 * remembering to. BODY is "json" when the route parses a JSON body. */
#include "auth.h"
#include "http.h"

#include <stdio.h>
#include <string.h>

static void
print_path(const char *p)
{
	while (*p != '\0') {
		if (*p == '{') {
			const char *end = strchr(p, '}');
			/* A harmless sample: a number for versions, a name for the rest. */
			fputs(strncmp(p, "{n}", 3) == 0 ? "999999" : "matrix-sample", stdout);
			p = end ? end + 1 : p + strlen(p);
		} else {
			putchar(*p++);
		}
	}
}

int
main(void)
{
	for (size_t i = 0; i < http_nroutes; i++) {
		const struct route *r = &http_routes[i];

		printf("%s ", r->method);
		print_path(r->path);
		printf(" %s %s %s\n", auth_role_name(r->min_role),
		       r->listener == LISTEN_AUTHZ ? "authz" : "api",
		       (r->flags & ROUTE_JSON_BODY) ? "json" : "none");
	}
	return 0;
}
