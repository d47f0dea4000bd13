/* SPDX-License-Identifier: Apache-2.0 */
/* What a container holds, as the decision engine judges it at start and
 * through VolumesFrom (struct decide_mounts): its host paths, the namespaces
 * it shares with the host, the drivers of its volumes and the options of its
 * local ones; and what a create would make it hold, for its record. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "decide_int.h"

void
decide_mounts_clear(struct decide_mounts *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++)
		free(m->src[i]);
	for (i = 0; i < m->ndrivers; i++)
		free(m->drivers[i]);
	for (i = 0; i < m->nvols; i++)
		decide_volopts_clear(&m->vols[i]);
	decide_mounts_forget_rw(m);
	free(m->rw);
	free(m->src);
	free(m->drivers);
	free(m->vols);
	free(m->image);
	free(m->flags);
	memset(m, 0, sizeof(*m));
}

void
decide_mounts_move(struct decide_mounts *dst, struct decide_mounts *src)
{
	decide_mounts_clear(dst);
	*dst = *src;
	memset(src, 0, sizeof(*src));
}

void
decide_ns_mode(unsigned ns, const char *mode, unsigned *host, unsigned *known)
{
	if (mode == NULL)
		return;
	/* "container:" a prefix, as dockerd reads it; "host" in any case, as
	 * the host-* rules read it (dockerd refuses any case but its own). */
	if (strcasecmp(mode, "host") == 0)
		*host |= ns;
	else if (strncmp(mode, "container:", 10) == 0)
		*known &= ~ns;
}

static int
strv_add(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (nv == NULL)
		return -1;
	*v = nv;
	if ((nv[*n] = strdup(s)) == NULL)
		return -1;
	(*n)++;
	return 0;
}

int
decide_mounts_add(struct decide_mounts *m, const char *path)
{
	return strv_add(&m->src, &m->n, path);
}

int
decide_mounts_rw(const struct decide_mounts *m, const char *path)
{
	for (size_t i = 0; i < m->nrw; i++)
		if (strcmp(m->rw[i], path) == 0)
			return 1;
	return 0;
}

void
decide_mounts_forget_rw(struct decide_mounts *m)
{
	for (size_t i = 0; i < m->nrw; i++)
		free(m->rw[i]);
	m->nrw = 0;
}

int
decide_mounts_add_rw(struct decide_mounts *m, const char *path)
{
	return decide_mounts_rw(m, path) ? 0 : strv_add(&m->rw, &m->nrw, path);
}

void
decide_volopts_clear(struct decide_volopts *v)
{
	if (v == NULL)
		return;
	free(v->name);
	free(v->type);
	free(v->o);
	free(v->device);
	memset(v, 0, sizeof(*v));
}

static int
dup_or_null(char **dst, const char *s)
{
	return s == NULL || (*dst = strdup(s)) != NULL ? 0 : -1;
}

int
decide_volopts_set(struct decide_volopts *v, const char *name, const char *type, const char *o,
                   const char *device)
{
	decide_volopts_clear(v);
	if (dup_or_null(&v->name, name) == 0 && dup_or_null(&v->type, type) == 0 &&
	    dup_or_null(&v->o, o) == 0 && dup_or_null(&v->device, device) == 0)
		return 0;
	decide_volopts_clear(v);
	return -1;
}

void
decide_volume_clear(struct decide_volume *v)
{
	if (v != NULL)
		decide_volopts_clear(&v->opts);
}

int
decide_mounts_add_vol(struct decide_mounts *m, const struct decide_volopts *v)
{
	struct decide_volopts *nv = realloc(m->vols, (m->nvols + 1) * sizeof(*nv));

	if (nv == NULL)
		return -1;
	m->vols = nv;
	memset(&nv[m->nvols], 0, sizeof(*nv));
	if (decide_volopts_set(&nv[m->nvols], v->name, v->type, v->o, v->device) != 0)
		return -1;
	m->nvols++;
	return 0;
}

int
decide_mounts_add_driver(struct decide_mounts *m, const char *name)
{
	if (name == NULL || name[0] == '\0' || strcmp(name, "local") == 0)
		return 0;
	for (size_t i = 0; i < m->ndrivers; i++)
		if (strcmp(m->drivers[i], name) == 0)
			return 0;
	return strv_add(&m->drivers, &m->ndrivers, name);
}

int
decide_mounts_merge(struct decide_mounts *dst, const struct decide_mounts *src)
{
	size_t i, k;

	for (i = 0; i < src->n; i++) {
		for (k = 0; k < dst->n && strcmp(dst->src[k], src->src[i]) != 0; k++)
			;
		if (k == dst->n && decide_mounts_add(dst, src->src[i]) != 0)
			return -1;
	}
	for (i = 0; i < src->nrw; i++)
		if (decide_mounts_add_rw(dst, src->rw[i]) != 0)
			return -1;
	dst->rw_known = dst->rw_known && src->rw_known;
	for (i = 0; i < src->ndrivers; i++)
		if (decide_mounts_add_driver(dst, src->drivers[i]) != 0)
			return -1;
	for (i = 0; i < src->nvols; i++)
		if (decide_mounts_add_vol(dst, &src->vols[i]) != 0)
			return -1;
	return 0;
}

int
decide_mounts_copy(struct decide_mounts *dst, const struct decide_mounts *src)
{
	if (src->image != NULL && dst->image == NULL && (dst->image = strdup(src->image)) == NULL)
		return -1;
	dst->ns_known = src->ns_known;
	dst->ns_host = src->ns_host;
	dst->drivers_known = src->drivers_known;
	dst->rw_known = src->rw_known;
	free(dst->flags);
	dst->flags = NULL;
	if (src->flags != NULL && (dst->flags = strdup(src->flags)) == NULL)
		return -1;
	return decide_mounts_merge(dst, src);
}

/* A container that joins another's PID, network or IPC namespace runs in
 * that one's user namespace (where the engine remaps users), which the body
 * does not say: the host's when that one's is, not known when that one is
 * not (looked up as VolumesFrom sources are). 0, or -1 on ENOMEM. */
static int
joined_user(const struct decide_request *req, const struct engineapi_facts *f,
            struct decide_mounts *out)
{
	unsigned host = 0, known = DECIDE_NS_USER;

	for (size_t i = 0; i < f->n; i++) {
		struct decide_mounts x = {0};
		int rc;

		if (decide_ns_of(f->v[i].kind) == 0 ||
		    strncmp(f->v[i].value, "container:", 10) != 0)
			continue;
		rc = decide_container_mounts(req, f->v[i].value + 10, &x);
		if (rc == 1 && (x.ns_known & DECIDE_NS_USER))
			host |= x.ns_host & DECIDE_NS_USER;
		else
			known = 0;
		decide_mounts_clear(&x);
		if (rc == -1)
			return -1;
	}
	out->ns_host |= host;
	if (!known && !(out->ns_host & DECIDE_NS_USER))
		out->ns_known &= ~DECIDE_NS_USER;
	return 0;
}

int
decide_create_sources(const struct decide_request *req, struct decide_mounts *out)
{
	struct engineapi_facts *f = malloc(sizeof(*f));
	int result = -1;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (f == NULL)
		return -1;
	engineapi_facts_init(f);
	if (engineapi_facts_parse(f, ENGINEAPI_CONTAINER_CREATE, req->body,
	                          req->has_body ? req->body_len : 0) == -1)
		goto out;
	result = 0;
	if (f->image != NULL && (out->image = strdup(f->image)) == NULL)
		result = -1;
	/* The namespaces it will share with the host, and the volume drivers
	 * its anonymous volumes come from (VolumeDriver; a create that mounts
	 * volumes otherwise is not recorded): known from the body. */
	out->ns_known = f->body_ok ? DECIDE_NS_ALL : 0;
	out->drivers_known = f->body_ok;
	out->rw_known = f->body_ok;
	for (i = 0; i < f->n && result >= 0; i++) {
		struct decide_mounts from = {0};
		int rc;

		if (decide_ns_of(f->v[i].kind) != 0)
			decide_ns_mode(decide_ns_of(f->v[i].kind), f->v[i].value, &out->ns_host,
			               &out->ns_known);
		else if (f->v[i].kind == EF_USERNS_MODE)
			decide_ns_mode(DECIDE_NS_USER, f->v[i].value, &out->ns_host,
			               &out->ns_known);
		if (f->v[i].kind == EF_HOST_PATH || f->v[i].kind == EF_VOLUME_DRIVER) {
			if ((f->v[i].kind == EF_HOST_PATH
			         ? decide_mounts_add(out, f->v[i].value)
			         : decide_mounts_add_driver(out, f->v[i].value)) == -1 ||
			    (f->v[i].kind == EF_HOST_PATH && !f->v[i].readonly &&
			     decide_mounts_add_rw(out, f->v[i].value) == -1))
				result = -1;
			continue;
		}
		if (f->v[i].kind != EF_VOLUMES_FROM)
			continue;
		rc = decide_container_mounts(req, f->v[i].value, &from);
		if (rc == -1)
			result = -1;
		else if (rc == 0)
			result = 1;
		if (rc == 1 && !from.drivers_known)
			out->drivers_known = 0;
		if (rc == 1 && decide_volumes_from_ro(f->v[i].value))
			decide_mounts_forget_rw(&from);
		if (rc == 1 && decide_mounts_merge(out, &from) != 0)
			result = -1;
		decide_mounts_clear(&from);
	}
	if (result >= 0 && joined_user(req, f, out) != 0)
		result = -1;
out:
	engineapi_facts_clear(f);
	free(f);
	if (result == -1)
		decide_mounts_clear(out);
	return result;
}
