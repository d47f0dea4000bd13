/* SPDX-License-Identifier: Apache-2.0 */
/* Namespace modes -> rule violations: "host", and "container:NAME", which
 * joins NAME's namespace (the host's, when NAME runs in it) and, where the
 * engine remaps users, NAME's user namespace too; and the requests that run
 * something in a container, or reach what runs there, judged by the user
 * namespace it runs in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "decide_int.h"

static const struct {
	enum engineapi_fact_kind kind;
	unsigned bit;
	int eci;
	const char *rule, *flag;
} mode_rules[] = {
    {EF_PID_MODE, DENY_PID, 1, "host-pid", "--pid=host"},
    {EF_IPC_MODE, DENY_IPC, 0, "host-ipc", "--ipc=host"},
    {EF_UTS_MODE, DENY_UTS, 0, "host-uts", "--uts=host"},
    {EF_USERNS_MODE, DENY_USERNS, 1, "host-userns", "--userns=host"}, /* ECI's way out */
    {EF_NETWORK_MODE, DENY_NETWORK, 1, "host-network", "--network=host"},
    {EF_CGROUPNS_MODE, DENY_CGROUPNS, 0, "host-cgroupns", "--cgroupns=host"},
};

/* The host's user namespace is refused: ECI, or --userns=host denied. */
static int
host_userns_denied(const struct decide_policy *dp)
{
	return (dp->deny & DENY_USERNS) || dp->eci;
}

/* Container NAME, whose namespace a create joins (flag, field): its
 * namespace ns is refused with rule when it is the host's or cannot be told
 * (ns 0: not judged); so is its user namespace, which the new container
 * enters too where the engine remaps users, while the host's is refused. */
static void
judge_joined(struct ctx *c, const char *field, const char *value, const char *flag, unsigned ns,
             const char *rule)
{
	const char *name = value + 10;
	int user = host_userns_denied(c->dp), rc = 0;
	struct decide_mounts m = {0};

	if (c->req->container != NULL && name[0] != '\0')
		rc = c->req->container(c->req->container_arg, name, &m);
	if (rc == -1)
		c->nomem = 1;
	else if (rc == 0 || (m.ns_known & ns) != ns || (user && !(m.ns_known & DECIDE_NS_USER)))
		decide_violate(c, "unknown-container", field, value, flag,
		               "container %s, whose namespace this joins, %s, so whether that is "
		               "the host's %snamespace cannot be told",
		               name,
		               rc == 0
		                   ? "is not known to lockset and could not be looked up in the "
		                     "engine"
		                   : "is not known to lockset well enough",
		               rc != 0 && (m.ns_known & ns) == ns ? "user " : "");
	else {
		if (m.ns_host & ns)
			decide_violate(c, rule, field, value, flag,
			               "container %s runs in the host's namespace, so joining it "
			               "(%s=%s) is joining the host's, which is not allowed",
			               name, field, value);
		if (user && (m.ns_host & DECIDE_NS_USER))
			decide_violate(
			    c, "host-userns", field, value, flag,
			    "container %s runs in the host's user namespace, and joining "
			    "it (%s=%s) puts this container there too, as the host's "
			    "root, which is not allowed",
			    name, field, value);
	}
	decide_mounts_clear(&m);
}

void
decide_judge_mode(struct ctx *c, const char *field, const struct engineapi_fact *fa)
{
	int joins = strncmp(fa->value, "container:", 10) == 0 && decide_ns_of(fa->kind) != 0;
	char flag[300];
	size_t i;

	for (i = 0; i < sizeof(mode_rules) / sizeof(mode_rules[0]); i++) {
		int denied = (c->dp->deny & mode_rules[i].bit) || (mode_rules[i].eci && c->dp->eci);

		if (mode_rules[i].kind != fa->kind)
			continue;
		if (denied && strcasecmp(fa->value, "host") == 0)
			decide_violate(c, mode_rules[i].rule, field, fa->value, mode_rules[i].flag,
			               "the host's namespace (%s=host) is not allowed", field);
		if (!joins || !(denied || host_userns_denied(c->dp)))
			continue;
		snprintf(flag, sizeof(flag), "%.*s %s", (int)strcspn(mode_rules[i].flag, "="),
		         mode_rules[i].flag, fa->value);
		judge_joined(c, field, fa->value, flag, denied ? decide_ns_of(fa->kind) : 0,
		             mode_rules[i].rule);
	}
}

int
decide_pid_join_judged(const struct ctx *c)
{
	return decide_paths_judged(c) || c->dp->volume_drivers.restricted;
}

/* The longest chain of joined PID namespaces followed. */
#define PID_CHAIN_MAX 8

/* One container of a chain: its name as the join named it, its image. */
struct chain_link {
	char name[256];
	char image[256];
};

/* The chain from value ("container:NAME") to its namespace's owner, into
 * links (*n of them). 1 when it reaches an owner; 0 when a container on it
 * is not known, nor what it joined, or the chain is longer than
 * PID_CHAIN_MAX (*n: those found); -1 on ENOMEM. */
static int
pid_chain(struct ctx *c, const char *value, struct chain_link links[PID_CHAIN_MAX], size_t *n)
{
	char ref[256];

	snprintf(ref, sizeof(ref), "%s", value + strlen("container:"));
	for (*n = 0; *n < PID_CHAIN_MAX;) {
		struct decide_mounts m;
		int rc = decide_container_mounts(c->req, ref, &m), joins;

		if (rc != 1) {
			decide_mounts_clear(&m);
			return rc;
		}
		snprintf(links[*n].name, sizeof(links[*n].name), "%s", ref);
		snprintf(links[(*n)++].image, sizeof(links[0].image), "%s",
		         m.image != NULL ? m.image : "");
		joins = decide_flags_pid_join(m.flags, ref, sizeof(ref));
		decide_mounts_clear(&m);
		if (joins != 1)
			return joins == 0;
	}
	return 0;
}

void
decide_judge_pid_join(struct ctx *c, const char *field, const char *flag, const char *value,
                      const char *image)
{
	struct chain_link links[PID_CHAIN_MAX];
	size_t n, i;
	int rc;

	if (!decide_pid_join_judged(c))
		return;
	if ((rc = pid_chain(c, value, links, &n)) == -1) {
		c->nomem = 1;
		return;
	}
	/* Said once: judge_joined may have refused it already, as not found or
	 * as the host's. */
	if (rc == 0 && !decide_violated(c, "host-pid", field) &&
	    (n > 0 || !decide_violated(c, "unknown-container", field)))
		decide_violate(c, "unknown-container", field, value, flag,
		               "the PID namespace this joins (%s) cannot be followed to the "
		               "container that owns it, so what the containers in it hold cannot "
		               "be judged",
		               value);
	for (i = 0; i < n && !c->nomem; i++) {
		decide_judge_container(c, field, flag, links[i].name, image, 0);
		if (c->dp->eci && !decide_image_allowed(c->dp, image) &&
		    decide_image_allowed(c->dp, links[i].image))
			decide_violate(
			    c, "docker-socket", field, value, flag,
			    "container %s runs %s, an image on ECI's socket-mount list, "
			    "so its PID namespace may hold the Docker engine's socket, and "
			    "this container's image (%s) is not on the list",
			    links[i].name, links[i].image, image != NULL ? image : "unknown");
	}
}

void
decide_judge_pid_exposed(struct ctx *c, const char *field, const char *flag, const char *value,
                         const char *const *own, size_t nown)
{
	struct chain_link links[PID_CHAIN_MAX];
	size_t n;

	if (!c->dp->eci || nown == 0)
		return;
	/* A chain not followed: decide_judge_pid_join refuses it already. */
	if (pid_chain(c, value, links, &n) == -1)
		c->nomem = 1;
	for (size_t i = 0; i < n && !c->nomem; i++)
		for (size_t k = 0; k < nown && !c->nomem; k++)
			decide_judge_socket(c, field, flag, own[k], links[i].image);
}

void
decide_judge_pid_joins(struct ctx *c, const struct engineapi_facts *f)
{
	const char **own = NULL;
	char field[256], flag[300];
	size_t nown = 0;

	for (size_t i = 0; i < f->n && !c->nomem; i++) {
		const struct engineapi_fact *j = &f->v[i];

		if (j->kind != EF_PID_MODE || strncmp(j->value, "container:", 10) != 0)
			continue;
		if (own == NULL) {
			if ((own = calloc(f->n, sizeof(*own))) == NULL) {
				c->nomem = 1;
				return;
			}
			for (size_t k = 0; k < f->n; k++)
				if (f->v[k].kind == EF_HOST_PATH)
					own[nown++] = f->v[k].value;
		}
		engineapi_fact_field(j, field, sizeof(field));
		snprintf(flag, sizeof(flag), "--pid %.250s", j->value);
		decide_judge_pid_join(c, field, flag, j->value, f->image);
		decide_judge_pid_exposed(c, field, flag, j->value, own, nown);
		for (size_t k = 0; k < f->n && !c->nomem; k++) {
			struct decide_mounts m;
			int rc;

			if (f->v[k].kind != EF_VOLUMES_FROM)
				continue;
			if ((rc = decide_container_mounts(c->req, f->v[k].value, &m)) == -1)
				c->nomem = 1;
			else if (rc == 1)
				decide_judge_pid_exposed(c, field, flag, j->value,
				                         (const char *const *)m.src, m.n);
			decide_mounts_clear(&m);
		}
	}
	free(own);
}

void
decide_judge_runs_in(struct ctx *c, const char *flag, const char *ref, int unknown_told)
{
	struct decide_mounts m = {0};
	int rc;

	if (!host_userns_denied(c->dp))
		return;
	rc = decide_container_mounts(c->req, ref, &m);
	if (rc == -1)
		c->nomem = 1;
	else if ((rc == 0 && !unknown_told) || (rc == 1 && !(m.ns_known & DECIDE_NS_USER)))
		decide_violate(c, "unknown-container", "id", ref, flag,
		               "container %s %s, so whether it runs in the host's user namespace "
		               "cannot be told",
		               ref,
		               rc == 0
		                   ? "is not known to lockset and could not be looked up in the "
		                     "engine"
		                   : "is not known to lockset well enough");
	else if (rc == 1 && (m.ns_host & DECIDE_NS_USER))
		decide_violate(c, "host-userns", "id", ref, flag,
		               "container %s runs in the host's user namespace (made with "
		               "--userns=host, or joined to one that was), so what runs in it "
		               "runs as the host's root, which is not allowed",
		               ref);
	decide_mounts_clear(&m);
}

void
decide_judge_exec_start(struct ctx *c, const char *id)
{
	char container[256], flag[300];
	int rc = 0;

	/* Through the socket proxy, starting an exec reaches its container
	 * as creating one does (another user's exec of root's container). */
	if (!host_userns_denied(c->dp) && c->req->access == NULL)
		return;
	snprintf(flag, sizeof(flag), "docker exec (start %s)", id);
	if (c->req->exec != NULL && id != NULL && id[0] != '\0')
		rc = c->req->exec(c->req->container_arg, id, container, sizeof(container));
	if (rc == -1)
		c->nomem = 1;
	else if (rc == 0)
		decide_violate(c, "unknown-container", "id", id != NULL ? id : "", flag,
		               "exec %s is not known to lockset and could not be looked up in the "
		               "engine, so the container it runs in cannot be told",
		               id != NULL ? id : "");
	else {
		decide_judge_runs_in(c, flag, container, 0);
		decide_judge_held_access(c, "id", flag, container);
	}
}
