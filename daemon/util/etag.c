/* SPDX-License-Identifier: Apache-2.0 */
/* ETags: made from a digest of the reply, and matched against the list of a
 * conditional request (see etag.h). */
#include "etag.h"

#include <openssl/evp.h>
#include <string.h>

void
etag_of(const void *bytes, size_t len, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	static const char hex[] = "0123456789abcdef";

	EVP_Digest(bytes, len, md, &mdlen, EVP_sha256(), NULL);
	out[0] = '"';
	/* 128 bits of the digest are plenty for an ETag. */
	for (unsigned i = 0; i < 16; i++) {
		out[1 + 2 * i] = hex[md[i] >> 4];
		out[2 + 2 * i] = hex[md[i] & 15];
	}
	out[33] = '"';
	out[34] = '\0';
}

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
