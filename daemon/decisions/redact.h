/* SPDX-License-Identifier: Apache-2.0 */
/* Secret-bearing values in recorded Engine API requests, replaced by a keyed
 * hash before anything is stored: environment values (Env anywhere in a JSON
 * body: containers, exec, commit, Swarm's TaskTemplate.ContainerSpec.Env),
 * secrets' and configs' Data, Swarm's join tokens, unlock key and CA signing
 * key, registry credentials (an AuthConfig's password, auth and tokens), a
 * plugin's settings, logging and secret drivers' options, a password in a
 * volume's mount options, and in the query build arguments (buildargs) and the
 * user information of URLs. Keys stay, each value becomes "lockset-hmac:" and
 * 32 hex digits of HMAC-SHA-256 under a per-daemon key, so the same value
 * always gives the same token and a replay of the request is judged as the
 * original was. */
#ifndef LOCKSET_REDACT_H
#define LOCKSET_REDACT_H

#include <stddef.h>

#define REDACT_PREFIX    "lockset-hmac:"
#define REDACT_TOKEN_LEN (sizeof(REDACT_PREFIX) - 1 + 32)
#define REDACT_KEY_LEN   32
#define REDACT_MAX_DEPTH 512 /* deeper JSON is not kept */

struct redact;

/* The daemon's key: <state_dir>/inputs-hmac.key (32 random bytes, 0600),
 * created on first use. Returns the redactor, or NULL with *err set
 * (malloc'd). */
struct redact *redact_open(const char *state_dir, char **err);
/* A redactor with this key (tests). NULL on ENOMEM. */
struct redact *redact_new(const unsigned char key[REDACT_KEY_LEN]);
/* Release it. Accepts NULL. */
void redact_free(struct redact *r);

/* The token for n bytes of value into out (REDACT_TOKEN_LEN + 1 bytes). */
void redact_token(const struct redact *r, const char *value, size_t n, char *out);

/* uri with the value of every buildargs query parameter rewritten (a JSON
 * object keeps its keys, each string value a token; anything else becomes one
 * token) and, in any other parameter's value, a URL's user information
 * ("https://user:password@host/...", a build's remote or an import's fromSrc)
 * replaced by a token. A new string (caller frees), NULL on ENOMEM. */
char *redact_uri(const struct redact *r, const char *uri);

/* body (len bytes) with its secrets rewritten, keys matched as dockerd's
 * decoder matches them (case-folded): every value of a member named Env,
 * JoinToken, JoinTokens, UnlockKey, SigningCAKey, Password, IdentityToken or
 * RegistryToken at any depth; a top-level Data or Auth; the Config or Options
 * of a LogConfig, a LogDriver or a top-level (a secret's) Driver; every string
 * of a body that is a list (a plugin's settings); and the pass* options in the
 * "o" of a DriverOpts or Options member. An Env or settings entry "KEY=VALUE"
 * becomes "KEY=<token>", a mount option "pass...=VALUE" "pass...=<token>", any
 * other string a token, and where one of these strings belongs anything else
 * has every string in it hidden; the rest is copied byte for byte. Returns 0
 * with *out (malloc'd) and *outlen, or with *out NULL when nothing had to be
 * hidden (body is kept as it is); 1 when body is not one JSON value (nothing of
 * it may be kept); -1 on ENOMEM. */
int redact_body(const struct redact *r, const char *body, size_t len, char **out, size_t *outlen);

#endif
