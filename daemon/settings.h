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
 * absolute has no expansion (null in the output).
 */
struct settings_env {
	const char *home; /* $HOME */
	const char *tmp;  /* $TMP */
	const char *temp; /* $TEMP */
};

/* Fill env for this process: $HOME = env HOME, else the euid's pw_dir, else
 * "/"; $TMP = env TMP, else TMPDIR, else "/tmp"; $TEMP = env TEMP, else the
 * $TMP value. The pointers are borrowed from the environment or from static
 * storage: valid until the environment changes or the next call (call it at
 * start-up, not from several threads). */
void settings_env_default(struct settings_env *env);

/* Expand and clean one path as described above. Returns a malloc'd absolute
 * path (caller frees), or NULL with errno EINVAL when raw is not absolute
 * after expansion, ENOMEM when out of memory. */
char *settings_expand_path(const char *raw, const struct settings_env *env);

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
 *                 "expandedPath": "/abs/clean" or null, "locked": true,
 *                 "source": layer}, ...]. Users cannot widen a list a policy set.
 *   containerPolicy: {"locked", "source", "mode", "deniedFlags": [...],
 *                 "protectedHostPaths": [raw...], "expandedProtectedHostPaths":
 *                 ["/abs/..." or null...], "allowedRegistries": [...] or null
 *                 (null = any registry)}
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
