/* SPDX-License-Identifier: Apache-2.0 */
/* The user database walks behind $HOME: getpwnam_r for one user, getgrnam_r
 * plus a getpwent_r walk for a group's members. Homes are kept as a sorted
 * set of cleaned absolute paths. */
#include "homes.h"

#include "engine/hostpath.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NSS_BUF 16384

const struct homes_nss homes_nss_system = {getpwnam_r, getgrnam_r, setpwent, getpwent_r, endpwent};

void
homes_clear(struct homes *h)
{
	if (h == NULL)
		return;
	for (size_t i = 0; i < h->n; i++)
		free(h->v[i]);
	free(h->v);
	h->v = NULL;
	h->n = 0;
}

/* Insert dir (cleaned) in order unless present. 1 added or present, 0 not a
 * usable home, -1 ENOMEM. */
static int
homes_add(struct homes *h, const char *dir)
{
	char clean[HOSTPATH_MAX], **v;
	size_t i = 0;
	int cmp = 1;

	if (dir == NULL || dir[0] != '/' || hostpath_clean(dir, clean, sizeof(clean)) != 0 ||
	    strcmp(clean, "/") == 0)
		return 0;
	while (i < h->n && (cmp = strcmp(h->v[i], clean)) < 0)
		i++;
	if (i < h->n && cmp == 0)
		return 1;
	if ((v = realloc(h->v, (h->n + 1) * sizeof(*v))) == NULL)
		return -1;
	h->v = v;
	memmove(v + i + 1, v + i, (h->n - i) * sizeof(*v));
	if ((v[i] = strdup(clean)) == NULL) {
		memmove(v + i, v + i + 1, (h->n - i) * sizeof(*v));
		return -1;
	}
	h->n++;
	return 1;
}

int
homes_of_user(const struct homes_nss *nss, const char *user, struct homes *out)
{
	struct passwd pw, *res = NULL;
	char *buf = malloc(NSS_BUF);
	int rc = -1;

	if (buf == NULL)
		return -1;
	if (nss->getpwnam_r(user, &pw, buf, NSS_BUF, &res) != 0 || res == NULL)
		rc = 0;
	else
		rc = homes_add(out, pw.pw_dir);
	free(buf);
	return rc;
}

/* Every user whose primary gid is gid. 0 or -1 on ENOMEM. */
static int
primary_members(const struct homes_nss *nss, gid_t gid, struct homes *out, char *buf)
{
	struct passwd pw, *res = NULL;
	int rc = 0;

	nss->setpwent();
	while (rc >= 0 && nss->getpwent_r(&pw, buf, NSS_BUF, &res) == 0 && res != NULL) {
		if (pw.pw_gid == gid)
			rc = homes_add(out, pw.pw_dir);
	}
	nss->endpwent();
	return rc < 0 ? -1 : 0;
}

int
homes_of_group(const struct homes_nss *nss, const char *group, struct homes *out)
{
	struct group gr, *res = NULL;
	char *gbuf = malloc(NSS_BUF), *pbuf = malloc(NSS_BUF);
	int rc = -1;

	if (gbuf == NULL || pbuf == NULL)
		goto out;
	if (nss->getgrnam_r(group, &gr, gbuf, NSS_BUF, &res) != 0 || res == NULL) {
		rc = 0;
		goto out;
	}
	for (char **m = gr.gr_mem; m != NULL && *m != NULL; m++) {
		if (homes_of_user(nss, *m, out) < 0)
			goto out;
	}
	if (primary_members(nss, gr.gr_gid, out, pbuf) < 0)
		goto out;
	rc = 1;
out:
	free(gbuf);
	free(pbuf);
	return rc;
}

int
homes_equal(const struct homes *a, const struct homes *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		if (strcmp(a->v[i], b->v[i]) != 0)
			return 0;
	}
	return 1;
}
