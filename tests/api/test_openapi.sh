#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# schema/openapi.json against the daemon. The route table (tests/tools/routes
# --patterns) and the spec must agree both ways: every route with its method,
# path parameters, body, minimum role (x-lockset-role), listener and 401/403;
# every error code of reply.c in ErrorCode, each under its own status. A route
# added to routes.c without its description fails here. The spec is served,
# byte for byte, at GET /v1/openapi.json to anyone, with an ETag. Replies of
# every API test are validated against the spec by lib.sh's finish; here the
# checker itself is shown to catch a wrong reply and a missing route.
. "${LOCKSET_SRCDIR:-$(dirname "$0")/../..}/tests/api/lib.sh"
need python3
SPEC="$LOCKSET_SRCDIR/schema/openapi.json"
CHECK="$LOCKSET_SRCDIR/tests/tools/openapi-check.py"
ROUTES_TOOL="$LOCKSET_BUILDDIR/tests/tools/routes"
[ -x "$ROUTES_TOOL" ] || { echo "SKIP: $ROUTES_TOOL not built"; exit 77; }
python3 -c 'import jsonschema' 2>/dev/null || { echo "SKIP: python3-jsonschema is not installed"; exit 77; }
"$ROUTES_TOOL" --patterns >"$T/routes" || exit 1
"$ROUTES_TOOL" --errors >"$T/errors" || exit 1

# test_route_table_and_spec_agree
if python3 "$CHECK" routes "$SPEC" "$T/routes" "$T/errors" >"$T/check.out" 2>&1; then
	ok "the route table, the error vocabulary and schema/openapi.json agree ($(tail -n1 "$T/check.out"))"
else
	cat "$T/check.out"
	not_ok "the route table, the error vocabulary and schema/openapi.json agree"
fi

# test_checker_catches_a_route_missing_from_the_spec
jq 'del(.paths["/v1/audit/verify"])' "$SPEC" >"$T/spec-missing.json"
python3 "$CHECK" routes "$T/spec-missing.json" "$T/routes" "$T/errors" >"$T/check.out" 2>&1
check "a route missing from the spec fails the check" \
	grep -q '^not ok - GET /v1/audit/verify is in the route table but not in schema/openapi.json' "$T/check.out"

# test_checker_catches_a_wrong_role_and_an_unknown_error_code
jq '.paths["/v1/tokens"].get["x-lockset-role"] = "auditor" |
    .components.schemas.ErrorCode.enum += ["teapot"]' "$SPEC" >"$T/spec-role.json"
python3 "$CHECK" routes "$T/spec-role.json" "$T/routes" "$T/errors" >"$T/check.out" 2>&1
check "a wrong minimum role fails the check" \
	grep -q "^not ok - GET /v1/tokens: x-lockset-role is 'auditor', the route table says admin" "$T/check.out"
check "an error code unknown to reply.c fails the check" \
	grep -q '^not ok - ErrorCode teapot is not in the error vocabulary' "$T/check.out"

# test_checker_catches_a_docker_proxy_answer_left_out: the proxy's path item
# stands for the whole Engine API and must list each answer of its own.
jq 'del(.paths["/{engineApiPath}"].post.responses["502"])' "$SPEC" >"$T/spec-proxy.json"
python3 "$CHECK" routes "$T/spec-proxy.json" "$T/routes" "$T/errors" >"$T/check.out" 2>&1
check "a docker proxy answer missing from the spec fails the check" \
	grep -q '^not ok - POST /{engineApiPath} (docker proxy): documents 400, 403, 413, 429, 503, default, the proxy answers 400, 403, 413, 429, 502, 503, default' "$T/check.out"

# A central daemon (it signs bundles), so GET /v1/bundle answers too.
openssl genpkey -algorithm ed25519 -out "$T/bundle-key.pem" 2>/dev/null
chmod 600 "$T/bundle-key.pem"
lockset_start --bundle-signing-key "$T/bundle-key.pem" || exit 1

# test_openapi_served_to_anyone_byte_for_byte
tcp GET /v1/openapi.json
expect_status "GET /v1/openapi.json over TCP without credentials" 200
check "the served document is schema/openapi.json" cmp -s "$BODY" "$SPEC"
expect_json "it is OpenAPI 3.1" .openapi 3.1.0
check "it is served as application/json" bash -c "grep -qi '^content-type: application/json' '$HEADERS'"
ETAG=$(header ETag)
check "it has a strong ETag" bash -c "[[ '$ETAG' =~ ^\\\"[0-9a-f]+\\\"\$ ]]"
api GET /v1/openapi.json -H "If-None-Match: $ETAG"
expect_status "If-None-Match with its ETag" 304
api POST /v1/openapi.json
expect_error "POST /v1/openapi.json" 405 method_not_allowed

# test_every_documented_path_answers_as_documented: one GET of each
# parameterless GET operation as admin; lib.sh validates each reply.
for p in $(jq -r '.paths | to_entries[] | select(.value.get != null and (.key | test("[{]") | not)
		and .value["x-lockset-listener"] == null) | .key' "$SPEC"); do
	api GET "$p"
	case $STATUS in 2??|3??) ok "GET $p answers $STATUS" ;; *) not_ok "GET $p answers $STATUS" ;; esac
done

# test_reply_checker_catches_a_wrong_reply: a real reply, then altered.
api GET /v1/health
printf 'x\tGET\t/v1/health\t200\tapplication/json\n' >"$T/bad.tsv"
mkdir -p "$T/bad"
jq '.status = "sleeping"' "$BODY" >"$T/bad/x"
python3 "$CHECK" replies "$SPEC" "$T/bad.tsv" "$T/bad" >"$T/check.out" 2>&1
check "a reply outside its schema fails the check" \
	grep -q '^not ok - reply to GET /v1/health (200): body/status' "$T/check.out"
printf 'x\tDELETE\t/v1/tokens/x\t409\tapplication/json\n' >"$T/bad.tsv"
echo '{"error":{"code":"conflict","message":"m"}}' >"$T/bad/x"
python3 "$CHECK" replies "$SPEC" "$T/bad.tsv" "$T/bad" >"$T/check.out" 2>&1
check "an undocumented status fails the check" \
	grep -q '^not ok - reply to DELETE /v1/tokens/x (409): status 409 is not documented' "$T/check.out"
printf 'x\tPOST\tdocker-proxy:/v1.45/containers/create\t403\tapplication/json\n' >"$T/bad.tsv"
echo '{"error":{"code":"forbidden","message":"m"}}' >"$T/bad/x"
python3 "$CHECK" replies "$SPEC" "$T/bad.tsv" "$T/bad" >"$T/check.out" 2>&1
check "a docker proxy answer not in the engine's error shape fails the check" \
	grep -q "^not ok - reply to POST docker-proxy:/v1.45/containers/create (403): body: 'message' is a required property" "$T/check.out"
printf 'x\tPOST\t/v1/tokens\t400\tapplication/json\n' >"$T/bad.tsv"
echo '{"error":{"code":"not_found","message":"m"}}' >"$T/bad/x"
python3 "$CHECK" replies "$SPEC" "$T/bad.tsv" "$T/bad" >"$T/check.out" 2>&1
check "an error code not documented for the status fails the check" \
	grep -q '^not ok - reply to POST /v1/tokens (400): body/error/code' "$T/check.out"
finish
