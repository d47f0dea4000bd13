/* SPDX-License-Identifier: Apache-2.0 */
/* Recorded requests keep no secret: Env values (any spelling dockerd accepts,
 * anywhere in the body), secrets' Data, Swarm's join tokens, unlock key and CA
 * key, registry credentials, a plugin's settings, logging and secret drivers'
 * options, a password among a volume's mount options, build arguments and a
 * URL's user information in the query become keyed hashes; keys and everything
 * else stay byte for byte; the same value gives the same token; a body that is
 * not JSON is refused; and a redacted request is judged exactly as the
 * original. */
#include "check.h"
#include "engine/decide.h"
#include "decisions/redact.h"

#include <stdio.h>

static struct redact *r;

/* body redacted (0) into a static buffer, or NULL when refused. */
static const char *
red(const char *body)
{
	static char keep[8192];
	char *out = NULL;
	size_t len = 0;
	int rc = redact_body(r, body, strlen(body), &out, &len);

	if (rc != 0)
		return NULL;
	if (out == NULL) /* nothing hidden: the body as it is */
		return body;
	CHECK_INT_EQ(len, strlen(out));
	snprintf(keep, sizeof(keep), "%s", out);
	free(out);
	return keep;
}

static void
test_token_is_keyed_and_stable(void)
{
	unsigned char k2[REDACT_KEY_LEN] = {1};
	struct redact *other = redact_new(k2);
	char a[REDACT_TOKEN_LEN + 1], b[REDACT_TOKEN_LEN + 1], c[REDACT_TOKEN_LEN + 1];

	redact_token(r, "s3cret", 6, a);
	redact_token(r, "s3cret", 6, b);
	redact_token(other, "s3cret", 6, c);
	CHECK_STR_EQ(a, b);
	CHECK(strcmp(a, c) != 0);
	CHECK(strncmp(a, "lockset-hmac:", 13) == 0);
	CHECK_INT_EQ(strlen(a), REDACT_TOKEN_LEN);
	CHECK_INT_EQ(strspn(a + 13, "0123456789abcdef"), 32);
	redact_free(other);
}

static void
test_env_values_hidden_keys_and_the_rest_kept(void)
{
	char tok[REDACT_TOKEN_LEN + 1], want[1024];
	const char *got;

	redact_token(r, "s3cret", 6, tok);
	got = red(
	    "{\"Image\": \"alpine\", \"Env\": [\"TOKEN=s3cret\", \"PLAIN\", \"B=s3cret\"],"
	    "\n \"HostConfig\": {\"Binds\": [\"/a:/b\"]}, \"Cmd\": [\"echo\", \"s\\u0033cret\"]}");
	snprintf(
	    want, sizeof(want),
	    "{\"Image\": \"alpine\", \"Env\": [\"TOKEN=%s\", \"PLAIN\", \"B=%s\"],"
	    "\n \"HostConfig\": {\"Binds\": [\"/a:/b\"]}, \"Cmd\": [\"echo\", \"s\\u0033cret\"]}",
	    tok, tok);
	CHECK_STR_EQ(got, want);

	/* Every spelling Go's decoder maps onto Env, at any depth, duplicates too. */
	got = red("{\"ENV\":[\"A=s3cret\"],\"env\":[\"A=s3cret\"],\"\\u0045nv\":[\"A=s3cret\"],"
	          "\"Config\":{\"Env\":[\"A=s3cret\"]},\"TaskTemplate\":{\"ContainerSpec\":"
	          "{\"Env\":[\"A=s\\u0033cret\"]}}}");
	CHECK(got != NULL && strstr(got, "s3cret") == NULL && strstr(got, "u0033") == NULL);
	CHECK(got != NULL && strstr(got, "\"\\u0045nv\":[\"A=lockset-hmac:") != NULL);
	/* An escaped value is hashed as decoded: the same token as plain. */
	snprintf(want, sizeof(want), "{\"Env\":[\"A=%s\"]}}}", tok);
	CHECK(got != NULL && strstr(got, want) != NULL);

	/* A string or an object where the list belongs is hidden too. */
	got = red("{\"Env\":\"TOKEN=s3cret\",\"x\":{\"Env\":{\"K\":\"s3cret\"}}}");
	CHECK(got != NULL && strstr(got, "s3cret") == NULL &&
	      strstr(got, "\"K\":\"lockset") != NULL);
}

static void
test_secret_data_and_nothing_else(void)
{
	const char *got =
	    red("{\"Name\":\"db\",\"Data\":\"czNjcmV0\",\"Labels\":{\"Data\":\"x\"}}");
	char tok[REDACT_TOKEN_LEN + 1], want[256];

	redact_token(r, "czNjcmV0", 8, tok);
	snprintf(want, sizeof(want),
	         "{\"Name\":\"db\",\"Data\":\"%s\",\"Labels\":{\"Data\":\"x\"}}", tok);
	CHECK_STR_EQ(got, want);
	CHECK_STR_EQ(red(" [1, -2.5e3, true, null, \"x\"] "), " [1, -2.5e3, true, null, \"x\"] ");
}

/* No byte of any "s3cret..." value is left in the redacted body. */
static int
hides_all(const char *got)
{
	return got != NULL && strstr(got, "s3cret") == NULL && strstr(got, "czNjcmV0") == NULL;
}

static void
test_swarm_join_token_hidden(void)
{
	char tok[REDACT_TOKEN_LEN + 1], want[512];
	const char *got;

	redact_token(r, "SWMTKN-1-s3cret", 15, tok);
	got = red("{\"ListenAddr\":\"0.0.0.0:2377\",\"RemoteAddrs\":[\"10.0.0.1:2377\"],"
	          "\"JoinToken\":\"SWMTKN-1-s3cret\"}");
	snprintf(want, sizeof(want),
	         "{\"ListenAddr\":\"0.0.0.0:2377\",\"RemoteAddrs\":[\"10.0.0.1:2377\"],"
	         "\"JoinToken\":\"%s\"}",
	         tok);
	CHECK_STR_EQ(got, want);
	/* Every spelling dockerd's decoder takes for JoinToken: case, the Kelvin
	 * sign for k (raw and escaped), an escaped letter. */
	CHECK(hides_all(red("{\"jointoken\":\"SWMTKN-1-s3cret\"}")));
	CHECK(hides_all(red("{\"JOINTOKEN\":\"SWMTKN-1-s3cret\"}")));
	CHECK(hides_all(red("{\"JoinTo\xe2\x84\xaa"
	                    "en\":\"SWMTKN-1-s3cret\"}")));
	CHECK(hides_all(red("{\"JoinTo\\u212Aen\":\"SWMTKN-1-s3cret\"}")));
	CHECK(hides_all(red("{\"\\u004aoinToken\":\"SWMTKN-1-s3cret\"}")));
	/* A swarm's JoinTokens, should a body carry them. */
	CHECK(hides_all(red("{\"JoinTokens\":{\"Worker\":\"SWMTKN-1-s3cret-w\","
	                    "\"Manager\":\"SWMTKN-1-s3cret-m\"}}")));
}

static void
test_swarm_unlock_key_and_ca_key_hidden(void)
{
	char tok[REDACT_TOKEN_LEN + 1], want[512];
	const char *got;

	redact_token(r, "SWMKEY-1-s3cret", 15, tok);
	snprintf(want, sizeof(want), "{\"UnlockKey\":\"%s\"}", tok);
	CHECK_STR_EQ(red("{\"UnlockKey\":\"SWMKEY-1-s3cret\"}"), want);
	CHECK(hides_all(red("{\"unlockkey\":\"SWMKEY-1-s3cret\"}")));
	CHECK(hides_all(red("{\"Unloc\xe2\x84\xaa"
	                    "Key\":\"SWMKEY-1-s3cret\"}")));

	/* swarm init and update: the CA's private key, not its certificate. */
	got = red("{\"ListenAddr\":\"0.0.0.0:2377\",\"Spec\":{\"CAConfig\":{\"SigningCACert\":"
	          "\"-----BEGIN CERTIFICATE-----\",\"SigningCAKey\":\"-----BEGIN EC PRIVATE "
	          "KEY-----\\ns3cret\\n\"},\"EncryptionConfig\":{\"AutoLockManagers\":true}}}");
	CHECK(hides_all(got));
	CHECK(got != NULL && strstr(got, "\"SigningCACert\":\"-----BEGIN CERTIFICATE-----\"") &&
	      strstr(got, "\"SigningCAKey\":\"lockset-hmac:"));
	/* An external CA's options; its URL and certificate stay. */
	got = red(
	    "{\"Spec\":{\"CAConfig\":{\"ExternalCAs\":[{\"Protocol\":\"cfssl\",\"URL\":"
	    "\"https://ca.example\",\"Options\":{\"auth-key\":\"s3cret\"},\"CACert\":\"PEM\"}]}}}");
	CHECK(hides_all(got));
	CHECK(got != NULL && strstr(got, "\"URL\":\"https://ca.example\"") &&
	      strstr(got, "\"CACert\":\"PEM\"") && strstr(got, "\"auth-key\":\"lockset-hmac:"));
	CHECK(hides_all(red("{\"externalcas\":[{\"options\":{\"k\":\"s3cret\"}}]}")));
	/* U+017F (long s) folds to s. */
	CHECK(hides_all(red("{\"CAConfig\":{\"\xc5\xbfigningCAKey\":\"s3cret\"}}")));
	CHECK(hides_all(red("{\"CAConfig\":{\"signingcakey\":\"s3cret\"}}")));
}

static void
test_plugin_set_values_hidden_keys_kept(void)
{
	char tok[REDACT_TOKEN_LEN + 1], one[REDACT_TOKEN_LEN + 1], want[512];
	const char *privileges =
	    "[{\"Name\":\"network\",\"Description\":\"\",\"Value\":[\"host\"]},"
	    "{\"Name\":\"mount\",\"Description\":\"\",\"Value\":[\"/data\"]}]";

	redact_token(r, "s3cret", 6, tok);
	redact_token(r, "1", 1, one);
	snprintf(want, sizeof(want), "[\"PASSWORD=%s\", \"DEBUG=%s\", \"PLAIN\"]", tok, one);
	CHECK_STR_EQ(red("[\"PASSWORD=s3cret\", \"DEBUG=1\", \"PLAIN\"]"), want);
	/* A plugin's privileges (install, upgrade) name what it may reach: kept. */
	CHECK_STR_EQ(red(privileges), privileges);
}

static void
test_registry_credentials_hidden(void)
{
	const char *got =
	    red("{\"username\":\"alice\",\"password\":\"s3cret\",\"auth\":\"YWxpY2U6czNjcmV0\","
	        "\"serveraddress\":\"https://index.docker.io/v1/\",\"email\":\"a@example.com\","
	        "\"identitytoken\":\"s3cret-id\",\"registrytoken\":\"s3cret-reg\"}");

	CHECK(hides_all(got));
	CHECK(got != NULL && strstr(got, "\"username\":\"alice\"") &&
	      strstr(got, "\"serveraddress\":\"https://index.docker.io/v1/\"") &&
	      strstr(got, "\"auth\":\"lockset-hmac:") && strstr(got, "YWxpY2U") == NULL);
	CHECK(hides_all(red("{\"Pa\xc5\xbf\xc5\xbfword\":\"s3cret\"}")));
	CHECK(hides_all(red("{\"IdentityToken\":\"s3cret\",\"RegistryToken\":\"s3cret\"}")));
	CHECK(hides_all(red("{\"Identity\\u0054o\xe2\x84\xaa"
	                    "en\":\"s3cret\"}")));
	/* auth is AuthConfig's only at the top: elsewhere the name is kept. */
	CHECK_STR_EQ(red("{\"Labels\":{\"auth\":\"basic\"}}"), "{\"Labels\":{\"auth\":\"basic\"}}");
}

static void
test_log_driver_options_hidden(void)
{
	const char *got = red("{\"Image\":\"alpine\",\"HostConfig\":{\"LogConfig\":{\"Type\":"
	                      "\"splunk\",\"Config\":{\"splunk-token\":\"s3cret\","
	                      "\"splunk-url\":\"https://s3cret@splunk\"}}}}");

	CHECK(hides_all(got));
	CHECK(got != NULL && strstr(got, "\"Type\":\"splunk\"") &&
	      strstr(got, "\"splunk-token\":\"lockset-hmac:"));
	got = red("{\"TaskTemplate\":{\"LogDriver\":{\"Name\":\"splunk\",\"Options\":"
	          "{\"splunk-token\":\"s3cret\"}}}}");
	CHECK(hides_all(got) && strstr(got, "\"Name\":\"splunk\""));
	CHECK(hides_all(red("{\"TaskDefaults\":{\"LogDriver\":{\"Name\":\"splunk\","
	                    "\"Options\":{\"splunk-token\":\"s3cret\"}}}}")));
	CHECK(hides_all(red("{\"HostConfig\":{\"logconfig\":{\"config\":{\"t\":\"s3cret\"}}}}")));
}

static void
test_secret_driver_options_hidden(void)
{
	const char *volume = "{\"Name\":\"v\",\"Driver\":\"local\",\"DriverOpts\":{}}";
	const char *got = red("{\"Name\":\"db\",\"Driver\":{\"Name\":\"vault\",\"Options\":"
	                      "{\"token\":\"s3cret\"}},\"Data\":\"\"}");

	/* An external secret store's options may hold its credentials. */
	CHECK(hides_all(got) && strstr(got, "\"Name\":\"vault\"") != NULL);
	/* A volume's or network's Driver is a name, kept. */
	CHECK_STR_EQ(red(volume), volume);
}

static void
test_volume_mount_password_hidden(void)
{
	char tok[REDACT_TOKEN_LEN + 1], want[512];
	const char *got;

	redact_token(r, "s3cret", 6, tok);
	got = red(
	    "{\"Name\":\"share\",\"Driver\":\"local\",\"DriverOpts\":{\"type\":\"cifs\","
	    "\"device\":\"//nas/share\",\"o\":\"addr=nas,username=alice,password=s3cret,ro\"}}");
	snprintf(want, sizeof(want),
	         "{\"Name\":\"share\",\"Driver\":\"local\",\"DriverOpts\":{\"type\":\"cifs\","
	         "\"device\":\"//nas/share\",\"o\":\"addr=nas,username=alice,password=%s,ro\"}}",
	         tok);
	CHECK_STR_EQ(got, want);
	/* A --mount's volume options, in a container or a service. */
	CHECK(hides_all(red("{\"HostConfig\":{\"Mounts\":[{\"Type\":\"volume\",\"VolumeOptions\":"
	                    "{\"DriverConfig\":{\"Options\":{\"o\":\"pass=s3cret\"}}}}]}}")));
	CHECK(hides_all(red("{\"DriverOpts\":{\"O\":\"Password=s3cret,uid=1\"}}")));
	/* A doubled comma is the kernel's escape of one in the password. */
	got = red("{\"DriverOpts\":{\"o\":\"password=s3,,cret,,,ro\"}}");
	CHECK(got != NULL && strstr(got, "s3") == NULL && strstr(got, "cret") == NULL &&
	      strstr(got, ",ro\"}}") != NULL);
	/* CIFS's user=name%password: the name stays. */
	got = red("{\"DriverOpts\":{\"o\":\"addr=nas,username=alice%s3cret,ro\"}}");
	snprintf(want, sizeof(want), "{\"DriverOpts\":{\"o\":\"addr=nas,username=alice%%%s,ro\"}}",
	         tok);
	CHECK_STR_EQ(got, want);
	CHECK(hides_all(red("{\"DriverOpts\":{\"o\":\"User=alice%s3cret\"}}")));
	CHECK_STR_EQ(red("{\"DriverOpts\":{\"o\":\"user=alice,uid=1\"}}"),
	             "{\"DriverOpts\":{\"o\":\"user=alice,uid=1\"}}");
	/* Only a password: a bind's options are kept. */
	CHECK_STR_EQ(red("{\"DriverOpts\":{\"o\":\"bind,ro\",\"device\":\"/srv\"}}"),
	             "{\"DriverOpts\":{\"o\":\"bind,ro\",\"device\":\"/srv\"}}");
}

/* Where a hidden string belongs, any other shape is hidden whole. */
static void
test_secret_of_another_shape_hidden_whole(void)
{
	char *got;

	CHECK(hides_all(red("{\"Data\":[\"czNjcmV0\"]}")));
	CHECK(hides_all(red("{\"Data\":{\"v\":\"czNjcmV0\"}}")));
	CHECK(hides_all(red("{\"JoinToken\":[\"SWMTKN-1-s3cret\"]}")));
	CHECK(hides_all(red("{\"Env\":[{\"A\":\"s3cret\"},[\"s3cret\"]]}")));
	CHECK(hides_all(red("{\"Env\":{\"A\":[\"s3cret\"]}}")));
	got = redact_uri(r, "/build?buildargs=%5B%22s3cret%22%5D");
	CHECK(got != NULL && strstr(got, "s3cret") == NULL);
	free(got);
}

static void
test_bodies_that_are_not_json_are_refused(void)
{
	char deep[2 * REDACT_MAX_DEPTH + 8];

	CHECK(red("") == NULL);
	CHECK(red("{\"Env\":[\"A=s3cret\"]") == NULL);
	CHECK(red("{\"Env\":[\"A=s3cret\"]} x") == NULL);
	CHECK(red("{\"Env\":[\"A=s3cret\"] x}") == NULL);
	CHECK(red("\"unterminated") == NULL);
	CHECK(red("{\"a\":\"tab\there\"}") == NULL);
	memset(deep, '[', REDACT_MAX_DEPTH + 1);
	memset(deep + REDACT_MAX_DEPTH + 1, ']', REDACT_MAX_DEPTH + 1);
	deep[2 * REDACT_MAX_DEPTH + 2] = '\0';
	CHECK(red(deep) == NULL);
}

static void
test_build_args_in_the_query(void)
{
	char tok[REDACT_TOKEN_LEN + 1], want[512], *got;

	redact_token(r, "s3cret", 6, tok);
	got =
	    redact_uri(r, "/v1.47/build?t=app&buildargs=%7B%22TOKEN%22%3A%22s3cret%22%2C%22N%22%3A"
	                  "null%7D&networkmode=default");
	/* The token percent-encoded: its ':' is %3A. */
	snprintf(
	    want, sizeof(want),
	    "/v1.47/build?t=app&buildargs=%%7B%%22TOKEN%%22%%3A%%22lockset-hmac%%3A%s%%22%%2C%%22N"
	    "%%22%%3Anull%%7D&networkmode=default",
	    tok + 13);
	CHECK_STR_EQ(got, want);
	free(got);
	/* A JSON string where the map belongs is hidden whole too. */
	got = redact_uri(r, "/build?buildargs=%22s3cret%22");
	CHECK(got != NULL && strstr(got, "s3cret") == NULL &&
	      strstr(got, "buildargs=%22lockset-hmac%3A"));
	free(got);
	got = redact_uri(r, "/build?buildargs=not+json+s3cret");
	CHECK(got != NULL && strstr(got, "s3cret") == NULL &&
	      strstr(got, "buildargs=lockset-hmac%3A"));
	free(got);
	got = redact_uri(r, "/containers/create?name=s3cret");
	CHECK_STR_EQ(got, "/containers/create?name=s3cret");
	free(got);
	got = redact_uri(r, "/build");
	CHECK_STR_EQ(got, "/build");
	free(got);
}

/* uri redacted, judged under a policy that allows build contexts from
 * github.com only: 1 when allowed, 0 when denied by build-remote, -1 else. */
static int
judge_remote(const char *uri)
{
	json_t *eff =
	    json_loads("{\"containerPolicy\":{\"allowedBuildRemotes\":[\"github.com\"]}}", 0, NULL);
	struct decide_policy *dp = decide_policy_new(eff);
	struct decide_request req = {.method = "POST", .uri = uri};
	struct decision d;
	int rc = -1;

	if (decide_eval(dp, &req, &d) == 0)
		rc = d.allow ? 1 : d.nv == 1 && strcmp(d.v[0].rule, "build-remote") == 0 ? 0 : -1;
	decision_clear(&d);
	decide_policy_free(dp);
	json_decref(eff);
	return rc;
}

static void
test_url_credentials_in_the_query_hidden(void)
{
	const char *github =
	               "/v1.47/build?remote=https%3A%2F%2Falice%3As3cret%40github.com%2Fo%2Fr.git",
	           *evil = "/v1.47/build?t=app&remote=https://ghp_s3cret@evil.example/o/r.git",
	           *kept[] = {"/build?remote=https%3A%2F%2Fgithub.com%2Fo%2Fr.git%23main%40x",
	                      "/build?remote=git%40github.com%3Ao%2Fr.git",
	                      "/images/create?fromImage=alpine%40sha256%3Aab&tag=x"};
	char *got;

	/* The whole user information (a user, a password, a token) is hidden;
	 * the host and path stay, and the request is judged as the original. */
	got = redact_uri(r, github);
	CHECK(got != NULL && strstr(got, "s3cret") == NULL && strstr(got, "alice") == NULL &&
	      strstr(got, "%40github.com%2Fo%2Fr.git") != NULL);
	CHECK(got != NULL && judge_remote(got) == 1 && judge_remote(github) == 1);
	free(got);
	got = redact_uri(r, evil);
	CHECK(got != NULL && strstr(got, "s3cret") == NULL && strstr(got, "t=app&remote=") != NULL);
	CHECK(got != NULL && judge_remote(got) == 0 && judge_remote(evil) == 0);
	free(got);
	got =
	    redact_uri(r, "/images/create?fromSrc=https%3A%2F%2Fu%3As3cret%40example.com%2Fi.tar");
	CHECK(got != NULL && strstr(got, "s3cret") == NULL);
	free(got);
	/* An '@' past the authority, or no scheme: nothing to hide. */
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		got = redact_uri(r, kept[i]);
		CHECK_STR_EQ(got, kept[i]);
		free(got);
	}
}

/* The impact preview replays the redacted request: same verdict, same rules. */
static void
test_redacted_request_is_judged_the_same(void)
{
	json_t *eff =
	    json_loads("{\"containerPolicy\":{\"deniedFlags\":[\"--privileged\"]}}", 0, NULL);
	struct decide_policy *dp = decide_policy_new(eff);
	const char *body = "{\"Image\":\"alpine\",\"Env\":[\"TOKEN=s3cret\"],\"HostConfig\":"
	                   "{\"Privileged\":true}}";
	const char *redacted = red(body);
	struct decide_request a = {.method = "POST",
	                           .uri = "/containers/create",
	                           .body = body,
	                           .body_len = strlen(body),
	                           .has_body = 1},
	                      b = a;
	struct decision da, db;

	b.body = redacted;
	b.body_len = redacted ? strlen(redacted) : 0;
	CHECK_INT_EQ(decide_eval(dp, &a, &da), 0);
	CHECK_INT_EQ(decide_eval(dp, &b, &db), 0);
	CHECK_INT_EQ(da.allow, db.allow);
	CHECK_INT_EQ(da.nv, db.nv);
	CHECK(da.nv == 1 && db.nv == 1 && strcmp(da.v[0].rule, db.v[0].rule) == 0);
	decision_clear(&da);
	decision_clear(&db);
	decide_policy_free(dp);
	json_decref(eff);
}

int
main(void)
{
	unsigned char key[REDACT_KEY_LEN] = {0};

	r = redact_new(key);
	CHECK(r != NULL);
	RUN(test_token_is_keyed_and_stable);
	RUN(test_env_values_hidden_keys_and_the_rest_kept);
	RUN(test_secret_data_and_nothing_else);
	RUN(test_swarm_join_token_hidden);
	RUN(test_swarm_unlock_key_and_ca_key_hidden);
	RUN(test_plugin_set_values_hidden_keys_kept);
	RUN(test_registry_credentials_hidden);
	RUN(test_log_driver_options_hidden);
	RUN(test_secret_driver_options_hidden);
	RUN(test_volume_mount_password_hidden);
	RUN(test_secret_of_another_shape_hidden_whole);
	RUN(test_bodies_that_are_not_json_are_refused);
	RUN(test_build_args_in_the_query);
	RUN(test_url_credentials_in_the_query_hidden);
	RUN(test_redacted_request_is_judged_the_same);
	redact_free(r);
	return CHECK_DONE();
}
