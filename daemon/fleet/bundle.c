/* SPDX-License-Identifier: Apache-2.0 */
/* Bundle format, keys, signing and verification (see bundle.h). Everything a
 * host accepts passes bundle_open: signature first, then the shape, so no
 * unverified byte is ever interpreted as policy. */
#include "bundle.h"

#include "util/jsonscan.h"
#include "util/jsonv.h"
#include "util/problems.h"

#include <errno.h>
#include <openssl/pem.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIG_LEN     64
#define SIG_B64_LEN 88 /* base64 of 64 bytes, padded */

static void set_err(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
set_err(char **err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(err, fmt, ap) < 0)
		*err = NULL;
	va_end(ap);
}

/* ------------------------------------------------------------------------ */
/* Keys */

static EVP_PKEY *
key_load(const char *path, int private, char **err)
{
	FILE *f = fopen(path, "re");
	EVP_PKEY *k;

	if (f == NULL) {
		set_err(err, "%s: %s", path, strerror(errno));
		return NULL;
	}
	k = private ? PEM_read_PrivateKey(f, NULL, NULL, NULL)
	            : PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (k == NULL || EVP_PKEY_get_id(k) != EVP_PKEY_ED25519) {
		set_err(err, "%s: not an Ed25519 %s key in PEM", path,
		        private ? "private" : "public");
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

EVP_PKEY *
bundle_key_load_private(const char *path, char **err)
{
	return key_load(path, 1, err);
}

EVP_PKEY *
bundle_key_load_public(const char *path, char **err)
{
	return key_load(path, 0, err);
}

int
bundle_key_id(EVP_PKEY *k, char out[BUNDLE_KEY_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[32], md[EVP_MAX_MD_SIZE];
	size_t rawlen = sizeof(raw);
	unsigned int mdlen = 0;

	if (EVP_PKEY_get_raw_public_key(k, raw, &rawlen) != 1 || rawlen != sizeof(raw) ||
	    EVP_Digest(raw, rawlen, md, &mdlen, EVP_sha256(), NULL) != 1)
		return -1;
	for (int i = 0; i < BUNDLE_KEY_ID_LEN / 2; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[BUNDLE_KEY_ID_LEN] = '\0';
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Canonical bytes and signing */

char *
bundle_canonical(const json_t *bundle, size_t *len)
{
	char *text = json_dumps(bundle, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);

	if (text != NULL)
		*len = strlen(text);
	return text;
}

json_t *
bundle_content(const json_t *policy, long long policy_version, const json_t *users)
{
	return json_pack("{s:I, s:O, s:O}", "policyVersion", (json_int_t)policy_version, "policy",
	                 policy, "users", users);
}

static int
sign_bytes(EVP_PKEY *key, const char *msg, size_t len, char b64[SIG_B64_LEN + 1])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sig[SIG_LEN];
	size_t siglen = sizeof(sig);
	int rc = -1;

	if (md != NULL && EVP_DigestSignInit(md, NULL, NULL, NULL, key) == 1 &&
	    EVP_DigestSign(md, sig, &siglen, (const unsigned char *)msg, len) == 1 &&
	    siglen == SIG_LEN) {
		EVP_EncodeBlock((unsigned char *)b64, sig, SIG_LEN);
		rc = 0;
	}
	EVP_MD_CTX_free(md);
	return rc;
}

void
bundle_time_format(time_t t, char out[BUNDLE_TIME_LEN + 1])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, BUNDLE_TIME_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm) != BUNDLE_TIME_LEN)
		snprintf(out, BUNDLE_TIME_LEN + 1, "%s", "9999-12-31T23:59:59Z");
}

int
bundle_time_parse(const char *s, time_t *t)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	char back[BUNDLE_TIME_LEN + 1];
	struct tm tm;

	if (strlen(s) != BUNDLE_TIME_LEN)
		return -1;
	for (size_t i = 0; i < BUNDLE_TIME_LEN; i++)
		if (shape[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != shape[i])
			return -1;
	memset(&tm, 0, sizeof(tm));
	if (strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm) == NULL)
		return -1;
	*t = timegm(&tm);
	/* A date that does not exist (February 30) comes back as another one. */
	bundle_time_format(*t, back);
	return strcmp(back, s) == 0 ? 0 : -1;
}

char *
bundle_sign(const json_t *content, long long version, const char *issued, time_t expires,
            EVP_PKEY *key, size_t *len)
{
	json_t *bundle = json_deep_copy(content), *body = NULL;
	char *canon = NULL, *text = NULL, b64[SIG_B64_LEN + 1], kid[BUNDLE_KEY_ID_LEN + 1];
	char until[BUNDLE_TIME_LEN + 1];
	size_t clen = 0;

	bundle_time_format(expires, until);
	if (bundle == NULL ||
	    json_object_set_new(bundle, "format",
	                        json_string(expires ? BUNDLE_FORMAT_V2 : BUNDLE_FORMAT_V1)) ||
	    json_object_set_new(bundle, "version", json_integer(version)) ||
	    json_object_set_new(bundle, "issued", json_string(issued)) ||
	    (expires && json_object_set_new(bundle, "expires", json_string(until))))
		goto out;
	if ((canon = bundle_canonical(bundle, &clen)) == NULL ||
	    sign_bytes(key, canon, clen, b64) != 0 || bundle_key_id(key, kid) != 0)
		goto out;
	body = json_pack("{s:O, s:{s:s, s:s, s:s}}", "bundle", bundle, "signature", "algorithm",
	                 "Ed25519", "keyId", kid, "value", b64);
	/* Sorted keys: "bundle" comes first and is its canonical text verbatim. */
	if (body == NULL || (text = bundle_canonical(body, len)) == NULL)
		goto out;
	{
		char *t = realloc(text, *len + 2);
		if (t == NULL) {
			free(text);
			text = NULL;
			goto out;
		}
		text = t;
		text[(*len)++] = '\n';
		text[*len] = '\0';
	}
out:
	json_decref(bundle);
	json_decref(body);
	free(canon);
	return text;
}

/* ------------------------------------------------------------------------ */
/* Verification */

static int
verify_sig(EVP_PKEY *pub, const json_t *bundle, const char *b64)
{
	unsigned char sig[SIG_LEN + 3];
	EVP_MD_CTX *md = NULL;
	size_t clen = 0;
	char *canon = NULL;
	int ok = 0;

	/* 64 bytes are 88 base64 characters, which EVP_DecodeBlock counts as 66. */
	if (strlen(b64) != SIG_B64_LEN ||
	    EVP_DecodeBlock(sig, (const unsigned char *)b64, SIG_B64_LEN) != SIG_LEN + 2)
		return 0;
	if ((canon = bundle_canonical(bundle, &clen)) != NULL && (md = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestVerifyInit(md, NULL, NULL, NULL, pub) == 1 &&
	    EVP_DigestVerify(md, sig, SIG_LEN, (const unsigned char *)canon, clen) == 1)
		ok = 1;
	EVP_MD_CTX_free(md);
	free(canon);
	return ok;
}

/* format and expires: v2 expires at a time, v1 never (and says nothing of
 * it). */
static void
check_format(const json_t *b, struct problems *errs)
{
	const char *format = json_string_value(json_object_get(b, "format"));
	const json_t *expires = json_object_get(b, "expires");
	time_t t;

	if (strcmp(format, BUNDLE_FORMAT_V2) == 0) {
		if (expires == NULL)
			problems_add(errs, "/bundle/expires", "required in a %s bundle",
			             BUNDLE_FORMAT_V2);
		else if (bundle_time_parse(json_string_value(expires), &t) != 0)
			problems_add(errs, "/bundle/expires",
			             "expected a UTC time YYYY-MM-DDTHH:MM:SSZ");
	} else if (strcmp(format, BUNDLE_FORMAT_V1) == 0) {
		if (expires != NULL)
			problems_add(errs, "/bundle/expires", "not in a %s bundle",
			             BUNDLE_FORMAT_V1);
	} else {
		problems_add(errs, "/bundle/format", "expected \"%s\" or \"%s\"", BUNDLE_FORMAT_V2,
		             BUNDLE_FORMAT_V1);
	}
}

/* The shape of a verified bundle; the first problem goes to why. */
static int
check_shape(const json_t *b, char *why, size_t whylen)
{
	static const struct jv_field fields[] = {
	    {"format", JV_STRING, 1},         {"version", JV_INTEGER, 1},
	    {"issued", JV_STRING, 1},         {"expires", JV_STRING, 0},
	    {"policyVersion", JV_INTEGER, 1}, {"policy", JV_OBJECT, 1},
	    {"users", JV_OBJECT, 1},          {NULL, 0, 0}};
	static const struct jv_field user_fields[] = {
	    {"version", JV_INTEGER, 1}, {"policy", JV_OBJECT, 1}, {NULL, 0, 0}};
	struct problems errs = PROBLEMS_INIT;
	const char *name;
	json_t *u;

	if (jv_check_object(b, "/bundle", fields, &errs) == 0) {
		check_format(b, &errs);
		if (json_integer_value(json_object_get(b, "version")) < 1)
			problems_add(&errs, "/bundle/version", "expected a positive number");
		json_object_foreach((json_t *)json_object_get(b, "users"), name, u)
		{
			char *p = problems_pointer_join("/bundle/users", name);
			jv_check_object(u, p ? p : "/bundle/users", user_fields, &errs);
			free(p);
		}
	}
	int rc = errs.n > 0 ? -1 : 0;

	if (rc != 0)
		snprintf(why, whylen, "malformed bundle: %s: %s", errs.v[0].path,
		         errs.v[0].message);
	problems_clear(&errs);
	return rc;
}

/* Before anything is parsed, from a server not trusted yet: a JSON text of
 * more objects or values than a bundle of the body cap holds (at least 32
 * bytes an object), or nested deeper than policies go, is refused, so that
 * 16 MiB of "{}," (five million objects, 1.3 GB once parsed) cannot grow a
 * root daemon that is also the engine's authorization plugin. */
#define BUNDLE_MAX_OBJECTS 500000
#define BUNDLE_MAX_VALUES  2000000
#define BUNDLE_MAX_DEPTH   64

json_t *
bundle_open(const char *body, size_t len, EVP_PKEY *pub, struct bundle_info *info, char *why,
            size_t whylen)
{
	static const struct jv_field top[] = {
	    {"bundle", JV_OBJECT, 1}, {"signature", JV_OBJECT, 1}, {NULL, 0, 0}};
	static const struct jv_field sigf[] = {{"algorithm", JV_STRING, 1},
	                                       {"keyId", JV_STRING, 0},
	                                       {"value", JV_STRING, 1},
	                                       {NULL, 0, 0}};
	static const struct jsonscan_limits lim = {BUNDLE_MAX_DEPTH, BUNDLE_MAX_OBJECTS,
	                                           BUNDLE_MAX_VALUES};
	struct problems errs = PROBLEMS_INIT;
	json_t *doc, *b = NULL, *sig;
	json_error_t jerr;

	memset(info, 0, sizeof(*info));
	if (jsonscan_check(body, len, &lim) != len) {
		snprintf(why, whylen, "not a bundle: over %d objects, %d values or %d levels deep",
		         BUNDLE_MAX_OBJECTS, BUNDLE_MAX_VALUES, BUNDLE_MAX_DEPTH);
		return NULL;
	}
	doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		snprintf(why, whylen, "not JSON: line %d: %s", jerr.line, jerr.text);
		return NULL;
	}
	if (jv_check_object(doc, "", top, &errs) != 0 ||
	    jv_check_object((sig = json_object_get(doc, "signature")), "/signature", sigf, &errs) !=
	        0) {
		snprintf(why, whylen, "not a signed bundle: %s: %s", errs.v[0].path,
		         errs.v[0].message);
		goto out;
	}
	if (strcmp(json_string_value(json_object_get(sig, "algorithm")), "Ed25519") != 0) {
		snprintf(why, whylen, "unsupported signature algorithm");
		goto out;
	}
	b = json_object_get(doc, "bundle");
	if (!verify_sig(pub, b, json_string_value(json_object_get(sig, "value")))) {
		snprintf(why, whylen, "the signature does not verify with the bundle key");
		b = NULL;
		goto out;
	}
	if (check_shape(b, why, whylen) != 0) {
		b = NULL;
		goto out;
	}
	json_incref(b);
	info->version = json_integer_value(json_object_get(b, "version"));
	info->policy_version = json_integer_value(json_object_get(b, "policyVersion"));
	snprintf(info->issued, sizeof(info->issued), "%s",
	         json_string_value(json_object_get(b, "issued")));
	if (json_object_get(b, "expires") != NULL) {
		snprintf(info->expires, sizeof(info->expires), "%s",
		         json_string_value(json_object_get(b, "expires")));
		bundle_time_parse(info->expires, &info->expires_at);
	}
	bundle_key_id(pub, info->key_id);
out:
	problems_clear(&errs);
	json_decref(doc);
	return b;
}
