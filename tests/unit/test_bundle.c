/* SPDX-License-Identifier: Apache-2.0 */
/* Signed bundles: a signed body opens with the matching key and gives back
 * its content and expiry; a different key, any changed byte of the bundle
 * (its expiry included), a bad signature encoding or a malformed bundle is
 * refused with a reason. */
#include "fleet/bundle.h"
#include "check.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

static const char *const CONTENT =
    "{\"policyVersion\": 7, \"policy\": {\"configurationFileVersion\": 2, "
    "\"analyticsEnabled\": {\"locked\": true, \"value\": false}}, "
    "\"users\": {\"alice\": {\"version\": 3, \"policy\": {\"configurationFileVersion\": 2}}}}";

static EVP_PKEY *
new_key(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
}

#define EXPIRES      ((time_t)1796580000)
#define EXPIRES_TEXT "2026-12-06T18:00:00Z"

/* A signed body for CONTENT as version 12, expiring at EXPIRES (0: a v1
 * bundle), or exit. */
static char *
signed_body_until(EVP_PKEY *k, time_t expires, size_t *len)
{
	json_t *content = json_loads(CONTENT, 0, NULL);
	char *body = bundle_sign(content, 12, "2026-11-29T18:00:00.000000Z", expires, k, len);

	json_decref(content);
	if (body == NULL) {
		fprintf(stderr, "bundle_sign failed\n");
		exit(2);
	}
	return body;
}

static char *
signed_body(EVP_PKEY *k, size_t *len)
{
	return signed_body_until(k, EXPIRES, len);
}

static void
test_signed_bundle_opens_with_its_key(void)
{
	EVP_PKEY *k = new_key();
	struct bundle_info info;
	char why[256] = "", kid[BUNDLE_KEY_ID_LEN + 1];
	size_t len;
	char *body = signed_body(k, &len);
	json_t *b = bundle_open(body, len, k, &info, why, sizeof(why));

	CHECK(b != NULL);
	CHECK_INT_EQ(info.version, 12);
	CHECK_INT_EQ(info.policy_version, 7);
	CHECK_STR_EQ(info.issued, "2026-11-29T18:00:00.000000Z");
	CHECK(bundle_key_id(k, kid) == 0);
	CHECK_STR_EQ(info.key_id, kid);
	CHECK_STR_EQ(json_string_value(json_object_get(b, "format")), BUNDLE_FORMAT_V2);
	CHECK_STR_EQ(info.expires, EXPIRES_TEXT);
	CHECK(info.expires_at == EXPIRES);
	CHECK_INT_EQ(json_integer_value(json_object_get(
	                 json_object_get(json_object_get(b, "users"), "alice"), "version")),
	             3);
	CHECK(body[len - 1] == '\n');
	json_decref(b);
	free(body);
	EVP_PKEY_free(k);
}

/* --bundle-validity 0: a v1 bundle, with no expiry at all. */
static void
test_v1_bundle_never_expires(void)
{
	EVP_PKEY *k = new_key();
	struct bundle_info info;
	char why[256] = "";
	size_t len;
	char *body = signed_body_until(k, 0, &len);
	json_t *b = bundle_open(body, len, k, &info, why, sizeof(why));

	CHECK(b != NULL);
	CHECK_STR_EQ(json_string_value(json_object_get(b, "format")), BUNDLE_FORMAT_V1);
	CHECK(json_object_get(b, "expires") == NULL);
	CHECK_STR_EQ(info.expires, "");
	CHECK(info.expires_at == 0);
	json_decref(b);
	free(body);
	EVP_PKEY_free(k);
}

/* Only "YYYY-MM-DDTHH:MM:SSZ" of a day that exists. */
static void
test_bundle_times_are_strict(void)
{
	static const char *const bad[] = {
	    "",
	    "2026-12-06T18:40:00",
	    "2026-12-06T18:40:00.5Z",
	    "2026-12-06T18:40:00+00:00",
	    "2026-12-06 18:40:00Z",
	    "2026-02-30T00:00:00Z",
	    "2026-12-06T24:00:00Z",
	    "+026-12-06T18:40:00Z",
	    "2026-12-06T18:40:00Z ",
	};
	char out[BUNDLE_TIME_LEN + 1];
	time_t t = 0;

	CHECK(bundle_time_parse(EXPIRES_TEXT, &t) == 0 && t == EXPIRES);
	bundle_time_format(EXPIRES, out);
	CHECK_STR_EQ(out, EXPIRES_TEXT);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (bundle_time_parse(bad[i], &t) == 0) {
			fprintf(stderr, "accepted \"%s\"\n", bad[i]);
			CHECK(0);
		}
	}
}

static void
test_signature_covers_the_canonical_bundle_text(void)
{
	EVP_PKEY *k = new_key();
	size_t len, clen;
	char *body = signed_body(k, &len), *canon;
	json_t *doc = json_loadb(body, len, 0, NULL);

	/* The body's "bundle" member is its canonical text verbatim. */
	canon = bundle_canonical(json_object_get(doc, "bundle"), &clen);
	CHECK(canon != NULL && strncmp(body, "{\"bundle\":", 10) == 0 &&
	      strncmp(body + 10, canon, clen) == 0);
	free(canon);
	json_decref(doc);
	free(body);
	EVP_PKEY_free(k);
}

static void
test_other_key_is_refused(void)
{
	EVP_PKEY *k = new_key(), *other = new_key();
	struct bundle_info info;
	char why[256] = "";
	size_t len;
	char *body = signed_body(k, &len);

	CHECK(bundle_open(body, len, other, &info, why, sizeof(why)) == NULL);
	CHECK_STR_EQ(why, "the signature does not verify with the bundle key");
	free(body);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

/* open, 600,000 times "{},", then close (NUL-terminated) into buf. */
static void
fill_flood(char *buf, const char *open, const char *close)
{
	size_t n = strlen(open);

	memcpy(buf, open, n);
	for (size_t i = 0; i < 600000; i++, n += 3)
		memcpy(buf + n, "{},", 3);
	memcpy(buf + n, close, strlen(close) + 1);
}

/* A body of more objects than a bundle holds is refused before it is parsed:
 * 16 MiB of "{}," would be five million jansson objects. A string holding
 * the same bytes is no object. */
static void
test_flood_is_refused_unparsed(void)
{
	EVP_PKEY *k = new_key();
	struct bundle_info info;
	char why[256] = "";
	size_t n = 3 * 600000 + 16, len;
	char *flood = malloc(n), *body = signed_body(k, &len);
	json_t *b;

	fill_flood(flood, "[", "{}]");
	CHECK(bundle_open(flood, strlen(flood), k, &info, why, sizeof(why)) == NULL);
	CHECK(strstr(why, "not a bundle: over 500000 objects") == why);
	/* Nested past 64 levels. */
	memset(flood, '[', 100);
	memset(flood + 100, ']', 100);
	CHECK(bundle_open(flood, 200, k, &info, why, sizeof(why)) == NULL);
	CHECK(strstr(why, "levels deep") != NULL);
	/* The same bytes in a string are no objects: parsed, and refused for
	 * what it is. And a signed bundle still opens. */
	fill_flood(flood, "[\"", "\"]");
	CHECK(bundle_open(flood, strlen(flood), k, &info, why, sizeof(why)) == NULL);
	CHECK(strstr(why, "not a signed bundle") == why);
	json_decref(b = bundle_open(body, len, k, &info, why, sizeof(why)));
	CHECK(b != NULL);
	free(flood);
	free(body);
	EVP_PKEY_free(k);
}

/* Replace the first occurrence of from by to (same length) in body. */
static int
patch_bytes(char *body, const char *from, const char *to)
{
	char *p = strstr(body, from);

	if (p == NULL || strlen(from) != strlen(to))
		return -1;
	memcpy(p, to, strlen(to));
	return 0;
}

static void
test_changed_bundle_is_refused(void)
{
	static const char *const edits[][2] = {
	    {"\"version\":12", "\"version\":13"},
	    {"\"value\":false", "\"value\":0    "},
	    {"\"locked\":true", "\"locked\":1   "},
	    {"\"alice\"", "\"alicf\""},
	    /* A later expiry is a new signature's to give. */
	    {"\"expires\":\"2026-12-06", "\"expires\":\"2027-12-06"},
	    {"lockset-bundle-v2", "lockset-bundle-v1"},
	};
	EVP_PKEY *k = new_key();
	struct bundle_info info;
	char why[256];

	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		size_t len;
		char *body = signed_body(k, &len);

		CHECK(patch_bytes(body, edits[i][0], edits[i][1]) == 0);
		why[0] = '\0';
		CHECK(bundle_open(body, len, k, &info, why, sizeof(why)) == NULL);
		CHECK(why[0] != '\0');
		free(body);
	}
	EVP_PKEY_free(k);
}

static void
test_malformed_input_is_refused_with_a_reason(void)
{
	static const char *const bad[] = {
	    "",
	    "[]",
	    "{\"bundle\": {}}",
	    "{\"bundle\": {}, \"signature\": {\"algorithm\": \"RSA\", \"value\": \"x\"}}",
	    "{\"bundle\": {}, \"signature\": {\"algorithm\": \"Ed25519\", \"value\": \"x\"}}",
	    "{\"bundle\": {}, \"bundle\": {}, \"signature\": {}}",
	    "{\"bundle\": {}, \"signature\": {\"algorithm\": \"Ed25519\", \"value\": \"x\"}, "
	    "\"extra\": 1}",
	};
	EVP_PKEY *k = new_key();
	struct bundle_info info;
	char why[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		CHECK(bundle_open(bad[i], strlen(bad[i]), k, &info, why, sizeof(why)) == NULL);
		CHECK(why[0] != '\0');
	}
	EVP_PKEY_free(k);
}

static void
test_signed_but_malformed_bundle_is_refused(void)
{
	EVP_PKEY *k = new_key();
	json_t *content = json_pack("{s:I, s:o, s:{s:s}}", "policyVersion", (json_int_t)1, "policy",
	                            json_object(), "users", "bob", "not an object");
	struct bundle_info info;
	char why[256] = "";
	size_t len;
	char *body = bundle_sign(content, 1, "2026-11-29T18:00:00Z", EXPIRES, k, &len);

	CHECK(body != NULL);
	CHECK(bundle_open(body, len, k, &info, why, sizeof(why)) == NULL);
	CHECK(strstr(why, "/bundle/users/bob") != NULL);
	free(body);
	/* A v1 bundle says nothing of an expiry. */
	json_object_set_new(content, "users", json_object());
	json_object_set_new(content, "expires", json_string(EXPIRES_TEXT));
	body = bundle_sign(content, 1, "2026-11-29T18:00:00Z", 0, k, &len);
	CHECK(body != NULL);
	CHECK(bundle_open(body, len, k, &info, why, sizeof(why)) == NULL);
	CHECK_STR_EQ(why, "malformed bundle: /bundle/expires: not in a lockset-bundle-v1 bundle");
	free(body);
	json_decref(content);
	EVP_PKEY_free(k);
}

static void
test_keys_load_from_pem_files(void)
{
	char priv[] = "/tmp/lockset-bundle-key.XXXXXX", *err = NULL;
	EVP_PKEY *k = new_key(), *loaded, *pub;
	char a[BUNDLE_KEY_ID_LEN + 1], b[BUNDLE_KEY_ID_LEN + 1];
	int fd = mkstemp(priv);
	FILE *f = fdopen(fd, "w");

	CHECK(f != NULL && PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) == 1);
	fclose(f);
	loaded = bundle_key_load_private(priv, &err);
	CHECK(loaded != NULL);
	CHECK(bundle_key_id(k, a) == 0 && bundle_key_id(loaded, b) == 0);
	CHECK_STR_EQ(a, b);
	/* A private key is not accepted where a public key is expected. */
	pub = bundle_key_load_public(priv, &err);
	CHECK(pub == NULL && err != NULL);
	free(err);
	err = NULL;
	CHECK(bundle_key_load_private("/nonexistent/key.pem", &err) == NULL && err != NULL);
	free(err);
	unlink(priv);
	EVP_PKEY_free(k);
	EVP_PKEY_free(loaded);
}

int
main(void)
{
	RUN(test_signed_bundle_opens_with_its_key);
	RUN(test_v1_bundle_never_expires);
	RUN(test_bundle_times_are_strict);
	RUN(test_signature_covers_the_canonical_bundle_text);
	RUN(test_other_key_is_refused);
	RUN(test_flood_is_refused_unparsed);
	RUN(test_changed_bundle_is_refused);
	RUN(test_malformed_input_is_refused_with_a_reason);
	RUN(test_signed_but_malformed_bundle_is_refused);
	RUN(test_keys_load_from_pem_files);
	return CHECK_DONE();
}
