/* SPDX-License-Identifier: Apache-2.0 */
/* Print the route table, one route a line, for the tests generated from it:
 * "METHOD PATH MIN_ROLE LISTENER BODY" with every {param} filled with a
 * sample value (the role matrix), so a route added to routes.c is tested
 * without anyone remembering to. BODY is "json" when the route parses a JSON
 * body, "raw" when it reads one unparsed. With --patterns the paths are
 * printed as written in the table ("/v1/tokens/{name}"), for the check that
 * the route table and schema/openapi.json agree; --errors prints the error
 * vocabulary instead, "CODE STATUS" a line. */
#include "http/auth.h"
#include "http/http.h"
#include "http/reply.h"

#include <stdio.h>
#include <string.h>

static void
print_path(const char *p, int patterns)
{
	if (patterns) {
		fputs(p, stdout);
		return;
	}
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

static const char *
body_kind(unsigned flags, int patterns)
{
	if (flags & ROUTE_JSON_BODY)
		return "json";
	return (patterns && (flags & ROUTE_RAW_BODY)) ? "raw" : "none";
}

int
main(int argc, char **argv)
{
	int patterns = argc > 1 && strcmp(argv[1], "--patterns") == 0;

	if (argc > 1 && strcmp(argv[1], "--errors") == 0) {
		for (int c = 0; c <= (int)ERR_AUDIT_UNAVAILABLE; c++)
			printf("%s %u\n", reply_error_name((enum error_code)c),
			       reply_error_status((enum error_code)c));
		return 0;
	}
	for (size_t i = 0; i < http_nroutes; i++) {
		const struct route *r = &http_routes[i];

		printf("%s ", r->method);
		print_path(r->path, patterns);
		printf(" %s %s %s\n", auth_role_name(r->min_role),
		       r->listener == LISTEN_AUTHZ ? "authz" : "api",
		       body_kind(r->flags, patterns));
	}
	return 0;
}
