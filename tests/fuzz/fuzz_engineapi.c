/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the Engine API request analyser (engineapi.h) and the
 * decision engine behind it (decide.h). An input is
 *   METHOD '\n' URI '\n' CONTENT-TYPE '\n' BODY
 * (no third newline: no body forwarded; an empty CONTENT-TYPE: none). The
 * route, the query and the body's facts are read (a create's flags as a
 * record keeps them, read back), then the request is judged
 * against every decision-case policy with the lookups left out (every
 * container and network unknown). */
#include "fuzz.h"

#include "engine/decide.h"
#include "engine/engineapi.h"

#include <stdlib.h>
#include <string.h>

static const char *const query_keys[] = {"fromImage", "fromSrc", "networkmode", "remote", "t"};

static void
analyse(const char *method, const char *uri, const char *body, size_t len)
{
	struct engineapi_target t;
	struct engineapi_facts f;
	char buf[256];
	size_t i;

	if (engineapi_classify(method, uri, &t) != 0)
		abort();
	if (engineapi_route_name(t.route) == NULL)
		abort();
	for (i = 0; t.query != NULL && i < sizeof(query_keys) / sizeof(query_keys[0]); i++) {
		const char *cur = t.query;
		int guard = 0;

		while (engineapi_query_next(&cur, query_keys[i], buf, sizeof(buf)))
			if (strlen(buf) >= sizeof(buf) || ++guard > 100000)
				abort();
	}
	engineapi_facts_init(&f);
	if (body != NULL) {
		if (engineapi_facts_parse(&f, t.route, body, len) != 0)
			abort();
		for (i = 0; i < f.n; i++) {
			if (f.v[i].value == NULL)
				abort();
			engineapi_fact_field(&f.v[i], buf, sizeof(buf));
		}
	}
	engineapi_facts_clear(&f);
	/* What a record keeps of a create (decide_flags.c) reads back as such,
	 * whatever the body: else every such record would be malformed. */
	if (body != NULL && t.route == ENGINEAPI_CONTAINER_CREATE) {
		char *flags = NULL;

		if (decide_container_flags(body, len, (enum decide_cgroupns)(len % 3), &flags) ==
		        0 &&
		    (flags == NULL || !decide_flags_valid(flags)))
			abort();
		free(flags);
	}
	engineapi_target_clear(&t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *method = NULL, *uri = NULL, *ctype = NULL, *body;
	struct decide_request req = {0};

	if (fuzz_take_line(&data, &size, &method) != 0 || fuzz_take_line(&data, &size, &uri) != 0)
		goto out;
	req.method = method;
	req.uri = uri;
	req.user = "alice";
	if (fuzz_take_line(&data, &size, &ctype) == 0) {
		/* An exact-size copy, so that reading past the body is caught. */
		body = malloc(size ? size : 1);
		if (body == NULL)
			goto out;
		memcpy(body, data, size);
		req.body = body;
		req.body_len = size;
		req.has_body = 1;
		req.content_type = ctype[0] != '\0' ? ctype : NULL;
	}
	analyse(method, uri, req.body, req.body_len);
	fuzz_judge(&req);
	free((void *)req.body);
out:
	free(method);
	free(uri);
	free(ctype);
	return 0;
}
