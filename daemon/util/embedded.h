/* SPDX-License-Identifier: Apache-2.0 */
/* Files compiled into the daemon at build time (daemon/embed): the policy schema
 * and the SQL migrations, named relative to schema/ ("admin-settings.schema.json",
 * "sql/0001-init.sql"), and the admin UI, named relative to the source tree
 * ("admin-ui-static/index.html"). */
#ifndef LOCKSET_EMBEDDED_H
#define LOCKSET_EMBEDDED_H

#include <stddef.h>

struct embedded_file {
	const char *name;
	const char *data; /* NUL-terminated */
	size_t len;
};

/* Terminated by an entry whose name is NULL; migrations sort by name. */
extern const struct embedded_file embedded_files[];

/* The file called name, or NULL. */
const struct embedded_file *embedded_find(const char *name);

#endif
