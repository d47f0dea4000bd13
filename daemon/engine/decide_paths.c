/* SPDX-License-Identifier: Apache-2.0 */
/* Host paths a container would mount, judged against ECI's socket rule, the
 * file shares and the protected paths: cleaned and resolved through symlinks
 * on this host, refused when they cannot be resolved completely, or when
 * mounted again unseen while someone but root could swap them. Containers
 * named by start and VolumesFrom are judged by the mounts they hold, and
 * checkpoint directories as the host paths they are. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide_int.h"
#include "engineapi_int.h"
#include "hostpath.h"

#define CHECKPOINT_NAME_MAX 1024 /* a checkpoint name read from the query */

int
decide_image_allowed(const struct decide_policy *dp, const char *image)
{
	struct imageref ref;
	int parsed = image != NULL && imageref_parse(image, &ref) == 0;
	size_t i;

	for (i = 0; i < dp->nimages; i++)
		if (dp->images[i].any || (parsed && imageref_pattern_match(&dp->images[i], &ref)))
			return 1;
	return 0;
}

static int
within_pair(const char *path, const struct pathpair *pp)
{
	return hostpath_within(path, pp->clean) || hostpath_within(path, pp->resolved);
}

static int
contains_pair(const char *path, const struct pathpair *pp)
{
	return hostpath_within(pp->clean, path) || hostpath_within(pp->resolved, path);
}

static int
equals_pair(const char *path, const struct pathpair *pp)
{
	return strcmp(path, pp->clean) == 0 || strcmp(path, pp->resolved) == 0;
}

/* One form of a path is an engine socket (exact), or holds one. */
static void
socket_form(const struct ctx *c, const char *form, int *exact, int *contains)
{
	size_t j;

	*exact = 0;
	for (j = 0; j < DECIDE_FIXED_SOCKETS; j++) {
		*exact |= equals_pair(form, &c->dp->sockets[j]);
		*contains |= contains_pair(form, &c->dp->sockets[j]);
	}
	for (j = 0; j < c->req->nsockets; j++) {
		*exact |= strcmp(form, c->req->sockets[j]) == 0;
		*contains |= hostpath_within(c->req->sockets[j], form);
	}
}

/* ECI: the socket itself, or a directory holding it. Returns the forms
 * that are the socket (bit i for forms[i]), which the image list alone
 * judges; any other form, whichever the engine mounts, is judged as any
 * other path. */
static unsigned
judge_socket(struct ctx *c, const char *field, const char *flag, const char *src,
             char forms[][HOSTPATH_MAX], size_t nforms, const char *image)
{
	const struct decide_policy *dp = c->dp;
	int exact = 0, contains = 0;
	unsigned sockets = 0;
	size_t i;

	if (!dp->eci)
		return 0;
	for (i = 0; i < nforms; i++) {
		int is;

		socket_form(c, forms[i], &is, &contains);
		exact |= is;
		sockets |= (unsigned)is << i;
	}
	if ((exact || contains) && !decide_image_allowed(dp, image))
		decide_violate(c, "docker-socket", field, src, flag,
		               "%s the Docker engine's socket and the image (%s) is not in the ECI "
		               "socket-mount image list",
		               exact ? "binds" : "contains", image != NULL ? image : "unknown");
	return sockets;
}

/* Promise 3: the caller may already do what the mount would let the
 * container do. Only the docker socket proxy knows the caller (it checks
 * with the caller's own credentials); the plugin never does. The path is
 * asked as written and, when it differs, cleaned: dockerd mounts a bind's
 * source cleaned ("x/missing/../../f" is "f"), where the kernel, walking
 * it as written, takes each ".." from what it reached, and mount(2) takes
 * a local volume's device as written. Both must pass. */
void
decide_judge_access(struct ctx *c, const char *field, const char *flag, const char *src, int write)
{
	char why[256] = "", clean[HOSTPATH_MAX];
	const char *denied = NULL;

	/* Out of lookups: refused already (lookups_spent). */
	if (c->req->access == NULL || c->lookups == 0)
		return;
	if (c->req->access(c->req->access_arg, src, write, why, sizeof(why)) != 1)
		denied = src;
	else if (hostpath_clean(src, clean, sizeof(clean)) == -1)
		denied = src;
	else if (strcmp(clean, src) != 0 &&
	         c->req->access(c->req->access_arg, clean, write, why, sizeof(why)) != 1)
		denied = clean;
	if (denied == NULL)
		return;
	decide_violate(c, "caller-access", field, src, flag,
	               "%s%s%s is not %s to you (%s), so no container of yours may mount it%s", src,
	               denied != src ? ", that is " : "", denied != src ? denied : "",
	               write ? "readable and writable" : "readable",
	               why[0] ? why : "permission denied", write ? " read-write" : "");
}

/* Is any rule on host paths in force (shares, protected paths, ECI's
 * socket rule, the caller's own access)? */
int
decide_paths_judged(const struct ctx *c)
{
	return c->dp->shares_restricted || c->dp->nprotect > 0 || c->dp->eci ||
	       c->req->access != NULL;
}

/* A path mounted again later, unseen (c->remount says by what), must lead
 * then where it leads now: no one but root may change a directory its
 * resolution passes through, or a symlink could be put in a name's place
 * (a share's directory swapped for a link to /etc between the check and a
 * Swarm task's start). held: from the resolution of both forms the engine
 * may use; why: the directory that is not. */
static void
judge_held(struct ctx *c, const char *field, const char *flag, const char *src, int held,
           const char *why)
{
	if (held)
		return;
	decide_violate(c, "swappable-path", field, src, flag,
	               "host path %.200s is mounted again later, where no plugin sees it (%s), "
	               "and %.300s, so by then it may lead anywhere: use a path only root can "
	               "change, or a named volume",
	               src, c->remount, why);
}

/* The forms of host path src the engine and the kernel may mount, into
 * forms (*nforms of them, each once): its cleaned form and its two
 * resolutions (of the raw and the cleaned path). A path that is clean
 * already (the docker CLI's binds are) is resolved once: its two
 * resolutions would be the same walk. ask, why: as hostpath_resolve_held's.
 * 0, or -1 when it cannot be resolved completely. */
static int
path_forms(struct ctx *c, const char *src, char forms[3][HOSTPATH_MAX], size_t *nforms, int *ask,
           char *why, size_t whysz)
{
	*nforms = 1;
	if (hostpath_clean(src, forms[0], HOSTPATH_MAX) == -1 ||
	    hostpath_resolve_budget(src, forms[1], HOSTPATH_MAX, ask, why, whysz, &c->lookups) ==
	        -1 ||
	    (strcmp(src, forms[0]) != 0 &&
	     hostpath_resolve_budget(forms[0], forms[2], HOSTPATH_MAX, ask, why, whysz,
	                             &c->lookups) == -1))
		return -1;
	if (strcmp(forms[1], forms[0]) != 0)
		(*nforms)++;
	if (strcmp(src, forms[0]) != 0 && strcmp(forms[2], forms[0]) != 0 &&
	    strcmp(forms[2], forms[1]) != 0)
		memcpy(forms[(*nforms)++], forms[2], strlen(forms[2]) + 1);
	return 0;
}

void
decide_judge_socket(struct ctx *c, const char *field, const char *flag, const char *src,
                    const char *image)
{
	char forms[3][HOSTPATH_MAX], why[HOSTPATH_MAX + 64];
	size_t nforms;

	if (c->dp->eci && path_forms(c, src, forms, &nforms, NULL, why, sizeof(why)) == 0)
		judge_socket(c, field, flag, src, forms, nforms, image);
}

/* The request's host paths took all DECIDE_LOOKUPS: refused, said once
 * (at the path where they ran out), and no further path is resolved. */
static void
lookups_spent(struct ctx *c, const char *field, const char *src, const char *flag)
{
	if (c->lookups_told)
		return;
	c->lookups_told = 1;
	decide_violate(c, "unresolved-path", field, src, flag,
	               "this request names more host paths, or longer chains of symlinks, than "
	               "lockset resolves for one request (%u file system lookups), so it is "
	               "refused",
	               DECIDE_LOOKUPS);
}

/* Judge one host path. Its cleaned form and both resolutions (of the raw and
 * the cleaned path; dockerd and the kernel disagree on ".." after a symlink)
 * must all pass; a path that cannot be resolved is refused outright. */
void
decide_judge_path(struct ctx *c, const char *field, const char *flag, const char *src,
                  const char *image)
{
	const struct decide_policy *dp = c->dp;
	char forms[3][HOSTPATH_MAX], why[HOSTPATH_MAX + 64] = "";
	size_t nforms, i, j;
	int outside = 0, protect = 0, above = 0, held = 1;
	unsigned sockets;
	/* Whether only root can change where it leads, asked in the same walks
	 * when something mounts it again unseen. */
	int *ask = c->remount != NULL && decide_paths_judged(c) ? &held : NULL;
	const char *last;

	if (c->lookups == 0 || path_forms(c, src, forms, &nforms, ask, why, sizeof(why)) == -1) {
		if (c->lookups == 0) {
			lookups_spent(c, field, src, flag);
			return;
		}
		decide_violate(c, "unresolved-path", field, src, flag,
		               "host path %.200s%s cannot be resolved completely on this host (too "
		               "long, a symlink loop, or unreadable), so it is refused",
		               src, strlen(src) > 200 ? "..." : "");
		return;
	}
	sockets = judge_socket(c, field, flag, src, forms, nforms, image);
	if (sockets == (1u << nforms) - 1)
		return;
	for (i = 0; i < nforms; i++) {
		int inside = 0;

		if (sockets & (1u << i))
			continue;
		for (j = 0; j < dp->nshares && !inside; j++)
			inside = within_pair(forms[i], &dp->shares[j]);
		outside |= !inside;
		for (j = 0; j < dp->nprotect; j++) {
			protect |= within_pair(forms[i], &dp->protect[j]);
			above |= contains_pair(forms[i], &dp->protect[j]);
		}
	}
	last = forms[nforms - 1];
	if (dp->shares_restricted && outside)
		decide_violate(
		    c, "bind-outside-shares", field, src, flag,
		    "host path %s%s%s%s is outside the allowed file shares (allowed: %s)", forms[0],
		    nforms > 1 ? " (resolving to " : "", nforms > 1 ? last : "",
		    nforms > 1 ? ")" : "", dp->shares_text[0] != '\0' ? dp->shares_text : "none");
	/* A parent of a protected path exposes it too; outside the shares the
	 * share rule already says no, so only report it where it would pass. */
	if (protect || (above && !(dp->shares_restricted && outside)))
		decide_violate(c, "protected-path", field, src, flag,
		               "host path %s%s%s%s %s a protected path", forms[0],
		               nforms > 1 ? " (resolving to " : "", nforms > 1 ? last : "",
		               nforms > 1 ? ")" : "", protect ? "is inside" : "contains");
	else if (!(dp->shares_restricted && outside))
		judge_held(c, field, flag, src, held, why); /* a path refused already is not */
}

/* dockerd (as root) makes filepath.Join(dir, name) and its parents for a
 * checkpoint create, the directory itself for a list (MkdirAll), removes it
 * for a delete, and has CRIU write a dump there or restore a container from
 * it: a host path like a bind's source. A relative dir is taken from
 * dockerd's working directory, which lockset cannot see. */
void
decide_judge_checkpoint_dir(struct ctx *c, const char *field, const char *flag, const char *dir,
                            const char *name, int write)
{
	char path[HOSTPATH_MAX];
	int n;

	if (dir[0] == '\0')
		return;
	if (dir[0] != '/') {
		decide_violate(c, "unresolved-path", field, dir, flag,
		               "checkpoint directory %.200s is relative to dockerd's working "
		               "directory, which lockset cannot see, so it is refused",
		               dir);
		return;
	}
	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		decide_violate(c, "unresolved-path", field, dir, flag,
		               "checkpoint directory %.200s... is too long to be resolved, so it "
		               "is refused",
		               dir);
		return;
	}
	decide_judge_path(c, field, flag, path, NULL);
	decide_judge_access(c, field, flag, path, write);
}

/* A checkpoint name dockerd would take as one: a letter or digit, then
 * letters, digits, '_', '.' or '-' (its RestrictedNamePattern). */
static int
plain_checkpoint_name(const char *s)
{
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
	      (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (s++; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("_.-", *s) != NULL))
			return 0;
	return 1;
}

/* Checkpoints (experimental daemons): a list (?dir=, which dockerd makes), a
 * delete (?dir=, joined with the checkpoint's name) and a start that restores
 * one (?checkpoint-dir=, joined with ?checkpoint=). Read from the query alone:
 * a form body is refused, and no other body is a parameter. Every value of
 * the directory is judged; one too long to read whole is refused. A start's
 * checkpoint name must be a plain name: released engines join it unchecked
 * to the container's own checkpoint directory when no directory is given,
 * so "../../../../tmp/x" has CRIU restore, as root, whatever lies there. */
void
decide_judge_checkpoint_query(struct ctx *c, const struct engineapi_target *t)
{
	int start = t->route == ENGINEAPI_CONTAINER_START;
	const char *key = start ? "checkpoint-dir" : "dir", *cur = t->query, *name = "";
	const char *flag = start ? "docker start --checkpoint-dir"
	                   : strcmp(c->req->method, "DELETE") == 0
	                       ? "docker checkpoint rm --checkpoint-dir"
	                       : "docker checkpoint ls --checkpoint-dir";
	char first[CHECKPOINT_NAME_MAX], dir[HOSTPATH_MAX];
	int r = 0;

	if (start) {
		const char *q = t->query;

		first[0] = '\0';
		r = engineapi_query_next(&q, "checkpoint", first, sizeof(first));
		name = first;
	} else if (t->id2 != NULL) {
		name = t->id2;
	}
	if (r == 2) {
		decide_violate(
		    c, "unresolved-path", "checkpoint", first, flag,
		    "a checkpoint name over %d bytes cannot be resolved, so it is refused",
		    CHECKPOINT_NAME_MAX - 1);
		return;
	}
	if (start && r == 1 && first[0] != '\0' && !plain_checkpoint_name(first))
		decide_violate(
		    c, "checkpoint-name", "checkpoint", first, "docker start --checkpoint",
		    "checkpoint name %.200s is not a plain name (a letter or digit, then "
		    "letters, digits, _ . -): dockerd joins it to a checkpoint directory, "
		    "so it could restore one from anywhere on the host",
		    first);
	while (cur != NULL && (r = engineapi_query_next(&cur, key, dir, sizeof(dir))) != 0) {
		if (r == 2)
			decide_violate(
			    c, "unresolved-path", key, "", flag,
			    "a checkpoint directory over %d bytes cannot be resolved, so "
			    "it is refused",
			    HOSTPATH_MAX - 1);
		else
			decide_judge_checkpoint_dir(c, key, flag, dir, name, !start);
	}
}

/* The container name of a VolumesFrom entry "name[:mode]" ("ro", "rw",
 * "z,ro", ...: dockerd splits at the first colon, which no name holds),
 * into buf. */
static void
volumes_from_name(const char *entry, char *buf, size_t bufsz)
{
	size_t n = strcspn(entry, ":");

	if (n >= bufsz)
		n = bufsz - 1;
	memcpy(buf, entry, n);
	buf[n] = '\0';
}

void
decide_judge_held_access(struct ctx *c, const char *field, const char *flag, const char *ref)
{
	struct decide_mounts m;
	int rc;

	if (c->req->access == NULL)
		return;
	if ((rc = decide_container_mounts(c->req, ref, &m)) == -1)
		c->nomem = 1;
	else if (rc == 0 && !decide_violated(c, "unknown-container", field))
		decide_violate(
		    c, "unknown-container", field, ref, flag,
		    "container %s is not known to lockset and could not be looked up in "
		    "the engine, so whether you may reach the host paths it holds cannot "
		    "be told",
		    ref);
	for (size_t i = 0; rc == 1 && i < m.n && !c->nomem; i++)
		decide_judge_access(c, field, flag, m.src[i], decide_mounts_rw(&m, m.src[i]));
	decide_mounts_clear(&m);
}

int
decide_volumes_from_ro(const char *entry)
{
	const char *colon = strchr(entry, ':');

	return colon != NULL && engineapi_has_option(colon + 1, (size_t)-1, "ro");
}

int
decide_container_mounts(const struct decide_request *req, const char *entry,
                        struct decide_mounts *out)
{
	char name[256];

	memset(out, 0, sizeof(*out));
	volumes_from_name(entry, name, sizeof(name));
	if (req->container == NULL || name[0] == '\0')
		return 0;
	return req->container(req->container_arg, name, out);
}

void
decide_judge_container(struct ctx *c, const char *field, const char *flag, const char *ref,
                       const char *image, int write)
{
	struct decide_mounts m;
	char name[256];
	size_t i;
	int rc = decide_container_mounts(c->req, ref, &m);
	int ro = decide_volumes_from_ro(ref);

	if (rc == -1) {
		c->nomem = 1;
	} else if (rc == 0) {
		decide_violate(c, "unknown-container", field, ref, flag,
		               "container %s is not known to lockset and could not be looked up in "
		               "the engine, so the mounts it holds cannot be judged",
		               ref);
	} else {
		/* Start: the image the container was created from; VolumesFrom:
		 * the new container's image gets what the source holds. */
		const char *img = image != NULL ? image : m.image;

		/* The caller must be able to read them too, and write those it
		 * mounts read-write: a source swapped since the create, or another
		 * user's container's mounts. (Read is all that is asked of a
		 * record written before lockset kept which are read-write, unless
		 * the request writes through them.) */
		for (i = 0; i < m.n && !c->nomem; i++) {
			decide_judge_path(c, field, flag, m.src[i], img);
			decide_judge_access(c, field, flag, m.src[i],
			                    write || (!ro && decide_mounts_rw(&m, m.src[i])));
		}
		/* And what its volume plugins mount, which lockset cannot see:
		 * a container made before allowedVolumeDrivers was set. */
		volumes_from_name(ref, name, sizeof(name));
		if (c->dp->volume_drivers.restricted && !m.drivers_known)
			decide_violate(
			    c, "unknown-container", field, ref, flag,
			    "the volume drivers of container %s are not known to lockset "
			    "and could not be asked of the engine (allowedVolumeDrivers)",
			    name);
		for (i = 0; i < m.ndrivers && m.drivers_known; i++)
			decide_judge_volume_driver(c, field, flag, m.drivers[i]);
		/* Its local volumes that mount a file system of the host's. */
		for (i = 0; i < m.nvols && !c->nomem; i++)
			decide_judge_volopts(c, field, flag, &m.vols[i], img);
	}
	decide_mounts_clear(&m);
}
