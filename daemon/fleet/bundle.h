/* SPDX-License-Identifier: Apache-2.0 */
/* Signed policy bundles, the unit a central lockset serves (GET /v1/bundle)
 * and a host in upstream mode installs: the format, its canonical bytes, and
 * the Ed25519 signature over them. Pure: no HTTP, no audit, no globals.
 *
 * A bundle travels as one JSON object:
 *
 *   {"bundle": {"format": "lockset-bundle-v1", "version": 12,
 *               "issued": "2026-11-29T18:00:00.000000Z", "policyVersion": 7,
 *               "policy": {admin-settings.json},
 *               "users": {"alice": {"version": 3, "policy": {...}}}},
 *    "signature": {"algorithm": "Ed25519", "keyId": "<16 hex>", "value": "<base64>"}}
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

#define BUNDLE_FORMAT     "lockset-bundle-v1"
#define BUNDLE_KEY_ID_LEN 16

/* What bundle_open learnt about a verified bundle. */
struct bundle_info {
	long long version;
	long long policy_version;
	char issued[40];
	char key_id[BUNDLE_KEY_ID_LEN + 1];
};

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

/* The whole signed body for content (borrowed) numbered version and issued
 * at issued: malloc'd text ending in a newline, length in *len; NULL on
 * failure. */
char *bundle_sign(const json_t *content, long long version, const char *issued, EVP_PKEY *key,
                  size_t *len);

/* Parse a received body, check its signature against pub and its shape.
 * Returns the "bundle" object (new reference) and fills info, or NULL with a
 * one-line reason in why (whylen bytes). */
json_t *bundle_open(const char *body, size_t len, EVP_PKEY *pub, struct bundle_info *info,
                    char *why, size_t whylen);

#endif
