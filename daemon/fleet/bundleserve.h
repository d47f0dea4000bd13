/* SPDX-License-Identifier: Apache-2.0 */
/* The signed bundle a central lockset serves (--bundle-signing-key): built
 * from the served org policy and the per-user policies, numbered from the
 * bundle history (fleetstore.h) so that the number only grows and survives
 * restarts, signed once per number and again each time half its validity
 * has passed (bundle.h: "expires"), and rebuilt lazily when the policy
 * changes (the served generation moved) or a signature is due. Readers hold
 * a reference. A signer is an object (struct bundleserve): main.c opens the
 * daemon's one, or none when it does not sign bundles. */
#ifndef LOCKSET_BUNDLESERVE_H
#define LOCKSET_BUNDLESERVE_H

#include <stddef.h>
#include <time.h>

struct bundleserve;
struct fleetstore;
struct policystore;
struct served_hub;

struct bundle_served {
	long long version;
	char issued[40];
	char etag[72];    /* strong, quoted, over body */
	char hash[65];    /* of the content it was numbered by */
	time_t resign_at; /* when it is signed again (0: never: a v1 bundle) */
	char *body;       /* the signed bundle as served */
	size_t len;
	int refs;
};

/* Load the signing key (PEM Ed25519 private key) and build the first bundle
 * (after policylife_start and userpolicy_open) from served's policy and the
 * per-user policies in store, numbered by fs (all borrowed: they must outlive
 * the signer). Each signature vouches for validity seconds (0: v1 bundles,
 * which never expire). Returns the signer, or NULL with *err (malloc'd). */
struct bundleserve *bundleserve_open(struct fleetstore *fs, struct served_hub *served,
                                     struct policystore *store, const char *key_path, long validity,
                                     char **err);
/* Release bs and its current bundle (readers keep theirs); accepts NULL. */
void bundleserve_close(struct bundleserve *bs);
/* 1 when this daemon signs bundles: bs is not NULL. */
int bundleserve_enabled(const struct bundleserve *bs);

/* The current bundle, rebuilt first when the policy changed since it was
 * built: a new reference, or NULL when bs is NULL or the rebuild failed. */
struct bundle_served *bundleserve_current(struct bundleserve *bs);
void bundleserve_release(struct bundle_served *b);
/* The number of the current bundle (rebuilt first if needed); 0 when none. */
long long bundleserve_version(struct bundleserve *bs);
/* 1 when bs signs bundles that expire (v2), 0 when none or v1. */
int bundleserve_expiring(const struct bundleserve *bs);

#endif
