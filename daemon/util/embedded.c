/* SPDX-License-Identifier: Apache-2.0 */
/* Lookup over the table that daemon/embed generates. */
#include "embedded.h"

#include <string.h>

const struct embedded_file *
embedded_find(const char *name)
{
	for (const struct embedded_file *f = embedded_files; f->name != NULL; f++) {
		if (strcmp(f->name, name) == 0)
			return f;
	}
	return NULL;
}
