/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the AuthZReq envelope dockerd sends the plugin
 * ({"User", "RequestMethod", "RequestUri", "RequestBody" (base64),
 * "RequestHeaders", ...}), read the way the plugin reads it: one gojson pass,
 * the body base64-decoded, then judged against every decision-case policy.
 * The input is the envelope's bytes. (The envelope's member checks run behind
 * the plugin socket and are covered by the HTTP target.) */
#include "fuzz.h"

#include "engine/decide.h"
#include "engine/gojson.h"

#include <stdlib.h>
#include <string.h>

/* The last member named name (exact, as the envelope is checked) of type. */
static const struct gojson_value *
member(const struct gojson_value *root, const char *name, enum gojson_type type)
{
	const struct gojson_value *c, *last = NULL;

	for (c = root->child; c != NULL; c = c->next)
		if (c->type == type && strcmp(c->key, name) == 0)
			last = c;
	return last;
}

/* The request's Content-Type from RequestHeaders (a map of strings). */
static const char *
content_type(const struct gojson_value *root)
{
	const struct gojson_value *h = member(root, "RequestHeaders", GOJSON_OBJECT), *c;

	for (c = h != NULL ? h->child : NULL; c != NULL; c = c->next)
		if (c->type == GOJSON_STRING && strcmp(c->key, "Content-Type") == 0)
			return c->s;
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gojson_arena a;
	const struct gojson_value *root, *m, *u, *b, *user;
	struct decide_request req = {0};
	unsigned char *body = NULL;
	const char *why;
	size_t at;

	gojson_arena_init(&a);
	if (gojson_parse(&a, (const char *)data, size, &root, &why, &at) != 0 ||
	    root->type != GOJSON_OBJECT)
		goto out;
	m = member(root, "RequestMethod", GOJSON_STRING);
	u = member(root, "RequestUri", GOJSON_STRING);
	b = member(root, "RequestBody", GOJSON_STRING);
	user = member(root, "User", GOJSON_STRING);
	if (m == NULL || u == NULL)
		goto out;
	req.method = m->s;
	req.uri = u->s;
	req.user = user != NULL ? user->s : NULL;
	req.content_type = content_type(root);
	if (b != NULL && b->len > 0) {
		long n;

		body = malloc(b->len / 4 * 3 + 3);
		if (body == NULL)
			goto out;
		n = gojson_base64_decode(b->s, b->len, body);
		if (n < 0)
			goto out; /* the plugin answers Err */
		if ((size_t)n > b->len / 4 * 3)
			abort();
		req.body = (const char *)body;
		req.body_len = (size_t)n;
		req.has_body = n > 0;
	}
	fuzz_judge(&req);
out:
	free(body);
	gojson_arena_clear(&a);
	return 0;
}
