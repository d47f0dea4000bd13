/* SPDX-License-Identifier: Apache-2.0 */
/* The signed bundle a central lockset serves (--bundle-signing-key): built
 * from the served org policy and the per-user policies, numbered from the
 * bundle history (fleetstore.h) so that the number only grows and survives
 * restarts, signed once per number, and rebuilt lazily when the policy
 * changes (the served generation moved). Readers hold a reference. */
#ifndef LOCKSET_BUNDLESERVE_H
#define LOCKSET_BUNDLESERVE_H

#include <stddef.h>

struct policystore;
struct served_hub;

struct bundle_served {
	long long version;
	char issued[40];
	char etag[72]; /* strong, quoted, over body */
	char hash[65]; /* of the content it was numbered by */
	char *body;    /* the signed bundle as served */
	size_t len;
	int refs;
};

/* Load the signing key (PEM Ed25519 private key) and build the first bundle
 * (after policylife_start and userpolicy_open) from served's policy and the
 * per-user policies in store (both borrowed, for as long as bundles are
 * served). 0, or -1 with *err (malloc'd). */
int bundleserve_open(const char *key_path, struct served_hub *served, struct policystore *store,
                     char **err);
void bundleserve_close(void);
/* 1 when this daemon signs bundles. */
int bundleserve_enabled(void);

/* The current bundle, rebuilt first when the policy changed since it was
 * built: a new reference, or NULL when disabled or the rebuild failed. */
struct bundle_served *bundleserve_current(void);
void bundleserve_release(struct bundle_served *b);
/* The number of the current bundle (rebuilt first if needed); 0 when none. */
long long bundleserve_version(void);

#endif
