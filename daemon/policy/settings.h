/* SPDX-License-Identifier: Apache-2.0 */
/* The effective settings: built-in defaults, the org policy, a per-user policy
 * and the user's own preferences merged by the lock rules into one document
 * the decision engine and GET /v1/settings serve. The merge is driven by the
 * schema's x-lockset-shape annotations and its defaults. */
#ifndef LOCKSET_SETTINGS_H
#define LOCKSET_SETTINGS_H

#include <jansson.h>

/*
 * Values of the path variables. Expansion happens only at the start of a path
 * and only for a whole component: "$HOME" and "$HOME/x" expand, "$HOMEX" and
 * "/a/$HOME" do not (and "$HOMEX" fails validation of the path fields). After
 * expansion the path is cleaned lexically ("//", "." and ".." removed; no
 * trailing "/"; ".." never climbs above "/"). A path that does not end up
 * absolute, or that is "/" itself, has no expansion.
 *
 * $HOME stands for every home in homes: one user's home when a request names
 * the user, else the homes of every member of the home group (homes.h). With
 * no homes, "$HOME..." expands to nothing at all: a share of no one, a
 * protected path of no one. It is never the daemon's own home.
 */
struct settings_env {
	const char *const *homes; /* $HOME: every home it stands for, in order */
	size_t nhomes;
	const char *tmp;  /* $TMP */
	const char *temp; /* $TEMP */
};

/* Fill env for this process: no homes; $TMP = env TMP, else TMPDIR, else
 * "/tmp"; $TEMP = env TEMP, else the $TMP value. The pointers are borrowed
 * from the environment or from static strings: valid until the environment
 * changes. */
void settings_env_default(struct settings_env *env);

struct problems;

/* The host paths of doc (file shares and protected paths), before any
 * expansion: a path that is the whole host once cleaned ("/", "//", "/..")
 * or whose ".." climbs out of its variable ("$TMP/../..") or above "/" is an
 * error; a share of a whole top-level directory ("/home", "/var"; not /tmp)
 * or of the engine's state (/var/lib, /var/run) is a warning. Paths that are
 * not strings or not absolute are left to the schema. Every problem goes to
 * errs or warns (may be NULL), with its JSON pointer. 0, or -1 on an error. */
int settings_check_paths(const json_t *doc, struct problems *errs, struct problems *warns);

/* Every expansion of raw, each cleaned as described above: one for an
 * absolute path, $TMP or $TEMP, one per home for $HOME, none when raw does
 * not end up absolute. A new array of strings, NULL on ENOMEM. */
json_t *settings_expand_all(const char *raw, const struct settings_env *env);

/* The first expansion of raw: a malloc'd absolute path (caller frees), or
 * NULL when it has none. */
char *settings_expand_path(const char *raw, const struct settings_env *env);

/* 1 when the effective settings (or a policy document) name $HOME in a share
 * or a protected path: then each user must be judged with their own home. */
int settings_uses_home(const json_t *doc);

/*
 * The effective settings, a new reference (NULL only when out of memory or
 * the schema is unavailable). All inputs are borrowed and may be NULL:
 *   org          the org policy (the settings file), validated
 *   user_policy  a per-user policy in the same format, validated
 *   user_prefs   the user's own preferences: the same key shapes as a policy
 *                but without "locked" (ignored if present), and no
 *                configurationFileVersion. E.g. {"analyticsEnabled": {"value":
 *                false}, "proxy": {"mode": "manual"}, "linuxVM":
 *                {"vpnkitCIDR": {"value": "10.0.0.0/24"}}}. A pref value that
 *                does not match the schema is ignored.
 * Layers, lowest first: default (the schema's "default"s), org, user-policy,
 * user. A key (or a group, whose "locked" locks every field) locked by a policy
 * layer takes its value from the highest layer that locks it: fields that layer
 * leaves out come from the layers below it, never from above. An unlocked key
 * takes the highest layer that sets it. "source" names the layer: the one that
 * supplied the lock, else the highest one that set the value (for a group: any
 * field), else "default".
 *
 * Output, deterministic for the same inputs (keys in schema order):
 *   configurationFileVersion: 2
 *   scalar keys:  {"locked": bool, "value": v, "source": layer}
 *   flat groups (proxy, containersProxy, kubernetes, scout, containerPolicy):
 *                 {"locked": bool, "source": layer, <every field>: v, ...}
 *   enhancedContainerIsolation: {"locked", "value", "source", "dockerSocketMount":
 *                 {"imageList": {"images": [...], "allowDerivedImages": bool},
 *                  "commandList": {"type": "deny"|"allow", "commands": [...]}}}
 *   linuxVM, windowsContainers: {<child>: {"locked", "value", "source"}, ...}
 *   filesharingAllowedDirectories: null when no layer sets it (file sharing is
 *                 not restricted); otherwise the list of the highest layer that
 *                 sets it, whole: [{"path": raw, "sharedByDefault": bool,
 *                 "expandedPath": the first expansion or null, "expandedPaths":
 *                 ["/abs/clean", ...] (every expansion: one per home for
 *                 $HOME, possibly none), "locked": true, "source": layer}, ...].
 *                 Users cannot widen a list a policy set. The decision engine
 *                 shares every path of expandedPaths.
 *   containerPolicy: {"locked", "source", "mode", "deniedFlags": [...],
 *                 "protectedHostPaths": [raw...], "expandedProtectedHostPaths":
 *                 ["/abs/...", ...] (every expansion of every entry, in order;
 *                 an entry with none adds nothing), "allowedRegistries": [...]
 *                 or null (null = any registry)}
 *   then every unknown top-level key of org, copied verbatim, in org's order.
 * Fields without a schema default that no layer sets are null.
 */
json_t *settings_effective(const json_t *org, const json_t *user_policy, const json_t *user_prefs,
                           const struct settings_env *env);

/*
 * JSON pointers (a new array of strings) of the keys and fields in prefs that
 * org or user_policy lock (all borrowed, any may be NULL), in prefs' order:
 * "/analyticsEnabled" for a scalar, "/proxy/mode" for a group field (nested
 * fields down to the leaf, e.g. "/enhancedContainerIsolation/dockerSocketMount/
 * imageList/images"), "/linuxVM/vpnkitCIDR" for a namespace child, and
 * "/filesharingAllowedDirectories" when a policy sets the list. Keys unknown to
 * the schema are not reported. NULL only when out of memory.
 */
json_t *settings_locked_keys(const json_t *org, const json_t *user_policy, const json_t *prefs);

#endif
