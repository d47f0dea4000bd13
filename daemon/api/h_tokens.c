/* SPDX-License-Identifier: Apache-2.0 */
/* /v1/tokens: create (the secret is returned once), list (never secrets),
 * revoke (effective at once). Admin only; every change is audited. */
#include "server.h"
#include "audit/audit.h"
#include "http/auth.h"
#include "handlers.h"
#include "util/jsonv.h"
#include "http/reply.h"
#include "http/tokens.h"

#include <string.h>

static int
audit_token_change(struct request *rq, const char *action, const char *name, const char *role)
{
	json_t *data = json_pack("{s:s?}", "role", role);
	int rc = data ? audit_record(rq->srv->audit, action, rq->peer->name, "api", name, "allow",
	                             -1, data)
	              : -1;

	json_decref(data);
	return rc;
}

enum MHD_Result
h_tokens_post(struct request *rq)
{
	struct problems errs = PROBLEMS_INIT;
	static const struct jv_field fields[] = {{"name", JV_STRING, 1},
	                                         {"role", JV_STRING, 1},
	                                         {"expiresIn", JV_INTEGER | JV_NULL, 0},
	                                         {NULL, 0, 0}};
	const char *name, *role_name;
	json_int_t ttl;
	enum role role = ROLE_NONE;
	enum MHD_Result ret;
	char *secret = NULL;
	int rc;

	if (jv_check_object(rq->json, "", fields, &errs) != 0) {
		ret = reply_error(rq, ERR_INVALID_REQUEST, &errs, "invalid token request");
		goto out;
	}
	name = json_string_value(json_object_get(rq->json, "name"));
	role_name = json_string_value(json_object_get(rq->json, "role"));
	ttl = json_integer_value(json_object_get(rq->json, "expiresIn"));
	if (auth_role_parse(role_name, &role) != 0)
		problems_add(&errs, "/role", "expected runtime, auditor or admin; found \"%s\"",
		             role_name);
	if (ttl < 0 || ttl > 10LL * 366 * 86400)
		problems_add(&errs, "/expiresIn", "expected 0 to %lld seconds", 10LL * 366 * 86400);
	if (errs.n > 0) {
		ret = reply_error(rq, ERR_INVALID_REQUEST, &errs, "invalid token request");
		goto out;
	}
	rc = tokens_create(rq->srv->tokens, name, role, (long)ttl, rq->peer->name, &secret, &errs);
	if (rc == -2) {
		ret = reply_error(rq, ERR_CONFLICT, &errs, "token \"%s\" exists", name);
		goto out;
	}
	if (rc != 0) {
		ret = errs.n ? reply_error(rq, ERR_INVALID_REQUEST, &errs, "invalid token request")
		             : reply_error(rq, ERR_INTERNAL, NULL, "could not store the token");
		goto out;
	}
	if (audit_token_change(rq, "token.created", name, role_name) != 0) {
		tokens_revoke(rq->srv->tokens, name);
		ret = reply_error(rq, ERR_AUDIT_UNAVAILABLE, NULL,
		                  "the change could not be audited; token revoked");
		goto out;
	}
	ret = reply_json(rq, 201,
	                 json_pack("{s:s, s:s, s:o, s:s}", "name", name, "role", role_name,
	                           "expiresIn", ttl > 0 ? json_integer(ttl) : json_null(), "secret",
	                           secret));
out:
	if (secret != NULL) {
		memset(secret, 0, strlen(secret));
		free(secret);
	}
	problems_clear(&errs);
	return ret;
}

enum MHD_Result
h_tokens_get(struct request *rq)
{
	json_t *list = tokens_list(rq->srv->tokens);

	if (list == NULL)
		return reply_error(rq, ERR_INTERNAL, NULL, "could not read tokens");
	return reply_json(rq, 200, json_pack("{s:o}", "tokens", list));
}

enum MHD_Result
h_tokens_delete(struct request *rq)
{
	const char *name = rq->params[0];
	int rc = tokens_revoke(rq->srv->tokens, name);

	if (rc == 1)
		return reply_error(rq, ERR_NOT_FOUND, NULL, "no active token named \"%s\"", name);
	if (rc != 0)
		return reply_error(rq, ERR_INTERNAL, NULL, "could not revoke the token");
	if (audit_token_change(rq, "token.revoked", name, NULL) != 0)
		return reply_error(rq, ERR_AUDIT_UNAVAILABLE, NULL,
		                   "token revoked, but the change could not be audited");
	return reply_empty(rq, 204, NULL);
}
