/* SPDX-License-Identifier: Apache-2.0 */
/* Docker image reference normalisation (docker/distribution "reference"
 * rules, reduced to what a policy needs) and imageList pattern matching.
 * No allocation: references live in fixed buffers. */
#include <ctype.h>
#include <string.h>

#include "imageref.h"

int
imageref_registry_normalise(const char *host, char *out, size_t outsz)
{
	size_t i, n = strlen(host);

	if (n >= outsz)
		return -1;
	for (i = 0; i <= n; i++)
		out[i] = (char)tolower((unsigned char)host[i]);
	if (strcmp(out, "index.docker.io") == 0 || strcmp(out, "registry-1.docker.io") == 0) {
		if (outsz < sizeof("docker.io"))
			return -1;
		strcpy(out, "docker.io");
	}
	return 0;
}

/* n bytes of s as a registry host into out: only what a host name, an
 * IPv6 literal and a port are made of. 0 or -1. */
static int
host_registry(const char *s, size_t n, char *out, size_t outsz)
{
	char host[256];

	if (n == 0 || n >= sizeof(host))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr(".-_:[]", s[i]) == NULL)
			return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	return imageref_registry_normalise(host, out, outsz);
}

int
imageref_server_registry(const char *addr, char *out, size_t outsz)
{
	const char *p = addr;

	if (addr[0] == '\0')
		return imageref_registry_normalise("index.docker.io", out, outsz);
	if (strncmp(p, "https://", 8) == 0)
		p += 8;
	else if (strncmp(p, "http://", 7) == 0)
		p += 7;
	return host_registry(p, strcspn(p, "/?#"), out, outsz);
}

int
imageref_search_registry(const char *term, char *out, size_t outsz)
{
	size_t n = strcspn(term, "/");

	if (term[n] == '\0' || (memchr(term, '.', n) == NULL && memchr(term, ':', n) == NULL &&
	                        !(n == 9 && strncmp(term, "localhost", 9) == 0)))
		return imageref_registry_normalise("docker.io", out, outsz);
	return host_registry(term, n, out, outsz);
}

/* The first path component names a registry when it has a "." or ":" or is
 * "localhost" (or has upper case, which a repository path cannot). */
static int
is_registry_component(const char *s, size_t len)
{
	size_t i;

	if (len == 9 && strncmp(s, "localhost", 9) == 0)
		return 1;
	for (i = 0; i < len; i++)
		if (s[i] == '.' || s[i] == ':' || isupper((unsigned char)s[i]))
			return 1;
	return 0;
}

static int
plausible(const char *s)
{
	for (; *s != '\0'; s++)
		if (isspace((unsigned char)*s) || iscntrl((unsigned char)*s))
			return 0;
	return 1;
}

int
imageref_parse(const char *ref, struct imageref *out)
{
	char buf[IMAGEREF_MAX];
	const char *slash, *path;
	char *at, *colon, *lastslash;
	size_t n = strlen(ref);

	memset(out, 0, sizeof(*out));
	if (n == 0 || n >= sizeof(buf) || !plausible(ref))
		return -1;
	memcpy(buf, ref, n + 1);

	at = strchr(buf, '@');
	if (at != NULL) {
		if (strlen(at + 1) >= sizeof(out->digest) || at[1] == '\0')
			return -1;
		strcpy(out->digest, at + 1);
		*at = '\0';
	}
	lastslash = strrchr(buf, '/');
	colon = strrchr(lastslash != NULL ? lastslash : buf, ':');
	if (colon != NULL) {
		if (strlen(colon + 1) >= sizeof(out->tag) || colon[1] == '\0')
			return -1;
		strcpy(out->tag, colon + 1);
		*colon = '\0';
	} else if (at == NULL) {
		strcpy(out->tag, "latest");
	}
	if (buf[0] == '\0')
		return -1;

	slash = strchr(buf, '/');
	if (slash != NULL && is_registry_component(buf, (size_t)(slash - buf))) {
		char host[sizeof(out->registry)];
		size_t hl = (size_t)(slash - buf);

		if (hl >= sizeof(host))
			return -1;
		memcpy(host, buf, hl);
		host[hl] = '\0';
		if (imageref_registry_normalise(host, out->registry, sizeof(out->registry)) == -1)
			return -1;
		path = slash + 1;
	} else {
		strcpy(out->registry, "docker.io");
		path = buf;
	}
	if (path[0] == '\0')
		return -1;
	if (strcmp(out->registry, "docker.io") == 0 && strchr(path, '/') == NULL) {
		if (strlen(path) + sizeof("docker.io/library/") > sizeof(out->name))
			return -1;
		strcpy(out->name, "docker.io/library/");
		strcat(out->name, path);
	} else {
		if (strlen(out->registry) + 1 + strlen(path) >= sizeof(out->name))
			return -1;
		strcpy(out->name, out->registry);
		strcat(out->name, "/");
		strcat(out->name, path);
	}
	return 0;
}

/* Go's \w (ASCII only), and '.' and '-' past the first character. */
static int
is_tag_char(char ch, int first)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || (!first && (ch == '.' || ch == '-'));
}

int
imageref_tag_valid(const char *tag)
{
	size_t i, n = strlen(tag);

	if (n == 0 || n > 128)
		return 0;
	for (i = 0; i < n; i++)
		if (!is_tag_char(tag[i], i == 0))
			return 0;
	return 1;
}

int
imageref_repo_tag(const char *repo, const char *tag, struct imageref *out)
{
	if (imageref_parse(repo, out) == -1)
		return -1;
	/* dockerd: "cannot import digest reference", with or without a tag. */
	if (out->digest[0] != '\0')
		return -1;
	if (tag[0] == '\0')
		return 0;
	if (!imageref_tag_valid(tag) || strlen(tag) >= sizeof(out->tag))
		return -1;
	strcpy(out->tag, tag);
	return 0;
}

int
imageref_pattern_parse(const char *pattern, struct imageref_pattern *out)
{
	size_t n = strlen(pattern);

	memset(out, 0, sizeof(*out));
	if (strcmp(pattern, "*") == 0) {
		out->any = 1;
		return 0;
	}
	if (n > 2 && strcmp(pattern + n - 2, ":*") == 0 && strchr(pattern, '@') == NULL) {
		char buf[IMAGEREF_MAX];

		if (n - 2 >= sizeof(buf))
			return -1;
		memcpy(buf, pattern, n - 2);
		buf[n - 2] = '\0';
		out->any_tag = 1;
		return imageref_parse(buf, &out->ref);
	}
	return imageref_parse(pattern, &out->ref);
}

int
imageref_pattern_match(const struct imageref_pattern *pat, const struct imageref *img)
{
	if (pat->any)
		return 1;
	if (strcmp(pat->ref.name, img->name) != 0)
		return 0;
	if (pat->any_tag)
		return 1;
	if (pat->ref.digest[0] != '\0')
		return strcmp(pat->ref.digest, img->digest) == 0;
	/* A reference with a digest ("name:tag@digest") is the image of that
	 * digest, whatever tag it carries: dockerd's store looks it up by the
	 * digest alone. So a tag on the list never matches one. */
	return pat->ref.tag[0] != '\0' && img->digest[0] == '\0' &&
	       strcmp(pat->ref.tag, img->tag) == 0;
}
