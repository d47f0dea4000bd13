/* SPDX-License-Identifier: Apache-2.0 */
/* The central's current signed bundle (see bundleserve.h). A rebuild reads
 * the served policy and the per-user policies, hashes their content, takes
 * the bundle number from the history (a new number only when the content
 * differs from the newest) and signs; a long-poll woken by any change calls
 * bundleserve_current() and so triggers it. One mutex per signer (struct
 * bundleserve) serialises its rebuilds. */
#include "bundleserve.h"
#include "util/etag.h"

#include "bundle.h"
#include "fleetstore.h"
#include "log.h"
#include "policy/policystore.h"
#include "policy/served.h"
#include "util/lockorder.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct bundleserve {
	pthread_mutex_t lock; /* cur and built_gen; held while building */
	EVP_PKEY *key;
	struct fleetstore *fs;     /* numbers the bundles (borrowed) */
	struct served_hub *served; /* the policy bundles are built from (borrowed) */
	struct policystore *store; /* the per-user policies (borrowed) */
	struct bundle_served *cur;
	unsigned long long built_gen;
	long validity; /* seconds a signature vouches for; 0: v1 bundles, no expiry */
};

/* cur's signature has run half its validity: sign its content again, so
 * that hosts always hold a bundle with half the validity still ahead. */
static int
resign_due(const struct bundle_served *cur)
{
	struct timespec now;

	/* The precise clock, as long-polls are timed by: time() may lag it. */
	clock_gettime(CLOCK_REALTIME, &now);
	return cur->resign_at != 0 && now.tv_sec >= cur->resign_at;
}

static void
bundle_served_free(struct bundle_served *b)
{
	if (b == NULL)
		return;
	free(b->body);
	free(b);
}

void
bundleserve_release(struct bundle_served *b)
{
	if (b != NULL && __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) == 0)
		bundle_served_free(b);
}

/* {"alice": {"version", "policy"}} from the policy history. New reference. */
static json_t *
current_users(struct policystore *store)
{
	json_t *rows = policystore_user_current(store), *users, *v;
	const char *name;

	if (rows == NULL || (users = json_object()) == NULL) {
		json_decref(rows);
		return NULL;
	}
	json_object_foreach(rows, name, v)
	{
		json_object_set_new(users, name,
		                    json_pack("{s:O, s:O}", "version",
		                              json_object_get(v, "version"), "policy",
		                              json_object_get(v, "document")));
	}
	json_decref(rows);
	return users;
}

/* Build the bundle for the policy served now. New bundle (refs 1) or NULL. */
static struct bundle_served *
build(struct bundleserve *bs)
{
	struct bundle_served *cur = bs->cur;
	struct served *s = served_acquire(bs->served);
	struct bundle_served *b = NULL;
	json_t *users = NULL, *content = NULL;
	char hash[65], issued[FLEET_TIME_LEN + 1];
	long long version;
	time_t now;

	if (s == NULL || (users = current_users(bs->store)) == NULL ||
	    (content = bundle_content(s->doc, s->version, users)) == NULL ||
	    policystore_hash(content, hash) != 0)
		goto out;
	/* A wake-up that changed nothing here (a user's preferences) costs no
	 * write to the history. */
	if (cur != NULL && strcmp(cur->hash, hash) == 0 && !resign_due(cur)) {
		b = cur;
		__atomic_add_fetch(&b->refs, 1, __ATOMIC_ACQ_REL);
		goto out;
	}
	if (fleetstore_bundle_number(bs->fs, hash, &version, issued) != 0)
		goto out;
	if (cur != NULL && cur->version == version && !resign_due(cur)) {
		b = cur;
		__atomic_add_fetch(&b->refs, 1, __ATOMIC_ACQ_REL);
		goto out;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL)
		goto out;
	b->refs = 1;
	b->version = version;
	memcpy(b->hash, hash, sizeof(b->hash));
	snprintf(b->issued, sizeof(b->issued), "%s", issued);
	now = time(NULL);
	b->resign_at = bs->validity > 0 ? now + (bs->validity + 1) / 2 : 0;
	if ((b->body = bundle_sign(content, version, issued,
	                           bs->validity > 0 ? now + bs->validity : 0, bs->key, &b->len)) ==
	    NULL) {
		bundle_served_free(b);
		b = NULL;
		goto out;
	}
	etag_of(b->body, b->len, b->etag);
	log_info("bundle v%lld: policy v%lld and %zu per-user polic%s", version, s->version,
	         json_object_size(users), json_object_size(users) == 1 ? "y" : "ies");
out:
	json_decref(users);
	json_decref(content);
	served_release(s);
	return b;
}

struct bundle_served *
bundleserve_current(struct bundleserve *bs)
{
	struct bundle_served *b = NULL, *fresh;
	unsigned long long gen;

	if (bs == NULL)
		return NULL; /* no bundles signed here */
	gen = served_generation(bs->served);
	lockorder_lock(&bs->lock, LOCK_BUNDLESERVE);
	if (bs->cur != NULL && gen == bs->built_gen && !resign_due(bs->cur)) {
		b = bs->cur;
		__atomic_add_fetch(&b->refs, 1, __ATOMIC_ACQ_REL);
		goto out;
	}
	if ((fresh = build(bs)) == NULL) {
		log_warnx("bundle: cannot build the bundle for the current policy");
		goto out;
	}
	if (fresh != bs->cur) {
		bundleserve_release(bs->cur);
		bs->cur = fresh;
		__atomic_add_fetch(&fresh->refs, 1, __ATOMIC_ACQ_REL);
	}
	/* The generation read before building: a change during the build makes
	 * the next call build again. */
	bs->built_gen = gen;
	b = fresh;
out:
	lockorder_unlock(&bs->lock, LOCK_BUNDLESERVE);
	return b;
}

long long
bundleserve_version(struct bundleserve *bs)
{
	struct bundle_served *b = bundleserve_current(bs);
	long long v = b != NULL ? b->version : 0;

	bundleserve_release(b);
	return v;
}

int
bundleserve_expiring(const struct bundleserve *bs)
{
	return bs != NULL && bs->validity > 0;
}

int
bundleserve_enabled(const struct bundleserve *bs)
{
	return bs != NULL;
}

struct bundleserve *
bundleserve_open(struct fleetstore *fs, struct served_hub *served, struct policystore *store,
                 const char *key_path, long validity, char **err)
{
	struct bundleserve *bs = calloc(1, sizeof(*bs));
	struct bundle_served *b;
	char kid[BUNDLE_KEY_ID_LEN + 1] = "";

	if (bs == NULL) {
		*err = strdup("out of memory");
		return NULL;
	}
	pthread_mutex_init(&bs->lock, NULL);
	bs->fs = fs;
	bs->served = served;
	bs->store = store;
	bs->validity = validity;
	if ((bs->key = bundle_key_load_private(key_path, err)) == NULL) {
		bundleserve_close(bs);
		return NULL;
	}
	if ((b = bundleserve_current(bs)) == NULL) {
		*err = strdup("cannot build the first bundle");
		bundleserve_close(bs);
		return NULL;
	}
	bundle_key_id(bs->key, kid);
	log_info("signing bundles with key %s (%s): serving bundle v%lld", kid, key_path,
	         b->version);
	bundleserve_release(b);
	return bs;
}

void
bundleserve_close(struct bundleserve *bs)
{
	if (bs == NULL)
		return;
	bundleserve_release(bs->cur);
	EVP_PKEY_free(bs->key);
	pthread_mutex_destroy(&bs->lock);
	free(bs);
}
