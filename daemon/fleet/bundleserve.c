/* SPDX-License-Identifier: Apache-2.0 */
/* The central's current signed bundle (see bundleserve.h). A rebuild reads
 * the served policy and the per-user policies, hashes their content, takes
 * the bundle number from the history (a new number only when the content
 * differs from the newest) and signs; a long-poll woken by any change calls
 * bundleserve_current() and so triggers it. One mutex serialises rebuilds. */
#include "bundleserve.h"
#include "util/etag.h"

#include "bundle.h"
#include "fleetstore.h"
#include "log.h"
#include "policy/policystore.h"
#include "policy/served.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t bs_lock = PTHREAD_MUTEX_INITIALIZER;
static EVP_PKEY *key;
static struct bundle_served *cur;
static unsigned long long built_gen;
static struct served_hub *bs_served; /* what bundles are built from */
static struct policystore *bs_store;

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
current_users(void)
{
	json_t *rows = policystore_user_current(bs_store), *users, *v;
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
build(void)
{
	struct served *s = served_acquire(bs_served);
	struct bundle_served *b = NULL;
	json_t *users = NULL, *content = NULL;
	char hash[65], issued[FLEET_TIME_LEN + 1];
	long long version;

	if (s == NULL || (users = current_users()) == NULL ||
	    (content = bundle_content(s->doc, s->version, users)) == NULL ||
	    policystore_hash(content, hash) != 0)
		goto out;
	/* A wake-up that changed nothing here (a user's preferences) costs no
	 * write to the history. */
	if (cur != NULL && strcmp(cur->hash, hash) == 0) {
		b = cur;
		__atomic_add_fetch(&b->refs, 1, __ATOMIC_ACQ_REL);
		goto out;
	}
	if (fleetstore_bundle_number(hash, &version, issued) != 0)
		goto out;
	if (cur != NULL && cur->version == version) {
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
	if ((b->body = bundle_sign(content, version, issued, key, &b->len)) == NULL) {
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
bundleserve_current(void)
{
	struct bundle_served *b = NULL, *fresh;
	unsigned long long gen;

	if (key == NULL)
		return NULL; /* no bundles signed here, and no served hub given */
	gen = served_generation(bs_served);
	pthread_mutex_lock(&bs_lock);
	if (cur != NULL && gen == built_gen) {
		b = cur;
		__atomic_add_fetch(&b->refs, 1, __ATOMIC_ACQ_REL);
		goto out;
	}
	if ((fresh = build()) == NULL) {
		log_warnx("bundle: cannot build the bundle for the current policy");
		goto out;
	}
	if (fresh != cur) {
		bundleserve_release(cur);
		cur = fresh;
		__atomic_add_fetch(&cur->refs, 1, __ATOMIC_ACQ_REL);
	}
	/* The generation read before building: a change during the build makes
	 * the next call build again. */
	built_gen = gen;
	b = fresh;
out:
	pthread_mutex_unlock(&bs_lock);
	return b;
}

long long
bundleserve_version(void)
{
	struct bundle_served *b = bundleserve_current();
	long long v = b != NULL ? b->version : 0;

	bundleserve_release(b);
	return v;
}

int
bundleserve_enabled(void)
{
	return key != NULL;
}

int
bundleserve_open(const char *key_path, struct served_hub *served, struct policystore *store,
                 char **err)
{
	struct bundle_served *b;
	char kid[BUNDLE_KEY_ID_LEN + 1] = "";

	bs_served = served;
	bs_store = store;
	if ((key = bundle_key_load_private(key_path, err)) == NULL)
		return -1;
	if ((b = bundleserve_current()) == NULL) {
		*err = strdup("cannot build the first bundle");
		EVP_PKEY_free(key);
		key = NULL;
		return -1;
	}
	bundle_key_id(key, kid);
	log_info("signing bundles with key %s (%s): serving bundle v%lld", kid, key_path,
	         b->version);
	bundleserve_release(b);
	return 0;
}

void
bundleserve_close(void)
{
	pthread_mutex_lock(&bs_lock);
	bundleserve_release(cur);
	cur = NULL;
	EVP_PKEY_free(key);
	key = NULL;
	pthread_mutex_unlock(&bs_lock);
}
