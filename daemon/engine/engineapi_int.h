/* SPDX-License-Identifier: Apache-2.0 */
/* Inside the Engine API reader: the route inventory (engineapi_inventory.c),
 * shared by the classifier (engineapi_route.c) and the test that holds it
 * against moby's API documents; and the fact builders of engineapi.c that
 * engineapi_service.c reuses. Not for other modules: they use engineapi.h. */
#ifndef LOCKSET_ENGINEAPI_INT_H
#define LOCKSET_ENGINEAPI_INT_H

#include <stddef.h>

#include "engineapi.h"

/* One (method, path) dockerd serves. pattern is spelled as the API documents
 * spell it ("/images/{name}/tag"); a {param} matches one path segment, or,
 * when wide, one or more characters including '/' (dockerd's {name:.*}); a
 * wide parameter is the last one and only literal text follows it. */
struct engineapi_entry {
	const char *method;
	const char *pattern;
	enum engineapi_route route;
	enum engineapi_class klass;
	const char *command; /* deniedCommands vocabulary id, or NULL */
	unsigned char form;  /* the handler reads r.Form (see engineapi_target) */
	unsigned char wide;
};

/* Entry i of the inventory, in match order; NULL past the last one. */
const struct engineapi_entry *engineapi_inventory_at(size_t i);

/* The first entry, in dockerd's router order, whose method equals method and
 * whose pattern matches path (decoded, cleaned, without its version prefix),
 * or NULL. On a match with path parameters, path is cut (in place) after each
 * of the first two, and *id and *id2 point at them; otherwise they are NULL. */
const struct engineapi_entry *engineapi_inventory_match(const char *method, char *path,
                                                        const char **id, const char **id2);

struct gojson_view;

/* Append one fact to f (its field is prefix name[index] suffix; index -1
 * for none, suffix may be NULL). The strings are borrowed: they live in
 * f->arena or the body. Returns 0, or -1 on ENOMEM. */
int engineapi_fact_add(struct engineapi_facts *f, enum engineapi_fact_kind kind, const char *value,
                       const char *prefix, const char *name, long index, const char *suffix);
/* Each string of the []string (or, with strslice, StrSlice) field name of v
 * as a fact of kind. Returns 0 or -1. */
int engineapi_string_facts(struct engineapi_facts *f, const struct gojson_view *v,
                           const char *prefix, const char *name, enum engineapi_fact_kind kind,
                           int strslice);
/* The host paths and volumes of the Mounts field of hc: a container's
 * (HostConfig), or with service set a service's ContainerSpec, whose mount
 * types swarmkit reads its own way. Returns 0 or -1. */
int engineapi_mount_facts(struct engineapi_facts *f, const struct gojson_view *hc,
                          const char *prefix, int service);
/* One fact of kind per distinct key of v's map field name (keys of every
 * occurrence merge, as Go decodes them), named prefix + name + "." + key.
 * Returns 0 or -1 (engineapi_runtime.c). */
int engineapi_map_facts(struct engineapi_facts *f, const struct gojson_view *v, const char *prefix,
                        const char *name, enum engineapi_fact_kind kind);
/* Runtime, CgroupParent, Annotations and LogConfig of a HostConfig view;
 * log_prefix names its LogConfig ("HostConfig.LogConfig."). 0 or -1. */
int engineapi_runtime_facts(struct engineapi_facts *f, const struct gojson_view *hc,
                            const char *prefix, const char *log_prefix);
/* A driver the engine looks up by name, when driver is set: kind is
 * EF_VOLUME_DRIVER for a volume's, EF_NETWORK_DRIVER for a network's,
 * EF_DRIVER for any other. 0 or -1. */
int engineapi_driver_fact(struct engineapi_facts *f, enum engineapi_fact_kind kind,
                          const char *driver, const char *prefix, const char *name, long index,
                          const char *suffix);
/* name among the comma-separated options o (n bytes; all of it when n is
 * (size_t)-1). */
int engineapi_has_option(const char *o, size_t n, const char *name);
/* POST /volumes/create: its Driver, and the mount its local options make.
 * 0 or -1. */
int engineapi_volume_facts(struct engineapi_facts *f, const struct gojson_view *root);
/* POST /networks/create: its Driver (the default's when none) and
 * IPAM.Driver. 0 or -1. */
int engineapi_network_facts(struct engineapi_facts *f, const struct gojson_view *root);
/* POST /secrets/create and /configs/create: Driver.Name (a secret provider,
 * looked up as a plugin) and Templating.Name. 0 or -1. */
int engineapi_secret_facts(struct engineapi_facts *f, const struct gojson_view *root);
/* POST /swarm/init and /swarm/update: the tasks' default log driver. 0 or -1. */
int engineapi_swarm_facts(struct engineapi_facts *f, const struct gojson_view *root);
/* A service's TaskTemplate.LogDriver {Name, Options}. 0 or -1. */
int engineapi_service_log_facts(struct engineapi_facts *f, const struct gojson_view *tt);
/* The Sysctls map of hc, one fact per distinct key. Returns 0 or -1. */
int engineapi_sysctl_facts(struct engineapi_facts *f, const struct gojson_view *hc,
                           const char *prefix);
/* An endpoint's per-interface sysctls: each key of its
 * DriverOpts["com.docker.network.endpoint.sysctls"] ("k=v,k=v") as a sysctl
 * fact of field prefix + net + ".DriverOpts". Returns 0 or -1. */
int engineapi_endpoint_sysctl_facts(struct engineapi_facts *f, const struct gojson_view *ev,
                                    const char *prefix, const char *net);
/* A service spec (create and update), root the body (engineapi_service.c).
 * Returns 0 or -1. */
int engineapi_service_facts(struct engineapi_facts *f, const struct gojson_view *root);

#endif
