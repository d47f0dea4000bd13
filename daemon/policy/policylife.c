/* SPDX-License-Identifier: Apache-2.0 */
/* Org policy changes, serialised: versioning from the policy history, the
 * audit row before anything is applied, the atomic file write, and the swap
 * into the served copy. See policylife.h for the order and why. */
#include "policylife.h"

#include "audit/audit.h"
#include "util/etag.h"
#include "util/jsondiff.h"
#include "util/lockorder.h"
#include "log.h"
#include "policy.h"
#include "policystore.h"
#include "served.h"
#include "settings.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct policylife {
	pthread_mutex_t lock;      /* one change at a time, If-Match to install */
	int managed;               /* upstream mode: see policylife_new */
	struct served_hub *served; /* the served copy and the settings file's path */
	struct policystore *store; /* the history every version goes to */
	struct audit *audit;       /* every change is recorded here first */
};

struct policylife *
policylife_new(struct served_hub *served, struct policystore *store, struct audit *audit,
               int managed)
{
	struct policylife *pl = calloc(1, sizeof(*pl));

	if (pl == NULL)
		return NULL;
	pthread_mutex_init(&pl->lock, NULL);
	pl->managed = managed;
	pl->served = served;
	pl->store = store;
	pl->audit = audit;
	return pl;
}

void
policylife_free(struct policylife *pl)
{
	if (pl == NULL)
		return;
	pthread_mutex_destroy(&pl->lock);
	free(pl);
}

/* ------------------------------------------------------------------------ */
/* Atomic file write */

static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
policylife_write_file(const char *path, const char *text, size_t len)
{
	char *copy = strdup(path), *tmp = NULL;
	const char *dir, *base;
	struct stat st;
	int fd = -1, rc = -1, saved;
	mode_t mode = 0644;
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (copy == NULL)
		return -1;
	if (stat(path, &st) == 0) {
		mode = st.st_mode & 07777;
		uid = st.st_uid;
		gid = st.st_gid;
	}
	dir = dirname(copy);
	base = path + strlen(path);
	while (base > path && base[-1] != '/')
		base--;
	if (asprintf(&tmp, "%s/.%s.lockset-XXXXXX", dir, base) < 0) {
		tmp = NULL;
		goto out;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		goto out;
	if ((geteuid() == 0 && fchown(fd, uid, gid) != 0) || fchmod(fd, mode) != 0 ||
	    write_all(fd, text, len) != 0 || fsync(fd) != 0)
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto out;
	free(tmp);
	tmp = NULL;
	/* The rename is durable only once the directory is. */
	if (fsync_dir(dir) != 0)
		log_warn("policy: fsync of %s", dir);
	rc = 0;
out:
	saved = errno;
	if (fd >= 0)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	free(copy);
	errno = saved;
	return rc;
}

/* Remove temp files a crash left between mkostemp and rename. */
static void
remove_stale_temps(const char *path)
{
	char *copy = strdup(path), *prefix = NULL, *full = NULL;
	const char *dir, *base = strrchr(path, '/');
	struct dirent *de;
	DIR *d;

	if (copy == NULL)
		return;
	dir = dirname(copy);
	if (asprintf(&prefix, ".%s.lockset-", base ? base + 1 : path) < 0 ||
	    (d = opendir(dir)) == NULL)
		goto out;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0 ||
		    asprintf(&full, "%s/%s", dir, de->d_name) < 0)
			continue;
		if (unlink(full) == 0)
			log_info("policy: removed %s, left by an interrupted write", full);
		free(full);
	}
	closedir(d);
out:
	free(prefix);
	free(copy);
}

/* ------------------------------------------------------------------------ */
/* Audit */

static int
audit_change(struct policylife *pl, const char *action, const char *actor, const char *component,
             long long version, const char *source, const char *comment, const json_t *diff,
             const char *detail)
{
	json_t *data = json_pack("{s:s, s:s, s:s?, s:O?, s:s?}", "source", source, "file",
	                         served_settings_path(pl->served), "comment", comment, "diff", diff,
	                         "detail", detail);
	int rc = data ? audit_record(
	                    pl->audit, action, actor, component, served_settings_path(pl->served),
	                    strcmp(action, "policy.updated") == 0 ? "allow" : "deny", version, data)
	              : -1;

	json_decref(data);
	return rc;
}
/* ------------------------------------------------------------------------ */
/* Versions of the file's document */

/* The newest stored document (new reference) for diffs at start-up; NULL when
 * none. */
static json_t *
stored_doc(struct policylife *pl, long long version)
{
	int found;
	json_t *row = policystore_get(pl->store, version, &found), *doc = NULL;

	if (row != NULL)
		doc = json_incref(json_object_get(row, "document"));
	json_decref(row);
	return doc;
}

/* Serve doc (stolen) as version and say that the served policy changed;
 * -1 with the problem in errs when out of memory. Caller holds pl->lock. */
static int
install_file_doc(struct policylife *pl, json_t *doc, long long version, struct problems *errs,
                 int *changed)
{
	if (served_install(pl->served, doc, version) != 0) {
		problems_add(errs, "", "out of memory building the policy");
		return -1;
	}
	*changed = 1;
	return 0;
}

/* Upstream mode: the file (doc, borrowed) differs from the newest version,
 * latest. Audit that it is ignored, serve latest (at start-up nothing is
 * served yet) and put the file back. Caller holds pl->lock. */
static int
ignore_file_doc(struct policylife *pl, const json_t *doc, struct served *cur, long long latest,
                struct problems *errs, int *changed)
{
	json_t *want = cur != NULL ? json_incref(cur->doc) : stored_doc(pl, latest), *diff;
	char *text = NULL;
	size_t len = 0;
	int rc = -1;

	if (want == NULL) {
		problems_add(errs, "", "cannot read the policy history");
		return -1;
	}
	diff = jsondiff_summary(want, doc);
	log_warnx("policy: %s was changed by hand; ignored: the policy is managed upstream",
	          served_settings_path(pl->served));
	if (audit_change(pl, "policy.file_ignored", "file", "locksetd", latest, "file", NULL, diff,
	                 "the policy is managed by an upstream lockset") != 0)
		log_warnx("audit: could not record policy.file_ignored");
	if (cur == NULL && install_file_doc(pl, json_incref(want), latest, errs, changed) != 0)
		goto out;
	if ((text = policy_render(want, &len)) == NULL ||
	    policylife_write_file(served_settings_path(pl->served), text, len) != 0)
		log_warn("policy: cannot restore %s", served_settings_path(pl->served));
	rc = 0;
out:
	free(text);
	json_decref(diff);
	json_decref(want);
	return rc;
}

/* Give doc (read from the file; stolen) its version and install it. Caller
 * holds pl->lock. */
static int
adopt_file_doc(struct policylife *pl, json_t *doc, const char *detail, struct problems *errs,
               int *changed)
{
	struct served *cur = served_acquire(pl->served);
	struct policystore_version pv = {"file", detail, "file", doc};
	char hash[65], latest_hash[65] = "";
	long long latest = 0, version;
	json_t *old = NULL, *diff = NULL;
	int r, rc = -1;

	*changed = 0;
	if (policystore_hash(doc, hash) != 0 ||
	    (r = policystore_latest(pl->store, &latest, latest_hash)) < 0) {
		problems_add(errs, "", "cannot read the policy history");
		goto out;
	}
	if (r == 0 && strcmp(hash, latest_hash) == 0) {
		/* The newest version: the daemon's own write, a touch, or a restart. */
		if (cur != NULL && cur->version == latest) {
			rc = 0;
			goto out;
		}
		rc = install_file_doc(pl, doc, latest, errs, changed);
		doc = NULL;
		goto out;
	}
	if (pl->managed && r == 0) {
		rc = ignore_file_doc(pl, doc, cur, latest, errs, changed);
		goto out;
	}
	old = cur != NULL ? json_incref(cur->doc) : (r == 0 ? stored_doc(pl, latest) : NULL);
	diff = jsondiff_summary(old, doc);
	if (policystore_add(pl->store, &pv, &version) != 0) {
		problems_add(errs, "", "cannot record the new version in the policy history");
		goto out;
	}
	if (audit_change(pl, "policy.updated", "file", "locksetd", version, "file", NULL, diff,
	                 detail) != 0) {
		policystore_withdraw(pl->store, version);
		problems_add(errs, "", "the change could not be audited; not applied");
		goto out;
	}
	rc = install_file_doc(pl, doc, version, errs, changed);
	doc = NULL;
out:
	json_decref(doc);
	json_decref(old);
	json_decref(diff);
	served_release(cur);
	return rc;
}

int
policylife_start(struct policylife *pl, json_t *doc, struct problems *errs)
{
	int rc, changed;

	lockorder_lock(&pl->lock, LOCK_POLICYLIFE);
	remove_stale_temps(served_settings_path(pl->served));
	rc = adopt_file_doc(pl, doc, "loaded at start-up", errs, &changed);
	lockorder_unlock(&pl->lock, LOCK_POLICYLIFE);
	return rc;
}

int
policylife_reload(struct policylife *pl, struct problems *errs, struct problems *warns,
                  int *changed)
{
	json_t *doc;
	int rc;

	*changed = 0;
	lockorder_lock(&pl->lock, LOCK_POLICYLIFE);
	doc = served_load(pl->served, errs, warns);
	rc = doc != NULL ? adopt_file_doc(pl, doc, "reloaded from file", errs, changed) : -1;
	if (rc != 0) {
		/* Refused like any other change: recorded in turn, under the lock. */
		struct served *cur = served_acquire(pl->served);

		if (audit_change(pl, "policy.reload_failed", "file", "locksetd",
		                 cur ? cur->version : 0, "file", NULL, NULL,
		                 errs->n > 0 ? errs->v[0].message : "invalid policy") != 0)
			log_warnx("audit: could not record policy.reload_failed");
		served_release(cur);
	}
	lockorder_unlock(&pl->lock, LOCK_POLICYLIFE);
	return rc;
}

int
policylife_rebuild(struct policylife *pl)
{
	int rc;

	lockorder_lock(&pl->lock, LOCK_POLICYLIFE);
	rc = served_rebuild(pl->served);
	lockorder_unlock(&pl->lock, LOCK_POLICYLIFE);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Changes from the API */

/* Steps 1-4 of policylife.h for doc (borrowed), whose file text is text.
 * Caller holds pl->lock. */
static enum policylife_status
commit(struct policylife *pl, json_t *doc, const char *text, size_t len,
       const struct policylife_change *c, struct policylife_result *res)
{
	struct policystore_version pv = {c->actor, c->comment, c->source, doc};
	long long version;
	enum policylife_status st = PL_INTERNAL;

	if (policystore_add(pl->store, &pv, &version) != 0) {
		st = PL_STORE;
		goto out;
	}
	if (audit_change(pl, "policy.updated", c->actor, c->origin ? c->origin : "api", version,
	                 c->source, c->comment, res->diff, NULL) != 0) {
		policystore_withdraw(pl->store, version);
		st = PL_AUDIT;
		goto out;
	}
	if (policylife_write_file(served_settings_path(pl->served), text, len) != 0) {
		int e = errno;

		log_warn("policy: cannot write %s", served_settings_path(pl->served));
		policystore_withdraw(pl->store, version);
		audit_change(pl, "policy.update_failed", c->actor, c->origin ? c->origin : "api",
		             version, c->source, c->comment, NULL, strerror(e));
		st = PL_WRITE;
		goto out;
	}
	res->version = version;
	if (served_install(pl->served, json_incref(doc), version) != 0)
		goto out; /* the file holds it; the next reload installs it */
	st = PL_OK;
out:
	return st;
}

enum policylife_status
policylife_apply(struct policylife *pl, const json_t *body, const struct policylife_change *c,
                 struct policylife_result *res, struct problems *errs)
{
	struct served *cur;
	json_t *doc = NULL;
	char *text = NULL;
	size_t len = 0;
	enum policylife_status st = PL_INTERNAL;

	memset(res, 0, sizeof(*res));
	lockorder_lock(&pl->lock, LOCK_POLICYLIFE);
	cur = served_acquire(pl->served);
	if (cur == NULL) {
		st = PL_NO_POLICY;
		goto out;
	}
	if (c->if_match != NULL && !etag_listed(c->if_match, cur->doc_etag, 0)) {
		st = PL_PRECONDITION;
		goto out;
	}
	doc = c->patch ? jsondiff_merge_patch(cur->doc, body) : json_deep_copy(body);
	if (doc == NULL)
		goto out;
	if (!json_is_object(doc)) {
		problems_add(errs, "", "expected a JSON object (an admin-settings.json document)");
		st = PL_INVALID;
		goto out;
	}
	/* What the next start would refuse is refused now. */
	if ((text = policy_accept(doc, &len, errs, &res->warns)) == NULL) {
		st = errs->n > 0 ? PL_INVALID : PL_INTERNAL;
		goto out;
	}
	if ((res->diff = jsondiff_summary(cur->doc, doc)) == NULL)
		goto out;
	res->changed = !json_equal(cur->doc, doc);
	res->version = cur->version;
	if (c->dry_run) {
		res->effective = settings_effective(doc, NULL, NULL, &cur->env);
		st = res->effective != NULL ? PL_OK : PL_INTERNAL;
		goto out;
	}
	/* An identical document is not a new version (PUT is idempotent). */
	st = res->changed ? commit(pl, doc, text, len, c, res) : PL_OK;
out:
	if (st == PL_OK && !c->dry_run) {
		struct served *now = served_acquire(pl->served);
		snprintf(res->etag, sizeof(res->etag), "%s", now ? now->doc_etag : "");
		served_release(now);
	}
	served_release(cur);
	lockorder_unlock(&pl->lock, LOCK_POLICYLIFE);
	json_decref(doc);
	free(text);
	return st;
}

void
policylife_result_clear(struct policylife_result *res)
{
	if (res == NULL)
		return;
	json_decref(res->diff);
	json_decref(res->effective);
	problems_clear(&res->warns);
	res->diff = res->effective = NULL;
}
