/* SPDX-License-Identifier: Apache-2.0 */
/* ETag list matching for conditional requests (see etag.h). */
#include "etag.h"

#include <string.h>

int
etag_listed(const char *header, const char *etag, int weak)
{
	size_t elen = strlen(etag);
	const char *p = header;

	while (p != NULL && *p != '\0') {
		int is_weak = 0;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '*')
			return 1;
		if (strncmp(p, "W/", 2) == 0) {
			is_weak = 1;
			p += 2;
		}
		if ((weak || !is_weak) && strncmp(p, etag, elen) == 0 &&
		    (p[elen] == '\0' || p[elen] == ',' || p[elen] == ' ' || p[elen] == '\t'))
			return 1;
		p = strchr(p, ',');
	}
	return 0;
}
