/* SPDX-License-Identifier: Apache-2.0 */
/* Signed policy bundles, the unit a central lockset serves (GET /v1/bundle)
 * and a host in upstream mode installs: the format, its canonical bytes, and
 * the Ed25519 signature over them. Pure: no HTTP, no audit, no globals.
 *
 * A bundle travels as one JSON object:
 *
 *   {"bundle": {"format": "lockset-bundle-v2", "version": 12,
 *               "issued": "2026-11-29T18:00:00.000000Z",
 *               "expires": "2026-12-06T18:00:00Z", "policyVersion": 7,
 *               "policy": {admin-settings.json},
 *               "users": {"alice": {"version": 3, "policy": {...}}}},
 *    "signature": {"algorithm": "Ed25519", "keyId": "<16 hex>", "value": "<base64>"}}
 *
 * "issued" is when the content got its number; "expires" when this signature
 * of it stops vouching that it is the newest: the central signs the same
 * version again, with a later "expires", well before then, so a host whose
 * bundle expires is one whose updates are being held back. Format
 * "lockset-bundle-v1" is the same without "expires" (a central run with
 * --bundle-validity 0): it never expires.
 *
 * The signature covers canonical(bundle): the "bundle" member as compact JSON
 * text with object keys sorted bytewise and every non-ASCII character written
 * as a \u escape (for an ASCII policy, what `jq -cS .bundle` prints). keyId is
 * the first 16 hex digits of SHA-256 over the raw 32-byte public key.
 */
#ifndef LOCKSET_BUNDLE_H
#define LOCKSET_BUNDLE_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <time.h>

#define BUNDLE_FORMAT_V1  "lockset-bundle-v1"
#define BUNDLE_FORMAT_V2  "lockset-bundle-v2"
#define BUNDLE_KEY_ID_LEN 16
#define BUNDLE_TIME_LEN   20 /* "2026-12-06T18:00:00Z" */
/* The longest and shortest a signature may vouch for (--bundle-validity). */
#define BUNDLE_VALIDITY_MAX (366L * 86400)
#define BUNDLE_VALIDITY_MIN 10L

/* What bundle_open learnt about a verified bundle. */
struct bundle_info {
	long long version;
	long long policy_version;
	char issued[40];
	char expires[BUNDLE_TIME_LEN + 1]; /* "" for a v1 bundle, which never expires */
	time_t expires_at;                 /* 0 for a v1 bundle */
	char key_id[BUNDLE_KEY_ID_LEN + 1];
};

/* t as "YYYY-MM-DDTHH:MM:SSZ" into out. */
void bundle_time_format(time_t t, char out[BUNDLE_TIME_LEN + 1]);
/* Exactly that form, a real UTC time, into *t: 0, or -1 when s is anything
 * else. */
int bundle_time_parse(const char *s, time_t *t);

/* Load an Ed25519 private key (PEM, e.g. from `openssl genpkey -algorithm
 * ed25519`) or public key (PEM "PUBLIC KEY"). The new key, or NULL with *err
 * set (malloc'd). */
EVP_PKEY *bundle_key_load_private(const char *path, char **err);
EVP_PKEY *bundle_key_load_public(const char *path, char **err);
/* The key id of k (private or public) into out; 0 or -1. */
int bundle_key_id(EVP_PKEY *k, char out[BUNDLE_KEY_ID_LEN + 1]);

/* canonical(bundle) as above: malloc'd, length in *len; NULL on ENOMEM. */
char *bundle_canonical(const json_t *bundle, size_t *len);

/* The content a bundle is numbered by: {"policyVersion", "policy", "users"}.
 * policy and users are borrowed; users is {"name": {"version", "policy"}}.
 * New reference, NULL on ENOMEM. */
json_t *bundle_content(const json_t *policy, long long policy_version, const json_t *users);

/* The whole signed body for content (borrowed) numbered version, issued at
 * issued and expiring at expires (a v2 bundle; 0: a v1 bundle, which never
 * expires): malloc'd text ending in a newline, length in *len; NULL on
 * failure. */
char *bundle_sign(const json_t *content, long long version, const char *issued, time_t expires,
                  EVP_PKEY *key, size_t *len);

/* Parse a received body, check its signature against pub and its shape.
 * Returns the "bundle" object (new reference) and fills info, or NULL with a
 * one-line reason in why (whylen bytes). Whether it has expired is the
 * caller's to judge (info->expires_at). */
json_t *bundle_open(const char *body, size_t len, EVP_PKEY *pub, struct bundle_info *info,
                    char *why, size_t whylen);

#endif
